//! Many sessions, and a steady load: the gateway's memory per session, whether it is given
//! back when the sessions close, and errors and RSS drift under a constant query rate.
//!
//! The gateway and the embedded DLI service run as two processes of the built binary
//! (`dli-pg-gateway local-dli` and `dli-pg-gateway serve --dli-endpoint …`), so the RSS
//! read from `/proc/<pid>/status` is the gateway's alone; this program is only the client
//! (tokio-postgres).
//!
//! ```sh
//! cargo build --release && cargo run --release --example sessions_bench -- sessions 10000
//! cargo run --release --example sessions_bench -- soak 200 600    # queries/s, seconds
//! ```
//!
//! `sessions N [job_ms]`: RSS at start; N sessions opened (256 logins at a time) and idle;
//! every session then runs one DLI job of `job_ms` (default 20,000) at once, all in flight
//! together (each session's statement differs by a constant, so in-flight sharing does
//! not fold them into one job); all closed; RSS 5 s later. Then, when gdb is installed, the gateway's
//! allocator is asked to give back what it keeps (`gdb -p <pid> -batch -ex 'call
//! (int)malloc_trim(0)'`), which tells memory the allocator holds from memory in use.
//!
//! With `BENCH_HEAPTRACK=<file>` set (and heaptrack installed), `sessions` attaches
//! heaptrack to the gateway after the set-up (`heaptrack -o <file> -p <pid>`), so
//! `heaptrack_print --print-leaks <file>.zst` lists what the sessions and jobs allocated
//! and never freed before the gateway was stopped, 5 s after the last session closed.
//!
//! `soak QPS SECONDS`: 32 sessions issue `SELECT count(*) FROM bench.t` (a real DLI job
//! each) at QPS in total for SECONDS; every 10 s a line with completed queries, errors,
//! p50/p99 latency and the gateway's RSS.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio_postgres::NoTls;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[path = "support/bench_procs.rs"]
mod bench_procs;
use bench_procs::{Procs, memory_map, rss_kb};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = args.first().map(String::as_str).unwrap_or("sessions");
    let num = |i: usize, default: u64| -> u64 {
        args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default)
    };
    match mode {
        "sessions" => sessions(num(1, 10_000) as usize, num(2, 20_000)).await,
        "soak" => soak(num(1, 200), num(2, 600)).await,
        other => {
            Err(format!("unknown mode {other}: sessions N [job_ms] | soak QPS SECONDS").into())
        }
    }
}

fn binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    // target/<profile>/examples/sessions_bench → target/<profile>/dli-pg-gateway
    exe.parent()
        .and_then(Path::parent)
        .map(|p| p.join("dli-pg-gateway"))
        .unwrap_or_else(|| PathBuf::from("target/release/dli-pg-gateway"))
}

