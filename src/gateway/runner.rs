//! One user statement as one DLI job: check-sql → submit-job → poll → results.
//!
//! Owns: the job lifecycle over the [`JobBackend`] seam (the only way the front end
//! reaches DLI, defined in [`super::backend`]; the wait for the job is [`super::wait`]'s),
//! the statement deadline, and the guard that cancels the DLI job when the statement is
//! abandoned (cancel request, timeout, disconnect).
//! Returns plain columns and JSON rows; it never sees pgwire or HTTP types.

use std::sync::Arc;
use std::time::Duration;

use futures::stream::BoxStream;
use serde_json::Value;
use tokio::time::Instant;

pub use super::backend::JobBackend;
use super::checked::{CheckMemo, check_sql_knows};
use super::cluster::{CancelKey, Cluster};
use super::config::RunnerConfig;
use super::incomplete::{Incomplete, incomplete};
use super::poll::{Budget, PollSchedule};
use super::poller::{Polling, SharedPoller};
use super::progress::ProgressSink;
use super::sharing::Sharing;
pub use super::sharing::Started;
use crate::dli::{Column, JobState, JobStatus, JobTag, JobType, SubmitJobRequest};
use crate::errors::{ErrorKind, GatewayError, Notice};
use crate::results::FullResults;
use crate::results::reader::ResultRead;

/// Where and how a statement runs.
#[derive(Debug, Clone)]
pub struct JobContext {
    pub currentdb: String,
    pub queue: Option<String>,
    /// 0 = no deadline.
    pub statement_timeout_ms: u64,
    /// A result larger than the preview is sent truncated with a warning rather than
    /// failing the statement.
    pub allow_truncated_results: bool,
}

/// A result's rows as DLI sent them (JSON values), in batches as they arrive.
pub type JsonRows = BoxStream<'static, Result<Vec<Vec<Value>>, GatewayError>>;

/// Rows known in full, as one batch.
fn one_batch(rows: Vec<Vec<Value>>) -> ResultRows {
    ResultRows::Json(Box::pin(futures::stream::once(async move { Ok(rows) })))
}

/// A result's rows: DLI's JSON (preview, synchronous answers), or its files in object
/// storage, listed and ready to stream (decoded as the columns the client was told).
pub enum ResultRows {
    Json(JsonRows),
    Files(ResultRead),
}

impl ResultRows {
    /// All the JSON rows (tests and internal callers of small results).
    pub fn into_json(self) -> Option<JsonRows> {
        match self {
            ResultRows::Json(rows) => Some(rows),
            ResultRows::Files(_) => None,
        }
    }
}

/// What a statement produced.
pub enum Outcome {
    Rows {
        columns: Vec<Column>,
        rows: ResultRows,
        /// Warnings for the client (a truncated result).
        notices: Vec<Notice>,
    },
    Command {
        job_type: JobType,
        rows: Option<u64>,
    },
}

impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Rows { columns, .. } => f
                .debug_struct("Rows")
                .field("columns", columns)
                .finish_non_exhaustive(),
            Outcome::Command { job_type, rows } => f
                .debug_struct("Command")
                .field("job_type", job_type)
                .field("rows", rows)
                .finish(),
        }
    }
}

/// A finished statement with the DLI job that ran it.
#[derive(Debug)]
pub struct Finished {
    pub job_id: String,
    pub outcome: Outcome,
}

/// Cancels the DLI job when dropped while armed: a cancelled or abandoned statement
/// future must not leave its job running.
pub(super) struct CancelOnDrop {
    backend: Arc<dyn JobBackend>,
    job_id: String,
    armed: bool,
}

impl CancelOnDrop {
    pub(super) fn new(backend: Arc<dyn JobBackend>, job_id: &str) -> CancelOnDrop {
        CancelOnDrop {
            backend,
            job_id: job_id.to_string(),
            armed: true,
        }
    }

