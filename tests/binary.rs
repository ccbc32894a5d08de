//! The `dli-pg-gateway` program itself: its log lines on stderr, as text without terminal
//! colour codes when stderr is not a terminal, and as one JSON object per line with
//! `--log-format json`; its Prometheus endpoint scraped around real statements; SIGTERM
//! with a statement running (finished within the grace period, or cancelled past it).

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::{PASSWORD, USER, jobs_with, wait_jobs};
use dli_pg_gateway::dli::{DliClient, JobState};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;

/// The log lines the program writes until its embedded service is ready.
async fn startup_log(format: &str) -> Vec<String> {
    let wh = tempfile::tempdir().expect("warehouse");
    let mut child = Command::new(env!("CARGO_BIN_EXE_dli-pg-gateway"))
        .args(["--listen", "127.0.0.1:0", "--local-listen", "127.0.0.1:0"])
        .arg("--warehouse")
        .arg(wh.path())
        .args(["--no-demo", "--log-format", format, "--log", "info"])
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the program starts");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let mut seen = Vec::new();
    let read = async {
        while let Some(line) = lines.next_line().await.expect("stderr is readable") {
            let ready = line.contains("embedded local DLI service ready");
            seen.push(line);
            if ready {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(120), read)
        .await
        .unwrap_or_else(|_| {
            panic!("no `embedded local DLI service ready` line in 120 s; log: {seen:#?}")
        });
    let _ = child.kill().await;
    seen
}

#[tokio::test]
async fn text_logs_have_no_colour_codes_off_a_terminal() {
    let lines = startup_log("text").await;
    assert!(lines.len() >= 2, "{lines:#?}");
    for line in &lines {
        assert!(!line.contains('\u{1b}'), "an ANSI escape in {line:?}");
        assert!(line.contains("INFO"), "{line:?}");
    }
}

#[tokio::test]
async fn json_logs_are_one_object_per_line() {
    let lines = startup_log("json").await;
    assert!(lines.len() >= 2, "{lines:#?}");
    for line in &lines {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?} is not JSON: {e}"));
        assert_eq!(v["level"], "INFO", "{line}");
        assert!(v["timestamp"].is_string(), "{line}");
        assert!(v["fields"]["message"].is_string(), "{line}");
    }
}

/// Generous bound on anything that must happen (a hang fails the test).
const BOUND: Duration = Duration::from_secs(60);

/// The program, serving, with the addresses it printed.
struct Program {
    child: Child,
    pg_port: u16,
    metrics: Option<String>,
}

impl Program {
    /// Starts `serve` with `args` and `env` (config overrides) and waits for its banner.
    async fn start(args: &[&str], env: &[(String, String)]) -> Program {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dli-pg-gateway"))
            .args(["--listen", "127.0.0.1:0", "--log", "warn"])
            .args(args)
            .envs(env.iter().cloned())
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("the program starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let (mut pg_port, mut metrics) = (None, None);
        let wants_metrics = args.contains(&"--metrics-listen");
        let read = async {
            while let Some(line) = lines.next_line().await.expect("stdout is readable") {
                if let Some(rest) = line.split("listening on ").nth(1) {
                    let addr = rest.split(' ').next().unwrap_or_default();
                    pg_port = addr.rsplit(':').next().and_then(|p| p.parse().ok());
                }
                if let Some(rest) = line.split("metrics on http://").nth(1) {
                    metrics = Some(rest.trim_end_matches("/metrics").to_string());
                }
                if pg_port.is_some() && (metrics.is_some() || !wants_metrics) {
                    break;
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(120), read)
            .await
            .expect("the program prints its addresses");
        // keep reading stdout so the program never blocks on it
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Program {
            child,
            pg_port: pg_port.expect("the Postgres port"),
            metrics,
        }
    }

    fn conn_str(&self) -> String {
        format!(
            "host=127.0.0.1 port={} user={USER} password={PASSWORD} dbname=dli",
            self.pg_port
        )
    }

    async fn connect(
        &self,
    ) -> (
        tokio_postgres::Client,
        tokio::task::JoinHandle<Result<(), tokio_postgres::Error>>,
    ) {
        let (client, conn) = tokio_postgres::connect(&self.conn_str(), NoTls)
            .await
            .expect("connects");
        (client, tokio::spawn(conn))
    }

    async fn scrape(&self) -> String {
        let addr = self.metrics.as_ref().expect("a metrics endpoint");
        let resp = reqwest::get(format!("http://{addr}/metrics"))
            .await
            .expect("the metrics endpoint answers");
        assert!(resp.status().is_success(), "{resp:?}");
        resp.text().await.expect("metrics text")
    }

    fn sigterm(&self) {
        let pid = self.child.id().expect("the program is running");
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits (bounded) for the program to exit; true when it exited successfully.
    async fn exited(&mut self) -> bool {
        tokio::time::timeout(BOUND, self.child.wait())
            .await
            .expect("the program exits after SIGTERM")
            .expect("wait")
            .success()
    }
}

/// The value of one series (`name{labels}` exactly as exposed); 0 when absent.
fn series(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .map(|v| v.trim().parse().expect("a number"))
        .unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_endpoint_counts_sessions_statements_and_dli_calls() {
    let wh = tempfile::tempdir().expect("warehouse");
    let warehouse = wh.path().to_str().expect("utf-8 path").to_string();
    let env = [(
        "DLIGW__RUNNER__POLL_INITIAL_MS".to_string(),
        "5".to_string(),
    )];
    let args = [
        "--local-listen",
        "127.0.0.1:0",
        "--warehouse",
        warehouse.as_str(),
        "--no-demo",
        "--metrics-listen",
        "127.0.0.1:0",
    ];
    let program = Program::start(&args, &env).await;
    let before = program.scrape().await;
    assert!(
        before.contains("# TYPE dligw_sessions_open gauge"),
        "{before}"
    );
    assert_eq!(series(&before, "dligw_sessions_open"), 0.0, "{before}");

    let (client, _conn) = program.connect().await;
    client
        .batch_execute(
            "CREATE DATABASE m; CREATE TABLE m.t (id int) USING parquet;
             INSERT INTO m.t VALUES (1), (2), (3)",
        )
        .await
        .expect("setup");
    let mid = program.scrape().await;
    for _ in 0..3 {
        let n: i64 = client
            .query_one("SELECT count(*) FROM m.t", &[])
            .await
            .expect("count")
            .get(0);
        assert_eq!(n, 3);
    }
    let err = client
        .simple_query("SELECT * FROM m.missing")
        .await
        .expect_err("no such table");
    assert_eq!(err.code(), Some(&SqlState::UNDEFINED_TABLE), "{err:?}");
    let after = program.scrape().await;

    let delta = |name: &str| series(&after, name) - series(&mid, name);
    assert_eq!(series(&after, "dligw_sessions_open"), 1.0, "{after}");
    assert_eq!(series(&after, "dligw_sessions_total"), 1.0, "{after}");
    assert_eq!(
        delta(r#"dligw_statements_total{kind="query",class="00"}"#),
        3.0,
        "{after}"
    );
    assert_eq!(
        delta(r#"dligw_statements_total{kind="query",class="42"}"#),
        1.0,
        "{after}"
    );
    assert_eq!(
        series(
            &after,
            r#"dligw_statements_total{kind="insert",class="00"}"#
        ),
        1.0,
        "{after}"
    );
    assert_eq!(
        delta(
            r#"dligw_dli_api_calls_total{endpoint="POST /v1.0/{}/jobs/submit-job",status="200"}"#
        ),
        3.0,
        "{after}"
    );
    assert!(
        delta(r#"dligw_dli_api_calls_total{endpoint="GET /v1.0/{}/jobs/{}/status",status="200"}"#)
            >= 3.0,
        "{after}"
    );
    assert_eq!(
        delta(r#"dligw_dli_jobs_total{state="FINISHED"}"#),
        3.0,
        "{after}"
    );
    assert_eq!(delta("dligw_rows_sent_total"), 3.0, "{after}");
    assert!(delta("dligw_client_bytes_sent_total") > 0.0, "{after}");
    assert!(
        series(
            &after,
            r#"dligw_dli_api_call_duration_seconds_count{endpoint="POST /v1.0/{}/jobs/submit-job"}"#
        ) >= 3.0,
        "{after}"
    );

    // A catalog query loads the catalog; the cache age is then known.
    client
        .simple_query("SELECT relname FROM pg_catalog.pg_class LIMIT 1")
        .await
        .expect("catalog query");
    let catalog = program.scrape().await;
    assert!(
        series(
            &catalog,
            r#"dligw_catalog_loads_total{kind="full",outcome="ok"}"#
        ) >= 1.0,
        "{catalog}"
    );
    assert!(
        series(&catalog, "dligw_catalog_cache_age_seconds") >= 0.0,
        "{catalog}"
    );

    // The session's end is counted.
    drop(client);
    let deadline = tokio::time::Instant::now() + BOUND;
    loop {
        let now = program.scrape().await;
        if series(&now, "dligw_sessions_open") == 0.0 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{now}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A DLI service in this process (so its job list outlives the program) and the
/// overrides that point the program at it.
async fn outside_service(
    wh: &std::path::Path,
    grace_ms: u64,
) -> (
    dli_pg_gateway::localdli::LocalDli,
    DliClient,
    Vec<(String, String)>,
) {
    let (svc, base) = common::service(wh, false).await;
    let dli = common::gateway_config(&svc, &base).dli;
    let client = DliClient::new(dli.clone()).expect("dli client");
    let env = [
        ("DLIGW__DLI__ENDPOINT", dli.endpoint.clone()),
        ("DLIGW__DLI__PROJECT_ID", dli.project_id.clone()),
        ("DLIGW__DLI__AUTH__MODE", "token".into()),
        (
            "DLIGW__DLI__AUTH__DOMAIN_NAME",
            dli.auth.domain_name.clone(),
        ),
        ("DLIGW__DLI__AUTH__USER_NAME", dli.auth.user_name.clone()),
        ("DLIGW__DLI__AUTH__PASSWORD", dli.auth.password.clone()),
        ("DLIGW__RUNNER__POLL_INITIAL_MS", "5".into()),
        ("DLIGW__RUNNER__POLL_MAX_MS", "100".into()),
        ("DLIGW__SERVER__SHUTDOWN_GRACE_MS", grace_ms.to_string()),
    ];
    let env = env.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    (svc, client, env)
}

async fn setup_table(client: &tokio_postgres::Client) {
    client
        .batch_execute(
            "CREATE DATABASE s; CREATE TABLE s.t (id int) USING parquet;
             INSERT INTO s.t VALUES (1), (2), (3)",
        )
        .await
        .expect("setup");
}

#[tokio::test]
async fn sigterm_lets_a_running_statement_finish_within_the_grace_period() {
    let wh = tempfile::tempdir().expect("warehouse");
    let (svc, dli, env) = outside_service(wh.path(), 60_000).await;
    let mut program = Program::start(&[], &env).await;
    let (client, conn) = program.connect().await;
    setup_table(&client).await;
    let (idle, idle_conn) = program.connect().await;
    let query = tokio::spawn(async move {
        let r = client
            .simple_query("SELECT count(*) FROM s.t /* dli_local_delay_ms=1500 grace-marker */")
            .await;
        (client, r)
    });
    let running = wait_jobs(&dli, "grace-marker", BOUND, |s| {
        s.contains(&JobState::Running)
    })
    .await;
    assert!(running.contains(&JobState::Running), "{running:?}");
    program.sigterm();

    // The idle session is closed at once, with 57P01.
    let ended = tokio::time::timeout(BOUND, idle_conn)
        .await
        .expect("idle closed");
    let code = ended.expect("task").err().and_then(|e| e.code().cloned());
    assert_eq!(code, Some(SqlState::ADMIN_SHUTDOWN));
    assert!(idle.is_closed());
    // The running statement finishes with its rows …
    let (client, result) = tokio::time::timeout(BOUND, query)
        .await
        .expect("the statement ends")
        .expect("query task");
    let rows = result.expect("the statement finished within the grace period");
    let count = rows.iter().find_map(|m| match m {
        tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
        _ => None,
    });
    assert_eq!(count.as_deref(), Some("3"));
    // … then its session is closed with 57P01, and the program exits cleanly.
    let ended = tokio::time::timeout(BOUND, conn)
        .await
        .expect("session closed");
    let code = ended.expect("task").err().and_then(|e| e.code().cloned());
    assert_eq!(code, Some(SqlState::ADMIN_SHUTDOWN));
    assert!(client.is_closed());
    assert!(program.exited().await);
    assert_eq!(
        jobs_with(&dli, "grace-marker").await,
        vec![JobState::Finished]
    );
    svc.shutdown().await;
}

#[tokio::test]
async fn sigterm_past_the_grace_period_cancels_the_dli_job_and_sends_57p01() {
    let wh = tempfile::tempdir().expect("warehouse");
    let (svc, dli, env) = outside_service(wh.path(), 500).await;
    let mut program = Program::start(&[], &env).await;
    let (client, _conn) = program.connect().await;
    setup_table(&client).await;
    let query = tokio::spawn(async move {
        client
            .simple_query("SELECT count(*) FROM s.t /* dli_local_delay_ms=600000 late-marker */")
            .await
    });
    let running = wait_jobs(&dli, "late-marker", BOUND, |s| {
        s.contains(&JobState::Running)
    })
    .await;
    assert!(running.contains(&JobState::Running), "{running:?}");
    program.sigterm();
    let result = tokio::time::timeout(BOUND, query)
        .await
        .expect("the statement ends after the grace period")
        .expect("query task");
    let err = result.expect_err("the statement was stopped");
    assert_eq!(err.code(), Some(&SqlState::ADMIN_SHUTDOWN), "{err:?}");
    assert!(program.exited().await);
    // The program cancelled the job before it exited.
    assert_eq!(
        jobs_with(&dli, "late-marker").await,
        vec![JobState::Cancelled]
    );
    svc.shutdown().await;
}
