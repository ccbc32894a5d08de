//! Two gateway processes on one embedded DLI service behind a real HAProxy (Debian's,
//! with deploy/haproxy.cfg as the Docker Compose file uses it): pgjdbc and psycopg
//! cancel long queries through the load balancer (the CancelRequest's new connection
//! may land on the other replica, which finds the job by its `pg_cancel` tag), and a
//! replica killed with SIGKILL mid-query has its job cancelled by the survivor's sweep.
//! Needs haproxy, java/javac + pgjdbc and psycopg 3 (scripts/install-test-deps.sh);
//! DLIGW_SKIP_CLIENTS=1 skips when they are missing.

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::{PASSWORD, USER, gateway_config, jobs_with, service, wait_jobs};
use dli_pg_gateway::dli::{DliClient, JobState, JobTag, SubmitJobRequest};
use tokio::process::{Child, Command};

const PGJDBC_JAR: &str = "/usr/share/java/postgresql.jar";
const SECRET: &str = "replicas-test-cluster-secret";

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    l.local_addr().expect("local addr").port()
}

fn have(cmd: &str, args: &[&str]) -> bool {
    std::process::Command::new(cmd)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// What is missing to run this test, if anything.
fn missing() -> Option<String> {
    if !have("haproxy", &["-v"]) {
        return Some("haproxy (apt-get install haproxy)".into());
    }
    if !have("javac", &["-version"]) || !Path::new(PGJDBC_JAR).exists() {
        return Some("javac or pgjdbc (libpostgresql-jdbc-java)".into());
    }
    if !have("python3", &["-c", "import psycopg"]) {
        return Some("psycopg 3 (pip install 'psycopg[binary]')".into());
    }
    None
}

/// One gateway process and where it listens.
struct Replica {
    pg: u16,
    health: u16,
    log: PathBuf,
    child: Child,
}

fn replica_toml(
    cfg: &dli_pg_gateway::config::Config,
    id: &str,
    pg: u16,
    health: u16,
    peer: (&str, u16),
) -> String {
    let a = &cfg.dli.auth;
    format!(
        r#"[server]
listen = "127.0.0.1:{pg}"
[runner]
poll_initial_ms = 5
poll_max_ms = 100
[catalog]
enabled = false
[metrics]
listen = "127.0.0.1:{health}"
[dli]
endpoint = "{endpoint}"
project_id = "{project}"
request_timeout_secs = 5
[dli.auth]
mode = "token"
domain_name = "{domain}"
user_name = "{user}"
password = "{password}"
[cluster]
secret = "{SECRET}"
replica_id = "{id}"
peer_sweep_interval_ms = 300
peer_dead_after = 2
[[cluster.peers]]
id = "{peer_id}"
health_url = "http://127.0.0.1:{peer_health}"
"#,
        endpoint = cfg.dli.endpoint,
        project = cfg.dli.project_id,
        domain = a.domain_name,
        user = a.user_name,
        password = a.password,
        peer_id = peer.0,
        peer_health = peer.1,
    )
}

async fn start_replica(
    dir: &Path,
    cfg: &dli_pg_gateway::config::Config,
    id: &'static str,
    ports: (u16, u16),
    peer: (&str, u16),
) -> Replica {
    let conf = dir.join(format!("{id}.toml"));
    std::fs::write(&conf, replica_toml(cfg, id, ports.0, ports.1, peer)).expect("write config");
    let log = dir.join(format!("{id}-{}.log", ports.0));
    let file = std::fs::File::create(&log).expect("log file");
    let child = Command::new(env!("CARGO_BIN_EXE_dli-pg-gateway"))
        .args(["--config"])
        .arg(&conf)
        .args(["--log", "dli_pg_gateway=debug", "serve"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(file)
        .kill_on_drop(true)
        .spawn()
        .expect("the gateway binary starts");
    let r = Replica {
        pg: ports.0,
        health: ports.1,
        log,
        child,
    };
    wait_ready(r.health).await;
    r
}

/// Polls `/ready` until it answers 200 (bounded).
async fn wait_ready(port: u16) {
    let http = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(r) = http
            .get(format!("http://127.0.0.1:{port}/ready"))
            .send()
            .await
            && r.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("replica on health port {port} never became ready");
}

fn log_of(r: &Replica) -> String {
    std::fs::read_to_string(&r.log).unwrap_or_default()
}

async fn haproxy(bind: u16, a: &Replica, b: &Replica) -> Child {
    let cfg = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/haproxy.cfg");
    let child = Command::new("haproxy")
        .arg("-f")
        .arg(cfg)
        .arg("-db")
        .env("PG_BIND", format!("127.0.0.1:{bind}"))
        .env("GW_A_HOST", "127.0.0.1")
        .env("GW_A_PG_PORT", a.pg.to_string())
        .env("GW_A_HEALTH_PORT", a.health.to_string())
        .env("GW_B_HOST", "127.0.0.1")
        .env("GW_B_PG_PORT", b.pg.to_string())
        .env("GW_B_HEALTH_PORT", b.health.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("haproxy starts");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", bind))
            .await
            .is_ok()
        {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("haproxy never listened on {bind}");
}

/// Runs a client (python script or Java class of tests/clients) against `port`.
async fn client(port: u16, java: bool, build: &Path) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients");
    let mut cmd = if java {
        let out = Command::new("javac")
            .args(["-encoding", "UTF-8", "-cp", PGJDBC_JAR, "-d"])
            .arg(build)
            .arg(dir.join("ReplicaCancel.java"))
            .output()
            .await
            .expect("javac runs");
        assert!(
            out.status.success(),
            "javac: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut c = Command::new("java");
        c.arg("-cp")
            .arg(format!("{}:{PGJDBC_JAR}", build.display()))
            .arg("ReplicaCancel");
        c
    } else {
        let mut c = Command::new("python3");
        c.arg(dir.join("replicas_cancel.py"));
        c
    };
    let out = cmd
        .current_dir(&dir)
        .env("DLIGW_HOST", "127.0.0.1")
        .env("DLIGW_PORT", port.to_string())
        .env("DLIGW_USER", USER)
        .env("DLIGW_PASSWORD", PASSWORD)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .kill_on_drop(true)
        .output()
        .await
        .expect("the client runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "client failed:\n{text}");
    assert!(text.contains("PASS"), "{text}");
}

async fn submit(dli: &DliClient, sql: &str) {
    submit_tagged(dli, sql, Vec::new()).await;
}

async fn submit_tagged(dli: &DliClient, sql: &str, tags: Vec<JobTag>) {
    let req = SubmitJobRequest {
        sql: sql.into(),
        tags,
        ..Default::default()
    };
    dli.submit_job(&req)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_behind_haproxy() {
    if let Some(what) = missing() {
        if std::env::var("DLIGW_SKIP_CLIENTS").is_ok_and(|v| v == "1") {
            eprintln!("SKIPPED replicas test: {what} missing (DLIGW_SKIP_CLIENTS=1)");
            return;
        }
        panic!("the replicas test needs {what}; run scripts/install-test-deps.sh");
    }
    let wh = tempfile::tempdir().expect("warehouse");
    let (svc, base) = service(wh.path(), false).await;
    let cfg = gateway_config(&svc, &base);
    let dli = DliClient::new(cfg.dli.clone()).expect("client");
    submit(&dli, "CREATE DATABASE rep").await;
    submit(&dli, "CREATE TABLE rep.t (a int)").await;

    let dir = tempfile::tempdir().expect("dir");
    let (a_ports, b_ports) = ((free_port(), free_port()), (free_port(), free_port()));
    let a = start_replica(dir.path(), &cfg, "gw-a", a_ports, ("gw-b", b_ports.1)).await;
    let mut b = start_replica(dir.path(), &cfg, "gw-b", b_ports, ("gw-a", a_ports.1)).await;
    let lb = free_port();
    let _haproxy = haproxy(lb, &a, &b).await;

    // pgjdbc and psycopg cancel through the load balancer.
    let build = tempfile::tempdir().expect("build dir");
    client(lb, true, build.path()).await;
    client(lb, false, build.path()).await;
    for marker in ["jdbc-cancel-", "psy-cancel-"] {
        let states = wait_jobs(&dli, marker, Duration::from_secs(20), |s| {
            s.len() == 2 && s.iter().all(|s| *s == JobState::Cancelled)
        })
        .await;
        assert_eq!(
            states,
            [JobState::Cancelled, JobState::Cancelled],
            "{marker}"
        );
    }
    let cross = [&a, &b]
        .iter()
        .map(|r| log_of(r).matches("another replica's session").count())
        .sum::<usize>();
    assert!(
        cross > 0,
        "no cancel crossed replicas:\n{}\n{}",
        log_of(&a),
        log_of(&b)
    );

    // A dashboard: six viewers through the load balancer refresh the same tile at once.
    // Each replica runs it once for all of its viewers (in-flight sharing is per
    // process); on the next refresh with reuse on, every viewer gets a finished job's
    // result, across replicas through the fingerprint tag: no new job.
    let lb_str = format!("host=127.0.0.1 port={lb} user={USER} password={PASSWORD} dbname=dli");
    let tile = "SELECT count(*) FROM rep.t /* dli_local_delay_ms=1500 dash-marker */";
    let mut viewers = Vec::new();
    for _ in 0..6 {
        let (c, conn) = tokio_postgres::connect(&lb_str, tokio_postgres::NoTls)
            .await
            .expect("viewer connects");
        tokio::spawn(async move {
            let _ = conn.await;
        });
        viewers.push(std::sync::Arc::new(c));
    }
    let refresh = |viewers: &Vec<std::sync::Arc<tokio_postgres::Client>>| {
        let tasks: Vec<_> = viewers
            .iter()
            .map(|c| {
                let c = c.clone();
                tokio::spawn(async move { c.simple_query(tile).await.map(|m| m.len()) })
            })
            .collect();
        async move {
            for t in tasks {
                let n = t.await.expect("join").expect("the tile's query");
                assert!(n >= 2, "a row and a command tag, got {n} messages");
            }
        }
    };
    refresh(&viewers).await;
    let first = jobs_with(&dli, "dash-marker").await;
    assert!(
        (1..=2).contains(&first.len()) && first.iter().all(|s| *s == JobState::Finished),
        "6 viewers on 2 replicas ran {first:?}"
    );
    for c in &viewers {
        c.simple_query("SET dli.result_reuse_max_age = '10min'")
            .await
            .expect("turn reuse on");
    }
    refresh(&viewers).await;
    assert_eq!(
        jobs_with(&dli, "dash-marker").await.len(),
        first.len(),
        "the second refresh reused the first one's results"
    );
    drop(viewers);

    // SIGKILL one replica mid-query: the survivor's sweep cancels its job.
    let conn_str = format!(
        "host=127.0.0.1 port={} user={USER} password={PASSWORD} dbname=dli",
        b.pg
    );
    let (client_b, conn) = tokio_postgres::connect(&conn_str, tokio_postgres::NoTls)
        .await
        .expect("connect to gw-b");
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let running = tokio::spawn(async move {
        client_b
            .simple_query("SELECT count(*) FROM rep.t /* dli_local_delay_ms=600000 kill-marker */")
            .await
    });
    let states = wait_jobs(&dli, "kill-marker", Duration::from_secs(20), |s| {
        s == [JobState::Running]
    })
    .await;
    assert_eq!(states, [JobState::Running]);
    b.child.start_kill().expect("SIGKILL gw-b");
    let _ = b.child.wait().await;
    assert!(
        running.await.expect("join").is_err(),
        "the killed replica's client sees an error"
    );
    let states = wait_jobs(&dli, "kill-marker", Duration::from_secs(30), |s| {
        s == [JobState::Cancelled]
    })
    .await;
    assert_eq!(
        states,
        [JobState::Cancelled],
        "the survivor cancelled the job:\n{}",
        log_of(&a)
    );
    assert!(log_of(&a).contains("peer is gone"), "{}", log_of(&a));

    // The load balancer sends new sessions to the survivor.
    let mut answered = 0;
    for _ in 0..4 {
        if let Ok((c, conn)) = tokio_postgres::connect(&lb_str, tokio_postgres::NoTls).await {
            tokio::spawn(async move {
                let _ = conn.await;
            });
            if c.simple_query("SELECT count(*) FROM rep.t").await.is_ok() {
                answered += 1;
            }
        }
    }
    assert!(
        answered >= 2,
        "only {answered} of 4 sessions served after the kill"
    );

    // gw-b restarts with the same id: its start-up sweep finds nothing left to cancel,
    // and it serves again.
    let b2 = start_replica(dir.path(), &cfg, "gw-b", b_ports, ("gw-a", a_ports.1)).await;
    assert_eq!(jobs_with(&dli, "kill-marker").await, [JobState::Cancelled]);
    drop(b2);
    drop(a);
    svc.shutdown().await;
}

/// A replica's start-up sweep cancels the running jobs an earlier run of the same replica
/// id left (and only those); with `orphan_sweep = false` they are left alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn startup_sweep_cancels_the_jobs_of_earlier_runs() {
    let wh = tempfile::tempdir().expect("warehouse");
    let (svc, base) = service(wh.path(), false).await;
    let mut cfg = gateway_config(&svc, &base);
    let dli = DliClient::new(cfg.dli.clone()).expect("client");
    submit(&dli, "CREATE DATABASE rep").await;
    submit(&dli, "CREATE TABLE rep.t (a int)").await;
    let tags = |replica: &str| {
        vec![
            JobTag::new("pg_replica", replica),
            JobTag::new("pg_incarnation", "1-dead"),
        ]
    };
    let slow = |m: &str| format!("SELECT count(*) FROM rep.t /* dli_local_delay_ms=600000 {m} */");
    submit_tagged(&dli, &slow("orphan-of-solo"), tags("solo")).await;
    submit_tagged(&dli, &slow("job-of-other"), tags("other")).await;
    submit(&dli, &slow("untagged-job")).await;

    cfg.cluster.secret = SECRET.into();
    cfg.cluster.replica_id = "solo".into();
    cfg.cluster.orphan_sweep = false;
    let gw = common::start(cfg.clone()).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        jobs_with(&dli, "orphan-of-solo").await,
        [JobState::Running],
        "sweep off"
    );
    gw.shutdown().await;

    cfg.cluster.orphan_sweep = true;
    let gw = common::start(cfg).await;
    let states = wait_jobs(&dli, "orphan-of-solo", Duration::from_secs(20), |s| {
        s == [JobState::Cancelled]
    })
    .await;
    assert_eq!(states, [JobState::Cancelled]);
    // Another replica's job and a job without tags are not this replica's.
    assert_eq!(jobs_with(&dli, "job-of-other").await, [JobState::Running]);
    assert_eq!(jobs_with(&dli, "untagged-job").await, [JobState::Running]);
    // The gateway's own jobs carry the cluster tags, within DLI's tag rules.
    let client = common::connect(&gw).await;
    client
        .simple_query("SELECT count(*) FROM rep.t /* tagged-marker */")
        .await
        .expect("query");
    let jobs = common::all_jobs(&dli).await;
    let job = jobs
        .iter()
        .find(|j| {
            j.statement
                .as_deref()
                .is_some_and(|s| s.contains("tagged-marker"))
        })
        .expect("the job");
    let value = |k: &str| {
        job.tags
            .iter()
            .find(|t| t.key == k)
            .map(|t| t.value.clone())
    };
    assert_eq!(value("pg_replica").as_deref(), Some("solo"));
    assert!(value("pg_incarnation").is_some_and(|i| i != "1-dead"));
    assert!(value("pg_cancel").is_some_and(|c| c.len() == 40));
    assert_eq!(dli_pg_gateway::dli::tag_problem(&job.tags), None);
    gw.shutdown().await;
    svc.shutdown().await;
}

/// deploy/gateway.toml with the environment deploy/docker-compose.yml gives gw-a is a
/// valid cluster config.
#[test]
fn compose_config_is_valid() {
    let text = include_str!("../deploy/gateway.toml");
    let env: Vec<(String, String)> = [
        ("DLIGW__SERVER__LISTEN", "0.0.0.0:5432"),
        ("DLIGW__CLUSTER__REPLICA_ID", "gw-a"),
        (
            "DLIGW__CLUSTER__PEERS",
            r#"[{ id = "gw-b", health_url = "http://gw-b:9187" }]"#,
        ),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let cfg = dli_pg_gateway::config::Config::from_toml_and_env(text, &env).expect("parses");
    cfg.validate().expect("valid");
    assert_eq!(cfg.cluster.replica_id, "gw-a");
    assert_eq!(cfg.cluster.peers.len(), 1);
    assert_eq!(cfg.cluster.peers[0].health_url, "http://gw-b:9187");
    let compose = include_str!("../deploy/docker-compose.yml");
    assert!(compose.contains(
        r#"DLIGW__CLUSTER__PEERS: '[{ id = "gw-b", health_url = "http://gw-b:9187" }]'"#
    ));
}
