"""asyncpg over results larger than DLI's 1000-row preview (issue 8): `conn.cursor()`
iteration in a transaction (Execute with a row limit, PortalSuspended, resumed) and a
plain fetch of the 100,000-row `big` table, every value checked against bigdata.big_row.

Run by tests/clients.rs (DLIGW_BIG_MODE); see tests/clients/README.md.
"""

import asyncpg

import bigdata as B
import clientlib as L
from clientlib import eq

DB = "c_big_asyncpg"

# Checks that fail because the gateway lacks a feature. Remove an entry when the feature
# lands: an entry whose check passes is reported as XPASS and fails the run.
XFAIL = {}

suite = L.Suite(f"big_asyncpg[{B.MODE}]", XFAIL)
S = L.conn_settings()
SELECT = B.BIG_SELECT.format(db=DB)


async def connect():
    return await asyncpg.connect(host=S["host"], port=S["port"], user=S["user"], password=S["password"],
                                 database="dli", statement_cache_size=0)


@suite.check("setup")
async def _():
    conn = await connect()
    try:
        await conn.execute(f"CREATE DATABASE {DB}")
        await conn.execute(B.BIG_CREATE.format(db=DB))
    finally:
        await conn.close()


@suite.check("cursor_iteration_in_transaction")
async def _():
    conn = await connect()
    try:
        chk = B.BigChecker(convert=lambda r: (r["id"], r["x"], r["s"], r["d"]), what="asyncpg cursor")
        async with conn.transaction():
            async for r in conn.cursor(SELECT, prefetch=2500):
                chk.add(r)
        chk.done()
        eq(await conn.fetchval("SELECT 3"), 3, "after the cursor")
    finally:
        await conn.close()


@suite.check("cursor_fetch_chunks")
async def _():
    conn = await connect()
    try:
        chk = B.BigChecker(convert=tuple, what="asyncpg cursor.fetch")
        async with conn.transaction():
            cur = await conn.cursor(SELECT)
            while True:
                rows = await cur.fetch(4096)
                chk.add_all(rows)
                if len(rows) < 4096:
                    break
        chk.done()
    finally:
        await conn.close()


@suite.check("fetch_all_rows")
async def _():
    conn = await connect()
    try:
        chk = B.BigChecker(convert=tuple, what="asyncpg fetch")
        chk.add_all(await conn.fetch(SELECT))
        chk.done()
    finally:
        await conn.close()


if __name__ == "__main__":
    suite.main()
