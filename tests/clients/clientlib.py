"""Shared helpers for the Python client checks (psycopg 3, psycopg2, asyncpg, ...).

Each client script builds a `Suite` with its own XFAIL dict, registers checks with
`@suite.check("name")` (plain or `async def`) and ends with `suite.main()`.

Result lines: PASS / FAIL / XFAIL (expected failure, with the error) / XPASS (an xfail that
passed: remove it from the XFAIL list). The script exits 1 on any FAIL or XPASS, so the
Rust harness (tests/clients.rs) fails and prints this output.

Connection settings come from the environment (set by the harness): DLIGW_HOST,
DLIGW_PORT, DLIGW_USER, DLIGW_PASSWORD; `--host H --port P --user U --password W` on the
command line override them.
"""

import asyncio
import datetime as dt
import inspect
import os
import sys
import time
import traceback
from decimal import Decimal


def conn_settings():
    s = {
        "host": os.environ.get("DLIGW_HOST", "127.0.0.1"),
        "port": int(os.environ.get("DLIGW_PORT", "15432")),
        "user": os.environ.get("DLIGW_USER", "dli"),
        "password": os.environ.get("DLIGW_PASSWORD", "dli"),
    }
    argv = sys.argv[1:]
    for i, a in enumerate(argv):
        if a.startswith("--") and a[2:] in s and i + 1 < len(argv):
            s[a[2:]] = type(s[a[2:]])(argv[i + 1])
    return s


def conninfo():
    s = conn_settings()
    return "host={host} port={port} user={user} password={password} dbname=dli".format(**s)


class CheckFailed(AssertionError):
    pass


def eq(actual, expected, what=""):
    """assert actual == expected (and same Python type), with a readable message."""
    if actual != expected or type(actual) is not type(expected):
        raise CheckFailed(
            f"{what}: expected {expected!r} ({type(expected).__name__}), "
            f"got {actual!r} ({type(actual).__name__})"
        )


def ok(cond, what):
    if not cond:
        raise CheckFailed(what)


class Suite:
    def __init__(self, name, xfail):
        self.name = name
        self.xfail = dict(xfail)
        self.checks = []
        self.results = {}

    def check(self, name):
        def register(fn):
            self.checks.append((name, fn))
            return fn

        return register

    async def _run(self):
        unknown = set(self.xfail) - {n for n, _ in self.checks}
        for name, fn in self.checks:
            t0 = time.monotonic()
            err = None
            try:
                r = fn()
                if inspect.isawaitable(r):
                    await r
            except Exception as e:  # noqa: BLE001 - every failure is reported
                err = e
                tb = traceback.format_exc()
            ms = int((time.monotonic() - t0) * 1000)
            if err is None and name in self.xfail:
                self.results[name] = "XPASS"
                print(f"XPASS {name} ({ms} ms) — passes now: remove it from the XFAIL list", flush=True)
            elif err is None:
                self.results[name] = "PASS"
                print(f"PASS  {name} ({ms} ms)", flush=True)
            elif name in self.xfail:
                self.results[name] = "XFAIL"
                print(f"XFAIL {name} ({ms} ms) [{self.xfail[name]}]: {type(err).__name__}: {str(err).strip()[:500]}", flush=True)
            else:
                self.results[name] = "FAIL"
                print(f"FAIL  {name} ({ms} ms): {type(err).__name__}: {str(err).strip()}", flush=True)
                print("      " + tb.replace("\n", "\n      "), flush=True)
        for n in sorted(unknown):
            self.results[n] = "FAIL"
            print(f"FAIL  {n}: in the XFAIL list but no such check", flush=True)

    def main(self):
        asyncio.run(self._run())
        counts = {k: list(self.results.values()).count(k) for k in ("PASS", "FAIL", "XFAIL", "XPASS")}
        print(
            f"{self.name}: {counts['PASS']} passed, {counts['FAIL']} failed, "
            f"{counts['XFAIL']} xfailed, {counts['XPASS']} xpassed",
            flush=True,
        )
        sys.exit(1 if counts["FAIL"] or counts["XPASS"] else 0)


# ---- the test data set, computed here independently of the server ---------------------

N_ROWS = 30
COLUMNS = "a int, b string, c decimal(10,2), d date, e timestamp, f double, g boolean, h bigint, i binary, s smallint, r float"
COLUMN_NAMES = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "s", "r"]
# The Postgres type OIDs each column must come back as.
OIDS = {"a": 23, "b": 25, "c": 1700, "d": 1082, "e": 1114, "f": 701, "g": 16, "h": 20, "i": 17, "s": 21, "r": 700}

