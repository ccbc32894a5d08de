//! Protocol fuzzing, small and seeded: mutated frontend streams against the real gateway
//! (trust and SCRAM logins); every connection ends within the timeout, nothing panics,
//! and the gateway still serves a normal client afterwards. The long run is
//! `cargo run --release --example protocol_fuzz` (README "Bad input").

mod common;

use std::time::Duration;

use dli_pg_gateway::gateway::config::AuthMethod;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutated_streams_end_without_panics_or_hangs() {
    let before = common::fuzz::panics();
    for (method, scram, seed, count) in [
        (AuthMethod::Trust, false, 7, 240),
        (AuthMethod::ScramSha256, true, 11, 60),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = common::test_config(&dir.path().join("wh"), false);
        cfg.server.auth_method = method;
        cfg.server.throttle.free_failures = 1_000_000;
        let gw = common::start(cfg).await;
        let report =
            common::fuzz::run(gw.addr(), scram, seed, count, 8, Duration::from_secs(15)).await;
        eprintln!("{method:?}: {report:?}");
        assert_eq!(report.connections, count);
        assert_eq!(report.hangs, 0, "{report:?}");
        assert_eq!(report.closed, count, "{report:?}");
        // the mutations did reach the checks, and some streams stayed valid
        assert!(
            report.errors.get("08P01").copied().unwrap_or(0) > 0,
            "{report:?}"
        );
        if !scram {
            assert!(report.ready > 0, "{report:?}");
        } else {
            // no login succeeds without the password (and none is answered
            // ReadyForQuery after a FATAL error)
            assert_eq!(report.ready, 0, "{report:?}");
        }
        let client = common::connect(&gw).await;
        let rows = common::simple_rows(&client, "SELECT 1").await;
        assert_eq!(rows, vec![vec![Some("1".to_string())]]);
        gw.shutdown().await;
    }
    assert_eq!(common::fuzz::panics(), before, "a panic was logged");
}
