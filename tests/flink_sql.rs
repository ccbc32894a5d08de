//! The `dli_flink` schema through the real gateway and tokio-postgres, against a
//! wiremock DLI answering the Flink job APIs from a stateful registry
//! (tests/common/flink_mock.rs): list / filter / page, details, graph, execution plan,
//! run / stop mixtures, update without losing settings, errors with their SQLSTATEs,
//! catalog presence, and proof that nothing became a Spark SQL job (the mock answers
//! no SQL-job endpoint, and every request it received is checked).

mod common;
#[path = "common/flink_mock.rs"]
mod flink_mock;

use dli_pg_gateway::app::Gateway;
use dli_pg_gateway::dli::AuthMode;
use flink_mock::{Job, P, flink_calls, foreign_requests, job};
use tokio_postgres::Client;
use wiremock::MockServer;

async fn gateway(server: &MockServer, wh: &std::path::Path) -> Gateway {
    let mut cfg = common::test_config(wh, false);
    cfg.dli.endpoint = server.uri();
    cfg.dli.project_id = P.into();
    cfg.dli.auth.mode = AuthMode::None;
    cfg.dli.max_read_retries = 0;
    cfg.dli.request_timeout_secs = 5;
    cfg.flink.list_page_size = 10;
    cfg.flink.max_list_rows = 25;
    common::start(cfg).await
}

/// 30 jobs: 12 running opensource SQL jobs on q1, the rest stopped Jar jobs on q2.
fn registry() -> Vec<Job> {
    (1..=30)
        .map(|i| {
            if i <= 12 {
                job(
                    i,
                    &format!("sql{i}"),
                    "flink_opensource_sql_job",
                    "job_running",
                    "q1",
                )
            } else {
                job(
                    i,
                    &format!("jar{i}"),
                    "flink_jar_job",
                    "job_cancel_success",
                    "q2",
                )
            }
        })
        .collect()
}

async fn setup() -> (
    MockServer,
    flink_mock::Shared,
    Gateway,
    Client,
    tempfile::TempDir,
) {
    let (server, state) = flink_mock::start(registry()).await;
    let wh = tempfile::tempdir().expect("tempdir");
    let gw = gateway(&server, wh.path()).await;
    let client = common::connect(&gw).await;
    (server, state, gw, client, wh)
}

async fn no_spark_job(server: &MockServer) {
    let foreign = foreign_requests(server).await;
    assert!(
        foreign.is_empty(),
        "requests outside the Flink and catalog APIs: {foreign:?}"
    );
}

#[tokio::test]
async fn list_filters_are_pushed_down_and_paging_is_done_for_the_user() {
    let (server, _st, gw, c, _wh) = setup().await;
    // 12 running jobs, pages of 10: two list requests, both with status=job_running.
    let rows = common::simple_rows(
        &c,
        "SELECT job_id, name, status, queue_name FROM dli_flink.jobs WHERE status = 'job_running' ORDER BY job_id",
    )
    .await;
    assert_eq!(rows.len(), 12);
    assert_eq!(rows[0][1].as_deref(), Some("sql1"));
    let calls = flink_calls(&server).await;
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(
        calls.iter().all(|c| c.contains("status=job_running")),
        "{calls:?}"
    );
    assert!(calls[1].contains("offset=10"), "{calls:?}");

    // More jobs than the cap (25 of 30): truncated with a warning naming the total.
    let out = common::psql_output(&gw, "SELECT count(*) FROM dli_flink.jobs").await;
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "25");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("truncated at 25 of 30"), "{stderr}");

    // Filters the API has no parameter for are applied by the gateway.
    let rows = common::simple_rows(
        &c,
        "SELECT count(*) FROM dli_flink.jobs WHERE job_type = 'flink_jar_job' AND name LIKE 'jar2%'",
    )
    .await;
    assert_eq!(rows[0][0].as_deref(), Some("10")); // jar20 … jar29
    let calls = flink_calls(&server).await;
    assert!(
        calls.iter().any(|c| c.contains("job_type=flink_jar_job")),
        "{calls:?}"
    );
    no_spark_job(&server).await;
}

