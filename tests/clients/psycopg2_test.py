"""psycopg2 against the gateway: simple protocol with client-side parameter interpolation
(standard_conforming_strings=on quoting), text results and their types, error classes,
cancel, implicit transactions.

Run by tests/clients.rs (DLIGW_HOST/PORT/USER/PASSWORD); see tests/clients/README.md.
"""

import re
import threading
import time

import psycopg2
import psycopg2.errors
import psycopg2.extensions

import clientlib as L
from clientlib import eq, ok

DB = "c_psycopg2"

# Checks that fail because the gateway lacks a feature (issue 3). Remove an entry when the
# feature lands: an entry whose check passes is reported as XPASS and fails the run.
XFAIL = {}

suite = L.Suite("psycopg2", XFAIL)
S = L.conn_settings()


def connect(autocommit=True):
    cn = psycopg2.connect(host=S["host"], port=S["port"], user=S["user"], password=S["password"], dbname="dli")
    cn.autocommit = autocommit
    return cn


conn = connect()


def q(sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall() if cur.description is not None else []
        return rows, [d.type_code for d in cur.description or []], cur.statusmessage


@suite.check("server_version_and_encoding")
def _():
    ok(conn.server_version >= 100000, f"server_version {conn.server_version}")
    eq(conn.encoding, "UTF8", "client encoding")
    eq(conn.get_parameter_status("standard_conforming_strings"), "on", "standard_conforming_strings")
    v = q("SELECT version()")[0][0][0]
    ok(re.match(r"PostgreSQL \d+\.\d+", v), f"version() {v!r}")


@suite.check("setup_database_and_tables")
def _():
    q(f"CREATE DATABASE {DB}")
    q(L.create_sql(DB))
    eq(q(L.insert_sql(DB))[2], f"INSERT 0 {L.N_ROWS + 1}", "INSERT tag")
    q(L.NESTED_CREATE.format(db=DB))
    q(L.NESTED_INSERT.format(db=DB))
    for s in L.SLOW_SETUP:
        q(s.format(db=DB))


@suite.check("select_values_and_types")
def _():
    rows, types, _ = q(f"SELECT {', '.join(L.COLUMN_NAMES)} FROM {DB}.t ORDER BY a")
    eq(types, [L.OIDS[n] for n in L.COLUMN_NAMES], "column type OIDs")
    eq(len(rows), L.N_ROWS + 1, "row count")
    for got, want in zip(rows, L.all_rows()):
        # psycopg2 returns bytea as memoryview
        got = tuple(bytes(v) if isinstance(v, memoryview) else v for v in got)
        for i, (g, w) in enumerate(zip(got, want)):
            eq(g, w, f"row a={want[0]} column {L.COLUMN_NAMES[i]}")


@suite.check("named_cursor_fetches_in_pieces")
def _():
    # A named (server-side) cursor: DECLARE … CURSOR WITHOUT HOLD, then FETCH FORWARD
    # itersize until empty, CLOSE; the gateway answers all of them itself.
    cn = connect(autocommit=False)
    try:
        cur = cn.cursor(name="gw_named")
        cur.itersize = 7
        cur.execute(f"SELECT a, b, c FROM {DB}.t ORDER BY a")
        got = [tuple(r) for r in cur]
        eq(got, [(r[0], r[1], r[2]) for r in L.all_rows()], "every row through FETCH FORWARD 7")
        cur.close()
        cn.commit()
        cur = cn.cursor(name="gw_named_many")
        cur.execute(f"SELECT a FROM {DB}.t ORDER BY a")
        eq([r[0] for r in cur.fetchmany(4)], [1, 2, 3, 4], "fetchmany(4)")
        eq(len(cur.fetchall()), L.N_ROWS + 1 - 4, "fetchall after fetchmany")
        cur.close()
        cn.rollback()
    finally:
        cn.close()


@suite.check("aggregates_match_python")
def _():
    data = L.all_rows()[: L.N_ROWS]
    rows, types, _ = q(f"SELECT sum(a), sum(c), avg(r), max(b), count(*) FILTER (WHERE g) FROM {DB}.t")
    eq(rows, [(sum(x[0] for x in data) + L.N_ROWS + 1, sum(x[2] for x in data),
               sum(x[10] for x in data) / L.N_ROWS, max(x[1] for x in data), sum(1 for x in data if x[6]))], "aggregates")
    eq(types, [L.INT8, L.NUMERIC, L.FLOAT8, L.TEXT, L.INT8], "types")


@suite.check("nested_types")
def _():
    rows, types, _ = q(f"SELECT k, arr, sa, m, st FROM {DB}.nested ORDER BY k")
    eq(types, L.NESTED_OIDS, "nested OIDs")
    eq(rows, L.NESTED_EXPECTED, "nested values")


@suite.check("interpolated_params_basic")
def _():
    for k in (1, 2, 15, L.N_ROWS):
        rows, _, _ = q(f"SELECT a, b, c, d, e, g FROM {DB}.t WHERE a = %s AND b = %s", (k, L.row(k)[1]))
        w = L.row(k)
        eq(rows, [(w[0], w[1], w[2], w[3], w[4], w[6])], f"a = {k}")


@suite.check("interpolated_hostile_strings_roundtrip")
def _():
    # psycopg2 quotes with standard_conforming_strings=on: 'it''s', backslashes verbatim.
    for s in L.HOSTILE:
        rows, types, _ = q("SELECT %s AS v", (s,))
        eq(rows, [(s,)], f"round trip of {s[:40]!r}")
        eq(types, [L.TEXT], "type")


@suite.check("standard_conforming_strings_off")
def _():
    # A session started with standard_conforming_strings=off: the gateway reports it at
    # startup, psycopg2 then quotes with E'' strings, and plain '...' literals read
    # backslash escapes, as on Postgres. Every hostile value still reaches Spark intact.
    c = psycopg2.connect(host=S["host"], port=S["port"], user=S["user"], password=S["password"],
                         dbname="dli", options="-c standard_conforming_strings=off")
    c.autocommit = True
    try:
        eq(c.get_parameter_status("standard_conforming_strings"), "off", "reported at startup")
        with c.cursor() as cur:
            for s in L.HOSTILE:
                cur.execute(f"SELECT %s AS v FROM {DB}.t LIMIT 1", (s,))
                eq(cur.fetchall(), [(s,)], f"round trip of {s[:40]!r} through DLI")
            for s in L.HOSTILE[:6]:
                cur.execute(f"SELECT count(*) FROM {DB}.t WHERE b = %s", (s,))
                eq(cur.fetchall(), [(0,)], f"no injection by {s[:40]!r}")
            cur.execute(f"SELECT 'it\\'s' AS v FROM {DB}.t LIMIT 1")
            eq(cur.fetchall(), [("it's",)], "a backslash escape in a plain literal")
            cur.execute("SET standard_conforming_strings = on")
            eq(c.get_parameter_status("standard_conforming_strings"), "on", "reported after SET")
            cur.execute(f"SELECT 'a\\b' AS v FROM {DB}.t LIMIT 1")
            eq(cur.fetchall(), [("a\\b",)], "backslashes literal again")
    finally:
        c.close()


@suite.check("interpolated_hostile_strings_do_not_inject")
def _():
    for s in L.HOSTILE:
        rows, _, _ = q(f"SELECT count(*) FROM {DB}.t WHERE b = %s", (s,))
        eq(rows, [(0,)], f"rows matching {s[:40]!r}")


@suite.check("interpolated_typed_values")
def _():
    # date, timestamp, Decimal, float, bool and None as psycopg2 renders them
    # ('2024-01-02'::date, '2024-01-01T01:00:00.000001'::timestamp, Decimal('1.25') ...).
    for k in (1, 2, L.N_ROWS + 1):
        w = L.row(k)
        rows, _, _ = q("SELECT %s, %s, %s, %s, %s", (w[3], w[4], w[2], w[5], w[6]))
        eq(rows, [(w[3], w[4], w[2], w[5], w[6])], f"typed literals of row {k}")


@suite.check("interpolated_bytes")
def _():
    b = bytes(range(256))
    rows, types, _ = q("SELECT %s", (b,))  # '\x00010203...'::bytea
    eq(bytes(rows[0][0]), b, "bytea round trip")
    eq(types, [L.BYTEA], "type")


@suite.check("insert_with_interpolated_params")
def _():
    q(f"CREATE TABLE {DB}.p (k int, v string, d date, ts timestamp, n decimal(10,2)) USING parquet")
    data = [(i, L.HOSTILE[i], L.row(i + 1)[3], L.row(i + 1)[4], L.row(i + 1)[2]) for i in range(6)]
    for r in data:
        eq(q(f"INSERT INTO {DB}.p VALUES (%s, %s, %s, %s, %s)", r)[2], "INSERT 0 1", "tag")
    rows, _, _ = q(f"SELECT k, v, d, ts, n FROM {DB}.p ORDER BY k")
    eq(rows, data, "read back")


@suite.check("multi_statement_execute")
def _():
    with conn.cursor() as cur:
        cur.execute(f"CREATE TABLE {DB}.m (x int) USING parquet; INSERT INTO {DB}.m VALUES (1), (2); SELECT sum(x) FROM {DB}.m")
        eq(cur.fetchall(), [(3,)], "last result of a multi-statement query")


@suite.check("error_classes")
def _():
    for sql, cls, state in [
        (f"SELECT * FROM {DB}.nope", psycopg2.errors.UndefinedTable, "42P01"),
        ("SELEKT 1", psycopg2.errors.SyntaxError, "42601"),
        (f"SELECT zzz FROM {DB}.t", psycopg2.errors.UndefinedColumn, "42703"),
    ]:
        try:
            q(sql)
        except psycopg2.Error as e:
            ok(isinstance(e, cls), f"{sql}: expected {cls.__name__}, got {type(e).__name__} {e.pgcode}")
            eq(e.pgcode, state, "pgcode")
        else:
            raise L.CheckFailed(f"{sql} succeeded")
        eq(q("SELECT 1")[0], [(1,)], "usable after error")


@suite.check("implicit_transaction")
def _():
    tc = connect(autocommit=False)
    with tc.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {DB}.t")
        eq(cur.fetchone(), (L.N_ROWS + 1,), "count")
        eq(tc.get_transaction_status(), psycopg2.extensions.TRANSACTION_STATUS_INTRANS, "in transaction")
    tc.commit()
    with tc.cursor() as cur:
        try:
            cur.execute("SELEKT")
        except psycopg2.errors.SyntaxError:
            pass
    tc.rollback()
    with tc.cursor() as cur:
        cur.execute("SELECT 2")
        eq(cur.fetchone(), (2,), "usable after rollback")
    tc.close()


@suite.check("cancel")
def _():
    cc = connect()
    res = {}

    def run():
        try:
            with cc.cursor() as cur:
                cur.execute(L.SLOW_QUERY.format(db=DB))
                res["rows"] = cur.fetchall()
        except Exception as e:  # noqa: BLE001
            res["error"] = e

    t = threading.Thread(target=run)
    t0 = time.monotonic()
    t.start()
    time.sleep(1.0)
    cc.cancel()
    t.join(60)
    ok(not t.is_alive(), "still running 60 s after cancel")
    e = res.get("error")
    ok(isinstance(e, psycopg2.extensions.QueryCanceledError), f"expected QueryCanceledError, got {res}")
    eq(e.pgcode, "57014", "pgcode")
    ok(time.monotonic() - t0 < 25, f"cancel took {time.monotonic() - t0:.1f} s")
    with cc.cursor() as cur:
        cur.execute("SELECT 3")
        eq(cur.fetchone(), (3,), "usable after cancel")
    cc.close()


if __name__ == "__main__":
    suite.main()
