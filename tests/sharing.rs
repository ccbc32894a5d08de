//! Dashboards' repeated queries, end to end on the embedded service: identical read-only
//! statements in flight share one DLI job (each client gets every row, beyond the
//! preview too; a cancel detaches one client, the last one's cancels the job); writes
//! never share; `dli.result_reuse_max_age` reuses a finished identical query's result
//! (NOTICE with its job and age) unless a write through the gateway touched a table it
//! reads, falls back to running when DLI says the result expired (DLI.0100), and finds
//! another replica's job through its fingerprint tag.

mod common;

use std::time::Duration;

use common::{connect_noticed, gateway_config, jobs_with, start, test_config, wait_jobs};
use dli_pg_gateway::app::Gateway;
use dli_pg_gateway::config::Config;
use dli_pg_gateway::dli::{DliClient, JobState, JobType};
use tokio::sync::mpsc;
use tokio_postgres::error::{DbError, SqlState};
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

const BOUND: Duration = Duration::from_secs(60);

fn drain(rx: &mut mpsc::UnboundedReceiver<DbError>) -> Vec<String> {
    let mut v = Vec::new();
    while let Ok(n) = rx.try_recv() {
        v.push(n.message().to_string());
    }
    v
}

async fn text_rows(client: &Client, sql: &str) -> Result<Vec<Vec<String>>, tokio_postgres::Error> {
    let mut out = Vec::new();
    for m in client.simple_query(sql).await? {
        if let SimpleQueryMessage::Row(r) = m {
            out.push(
                (0..r.len())
                    .map(|i| r.get(i).unwrap_or("<null>").to_string())
                    .collect(),
            );
        }
    }
    Ok(out)
}

/// A standalone service with the demo data and a small table `sh.t`, and a gateway on it.
async fn setup(
    wh: &std::path::Path,
    tune: impl Fn(&mut Config),
) -> (
    dli_pg_gateway::localdli::LocalDli,
    Config,
    Gateway,
    DliClient,
) {
    let mut base = test_config(wh, true);
    tune(&mut base);
    let svc = dli_pg_gateway::localdli::start(base.local.clone())
        .await
        .expect("local DLI starts");
    let cfg = gateway_config(&svc, &base);
    let gw = start(cfg.clone()).await;
    let client = common::connect(&gw).await;
    for sql in [
        "CREATE DATABASE sh",
        "CREATE TABLE sh.t (a int) USING parquet",
        "INSERT INTO sh.t VALUES (1), (2), (3)",
        "CREATE TABLE sh.u (a int) USING parquet",
    ] {
        client.simple_query(sql).await.expect(sql);
    }
    let dli = DliClient::new(cfg.dli.clone()).expect("dli client");
    (svc, cfg, gw, dli)
}

/// The QUERY jobs whose statement contains `marker` (export jobs of a full result are
/// not counted).
async fn query_jobs(dli: &DliClient, marker: &str) -> Vec<JobState> {
    common::all_jobs(dli)
        .await
        .into_iter()
        .filter(|j| j.job_type == JobType::Query)
        .filter(|j| j.statement.as_deref().is_some_and(|s| s.contains(marker)))
        .map(|j| j.status)
        .collect()
}

