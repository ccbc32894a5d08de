"""SQLAlchemy inspect() reflection through both Postgres dialects (psycopg2, psycopg 3)
and pandas.read_sql over the gateway's catalog: schemas, tables, views, columns with
types, nullability and comments, primary/foreign keys and indexes (none in DLI), table
comments, whole-schema MetaData.reflect(), then a reflected table read with pandas.

Run by tests/clients.rs (DLIGW_HOST/PORT/USER/PASSWORD); see tests/clients/README.md.
"""

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

import catalog_common as C
import clientlib as L
from clientlib import eq, ok

XFAIL = {}

suite = L.Suite("catalog_sqlalchemy", XFAIL)
S = L.conn_settings()


def engine(driver):
    url = sa.engine.URL.create(
        f"postgresql+{driver}", username=S["user"], password=S["password"],
        host=S["host"], port=S["port"], database="dli",
    )
    return sa.create_engine(url, pool_pre_ping=False)


ENGINES = {"psycopg2": engine("psycopg2"), "psycopg": engine("psycopg")}


@suite.check("setup")
def _():
    with ENGINES["psycopg2"].connect() as cn:
        cn = cn.execution_options(isolation_level="AUTOCOMMIT")
        C.setup(lambda sql: cn.exec_driver_sql(sql))


def expected_types():
    return [
        sa.INTEGER, sa.TEXT, sa.NUMERIC, sa.VARCHAR, sa.DATE, sa.TIMESTAMP, pg.ARRAY, sa.JSON, sa.TEXT,
    ]


for driver, eng in ENGINES.items():

    @suite.check(f"{driver}_schemas_tables_views")
    def _(eng=eng):
        insp = sa.inspect(eng)
        schemas = insp.get_schema_names()
        ok(C.DB in schemas and "default" in schemas, f"schemas {schemas}")
        ok("pg_catalog" not in schemas, f"pg_catalog hidden: {schemas}")
        eq(sorted(insp.get_table_names(schema=C.DB)), ["items", "orders"], "tables")
        eq(insp.get_view_names(schema=C.DB), [], "views")
        ok(insp.has_table("items", schema=C.DB), "has_table items")
        ok(not insp.has_table("nope", schema=C.DB), "has_table nope")
        ok(insp.has_schema(C.DB), "has_schema")

    @suite.check(f"{driver}_columns")
    def _(eng=eng):
        cols = sa.inspect(eng).get_columns("items", schema=C.DB)
        eq([c["name"] for c in cols], [c[0] for c in C.ITEMS], "column names")
        for c, want in zip(cols, expected_types()):
            ok(isinstance(c["type"], want), f"{c['name']}: {c['type']!r} is not {want.__name__}")
            eq(c["nullable"], True, f"{c['name']} nullable")
            eq(c["default"], None, f"{c['name']} default")
        price = cols[2]["type"]
        eq((price.precision, price.scale), (10, 2), "numeric(10,2)")
        eq(cols[3]["type"].length, 20, "varchar(20)")
        ok(isinstance(cols[6]["type"].item_type, sa.TEXT), f"tags item type {cols[6]['type']!r}")
        eq(cols[0]["comment"], "item id", "column comment")
        eq(cols[8]["comment"], f"{C.PARTITION_MARK} load day", "partition column comment")

    @suite.check(f"{driver}_keys_indexes_comments")
    def _(eng=eng):
        insp = sa.inspect(eng)
        pk = insp.get_pk_constraint("items", schema=C.DB)
        eq(pk["constrained_columns"], [], "no primary key")
        eq(insp.get_foreign_keys("items", schema=C.DB), [], "no foreign keys")
        eq(insp.get_indexes("items", schema=C.DB), [], "no indexes")
        eq(insp.get_unique_constraints("items", schema=C.DB), [], "no unique constraints")
        eq(insp.get_table_comment("items", schema=C.DB)["text"], C.ITEMS_COMMENT, "table comment")

    @suite.check(f"{driver}_metadata_reflect")
    def _(eng=eng):
        md = sa.MetaData()
        md.reflect(bind=eng, schema=C.DB)
        eq(sorted(md.tables), [f"{C.DB}.items", f"{C.DB}.orders"], "reflected tables")
        orders = md.tables[f"{C.DB}.orders"]
        eq([c.name for c in orders.columns], C.ORDERS, "orders columns")
        eq(type(orders.c.qty.type), sa.SMALLINT, "qty type")
        eq(type(orders.c.raw.type), pg.BYTEA, "raw type")
        eq(type(orders.c.note.type), sa.CHAR, "note type")

    @suite.check(f"{driver}_pandas_read_sql")
    def _(eng=eng):
        df = pd.read_sql(
            sa.text(
                "SELECT column_name, data_type, numeric_precision, numeric_scale "
                "FROM information_schema.columns WHERE table_schema = :s AND table_name = 'items' "
                "ORDER BY ordinal_position"
            ),
            eng,
            params={"s": C.DB},
        )
        eq(list(df["column_name"]), [c[0] for c in C.ITEMS], "columns via information_schema")
        eq(df["data_type"][2], "numeric", "price data_type")
        eq(int(df["numeric_precision"][2]), 10, "price precision")
        data = pd.read_sql_table("orders", eng, schema=C.DB)
        eq(list(data.columns), C.ORDERS, "read_sql_table columns")
        eq(int(data["id"][0]), 1, "read_sql_table value")


suite.main()
