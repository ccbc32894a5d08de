//! The embedded DLI service held to Spark 3.3, the engine DLI runs: every statement of
//! `tests/fixtures/spark_strict.jsonl` (recorded from pyspark 3.3.4 by
//! `scripts/spark_strict_cases.py`) is run over real HTTP and must end as it ended on
//! Spark — the same rows (and, where marked, the same column names and types), or a
//! refusal with the same DLI error code (DLI.0004 for Spark's parse errors, DLI.0005 for
//! its analysis errors) and a message in Spark's words (`[ERROR_CLASS] …`). NULL
//! ordering, integer division, `dow`, intervals, and the Postgres forms Spark rejects
//! (`::`, `OFFSET`, `~`, `TEXT`, `to_char` …) are covered.
//!
//! A case marked `gap` is a known difference: it must still differ (when it stops
//! differing, remove the mark).

mod sparkrun;

use std::collections::BTreeMap;

use futures::StreamExt;
use serde_json::Value;
use sparkrun::{Seen, run_named, spark_style, start};
use tempfile::TempDir;

const FIXTURE: &str = "tests/fixtures/spark_strict.jsonl";

/// What the engine did differently from Spark, if anything.
fn difference(
    case: &BTreeMap<String, Value>,
    columns: &[(String, String)],
    seen: &Seen,
) -> Option<String> {
    let text = |k: &str| case.get(k).and_then(Value::as_str).unwrap_or_default();
    match (case.get("code"), seen) {
        (Some(code), Seen::Failed { code: got, message }) => {
            if code.as_str() != Some(got.as_str()) {
                return Some(format!(
                    "Spark fails with {code}, the engine with {got}: {message}"
                ));
            }
            if spark_style(message).is_none() {
                return Some(format!("a message not in Spark's words: {message}"));
            }
            None
        }
        (Some(code), Seen::Rows(rows)) => Some(format!(
            "Spark refuses it ({code}: {}), the engine answers {rows:?}",
            text("spark_error")
        )),
        (None, Seen::Failed { code, message }) => {
            Some(format!("Spark runs it, the engine fails: {code} {message}"))
        }
        (None, Seen::Rows(rows)) => {
            let expected: Vec<String> = case["rows"]
                .as_array()
                .map(|r| {
                    r.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            if *rows != expected {
                return Some(format!("rows {rows:?}, Spark {expected:?}"));
            }
            let spark_columns: Vec<(String, String)> = case["columns"]
                .as_array()
                .map(|cs| {
                    cs.iter()
                        .map(|c| {
                            (
                                c[0].as_str().unwrap_or_default().into(),
                                c[1].as_str().unwrap_or_default().into(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            if case.contains_key("names") && columns != spark_columns.as_slice() {
                return Some(format!("columns {columns:?}, Spark {spark_columns:?}"));
            }
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_engine_answers_as_spark_33() {
    let text = std::fs::read_to_string(FIXTURE).unwrap();
    let cases: Vec<BTreeMap<String, Value>> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(cases.len() >= 60, "too few cases: {}", cases.len());
    assert!(cases.iter().filter(|c| c.contains_key("code")).count() >= 15);

    let dir = TempDir::new().unwrap();
    let (dli, svc) = start(dir.path()).await;
    let seen: Vec<(Vec<(String, String)>, Seen)> = futures::stream::iter(cases.iter())
        .map(|c| run_named(&svc, c["sql"].as_str().unwrap()))
        .buffered(4)
        .collect()
        .await;
    dli.shutdown().await;

    let mut problems = Vec::new();
    for (case, (columns, seen)) in cases.iter().zip(&seen) {
        let sql = case["sql"].as_str().unwrap_or_default();
        match (difference(case, columns, seen), case.get("gap")) {
            (Some(d), None) => problems.push(format!("{sql}\n    {d}")),
            (None, Some(gap)) => problems.push(format!(
                "{sql}\n    now as Spark: remove the gap mark ({gap})"
            )),
            _ => {}
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {} statements differ from Spark 3.3:\n{}",
        problems.len(),
        cases.len(),
        problems.join("\n")
    );
}