async fn running(dli: &DliClient, marker: &str) {
    let states = wait_jobs(dli, marker, BOUND, |s| s.contains(&JobState::Running)).await;
    assert!(states.contains(&JobState::Running), "{marker}: {states:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_queries_in_flight_share_one_job_and_each_client_gets_every_row() {
    let wh = tempfile::tempdir().unwrap();
    let (_svc, _cfg, gw, dli) = setup(wh.path(), |c| c.local.demo_scale_factor = 0.001).await;
    // More rows than the preview: every client reads the full result from object storage.
    let sql = "SELECT l_orderkey, l_linenumber, l_comment FROM tpch.lineitem /* dli_local_delay_ms=3000 share-big */";
    let first = common::connect(&gw).await;
    let lead = tokio::spawn(async move { text_rows(&first, sql).await });
    running(&dli, "share-big").await;
    let mut followers = Vec::new();
    for _ in 0..4 {
        let c = common::connect(&gw).await;
        // The same statement, laid out differently: the same Spark text once normalised.
        let sql = sql
            .replace("SELECT ", "select  ")
            .replace(" FROM", "\n  FROM");
        followers.push(tokio::spawn(async move { text_rows(&c, &sql).await }));
    }
    let lead_rows = lead.await.unwrap().expect("the first client's rows");
    assert!(lead_rows.len() > 1000, "{} rows", lead_rows.len());
    let mut sorted_lead = lead_rows.clone();
    sorted_lead.sort();
    for f in followers {
        let mut rows = f.await.unwrap().expect("an attached client's rows");
        rows.sort();
        assert_eq!(
            rows, sorted_lead,
            "every attached client gets the whole result"
        );
    }
    assert_eq!(
        query_jobs(&dli, "share-big").await,
        vec![JobState::Finished],
        "five clients, one job"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_detaches_one_client_and_the_last_cancel_cancels_the_job() {
    let wh = tempfile::tempdir().unwrap();
    let (_svc, _cfg, gw, dli) = setup(wh.path(), |_| {}).await;
    let sql = "SELECT a FROM sh.t ORDER BY a /* dli_local_delay_ms=4000 share-cancel-one */";
    let a = common::connect(&gw).await;
    let b = common::connect(&gw).await;
    let a_token = a.cancel_token();
    let qa = tokio::spawn(async move { text_rows(&a, sql).await });
    running(&dli, "share-cancel-one").await;
    let qb = tokio::spawn(async move { text_rows(&b, sql).await });
    // b is attached once a's job is running; the cancel reaches a alone.
    tokio::time::sleep(Duration::from_millis(200)).await;
    a_token.cancel_query(NoTls).await.expect("cancel sent");
    let err = qa.await.unwrap().expect_err("a was cancelled");
    assert_eq!(err.code(), Some(&SqlState::QUERY_CANCELED), "{err:?}");
    let rows = qb.await.unwrap().expect("b still gets its rows");
    assert_eq!(rows, vec![vec!["1"], vec!["2"], vec!["3"]]);
    assert_eq!(
        jobs_with(&dli, "share-cancel-one").await,
        vec![JobState::Finished]
    );

    // Both clients cancelled: nobody is left, the job is cancelled.
    let sql = "SELECT a FROM sh.t /* dli_local_delay_ms=60000 share-cancel-all */";
    let (a, b) = (common::connect(&gw).await, common::connect(&gw).await);
    let (ta, tb) = (a.cancel_token(), b.cancel_token());
    let qa = tokio::spawn(async move { text_rows(&a, sql).await });
    running(&dli, "share-cancel-all").await;
    let qb = tokio::spawn(async move { text_rows(&b, sql).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    ta.cancel_query(NoTls).await.expect("cancel sent");
    assert!(qa.await.unwrap().is_err());
    let still = jobs_with(&dli, "share-cancel-all").await;
    assert_eq!(still, vec![JobState::Running], "b still waits for it");
    tb.cancel_query(NoTls).await.expect("cancel sent");
    let err = qb.await.unwrap().expect_err("b was cancelled");
    assert_eq!(err.code(), Some(&SqlState::QUERY_CANCELED), "{err:?}");
    let states = wait_jobs(&dli, "share-cancel-all", BOUND, |s| {
        s.iter().all(JobState::is_terminal)
    })
    .await;
    assert_eq!(states, vec![JobState::Cancelled]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_are_never_shared() {
    let wh = tempfile::tempdir().unwrap();
    let (_svc, _cfg, gw, dli) = setup(wh.path(), |_| {}).await;
    let sql = "INSERT INTO sh.u SELECT a FROM sh.t /* dli_local_delay_ms=1500 share-write */";
    let (a, b) = (common::connect(&gw).await, common::connect(&gw).await);
    let qa = tokio::spawn(async move { a.simple_query(sql).await.map(|_| a) });
    running(&dli, "share-write").await;
    let qb = tokio::spawn(async move { b.simple_query(sql).await.map(|_| ()) });
    let a = qa.await.unwrap().expect("first insert");
    qb.await.unwrap().expect("second insert");
    assert_eq!(
        jobs_with(&dli, "share-write").await.len(),
        2,
        "one job per write"
    );
    let n = text_rows(&a, "SELECT count(*) FROM sh.u").await.unwrap();
    assert_eq!(n, vec![vec!["6"]]);
}

/// The one DLI job id in a reuse NOTICE.
fn reused_job(notices: &[String]) -> Option<String> {
    notices.iter().find_map(|n| {
        let rest = n.strip_prefix("reused the result of DLI job ")?;
        Some(rest.split(',').next()?.to_string())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reuse_within_the_max_age_until_a_write_touches_a_table_read() {
    let wh = tempfile::tempdir().unwrap();
    let (_svc, _cfg, gw, dli) = setup(wh.path(), |_| {}).await;
    let (client, mut notices) = connect_noticed(&gw).await;
    let q = "SELECT sum(a) FROM sh.t /* reuse-a */";
    // Off by default: every run is a job.
    text_rows(&client, q).await.unwrap();
    text_rows(&client, q).await.unwrap();
    assert_eq!(jobs_with(&dli, "reuse-a").await.len(), 2);
    assert_eq!(reused_job(&drain(&mut notices)), None);

    client
        .simple_query("SET dli.result_reuse_max_age = '10min'")
        .await
        .unwrap();
    let shown = text_rows(&client, "SHOW dli.result_reuse_max_age")
        .await
        .unwrap();
    assert_eq!(shown, vec![vec!["10min"]]);
    let rows = text_rows(&client, q).await.unwrap();
    assert_eq!(rows, vec![vec!["6"]]);
    assert_eq!(jobs_with(&dli, "reuse-a").await.len(), 2, "no new job");
    let seen = drain(&mut notices);
    let job = reused_job(&seen).unwrap_or_else(|| panic!("no reuse NOTICE in {seen:?}"));
    assert!(seen.iter().any(|n| n.contains(" ago")), "{seen:?}");
    let listed = common::all_jobs(&dli).await;
    assert!(
        listed.iter().any(|j| j.job_id == job
            && j.statement
                .as_deref()
                .is_some_and(|s| s.contains("reuse-a"))),
        "the NOTICE names the job that ran the query"
    );

    // A write through the gateway to a table the query reads: the next run is a job.
    client
        .simple_query("INSERT INTO sh.t VALUES (4)")
        .await
        .unwrap();
    let rows = text_rows(&client, q).await.unwrap();
    assert_eq!(rows, vec![vec!["10"]]);
    assert_eq!(jobs_with(&dli, "reuse-a").await.len(), 3);
    assert_eq!(reused_job(&drain(&mut notices)), None);
    // … and that result is reused again; a write to another table changes nothing.
    client
        .simple_query("INSERT INTO sh.u VALUES (9)")
        .await
        .unwrap();
    assert_eq!(text_rows(&client, q).await.unwrap(), vec![vec!["10"]]);
    assert_eq!(jobs_with(&dli, "reuse-a").await.len(), 3);
    assert!(reused_job(&drain(&mut notices)).is_some());

    // Off again: a job.
    client
        .simple_query("SET dli.result_reuse_max_age = 0")
        .await
        .unwrap();
    text_rows(&client, q).await.unwrap();
    assert_eq!(jobs_with(&dli, "reuse-a").await.len(), 4);
    let code = common::sqlstate_of(&client, "SET dli.result_reuse_max_age = 'soon'").await;
    assert_eq!(code, "22023");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_result_is_run_again() {
    let wh = tempfile::tempdir().unwrap();
    let (_svc, _cfg, gw, dli) = setup(wh.path(), |c| {
        c.local.result_ttl_ms = 300;
        c.runner.result_reuse_max_age_ms = 600_000;
    })
    .await;
    let (client, mut notices) = connect_noticed(&gw).await;
    let q = "SELECT count(*) FROM sh.t /* reuse-expired */";
    text_rows(&client, q).await.unwrap();
    text_rows(&client, q).await.unwrap();
    assert_eq!(
        jobs_with(&dli, "reuse-expired").await.len(),
        1,
        "reused while kept"
    );
    assert!(reused_job(&drain(&mut notices)).is_some());
    // DLI no longer keeps it (DLI.0100): the statement runs again.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(text_rows(&client, q).await.unwrap(), vec![vec!["3"]]);
    assert_eq!(jobs_with(&dli, "reuse-expired").await.len(), 2);
    assert_eq!(reused_job(&drain(&mut notices)), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_replica_finds_the_result_through_the_job_tag() {
    let wh = tempfile::tempdir().unwrap();
    let (_svc, cfg, one, dli) = setup(wh.path(), |_| {}).await;
    let two = start(cfg.clone()).await;
    let q = "SELECT max(a) FROM sh.t /* reuse-replica */";
    let c1 = common::connect(&one).await;
    assert_eq!(text_rows(&c1, q).await.unwrap(), vec![vec!["3"]]);
    let (c2, mut notices) = connect_noticed(&two).await;
    c2.simple_query("SET dli.result_reuse_max_age = '1h'")
        .await
        .unwrap();
    assert_eq!(text_rows(&c2, q).await.unwrap(), vec![vec!["3"]]);
    assert_eq!(
        jobs_with(&dli, "reuse-replica").await.len(),
        1,
        "no new job"
    );
    assert!(reused_job(&drain(&mut notices)).is_some());
    // Another database: another identity, a job of its own.
    c2.simple_query("SET search_path = sh").await.unwrap();
    text_rows(&c2, q).await.unwrap();
    assert_eq!(jobs_with(&dli, "reuse-replica").await.len(), 2);
}