INT2, INT4, INT8, FLOAT4, FLOAT8, NUMERIC, BOOL, TEXT, DATE, TIMESTAMP, BYTEA, JSON = (
    21, 23, 20, 700, 701, 1700, 16, 25, 1082, 1114, 17, 114)
INT4_ARRAY, TEXT_ARRAY, INT8_ARRAY = 1007, 1009, 1016


def row(k):
    """Row k (1..N_ROWS) as Python values; row N_ROWS+1 has a = N_ROWS+1 and NULLs elsewhere."""
    if k == N_ROWS + 1:
        return (k,) + (None,) * 10
    return (
        k,
        f"row {k} é✓",
        Decimal(k * 125) / Decimal(100),
        dt.date(2024, 1, 1) + dt.timedelta(days=k),
        dt.datetime(2024, 1, 1) + dt.timedelta(hours=k, microseconds=k),
        k / 8,
        k % 3 == 0,
        k * 10_000_000_000,
        bytes([k, 0, 255 - k]),
        -k,
        k / 4,
    )


def all_rows():
    return [row(k) for k in range(1, N_ROWS + 2)]


def spark_literal(v, col):
    """A literal for the value, written here (not by the gateway) the way a Postgres
    client writes it: strings with Postgres quoting, which the gateway re-quotes for Spark."""
    if v is None:
        return "NULL"
    if col == "s":
        return f"CAST({v} AS SMALLINT)"
    if col == "r":
        return f"CAST({v!r} AS FLOAT)"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float, Decimal)):
        return str(v)
    if isinstance(v, dt.datetime):
        return f"TIMESTAMP '{v.isoformat(sep=' ')}'"
    if isinstance(v, dt.date):
        return f"DATE '{v.isoformat()}'"
    if isinstance(v, bytes):
        return f"X'{v.hex()}'"
    if isinstance(v, str):
        return "'" + v.replace("'", "''") + "'"
    raise TypeError(v)


def create_sql(db):
    return f"CREATE TABLE {db}.t ({COLUMNS}) USING parquet"


def insert_sql(db):
    values = ",\n".join(
        "(" + ", ".join(spark_literal(v, c) for v, c in zip(r, COLUMN_NAMES)) + ")" for r in all_rows()
    )
    return f"INSERT INTO {db}.t VALUES\n{values}"


# Nested types: arrays come back as Postgres arrays, maps and structs as json.
NESTED_CREATE = "CREATE TABLE {db}.nested (k int, arr array<int>, sa array<string>, m map<string,int>, st struct<a:int,b:string>) USING parquet"
NESTED_INSERT = (
    "INSERT INTO {db}.nested VALUES "
    "(1, array(1, 2, 3), array('x', 'y z', 'q\"uote'), map('k', 1), named_struct('a', 7, 'b', 'seven')), "
    "(2, CAST(array() AS array<int>), array(CAST(NULL AS STRING), 'b'), map('a', 1, 'b', CAST(NULL AS INT)), "
    "named_struct('a', CAST(NULL AS INT), 'b', CAST(NULL AS STRING)))"
)
NESTED_EXPECTED = [
    (1, [1, 2, 3], ["x", "y z", 'q"uote'], {"k": 1}, {"a": 7, "b": "seven"}),
    (2, [], [None, "b"], {"a": 1, "b": None}, {"a": None, "b": None}),
]
NESTED_OIDS = [INT4, INT4_ARRAY, TEXT_ARRAY, JSON, JSON]

# Strings that must round-trip exactly as bound parameters (and must not inject SQL).
HOSTILE = [
    "\\' OR 1=1 --",
    "' OR '1'='1",
    "it's",
    "back\\slash",
    "\\\\double",
    "trailing\\",
    "\"double quotes\"",
    "`backtick`",
    "semi; DROP TABLE t; --",
    "/* comment */",
    "$1 $$dollar$$",
    "unicode é ✓ 数据 🚀",
    "new\nline\ttab\rcr",
    "",
    " ",
    "%s %(x)s {}",
    "x" * 100_000,
]

# A query that keeps the embedded engine busy for several seconds (a 4-way cross join of
# a 200-row table, 400 M rows; ~50 s in a debug build): used by the cancel and timeout
# checks, which require it to end much sooner.
SLOW_SETUP = [
    "CREATE TABLE {db}.n (v int) USING parquet",
    "INSERT INTO {db}.n VALUES " + ", ".join(f"({i})" for i in range(200)),
]
SLOW_QUERY = "SELECT sum(a.v * b.v + c.v - d.v) FROM {db}.n a CROSS JOIN {db}.n b CROSS JOIN {db}.n c CROSS JOIN {db}.n d WHERE d.v < 50"