    pub(super) fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let backend = self.backend.clone();
        let job_id = std::mem::take(&mut self.job_id);
        crate::metrics::dli_job_ended("gateway_cancelled");
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                // counted, so that shutdown waits for it
                super::lifecycle::spawn_cancel(&handle, async move {
                    match backend.cancel_job(&job_id).await {
                        Ok(()) => tracing::info!(job_id, "cancelled abandoned DLI job"),
                        Err(e) => tracing::warn!(job_id, error = %e, "could not cancel DLI job"),
                    }
                });
            }
            Err(_) => tracing::warn!(job_id, "no runtime to cancel abandoned DLI job"),
        }
    }
}

/// When a statement started now must end (`None`: no statement timeout).
pub(super) fn deadline_of(ctx: &JobContext) -> Option<Instant> {
    (ctx.statement_timeout_ms > 0)
        .then(|| Instant::now() + Duration::from_millis(ctx.statement_timeout_ms))
}

/// Runs statements as DLI jobs.
#[derive(Clone)]
pub struct Runner {
    pub(super) backend: Arc<dyn JobBackend>,
    cfg: RunnerConfig,
    pub(super) results: Option<FullResults>,
    pub(super) polling: Polling,
    /// Jobs in flight and finished queries, for sharing and reuse ([`super::share`]).
    pub(super) sharing: Arc<Sharing>,
    /// `[cluster]`: the tags that let any replica find this replica's jobs.
    pub(super) cluster: Option<Arc<Cluster>>,
    /// Queries check-sql passed lately (the gateway's own identity only).
    checks: Option<Arc<CheckMemo>>,
}

impl Runner {
    /// A runner on the gateway's backend, with the gateway's one status-call budget and
    /// shared poller (one per runner made here: clones share them).
    pub fn new(backend: Arc<dyn JobBackend>, cfg: RunnerConfig) -> Self {
        let budget = Arc::new(Budget::new(cfg.status_calls_per_second));
        let shared = SharedPoller::new(backend.clone(), budget.clone(), cfg.batch_poll_min_jobs);
        let polling = Polling {
            schedule: PollSchedule::from_config(&cfg),
            budget,
            shared: Some(Arc::new(shared)),
            progress_interval: Duration::from_millis(cfg.progress_interval_ms.max(1)),
        };
        let sharing = Arc::new(Sharing::new(cfg.share_jobs));
        let checks = Arc::new(CheckMemo::new(Duration::from_millis(cfg.check_sql_memo_ms)));
        Self {
            backend,
            cfg,
            results: None,
            polling,
            sharing,
            cluster: None,
            checks: Some(checks),
        }
    }

    /// Tag every job for the cluster (`None`: `[cluster]` is off).
    pub fn with_cluster(mut self, cluster: Option<Arc<Cluster>>) -> Self {
        self.cluster = cluster;
        self
    }

    /// This replica's place in the cluster, when `[cluster]` is on.
    pub fn cluster(&self) -> Option<&Arc<Cluster>> {
        self.cluster.as_ref()
    }

    /// Read results larger than the preview from object storage.
    pub fn with_results(mut self, results: FullResults) -> Self {
        self.results = Some(results);
        self
    }

    /// The same runner on another backend (a session's own DLI credentials): the same
    /// status-call budget, no shared poller (its listing runs as the gateway's user).
    pub fn with_backend(&self, backend: Arc<dyn JobBackend>) -> Self {
        Self {
            backend,
            cfg: self.cfg.clone(),
            results: self.results.clone(),
            polling: self.polling.alone(),
            sharing: self.sharing.clone(),
            cluster: self.cluster.clone(),
            checks: None,
        }
    }

    pub fn config(&self) -> &RunnerConfig {
        &self.cfg
    }

    /// DDL ran: every query check-sql passed must be asked again.
    pub fn forget_checks(&self) {
        if let Some(memo) = &self.checks {
            memo.forget_all();
        }
    }

