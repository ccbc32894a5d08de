"""psycopg 3 and the gateway's dli_flink schema (issue 11): the views are listed like any
other, the static views answer, Describe of a control function runs nothing, LIMIT 0
calls no Flink API, writes and DDL on the schema are refused with their SQLSTATEs. It
costs no DLI SQL job (tests/clients.rs checks the service's job count).

Run by tests/clients.rs (DLIGW_HOST/PORT/USER/PASSWORD); see tests/clients/README.md.
"""

import psycopg
from psycopg import errors

import clientlib as L
from clientlib import eq, ok

XFAIL = {}

suite = L.Suite("flink_psycopg3", XFAIL)


def connect():
    return psycopg.connect(L.conninfo(), autocommit=True)


@suite.check("views_in_information_schema_and_pg_class")
def _():
    with connect() as c, c.cursor() as cur:
        cur.execute(
            "SELECT table_name, table_type FROM information_schema.tables "
            "WHERE table_schema = %s ORDER BY 1",
            ("dli_flink",),
        )
        eq(
            cur.fetchall(),
            [("job_details", "VIEW"), ("job_statuses", "VIEW"), ("job_types", "VIEW"), ("jobs", "VIEW")],
            "views",
        )
        cur.execute(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
            "WHERE a.attrelid = 'dli_flink.jobs'::regclass AND a.attnum > 0 ORDER BY a.attnum LIMIT 2"
        )
        eq(cur.fetchall(), [("job_id", "bigint"), ("name", "text")], "columns")


@suite.check("static_views")
def _():
    with connect() as c, c.cursor() as cur:
        cur.execute("SELECT label_en, is_transient FROM dli_flink.job_statuses WHERE status = %s", ("job_canceling",))
        eq(cur.fetchall(), [("Stopping", True)], "job_canceling")
        cur.execute("SELECT count(*) FROM dli_flink.job_types WHERE supports_stream_graph")
        eq(cur.fetchone(), (1,), "one type has a stream graph")


@suite.check("describe_runs_nothing_and_limit_0_calls_nothing")
def _():
    with connect() as c, c.cursor() as cur:
        # Server-side prepared (psycopg prepares with prepare=True): Parse/Describe only.
        cur.execute("SELECT * FROM dli_flink.jobs LIMIT 0", prepare=True)
        eq([d.name for d in cur.description][:3], ["job_id", "name", "description"], "columns")
        eq(cur.fetchall(), [], "no rows")
        st = c.pgconn.prepare(b"ctl", b"SELECT * FROM dli_flink.stop_jobs(ARRAY[1,2])")
        ok(st.status == psycopg.pq.ExecStatus.COMMAND_OK, "prepared")
        desc = c.pgconn.describe_prepared(b"ctl")
        eq(desc.nfields, 8, "outcome columns")
        eq(desc.fname(2), b"ok", "third column")


@suite.check("writes_and_ddl_are_refused")
def _():
    with connect() as c, c.cursor() as cur:
        for sql, err in [
            ("DELETE FROM dli_flink.jobs WHERE job_id = 1", errors.ObjectNotInPrerequisiteState),
            ("DROP SCHEMA dli_flink", errors.InsufficientPrivilege),
            ("SELECT * FROM dli_flink.run_jobs(NULL)", errors.NullValueNotAllowed),
            ("SELECT * FROM dli_flink.run_jobs(ARRAY[1], nope => 1)", errors.UndefinedFunction),
        ]:
            try:
                cur.execute(sql)
            except err:
                continue
            raise L.CheckFailed(f"{sql}: no {err.__name__}")


if __name__ == "__main__":
    suite.main()
