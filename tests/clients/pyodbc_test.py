"""psqlODBC (through pyodbc) binding and quoting: every hostile string round-trips through
DLI and injects nothing, with parameters interpolated by the driver (UseServerSidePrepare=0,
psqlODBC quotes them itself, following the server's standard_conforming_strings) and bound
by the server (UseServerSidePrepare=1), each with standard_conforming_strings on (the
default) and off (set with the driver's ConnSettings, as a DSN would).

Run by tests/clients.rs (DLIGW_HOST/PORT/USER/PASSWORD); see tests/clients/README.md.
"""

import pyodbc

import clientlib as L
from clientlib import eq

XFAIL = {}

DB = "c_pyodbc"
suite = L.Suite("pyodbc", XFAIL)
S = L.conn_settings()


def connect(server_side, scs_off):
    cs = (
        "DRIVER={PostgreSQL Unicode};SERVER=%s;PORT=%d;DATABASE=dli;UID=%s;PWD=%s;"
        "UseServerSidePrepare=%d;MaxVarcharSize=65535;MaxLongVarcharSize=200000;"
        % (S["host"], S["port"], S["user"], S["password"], 1 if server_side else 0)
    )
    if scs_off:
        cs += "ConnSettings={SET standard_conforming_strings=off};"
    return pyodbc.connect(cs, autocommit=True)


@suite.check("setup")
def _():
    cn = connect(True, False)
    cur = cn.cursor()
    cur.execute(f"CREATE DATABASE {DB}")
    cur.execute(f"CREATE TABLE {DB}.t (a int, b string) USING parquet")
    cur.execute(f"INSERT INTO {DB}.t VALUES (1, 'x')")
    cn.close()


def hostile_round_trip(server_side, scs_off):
    cn = connect(server_side, scs_off)
    try:
        cur = cn.cursor()
        shown = cur.execute("SHOW standard_conforming_strings").fetchone()[0]
        eq(shown, "off" if scs_off else "on", "the session's setting")
        marks = ", ".join("?" for _ in L.HOSTILE)
        # One DLI job for every value: each must come back exactly as sent.
        row = cur.execute(f"SELECT {marks} FROM {DB}.t LIMIT 1", *L.HOSTILE).fetchone()
        for got, want in zip(row, L.HOSTILE):
            eq(got, want, f"round trip of {want[:40]!r}")
        # None of them may match (or widen) the predicate.
        row = cur.execute(f"SELECT count(*) FROM {DB}.t WHERE b IN ({marks})", *L.HOSTILE).fetchone()
        eq(int(row[0]), 0, "no hostile value injects")
        if scs_off:
            got = cur.execute(f"SELECT 'it\\'s' FROM {DB}.t LIMIT 1").fetchone()[0]
            eq(got, "it's", "a backslash escape in a plain literal")
        else:
            got = cur.execute(f"SELECT 'a\\b' FROM {DB}.t LIMIT 1").fetchone()[0]
            eq(got, "a\\b", "backslashes are literal")
    finally:
        cn.close()


@suite.check("interpolated_standard_conforming_strings_on")
def _():
    hostile_round_trip(False, False)


@suite.check("interpolated_standard_conforming_strings_off")
def _():
    hostile_round_trip(False, True)


@suite.check("server_bound_standard_conforming_strings_on")
def _():
    hostile_round_trip(True, False)


@suite.check("server_bound_standard_conforming_strings_off")
def _():
    hostile_round_trip(True, True)


suite.main()
