"""psqlODBC (through pyodbc) catalog functions over the gateway: SQLTables, SQLColumns
(types, sizes, decimal digits, nullability, remarks), SQLPrimaryKeys, SQLForeignKeys and
SQLStatistics (none in DLI), SQLGetTypeInfo. psqlODBC answers these with its own
pg_catalog queries — the path Tableau and Power BI's ODBC connectors take. (psqlODBC
leaves REMARKS empty in SQLTables/SQLColumns, against Postgres too.)

Run by tests/clients.rs (DLIGW_HOST/PORT/USER/PASSWORD); see tests/clients/README.md.
"""

import pyodbc

import catalog_common as C
import clientlib as L
from clientlib import eq, ok

XFAIL = {}

suite = L.Suite("catalog_pyodbc", XFAIL)
S = L.conn_settings()
state = {}


def conn():
    if "conn" not in state:
        cs = (
            "DRIVER={PostgreSQL Unicode};SERVER=%s;PORT=%d;DATABASE=dli;UID=%s;PWD=%s;"
            "UseServerSidePrepare=1;BoolsAsChar=0;TextAsLongVarchar=0;MaxVarcharSize=65535"
            % (S["host"], S["port"], S["user"], S["password"])
        )
        state["conn"] = pyodbc.connect(cs, autocommit=True)
    return state["conn"]


@suite.check("setup")
def _():
    cur = conn().cursor()
    C.setup(lambda sql: cur.execute(sql))


@suite.check("sqltables")
def _():
    rows = conn().cursor().tables(schema=C.DB).fetchall()
    eq(sorted((r.table_schem, r.table_name, r.table_type) for r in rows),
       [(C.DB, "items", "TABLE"), (C.DB, "orders", "TABLE")], "SQLTables")
    # No schema: psqlODBC lists the current schema (the session's DLI database).
    eq(conn().cursor().tables(table="%").fetchall(), [], "current schema `default` is empty")


@suite.check("sqlcolumns")
def _():
    cols = conn().cursor().columns(table="items", schema=C.DB).fetchall()
    eq([c.column_name for c in cols], [c[0] for c in C.ITEMS], "column names")
    by = {c.column_name: c for c in cols}
    eq(by["id"].type_name, "int4", "id type")
    eq(by["price"].type_name, "numeric", "price type")
    eq((by["price"].column_size, by["price"].decimal_digits), (10, 2), "numeric(10,2)")
    eq(by["code"].column_size, 20, "varchar(20)")
    eq(by["added"].type_name, "date", "date")
    eq(by["id"].nullable, 1, "nullable")
    eq([c.ordinal_position for c in cols], list(range(1, 10)), "ordinal positions")


@suite.check("keys_and_statistics_are_empty")
def _():
    cur = conn().cursor()
    eq(cur.primaryKeys("items", schema=C.DB).fetchall(), [], "SQLPrimaryKeys")
    eq(cur.foreignKeys(table="items", schema=C.DB).fetchall(), [], "SQLForeignKeys")
    stats = [r for r in cur.statistics("items", schema=C.DB).fetchall() if r.index_name]
    eq(stats, [], "SQLStatistics indexes")


@suite.check("sqlgettypeinfo")
def _():
    names = {r.type_name for r in conn().cursor().getTypeInfo().fetchall()}
    ok({"int4", "int8", "numeric", "date", "varchar", "bool"} <= names, f"types {sorted(names)}")


@suite.check("declare_fetch_mode")
def _():
    # psqlODBC's declare/fetch mode (UseDeclareFetch=1): it wraps a query in
    # DECLARE … CURSOR and reads it with FETCH <Fetch rows>, which the gateway answers.
    conn().cursor().execute(
        f"INSERT INTO {C.DB}.orders VALUES (2, 20, 3, 1.25, false, 'cd', 1.5, X'01'), "
        "(3, 30, 4, 2.5, true, 'ef', 2.5, X'02'), (4, 40, 5, 3.75, false, 'gh', 3.5, X'03')"
    )
    want = [tuple(r) for r in conn().cursor().execute(f"SELECT id, qty, note FROM {C.DB}.orders ORDER BY id").fetchall()]
    cs = (
        "DRIVER={PostgreSQL Unicode};SERVER=%s;PORT=%d;DATABASE=dli;UID=%s;PWD=%s;"
        "UseDeclareFetch=1;Fetch=2"
        % (S["host"], S["port"], S["user"], S["password"])
    )
    cn = pyodbc.connect(cs, autocommit=False)
    try:
        cur = cn.cursor()
        cur.execute(f"SELECT id, qty, note FROM {C.DB}.orders ORDER BY id")
        got = [tuple(r) for r in cur.fetchall()]
        eq(got, want, "every row through FETCH 2")
        eq(len(got), 4, "row count")
        cn.commit()
    finally:
        cn.close()


suite.main()
