"""Large results (issue 8): the 100,000-row `big` table every `big_*` script creates, with
each value recomputed here from `id`, and per-column checks of the TPC-H demo
`tpch.lineitem` (60,175 rows at the default scale factor 0.01) against aggregates that
DLI computes.

The harness (tests/clients.rs) sets DLIGW_BIG_MODE to the result path the gateway uses:
`export` (export-result into the embedded service's OBS folder, the default),
`result_path` (`[local] report_result_path = true`: the job status carries result_path)
or `gzip` (export-result with `[results] compress = "gzip"`).
"""

import datetime as dt
import os
from decimal import Decimal

from clientlib import CheckFailed, eq

MODE = os.environ.get("DLIGW_BIG_MODE", "export")
N_BIG = 100_000
COLS = ["id", "x", "s", "d"]
# int8, int8, text, numeric
OIDS = [20, 20, 25, 1700]

def ids_sql(n):
    """A relation of bigint `id` 0..n-1 (n a power of ten), in Spark SQL: a cross join of
    inline tables of ten digits. Spark's `range(n)` would do, but the embedded engine
    does not know the table function (TABLE_OR_VIEW_NOT_FOUND `range`)."""
    k = len(str(n)) - 1
    assert n == 10 ** k, n
    digits = "(VALUES " + ", ".join(f"({i})" for i in range(10)) + ")"
    expr = " + ".join(f"t{j}.d * {10 ** (k - 1 - j)}" for j in range(k))
    joins = " CROSS JOIN ".join(f"{digits} AS t{j}(d)" for j in range(k))
    return f"(SELECT CAST({expr} AS BIGINT) AS id FROM {joins}) ids"


# Spark SQL (the embedded engine runs the Spark dialect). The division is cast back to
# decimal(18,2) so that the declared scale does not depend on Spark's decimal-division
# precision rules: every value is a multiple of 0.25.
BIG_CREATE = (
    "CREATE TABLE {db}.big USING parquet AS SELECT id, id * 7 - 3 AS x, "
    "concat('v', CAST(id AS STRING), CASE WHEN id % 10 = 0 THEN ',\"q\"' ELSE '' END) AS s, "
    "CASE WHEN id % 13 = 0 THEN NULL ELSE CAST(CAST(id AS DECIMAL(18,2)) / 4 AS DECIMAL(18,2)) END AS d "
    f"FROM {ids_sql(N_BIG)}"
)
BIG_SELECT = "SELECT id, x, s, d FROM {db}.big ORDER BY id"


def big_row(i):
    """Row `id = i` as Python values."""
    return (
        i,
        i * 7 - 3,
        f"v{i}" + (',"q"' if i % 10 == 0 else ""),
        None if i % 13 == 0 else Decimal(i * 25).scaleb(-2),
    )


def big_text(i):
    """Row i as the text-format strings Postgres sends (None for NULL)."""
    r = big_row(i)
    return (str(r[0]), str(r[1]), r[2], None if r[3] is None else f"{r[3]:.2f}")


class BigChecker:
    """Feeds rows one at a time (as they stream) and checks each against big_row(i), in
    `ORDER BY id` order; `done()` checks that every row came."""

    def __init__(self, convert=None, what="big"):
        self.n = 0
        self.convert = convert or (lambda r: tuple(r))
        self.what = what

    def add(self, r):
        got = self.convert(r)
        want = big_row(self.n)
        if got != want or any(type(g) is not type(w) for g, w in zip(got, want)):
            raise CheckFailed(f"{self.what} row {self.n}: expected {want!r}, got {got!r}")
        self.n += 1

    def add_all(self, rows):
        for r in rows:
            self.add(r)

    def done(self):
        eq(self.n, N_BIG, f"{self.what}: rows received")


def check_text_rows(rows, what):
    """Every row of `big` as text-format tuples (None for NULL), in id order."""
    n = 0
    for got in rows:
        want = big_text(n)
        if tuple(got) != want:
            raise CheckFailed(f"{what} row {n}: expected {want!r}, got {tuple(got)!r}")
        n += 1
    eq(n, N_BIG, f"{what}: rows")


# ---- tpch.lineitem ---------------------------------------------------------------------

LINEITEM_ROWS = 60_175
L_INTS = ["l_orderkey", "l_partkey", "l_suppkey", "l_linenumber"]
L_DECIMALS = ["l_quantity", "l_extendedprice", "l_discount", "l_tax"]
L_DATES = ["l_shipdate", "l_commitdate", "l_receiptdate"]
L_STRINGS = ["l_returnflag", "l_linestatus", "l_shipinstruct", "l_shipmode", "l_comment"]
L_COLS = L_INTS + L_DECIMALS + L_DATES + L_STRINGS


def lineitem_aggregate_sql():
    """One row of aggregates covering every value of every column, computed by DLI, in the
    order `lineitem_aggregates` returns them."""
    parts = ["count(*)", "sum(l_orderkey * 10 + l_linenumber)"]
    parts += [f"sum({c})" for c in L_INTS + L_DECIMALS]
    # yyyymmdd: Spark's datediff/unix_date/year() are unknown to the embedded engine
    # and its date_format ignores the pattern; replace() of the ISO text works in both.
    parts += [f"sum(CAST(replace(CAST({c} AS STRING), '-', '') AS BIGINT))" for c in L_DATES]
    for c in L_STRINGS:
        parts += [f"sum(length({c}))", f"count(DISTINCT {c})", f"min({c})", f"max({c})"]
    return "SELECT " + ", ".join(parts) + " FROM tpch.lineitem"


def lineitem_aggregates(rows):
    """The same aggregates computed here from the rows (dicts of Python values: int,
    Decimal, datetime.date, str), as strings the way Postgres prints them."""
    out = [len(rows), sum(r["l_orderkey"] * 10 + r["l_linenumber"] for r in rows)]
    out += [sum(r[c] for r in rows) for c in L_INTS + L_DECIMALS]
    out += [sum(int(r[c].strftime("%Y%m%d")) for r in rows) for c in L_DATES]
    for c in L_STRINGS:
        vals = [r[c] for r in rows]
        out += [sum(len(v) for v in vals), len(set(vals)), min(vals), max(vals)]
    return [str(v) for v in out]


def parse_lineitem_text(fields):
    """A lineitem row from its text-format fields (in L_COLS order)."""
    r = {}
    for c, v in zip(L_COLS, fields):
        if c in L_INTS:
            r[c] = int(v)
        elif c in L_DECIMALS:
            r[c] = Decimal(v)
        elif c in L_DATES:
            r[c] = dt.date.fromisoformat(v)
        else:
            r[c] = v
    eq(len(r), len(L_COLS), "lineitem columns")
    return r
