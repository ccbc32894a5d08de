//! Complete results (beyond DLI's 1000-row preview): rows per second and memory of the
//! gateway streaming large results from object storage to a real client (tokio-postgres),
//! through `COPY (query) TO STDOUT` and through a cursor (`DECLARE` + `FETCH 10000` loops),
//! for narrow rows (one bigint column) and wide rows (TPC-H `lineitem`).
//!
//! The gateway and the embedded DLI service run in this process (the gateway on this
//! program's one-thread runtime, the service on its own), so RSS is the process's:
//! `rss+` is the peak RSS during one statement minus the RSS just before it (sampled
//! every 5 ms), which includes the embedded engine running the query and writing its
//! result files; `VmHWM` is the process's peak so far.
//!
//! ```sh
//! cargo run --release --example result_bench                      # 100k, 1M, 5M rows
//! cargo run --release --example result_bench -- 100000 1000000    # row counts
//! cargo run --release --example result_bench -- --result-path     # status result_path
//! cargo run --release --example result_bench -- --gzip            # gzip exports
//! cargo run --release --example result_bench -- --scale 0.1       # lineitem at SF 0.1
//! cargo run --release --example result_bench -- --extended        # also Execute, no row limit
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use dli_pg_gateway::app::Gateway;
use dli_pg_gateway::config::Config;
use futures::StreamExt;
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

/// A `/proc/self/status` field in kB.
fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Samples VmRSS every 5 ms on its own thread while a statement runs.
struct RssPeak {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
    before: u64,
}

impl RssPeak {
    fn start() -> Self {
        let before = status_kb("VmRSS:");
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(before));
        let (s, p) = (Arc::clone(&stop), Arc::clone(&peak));
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                p.fetch_max(status_kb("VmRSS:"), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        Self {
            stop,
            peak,
            thread: Some(thread),
            before,
        }
    }

    /// Peak growth over the RSS before the statement, in MB.
    fn finish(mut self) -> f64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.peak.fetch_max(status_kb("VmRSS:"), Ordering::Relaxed);
        (self
            .peak
            .load(Ordering::Relaxed)
            .saturating_sub(self.before)) as f64
            / 1024.0
    }
}

struct Measured {
    rows: u64,
    bytes: u64,
    first_row: Duration,
    total: Duration,
    rss_growth_mb: f64,
}

async fn copy_out(client: &Client, query: &str) -> Result<Measured, tokio_postgres::Error> {
    let rss = RssPeak::start();
    let started = Instant::now();
    let stream = client
        .copy_out(&format!("COPY ({query}) TO STDOUT"))
        .await?;
    futures::pin_mut!(stream);
    let (mut rows, mut bytes, mut first_row) = (0u64, 0u64, None);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        first_row.get_or_insert_with(|| started.elapsed());
        bytes += chunk.len() as u64;
        rows += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
    }
    let total = started.elapsed();
    Ok(Measured {
        rows,
        bytes,
        first_row: first_row.unwrap_or(total),
        total,
        rss_growth_mb: rss.finish(),
    })
}

async fn cursor(client: &Client, query: &str) -> Result<Measured, tokio_postgres::Error> {
    let rss = RssPeak::start();
    let started = Instant::now();
    client
        .batch_execute(&format!("BEGIN; DECLARE c CURSOR FOR {query}"))
        .await?;
    let (mut rows, mut bytes, mut first_row) = (0u64, 0u64, None);
    loop {
        let mut got = 0u64;
        for m in client.simple_query("FETCH 10000 FROM c").await? {
            if let SimpleQueryMessage::Row(r) = m {
                first_row.get_or_insert_with(|| started.elapsed());
                got += 1;
                bytes += (0..r.len())
                    .map(|i| r.get(i).map_or(0, str::len) as u64)
                    .sum::<u64>();
            }
        }
        rows += got;
        if got < 10_000 {
            break;
        }
    }
    let total = started.elapsed();
    client.batch_execute("CLOSE c; COMMIT").await?;
    Ok(Measured {
        rows,
        bytes,
        first_row: first_row.unwrap_or(total),
        total,
        rss_growth_mb: rss.finish(),
    })
}

/// Extended protocol, Execute without a row limit (what most drivers send for a plain
/// query): tokio-postgres `query_raw`, rows counted as they arrive.
async fn extended(client: &Client, query: &str) -> Result<Measured, tokio_postgres::Error> {
    let rss = RssPeak::start();
    let started = Instant::now();
    let stream = client
        .query_raw(
            query,
            std::iter::empty::<&(dyn tokio_postgres::types::ToSql + Sync)>(),
        )
        .await?;
    futures::pin_mut!(stream);
    let (mut rows, bytes, mut first_row) = (0u64, 0u64, None);
    while let Some(row) = stream.next().await {
        let row = row?;
        first_row.get_or_insert_with(|| started.elapsed());
        rows += 1;
        let _ = row; // binary values: no byte count (printed as -)
    }
    let total = started.elapsed();
    Ok(Measured {
        rows,
        bytes,
        first_row: first_row.unwrap_or(total),
        total,
        rss_growth_mb: rss.finish(),
    })
}

