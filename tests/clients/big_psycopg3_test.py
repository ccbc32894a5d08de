"""psycopg 3 over results larger than DLI's 1000-row preview (issue 8): a server-side
(named) cursor read with fetchmany(5000), a client-side cursor and a single-row-mode
stream of the 100,000-row `big` table, every value checked against bigdata.big_row; and a
cancel in the middle of a large result, after which the same session runs a query.

Run by tests/clients.rs once per result path (DLIGW_BIG_MODE); see tests/clients/README.md.
"""

import time

import psycopg
from psycopg import errors

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


@suite.check("cancel_mid_result_then_query")
def _():
    with connect() as conn:
        got = 0
        err = None
        t0 = time.monotonic()
        try:
            for r in conn.cursor().stream(SELECT):
                ok(r == B.big_row(got), f"row {got} before the cancel: {r!r}")
                got += 1
                if got == 1000:
                    conn.cancel_safe()
                    t0 = time.monotonic()
        except errors.QueryCanceled as e:
            err = e
        ok(err is not None, f"the stream ended without an error after {got} rows (cancel ignored)")
        eq(err.sqlstate, "57014", "SQLSTATE")
        ok(got < B.N_BIG, f"all {got} rows arrived despite the cancel")
        ok(time.monotonic() - t0 < 20, f"cancel took {time.monotonic() - t0:.1f} s")
        eq(conn.execute("SELECT 41 + 1").fetchone(), (42,), "same session after the cancel")
        eq(conn.execute(f"SELECT count(*) FROM {DB}.big").fetchone(), (B.N_BIG,), "count after the cancel")


if __name__ == "__main__":
    suite.main()
