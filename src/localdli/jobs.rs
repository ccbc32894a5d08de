//! The job registry and state machine: LAUNCHING → RUNNING → FINISHED | FAILED |
//! CANCELLED, the spawned task running each asynchronous job (with the artificial
//! delay, `dli.sql.job.timeout` and cancellation by aborting the task), and export
//! jobs. Jobs live in memory only: a restart forgets them and keeps the data.
//! Owns job bookkeeping; SQL is [`super::engine`]'s, JSON shapes [`super::http`]'s.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::FutureExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::task::AbortHandle;

use super::engine::{Engine, Outcome, Prepared};
use super::error::SqlError;
use super::export::{ExportSpec, export, write_result_csv};
use super::obs::RESULTS_BUCKET;
use super::stmt::JobType;
use crate::pgtypes::{SparkType, struct_json};

/// DLI job states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    Launching,
    Running,
    Finished,
    Failed,
    Cancelled,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Launching => "LAUNCHING",
            JobStatus::Running => "RUNNING",
            JobStatus::Finished => "FINISHED",
            JobStatus::Failed => "FAILED",
            JobStatus::Cancelled => "CANCELLED",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobStatus::Finished | JobStatus::Failed | JobStatus::Cancelled
        )
    }
}

/// A job tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// What an export job wrote (for `GET jobs/{id}/detail`).
#[derive(Debug, Clone)]
pub struct ExportInfo {
    pub data_path: String,
    pub data_type: String,
    pub export_mode: String,
    pub compress: String,
    pub with_column_header: bool,
}

/// One job.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    pub job_type: JobType,
    pub is_async: bool,
    pub queue_name: String,
    pub owner: String,
    pub statement: String,
    pub database_name: String,
    pub table_name: String,
    pub tags: Vec<Tag>,
    pub start_ms: i64,
    pub end_ms: Option<i64>,
    pub status: JobStatus,
    pub message: String,
    pub result_count: u64,
    pub columns: Vec<(String, SparkType)>,
    pub preview: Arc<Vec<Vec<Value>>>,
    pub result_dir: Option<PathBuf>,
    /// `obs://dli-job-results/jobs/<id>` once the result CSV is written
    /// (`report_result_path = true` only).
    pub result_path: Option<String>,
    pub export: Option<ExportInfo>,
    running_since: Option<Instant>,
    delay: Duration,
    abort: Option<AbortHandle>,
}

impl Job {
    pub fn new(job_type: JobType, statement: &str, owner: &str) -> Job {
        Job {
            id: uuid::Uuid::new_v4().to_string(),
            job_type,
            is_async: true,
            queue_name: "default".into(),
            owner: owner.into(),
            statement: statement.into(),
            database_name: String::new(),
            table_name: String::new(),
            tags: Vec::new(),
            start_ms: now_ms(),
            end_ms: None,
            status: JobStatus::Launching,
            message: String::new(),
            result_count: 0,
            columns: Vec::new(),
            preview: Arc::new(Vec::new()),
            result_dir: None,
            result_path: None,
            export: None,
            running_since: None,
            delay: Duration::ZERO,
            abort: None,
        }
    }

    /// Running time so far (or in total), in milliseconds.
    pub fn duration_ms(&self) -> i64 {
        self.end_ms
            .unwrap_or_else(now_ms)
            .saturating_sub(self.start_ms)
            .max(0)
    }

    /// The Spark `StructType` JSON of the result, or "" when there is none.
    pub fn detail(&self) -> String {
        if self.columns.is_empty() {
            return String::new();
        }
        struct_json(self.columns.iter().map(|(n, t)| (n.as_str(), t))).to_string()
    }

    /// 0 while launching, a fraction while running, 1 when finished.
    pub fn progress(&self) -> f64 {
        match self.status {
            JobStatus::Launching => 0.0,
            JobStatus::Finished => 1.0,
            JobStatus::Failed | JobStatus::Cancelled => 0.0,
            JobStatus::Running => {
                let elapsed = self.running_since.map(|s| s.elapsed()).unwrap_or_default();
                if self.delay.is_zero() {
                    0.5
                } else {
                    (elapsed.as_secs_f64() / self.delay.as_secs_f64()).clamp(0.01, 0.95)
                }
            }
        }
    }
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Why a job could not be cancelled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelError {
    NotFound,
    AlreadyEnded(JobStatus),
}

/// All jobs of this service run.
#[derive(Debug, Default)]
pub struct Jobs {
    map: Mutex<HashMap<String, Job>>,
}

impl Jobs {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Job>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn insert(&self, job: Job) {
        self.lock().insert(job.id.clone(), job);
    }

    pub fn get(&self, id: &str) -> Option<Job> {
        self.lock().get(id).cloned()
    }

    pub fn all(&self) -> Vec<Job> {
        self.lock().values().cloned().collect()
    }

    fn update(&self, id: &str, f: impl FnOnce(&mut Job)) {
        if let Some(job) = self.lock().get_mut(id) {
            f(job);
        }
    }

