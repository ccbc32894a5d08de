"""psycopg 3 against the gateway: server-side parameters, Describe-before-Bind, prepared
statements past prepare_threshold, text and binary results, error classes, cancel.

Run by tests/clients.rs (DLIGW_HOST/PORT/USER/PASSWORD); see tests/clients/README.md.
"""

import re
import threading
import time

import psycopg
from psycopg import errors, pq

import clientlib as L
from clientlib import eq, ok

DB = "c_psycopg3"

# Checks that fail because the gateway lacks a feature (issue 3). Remove an entry when the
# feature lands: an entry whose check passes is reported as XPASS and fails the run.
XFAIL = {}

suite = L.Suite("psycopg3", XFAIL)


def connect(**kw):
    kw.setdefault("autocommit", True)
    return psycopg.connect(L.conninfo(), **kw)


conn = None


def c():
    global conn
    if conn is None or conn.closed:
        conn = connect()
    return conn


def q(sql, params=None, prepare=None, **kw):
    """(rows, column type OIDs, command tag) of one statement on the shared connection."""
    with c().cursor(**kw) as cur:
        cur.execute(sql, params, prepare=prepare)
        rows = cur.fetchall() if cur.description is not None else []
        return rows, [d.type_code for d in cur.description or []], cur.statusmessage


@suite.check("startup_parameters")
def _():
    info = c().info
    eq(info.parameter_status("client_encoding"), "UTF8", "client_encoding")
    eq(info.parameter_status("server_encoding"), "UTF8", "server_encoding")
    eq(info.parameter_status("standard_conforming_strings"), "on", "standard_conforming_strings")
    eq(info.parameter_status("integer_datetimes"), "on", "integer_datetimes")
    ok(info.parameter_status("DateStyle").startswith("ISO"), f"DateStyle {info.parameter_status('DateStyle')}")
    ok(info.parameter_status("TimeZone") is not None, "TimeZone reported")
    ok(info.parameter_status("application_name") is not None, "application_name reported")
    ok(info.server_version >= 100000, f"server_version {info.server_version}")


