//! The seam between the front end and DLI: [`JobBackend`], the DLI operations a statement
//! needs, and its implementation by the real client ([`DliClient`]). Tests substitute
//! scripted or counting backends. Knows DLI's DTOs, never HTTP or pgwire.

use async_trait::async_trait;

use crate::dli::{
    AsyncJobResponse, CheckSqlResponse, DliClient, DliError, DliErrorKind, ExportResultRequest,
    JobList, JobProgress, JobStatus, ListJobsQuery, PreviewResponse, SubmitJobRequest,
    SubmitJobResponse,
};

/// The DLI operations a statement needs. [`DliClient`] is the real one; the runner tests
/// substitute a scripted one (`tests/runner.rs`).
#[async_trait]
pub trait JobBackend: Send + Sync + 'static {
    async fn check_sql(&self, sql: &str, currentdb: &str) -> Result<CheckSqlResponse, DliError>;
    async fn submit_job(&self, req: &SubmitJobRequest) -> Result<SubmitJobResponse, DliError>;
    async fn job_status(&self, job_id: &str) -> Result<JobStatus, DliError>;
    async fn preview(
        &self,
        job_id: &str,
        rows: u32,
        queue: Option<&str>,
    ) -> Result<PreviewResponse, DliError>;
    async fn cancel_job(&self, job_id: &str) -> Result<(), DliError>;
    async fn export_result(
        &self,
        job_id: &str,
        req: &ExportResultRequest,
    ) -> Result<AsyncJobResponse, DliError>;
    /// Lists jobs (§7.3.5): the shared poller's one call for many jobs. A backend that
    /// cannot list makes the shared poller fall back to one status call per job.
    async fn list_jobs(&self, _query: &ListJobsQuery) -> Result<JobList, DliError> {
        Err(DliError::new(
            DliErrorKind::Config,
            "this DLI backend cannot list jobs",
        ))
    }
    /// A running job's progress (§7.3.11), for progress notices.
    async fn job_progress(&self, _job_id: &str) -> Result<JobProgress, DliError> {
        Err(DliError::new(
            DliErrorKind::Config,
            "this DLI backend reports no job progress",
        ))
    }
}

#[async_trait]
impl JobBackend for DliClient {
    async fn check_sql(&self, sql: &str, currentdb: &str) -> Result<CheckSqlResponse, DliError> {
        DliClient::check_sql(self, sql, Some(currentdb)).await
    }
    async fn submit_job(&self, req: &SubmitJobRequest) -> Result<SubmitJobResponse, DliError> {
        DliClient::submit_job(self, req).await
    }
    async fn job_status(&self, job_id: &str) -> Result<JobStatus, DliError> {
        DliClient::job_status(self, job_id).await
    }
    async fn preview(
        &self,
        job_id: &str,
        rows: u32,
        queue: Option<&str>,
    ) -> Result<PreviewResponse, DliError> {
        DliClient::preview(self, job_id, Some(rows), queue).await
    }
    async fn cancel_job(&self, job_id: &str) -> Result<(), DliError> {
        DliClient::cancel_job(self, job_id).await.map(|_| ())
    }
    async fn export_result(
        &self,
        job_id: &str,
        req: &ExportResultRequest,
    ) -> Result<AsyncJobResponse, DliError> {
        DliClient::export_result(self, job_id, req).await
    }
    async fn list_jobs(&self, query: &ListJobsQuery) -> Result<JobList, DliError> {
        DliClient::list_jobs(self, query).await
    }
    async fn job_progress(&self, job_id: &str) -> Result<JobProgress, DliError> {
        DliClient::job_progress(self, job_id).await
    }
}
