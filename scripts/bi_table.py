#!/usr/bin/env python3
"""Prints the README's "BI tools on DLI" table from the measured outcomes of the BI corpus
(tests/fixtures/bi/corpus.jsonl, recorded by `SPARK_CHECK_UPDATE=1 cargo test --locked
--test spark_check`). A cell is `works/statements` of that tool and feature: a statement
works when Spark answers as PostgreSQL does (or the gateway refuses it where the corpus
expects a refusal). Run: python3 scripts/bi_table.py
"""
import json
import os

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
                      "bi", "corpus.jsonl")
TOOLS = [("superset", "Superset"), ("metabase", "Metabase"), ("tableau", "Tableau"),
         ("grafana", "Grafana"), ("looker", "Looker-style"), ("powerbi", "Power BI-style")]
FEATURES = [("time_grain", "time grains"), ("range_filter", "date range filters"),
            ("relative_filter", "relative dates"), ("top_n", "top-N"),
            ("pagination", "pagination"), ("pct_of_total", "% of total"),
            ("case_bucket", "buckets"), ("string_search", "string search"),
            ("epoch", "epoch time"), ("weekday", "weekdays"), ("null_order", "NULL buckets"),
            ("int_division", "integer /"), ("unaliased_agg", "aggregate names")]


def main():
    with open(CORPUS) as f:
        entries = [json.loads(line) for line in f if line.strip()]
    cells = {}
    for e in entries:
        key = (e["tool"], e["feature"])
        ok, n = cells.get(key, (0, 0))
        cells[key] = (ok + (e.get("outcome") == e["expect"]), n + 1)
    used = [(k, name) for k, name in FEATURES if any(f == k for _, f in cells)]
    print("| tool | works | " + " | ".join(name for _, name in used) + " |")
    print("|---|---|" + "---|" * len(used))
    for tool, label in TOOLS:
        mine = [e for e in entries if e["tool"] == tool]
        ok = sum(e.get("outcome") == e["expect"] for e in mine)
        row = ["%d/%d" % cells[(tool, k)] if (tool, k) in cells else "–" for k, _ in used]
        print("| %s | **%d/%d** | %s |" % (label, ok, len(mine), " | ".join(row)))
    outcomes = {}
    for e in entries:
        outcomes[e.get("outcome", "unrecorded")] = outcomes.get(e.get("outcome", "unrecorded"), 0) + 1
    print("\nOutcomes over all %d statements: %s" % (
        len(entries), ", ".join("%s %d" % kv for kv in sorted(outcomes.items()))))


if __name__ == "__main__":
    main()
