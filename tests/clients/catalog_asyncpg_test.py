"""asyncpg's type introspection over the gateway's catalog: asyncpg asks pg_type (a
recursive query over element, range and domain types) for every type OID it does not
know, with `$1` parameters through the extended protocol. Array, json and numeric
columns, a prepared statement's attributes, and introspecting a type by name.

Run by tests/clients.rs (DLIGW_HOST/PORT/USER/PASSWORD); see tests/clients/README.md.
"""

import asyncpg

import catalog_common as C
import clientlib as L
from clientlib import eq, ok

XFAIL = {}

suite = L.Suite("catalog_asyncpg", XFAIL)
S = L.conn_settings()
state = {}


async def conn():
    if "conn" not in state:
        state["conn"] = await asyncpg.connect(
            host=S["host"], port=S["port"], user=S["user"], password=S["password"], database="dli",
            statement_cache_size=0,
        )
    return state["conn"]


@suite.check("setup")
async def _():
    cn = await conn()
    for sql in C.SETUP:
        await cn.execute(sql)


@suite.check("introspect_types_by_oid")
async def _():
    cn = await conn()
    # The query asyncpg itself sends for unknown OIDs (text[], json, numeric, int2[]).
    from asyncpg import introspection

    rows = await cn.fetch(introspection.INTRO_LOOKUP_TYPES, [1009, 114, 1700, 1005])
    by_oid = {r["oid"]: r for r in rows}
    # The recursive CTE adds the element types of the arrays (int2, text), as on Postgres.
    eq(sorted(by_oid), [21, 25, 114, 1005, 1009, 1700], "introspected OIDs")
    eq(by_oid[1009]["name"], "_text", "text[] name")
    eq(by_oid[1009]["elemtype"], 25, "text[] element")
    eq(by_oid[1009]["kind"], b"b", "text[] kind")
    eq(by_oid[1700]["ns"], "pg_catalog", "numeric namespace")


@suite.check("introspect_type_by_name")
async def _():
    cn = await conn()
    from asyncpg import introspection

    row = await cn.fetchrow(introspection.TYPE_BY_NAME, "int4", "pg_catalog")
    ok(row is not None, "int4 found")
    eq(row["oid"], 23, "int4 oid")
    eq(row["kind"], b"b", "int4 kind")


@suite.check("prepared_attributes_from_cached_metadata")
async def _():
    cn = await conn()
    st = await cn.prepare(f"SELECT id, price, tags, attrs FROM {C.DB}.items WHERE id = $1")
    eq([a.name for a in st.get_attributes()], ["id", "price", "tags", "attrs"], "attribute names")
    eq([a.type.name for a in st.get_attributes()], ["int4", "numeric", "text[]", "json"], "types")
    eq([t.name for t in st.get_parameters()], ["int4"], "parameter types")


@suite.check("catalog_query_with_parameters")
async def _():
    cn = await conn()
    rows = await cn.fetch(
        "SELECT c.relname, c.relnatts FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = $1 ORDER BY 1",
        C.DB,
    )
    eq([(r["relname"], r["relnatts"]) for r in rows], [("items", 9), ("orders", 8)], "relations")


@suite.check("array_and_json_results_decode")
async def _():
    cn = await conn()
    rows = await cn.fetch(
        "SELECT c.relname, current_schemas(true) AS path FROM pg_catalog.pg_class c "
        "WHERE c.relname = 'items'"
    )
    eq(rows[0]["relname"], "items", "relname")
    ok(isinstance(rows[0]["path"], list) and "pg_catalog" in rows[0]["path"], f"{rows[0]['path']!r}")


suite.main()
