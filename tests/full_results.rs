//! Results larger than DLI's preview, read in full: the runner against a scripted DLI
//! whose status reports `result_path` (files on the local file system, read through the
//! same object-store reader as `obs://`), and the export-result request it sends when
//! DLI reports none. The S3/OBS path end to end is in `tests/local_obs.rs` and the
//! client suite.

mod common;

use std::sync::Arc;

use common::fake_jobs::{FakeJobs, Step};
use dli_pg_gateway::dli::{Column, JobState};
use dli_pg_gateway::gateway::config::RunnerConfig;
use dli_pg_gateway::gateway::runner::{JobContext, Outcome, ResultRows, Runner};
use dli_pg_gateway::pgtypes::PgValue;
use dli_pg_gateway::results::{FullResults, ResultsConfig};
use futures::TryStreamExt;

fn context(allow_truncated: bool) -> JobContext {
    JobContext {
        currentdb: "default".into(),
        queue: None,
        statement_timeout_ms: 0,
        allow_truncated_results: allow_truncated,
    }
}

fn results(cfg: ResultsConfig) -> FullResults {
    FullResults::new(cfg, None)
}

/// A finished query of `total` rows, whose preview holds the first 2.
fn job(total: i64) -> FakeJobs {
    FakeJobs::new(vec![Step::State(JobState::Finished)])
        .with_result(
            vec![Column::new("n", "bigint"), Column::new("s", "string")],
            vec![
                vec![serde_json::json!(0), serde_json::json!("v0")],
                vec![serde_json::json!(1), serde_json::json!("v1")],
            ],
        )
        .with_total(total)
}

async fn all_rows(rows: ResultRows) -> Vec<Vec<PgValue>> {
    let ResultRows::Files(mut read) = rows else {
        panic!("expected the full result from files")
    };
    // What the protocol layer does: decode as the described columns.
    read.columns = Arc::new(
        read.columns
            .iter()
            .map(|(n, _)| {
                (
                    n.clone(),
                    dli_pg_gateway::pgtypes::SparkType::parse(if n == "n" {
                        "bigint"
                    } else {
                        "string"
                    }),
                )
            })
            .collect(),
    );
    let batches: Vec<Vec<Vec<PgValue>>> = read.stream().try_collect().await.expect("rows");
    batches.concat()
}

fn write_parts(dir: &std::path::Path, rows: u64, files: u64) {
    let per = rows.div_ceil(files);
    for f in 0..files {
        let mut text = String::new();
        for n in (f * per)..((f + 1) * per).min(rows) {
            text.push_str(&format!("{n},\"v,{n}\"\n"));
        }
        std::fs::write(dir.join(format!("part-{f:05}-x.csv")), text).unwrap();
    }
    std::fs::write(dir.join("_SUCCESS"), "").unwrap();
}

#[tokio::test]
async fn result_path_gives_every_row_in_order() {
    let dir = tempfile::tempdir().unwrap();
    write_parts(dir.path(), 2500, 3);
    let url = format!("file://{}", dir.path().display());
    let fake = Arc::new(job(2500).with_result_path(&url));
    let runner = Runner::new(fake.clone(), RunnerConfig::default())
        .with_results(results(ResultsConfig::default()));
    let finished = runner
        .run("SELECT n, s FROM t", &context(false))
        .await
        .expect("runs");
    let Outcome::Rows { rows, notices, .. } = finished.outcome else {
        panic!("no rows")
    };
    assert!(notices.is_empty());
    let rows = all_rows(rows).await;
    assert_eq!(rows.len(), 2500);
    for (i, row) in rows.iter().enumerate() {
        let n = i as i64;
        assert_eq!(row, &vec![PgValue::I64(n), PgValue::Text(format!("v,{n}"))]);
    }
    assert!(
        fake.exports.lock().unwrap().is_empty(),
        "no export when DLI gives result_path"
    );
    // result_path files belong to DLI: never removed.
    assert!(dir.path().join("part-00000-x.csv").exists());
}