#[tokio::test]
async fn details_graph_plan_and_joins_with_the_catalog() {
    let (server, _st, _gw, c, _wh) = setup().await;
    let before = flink_calls(&server).await.len();
    let rows = common::simple_rows(
        &c,
        "SELECT job_id, name, sql_body, queue_name FROM dli_flink.job_details WHERE job_id = 3",
    )
    .await;
    assert_eq!(rows.len(), 1);
    assert!(rows[0][2].as_deref().unwrap_or_default().contains("'x''y'"));
    let calls = flink_calls(&server).await;
    assert_eq!(calls[before..], [format!("GET /v1.0/{P}/streaming/jobs/3")]);
    // An unknown id is zero rows, as in Postgres.
    assert!(
        common::simple_rows(&c, "SELECT * FROM dli_flink.job_details WHERE job_id = 999")
            .await
            .is_empty()
    );

    let graph = common::simple_rows(
        &c,
        "SELECT node_id, type, predecessor_ids FROM dli_flink.stream_graph(3) ORDER BY node_id",
    )
    .await;
    assert_eq!(graph.len(), 3);
    assert_eq!(graph[2][1].as_deref(), Some("Sink"));
    assert_eq!(graph[2][2].as_deref(), Some("{2}"));
    let plan = common::simple_rows(
        &c,
        "SELECT flink_job_id, state, end_time FROM dli_flink.execution_plan(3)",
    )
    .await;
    assert_eq!(
        plan,
        vec![vec![Some("jid-3".into()), Some("RUNNING".into()), None]]
    );

    // A join with the static status table and with pg_catalog.
    let rows = common::simple_rows(
        &c,
        "SELECT s.label_en, count(*) FROM dli_flink.jobs j JOIN dli_flink.job_statuses s USING (status) \
         WHERE j.queue_name = 'q1' GROUP BY 1",
    )
    .await;
    assert_eq!(rows, vec![vec![Some("Running".into()), Some("12".into())]]);
    let rows = common::simple_rows(
        &c,
        "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         JOIN dli_flink.job_types t ON t.job_type = 'flink_jar_job' WHERE n.nspname = 'dli_flink' ORDER BY 1",
    )
    .await;
    let names: Vec<_> = rows
        .iter()
        .map(|r| r[0].clone().unwrap_or_default())
        .collect();
    assert_eq!(names, ["job_details", "job_statuses", "job_types", "jobs"]);
    no_spark_job(&server).await;
}

#[tokio::test]
async fn introspection_describe_and_empty_probes_call_no_flink_api() {
    let (server, _st, gw, c, _wh) = setup().await;
    // information_schema, pg_class with relkind 'v', comments.
    let rows = common::simple_rows(
        &c,
        "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'dli_flink' ORDER BY 1",
    )
    .await;
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| r[1].as_deref() == Some("VIEW")));
    let rows = common::simple_rows(
        &c,
        "SELECT obj_description(oid, 'pg_class') IS NOT NULL, relkind FROM pg_class \
         WHERE oid = 'dli_flink.jobs'::regclass",
    )
    .await;
    assert_eq!(rows, vec![vec![Some("t".into()), Some("v".into())]]);
    let cols = common::simple_rows(
        &c,
        "SELECT column_name, data_type FROM information_schema.columns \
         WHERE table_schema = 'dli_flink' AND table_name = 'jobs' AND column_name IN ('job_id','start_time')",
    )
    .await;
    assert_eq!(cols.len(), 2);
    // psql \dv and \d.
    let dv = common::psql(&gw, "\\dv dli_flink.*").await;
    assert!(dv.contains("jobs") && dv.contains("job_statuses"), "{dv}");
    let d = common::psql(&gw, "\\d dli_flink.jobs").await;
    assert!(d.contains("duration_ms") && d.contains("bigint"), "{d}");
    // Describe (Parse/Describe) of a read and of a control, LIMIT 0, WHERE false.
    let st = c
        .prepare("SELECT * FROM dli_flink.jobs WHERE status = $1")
        .await
        .expect("prepare");
    assert_eq!(st.columns()[0].name(), "job_id");
    let st = c
        .prepare("SELECT * FROM dli_flink.stop_jobs(ARRAY[1, 2], trigger_savepoint => true)")
        .await
        .expect("prepare control");
    assert_eq!(st.columns()[2].name(), "ok");
    common::simple_rows(&c, "SELECT * FROM dli_flink.jobs LIMIT 0").await;
    common::simple_rows(&c, "SELECT * FROM dli_flink.job_details WHERE false").await;
    assert_eq!(flink_calls(&server).await, Vec::<String>::new());
    no_spark_job(&server).await;
}

