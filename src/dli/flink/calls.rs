//! Flink job calls of [`DliClient`]. Same auth, error classification and retry
//! rules as the SQL-job calls (see `client.rs`):
//! - reads (list, details, execute-graph, and gen-graph, which only computes a
//!   graph) are retried on 429, 5xx and connection errors;
//! - writes (create, update, run, stop, delete) are retried only when DLI cannot
//!   have acted on them: HTTP 429, or a connection that could not be opened.
//!   After a 5xx, a timeout or a lost connection the error is returned as is:
//!   the write may or may not have happened.

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::batch::{BatchBody, JobOutcome, outcomes, refused_by};
use super::bodies::{
    CreateJarJobRequest, CreateSqlJobRequest, CreatedFlinkJob, UpdateJarJobRequest,
    UpdateSqlJobRequest, UpdatedFlinkJob,
};
use super::graph::{
    ExecuteGraph, ExecuteGraphResponse, GenGraphRequest, GenGraphResponse, StreamGraph,
};
use super::jobs::{FlinkJob, FlinkJobDetailResponse, FlinkJobList, ListFlinkJobsQuery};
use crate::dli::client::{ApiCall, DliClient};
use crate::dli::error::{DliError, DliErrorKind};
use crate::dli::jobs::MessageResponse;

/// Page size of [`DliClient::list_all_flink_jobs`] (DLI's maximum).
const PAGE: u32 = 100;
/// Stops a server that ignores paging from looping forever.
const MAX_PAGES: u32 = 10_000;

impl DliClient {
    /// One page of Flink jobs (seed 004; 003 §9.7).
    pub async fn list_flink_jobs(
        &self,
        query: &ListFlinkJobsQuery,
    ) -> Result<FlinkJobList, DliError> {
        let call = self
            .inner
            .get("v1.0", &["streaming", "jobs"], &query.to_pairs())?;
        self.inner.retrying(&call).await
    }

    /// Every Flink job matching `filter`, page by page (`limit`/`offset` of
    /// `filter` are overridden). Stops at `total_count`, or at a short page when
    /// DLI announces no total.
    pub async fn list_all_flink_jobs(
        &self,
        filter: &ListFlinkJobsQuery,
    ) -> Result<Vec<FlinkJob>, DliError> {
        let mut all: Vec<FlinkJob> = Vec::new();
        for _ in 0..MAX_PAGES {
            let query = ListFlinkJobsQuery {
                limit: Some(PAGE),
                offset: Some(u32::try_from(all.len()).unwrap_or(u32::MAX)),
                ..filter.clone()
            };
            let page = self
                .list_flink_jobs(&query)
                .await?
                .job_list
                .unwrap_or_default();
            let got = page.jobs.len();
            all.extend(page.jobs);
            let last = match page.total_count {
                Some(total) => got == 0 || all.len() as i64 >= total,
                None => got < PAGE as usize,
            };
            if last {
                break;
            }
        }
        Ok(all)
    }

    /// Details of one Flink job (003 §9.8).
    pub async fn flink_job(&self, job_id: i64) -> Result<FlinkJob, DliError> {
        let id = job_id.to_string();
        let call = self.inner.get("v1.0", &["streaming", "jobs", &id], &[])?;
        let resp: FlinkJobDetailResponse = self
            .inner
            .retrying(&call)
            .await
            .map_err(|e| e.with_job_id(&id))?;
        resp.job_detail.ok_or_else(|| {
            DliError::new(
                DliErrorKind::Decode,
                "the job details answer has no job_detail",
            )
            .with_job_id(id)
        })
    }

    /// Execution plan of a Flink job (003 §9.9).
    pub async fn flink_execute_graph(&self, job_id: i64) -> Result<ExecuteGraph, DliError> {
        let id = job_id.to_string();
        let call = self
            .inner
            .get("v1.0", &["streaming", "jobs", &id, "execute-graph"], &[])?;
        let resp: ExecuteGraphResponse = self
            .inner
            .retrying(&call)
            .await
            .map_err(|e| e.with_job_id(&id))?;
        resp.execute_graph.ok_or_else(|| {
            DliError::new(
                DliErrorKind::Decode,
                "the execution plan answer has no execute_graph",
            )
            .with_job_id(id)
        })
    }

    /// Static stream graph of a Flink SQL job (`POST /v3/…/gen-graph`, seed 000).
    /// Side-effect free, so retried like a read.
    pub async fn flink_stream_graph(
        &self,
        job_id: i64,
        req: &GenGraphRequest,
    ) -> Result<StreamGraph, DliError> {
        let id = job_id.to_string();
        let call = self.inner.call(
            Method::POST,
            "v3",
            &["streaming", "jobs", &id, "gen-graph"],
            &[],
            Some(req),
        )?;
        let resp: GenGraphResponse = self
            .inner
            .retrying(&call)
            .await
            .map_err(|e| e.with_job_id(&id))?;
        resp.graph().map_err(|e| e.with_job_id(id))
    }