/// bigint `id` 0..n-1 as a Spark SQL relation (the embedded engine lacks `range(n)`): a
/// cross join of ten-digit inline tables, and one of the leading digit's values.
fn ids_sql(n: u64) -> String {
    let digits = |k: u64| {
        format!(
            "(VALUES {})",
            (0..k)
                .map(|i| format!("({i})"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let (mut lead, mut zeros) = (n, 0u32);
    while lead % 10 == 0 && lead > 1 {
        lead /= 10;
        zeros += 1;
    }
    let mut terms = Vec::new();
    let mut tables = Vec::new();
    if lead > 1 {
        terms.push(format!("h.d * {}", 10u64.pow(zeros)));
        tables.push(format!("{} AS h(d)", digits(lead)));
    }
    for j in 0..zeros {
        terms.push(format!("t{j}.d * {}", 10u64.pow(zeros - 1 - j)));
        tables.push(format!("{} AS t{j}(d)", digits(10)));
    }
    format!(
        "(SELECT CAST({} AS BIGINT) AS id FROM {}) ids",
        terms.join(" + "),
        tables.join(" CROSS JOIN ")
    )
}

fn print_row(name: &str, how: &str, m: &Measured) {
    let secs = m.total.as_secs_f64();
    println!(
        "{:<22} {:<7} {:>10} {:>9} {:>9.2} {:>11.0} {:>8.1} {:>8.1} {:>8.0}",
        name,
        how,
        m.rows,
        if m.bytes == 0 {
            "-".to_string()
        } else {
            format!("{:.1}", m.bytes as f64 / 1e6)
        },
        secs,
        m.rows as f64 / secs,
        m.first_row.as_secs_f64() * 1e3,
        m.rss_growth_mb,
        status_kb("VmHWM:") as f64 / 1024.0,
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut sizes: Vec<u64> = Vec::new();
    let mut env: Vec<(String, String)> = Vec::new();
    let mut scale = 0.01;
    let mut extended_too = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--result-path" => env.push(("DLIGW__LOCAL__REPORT_RESULT_PATH".into(), "true".into())),
            "--gzip" => env.push(("DLIGW__RESULTS__COMPRESS".into(), "gzip".into())),
            "--extended" => extended_too = true,
            "--scale" => scale = args.next().and_then(|v| v.parse().ok()).unwrap_or(scale),
            n => sizes.push(n.parse()?),
        }
    }
    if sizes.is_empty() {
        sizes = vec![100_000, 1_000_000, 5_000_000];
    }
    let wh = std::env::temp_dir().join(format!("result-bench-{}", std::process::id()));
    std::fs::create_dir_all(&wh)?;
    let mut cfg = Config::from_toml_and_env("", &env)?;
    cfg.server.listen = "127.0.0.1:0".into();
    cfg.local.listen = "127.0.0.1:0".into();
    cfg.local.warehouse = wh.clone();
    cfg.local.demo = true;
    cfg.local.demo_scale_factor = scale;
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

    client.batch_execute("CREATE DATABASE bench").await?;
    for &n in &sizes {
        let t = Instant::now();
        client
            .batch_execute(&format!(
                "CREATE TABLE bench.n{n} USING parquet AS SELECT id FROM {}",
                ids_sql(n)
            ))
            .await?;
        eprintln!("created bench.n{n} in {:.1} s", t.elapsed().as_secs_f64());
    }
    let mut cases: Vec<(String, String)> = sizes
        .iter()
        .map(|n| (format!("narrow {n}"), format!("SELECT id FROM bench.n{n}")))
        .collect();
    cases.push((
        format!("lineitem SF {scale}"),
        "SELECT * FROM tpch.lineitem".into(),
    ));
    // Warm up the path once (catalog, S3 client, export folder).
    copy_out(
        &client,
        &format!("SELECT id FROM bench.n{} LIMIT 5000", sizes[0]),
    )
    .await
    .ok();

    println!(
        "{} (rows/s from the first byte of the statement to the last row; rss+ = peak RSS growth during the statement)\n",
        if env.is_empty() {
            "export-result".to_string()
        } else {
            format!("{env:?}")
        }
    );
    println!(
        "{:<22} {:<7} {:>10} {:>9} {:>9} {:>11} {:>8} {:>8} {:>8}",
        "result", "via", "rows", "MB", "s", "rows/s", "1st ms", "rss+ MB", "HWM MB"
    );
    for (name, query) in &cases {
        print_row(name, "COPY", &copy_out(&client, query).await?);
        print_row(name, "cursor", &cursor(&client, query).await?);
        if extended_too {
            print_row(name, "Execute", &extended(&client, query).await?);
        }
    }
    gw.shutdown().await;
    let _ = std::fs::remove_dir_all(&wh);
    Ok(())
}
