//! Spark's own function examples run on the embedded DLI service over real HTTP
//! (submit-job, status, preview; check-sql for the error code of a failure).
//!
//! The corpus, `tests/fixtures/spark_functions.jsonl`, holds the single-row examples of
//! Spark 3.5's built-in function documentation (the `Examples:` of each function's
//! `ExpressionInfo`, which Spark's SQL API docs are generated from), each checked to give
//! its documented result on pyspark 3.5.9 with `spark.sql.session.timeZone=UTC`
//! (`scripts/spark_functions_corpus.py`). Each entry pins what the embedded engine does:
//! - `ok`: the documented result, rendered as Spark's SQL CLI prints it;
//! - `differs`: a result other than the documented one (recorded in `actual`);
//! - `unsupported`: a failure with a Spark-style message (`[ERROR_CLASS] …`, class in
//!   `error`) and DLI.0005/DLI.0007 from check-sql (`code`; `runtime` when the statement
//!   passes check-sql and fails while running).
//!
//! Any change of outcome fails the test, better or worse; `SPARK_CORPUS_UPDATE=1` rewrites
//! the fixture with what the engine does now. Never acceptable, whatever the fixture says:
//! an internal error (DLI.0999), DataFusion's or Arrow's own wording, a panic.

mod sparkrun;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};
use sparkrun::{Seen, run, spark_style, start};
use tempfile::TempDir;