#[tokio::test]
async fn run_and_stop_a_mixture_report_one_row_per_job() {
    let (server, state, gw, c, _wh) = setup().await;
    // 13 is stopped (runs), 1 is already running (refused), 999 does not exist.
    let rows = common::simple_rows(
        &c,
        "SELECT job_id, name, ok, sqlstate, status_before, status_after FROM dli_flink.run_jobs(ARRAY[13, 1, 999])",
    )
    .await;
    assert_eq!(
        rows,
        vec![
            vec![
                Some("13".into()),
                Some("jar13".into()),
                Some("t".into()),
                None,
                Some("job_cancel_success".into()),
                Some("job_running".into())
            ],
            vec![
                Some("1".into()),
                Some("sql1".into()),
                Some("f".into()),
                Some("55000".into()),
                Some("job_running".into()),
                Some("job_running".into())
            ],
            vec![
                Some("999".into()),
                None,
                Some("f".into()),
                Some("42704".into()),
                None,
                None
            ],
        ]
    );
    // One run request for the two existing jobs; 999 was never sent.
    let writes: Vec<_> = state.lock().map(|s| s.writes.clone()).unwrap_or_default();
    assert_eq!(writes.len(), 1);
    assert_eq!(writes[0].2["job_ids"], serde_json::json!([13, 1]));

    // Extended protocol: the statement runs once, at Execute.
    let st = c.prepare("SELECT job_id, ok FROM dli_flink.stop_jobs($1::int8[], trigger_savepoint => false, wait_ms => 100)").await.expect("prepare");
    assert_eq!(
        state.lock().map(|s| s.writes.len()).unwrap_or(0),
        1,
        "Describe ran nothing"
    );
    let rows = c.query(&st, &[&vec![2i64, 14]]).await.expect("stop");
    let got: Vec<(i64, Option<bool>)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(got, vec![(2, Some(true)), (14, Some(false))]);
    assert_eq!(state.lock().map(|s| s.writes.len()).unwrap_or(0), 2);

    // psql: a refused job is a row with ok = f, and a WARNING.
    let out = common::psql_output(
        &gw,
        "SELECT job_id, ok, sqlstate FROM dli_flink.run_jobs('{3}')",
    )
    .await;
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "3|f|55000");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("WARNING:  Flink job 3 was not started"),
        "{stderr}"
    );
    no_spark_job(&server).await;
}

#[tokio::test]
async fn update_keeps_what_the_user_did_not_name() {
    let (server, state, _gw, c, _wh) = setup().await;
    // Give Jar job 20 settings first.
    common::simple_rows(
        &c,
        "SELECT * FROM dli_flink.update_jar_job(20, main_class => 'com.x.Main', cu_number => 4, \
         dependency_jars => ARRAY['a.jar', 'b.jar'], queue_name => 'q9')",
    )
    .await;
    // Then change only the parallelism.
    let rows = common::simple_rows(
        &c,
        "SELECT ok FROM dli_flink.update_jar_job(20, parallel_number => 3)",
    )
    .await;
    assert_eq!(rows, vec![vec![Some("t".into())]]);
    let rows = common::simple_rows(
        &c,
        "SELECT main_class, cu_number, parallel_number, dependency_jars, queue_name FROM dli_flink.job_details WHERE job_id = 20",
    )
    .await;
    assert_eq!(
        rows,
        vec![vec![
            Some("com.x.Main".into()),
            Some("4".into()),
            Some("3".into()),
            Some("{a.jar,b.jar}".into()),
            Some("q9".into())
        ]]
    );
    // SQL update keeps the SQL text (quotes untouched, not re-quoted for Spark).
    let body = "INSERT INTO snk SELECT \"Car\", 'it''s' FROM src";
    common::simple_rows(
        &c,
        &format!("SELECT * FROM dli_flink.update_sql_job(3, sql_body => $${body}$$)"),
    )
    .await;
    common::simple_rows(
        &c,
        "SELECT * FROM dli_flink.update_sql_job(3, cu_number => 8)",
    )
    .await;
    let rows = common::simple_rows(
        &c,
        "SELECT sql_body, cu_number FROM dli_flink.job_details WHERE job_id = 3",
    )
    .await;
    assert_eq!(rows, vec![vec![Some(body.to_string()), Some("8".into())]]);
    let puts = state
        .lock()
        .map(|s| s.writes.iter().filter(|w| w.0 == "PUT").count())
        .unwrap_or(0);
    assert_eq!(puts, 4);
    no_spark_job(&server).await;
}

