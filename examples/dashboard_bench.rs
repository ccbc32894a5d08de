//! A dashboard at scale: 20 tiles (20 distinct queries) refreshed at the same moment by
//! 10 viewers, each viewer's tiles on a small connection pool, through the real gateway
//! on the embedded DLI service with a fixed job duration — with job sharing and result
//! reuse off, with sharing on, and with sharing and reuse on (a second refresh inside the
//! reuse age). Reports DLI jobs submitted (the service's job list), DLI API calls (every
//! HTTP call the gateway's DLI client made, from its `dligw_dli_api_calls` counter) and
//! the wall time of the refresh.
//!
//! ```sh
//! cargo run --example dashboard_bench                 # 10 viewers, 20 tiles, 500 ms jobs
//! cargo run --example dashboard_bench -- 10 20 500    # viewers, tiles, job ms
//! ```

use std::time::{Duration, Instant};

use dli_pg_gateway::app::Gateway;
use dli_pg_gateway::config::Config;
use dli_pg_gateway::dli::{AuthMode, DliAuthConfig, DliClient, DliClientConfig, ListJobsQuery};
use tokio_postgres::{Client, NoTls};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Connections per viewer (a BI tool's small pool).
const POOL: usize = 5;

struct Scenario {
    name: &'static str,
    share: bool,
    reuse_ms: u64,
    refreshes: usize,
}

async fn start(wh: &std::path::Path, s: &Scenario, job_ms: u64) -> Result<Gateway, BoxError> {
    let mut cfg = Config::from_toml_and_env("", &[])?;
    cfg.server.listen = "127.0.0.1:0".into();
    cfg.server.max_connections = 1000;
    cfg.local.listen = "127.0.0.1:0".into();
    cfg.local.warehouse = wh.to_path_buf();
    cfg.local.demo = false;
    cfg.local.job_delay_ms = job_ms;
    cfg.runner.share_jobs = s.share;
    cfg.runner.result_reuse_max_age_ms = s.reuse_ms;
    Gateway::start(cfg).await
}

fn service_client(gw: &Gateway) -> Result<DliClient, BoxError> {
    Ok(DliClient::new(DliClientConfig {
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
    })?)
}

async fn connect(gw: &Gateway) -> Result<Client, BoxError> {
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

async fn jobs(dli: &DliClient) -> Result<i64, BoxError> {
    let list = dli
        .list_jobs(&ListJobsQuery {
            page_size: Some(1),
            ..ListJobsQuery::default()
        })
        .await?;
    Ok(list.job_count.unwrap_or(0))
}

/// Every DLI HTTP call the gateway's client made so far (this process).
fn api_calls() -> f64 {
    dli_pg_gateway::metrics::render()
        .lines()
        .filter(|l| l.starts_with("dligw_dli_api_calls_total"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn tile(i: usize) -> String {
    format!(
        "SELECT region, count(*), sum(amount) FROM dash.sales WHERE amount > {i} GROUP BY region ORDER BY region"
    )
}

/// One refresh: every viewer runs every tile on its pool, all viewers at once.
async fn refresh(pools: &[Vec<Client>], tiles: usize) -> Result<Duration, BoxError> {
    let began = Instant::now();
    let mut all = Vec::new();
    for pool in pools {
        for (c, client) in pool.iter().enumerate() {
            let mine: Vec<String> = (0..tiles)
                .filter(|t| t % pool.len() == c)
                .map(tile)
                .collect();
            all.push(async move {
                for sql in mine {
                    client.simple_query(&sql).await?;
                }
                Ok::<(), tokio_postgres::Error>(())
            });
        }
    }
    for r in futures::future::join_all(all).await {
        r?;
    }
    Ok(began.elapsed())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() -> Result<(), BoxError> {
    let mut args = std::env::args().skip(1);
    let viewers: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let tiles: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    let job_ms: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(500);
    let scenarios = [
        Scenario {
            name: "sharing off, reuse off",
            share: false,
            reuse_ms: 0,
            refreshes: 1,
        },
        Scenario {
            name: "sharing on, reuse off",
            share: true,
            reuse_ms: 0,
            refreshes: 1,
        },
        Scenario {
            name: "sharing on, reuse 10min",
            share: true,
            reuse_ms: 600_000,
            refreshes: 2,
        },
    ];
    println!(
        "{viewers} viewers x {tiles} tiles ({POOL} connections per viewer), DLI jobs of {job_ms} ms (embedded service)"
    );
    println!("| scenario | refresh | DLI jobs submitted | DLI API calls | wall time |");
    println!("|---|---|---:|---:|---:|");
    for s in &scenarios {
        let wh = tempfile::tempdir()?;
        let gw = start(wh.path(), s, job_ms).await?;
        let dli = service_client(&gw)?;
        let setup = connect(&gw).await?;
        setup
            .batch_execute(
                "CREATE DATABASE dash; CREATE TABLE dash.sales (region string, amount int) USING parquet",
            )
            .await?;
        let values: Vec<String> = (0..200)
            .map(|i| format!("('r{}', {})", i % 7, i % 50))
            .collect();
        setup
            .batch_execute(&format!(
                "INSERT INTO dash.sales VALUES {}",
                values.join(", ")
            ))
            .await?;
        let mut pools = Vec::new();
        for _ in 0..viewers {
            let mut pool = Vec::new();
            for _ in 0..POOL.min(tiles.max(1)) {
                pool.push(connect(&gw).await?);
            }
            pools.push(pool);
        }
        for r in 1..=s.refreshes {
            let (jobs0, calls0) = (jobs(&dli).await?, api_calls());
            let wall = refresh(&pools, tiles).await?;
            // Calls counted before the bench's own job list call.
            let calls1 = api_calls();
            let jobs1 = jobs(&dli).await?;
            println!(
                "| {} | {r} | {} | {} | {:.2} s |",
                s.name,
                jobs1 - jobs0,
                calls1 - calls0,
                wall.as_secs_f64()
            );
        }
        drop(pools);
        gw.shutdown().await;
    }
    Ok(())
}