    /// Records the outcome of a finished statement (ignored if the job was cancelled).
    pub fn complete(&self, id: &str, outcome: Result<Outcome, SqlError>) {
        let mut stale_dir = None;
        self.update(id, |job| {
            if job.status.is_terminal() {
                if let Ok(Outcome::Query(q)) = &outcome {
                    stale_dir = Some(q.dir.clone());
                }
                return;
            }
            job.end_ms = Some(now_ms());
            job.abort = None;
            match outcome {
                Ok(out) => {
                    job.status = JobStatus::Finished;
                    apply_outcome(job, out);
                }
                Err(e) => {
                    job.status = JobStatus::Failed;
                    job.message = e.message;
                }
            }
        });
        if let Some(dir) = stale_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }

    /// Cancels a LAUNCHING or RUNNING job.
    pub fn cancel(&self, id: &str, message: &str) -> Result<(), CancelError> {
        let abort = {
            let mut map = self.lock();
            let job = map.get_mut(id).ok_or(CancelError::NotFound)?;
            if job.status.is_terminal() {
                return Err(CancelError::AlreadyEnded(job.status));
            }
            job.status = JobStatus::Cancelled;
            job.message = message.to_string();
            job.end_ms = Some(now_ms());
            job.abort.take()
        };
        if let Some(handle) = abort {
            handle.abort();
        }
        Ok(())
    }

    /// Cancels every job still running (shutdown).
    pub fn cancel_all(&self) {
        let ids: Vec<String> = self
            .lock()
            .values()
            .filter(|j| !j.status.is_terminal())
            .map(|j| j.id.clone())
            .collect();
        for id in ids {
            let _ = self.cancel(&id, "The job was cancelled because the service shut down.");
        }
    }
}

fn apply_outcome(job: &mut Job, out: Outcome) {
    match out {
        Outcome::Done => {}
        Outcome::Rows(rows) => {
            job.result_count = rows.rows.len() as u64;
            job.columns = rows.columns;
            job.preview = Arc::new(rows.rows);
        }
        Outcome::Query(q) => {
            job.result_count = q.rows;
            job.columns = q.columns;
            job.preview = Arc::new(q.preview);
            job.result_dir = Some(q.dir);
        }
        Outcome::Inserted(n) => job.result_count = n,
    }
}

/// Per-job run settings taken from `conf` and SQL hints.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    pub delay: Duration,
    pub timeout: Option<Duration>,
    /// Write the result CSV of a query to `obs://dli-job-results/jobs/<id>` before the
    /// job is FINISHED (`[local] report_result_path`).
    pub report_result_path: bool,
}

/// Starts an asynchronous SQL job in a task; the job must already be registered.
pub fn spawn_sql(
    engine: Arc<Engine>,
    jobs: Arc<Jobs>,
    id: String,
    prepared: Prepared,
    currentdb: String,
    opts: RunOptions,
) {
    let task_jobs = Arc::clone(&jobs);
    let task_id = id.clone();
    let compute = Arc::clone(&engine);
    let handle = compute.compute.spawn(async move {
        task_jobs.update(&task_id, |j| {
            if j.status == JobStatus::Launching {
                j.status = JobStatus::Running;
                j.running_since = Some(Instant::now());
                j.delay = opts.delay;
            }
        });
        let work = async {
            if !opts.delay.is_zero() {
                tokio::time::sleep(opts.delay).await;
            }
            let dir = engine.warehouse.results_dir(&task_id);
            // A panic inside the engine must fail the job, not leave it RUNNING.
            let outcome = AssertUnwindSafe(engine.execute(&prepared, &currentdb, &dir))
                .catch_unwind()
                .await
                .unwrap_or_else(|_| {
                    Err(SqlError::internal(
                        "[INTERNAL_ERROR] The local engine failed unexpectedly.",
                    ))
                });
            match outcome {
                Ok(Outcome::Query(q)) if opts.report_result_path => {
                    let path = result_csv(&engine, &task_id, &q.dir, &q.columns).await?;
                    task_jobs.update(&task_id, |j| j.result_path = Some(path));
                    Ok(Outcome::Query(q))
                }
                other => other,
            }
        };
        let outcome = match opts.timeout {
            None => work.await,
            Some(limit) => match tokio::time::timeout(limit, work).await {
                Ok(outcome) => outcome,
                Err(_) => {
                    let msg = format!(
                        "[DLI.0019] The job was cancelled because it ran longer than \
                         dli.sql.job.timeout ({} ms).",
                        limit.as_millis()
                    );
                    let _ = task_jobs.cancel(&task_id, &msg);
                    let _ = std::fs::remove_dir_all(engine.warehouse.results_dir(&task_id));
                    let _ = std::fs::remove_dir_all(engine.warehouse.result_csv_dir(&task_id));
                    return;
                }
            },
        };
        task_jobs.complete(&task_id, outcome);
    });
    let abort = handle.abort_handle();
    jobs.update(&id, |j| {
        if !j.status.is_terminal() {
            j.abort = Some(abort);
        }
    });
}