#[tokio::test]
async fn errors_have_their_sqlstates() {
    let (server, _st, _gw, c, _wh) = setup().await;
    for (sql, want) in [
        ("SELECT * FROM dli_flink.execution_plan(999)", "42704"),
        (
            "SELECT * FROM dli_flink.update_sql_job(999, cu_number => 4)",
            "42704",
        ),
        (
            "SELECT * FROM dli_flink.update_jar_job(3, cu_number => 4)",
            "42809",
        ),
        (
            "SELECT * FROM dli_flink.update_sql_job(20, cu_number => 4)",
            "42809",
        ),
        ("SELECT * FROM dli_flink.stream_graph(20)", "0A000"),
        (
            "SELECT * FROM dli_flink.update_jar_job(20, cu_number => 1)",
            "22023",
        ),
        ("SELECT * FROM dli_flink.run_jobs(ARRAY['x'])", "22023"),
        ("SELECT * FROM dli_flink.run_jobs(NULL)", "22004"),
        (
            "SELECT * FROM dli_flink.run_jobs(ARRAY[1], bogus => 1)",
            "42883",
        ),
        (
            "SELECT * FROM dli_flink.create_sql_job(name => 'sql1', sql_body => 'x')",
            "42710",
        ),
        (
            "SELECT * FROM dli_flink.run_jobs(ARRAY[1]) LIMIT 1",
            "0A000",
        ),
        ("SELECT dli_flink.run_jobs(ARRAY[1])", "0A000"),
        ("INSERT INTO dli_flink.jobs (job_id) VALUES (1)", "55000"),
        ("DROP SCHEMA dli_flink", "42501"),
        (
            "SELECT * FROM dli_flink.jobs j JOIN tpch.nation n ON true",
            "0A000",
        ),
    ] {
        assert_eq!(common::sqlstate_of(&c, sql).await, want, "{sql}");
    }
    // The DLI code is in DETAIL.
    let err = c
        .simple_query("SELECT * FROM dli_flink.create_sql_job(name => 'sql1', sql_body => 'x')")
        .await
        .expect_err("duplicate");
    let detail = err
        .as_db_error()
        .and_then(|d| d.detail())
        .unwrap_or_default()
        .to_string();
    assert!(detail.contains("DLI.0006"), "{detail}");
    no_spark_job(&server).await;
}

#[tokio::test]
async fn create_and_start() {
    let (server, state, _gw, c, _wh) = setup().await;
    let rows = common::simple_rows(
        &c,
        "SELECT name, ok, status_after FROM dli_flink.create_sql_job(name => 'car_speed', queue_name => 'q1', \
         sql_body => $$INSERT INTO snk SELECT * FROM src$$, checkpoint_mode => 'at_least_once', start => true)",
    )
    .await;
    assert_eq!(
        rows,
        vec![vec![
            Some("car_speed".into()),
            Some("t".into()),
            Some("job_running".into())
        ]]
    );
    let created = state
        .lock()
        .map(|s| {
            s.writes
                .iter()
                .find(|w| w.1.ends_with("/sql-jobs"))
                .map(|w| w.2.clone())
        })
        .ok()
        .flatten()
        .unwrap_or_default();
    assert_eq!(created["sql_body"], "INSERT INTO snk SELECT * FROM src");
    assert_eq!(created["checkpoint_mode"], 2);
    no_spark_job(&server).await;
}
