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


GRAPH_SQL = """CREATE TABLE src (id INT, speed INT) WITH ('connector' = 'datagen');
CREATE TABLE snk (id INT, speed INT) WITH ('connector' = 'print');
INSERT INTO snk SELECT id, speed FROM src WHERE speed > 120;"""


def outcomes(cur, sql, params=()):
    cur.execute(sql, params)
    return {r[0]: r for r in cur.fetchall()}


@suite.check("live_jobs_on_the_embedded_service")
def _():
    """The embedded service's Flink emulation through the gateway: create, run a mixture
    (new, unknown, already running), graph, update without losing settings, stop, delete."""
    import time

    name = "psycopg_live_%d" % int(time.time() * 1000)
    with connect() as c, c.cursor() as cur:
        cur.execute(
            "SELECT s.label_en, count(*) FROM dli_flink.jobs j "
            "JOIN dli_flink.job_statuses s ON s.status = j.status GROUP BY 1"
        )
        cur.fetchall()
        cur.execute(
            "SELECT job_id, ok, sqlstate FROM dli_flink.create_sql_job(name => %s, sql_body => %s, job_type => 'flink_opensource_sql_job', "
            "description => 'keep me', cu_number => 2, manager_cu_number => 1, parallel_number => 1, "
            "checkpoint_enabled => true, checkpoint_interval_s => 30)",
            (name, GRAPH_SQL),
        )
        (job_id, created, state), = cur.fetchall()
        eq((created, state), (True, None), "created")
        rows = outcomes(
            cur,
            f"SELECT job_id, ok, sqlstate, status_after FROM dli_flink.run_jobs(ARRAY[{job_id}, 999999999], wait_ms => 20000)",
        )
        eq(rows[job_id][1:3], (True, None), "run accepted")
        eq(rows[job_id][3], "job_running", "running after the wait")
        eq(rows[999999999][1:3], (False, "42704"), "unknown job refused, never sent")
        rows = outcomes(cur, f"SELECT job_id, ok, sqlstate FROM dli_flink.run_jobs(ARRAY[{job_id}])")
        eq(rows[job_id][1], False, "already running: refused")
        cur.execute("SELECT type, predecessor_ids FROM dli_flink.stream_graph(%s)", (job_id,))
        graph = cur.fetchall()
        ok(len(graph) >= 3, f"graph nodes: {graph}")
        ok(any("Source" in t for t, _ in graph), f"a source node: {graph}")
        rows = outcomes(
            cur, f"SELECT job_id, ok FROM dli_flink.stop_jobs(ARRAY[{job_id}], wait_ms => 20000)"
        )
        eq(rows[job_id][1], True, "stopped")
        rows = outcomes(
            cur, "SELECT job_id, ok, sqlstate FROM dli_flink.update_sql_job(job_id => %s, parallel_number => 2)", (job_id,)
        )
        eq(rows[job_id][1:3], (True, None), "updated")
        cur.execute(
            "SELECT description, parallel_number, cu_number, checkpoint_enabled, checkpoint_interval_s "
            "FROM dli_flink.job_details WHERE job_id = %s",
            (job_id,),
        )
        eq(cur.fetchall(), [("keep me", 2, 2, True, 30)], "settings kept by the update")
        rows = outcomes(cur, f"SELECT job_id, ok FROM dli_flink.delete_jobs(ARRAY[{job_id}])")
        eq(rows[job_id][1], True, "deleted")
        cur.execute("SELECT count(*) FROM dli_flink.jobs WHERE job_id = %s", (job_id,))
        eq(cur.fetchone(), (0,), "gone")


if __name__ == "__main__":
    suite.main()