const FIXTURE: &str = "tests/fixtures/spark_functions.jsonl";
/// Spark's typed literals: values, types and column names as pyspark 3.5.9 gives them;
/// out-of-range values fail as Spark's parser fails.
#[tokio::test]
async fn numeric_literal_suffixes_like_spark() {
    let dir = TempDir::new().unwrap();
    let (dli, svc) = start(dir.path()).await;
    let sql = "SELECT 10L, 3S, 2Y, 1.5D, 1E2D, 2.5F, 1.5BD, 1E2BD, -128Y, .5d, 10L + 1";
    let v = svc
        .post(
            "jobs/submit-job",
            json!({"sql": sql, "currentdb": "default"}),
        )
        .await;
    let id = v["job_id"].as_str().unwrap().to_string();
    assert_eq!(
        run(&svc, sql).await,
        Seen::Rows(vec![
            "10\t3\t2\t1.5\t100.0\t2.5\t1.5\t100\t-128\t0.5\t11".into()
        ])
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while svc.get(&format!("jobs/{id}/status")).await["status"] != "FINISHED" {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let preview = svc.get(&format!("jobs/{id}/preview")).await;
    let schema: Vec<(String, String)> = preview["schema"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let (n, t) = c.as_object().unwrap().iter().next().unwrap();
            (n.clone(), t.as_str().unwrap().to_string())
        })
        .collect();
    let expected = [
        ("10", "bigint"),
        ("3", "smallint"),
        ("2", "tinyint"),
        ("1.5", "double"),
        ("100.0", "double"),
        ("2.5", "float"),
        ("1.5", "decimal(2,1)"),
        ("100", "decimal(3,0)"),
        ("-128", "tinyint"),
        ("0.5", "double"),
        ("(10 + 1)", "bigint"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    assert_eq!(schema, expected);

    // Not literals: strings, quoted identifiers, comments, identifiers with digits.
    assert_eq!(
        run(
            &svc,
            "SELECT '10L', x10L /* 2Y */ FROM (SELECT 1 AS x10L) -- 3S"
        )
        .await,
        Seen::Rows(vec!["10L\t1".into()])
    );
    for (sql, msg) in [
        (
            "SELECT 200Y",
            "[INVALID_NUMERIC_LITERAL_RANGE] Numeric literal 200 is outside the valid range for \
             tinyint with minimum value of -128 and maximum value of 127. Please adjust the value \
             accordingly.(line 1, pos 7)",
        ),
        (
            "SELECT 1, -40000S",
            "[INVALID_NUMERIC_LITERAL_RANGE] Numeric literal -40000 is outside the valid range for \
             smallint with minimum value of -32768 and maximum value of 32767. Please adjust the \
             value accordingly.(line 1, pos 10)",
        ),
    ] {
        let v = svc
            .post(
                "jobs/check-sql",
                json!({"sql": sql, "currentdb": "default"}),
            )
            .await;
        assert_eq!(v["error_code"], "DLI.0004", "{sql}: {v}");
        assert_eq!(v["error_msg"], msg, "{sql}");
    }
    // now(), current_date and current_timestamp run (one value each, the same instant).
    let Seen::Rows(rows) = run(
        &svc,
        "SELECT now() = current_timestamp(), current_date IS NOT NULL, \
         current_timestamp IS NOT NULL",
    )
    .await
    else {
        panic!("now() failed")
    };
    assert_eq!(rows, vec!["true\ttrue\ttrue".to_string()]);
    dli.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spark_documented_examples() {
    let text = std::fs::read_to_string(FIXTURE).unwrap();
    let entries: Vec<BTreeMap<String, Value>> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(entries.len() >= 150, "corpus too small: {}", entries.len());

    let dir = TempDir::new().unwrap();
    let (dli, svc) = start(dir.path()).await;

    let seen: Vec<Seen> = futures::stream::iter(entries.iter())
        .map(|e| run(&svc, e["sql"].as_str().unwrap()))
        .buffered(6)
        .collect()
        .await;

    let mut problems = Vec::new();
    let mut updated = Vec::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for (entry, seen) in entries.iter().zip(seen) {
        let sql = entry["sql"].as_str().unwrap();
        let documented = entry["result"].as_str().unwrap();
        let mut now = entry.clone();
        for k in ["outcome", "actual", "code", "error"] {
            now.remove(k);
        }
        match &seen {
            Seen::Rows(rows) if rows.len() == 1 && same_result(entry, documented, &rows[0]) => {
                now.insert("outcome".into(), json!("ok"));
            }
            Seen::Rows(rows) => {
                now.insert("outcome".into(), json!("differs"));
                now.insert("actual".into(), json!(rows.join("\n")));
            }
            Seen::Failed { code, message } => match spark_style(message) {
                Some(class)
                    if ["DLI.0005", "DLI.0007", "DLI.0004", "runtime"].contains(&code.as_str()) =>
                {
                    now.insert("outcome".into(), json!("unsupported"));
                    now.insert("code".into(), json!(code));
                    now.insert("error".into(), json!(class));
                }
                _ => problems.push(format!("{sql}: never acceptable: {code} {message}")),
            },
        }
        let outcome = now
            .get("outcome")
            .and_then(Value::as_str)
            .unwrap_or("never")
            .to_string();
        *counts.entry(outcome).or_default() += 1;
        if &now != entry {
            problems.push(format!(
                "{sql}: fixture says {}, engine now {}",
                Value::from(serde_json::Map::from_iter(entry.clone())),
                Value::from(serde_json::Map::from_iter(now.clone()))
            ));
        }
        updated.push(now);
    }
    eprintln!("spark function corpus: {counts:?} of {}", entries.len());
    // Never a silently different answer: a function runs as Spark documents it or fails.
    if let Some(n) = counts.get("differs") {
        problems.push(format!("{n} examples answer other than Spark documents"));
    }
    dli.shutdown().await;

    if std::env::var_os("SPARK_CORPUS_UPDATE").is_some() {
        let mut out = String::new();
        for e in &updated {
            out.push_str(&serde_json::to_string(&serde_json::Map::from_iter(e.clone())).unwrap());
            out.push('\n');
        }
        std::fs::write(Path::new(FIXTURE), out).unwrap();
        problems.retain(|p| p.contains("never acceptable"));
    }
    assert!(
        problems.is_empty(),
        "{} of {} examples changed or failed badly:\n{}",
        problems.len(),
        entries.len(),
        problems.join("\n")
    );
}

/// Spark's documented result and the engine's are the same: equal text, or
/// - for a `double` computed by an aggregate, equal up to rounding (Spark's own result
///   of such an aggregate depends on how its rows are partitioned: it sums partial
///   results in whatever order the tasks finish);
/// - for `collect_set`, the same elements (Spark documents its order as
///   non-deterministic).
fn same_result(entry: &BTreeMap<String, Value>, documented: &str, actual: &str) -> bool {
    if documented == actual {
        return true;
    }
    let class = entry
        .get("class")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if class.contains(".aggregate.")
        && let (Ok(d), Ok(a)) = (documented.parse::<f64>(), actual.parse::<f64>())
    {
        return documented.contains('.') && (d - a).abs() <= 1e-12 * d.abs().max(1.0);
    }
    if entry.get("fn").and_then(Value::as_str) == Some("collect_set") {
        let sorted = |t: &str| {
            let mut v: Vec<String> = t
                .trim_matches(['[', ']'])
                .split(',')
                .map(str::to_string)
                .collect();
            v.sort();
            v
        };
        return sorted(documented) == sorted(actual);
    }
    false
}
