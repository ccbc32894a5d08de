//! Polling: how late the gateway sees a DLI job end and how many status calls that
//! costs, per job length, for the former backoff schedule and the proportional one in the
//! same run; and the latency floor of a ~5 ms job through the gateway against a plain
//! REST client polling every 5 ms on the same service (the gateway also with its
//! check-sql memo off: a statement's first run).
//!
//! The DLI side is the embedded service: the real HTTP path, and it reports each job's
//! exact end time (`end_time`, ms, the same clock as this program), so the detection
//! delay is the time the first status answer that says FINISHED arrives minus the job's
//! `end_time`. The wait loop measured is the gateway's own ([`Runner`]), on a backend
//! that records every status call.
//!
//! ```sh
//! cargo run --release --example poll_bench            # 5 jobs of each length, 200 queries
//! cargo run --release --example poll_bench -- 3 100   # jobs of each length, queries
//! cargo run --release --example poll_bench -- 0 200   # the latency floor only
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use dli_pg_gateway::app::Gateway;
use dli_pg_gateway::config::Config;
use dli_pg_gateway::dli::{
    AsyncJobResponse, AuthMode, CheckSqlResponse, DliAuthConfig, DliClient, DliClientConfig,
    DliError, ExportResultRequest, JobList, JobProgress, JobStatus, ListJobsQuery, PreviewResponse,
    SubmitJobRequest, SubmitJobResponse,
};
use dli_pg_gateway::gateway::config::{PollScheduleKind, RunnerConfig};
use dli_pg_gateway::gateway::runner::{JobBackend, JobContext, Runner};
use dli_pg_gateway::localdli::{self, LocalDliConfig};
use tokio_postgres::NoTls;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Per job: status calls made, and when (epoch ms) the first terminal answer arrived
/// with the job's `end_time`.
#[derive(Default, Clone, Copy)]
struct Seen {
    calls: u32,
    detected: Option<(f64, i64)>,
}

/// The real client, recording status calls.
struct Recording {
    dli: DliClient,
    seen: Mutex<HashMap<String, Seen>>,
}

fn epoch_ms() -> f64 {
    chrono::Utc::now().timestamp_micros() as f64 / 1000.0
}

#[async_trait]
impl JobBackend for Recording {
    async fn check_sql(&self, sql: &str, db: &str) -> Result<CheckSqlResponse, DliError> {
        self.dli.check_sql(sql, Some(db)).await
    }
    async fn submit_job(&self, req: &SubmitJobRequest) -> Result<SubmitJobResponse, DliError> {
        self.dli.submit_job(req).await
    }
    async fn job_status(&self, job_id: &str) -> Result<JobStatus, DliError> {
        let answer = self.dli.job_status(job_id).await;
        let at = epoch_ms();
        if let Ok(mut seen) = self.seen.lock() {
            let s = seen.entry(job_id.to_string()).or_default();
            s.calls += 1;
            if let Ok(st) = &answer
                && st.status.is_terminal()
                && s.detected.is_none()
            {
                s.detected = Some((at, st.end_time.unwrap_or_default()));
            }
        }
        answer
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
        self.dli.list_jobs(query).await
    }
    async fn job_progress(&self, job_id: &str) -> Result<JobProgress, DliError> {
        self.dli.job_progress(job_id).await
    }
}

