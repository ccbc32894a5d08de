//! Shared helpers for end-to-end tests: a real gateway and a real embedded DLI service
//! on ephemeral loopback ports, over a temporary warehouse; psql runs; DLI job counts;
//! a log capture.
#![allow(dead_code)]

pub mod fake_jobs;
pub mod fuzz;
pub mod tls;
pub mod wire;

use std::io::Write;
use std::path::Path;
use std::process::Output;
use std::sync::{Arc, Mutex, OnceLock};

use dli_pg_gateway::app::Gateway;
use dli_pg_gateway::config::Config;
use dli_pg_gateway::dli::{
    AuthMode, DliAuthConfig, DliClient, DliClientConfig, JobState, JobStatus, ListJobsQuery,
};
use dli_pg_gateway::localdli::{self, LocalDli};
use tokio_postgres::{Client, NoTls};

pub const USER: &str = "dli";
pub const PASSWORD: &str = "dli";

/// A gateway config for tests: ephemeral ports, the given warehouse, fast polling.
pub fn test_config(warehouse: &Path, demo: bool) -> Config {
    test_config_env(warehouse, demo, &[])
}

/// [`test_config`] with `DLIGW__SECTION__KEY` overrides, as a user would set them.
pub fn test_config_env(warehouse: &Path, demo: bool, env: &[(String, String)]) -> Config {
    let mut cfg =
        Config::from_toml_and_env("", env).unwrap_or_else(|e| panic!("config with {env:?}: {e}"));
    cfg.server.listen = "127.0.0.1:0".into();
    cfg.local.listen = "127.0.0.1:0".into();
    cfg.local.warehouse = warehouse.to_path_buf();
    cfg.local.demo = demo;
    cfg.local.demo_scale_factor = 0.001;
    cfg.runner.poll_initial_ms = 5;
    cfg.runner.poll_max_ms = 100;
    cfg
}

pub async fn start(cfg: Config) -> Gateway {
    Gateway::start(cfg).await.expect("gateway starts")
}

pub async fn connect(gw: &Gateway) -> Client {
    let conn_str = format!(
        "host=127.0.0.1 port={} user={USER} password={PASSWORD} dbname=dli",
        gw.addr().port()
    );
    let (client, connection) = tokio_postgres::connect(&conn_str, NoTls)
        .await
        .expect("connects");
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

/// Text rows of a simple query (the last result set in the message).
pub async fn simple_rows(client: &Client, sql: &str) -> Vec<Vec<Option<String>>> {
    let msgs = client
        .simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    let mut rows = Vec::new();
    for m in msgs {
        match m {
            tokio_postgres::SimpleQueryMessage::RowDescription(_) => rows.clear(),
            tokio_postgres::SimpleQueryMessage::Row(r) => {
                rows.push((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
            }
            _ => {}
        }
    }
    rows
}

/// The SQLSTATE of a failing statement.
pub async fn sqlstate_of(client: &Client, sql: &str) -> String {
    match client.simple_query(sql).await {
        Ok(_) => panic!("{sql} unexpectedly succeeded"),
        Err(e) => e
            .code()
            .map(|c| c.code().to_string())
            .unwrap_or_else(|| panic!("{sql}: no SQLSTATE in {e:?}")),
    }
}

/// psql's raw result (unaligned, `|`-separated, no headers, stop at the first error) of
/// one meta-command or query string against `gw`.
pub async fn psql_output(gw: &Gateway, command: &str) -> Output {
    let port = gw.addr().port().to_string();
    let command = command.to_string();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                USER,
                "-d",
                "dli",
                "-X",
                "-A",
                "-t",
            ])
            .args(["-v", "ON_ERROR_STOP=1", "-c", &command])
            .env("PGPASSWORD", PASSWORD)
            .output()
            .expect("psql is installed (apt-get install postgresql-client)")
    })
    .await
    .expect("psql task")
}

