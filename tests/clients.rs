//! Real-client test suite: real Postgres drivers (psql, psycopg 3, psycopg2, asyncpg,
//! node-postgres, pgjdbc) against the real gateway and the embedded DLI service, started
//! in-process on ephemeral ports. Each client is a script in `tests/clients/` run as a
//! subprocess; it must exit 0 (see `tests/clients/README.md` for the conventions and the
//! per-check XFAIL lists).
//!
//! Missing runtimes or packages fail the test with the install command
//! (`scripts/install-test-deps.sh`), unless `DLIGW_SKIP_CLIENTS=1` is set.

mod common;
#[path = "common/ledger.rs"]
mod ledger;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{PASSWORD, USER, all_jobs, service_client, start, test_config_env};
use ledger::Ledger;

/// How one client script is run.
enum Runner {
    /// `python3 tests/clients/<script>`; the Python modules must be importable and the
    /// programs on PATH.
    Python(
        &'static str,
        &'static [&'static str],
        &'static [&'static str],
    ),
    /// `node tests/clients/<script>`, with `pg` from tests/clients/node_modules.
    Node(&'static str),
    /// `javac` + `java` of tests/clients/<Class>.java against Debian's pgjdbc jar.
    Java(&'static str),
}

/// How the gateway under a client script is configured.
#[derive(Clone, Copy)]
enum Gw {
    /// `test_config`: no demo data.
    Plain,
    /// Large results (issue 8): the TPC-H demo at its default scale factor (lineitem has
    /// 60,175 rows) and the given way of reading results beyond the preview.
    Big(BigMode),
}

/// How the gateway reads a result larger than DLI's preview; the script sees it as
/// `DLIGW_BIG_MODE`.
#[derive(Clone, Copy)]
enum BigMode {
    /// The default: export-result into the embedded service's OBS folder.
    Export,
    /// `[local] report_result_path = true`: the job status carries `result_path`.
    ResultPath,
    /// export-result with `[results] compress = "gzip"`.
    Gzip,
}

impl BigMode {
    fn name(self) -> &'static str {
        match self {
            BigMode::Export => "export",
            BigMode::ResultPath => "result_path",
            BigMode::Gzip => "gzip",
        }
    }

    /// Config overrides, as the environment variables a user would set.
    fn env(self) -> Vec<(String, String)> {
        let kv: &[(&str, &str)] = match self {
            BigMode::Export => &[],
            BigMode::ResultPath => &[("DLIGW__LOCAL__REPORT_RESULT_PATH", "true")],
            BigMode::Gzip => &[("DLIGW__RESULTS__COMPRESS", "gzip")],
        };
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
}

/// One `#[tokio::test]` per client script (and gateway configuration), so failures are
/// attributed. Adding a script is one line here.
macro_rules! client_tests {
    ($($name:ident => $runner:expr $(, $gw:expr)?;)*) => {$(
        // 4 workers, not 2: the embedded engine runs its CPU-bound query work on this
        // runtime (2 partitions), and with every worker busy the gateway accepts a
        // CancelRequest connection late (seen: 33 s), which the cancel checks would time.
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $name() {
            run_client(stringify!($name), $runner, client_tests!(@gw $($gw)?)).await;
        }
    )*};
    (@gw) => { Gw::Plain };
    (@gw $gw:expr) => { $gw };
}

client_tests! {
    psql => Runner::Python("psql_test.py", &[], &["psql"]);
    psycopg3 => Runner::Python("psycopg3_test.py", &["psycopg"], &[]);
    psycopg2 => Runner::Python("psycopg2_test.py", &["psycopg2"], &[]);
    asyncpg => Runner::Python("asyncpg_test.py", &["asyncpg"], &[]);
    node_pg => Runner::Node("node_pg_test.js");
    pgjdbc => Runner::Java("JdbcTest");
    catalog_sqlalchemy => Runner::Python("catalog_sqlalchemy_test.py", &["sqlalchemy", "psycopg2", "psycopg", "pandas"], &[]);
    catalog_pyodbc => Runner::Python("catalog_pyodbc_test.py", &["pyodbc"], &[]);
    pyodbc => Runner::Python("pyodbc_test.py", &["pyodbc"], &[]);
    catalog_asyncpg => Runner::Python("catalog_asyncpg_test.py", &["asyncpg"], &[]);
    catalog_pgjdbc => Runner::Java("CatalogMeta");
    flink_psycopg3 => Runner::Python("flink_psycopg3_test.py", &["psycopg"], &[]);
    // Results beyond DLI's 1000-row preview, every value checked (issue 8): each result
    // path with psql and at least one driver, and with gzip exports.
    big_psql => Runner::Python("big_psql_test.py", &[], &["psql"]), Gw::Big(BigMode::Export);
    big_psql_result_path => Runner::Python("big_psql_test.py", &[], &["psql"]), Gw::Big(BigMode::ResultPath);
    big_psql_gzip => Runner::Python("big_psql_test.py", &[], &["psql"]), Gw::Big(BigMode::Gzip);
    big_psycopg3 => Runner::Python("big_psycopg3_test.py", &["psycopg"], &[]), Gw::Big(BigMode::Export);
    big_psycopg3_result_path => Runner::Python("big_psycopg3_test.py", &["psycopg"], &[]), Gw::Big(BigMode::ResultPath);
    big_psycopg3_gzip => Runner::Python("big_psycopg3_test.py", &["psycopg"], &[]), Gw::Big(BigMode::Gzip);
    big_psycopg2 => Runner::Python("big_psycopg2_test.py", &["psycopg2", "sqlalchemy", "pandas"], &[]), Gw::Big(BigMode::Export);
    big_asyncpg => Runner::Python("big_asyncpg_test.py", &["asyncpg"], &[]), Gw::Big(BigMode::Export);
    big_asyncpg_result_path => Runner::Python("big_asyncpg_test.py", &["asyncpg"], &[]), Gw::Big(BigMode::ResultPath);
    big_node_pg => Runner::Node("big_node_pg_test.js"), Gw::Big(BigMode::Export);
    big_pgjdbc => Runner::Java("BigJdbc"), Gw::Big(BigMode::Export);
    big_pgjdbc_result_path => Runner::Java("BigJdbc"), Gw::Big(BigMode::ResultPath);
}

const INSTALL: &str = "run `bash scripts/install-test-deps.sh` (or set DLIGW_SKIP_CLIENTS=1 to skip clients whose dependencies are missing)";
const PGJDBC_JAR: &str = "/usr/share/java/postgresql.jar";
const CLIENT_TIMEOUT: Duration = Duration::from_secs(900);

fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

fn have(program: &str, args: &[&str]) -> bool {
    std::process::Command::new(program)
        .args(args)
        .current_dir(clients_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// What is missing to run this client, if anything.
fn missing(runner: &Runner) -> Option<String> {
    match runner {
        Runner::Python(_, modules, programs) => {
            if !have("python3", &["--version"]) {
                return Some("python3 is not installed (apt-get install python3)".into());
            }
            if let Some(p) = programs.iter().find(|p| !have(p, &["--version"])) {
                return Some(format!("`{p}` is not installed (apt-get)"));
            }
            modules
                .iter()
                .find(|m| !have("python3", &["-c", &format!("import {m}")]))
                .map(|m| format!("Python module `{m}` is not installed (pip)"))
        }
        Runner::Node(_) => {
            if !have("node", &["--version"]) {
                Some("node is not installed (apt-get install nodejs npm)".into())
            } else if !clients_dir().join("node_modules/pg/package.json").exists() {
                Some("node-postgres is not installed in tests/clients (npm ci)".into())
            } else {
                None
            }
        }
        Runner::Java(_) => {
            if !have("javac", &["-version"]) || !have("java", &["-version"]) {
                Some("a JDK is not installed (apt-get install openjdk-17-jdk-headless)".into())
            } else if !Path::new(PGJDBC_JAR).exists() {
                Some(format!(
                    "{PGJDBC_JAR} is missing (apt-get install libpostgresql-jdbc-java)"
                ))
            } else {
                None
            }
        }
    }
}

fn init_logging() {
    // RUST_LOG=dli_pg_gateway=debug cargo test --test clients -- --nocapture shows the
    // gateway's log next to the client's output.
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
    }
}

async fn run_client(name: &str, runner: Runner, gw: Gw) {
    init_logging();
    if let Some(what) = missing(&runner) {
        if std::env::var("DLIGW_SKIP_CLIENTS").is_ok_and(|v| v == "1") {
            eprintln!("SKIPPED client test {name}: {what} (DLIGW_SKIP_CLIENTS=1)");
            return;
        }
        panic!("client test {name} cannot run: {what}; {INSTALL}");
    }

    let wh = tempfile::tempdir().unwrap();
    let (cfg, mode) = match gw {
        Gw::Plain => (test_config_env(wh.path(), false, &[]), ""),
        Gw::Big(mode) => {
            let mut cfg = test_config_env(wh.path(), true, &mode.env());
            cfg.local.demo_scale_factor = 0.01;
            (cfg, mode.name())
        }
    };
    let gw = start(cfg).await;
    let port = gw.addr().port().to_string();
    let dir = clients_dir();
    let build = tempfile::tempdir().unwrap();

    let mut cmd = match &runner {
        Runner::Python(script, _, _) => {
            let mut c = tokio::process::Command::new("python3");
            c.arg(dir.join(script));
            c
        }
        Runner::Node(script) => {
            let mut c = tokio::process::Command::new("node");
            c.arg(dir.join(script));
            c
        }
        Runner::Java(class) => {
            let out = tokio::process::Command::new("javac")
                .args(["-encoding", "UTF-8", "-cp", PGJDBC_JAR, "-d"])
                .arg(build.path())
                .arg(dir.join(format!("{class}.java")))
                .output()
                .await
                .expect("javac runs");
            assert!(
                out.status.success(),
                "javac {class}.java failed:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            let mut c = tokio::process::Command::new("java");
            c.arg("-Dfile.encoding=UTF-8")
                .arg("-cp")
                .arg(format!("{}:{PGJDBC_JAR}", build.path().display()))
                .arg(class);
            c
        }
    };
    cmd.current_dir(&dir)
        .env("DLIGW_HOST", "127.0.0.1")
        .env("DLIGW_PORT", &port)
        .env("DLIGW_USER", USER)
        .env("DLIGW_PASSWORD", PASSWORD)
        .env("DLIGW_BIG_MODE", mode)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONIOENCODING", "utf-8")
        .stdin(Stdio::null())
        .kill_on_drop(true);

    let started = Instant::now();
    let out = tokio::time::timeout(CLIENT_TIMEOUT, cmd.output())
        .await
        .unwrap_or_else(|_| panic!("client test {name} timed out after {CLIENT_TIMEOUT:?}"))
        .unwrap_or_else(|e| panic!("client test {name}: cannot start: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let jobs = Ledger::of(&all_jobs(&service_client(&gw)).await);
    gw.shutdown().await;

    // Shown with --nocapture, and always on failure.
    println!(
        "== {name} ({:.1} s)\n{stdout}{stderr}",
        started.elapsed().as_secs_f64()
    );
    assert!(
        out.status.success(),
        "client test {name} failed ({}); its output:\n{stdout}\n--- stderr ---\n{stderr}",
        out.status
    );
    check_jobs(name, &jobs);
}

/// Every DLI job the script cost, by job type (the embedded service's job list after the
/// script): none for what the gateway answers itself, and exactly the expected number of
/// each kind, so that a statement that starts costing a job (or runs twice) fails here.
fn check_jobs(name: &str, jobs: &Ledger) {
    println!("== {name}: {} DLI jobs: {}", jobs.total(), jobs.summary());
    assert!(
        jobs.avoidable().is_empty(),
        "client test {name}: DLI jobs for statements the gateway answers itself: {:#?}",
        jobs.avoidable()
    );
    assert_eq!(
        jobs.summary(),
        expected_jobs(name),
        "client test {name}: DLI jobs by type; every job:\n{}",
        jobs.listing()
    );
}

/// The DLI jobs each client script costs, by type. The whole suite costs their sum:
/// DDL 71, EXPORT 35, INSERT 66, QUERY 417 (589 jobs).
fn expected_jobs(name: &str) -> &'static str {
    match name {
        "asyncpg" => "DDL 6, INSERT 14, QUERY 64",
        "big_asyncpg" => "DDL 2, EXPORT 3, QUERY 3",
        "big_asyncpg_result_path" => "DDL 2, QUERY 3",
        "big_node_pg" => "DDL 2, EXPORT 2, QUERY 2",
        "big_pgjdbc" => "DDL 2, EXPORT 3, QUERY 4",
        "big_pgjdbc_result_path" => "DDL 2, QUERY 4",
        "big_psql" => "DDL 2, EXPORT 5, QUERY 7",
        "big_psql_gzip" => "DDL 2, EXPORT 5, QUERY 7",
        "big_psql_result_path" => "DDL 2, QUERY 7",
        "big_psycopg2" => "DDL 2, EXPORT 3, QUERY 3",
        "big_psycopg3" => "DDL 2, EXPORT 7, QUERY 9",
        "big_psycopg3_gzip" => "DDL 2, EXPORT 7, QUERY 9",
        "big_psycopg3_result_path" => "DDL 2, QUERY 9",
        "catalog_asyncpg" => "DDL 3, INSERT 1",
        "catalog_pgjdbc" => "DDL 3",
        "catalog_pyodbc" => "DDL 3, INSERT 2, QUERY 2",
        "catalog_sqlalchemy" => "DDL 3, INSERT 1, QUERY 2",
        "flink_psycopg3" => "",
        "node_pg" => "DDL 4, INSERT 3, QUERY 37",
        "pgjdbc" => "DDL 6, INSERT 16, QUERY 58",
        "psql" => "DDL 2, INSERT 1, QUERY 7",
        "psycopg2" => "DDL 6, INSERT 10, QUERY 57",
        "psycopg3" => "DDL 9, INSERT 17, QUERY 111",
        "pyodbc" => "DDL 2, INSERT 1, QUERY 12",
        _ => "(a client test without an entry in expected_jobs)",
    }
}