    /// This gateway's jobs in flight and record of finished queries and writes.
    pub fn sharing(&self) -> &Sharing {
        &self.sharing
    }

    /// Run one Spark SQL statement to completion.
    pub async fn run(&self, sql: &str, ctx: &JobContext) -> Result<Finished, GatewayError> {
        self.run_reporting(sql, ctx, None).await
    }

    /// [`Runner::run`], reporting the job's progress to `progress` while it waits.
    pub async fn run_reporting(
        &self,
        sql: &str,
        ctx: &JobContext,
        progress: Option<&ProgressSink>,
    ) -> Result<Finished, GatewayError> {
        self.run_for(sql, ctx, progress, None).await
    }

    /// [`Runner::run_reporting`] for the session with cancel key `key` (its job carries
    /// the cluster's tags, see [`super::cluster`]).
    pub async fn run_for(
        &self,
        sql: &str,
        ctx: &JobContext,
        progress: Option<&ProgressSink>,
        key: Option<&CancelKey>,
    ) -> Result<Finished, GatewayError> {
        let deadline = deadline_of(ctx);
        let tags = self.cluster_tags(key);
        let started = self.start(sql, ctx, deadline, progress, tags, None).await?;
        self.finish(started, ctx, deadline).await
    }

    /// `[cluster]`'s tags for a job of the session with cancel key `key` (none without
    /// `[cluster]`): the replica, its incarnation, the session's cancel tag.
    pub(super) fn cluster_tags(&self, key: Option<&CancelKey>) -> Vec<JobTag> {
        self.cluster.iter().flat_map(|c| c.job_tags(key)).collect()
    }

    /// Submit the statement's job and wait for it to end (no result read yet): check-sql,
    /// submit-job with the gateway's tags and `tags`, the wait. `job_id` learns the job's
    /// id as soon as it is submitted.
    pub(super) async fn start(
        &self,
        sql: &str,
        ctx: &JobContext,
        deadline: Option<Instant>,
        progress: Option<&ProgressSink>,
        tags: Vec<JobTag>,
        job_id: Option<&std::sync::OnceLock<String>>,
    ) -> Result<Started, GatewayError> {
        let memo = self.checks.as_deref();
        if check_sql_knows(sql) && !memo.is_some_and(|m| m.passed(&ctx.currentdb, sql)) {
            let checked = self
                .backend
                .check_sql(sql, &ctx.currentdb)
                .await
                .map_err(GatewayError::from)?;
            if let Some(memo) = memo.filter(|_| checked.job_type == JobType::Query) {
                memo.remember(&ctx.currentdb, sql);
            }
        }
        let req = SubmitJobRequest {
            sql: sql.to_string(),
            currentdb: Some(ctx.currentdb.clone()),
            queue_name: ctx.queue.clone(),
            conf: self.job_conf(ctx),
            tags: self
                .polling
                .shared
                .iter()
                .map(|s| s.tag().clone())
                .chain(tags)
                .collect(),
        };
        let submitted = self
            .backend
            .submit_job(&req)
            .await
            .map_err(GatewayError::from)?;
        let submitted_at = Instant::now();
        let id = submitted.job_id.clone();
        tracing::Span::current().record("job_id", id.as_str());
        if let Some(slot) = job_id {
            let _ = slot.set(id.clone());
        }
        if submitted.is_sync() {
            crate::metrics::dli_job_ended(JobState::Finished.as_str());
            return Ok(Started::Sync(submitted));
        }
        let guard = CancelOnDrop::new(self.backend.clone(), &id);
        let status = self.wait(&id, submitted_at, deadline, progress).await?;
        crate::metrics::dli_job_ended(status.status.as_str());
        // From here on the job is terminal: nothing to cancel.
        guard.disarm();
        Ok(Started::Ended {
            job_id: id,
            job_type: submitted.job_type,
            status: Box::new(status),
        })
    }

