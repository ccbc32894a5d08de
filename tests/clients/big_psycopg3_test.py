"""psycopg 3 over results larger than DLI's 1000-row preview (issue 8): a server-side
(named) cursor read with fetchmany(5000), a client-side cursor and a single-row-mode
stream of the 100,000-row `big` table, every value checked against bigdata.big_row; and a
cancel in the middle of a large result, after which the same session runs a query.

Run by tests/clients.rs once per result path (DLIGW_BIG_MODE); see tests/clients/README.md.
"""

import time
from decimal import Decimal

import psycopg
from psycopg import errors, pq

import bigdata as B
import clientlib as L
from clientlib import eq, ok

DB = "c_big_psycopg3"

# Checks that fail because the gateway lacks a feature. Remove an entry when the feature
# lands: an entry whose check passes is reported as XPASS and fails the run.
XFAIL = {}

suite = L.Suite(f"big_psycopg3[{B.MODE}]", XFAIL)
SELECT = B.BIG_SELECT.format(db=DB)


def connect(**kw):
    kw.setdefault("autocommit", True)
    return psycopg.connect(L.conninfo(), **kw)


@suite.check("setup")
def _():
    with connect() as conn:
        conn.execute(f"CREATE DATABASE {DB}")
        conn.execute(B.BIG_CREATE.format(db=DB))


@suite.check("named_cursor_fetchmany_5000")
def _():
    with connect(autocommit=False) as conn:
        chk = B.BigChecker(what="named cursor")
        with conn.cursor(name="big_cur") as cur:
            cur.execute(SELECT)
            eq([d.name for d in cur.description], B.COLS, "column names")
            eq([d.type_code for d in cur.description], B.OIDS, "column types")
            batches = 0
            while True:
                rows = cur.fetchmany(5000)
                if not rows:
                    break
                ok(len(rows) <= 5000, f"batch of {len(rows)}")
                batches += 1
                chk.add_all(rows)
        chk.done()
        eq(batches, B.N_BIG // 5000, "fetchmany batches")
        conn.commit()


@suite.check("declare_fetch_5000_sql")
def _():
    # What psycopg's named cursor does, spelled out: DECLARE, FETCH FORWARD 5000 until empty.
    with connect(autocommit=False) as conn:
        chk = B.BigChecker(what="DECLARE/FETCH 5000")
        with conn.cursor() as cur:
            cur.execute(f"DECLARE big_sql CURSOR FOR {SELECT}")
            while True:
                cur.execute("FETCH FORWARD 5000 FROM big_sql")
                rows = cur.fetchall()
                if not rows:
                    break
                eq(len(rows), min(5000, B.N_BIG - chk.n), "rows per FETCH")
                chk.add_all(rows)
            cur.execute("CLOSE big_sql")
        chk.done()
        conn.commit()


@suite.check("named_cursor_binary_with_hold")
def _():
    with connect() as conn:
        chk = B.BigChecker(what="binary WITH HOLD cursor")
        with conn.cursor(name="big_hold", withhold=True, binary=True) as cur:
            cur.itersize = 7000
            cur.execute(SELECT)
            for r in cur:
                chk.add(r)
        chk.done()


@suite.check("client_side_cursor_fetchall")
def _():
    with connect() as conn:
        cur = conn.execute(SELECT)
        eq(cur.rowcount, B.N_BIG, "rowcount")
        eq(cur.statusmessage, f"SELECT {B.N_BIG}", "command tag")
        chk = B.BigChecker(what="fetchall")
        chk.add_all(cur.fetchall())
        chk.done()


@suite.check("stream_single_row_mode")
def _():
    with connect() as conn:
        chk = B.BigChecker(what="stream")
        for r in conn.cursor().stream(SELECT):
            chk.add(r)
        chk.done()


# A million rows (`big` ten times, ~30 MB as text): more than the loopback socket buffers
# hold, so the gateway is still sending when the cancel arrives. (With `big` alone, all
# 100,000 rows can already be in the kernel's buffers, and the cancel has nothing to stop.)
CANCEL_TIMES = 10
CANCEL_SELECT = (f"SELECT b.id, b.x, b.s, b.d, t.k FROM {DB}.big b CROSS JOIN "
                 f"(VALUES {', '.join(f'({k})' for k in range(CANCEL_TIMES))}) AS t(k)")


def cancel_mid_result(conn, rows):
    """Reads `rows` (an iterator of rows of CANCEL_SELECT), cancels after the first 1000,
    requires 57014 before the end and the session usable after it."""
    got = 0
    err = None
    t0 = time.monotonic()
    try:
        for r in rows:
            ok(tuple(r[:4]) == B.big_row(r[0]) and 0 <= r[4] < CANCEL_TIMES, f"row {got} before the cancel: {r!r}")
            got += 1
            if got == 1000:
                conn.cancel_safe()
                t0 = time.monotonic()
    except errors.QueryCanceled as e:
        err = e
    ok(err is not None, f"the stream ended without an error after {got} rows (cancel ignored)")
    eq(err.sqlstate, "57014", "SQLSTATE")
    ok(got < B.N_BIG * CANCEL_TIMES, f"all {got} rows arrived despite the cancel")
    ok(time.monotonic() - t0 < 20, f"cancel took {time.monotonic() - t0:.1f} s")
    eq(conn.execute("SELECT 41 + 1").fetchone(), (42,), "same session after the cancel")
    eq(conn.execute(f"SELECT count(*) FROM {DB}.big").fetchone(), (B.N_BIG,), "count after the cancel")


def simple_protocol_rows(conn, sql):
    """Rows of a simple-protocol Query in libpq's single-row mode (psycopg's stream() uses
    the extended protocol), text values converted as psycopg would."""
    pg = conn.pgconn
    pg.send_query(sql.encode())
    pg.set_single_row_mode()
    while True:
        res = pg.get_result()  # libpq's blocking PQgetResult
        if res is None:
            return
        if res.status == pq.ExecStatus.FATAL_ERROR:
            e = errors.error_from_result(res)
            while pg.get_result() is not None:  # drain to ReadyForQuery
                pass
            raise e
        if res.status == pq.ExecStatus.SINGLE_TUPLE:
            v = [res.get_value(0, c) for c in range(res.nfields)]
            yield (int(v[0]), int(v[1]), v[2].decode(), None if v[3] is None else Decimal(v[3].decode()), int(v[4]))


@suite.check("cancel_mid_result_simple_protocol")
def _():
    with connect() as conn:
        cancel_mid_result(conn, simple_protocol_rows(conn, CANCEL_SELECT))


@suite.check("cancel_mid_result_stream")
def _():
    # psycopg's stream(): extended protocol, Execute without a row limit, single-row mode.
    with connect() as conn:
        cancel_mid_result(conn, conn.cursor().stream(CANCEL_SELECT))


if __name__ == "__main__":
    suite.main()
