//! The `dli-pg-gateway` program itself: its log lines on stderr, as text without terminal
//! colour codes when stderr is not a terminal, and as one JSON object per line with
//! `--log-format json`.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

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