/// psql's output of one meta-command or query, which must succeed.
pub async fn psql(gw: &Gateway, command: &str) -> String {
    let out = psql_output(gw, command).await;
    assert!(
        out.status.success(),
        "psql {:?} failed: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Jobs the DLI service that `cfg.dli` points at has run so far.
pub async fn job_count(cfg: &Config) -> i64 {
    let client = DliClient::new(cfg.dli.clone()).expect("client");
    let list = client
        .list_jobs(&ListJobsQuery {
            page_size: Some(100),
            ..ListJobsQuery::default()
        })
        .await
        .expect("list jobs");
    list.job_count.unwrap_or(list.jobs.len() as i64)
}

/// A DLI client on the gateway's embedded service, to look at its jobs.
pub fn service_client(gw: &Gateway) -> DliClient {
    let cfg = DliClientConfig {
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
    };
    DliClient::new(cfg).expect("dli client")
}

/// Every job the service knows, all pages.
pub async fn all_jobs(dli: &DliClient) -> Vec<JobStatus> {
    let mut jobs = Vec::new();
    for page in 1.. {
        let list = dli
            .list_jobs(&ListJobsQuery {
                page_size: Some(100),
                current_page: Some(page),
                ..ListJobsQuery::default()
            })
            .await
            .expect("list jobs");
        let n = list.jobs.len();
        jobs.extend(list.jobs);
        if n < 100 {
            break;
        }
    }
    jobs
}

/// Where [`logs`] collects the log.
#[derive(Clone, Default)]
pub struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every test of a test binary that calls this logs at debug level into one buffer
/// (installed once).
pub fn logs() -> &'static LogBuffer {
    static LOGS: OnceLock<LogBuffer> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = LogBuffer::default();
        let writer = buf.clone();
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .try_init();
        buf
    })
}

/// Everything logged so far.
pub fn captured() -> String {
    let v = logs().0.lock().map(|v| v.clone()).unwrap_or_default();
    String::from_utf8_lossy(&v).into_owned()
}

/// A standalone embedded DLI service, so tests can stop it under a running gateway.
pub async fn service(wh: &std::path::Path, demo: bool) -> (LocalDli, Config) {
    let cfg = test_config(wh, demo);
    let svc = localdli::start(cfg.local.clone())
        .await
        .expect("local DLI starts");
    (svc, cfg)
}

/// A gateway config pointing at `svc` (what `Gateway::start` does for embedded mode).
pub fn gateway_config(svc: &LocalDli, base: &Config) -> Config {
    let mut cfg = base.clone();
    cfg.dli = svc.client_config(&cfg.local, &cfg.dli);
    dli_pg_gateway::app::embedded_results(&mut cfg.results, &cfg.local, svc);
    cfg.dli.max_read_retries = 0;
    cfg.dli.request_timeout_secs = 5;
    cfg
}

/// The states of the jobs whose statement contains `marker`.
pub async fn jobs_with(dli: &DliClient, marker: &str) -> Vec<JobState> {
    let q = ListJobsQuery {
        sql_pattern: Some(marker.to_string()),
        page_size: Some(100),
        ..Default::default()
    };
    let list = dli.list_jobs(&q).await.expect("list jobs");
    list.jobs.into_iter().map(|j| j.status).collect()
}

/// Polls [`jobs_with`] until its states satisfy `done` or `bound` has passed; the last
/// states either way.
pub async fn wait_jobs(
    dli: &DliClient,
    marker: &str,
    bound: std::time::Duration,
    done: impl Fn(&[JobState]) -> bool,
) -> Vec<JobState> {
    let deadline = tokio::time::Instant::now() + bound;
    loop {
        let states = jobs_with(dli, marker).await;
        if done(&states) || tokio::time::Instant::now() > deadline {
            return states;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A tokio-postgres connection whose NOTICEs arrive on the returned channel.
pub async fn connect_noticed(
    gw: &Gateway,
) -> (
    tokio_postgres::Client,
    tokio::sync::mpsc::UnboundedReceiver<tokio_postgres::error::DbError>,
) {
    use futures::StreamExt;
    let conn_str = format!(
        "host=127.0.0.1 port={} user={USER} password={PASSWORD} dbname=dli",
        gw.addr().port()
    );
    let (client, mut connection) = tokio_postgres::connect(&conn_str, tokio_postgres::NoTls)
        .await
        .expect("connects");
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(Ok(m)) = messages.next().await {
            if let tokio_postgres::AsyncMessage::Notice(n) = m {
                let _ = tx.send(n);
            }
        }
    });
    (client, rx)
}