#[tokio::test]
async fn fewer_rows_in_the_files_than_dli_reports_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write_parts(dir.path(), 1500, 2);
    let url = format!("file://{}", dir.path().display());
    let runner = Runner::new(
        Arc::new(job(1600).with_result_path(&url)),
        RunnerConfig::default(),
    )
    .with_results(results(ResultsConfig::default()));
    let finished = runner
        .run("SELECT n, s FROM t", &context(false))
        .await
        .expect("runs");
    let Outcome::Rows { rows, .. } = finished.outcome else {
        panic!("no rows")
    };
    let ResultRows::Files(read) = rows else {
        panic!("files")
    };
    let err = read
        .stream()
        .try_collect::<Vec<_>>()
        .await
        .expect_err("short read");
    assert_eq!(err.kind.sqlstate(), "54000");
    assert!(
        err.message.contains("hold 1500 rows, but DLI reports 1600"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn an_unreadable_location_fails_before_any_row_or_warns_when_allowed() {
    let url = "file:///nonexistent/dli-gateway-results";
    let runner = || {
        Runner::new(
            Arc::new(job(5000).with_result_path(url)),
            RunnerConfig::default(),
        )
        .with_results(results(ResultsConfig::default()))
    };
    let err = runner()
        .run("SELECT n, s FROM t", &context(false))
        .await
        .expect_err("unreadable");
    assert_eq!(err.kind.sqlstate(), "54000");
    assert!(err.message.contains("has 5000 rows"), "{}", err.message);
    let detail = err.detail.unwrap_or_default();
    assert!(
        detail.contains("DLI job job-1: cannot read the result"),
        "{detail}"
    );
    let finished = runner()
        .run("SELECT n, s FROM t", &context(true))
        .await
        .expect("allowed");
    let Outcome::Rows { rows, notices, .. } = finished.outcome else {
        panic!("no rows")
    };
    assert!(matches!(rows, ResultRows::Json(_)));
    assert!(
        notices[0].message.contains("has 5000 rows"),
        "{:?}",
        notices[0]
    );
    assert!(
        notices[0]
            .detail
            .as_deref()
            .unwrap_or_default()
            .contains("cannot read"),
        "{:?}",
        notices[0]
    );
}

#[tokio::test]
async fn without_result_path_the_job_is_exported_to_its_own_folder() {
    let fake = Arc::new(job(5000));
    let cfg = ResultsConfig {
        export_path: "obs://bucket/exports/".into(),
        compress: dli_pg_gateway::results::Compression::Gzip,
        ..ResultsConfig::default()
    };
    let runner = Runner::new(fake.clone(), RunnerConfig::default()).with_results(results(cfg));
    // No endpoint is configured, so the export's files cannot be read: a clear error.
    let err = runner
        .run("SELECT n, s FROM t", &context(false))
        .await
        .expect_err("no endpoint");
    let detail = err.detail.unwrap_or_default();
    assert!(detail.contains("[results] endpoint"), "{detail}");
    let exports = fake.exports.lock().unwrap().clone();
    assert_eq!(exports.len(), 1);
    let req = &exports[0];
    // A folder of its own per read (`<job id>-<12 hex>`): two reads of one reused job
    // never overwrite each other's export.
    let suffix = req
        .data_path
        .strip_prefix("obs://bucket/exports/job-1-")
        .unwrap_or_default();
    assert!(
        suffix.len() == 12 && suffix.chars().all(|c| c.is_ascii_hexdigit()),
        "{}",
        req.data_path
    );
    assert_eq!(req.data_type, "csv");
    assert_eq!(req.compress.as_deref(), Some("gzip"));
    assert_eq!(req.export_mode.as_deref(), Some("Overwrite"));
    assert_eq!(req.with_column_header, Some(true));
}

#[tokio::test]
async fn nested_columns_are_exported_as_json() {
    let fake = Arc::new(
        FakeJobs::new(vec![Step::State(JobState::Finished)])
            .with_result(
                vec![Column::new("a", "array<int>")],
                vec![vec![serde_json::json!([1])]],
            )
            .with_total(2000),
    );
    let cfg = ResultsConfig {
        export_path: "obs://bucket/x".into(),
        ..ResultsConfig::default()
    };
    let runner = Runner::new(fake.clone(), RunnerConfig::default()).with_results(results(cfg));
    let _ = runner.run("SELECT a FROM t", &context(false)).await;
    let req = fake.exports.lock().unwrap()[0].clone();
    assert_eq!(req.data_type, "json");
    assert_eq!(req.with_column_header, Some(false));
}

#[tokio::test]
async fn no_location_at_all_keeps_the_clear_error() {
    let runner = Runner::new(Arc::new(job(5000)), RunnerConfig::default())
        .with_results(results(ResultsConfig::default()));
    let err = runner
        .run("SELECT n, s FROM t", &context(false))
        .await
        .expect_err("no way to the rows");
    assert_eq!(err.kind.sqlstate(), "54000");
    assert!(err.detail.unwrap_or_default().contains("export_path"));
}