    /// The `conf` items a statement's job is submitted with.
    pub(super) fn job_conf(&self, ctx: &JobContext) -> Vec<String> {
        let mut conf = self.cfg.job_conf.clone();
        if ctx.statement_timeout_ms > 0 {
            conf.push(format!("dli.sql.job.timeout={}", ctx.statement_timeout_ms));
        }
        conf
    }

    /// A started statement's outcome: a synchronous answer's rows, or the ended job's
    /// result read for this client.
    pub(super) async fn finish(
        &self,
        started: Started,
        ctx: &JobContext,
        deadline: Option<Instant>,
    ) -> Result<Finished, GatewayError> {
        match started {
            Started::Sync(submitted) => {
                let outcome = if submitted.schema.is_empty() {
                    Outcome::Command {
                        job_type: submitted.job_type,
                        rows: None,
                    }
                } else {
                    Outcome::Rows {
                        columns: submitted.schema,
                        rows: one_batch(submitted.rows),
                        notices: Vec::new(),
                    }
                };
                Ok(Finished {
                    job_id: submitted.job_id,
                    outcome,
                })
            }
            Started::Ended {
                job_id,
                job_type,
                status,
            } => {
                let outcome = self
                    .collect(&job_id, &job_type, *status, ctx, deadline)
                    .await?;
                Ok(Finished { job_id, outcome })
            }
        }
    }

    pub(super) async fn collect(
        &self,
        job_id: &str,
        job_type: &JobType,
        status: JobStatus,
        ctx: &JobContext,
        deadline: Option<Instant>,
    ) -> Result<Outcome, GatewayError> {
        match status.status {
            JobState::Finished => {}
            JobState::Failed => return Err(GatewayError::job_failed(job_id, &status.message)),
            JobState::Cancelled => {
                return Err(GatewayError::canceled(
                    "canceling statement: the DLI job was cancelled",
                )
                .with_detail(format!("DLI job {job_id}")));
            }
            _ => {
                return Err(GatewayError::internal(format!(
                    "DLI job {job_id} ended in an unexpected state"
                )));
            }
        }
        let job_type = if matches!(status.job_type, JobType::Other(_)) {
            job_type.clone()
        } else {
            status.job_type.clone()
        };
        if job_type != JobType::Query {
            let rows = status.result_count.and_then(|n| u64::try_from(n).ok());
            return Ok(Outcome::Command { job_type, rows });
        }
        let preview = self
            .backend
            .preview(
                job_id,
                self.cfg.preview_rows,
                status.queue_name.as_deref().or(ctx.queue.as_deref()),
            )
            .await
            .map_err(GatewayError::from)?;
        let columns = if preview.schema.is_empty() {
            status
                .detail
                .as_deref()
                .and_then(crate::dli::parse_struct_type)
                .unwrap_or_default()
        } else {
            preview.schema.clone()
        };
        let Some(cut) = incomplete(&status, &preview) else {
            return Ok(Outcome::Rows {
                columns,
                rows: one_batch(preview.rows),
                notices: Vec::new(),
            });
        };
        // More rows than the preview: the whole result from object storage, or a clear
        // error — or, when the session allows it, the preview with a warning.
        let why = match self
            .full_result(job_id, &status, &columns, cut.total, ctx, deadline)
            .await
        {
            Ok(Some(read)) => {
                return Ok(Outcome::Rows {
                    columns,
                    rows: ResultRows::Files(read),
                    notices: Vec::new(),
                });
            }
            Ok(None) => Incomplete::NOT_CONFIGURED.to_string(),
            Err(e) if e.kind == ErrorKind::Canceled => return Err(e),
            Err(e) => match e.detail {
                Some(d) => format!("{} ({d})", e.message),
                None => e.message,
            },
        };
        if !ctx.allow_truncated_results {
            return Err(cut.error(job_id, &why));
        }
        Ok(Outcome::Rows {
            columns,
            rows: one_batch(preview.rows),
            notices: vec![cut.warning(job_id, &why)],
        })
    }
}
