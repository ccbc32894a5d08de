"""psycopg2 and pandas over results larger than DLI's 1000-row preview (issue 8): a
psycopg2 named cursor iterated with itersize, and pandas.read_sql (SQLAlchemy + psycopg2,
as catalog_sqlalchemy_test.py) of all 100,000 rows of `big`, every value checked against
bigdata.big_row.

Run by tests/clients.rs (DLIGW_BIG_MODE); see tests/clients/README.md.
"""

import math
from decimal import Decimal

import pandas as pd
import psycopg2
import sqlalchemy as sa

import bigdata as B
import clientlib as L
from clientlib import CheckFailed, eq

DB = "c_big_psycopg2"

# Checks that fail because the gateway lacks a feature. Remove an entry when the feature
# lands: an entry whose check passes is reported as XPASS and fails the run.
XFAIL = {}

suite = L.Suite(f"big_psycopg2[{B.MODE}]", XFAIL)
S = L.conn_settings()
SELECT = B.BIG_SELECT.format(db=DB)


def connect():
    return psycopg2.connect(host=S["host"], port=S["port"], user=S["user"], password=S["password"], dbname="dli")


@suite.check("setup")
def _():
    conn = connect()
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE {DB}")
        cur.execute(B.BIG_CREATE.format(db=DB))
    conn.close()


@suite.check("named_cursor_itersize")
def _():
    conn = connect()  # not autocommit: psycopg2 declares the cursor in a transaction
    try:
        with conn.cursor(name="big_cur") as cur:
            cur.itersize = 3000
            cur.execute(SELECT)
            chk = B.BigChecker(what="named cursor")
            for r in cur:
                chk.add(r)
            chk.done()
            eq([d.type_code for d in cur.description], B.OIDS, "column types")
        conn.commit()
        with conn.cursor() as cur:
            cur.execute("SELECT 7")
            eq(cur.fetchone(), (7,), "after the cursor")
    finally:
        conn.close()


@suite.check("pandas_read_sql_all_rows")
def _():
    url = sa.engine.URL.create("postgresql+psycopg2", username=S["user"], password=S["password"],
                               host=S["host"], port=S["port"], database="dli")
    engine = sa.create_engine(url)
    try:
        with engine.connect() as cn:
            df = pd.read_sql(sa.text(SELECT), cn)
    finally:
        engine.dispose()
    eq(list(df.columns), B.COLS, "columns")
    eq(len(df), B.N_BIG, "rows")
    eq(str(df["id"].dtype), "int64", "id dtype")
    eq(str(df["x"].dtype), "int64", "x dtype")
    # read_sql's default coerce_float turns numeric into float64 (NaN for NULL); every
    # value here is a multiple of 0.25, exact in a float.
    eq(str(df["d"].dtype), "float64", "d dtype")
    for i, (id_, x, s, d) in enumerate(zip(df["id"].tolist(), df["x"].tolist(), df["s"].tolist(), df["d"].tolist())):
        w = B.big_row(i)
        wd = None if w[3] is None else float(w[3])
        if (id_, x, s) != w[:3] or (not math.isnan(d) if wd is None else d != wd):
            raise CheckFailed(f"pandas row {i}: expected {w!r}, got {(id_, x, s, d)!r}")
    # And with coerce_float=False the Decimals themselves, None for NULL.
    engine = sa.create_engine(url)
    try:
        with engine.connect() as cn:
            dfd = pd.read_sql(sa.text(f"SELECT d FROM {DB}.big ORDER BY id"), cn, coerce_float=False)
    finally:
        engine.dispose()
    got = dfd["d"].tolist()
    eq(len(got), B.N_BIG, "decimal rows")
    for i, d in enumerate(got):
        w = B.big_row(i)[3]
        null = d is None or (isinstance(d, float) and math.isnan(d))
        if not (null and w is None) and not (isinstance(d, Decimal) and d == w and str(d) == str(w)):
            raise CheckFailed(f"pandas decimal row {i}: expected {w!r}, got {d!r}")


if __name__ == "__main__":
    suite.main()
