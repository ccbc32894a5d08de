//! The `dli_flink` schema against the embedded service's Flink emulation (issue 11), over
//! real HTTP, with tokio-postgres and psql: a listing longer than one page, status
//! pushdown, details, run/stop of a mixture of jobs in one call, and proof on the
//! service's job list that no Spark SQL job ran. (`tests/flink_sql.rs` holds the fault
//! and shape cases against a scripted DLI; `tests/clients/flink_psycopg3_test.py` the
//! same live path through psycopg.)

mod common;

use common::{all_jobs, connect, psql, service_client, simple_rows, start, test_config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flink_jobs_through_sql_on_the_embedded_service() {
    let wh = tempfile::tempdir().unwrap();
    let mut cfg = test_config(wh.path(), false);
    cfg.flink.list_page_size = 5;
    cfg.local.flink_step_ms = 40;
    let gw = start(cfg).await;
    let client = connect(&gw).await;
    let dli = service_client(&gw);
    let sql_jobs_before = all_jobs(&dli).await.len();

    // 12 jobs of ours, created through SQL, then listed in pages of 5
    let body = "CREATE TABLE s (v INT) WITH ('connector' = 'datagen'); \
                CREATE TABLE k (v INT) WITH ('connector' = 'print'); \
                INSERT INTO k SELECT v FROM s;";
    let mut ids = Vec::new();
    for i in 0..12 {
        let row = client
            .query_one(
                "SELECT job_id, ok FROM dli_flink.create_sql_job(name => $1, sql_body => $2, \
                 job_type => 'flink_opensource_sql_job')",
                &[&format!("paged_{i:02}"), &body],
            )
            .await
            .expect("create");
        assert_eq!(row.get::<_, Option<bool>>(1), Some(true));
        ids.push(row.get::<_, i64>(0));
    }
    let rows = simple_rows(
        &client,
        "SELECT count(*), count(DISTINCT job_id) FROM dli_flink.jobs WHERE name LIKE 'paged_%'",
    )
    .await;
    assert_eq!(rows, vec![vec![Some("12".into()), Some("12".into())]]);

    // run two of ours and an unknown id in one call; the third of ours is left alone
    let (a, b) = (ids[0], ids[1]);
    let sql = format!(
        "SELECT job_id, ok, sqlstate, status_after FROM dli_flink.run_jobs(ARRAY[{a}, {b}, 987654321], wait_ms => 20000)"
    );
    let rows = simple_rows(&client, &sql).await;
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(
        rows[0][1..],
        [Some("t".into()), None, Some("job_running".into())]
    );
    assert_eq!(
        rows[1][1..],
        [Some("t".into()), None, Some("job_running".into())]
    );
    assert_eq!(rows[2][1..3], [Some("f".into()), Some("42704".into())]);
    // the same again: already running, refused per job
    let again = format!("SELECT ok FROM dli_flink.run_jobs(ARRAY[{a}])");
    assert_eq!(
        simple_rows(&client, &again).await,
        vec![vec![Some("f".into())]]
    );

    // status pushed down, and details through psql
    let running = simple_rows(
        &client,
        "SELECT job_id FROM dli_flink.jobs WHERE status = 'job_running' AND name LIKE 'paged_%' ORDER BY job_id",
    )
    .await;
    assert_eq!(
        running,
        vec![vec![Some(a.to_string())], vec![Some(b.to_string())]]
    );
    let details = psql(
        &gw,
        &format!("SELECT name, status, job_type FROM dli_flink.job_details WHERE job_id = {a}"),
    )
    .await;
    assert!(
        details.contains("paged_00") && details.contains("job_running"),
        "{details}"
    );
    let views = psql(&gw, "\\dv dli_flink.*").await;
    for v in ["jobs", "job_details", "job_statuses", "job_types"] {
        assert!(views.contains(v), "{views}");
    }

    let stop = format!("SELECT ok FROM dli_flink.stop_jobs(ARRAY[{a}, {b}], wait_ms => 20000)");
    assert_eq!(
        simple_rows(&client, &stop).await,
        vec![vec![Some("t".into())], vec![Some("t".into())]]
    );

    // none of it was a Spark SQL job
    assert_eq!(all_jobs(&dli).await.len(), sql_jobs_before);
    gw.shutdown().await;
}