/// Writes the result CSV of job `id` under `<obs>/dli-job-results/jobs/<id>`; returns
/// its `obs://` folder.
async fn result_csv(
    engine: &Engine,
    id: &str,
    dir: &std::path::Path,
    columns: &[(String, SparkType)],
) -> Result<String, SqlError> {
    let target = engine.warehouse.result_csv_dir(id);
    let (dir, columns, tmp) = (
        dir.to_path_buf(),
        columns.to_vec(),
        engine.warehouse.tmp_dir(),
    );
    tokio::task::spawn_blocking(move || write_result_csv(&dir, &columns, &target, &tmp))
        .await
        .map_err(|e| SqlError::internal(format!("result file task failed: {e}")))?
        .map_err(|e| SqlError::internal(format!("cannot write the result file: {e}")))?;
    Ok(format!("obs://{RESULTS_BUCKET}/jobs/{id}"))
}

/// Starts an export of `source`'s result; the export job must already be registered.
pub fn spawn_export(jobs: Arc<Jobs>, id: String, source: Job, spec: ExportSpec, data_path: String) {
    let task_jobs = Arc::clone(&jobs);
    let task_id = id.clone();
    let handle = tokio::spawn(async move {
        task_jobs.update(&task_id, |j| {
            if j.status == JobStatus::Launching {
                j.status = JobStatus::Running;
                j.running_since = Some(Instant::now());
            }
        });
        let columns = source.columns.clone();
        let Some(dir) = source.result_dir.clone() else {
            task_jobs.complete(
                &task_id,
                Err(SqlError::internal("the job has no result to export")),
            );
            return;
        };
        let result =
            tokio::task::spawn_blocking(move || export(&dir, &columns, &spec, &data_path)).await;
        let outcome = match result {
            Ok(Ok(rows)) => Ok(Outcome::Inserted(rows)),
            Ok(Err(msg)) => Err(SqlError::new(super::error::SqlErrorKind::Execution, msg)),
            Err(e) => Err(SqlError::internal(format!("export task failed: {e}"))),
        };
        task_jobs.complete(&task_id, outcome);
    });
    let abort = handle.abort_handle();
    jobs.update(&id, |j| {
        if !j.status.is_terminal() {
            j.abort = Some(abort);
        }
    });
}

/// Records a synchronous job that already ran.
pub fn record_sync(jobs: &Jobs, mut job: Job, outcome: &Result<Outcome, SqlError>) {
    job.is_async = false;
    job.end_ms = Some(now_ms());
    match outcome {
        Ok(out) => {
            job.status = JobStatus::Finished;
            apply_outcome(&mut job, out.clone());
        }
        Err(e) => {
            job.status = JobStatus::Failed;
            job.message = e.message.clone();
        }
    }
    jobs.insert(job);
}

/// The artificial delay a statement asks for: the conf key `dli.local.job.delay_ms`
/// or a comment holding `dli_local_delay_ms=<ms>` (e.g. `/* dli_local_delay_ms=500 */`
/// or `-- dli_local_delay_ms=500`).
pub fn delay_hint(sql: &str) -> Option<u64> {
    use sqlparser::tokenizer::{Token, Tokenizer, Whitespace};
    let tokens = Tokenizer::new(&crate::sparksql::SparkDialect, sql)
        .tokenize()
        .ok()?;
    tokens.iter().find_map(|t| match t {
        Token::Whitespace(Whitespace::SingleLineComment { comment, .. })
        | Token::Whitespace(Whitespace::MultiLineComment(comment)) => hint_value(comment),
        _ => None,
    })
}

fn hint_value(comment: &str) -> Option<u64> {
    let lower = comment.to_ascii_lowercase();
    let at = lower.find("dli_local_delay_ms")?;
    let rest = lower[at + "dli_local_delay_ms".len()..].trim_start();
    let rest = rest
        .strip_prefix('=')
        .or_else(|| rest.strip_prefix('('))?
        .trim_start();
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_hints_in_comments_only() {
        assert_eq!(
            delay_hint("select 1 /* dli_local_delay_ms=250 */"),
            Some(250)
        );
        assert_eq!(delay_hint("-- DLI_LOCAL_DELAY_MS = 40\nselect 1"), Some(40));
        assert_eq!(
            delay_hint("select /*+ DLI_LOCAL_DELAY_MS(75) */ 1"),
            Some(75)
        );
        assert_eq!(delay_hint("select 'dli_local_delay_ms=5'"), None);
        assert_eq!(delay_hint("select 1"), None);
    }

    #[test]
    fn cancel_only_running_jobs() {
        let jobs = Jobs::default();
        let job = Job::new(JobType::Query, "select 1", "u");
        let id = job.id.clone();
        jobs.insert(job);
        assert!(jobs.cancel(&id, "bye").is_ok());
        assert_eq!(
            jobs.cancel(&id, "again"),
            Err(CancelError::AlreadyEnded(JobStatus::Cancelled))
        );
        assert_eq!(jobs.cancel("nope", "x"), Err(CancelError::NotFound));
        jobs.complete(&id, Ok(Outcome::Inserted(3)));
        assert_eq!(jobs.get(&id).map(|j| j.status), Some(JobStatus::Cancelled));
    }
}
