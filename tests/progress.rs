//! Waiting for DLI jobs, end to end: progress NOTICEs through tokio-postgres (on and off
//! per session), and the shared poller serving many concurrent statements with fewer
//! status calls than one poll loop per job, within the gateway's status-call budget.
//! Real gateway, real embedded DLI service.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use common::*;
use dli_pg_gateway::dli::{
    AsyncJobResponse, CheckSqlResponse, DliClient, DliError, ExportResultRequest, JobList,
    JobProgress, JobStatus, ListJobsQuery, PreviewResponse, SubmitJobRequest, SubmitJobResponse,
};
use dli_pg_gateway::gateway::config::RunnerConfig;
use dli_pg_gateway::gateway::runner::{JobBackend, JobContext, Outcome, Runner};
use dli_pg_gateway::localdli::{self, LocalDliConfig};
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio_postgres::error::DbError;

fn drain(rx: &mut mpsc::UnboundedReceiver<DbError>) -> Vec<DbError> {
    let mut v = Vec::new();
    while let Ok(n) = rx.try_recv() {
        v.push(n);
    }
    v
}

/// The id of the one job whose statement contains `marker`.
async fn job_id_of(dli: &DliClient, marker: &str) -> String {
    let list = dli
        .list_jobs(&ListJobsQuery {
            sql_pattern: Some(marker.into()),
            ..Default::default()
        })
        .await
        .expect("list jobs");
    assert_eq!(list.jobs.len(), 1, "jobs with {marker}");
    list.jobs[0].job_id.clone()
}

#[tokio::test]
async fn a_slow_job_reports_progress_notices_unless_the_session_turns_them_off() {
    let wh = tempfile::tempdir().unwrap();
    let mut cfg = test_config(wh.path(), false);
    cfg.runner.progress_interval_ms = 150;
    let gw = start(cfg).await;
    let dli = service_client(&gw);
    let (client, mut notices) = connect_noticed(&gw).await;
    client
        .batch_execute(
            "CREATE DATABASE prog; CREATE TABLE prog.t (id int) USING parquet;
             INSERT INTO prog.t VALUES (1), (2), (3)",
        )
        .await
        .expect("setup");
    drain(&mut notices);

    let rows = simple_rows(
        &client,
        "SELECT count(*) FROM prog.t /* dli_local_delay_ms=900 marker-on */",
    )
    .await;
    assert_eq!(rows, vec![vec![Some("3".to_string())]]);
    let job_id = job_id_of(&dli, "marker-on").await;
    let got = drain(&mut notices);
    assert!(!got.is_empty(), "no progress NOTICE for a 900 ms job");
    for n in &got {
        assert_eq!(n.severity(), "NOTICE", "{n:?}");
        assert_eq!(n.code().code(), "00000", "{n:?}");
        assert!(
            n.message().starts_with(&format!("DLI job {job_id}: ")),
            "{n:?}"
        );
        assert!(n.message().contains(" s elapsed"), "{n:?}");
        assert_eq!(n.detail(), Some("queue default"), "{n:?}");
    }
    // The embedded service reports the running job's progress (§7.3.11).
    assert!(
        got.iter()
            .any(|n| n.message().contains("RUNNING") && n.message().contains(" %")),
        "{got:?}"
    );

    // A quick statement says nothing.
    simple_rows(&client, "SELECT count(*) FROM prog.t /* quick */").await;
    assert!(drain(&mut notices).is_empty());

    // Off for this session: silence, and SHOW tells.
    client
        .simple_query("SET dli.progress_notices = off")
        .await
        .unwrap();
    let shown = simple_rows(&client, "SHOW dli.progress_notices").await;
    assert_eq!(shown, vec![vec![Some("off".to_string())]]);
    let rows = simple_rows(
        &client,
        "SELECT count(*) FROM prog.t /* dli_local_delay_ms=900 marker-off */",
    )
    .await;
    assert_eq!(rows, vec![vec![Some("3".to_string())]]);
    assert!(drain(&mut notices).is_empty(), "NOTICE sent while off");
    let err = sqlstate_of(&client, "SET dli.progress_notices = maybe").await;
    assert_eq!(err, "22023");
    gw.shutdown().await;
}

#[tokio::test]
async fn progress_notices_off_in_the_config() {
    let wh = tempfile::tempdir().unwrap();
    let mut cfg = test_config(wh.path(), false);
    cfg.runner.progress_interval_ms = 100;
    cfg.runner.progress_notices = false;
    let gw = start(cfg).await;
    let (client, mut notices) = connect_noticed(&gw).await;
    client
        .batch_execute("CREATE DATABASE q; CREATE TABLE q.t (id int) USING parquet")
        .await
        .expect("setup");
    let shown = simple_rows(&client, "SHOW dli.progress_notices").await;
    assert_eq!(shown, vec![vec![Some("off".to_string())]]);
    simple_rows(
        &client,
        "SELECT count(*) FROM q.t /* dli_local_delay_ms=600 */",
    )
    .await;
    assert!(drain(&mut notices).is_empty());
    gw.shutdown().await;
}

