//! Protocol fuzzing, long run: seeded mutations of valid frontend message streams
//! (startup, SCRAM, simple query, Parse/Bind/Describe/Execute/Sync, COPY) against the
//! real gateway and embedded service, one connection per stream, write side closed after
//! sending. Counts panics (a panic hook in this process, where the gateway runs) and
//! hangs (connections the server has not closed within 15 s); exits non-zero on either.
//!
//! ```sh
//! cargo run --release --example protocol_fuzz               # 20,000 streams, seed 1
//! cargo run --release --example protocol_fuzz -- 5000 42    # streams, seed
//! ```

#[path = "../tests/common/fuzz.rs"]
mod fuzz;
#[path = "../tests/common/wire.rs"]
mod wire;

use std::time::{Duration, Instant};

use dli_pg_gateway::app::Gateway;
use dli_pg_gateway::config::Config;
use dli_pg_gateway::gateway::config::AuthMethod;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().map_or(Ok(20_000), |a| a.parse())?;
    let seed: u64 = args.next().map_or(Ok(1), |a| a.parse())?;
    let before = fuzz::panics();
    let mut failed = false;
    for (method, scram, share) in [
        (AuthMethod::Trust, false, 4),
        (AuthMethod::ScramSha256, true, 1),
    ] {
        let dir =
            std::env::temp_dir().join(format!("protocol-fuzz-{}-{scram}", std::process::id()));
        let mut cfg = Config::from_toml_and_env("", &[])?;
        cfg.server.listen = "127.0.0.1:0".into();
        cfg.local.listen = "127.0.0.1:0".into();
        cfg.local.warehouse = dir.join("wh");
        cfg.local.demo = false;
        cfg.runner.poll_initial_ms = 5;
        cfg.runner.poll_max_ms = 50;
        cfg.server.auth_method = method;
        cfg.server.throttle.free_failures = u32::MAX;
        let gw = Gateway::start(cfg).await?;
        let n = count * share / 5;
        let started = Instant::now();
        let report = fuzz::run(gw.addr(), scram, seed, n, 16, Duration::from_secs(15)).await;
        println!(
            "{method:?}: {} streams in {:.1} s: closed {}, hangs {}, sessions reaching ReadyForQuery {}, errors {:?}",
            report.connections,
            started.elapsed().as_secs_f64(),
            report.closed,
            report.hangs,
            report.ready,
            report.errors
        );
        failed |= report.hangs > 0;
        gw.shutdown().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
    let panics = fuzz::panics() - before;
    println!("panics: {panics}");
    if failed || panics > 0 {
        return Err("the gateway panicked or hung".into());
    }
    Ok(())
}