async fn connect(port: u16) -> Result<tokio_postgres::Client, BoxError> {
    let conn_str = format!("host=127.0.0.1 port={port} user=dli password=dli dbname=dli");
    let (client, conn) = tokio_postgres::connect(&conn_str, NoTls).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

async fn sessions(n: usize, job_ms: u64) -> Result<(), BoxError> {
    let procs = Procs::start(&binary(), n + 64)?;
    let pid = procs.gateway_pid();
    setup(procs.port).await?;
    let tracker = std::env::var("BENCH_HEAPTRACK")
        .ok()
        .map(|out| bench_procs::heaptrack(pid, &out))
        .transpose()?;
    let base = rss_kb(pid);
    println!("gateway RSS at start (after set-up): {:.1} MB", mb(base));
    println!("  {}", memory_map(pid));

    let t = Instant::now();
    let mut clients = Vec::with_capacity(n);
    let mut errors = 0usize;
    for chunk in (0..n).collect::<Vec<_>>().chunks(256) {
        let logins = chunk.iter().map(|_| connect(procs.port));
        for r in futures::future::join_all(logins).await {
            match r {
                Ok(c) => clients.push(c),
                Err(e) => {
                    errors += 1;
                    if errors <= 3 {
                        eprintln!("login failed: {e}");
                    }
                }
            }
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = rss_kb(pid);
    println!(
        "{} sessions open in {:.1} s ({errors} login errors); RSS {:.1} MB: {:.1} KB per idle session",
        clients.len(),
        t.elapsed().as_secs_f64(),
        mb(idle),
        (idle.saturating_sub(base)) as f64 / clients.len().max(1) as f64
    );

    // One job per session: identical statements would share one job.
    let sqls: Vec<String> = (0..clients.len())
        .map(|i| format!("SELECT count(*) + {i} FROM bench.t /* dli_local_delay_ms={job_ms} */"))
        .collect();
    let t = Instant::now();
    let peak = Arc::new(AtomicU64::new(idle));
    let sampler = {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                peak.fetch_max(rss_kb(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    };
    let runs = clients
        .iter()
        .zip(&sqls)
        .map(|(c, sql)| c.query_one(sql.as_str(), &[]));
    let results = futures::future::join_all(runs).await;
    sampler.abort();
    let failed: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    println!(
        "{} jobs in flight together, all done in {:.1} s: {} errors{}; peak RSS {:.1} MB",
        results.len(),
        t.elapsed().as_secs_f64(),
        failed.len(),
        failed
            .first()
            .map(|e| {
                let db = e.as_db_error();
                let code = db.map(|d| d.code().code()).unwrap_or_default();
                let msg = db.map(|d| d.message()).unwrap_or_default();
                format!(" (first: {e} {code} {msg})")
            })
            .unwrap_or_default(),
        mb(peak.load(Ordering::Relaxed))
    );

    drop(clients);
    tokio::time::sleep(Duration::from_secs(5)).await;
    let closed = rss_kb(pid);
    println!(
        "all sessions closed, 5 s later: RSS {:.1} MB ({:+.1} MB over start)",
        mb(closed),
        mb(closed) - mb(base)
    );
    if let Some(trimmed) = procs.trim_allocator() {
        println!(
            "after malloc_trim(0) in the gateway: RSS {:.1} MB ({:+.1} MB over start)",
            mb(trimmed),
            mb(trimmed) - mb(base)
        );
    }
    println!("  {}", memory_map(pid));
    // Again a little later: is anything given back with time (idle threads, timers)?
    tokio::time::sleep(Duration::from_secs(15)).await;
    let later = rss_kb(pid);
    println!(
        "20 s after the close: RSS {:.1} MB ({:+.1} MB over start)\n  {}",
        mb(later),
        mb(later) - mb(base),
        memory_map(pid)
    );
    if let Some(mut tracker) = tracker {
        drop(procs);
        tracker.wait()?;
        println!("heaptrack data written (see heaptrack's own output above)");
    }
    Ok(())
}

/// One database and one small table for the jobs to read.
async fn setup(port: u16) -> Result<(), BoxError> {
    let c = connect(port).await?;
    c.batch_execute("CREATE DATABASE IF NOT EXISTS bench")
        .await?;
    c.batch_execute("CREATE TABLE IF NOT EXISTS bench.t (id int) USING parquet")
        .await?;
    c.batch_execute("INSERT INTO bench.t VALUES (1), (2), (3)")
        .await?;
    c.query_one("SELECT count(*) FROM bench.t", &[]).await?;
    Ok(())
}

async fn soak(qps: u64, seconds: u64) -> Result<(), BoxError> {
    let procs = Procs::start(&binary(), 256)?;
    let pid = procs.gateway_pid();
    setup(procs.port).await?;
    let base = rss_kb(pid);
    println!(
        "gateway RSS at start: {:.1} MB; {qps} queries/s for {seconds} s",
        mb(base)
    );
    let sessions = 32usize;
    let mut clients = Vec::new();
    for _ in 0..sessions {
        clients.push(Arc::new(connect(procs.port).await?));
    }
    let lat = Arc::new(std::sync::Mutex::new(Vec::<f64>::new()));
    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let end = start + Duration::from_secs(seconds);
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / qps.max(1) as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut next_report = start + Duration::from_secs(10);
    let mut i = 0usize;
    let mut late = 0u64;
    while Instant::now() < end {
        tick.tick().await;
        let c = clients[i % sessions].clone();
        i += 1;
        let (lat_t, done_t, errors_t) = (lat.clone(), done.clone(), errors.clone());
        if done.load(Ordering::Relaxed) + errors.load(Ordering::Relaxed) + 4 * qps < i as u64 {
            // More than four seconds of queries outstanding: the gateway does not keep up.
            late += 1;
        }
        tokio::spawn(async move {
            let t = Instant::now();
            match c.query_one("SELECT count(*) FROM bench.t", &[]).await {
                Ok(_) => {
                    done_t.fetch_add(1, Ordering::Relaxed);
                    if let Ok(mut l) = lat_t.lock() {
                        l.push(t.elapsed().as_secs_f64() * 1000.0);
                    }
                }
                Err(e) => {
                    if errors_t.fetch_add(1, Ordering::Relaxed) < 3 {
                        eprintln!("query failed: {e}");
                    }
                }
            }
        });
        if Instant::now() >= next_report {
            next_report += Duration::from_secs(10);
            let mut l = lat
                .lock()
                .map(|mut l| std::mem::take(&mut *l))
                .unwrap_or_default();
            l.sort_by(f64::total_cmp);
            let pct = |p: f64| {
                l.get(((l.len() as f64 * p) as usize).min(l.len().saturating_sub(1)))
                    .copied()
                    .unwrap_or(0.0)
            };
            println!(
                "{:>4.0} s: {} done, {} errors, last 10 s p50 {:.1} ms p99 {:.1} ms, RSS {:.1} MB",
                start.elapsed().as_secs_f64(),
                done.load(Ordering::Relaxed),
                errors.load(Ordering::Relaxed),
                pct(0.5),
                pct(0.99),
                mb(rss_kb(pid))
            );
        }
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    let rate = done.load(Ordering::Relaxed) as f64 / seconds as f64;
    println!(
        "sent {i}, done {} ({rate:.1}/s), errors {}, ticks with > 4 s outstanding {late}; RSS {:.1} MB at end ({:+.1} MB over start)",
        done.load(Ordering::Relaxed),
        errors.load(Ordering::Relaxed),
        mb(rss_kb(pid)),
        mb(rss_kb(pid)) - mb(base)
    );
    drop(clients);
    Ok(())
}
