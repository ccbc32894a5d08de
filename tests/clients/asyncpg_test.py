"""asyncpg against the gateway: binary protocol for parameters and results, prepared
statement reuse (Parse + Describe before Bind), cursors with a row limit
(Execute max_rows + PortalSuspended), error classes, timeouts/cancel, pool reset.

Run by tests/clients.rs (DLIGW_HOST/PORT/USER/PASSWORD); see tests/clients/README.md.
"""

import asyncio
import json
import re
import time

import asyncpg
import asyncpg.exceptions as X

import clientlib as L
from clientlib import eq, ok

DB = "c_asyncpg"

# Checks that fail because the gateway lacks a feature (issue 3). Remove an entry when the
# feature lands: an entry whose check passes is reported as XPASS and fails the run.
XFAIL = {}

suite = L.Suite("asyncpg", XFAIL)
S = L.conn_settings()
conn = None


async def connect(**kw):
    return await asyncpg.connect(host=S["host"], port=S["port"], user=S["user"], password=S["password"],
                                 database="dli", **kw)


async def c():
    global conn
    if conn is None or conn.is_closed():
        conn = await connect()
    return conn


SELECT_ALL = f"SELECT {', '.join(L.COLUMN_NAMES)} FROM {DB}.t ORDER BY a"


@suite.check("connect_and_server_version")
async def _():
    cn = await c()
    v = cn.get_server_version()
    ok(v.major >= 10, f"server version {v}")
    eq(cn.get_settings().client_encoding, "UTF8", "client_encoding")
    s = await cn.fetchval("SELECT version()")
    ok(re.match(r"PostgreSQL \d+\.\d+", s), f"version() {s!r}")


@suite.check("setup_database_and_tables")
async def _():
    cn = await c()
    await cn.execute(f"CREATE DATABASE {DB}")
    await cn.execute(L.create_sql(DB))
    eq(await cn.execute(L.insert_sql(DB)), f"INSERT 0 {L.N_ROWS + 1}", "INSERT tag")
    await cn.execute(L.NESTED_CREATE.format(db=DB))
    await cn.execute(L.NESTED_INSERT.format(db=DB))
    for s in L.SLOW_SETUP:
        await cn.execute(s.format(db=DB))


@suite.check("binary_results_every_type")
async def _():
    cn = await c()
    stmt = await cn.prepare(SELECT_ALL)
    eq([a.type.oid for a in stmt.get_attributes()], [L.OIDS[n] for n in L.COLUMN_NAMES], "described OIDs")
    rows = await stmt.fetch()
    eq(len(rows), L.N_ROWS + 1, "row count")
    for got, want in zip(rows, L.all_rows()):
        got = tuple(got)
        for i, (g, w) in enumerate(zip(got, want)):
            if L.COLUMN_NAMES[i] == "r" and g is not None:
                g = float(g)  # float4 decodes to a Python float already; exact for k/4
            eq(g, w, f"row a={want[0]} column {L.COLUMN_NAMES[i]}")


@suite.check("binary_nested_types")
async def _():
    cn = await c()
    stmt = await cn.prepare(f"SELECT k, arr, sa, m, st FROM {DB}.nested ORDER BY k")
    eq([a.type.oid for a in stmt.get_attributes()], L.NESTED_OIDS, "OIDs")
    rows = await stmt.fetch()
    got = [(r[0], r[1], r[2], json.loads(r[3]), json.loads(r[4])) for r in rows]
    eq(got, L.NESTED_EXPECTED, "values")


@suite.check("prepared_statement_reuse")
async def _():
    cn = await c()
    stmt = await cn.prepare(f"SELECT a, b, c, d, e, h FROM {DB}.t WHERE a = $1")
    eq([p.oid for p in stmt.get_parameters()], [L.INT4], "parameter type of a = $1")
    eq([a.type.oid for a in stmt.get_attributes()], [L.INT4, L.TEXT, L.NUMERIC, L.DATE, L.TIMESTAMP, L.INT8], "result types")
    for k in list(range(1, 11)) + [2, 1]:
        w = L.row(k)
        eq(tuple(await stmt.fetchrow(k)), (w[0], w[1], w[2], w[3], w[4], w[7]), f"a = {k}")


@suite.check("implicit_statement_cache_reuse")
async def _():
    cn = await c()
    for k in range(1, 8):
        eq(await cn.fetchval(f"SELECT b FROM {DB}.t WHERE a = $1 AND g = $2", k, L.row(k)[6]), L.row(k)[1], f"a = {k}")


@suite.check("binary_params_every_type")
async def _():
    cn = await c()
    cols = "a int, b string, c decimal(10,2), d date, e timestamp, f double, g boolean, h bigint, i binary, s smallint, r float"
    await cn.execute(f"CREATE TABLE {DB}.p ({cols}) USING parquet")
    for k in (1, 2, L.N_ROWS + 1):
        eq(await cn.execute(f"INSERT INTO {DB}.p VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)", *L.row(k)),
           "INSERT 0 1", "tag")
    rows = await cn.fetch(f"SELECT {', '.join(L.COLUMN_NAMES)} FROM {DB}.p ORDER BY a")
    eq([tuple(r) for r in rows], [L.row(k) for k in (1, 2, L.N_ROWS + 1)], "read back")