    /// Creates a Flink SQL job (003 §9.2).
    pub async fn create_flink_sql_job(
        &self,
        req: &CreateSqlJobRequest,
    ) -> Result<CreatedFlinkJob, DliError> {
        let body = req.wire().map_err(|e| {
            DliError::new(
                DliErrorKind::Decode,
                format!("cannot encode the request: {e}"),
            )
        })?;
        let call = self.inner.call(
            Method::POST,
            "v1.0",
            &["streaming", "sql-jobs"],
            &[],
            Some(&body),
        )?;
        self.write(&call).await
    }

    /// Updates a Flink SQL job (003 §9.3).
    pub async fn update_flink_sql_job(
        &self,
        job_id: i64,
        req: &UpdateSqlJobRequest,
    ) -> Result<UpdatedFlinkJob, DliError> {
        let id = job_id.to_string();
        let call = self.inner.call(
            Method::PUT,
            "v1.0",
            &["streaming", "sql-jobs", &id],
            &[],
            Some(req),
        )?;
        self.write(&call).await.map_err(|e| e.with_job_id(id))
    }

    /// Creates a Flink Jar job (003 §9.4).
    pub async fn create_flink_jar_job(
        &self,
        req: &CreateJarJobRequest,
    ) -> Result<CreatedFlinkJob, DliError> {
        let call = self.inner.call(
            Method::POST,
            "v1.0",
            &["streaming", "flink-jobs"],
            &[],
            Some(req),
        )?;
        self.write(&call).await
    }

    /// Updates a Flink Jar job (seed 001 = 003 §9.5).
    pub async fn update_flink_jar_job(
        &self,
        job_id: i64,
        req: &UpdateJarJobRequest,
    ) -> Result<UpdatedFlinkJob, DliError> {
        let id = job_id.to_string();
        let call = self.inner.call(
            Method::PUT,
            "v1.0",
            &["streaming", "flink-jobs", &id],
            &[],
            Some(&req.wire()),
        )?;
        self.write(&call).await.map_err(|e| e.with_job_id(id))
    }

    /// Runs jobs in batches (seed 002 = 003 §9.6): one outcome per id, by position.
    pub async fn run_flink_jobs(
        &self,
        job_ids: &[i64],
        resume_savepoint: Option<bool>,
    ) -> Result<Vec<JobOutcome>, DliError> {
        let body = BatchBody {
            job_ids,
            resume_savepoint,
            trigger_savepoint: None,
        };
        self.batch("run", &body).await
    }

    /// Stops jobs in batches (003 §9.10): one outcome per id, by position.
    pub async fn stop_flink_jobs(
        &self,
        job_ids: &[i64],
        trigger_savepoint: Option<bool>,
    ) -> Result<Vec<JobOutcome>, DliError> {
        let body = BatchBody {
            job_ids,
            resume_savepoint: None,
            trigger_savepoint,
        };
        self.batch("stop", &body).await
    }

    /// Deletes jobs in batches (003 §9.12): one outcome per id.
    pub async fn delete_flink_jobs(&self, job_ids: &[i64]) -> Result<Vec<JobOutcome>, DliError> {
        let body = BatchBody {
            job_ids,
            resume_savepoint: None,
            trigger_savepoint: None,
        };
        self.batch("delete", &body).await
    }

    /// Deletes one job, in any state (003 §9.11).
    pub async fn delete_flink_job(&self, job_id: i64) -> Result<MessageResponse, DliError> {
        let id = job_id.to_string();
        let call = self.inner.call::<()>(
            Method::DELETE,
            "v1.0",
            &["streaming", "jobs", &id],
            &[],
            None,
        )?;
        self.write(&call).await.map_err(|e| e.with_job_id(id))
    }

    async fn batch(&self, action: &str, body: &BatchBody<'_>) -> Result<Vec<JobOutcome>, DliError> {
        let call = self.inner.call(
            Method::POST,
            "v1.0",
            &["streaming", "jobs", action],
            &[],
            Some(body),
        )?;
        match self.write::<Value>(&call).await {
            Ok(answer) => Ok(outcomes(body.job_ids, &answer)),
            // A 2xx carrying `is_success: false`: DLI refused the whole batch.
            Err(e) if e.http_status.is_some_and(|s| (200..300).contains(&s)) => {
                Ok(refused_by(body.job_ids, &e))
            }
            Err(e) => Err(e),
        }
    }

    /// A write: repeated only after a 429 or a connection that was never opened.
    async fn write<T: DeserializeOwned>(&self, call: &ApiCall) -> Result<T, DliError> {
        let policy = self.inner.policy;
        let mut retries = 0u32;
        loop {
            let failure = match self.inner.attempt::<T>(call).await {
                Ok(v) => return Ok(v),
                Err(f) => f,
            };
            let not_acted_on = failure.error.kind == DliErrorKind::Throttled
                || (failure.not_sent && failure.error.kind == DliErrorKind::Transport);
            if !not_acted_on || retries >= policy.max_retries {
                return Err(failure.error);
            }
            let delay = policy.delay(retries, failure.retry_after);
            tracing::debug!(path = call.url.path(), error = %failure.error, delay_ms = delay.as_millis() as u64, "Flink write refused before execution; retrying");
            retries += 1;
            tokio::time::sleep(delay).await;
        }
    }
}