/// The real client on the embedded service, counting the calls made while waiting.
struct Counting {
    dli: DliClient,
    status: AtomicU64,
    list: AtomicU64,
}

impl Counting {
    fn waiting_calls(&self) -> u64 {
        self.status.load(Ordering::SeqCst) + self.list.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl JobBackend for Counting {
    async fn check_sql(&self, sql: &str, db: &str) -> Result<CheckSqlResponse, DliError> {
        self.dli.check_sql(sql, Some(db)).await
    }
    async fn submit_job(&self, req: &SubmitJobRequest) -> Result<SubmitJobResponse, DliError> {
        self.dli.submit_job(req).await
    }
    async fn job_status(&self, job_id: &str) -> Result<JobStatus, DliError> {
        self.status.fetch_add(1, Ordering::SeqCst);
        self.dli.job_status(job_id).await
    }
    async fn preview(
        &self,
        job_id: &str,
        rows: u32,
        queue: Option<&str>,
    ) -> Result<PreviewResponse, DliError> {
        self.dli.preview(job_id, Some(rows), queue).await
    }
    async fn cancel_job(&self, job_id: &str) -> Result<(), DliError> {
        self.dli.cancel_job(job_id).await.map(|_| ())
    }
    async fn export_result(
        &self,
        job_id: &str,
        req: &ExportResultRequest,
    ) -> Result<AsyncJobResponse, DliError> {
        self.dli.export_result(job_id, req).await
    }
    async fn list_jobs(&self, query: &ListJobsQuery) -> Result<JobList, DliError> {
        self.list.fetch_add(1, Ordering::SeqCst);
        self.dli.list_jobs(query).await
    }
    async fn job_progress(&self, job_id: &str) -> Result<JobProgress, DliError> {
        self.dli.job_progress(job_id).await
    }
}

const STATEMENTS: i64 = 24;

/// Runs [`STATEMENTS`] slow statements at once on a fresh runner; returns the calls made
/// while waiting. Every statement must get its own answer.
async fn run_many(dli: &DliClient, cfg: RunnerConfig) -> u64 {
    let backend = Arc::new(Counting {
        dli: dli.clone(),
        status: AtomicU64::new(0),
        list: AtomicU64::new(0),
    });
    let runner = Runner::new(backend.clone(), cfg);
    let ctx = JobContext {
        currentdb: "default".into(),
        queue: None,
        statement_timeout_ms: 0,
        allow_truncated_results: false,
    };
    let runs = (0..STATEMENTS).map(|i| {
        let (runner, ctx) = (runner.clone(), ctx.clone());
        async move {
            // Staggered lengths: 600..=830 ms.
            let sql = format!("SELECT {i} AS n /* dli_local_delay_ms={} */", 600 + i * 10);
            let finished = runner.run(&sql, &ctx).await.expect("statement runs");
            let Outcome::Rows { rows, .. } = finished.outcome else {
                panic!("no rows for {sql}")
            };
            let mut rows = rows.into_json().expect("preview rows");
            let batch = rows.next().await.expect("a batch").expect("rows");
            assert_eq!(batch, vec![vec![serde_json::json!(i)]], "{sql}");
        }
    });
    futures::future::join_all(runs).await;
    backend.waiting_calls()
}

#[tokio::test]
async fn the_shared_poller_serves_many_statements_with_fewer_calls() {
    let wh = tempfile::tempdir().unwrap();
    let local = LocalDliConfig {
        listen: "127.0.0.1:0".into(),
        warehouse: wh.path().to_path_buf(),
        demo: false,
        ..LocalDliConfig::default()
    };
    let svc = localdli::start(local.clone())
        .await
        .expect("service starts");
    let dli = DliClient::new(svc.client_config(&local, &Default::default())).expect("client");
    let generous = RunnerConfig {
        status_calls_per_second: 100_000,
        ..RunnerConfig::default()
    };
    let alone = run_many(
        &dli,
        RunnerConfig {
            batch_poll_min_jobs: 1_000,
            ..generous.clone()
        },
    )
    .await;
    let shared = run_many(&dli, generous).await;
    assert!(
        shared * 2 < alone,
        "shared poller made {shared} calls, one loop per job {alone}"
    );
    // A tight budget: the calls stay within it (a burst of 20, then 20 a second).
    let started = std::time::Instant::now();
    let tight = run_many(
        &dli,
        RunnerConfig {
            status_calls_per_second: 20,
            ..RunnerConfig::default()
        },
    )
    .await;
    let allowed = 20 + (started.elapsed().as_secs_f64() * 20.0).ceil() as u64;
    assert!(tight <= allowed, "{tight} calls, budget {allowed}");
    svc.shutdown().await;
}
