"""polyglot-sql's Postgres -> Spark translation of the BI corpus, judged as tests/spark_check.rs
judges the gateway's: each statement (bound values inlined as typed literals) is transpiled by
polyglot-sql 0.13.5, then run on real Spark 3.3.4 and its Postgres text on PostgreSQL 15 by
scripts/spark_check.py. Prints one JSON line per entry and a summary on stderr.

    cargo build --manifest-path scripts/polyglot_eval/Cargo.toml
    python3 scripts/polyglot_eval/compare.py > /tmp/polyglot.jsonl
"""
import os
import json, subprocess, sys, collections
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
CORPUS = os.path.join(ROOT, "tests", "fixtures", "bi", "corpus.jsonl")
entries = [json.loads(l) for l in open(CORPUS) if l.strip()]

def literal(p):
    v = p["value"].replace("'", "''")
    t = p["type"]
    return {"text": "'%s'" % v, "int4": v, "int8": v}.get(t, "CAST('%s' AS %s)" % (v, t))

def inline(sql, params):
    for i in reversed(range(len(params))):
        sql = sql.replace("$%d" % (i + 1), literal(params[i]))
    return sql

reqs = "\n".join(json.dumps({"id": e["id"], "sql": inline(e["sql"], e.get("params") or [])}) for e in entries)
out = subprocess.run([os.path.join(os.path.dirname(os.path.abspath(__file__)), "target", "debug", "polyglot-eval")], input=reqs, capture_output=True, text=True, check=True).stdout
trans = {d["id"]: d for d in map(json.loads, out.splitlines())}
requests = []
for e in entries:
    t = trans[e["id"]]
    requests.append({"id": e["id"], "pg": e["sql"], "params": e.get("params") or [], "spark": t.get("spark")})
ans = subprocess.run(["/opt/pyspark33/bin/python", os.path.join(ROOT, "scripts", "spark_check.py"), "compare"],
                     input="\n".join(map(json.dumps, requests)), capture_output=True, text=True, check=True).stdout
answers = {d["id"]: d for d in map(json.loads, [l for l in ans.splitlines() if l.startswith("{")])}

def top_level_order_by(sql):
    depth, quote, words, word = 0, None, [], ""
    for c in sql:
        if quote:
            if c == quote: quote = None
            continue
        if c in "'\"": quote = c
        elif c == "(": depth += 1
        elif c == ")": depth -= 1
        if c.isalnum() or c == "_": word += c.lower()
        elif word: words.append((word, depth)); word = ""
    if word: words.append((word, depth))
    return any(a[0] == "order" and b[0] == "by" and a[1] == 0 for a, b in zip(words, words[1:]))

outcomes = collections.Counter(); detail = []
for e in entries:
    t, a = trans[e["id"]], answers[e["id"]]
    if "error" in t:
        o = "refused"; why = t["error"]
    elif "error" in a.get("spark", {}):
        o = "spark_error"; why = a["spark"]["error"][:160]
    else:
        pg, sp = a["pg"], a["spark"]
        pr = [json.dumps(r) for r in pg["rows"]]; sr = [json.dumps(r) for r in sp["rows"]]
        if not top_level_order_by(e["sql"]): pr.sort(); sr.sort()
        if pr != sr: o = "different"; why = "rows"
        elif pg["columns"] != sp["columns"]: o = "names_differ"; why = "%s vs %s" % (pg["columns"], sp["columns"])
        else: o = "same"; why = ""
    outcomes[o] += 1
    detail.append({"id": e["id"], "tool": e["tool"], "outcome": o, "why": why, "spark": t.get("spark")})
us = sorted(t["us"] for t in trans.values())
print(json.dumps(dict(outcomes)), "median transpile us:", us[len(us)//2], file=sys.stderr)
for d in detail: print(json.dumps(d))
