#!/usr/bin/env python3
"""Run the date/time translation table (tests/fixtures/pg_datetime.tsv) on PostgreSQL 15
(the Postgres column) and Spark 3.3 (the Spark column the translator emits) over the same
rows, and compare the answers. Both sessions in UTC unless --tz is given.

usage: PYSPARK_PYTHON=... /opt/pyspark33/bin/python scripts/compare_datetime.py \
           --psql 'psql -h /tmp/pg -p 55432 -U postgres' [--tz UTC] [-v]
"""
import argparse, decimal, os, shlex, subprocess, sys

ROWS = [
    ("2024-01-07 10:11:12.345678", "2024-01-07", "1234567.891"),
    ("2021-01-01 23:59:59", "2021-01-01", "0.5"),
    ("2024-12-30 00:00:00.5", "2024-12-30", "-42.125"),
    ("2000-02-29 12:00:00", "2000-02-29", "999999.995"),
]
PG_FROM = "FROM (VALUES " + ", ".join(
    f"(timestamp '{t}', date '{d}', {n}::numeric)" for t, d, n in ROWS) + ") t(ts, d, n)"
SPARK_FROM = "FROM VALUES " + ", ".join(
    f"(TIMESTAMP '{t}', DATE '{d}', CAST({n} AS DECIMAL(20,6)))" for t, d, n in ROWS) + " AS t(ts, d, n)"


def table(path):
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        yield cols[0], cols[1] if len(cols) > 1 else "", cols[2] if len(cols) > 2 else ""


def run_pg(psql, tz, expr):
    sql = f"SET TimeZone = '{tz}'; SELECT {expr} {PG_FROM}"
    p = subprocess.run(shlex.split(psql) + ["-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return None, p.stderr.strip().splitlines()[0] if p.stderr.strip() else "error"
    return p.stdout.splitlines(), None


def norm(v):
    if v is None:
        return None
    v = v.strip()
    if v in ("t", "true"):
        return True
    if v in ("f", "false"):
        return False
    if v.endswith("+00"):
        v = v[:-3]
    try:
        return decimal.Decimal(v)
    except decimal.InvalidOperation:
        return v


def same(a, b):
    a, b = norm(a), norm(b)
    if isinstance(a, decimal.Decimal) and isinstance(b, decimal.Decimal):
        return a == b or abs(a - b) <= abs(a) * decimal.Decimal("1e-12")
    return a == b


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--psql", required=True)
    ap.add_argument("--tz", default="UTC")
    ap.add_argument("--table", default=os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "pg_datetime.tsv"))
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    from pyspark.sql import SparkSession
    s = (SparkSession.builder.master("local[1]").config("spark.sql.session.timeZone", a.tz)
         .config("spark.ui.enabled", "false").getOrCreate())
    s.sparkContext.setLogLevel("ERROR")
    counts = {"same": 0, "different": 0, "known difference": 0, "refused": 0, "spark error": 0, "postgres error": 0}
    for pg, spark, known in table(a.table):
        pg_rows, pg_err = run_pg(a.psql, a.tz, pg)
        if spark == "!":
            counts["refused"] += 1
            if a.v:
                print(f"REFUSED  {pg}   (postgres: {pg_err or pg_rows})")
            continue
        if pg_err:
            counts["postgres error"] += 1
            print(f"PG ERROR {pg}: {pg_err}")
            continue
        try:
            df = s.sql(f"SELECT {spark} {SPARK_FROM}")
            df = df.toDF("c")
            sp_rows = [r[0] for r in df.selectExpr("CAST(c AS STRING)").collect()]
        except Exception as e:  # noqa: BLE001
            counts["spark error"] += 1
            msg = getattr(e, "desc", None) or str(e)
            print(f"SPARK ERR {pg}\n    {spark}\n    {msg.splitlines()[0][:300]}")
            continue
        pg_vals = [None if r == "" else r for r in pg_rows]
        ok = len(pg_vals) == len(sp_rows) and all(same(x, y) for x, y in zip(pg_vals, sp_rows))
        verdict = "same" if ok else ("known difference" if known else "different")
        counts[verdict] += 1
        if not ok or a.v:
            print(f"{verdict.upper()} ({known})  {pg}\n    {spark}\n    pg:    {pg_vals}\n    spark: {sp_rows}")
    print("result (tz=%s): %s" % (a.tz, ", ".join(f"{k} {v}" for k, v in counts.items())))
    return 0 if counts["different"] == 0 and counts["spark error"] == 0 and counts["postgres error"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
