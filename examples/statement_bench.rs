//! Statement path: how many lexical passes the gateway makes over each statement, and
//! the latency of statements it answers itself and of statements that run as DLI jobs,
//! through the real gateway and the embedded DLI service (TPC-H demo data), with
//! tokio-postgres as the client.
//!
//! The gateway runs on this program's one-thread runtime (the embedded service has its
//! own), so the per-thread pass counters see the gateway's work and nothing else.
//!
//! ```sh
//! cargo run --release --example statement_bench          # 200 runs of each statement
//! cargo run --release --example statement_bench -- 50    # runs of each
//! ```

use std::time::{Duration, Instant};

use dli_pg_gateway::app::Gateway;
use dli_pg_gateway::config::Config;
use dli_pg_gateway::sparksql::passes::{self, Passes};
use tokio_postgres::{Client, NoTls};

/// One kind of statement, run `runs` times.
struct Case {
    name: &'static str,
    sql: &'static str,
    /// Run as a prepared statement with this parameter (extended protocol).
    param: Option<i64>,
}

const CASES: &[Case] = &[
    Case {
        name: "session: SELECT version() (simple)",
        sql: "SELECT version()",
        param: None,
    },
    Case {
        name: "catalog: pg_namespace (simple)",
        sql: "SELECT nspname FROM pg_catalog.pg_namespace ORDER BY 1",
        param: None,
    },
    Case {
        name: "catalog: pg_type by oid (prepared)",
        sql: "SELECT typname FROM pg_catalog.pg_type WHERE oid = $1::oid",
        param: Some(23),
    },
    Case {
        name: "DLI: SHOW TABLES (sync job, simple)",
        sql: "SHOW TABLES IN tpch",
        param: None,
    },
    Case {
        name: "DLI: count(*) nation (simple)",
        sql: "SELECT count(*) FROM tpch.nation",
        param: None,
    },
    Case {
        name: "DLI: nation by key (prepared)",
        sql: "SELECT n_name FROM tpch.nation WHERE n_nationkey = $1",
        param: Some(7),
    },
];

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

async fn run_once(client: &Client, case: &Case) -> Result<(), tokio_postgres::Error> {
    match case.param {
        None => client.simple_query(case.sql).await.map(|_| ()),
        Some(v) => {
            // Parse, Describe, Bind, Execute: a new statement each time, as drivers do
            // before they cache.
            let stmt = client.prepare(case.sql).await?;
            let p: &(dyn tokio_postgres::types::ToSql + Sync) =
                if stmt.params().first() == Some(&tokio_postgres::types::Type::OID) {
                    &(v as u32)
                } else if stmt.params().first() == Some(&tokio_postgres::types::Type::INT4) {
                    &(v as i32)
                } else {
                    &v
                };
            client.query(&stmt, &[p]).await.map(|_| ())
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    let wh = tempfile_dir()?;
    let mut cfg = Config::from_toml_and_env("", &[])?;
    cfg.server.listen = "127.0.0.1:0".into();
    cfg.local.listen = "127.0.0.1:0".into();
    cfg.local.warehouse = wh.clone();
    cfg.local.demo = true;
    cfg.local.demo_scale_factor = 0.01;
    cfg.runner.poll_initial_ms = 5;
    cfg.runner.poll_max_ms = 50;
    let gw = Gateway::start(cfg).await?;
    let conn = format!(
        "host=127.0.0.1 port={} user=dli password=dli dbname=dli",
        gw.addr().port()
    );
    let (client, connection) = tokio_postgres::connect(&conn, NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    // Warm up: the catalog cache and the demo tables.
    for case in CASES {
        run_once(&client, case).await?;
    }
    println!("{runs} runs of each statement (the gateway on one thread)\n");
    println!(
        "{:<40} {:>12} {:>8} {:>10} {:>10}",
        "statement", "tokenised", "parsed", "p50 ms", "p95 ms"
    );
    for case in CASES {
        let mut times = Vec::with_capacity(runs);
        let mut total = Passes::default();
        for _ in 0..runs {
            let before = passes::now();
            let started = Instant::now();
            run_once(&client, case).await?;
            times.push(started.elapsed());
            let d = passes::now() - before;
            total.tokenised += d.tokenised;
            total.parsed += d.parsed;
        }
        times.sort();
        let n = runs.max(1) as f64;
        println!(
            "{:<40} {:>12.1} {:>8.1} {:>10.2} {:>10.2}",
            case.name,
            f64::from(total.tokenised) / n,
            f64::from(total.parsed) / n,
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.95).as_secs_f64() * 1e3,
        );
    }
    gw.shutdown().await;
    let _ = std::fs::remove_dir_all(&wh);
    Ok(())
}

/// A fresh warehouse directory under the system temporary directory.
fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("statement-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