@suite.check("version_parseable")
def _():
    rows, types, _ = q("SELECT version()")
    m = re.match(r"PostgreSQL (\d+)\.(\d+)", rows[0][0])
    ok(m is not None, f"version() {rows[0][0]!r} is not 'PostgreSQL N.M ...'")
    eq(types, [L.TEXT], "version() type")
    eq(int(m.group(1)) * 10000, c().info.server_version // 10000 * 10000, "version() major vs server_version")


@suite.check("setup_database_and_tables")
def _():
    with c().cursor() as cur:
        cur.execute(f"CREATE DATABASE {DB}")
        cur.execute(L.create_sql(DB))
        cur.execute(L.insert_sql(DB))
        eq(cur.statusmessage, f"INSERT 0 {L.N_ROWS + 1}", "INSERT tag")
        cur.execute(L.NESTED_CREATE.format(db=DB))
        cur.execute(L.NESTED_INSERT.format(db=DB))
        for s in L.SLOW_SETUP:
            cur.execute(s.format(db=DB))


SELECT_ALL = f"SELECT {', '.join(L.COLUMN_NAMES)} FROM {DB}.t ORDER BY a"


@suite.check("select_text_values_and_types")
def _():
    rows, types, tag = q(SELECT_ALL)
    eq(types, [L.OIDS[n] for n in L.COLUMN_NAMES], "column type OIDs")
    eq(len(rows), L.N_ROWS + 1, "row count")
    for got, want in zip(rows, L.all_rows()):
        for i, (g, w) in enumerate(zip(got, want)):
            eq(g, w, f"row a={want[0]} column {L.COLUMN_NAMES[i]}")


@suite.check("select_command_tag")
def _():
    eq(q(SELECT_ALL)[2], f"SELECT {L.N_ROWS + 1}", "command tag (simple protocol)")
    eq(q(SELECT_ALL.replace("ORDER BY a", "WHERE a < %s"), (4,))[2], "SELECT 3", "command tag (extended)")


@suite.check("select_binary_values_and_types")
def _():
    rows, types, tag = q(SELECT_ALL, binary=True)
    eq(types, [L.OIDS[n] for n in L.COLUMN_NAMES], "column type OIDs")
    for got, want in zip(rows, L.all_rows()):
        for i, (g, w) in enumerate(zip(got, want)):
            eq(g, w, f"binary row a={want[0]} column {L.COLUMN_NAMES[i]}")
    eq(len(rows), L.N_ROWS + 1, "row count")


@suite.check("aggregates_match_python")
def _():
    data = L.all_rows()[: L.N_ROWS]
    rows, types, _ = q(
        f"SELECT count(*), sum(a), sum(c), sum(h), max(d), min(e), avg(f), count(b), "
        f"sum(CASE WHEN g THEN 1 ELSE 0 END) FROM {DB}.t"
    )
    r = rows[0]
    eq(r[0], L.N_ROWS + 1, "count(*)")
    eq(r[1], sum(x[0] for x in data) + L.N_ROWS + 1, "sum(a)")
    eq(r[2], sum(x[2] for x in data), "sum(c)")
    eq(r[3], sum(x[7] for x in data), "sum(h)")
    eq(r[4], max(x[3] for x in data), "max(d)")
    eq(r[5], min(x[4] for x in data), "min(e)")
    eq(r[6], sum(x[5] for x in data) / L.N_ROWS, "avg(f)")
    eq(r[7], L.N_ROWS, "count(b)")
    eq(r[8], sum(1 for x in data if x[6]), "count of g")
    eq(types, [L.INT8, L.INT8, L.NUMERIC, L.INT8, L.DATE, L.TIMESTAMP, L.FLOAT8, L.INT8, L.INT8], "aggregate types")


@suite.check("nested_types_text")
def _():
    rows, types, _ = q(f"SELECT k, arr, sa, m, st FROM {DB}.nested ORDER BY k")
    eq(types, L.NESTED_OIDS, "nested OIDs")
    eq([tuple(r) for r in rows], L.NESTED_EXPECTED, "nested values")


@suite.check("nested_types_binary")
def _():
    rows, types, _ = q(f"SELECT k, arr, sa, m, st FROM {DB}.nested ORDER BY k", binary=True)
    eq(types, L.NESTED_OIDS, "nested OIDs")
    eq([tuple(r) for r in rows], L.NESTED_EXPECTED, "nested values (binary)")


@suite.check("server_side_params_past_prepare_threshold")
def _():
    # psycopg prepares a query server-side after prepare_threshold (5) executions.
    ok(c().prepare_threshold == 5, "default prepare_threshold")
    for k in list(range(1, 13)) + [3, 1]:
        rows, types, _ = q(f"SELECT a, b, c, h FROM {DB}.t WHERE a = %s", (k,))
        w = L.row(k)
        eq(rows, [(w[0], w[1], w[2], w[7])], f"a = {k}")
        eq(types, [L.INT4, L.TEXT, L.NUMERIC, L.INT8], "types")


@suite.check("server_side_params_binary_results_prepared")
def _():
    for k in range(1, 9):
        rows, _, _ = q(SELECT_ALL.replace("ORDER BY a", "WHERE a = %s"), (k,), binary=True)
        eq(rows, [L.row(k)], f"binary a = {k}")


@suite.check("explicit_prepare")
def _():
    for k in (4, 5, 4):
        rows, _, _ = q(f"SELECT b FROM {DB}.t WHERE a = %s AND g = %s", (k, L.row(k)[6]), prepare=True)
        eq(rows, [(L.row(k)[1],)], f"prepared a = {k}")


@suite.check("typed_params_insert_roundtrip")
def _():
    cols = "a int, b string, c decimal(10,2), d date, e timestamp, f double, g boolean, h bigint, i binary"
    q(f"CREATE TABLE {DB}.p ({cols}) USING parquet")
    with c().cursor() as cur:
        for k in (1, 2, L.N_ROWS + 1):
            cur.execute(f"INSERT INTO {DB}.p VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)", L.row(k)[:9])
            eq(cur.rowcount, 1, "rowcount")
    rows, types, _ = q(f"SELECT a, b, c, d, e, f, g, h, i FROM {DB}.p ORDER BY a")
    eq(rows, [L.row(k)[:9] for k in (1, 2, L.N_ROWS + 1)], "inserted values read back")


@suite.check("hostile_strings_roundtrip_as_params")
def _():
    for s in L.HOSTILE:
        rows, types, _ = q("SELECT CAST(%s AS STRING) AS v", (s,))
        eq(rows, [(s,)], f"round trip of {s[:40]!r}")
        eq(types, [L.TEXT], "type")


@suite.check("client_side_quoting_under_both_string_settings")
def _():
    # psycopg's ClientCursor quotes values itself, following the server's
    # standard_conforming_strings: on (default) and off (set at startup).
    for options, shown in (("", "on"), (" options='-c standard_conforming_strings=off'", "off")):
        with psycopg.connect(L.conninfo() + options, autocommit=True, cursor_factory=psycopg.ClientCursor) as c:
            eq(c.pgconn.parameter_status(b"standard_conforming_strings"), shown.encode(), "reported")
            with c.cursor() as cur:
                for s in L.HOSTILE:
                    cur.execute(f"SELECT %s AS v FROM {DB}.t LIMIT 1", (s,))
                    eq(cur.fetchall(), [(s,)], f"{shown}: round trip of {s[:40]!r}")


@suite.check("hostile_strings_do_not_inject")
def _():
    for s in L.HOSTILE:
        rows, _, _ = q(f"SELECT count(*) FROM {DB}.t WHERE b = %s", (s,))
        eq(rows, [(0,)], f"rows matching {s[:40]!r}")
    rows, _, _ = q(f"SELECT count(*) FROM {DB}.t WHERE b = %s", (L.row(5)[1],))
    eq(rows, [(1,)], "the one real match")


@suite.check("null_params")
def _():
    rows, _, _ = q("SELECT coalesce(CAST(%s AS STRING), 'dflt'), CAST(%s AS INT) IS NULL", (None, None))
    eq(rows, [("dflt", True)], "NULL parameters")


@suite.check("describe_before_bind_lowlevel")
def _():
    # Parse, then Describe the statement (parameter and result types) before any Bind.
    pg = c().pgconn
    sql = f"SELECT a, b, c FROM {DB}.t WHERE a = $1".encode()
    r = pg.prepare(b"dsc1", sql)
    eq(pq.ExecStatus(r.status), pq.ExecStatus.COMMAND_OK, f"Parse: {r.error_message!r}")
    d = pg.describe_prepared(b"dsc1")
    eq(pq.ExecStatus(d.status), pq.ExecStatus.COMMAND_OK, f"Describe: {d.error_message!r}")
    eq(d.nparams, 1, "parameter count")
    eq(d.nfields, 3, "result column count")
    eq([d.ftype(i) for i in range(3)], [L.INT4, L.TEXT, L.NUMERIC], "described result types")
    eq([d.fname(i) for i in range(3)], [b"a", b"b", b"c"], "described names")
    for k in (7, 8):
        r = pg.exec_prepared(b"dsc1", [str(k).encode()])
        eq(pq.ExecStatus(r.status), pq.ExecStatus.TUPLES_OK, f"Execute: {r.error_message!r}")
        eq([r.get_value(0, i) for i in range(3)], [str(k).encode(), L.row(k)[1].encode(), f"{L.row(k)[2]:.2f}".encode()], "values")


@suite.check("describe_portal_no_params_runs_once")
def _():
    # A parameterless query is described then executed: the INSERT must happen once.
    q(f"CREATE TABLE {DB}.once (x int) USING parquet")
    with c().cursor() as cur:
        cur.execute(f"INSERT INTO {DB}.once SELECT a FROM {DB}.t WHERE a <= %s", (3,))
        eq(cur.rowcount, 3, "INSERT ... SELECT rowcount")
    rows, _, _ = q(f"SELECT count(*), sum(x) FROM {DB}.once")
    eq(rows, [(3, 6)], "inserted exactly once")


@suite.check("executemany_pipeline")
def _():
    q(f"CREATE TABLE {DB}.many (k int, v string) USING parquet")
    data = [(i, f"v{i}'\\") for i in range(10)]
    with c().cursor() as cur:
        cur.executemany(f"INSERT INTO {DB}.many VALUES (%s, %s)", data)
    rows, _, _ = q(f"SELECT k, v FROM {DB}.many ORDER BY k")
    eq(rows, data, "executemany rows")


@suite.check("error_classes")
def _():
    cases = [
        (f"SELECT * FROM {DB}.no_such_table", errors.UndefinedTable, "42P01"),
        ("SELEKT 1", errors.SyntaxError, "42601"),
        (f"SELECT no_such_column FROM {DB}.t", errors.UndefinedColumn, "42703"),
        (L.create_sql(DB), errors.DuplicateTable, "42P07"),
        (f"CREATE DATABASE {DB}", errors.DuplicateSchema, "42P06"),
    ]
    for sql, cls, state in cases:
        try:
            q(sql)
        except psycopg.Error as e:
            ok(isinstance(e, cls), f"{sql}: expected {cls.__name__}, got {type(e).__name__} ({e.sqlstate}) {e}")
            eq(e.sqlstate, state, f"{sql} SQLSTATE")
        else:
            raise L.CheckFailed(f"{sql} succeeded")
        eq(q("SELECT 1 + 1")[0], [(2,)], "session usable after the error")


@suite.check("error_class_with_params")
def _():
    try:
        q(f"SELECT * FROM {DB}.no_such_table WHERE x = %s", (1,))
    except errors.UndefinedTable as e:
        eq(e.sqlstate, "42P01", "SQLSTATE")
    else:
        raise L.CheckFailed("succeeded")
    eq(q("SELECT 2 + 2")[0], [(4,)], "session usable after the error")


@suite.check("implicit_transaction_commit_rollback")
def _():
    with connect(autocommit=False) as tc:
        with tc.cursor() as cur:
            cur.execute(f"SELECT count(*) FROM {DB}.t")
            eq(cur.fetchone(), (L.N_ROWS + 1,), "count in a transaction")
            eq(tc.info.transaction_status, pq.TransactionStatus.INTRANS, "in transaction")
        tc.commit()
        eq(tc.info.transaction_status, pq.TransactionStatus.IDLE, "idle after commit")
        with tc.cursor() as cur:
            try:
                cur.execute(f"SELECT * FROM {DB}.missing")
            except errors.UndefinedTable:
                pass
        tc.rollback()
        with tc.cursor() as cur:
            cur.execute("SELECT 3")
            eq(cur.fetchone(), (3,), "usable after rollback")
        tc.rollback()


def slow_query_cancelled(conn, trigger):
    result = {}

    def run():
        t0 = time.monotonic()
        try:
            with conn.cursor() as cur:
                cur.execute(L.SLOW_QUERY.format(db=DB))
                result["rows"] = cur.fetchall()
        except Exception as e:  # noqa: BLE001
            result["error"] = e
        result["elapsed"] = time.monotonic() - t0

    t = threading.Thread(target=run)
    t.start()
    time.sleep(1.0)
    trigger()
    t.join(60)
    ok(not t.is_alive(), "query still running 60 s after cancel")
    return result


@suite.check("cancel")
def _():
    cc = connect()
    t0 = time.monotonic()
    res = slow_query_cancelled(cc, cc.cancel_safe)
    e = res.get("error")
    ok(isinstance(e, errors.QueryCanceled), f"expected QueryCanceled, got {res}")
    eq(e.sqlstate, "57014", "SQLSTATE")
    ok(time.monotonic() - t0 < 25, f"cancel took {time.monotonic() - t0:.1f} s")
    with cc.cursor() as cur:
        cur.execute("SELECT 5")
        eq(cur.fetchone(), (5,), "usable after cancel")
    cc.close()


@suite.check("statement_timeout")
def _():
    cc = connect()
    with cc.cursor() as cur:
        cur.execute("SET statement_timeout = 500")
        t0 = time.monotonic()
        try:
            cur.execute(L.SLOW_QUERY.format(db=DB))
        except errors.QueryCanceled as e:
            eq(e.sqlstate, "57014", "SQLSTATE")
        else:
            raise L.CheckFailed("slow query finished despite statement_timeout")
        ok(time.monotonic() - t0 < 25, f"timeout took {time.monotonic() - t0:.1f} s")
        cur.execute("SET statement_timeout = 0")
        cur.execute("SELECT 6")
        eq(cur.fetchone(), (6,), "usable after timeout")
    cc.close()


@suite.check("show_statement_timeout_units")
def _():
    cc = connect()
    with cc.cursor() as cur:
        for set_to, shown in (("500", "500ms"), ("'2s'", "2s"), ("0", "0")):
            cur.execute(f"SET statement_timeout = {set_to}")
            cur.execute("SHOW statement_timeout")
            eq(cur.fetchone()[0], shown, f"SHOW statement_timeout after SET {set_to}")
    cc.close()


@suite.check("unlisten_star")
def _():
    eq(q("UNLISTEN *")[2], "UNLISTEN", "UNLISTEN * tag")


@suite.check("session_commands")
def _():
    cc = connect()
    with cc.cursor() as cur:
        cur.execute("SET application_name = 'psycopg-check'")
        cur.execute("SHOW application_name")
        eq(cur.fetchone(), ("psycopg-check",), "application_name")
        cur.execute("SET extra_float_digits = 3")
        cur.execute("SHOW transaction isolation level")
        ok(cur.fetchone()[0] in ("read committed", "serializable", "repeatable read"), "isolation level")
        cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED")
        cur.execute("BEGIN")
        cur.execute("COMMIT")
        cur.execute("DISCARD ALL")
        eq(cur.statusmessage, "DISCARD ALL", "DISCARD ALL tag")
        cur.execute("RESET ALL")
        cur.execute("SHOW application_name")
        eq(cur.fetchone(), ("",), "application_name after RESET ALL")
        cur.execute("SELECT 7")
        eq(cur.fetchone(), (7,), "usable")
    cc.close()


@suite.check("search_path_and_current_schema")
def _():
    cc = connect()
    with cc.cursor() as cur:
        cur.execute("SELECT current_user")
        eq(cur.fetchone(), ("dli",), "current_user")
        cur.execute(f"SET search_path TO {DB}")
        cur.execute("SELECT current_schema()")
        eq(cur.fetchone(), (DB,), "current_schema()")
        cur.execute("SELECT count(*) FROM t")
        eq(cur.fetchone(), (L.N_ROWS + 1,), "unqualified table after search_path")
        cur.execute("SELECT current_database()")
        ok(cur.fetchone()[0] is not None, "current_database()")
    cc.close()


@suite.check("application_name_at_startup")
def _():
    cc = psycopg.connect(L.conninfo() + " application_name=from-startup", autocommit=True)
    with cc.cursor() as cur:
        cur.execute("SHOW application_name")
        eq(cur.fetchone(), ("from-startup",), "application_name")
    eq(cc.info.parameter_status("application_name"), "from-startup", "ParameterStatus")
    cc.close()


if __name__ == "__main__":
    suite.main()
