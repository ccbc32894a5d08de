"""psql over results larger than DLI's 1000-row preview (issue 8): a 60,175-row SELECT of
tpch.lineitem checked column by column against DLI's own aggregates, COPY (query) TO STDOUT
in text and in CSV with HEADER, and \\copy (query) TO 'file' CSV, every row of the
100,000-row `big` table checked against values computed here.

Run by tests/clients.rs once per result path (DLIGW_BIG_MODE: export, result_path, gzip);
see tests/clients/README.md and bigdata.py.
"""

import csv
import io
import os
import subprocess
import tempfile

import bigdata as B
import clientlib as L
from clientlib import eq, ok

DB = "c_big_psql"

# Checks that fail because the gateway lacks a feature. Remove an entry when the feature
# lands: an entry whose check passes is reported as XPASS and fails the run.
XFAIL = {}

suite = L.Suite(f"big_psql[{B.MODE}]", XFAIL)
S = L.conn_settings()
SEP = "\x1f"  # field separator for -A output: appears in no value


def psql(*args, timeout=600):
    env = dict(os.environ, PGPASSWORD=S["password"], PGCONNECT_TIMEOUT="10")
    cmd = ["psql", "-h", S["host"], "-p", str(S["port"]), "-U", S["user"], "-d", "dli", "-X", "-A", "-q",
           "-t", "-v", "ON_ERROR_STOP=1", *args]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    eq(p.returncode, 0, f"psql exit code (stderr: {p.stderr[:2000]!r})")
    eq(p.stderr, "", "psql stderr")
    return p.stdout


@suite.check("setup")
def _():
    psql("-c", f"CREATE DATABASE {DB}", "-c", B.BIG_CREATE.format(db=DB))
    eq(psql("-c", f"SELECT count(*), count(d), sum(x) FROM {DB}.big"),
       f"{B.N_BIG}|{sum(1 for i in range(B.N_BIG) if i % 13)}|{sum(i * 7 - 3 for i in range(B.N_BIG))}\n",
       "big table as created")


@suite.check("select_all_lineitem_rows")
def _():
    out = psql("-F", SEP, "-c", f"SELECT {', '.join(B.L_COLS)} FROM tpch.lineitem")
    lines = out.split("\n")
    eq(lines[-1], "", "output ends with a newline")
    rows = [B.parse_lineitem_text(line.split(SEP)) for line in lines[:-1]]
    eq(len(rows), B.LINEITEM_ROWS, "lineitem rows")
    want = psql("-F", SEP, "-c", B.lineitem_aggregate_sql()).rstrip("\n").split(SEP)
    got = B.lineitem_aggregates(rows)
    names = ["count", "orderkey*10+linenumber"] + [f"sum({c})" for c in B.L_INTS + B.L_DECIMALS + B.L_DATES]
    names += [f"{a}({c})" for c in B.L_STRINGS for a in ("sum_length", "count_distinct", "min", "max")]
    for n, g, w in zip(names, got, want):
        eq(g, w, f"lineitem {n}: client vs DLI")
    eq(len(got), len(want), "aggregates")


def text_copy_rows(out):
    """Rows of a text-format COPY: tab-separated, \\N for NULL (no value here needs escapes)."""
    lines = out.split("\n")
    eq(lines[-1], "", "COPY output ends with a newline")
    for line in lines[:-1]:
        yield tuple(None if f == "\\N" else f for f in line.split("\t"))


@suite.check("copy_to_stdout_text")
def _():
    out = psql("-c", f"COPY ({B.BIG_SELECT.format(db=DB)}) TO STDOUT")
    B.check_text_rows(text_copy_rows(out), "COPY text")


def csv_rows(text, header):
    """Rows of CSV output; an unquoted empty field is NULL (the default NULL of COPY CSV),
    so the raw lines are parsed here rather than trusting the csv module with that."""
    reader = csv.reader(io.StringIO(text, newline=""))
    raw = text.split("\n")
    eq(raw[-1], "", "CSV ends with a newline")
    lines = raw[:-1]
    rows = list(reader)
    eq(len(rows), len(lines), "CSV records vs lines (no value has a newline)")
    if header:
        eq(rows[0], B.COLS, "HEADER")
        rows, lines = rows[1:], lines[1:]
    for rec, line in zip(rows, lines):
        # d is the last field: NULL is an empty unquoted field at the end of the line.
        yield tuple(rec[:3]) + (None if line.endswith(",") else rec[3],)


def check_csv_quoting(text):
    """A value with a comma and quotes is quoted with doubled quotes, as Postgres does."""
    ok('\n10,67,"v10,""q""",2.50\n' in text, "row 10 quoted as Postgres quotes it")
    ok("\n13,88,v13,\n" in text, "row 13: NULL as an empty unquoted field")


@suite.check("copy_to_stdout_csv_header")
def _():
    out = psql("-c", f"COPY ({B.BIG_SELECT.format(db=DB)}) TO STDOUT WITH (FORMAT csv, HEADER)")
    check_csv_quoting(out)
    B.check_text_rows(csv_rows(out, header=True), "COPY CSV HEADER")


@suite.check("backslash_copy_to_file_csv")
def _():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "big.csv")
        out = psql("-c", f"\\copy ({B.BIG_SELECT.format(db=DB)}) TO '{path}' CSV")
        eq(out, "", "psql output")
        with open(path, encoding="utf-8", newline="") as f:
            text = f.read()
    check_csv_quoting(text)
    B.check_text_rows(csv_rows(text, header=False), "\\copy CSV")


@suite.check("select_unordered_every_id_once")
def _():
    # Without ORDER BY the engine may write several result files: every row exactly once.
    out = psql("-F", SEP, "-P", "null=NULL", "-c", f"SELECT id, x, s, d FROM {DB}.big")
    seen = {}
    for line in out.rstrip("\n").split("\n"):
        f = line.split(SEP)
        i = int(f[0])
        ok(i not in seen, f"id {i} twice")
        seen[i] = tuple(None if v == "NULL" else v for v in f)
    eq(len(seen), B.N_BIG, "distinct ids")
    B.check_text_rows((seen[i] for i in range(B.N_BIG)), "unordered SELECT")


if __name__ == "__main__":
    suite.main()