fn old_schedule() -> RunnerConfig {
    RunnerConfig {
        poll_schedule: PollScheduleKind::Backoff,
        poll_initial_ms: 50,
        poll_max_ms: 2000,
        poll_multiplier: 1.6,
        ..RunnerConfig::default()
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

/// `jobs` jobs of `secs` at once (fewer than the shared poller's threshold, so each
/// statement polls for itself); returns (detection delays ms, status calls) per job.
async fn detect(
    dli: &DliClient,
    cfg: &RunnerConfig,
    secs: f64,
    jobs: usize,
) -> Result<Vec<(f64, u32)>, BoxError> {
    let backend = Arc::new(Recording {
        dli: dli.clone(),
        seen: Mutex::new(HashMap::new()),
    });
    let runner = Runner::new(backend.clone(), cfg.clone());
    let ctx = JobContext {
        currentdb: "default".into(),
        queue: None,
        statement_timeout_ms: 0,
        allow_truncated_results: false,
    };
    let ms = (secs * 1000.0).round() as u64;
    let runs = (0..jobs).map(|i| {
        let (runner, ctx) = (runner.clone(), ctx.clone());
        async move {
            let sql = format!("SELECT {i} AS n /* dli_local_delay_ms={ms} */");
            runner.run(&sql, &ctx).await.map(|f| f.job_id)
        }
    });
    let ids = futures::future::join_all(runs).await;
    let seen = backend.seen.lock().map(|s| s.clone()).unwrap_or_default();
    let mut out = Vec::new();
    for id in ids {
        let id = id?;
        let s = seen.get(&id).copied().unwrap_or_default();
        if let Some((at, end)) = s.detected {
            out.push(((at - end as f64).max(0.0), s.calls));
        }
    }
    Ok(out)
}

async fn detection_table(dli: &DliClient, jobs: usize) -> Result<(), BoxError> {
    let new = RunnerConfig::default();
    println!("detection delay (first FINISHED answer - job end_time) and status calls per job,");
    println!(
        "{jobs} concurrent jobs per length; old = backoff 50 ms x1.6 cap 2 s, new = 5 ms + 4 % of elapsed\n"
    );
    println!(
        "{:>7} | {:>9} {:>9} {:>6} | {:>9} {:>9} {:>6} | {:>11}",
        "job s", "old p50ms", "old max", "calls", "new p50ms", "new max", "calls", "p50 old/new"
    );
    for secs in [0.05, 0.1, 1.0, 5.0, 10.0] {
        let mut row = Vec::new();
        for cfg in [&old_schedule(), &new] {
            let got = detect(dli, cfg, secs, jobs).await?;
            let mut delays: Vec<f64> = got.iter().map(|g| g.0).collect();
            delays.sort_by(f64::total_cmp);
            let calls = got.iter().map(|g| f64::from(g.1)).sum::<f64>() / got.len().max(1) as f64;
            row.push((
                percentile(&delays, 0.5),
                delays.last().copied().unwrap_or_default(),
                calls,
            ));
        }
        let (o, n) = (row[0], row[1]);
        println!(
            "{secs:>7.2} | {:>9.1} {:>9.1} {:>6.1} | {:>9.1} {:>9.1} {:>6.1} | {:>10.1}x",
            o.0,
            o.1,
            o.2,
            n.0,
            n.1,
            n.2,
            o.0 / n.0.max(0.1)
        );
    }
    Ok(())
}

/// A DLI client on a gateway's embedded service (its built-in IAM user).
fn service_client(gw: &Gateway) -> Result<DliClient, DliError> {
    DliClient::new(DliClientConfig {
        endpoint: gw.dli_endpoint().to_string(),
        project_id: "local-project".into(),
        auth: DliAuthConfig {
            mode: AuthMode::Token,
            domain_name: "local".into(),
            user_name: "dli".into(),
            password: "dli-local-password".into(),
            ..Default::default()
        },
        ..Default::default()
    })
}

async fn start_gateway(wh: &std::path::Path, runner: RunnerConfig) -> Result<Gateway, BoxError> {
    let mut cfg = Config::from_toml_and_env("", &[])?;
    cfg.server.listen = "127.0.0.1:0".into();
    cfg.local.listen = "127.0.0.1:0".into();
    cfg.local.warehouse = wh.to_path_buf();
    cfg.local.demo = false;
    cfg.runner = runner;
    Gateway::start(cfg).await
}

async fn pg_client(gw: &Gateway) -> Result<tokio_postgres::Client, BoxError> {
    let conn = format!(
        "host=127.0.0.1 port={} user=dli password=dli dbname=dli",
        gw.addr().port()
    );
    let (client, connection) = tokio_postgres::connect(&conn, NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

const FLOOR_SQL: &str = "SELECT count(*) FROM bench.t /* dli_local_delay_ms=5 */";

/// A plain REST client: submit, poll every 5 ms, preview.
async fn direct(dli: &DliClient) -> Result<Duration, BoxError> {
    let started = Instant::now();
    let req = SubmitJobRequest {
        sql: FLOOR_SQL.into(),
        currentdb: Some("default".into()),
        ..Default::default()
    };
    let job = dli.submit_job(&req).await?;
    loop {
        tokio::time::sleep(Duration::from_millis(5)).await;
        if dli.job_status(&job.job_id).await?.status.is_terminal() {
            break;
        }
    }
    dli.preview(&job.job_id, Some(1000), None).await?;
    Ok(started.elapsed())
}

async fn latency_floor(queries: usize) -> Result<(), BoxError> {
    let (wh_new, wh_old) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let wh_unmemo = tempfile::tempdir()?;
    let new = start_gateway(wh_new.path(), RunnerConfig::default()).await?;
    let old = start_gateway(wh_old.path(), old_schedule()).await?;
    let unmemo = start_gateway(
        wh_unmemo.path(),
        RunnerConfig {
            check_sql_memo_ms: 0,
            ..RunnerConfig::default()
        },
    )
    .await?;
    let (pg_new, pg_old) = (pg_client(&new).await?, pg_client(&old).await?);
    let pg_unmemo = pg_client(&unmemo).await?;
    for c in [&pg_new, &pg_old, &pg_unmemo] {
        c.batch_execute(
            "CREATE DATABASE bench; CREATE TABLE bench.t (id int) USING parquet;
             INSERT INTO bench.t VALUES (1), (2), (3)",
        )
        .await?;
    }
    let rest = service_client(&new)?;
    let mut times: [Vec<f64>; 4] = Default::default();
    for i in 0..queries + 10 {
        let a = Instant::now();
        pg_new.simple_query(FLOOR_SQL).await?;
        let a = a.elapsed();
        let b = direct(&rest).await?;
        let c = Instant::now();
        pg_old.simple_query(FLOOR_SQL).await?;
        let c = c.elapsed();
        let d = Instant::now();
        pg_unmemo.simple_query(FLOOR_SQL).await?;
        let d = d.elapsed();
        if i >= 10 {
            for (v, d) in times.iter_mut().zip([a, b, c, d]) {
                v.push(d.as_secs_f64() * 1e3);
            }
        }
    }
    for v in &mut times {
        v.sort_by(f64::total_cmp);
    }
    println!("\nlatency floor: {queries} runs of a ~5 ms job (after 10 warm-up runs), ms\n");
    println!("{:<44} {:>8} {:>8}", "", "p50", "p90");
    for (name, v) in [
        ("gateway, new schedule (tokio-postgres)", &times[0]),
        ("direct REST client polling every 5 ms", &times[1]),
        ("gateway, old schedule (tokio-postgres)", &times[2]),
        ("gateway, check-sql every time", &times[3]),
    ] {
        println!(
            "{name:<44} {:>8.2} {:>8.2}",
            percentile(v, 0.5),
            percentile(v, 0.9)
        );
    }
    let (g, d, o, u) = (
        percentile(&times[0], 0.5),
        percentile(&times[1], 0.5),
        percentile(&times[2], 0.5),
        percentile(&times[3], 0.5),
    );
    println!(
        "\nadded p50 over the direct client: new {:+.2} ms ({:.2}x), old {:+.2} ms ({:.2}x), \
         check-sql every time {:+.2} ms ({:.2}x)",
        g - d,
        g / d,
        o - d,
        o / d,
        u - d,
        u / d
    );
    new.shutdown().await;
    old.shutdown().await;
    unmemo.shutdown().await;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let mut args = std::env::args().skip(1);
    let jobs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let queries: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let wh = tempfile::tempdir()?;
    let local = LocalDliConfig {
        listen: "127.0.0.1:0".into(),
        warehouse: wh.path().to_path_buf(),
        demo: false,
        ..LocalDliConfig::default()
    };
    let svc = localdli::start(local.clone()).await?;
    let dli = DliClient::new(svc.client_config(&local, &DliClientConfig::default()))?;
    if jobs > 0 {
        detection_table(&dli, jobs.min(7)).await?;
    }
    svc.shutdown().await;
    latency_floor(queries).await?;
    Ok(())
}