@suite.check("hostile_strings_roundtrip")
async def _():
    cn = await c()
    stmt = await cn.prepare("SELECT CAST($1 AS STRING)")
    for s in L.HOSTILE:
        eq(await stmt.fetchval(s), s, f"round trip of {s[:40]!r}")
        eq(await cn.fetchval(f"SELECT count(*) FROM {DB}.t WHERE b = $1", s), 0, f"no injection with {s[:40]!r}")


@suite.check("cursor_with_prefetch_row_limit")
async def _():
    cn = await c()
    got = []
    async with cn.transaction():
        async for r in cn.cursor(f"SELECT a, b FROM {DB}.t WHERE a <= $1 ORDER BY a", L.N_ROWS, prefetch=7):
            got.append(tuple(r))
    eq(got, [(k, L.row(k)[1]) for k in range(1, L.N_ROWS + 1)], "all rows through a 7-row prefetch")


@suite.check("cursor_fetch_in_chunks")
async def _():
    cn = await c()
    async with cn.transaction():
        cur = await cn.cursor(f"SELECT a FROM {DB}.t ORDER BY a")
        first = await cur.fetch(4)
        second = await cur.fetch(4)
        eq([r[0] for r in first + second], list(range(1, 9)), "two chunks of 4")


@suite.check("executemany")
async def _():
    cn = await c()
    await cn.execute(f"CREATE TABLE {DB}.many (k int, v string) USING parquet")
    data = [(i, f"v{i}") for i in range(8)]
    await cn.executemany(f"INSERT INTO {DB}.many VALUES ($1, $2)", data)
    eq([tuple(r) for r in await cn.fetch(f"SELECT k, v FROM {DB}.many ORDER BY k")], data, "rows")


@suite.check("error_classes")
async def _():
    cn = await c()
    for sql, cls, state in [
        (f"SELECT * FROM {DB}.nope", X.UndefinedTableError, "42P01"),
        ("SELEKT 1", X.PostgresSyntaxError, "42601"),
        (f"SELECT zzz FROM {DB}.t", X.UndefinedColumnError, "42703"),
    ]:
        for args in ((), (1,)) if "nope" in sql else ((),):
            try:
                await cn.fetch(sql + (" WHERE 1 = $1" if args else ""), *args)
            except asyncpg.PostgresError as e:
                ok(isinstance(e, cls), f"{sql}: expected {cls.__name__}, got {type(e).__name__} {e.sqlstate}")
                eq(e.sqlstate, state, "sqlstate")
            else:
                raise L.CheckFailed(f"{sql} succeeded")
            eq(await cn.fetchval("SELECT 1"), 1, "usable after error")


@suite.check("timeout_cancels_query")
async def _():
    cn = await connect()
    t0 = time.monotonic()
    try:
        await cn.fetch(L.SLOW_QUERY.format(db=DB), timeout=1.0)  # asyncpg sends a CancelRequest
    except asyncio.TimeoutError:
        pass
    else:
        raise L.CheckFailed("slow query finished within 1 s")
    eq(await cn.fetchval("SELECT 7"), 7, "usable after the cancelled query")
    # Uncancelled, the query runs ~50 s: the next statement must not wait for it.
    ok(time.monotonic() - t0 < 25, f"the next statement ran {time.monotonic() - t0:.1f} s after the start: cancel ignored")
    await cn.close()


@suite.check("statement_timeout_57014")
async def _():
    cn = await connect(server_settings={"statement_timeout": "500"})
    try:
        await cn.fetch(L.SLOW_QUERY.format(db=DB))
    except X.QueryCanceledError as e:
        eq(e.sqlstate, "57014", "sqlstate")
    else:
        raise L.CheckFailed("slow query finished despite statement_timeout (startup parameter)")
    await cn.close()


@suite.check("pool_reset_on_release")
async def _():
    # Releasing a pooled connection runs asyncpg's reset query (RESET ALL, UNLISTEN *, ...).
    pool = await asyncpg.create_pool(host=S["host"], port=S["port"], user=S["user"], password=S["password"],
                                     database="dli", min_size=1, max_size=1)
    for i in range(3):
        async with pool.acquire() as pc:
            await pc.execute("SET application_name = 'pooled'")
            eq(await pc.fetchval(f"SELECT count(*) FROM {DB}.t"), L.N_ROWS + 1, f"round {i}")
    async with pool.acquire() as pc:
        eq(await pc.fetchval("SHOW application_name"), "", "application_name reset by the pool")
    await pool.close()


if __name__ == "__main__":
    suite.main()
