//! Job submission without blind retries (see the retry policy in `client.rs`):
//! each submission is tagged `gateway_request_id=<uuid>`; after an ambiguous failure
//! (the answer was lost: timeout, reset, 5xx) the job is looked up by that tag until it
//! appears or `submit_lookup_wait_ms` ends — it may be created late — and is never
//! submitted a second time while its outcome is unknown.

use chrono::Utc;
use reqwest::Method;
use uuid::Uuid;

use super::client::DliClient;
use super::error::{DliError, DliErrorKind};
use super::jobs::{JobList, ListJobsQuery};
use super::transport::Failure;
use super::types::{JobStatus, JobTag, SubmitJobRequest, SubmitJobResponse};

/// Tag key that identifies one submission of the gateway.
pub const REQUEST_TAG: &str = "gateway_request_id";
/// Jobs started this long before the submission still count (clock skew).
const CLOCK_SKEW_MS: i64 = 5 * 60 * 1000;

/// What a lookup after an ambiguous failure found.
enum Lookup {
    Found(Box<JobStatus>),
    /// The listing proves that no job carries the tag.
    Absent,
    /// The listing could not prove either way.
    Unproven(String),
}

impl DliClient {
    /// Submits a SQL job (§7.3.3). Never blindly retried: see the module docs
    /// of `client.rs`. The request gets a `gateway_request_id` tag (any tag of
    /// that key in `req` is replaced); the queue defaults to the configured one.
    pub async fn submit_job(&self, req: &SubmitJobRequest) -> Result<SubmitJobResponse, DliError> {
        let request_id = Uuid::new_v4().to_string();
        let mut body = req.clone();
        body.tags.retain(|t| t.key != REQUEST_TAG);
        body.tags.push(JobTag::new(REQUEST_TAG, request_id.clone()));
        if body.queue_name.is_none() && !self.inner.cfg.queue.is_empty() {
            body.queue_name = Some(self.inner.cfg.queue.clone());
        }
        let call = self.inner.call(
            Method::POST,
            "v1.0",
            &["jobs", "submit-job"],
            &[],
            Some(&body),
        )?;
        let since = Utc::now().timestamp_millis() - CLOCK_SKEW_MS;
        let policy = self.inner.policy;
        let mut retries = 0u32;
        let failure = loop {
            let failure = match self.inner.attempt::<SubmitJobResponse>(&call).await {
                Ok(resp) => return Ok(resp),
                Err(f) => f,
            };
            if is_rejected_before_execution(&failure) && retries < policy.max_retries {
                let delay = policy.delay(retries, failure.retry_after);
                tracing::debug!(request_id, error = %failure.error, delay_ms = delay.as_millis() as u64, "submit refused before execution; retrying");
                retries += 1;
                tokio::time::sleep(delay).await;
                continue;
            }
            if !is_ambiguous(&failure.error) {
                return Err(failure.error);
            }
            break failure;
        };
        tracing::warn!(request_id, error = %failure.error, "submit outcome unknown; looking the job up by tag");
        let wait = std::time::Duration::from_millis(self.inner.cfg.submit_lookup_wait_ms);
        let deadline = tokio::time::Instant::now() + wait;
        let mut attempt = 0u32;
        loop {
            tokio::time::sleep(policy.delay(attempt, None)).await;
            attempt = attempt.saturating_add(1);
            let why = match self.find_submitted(&request_id, &body.sql, since).await {
                Lookup::Found(job) => return Ok(recovered(*job)),
                Lookup::Absent => "no job carries the request tag yet".to_string(),
                Lookup::Unproven(why) => why,
            };
            if tokio::time::Instant::now() >= deadline {
                let why = format!("{why} after {} ms of lookups", wait.as_millis());
                return Err(unknown_outcome(&request_id, &failure.error, &why));
            }
        }
    }

    /// Lists recent jobs carrying `gateway_request_id=<request_id>`.
    async fn find_submitted(&self, request_id: &str, sql: &str, since: i64) -> Lookup {
        let query = ListJobsQuery {
            page_size: Some(100),
            current_page: Some(1),
            start: Some(since),
            tags: vec![JobTag::new(REQUEST_TAG, request_id)],
            ..Default::default()
        };
        let list: JobList = match self.list_jobs(&query).await {
            Ok(l) => l,
            Err(e) => return Lookup::Unproven(format!("the job lookup failed: {e}")),
        };
        let listed = list.jobs.len();
        let is_ours = |j: &JobStatus| {
            if j.tags.is_empty() {
                // No tags in the listing: fall back to the statement and start time.
                j.statement.as_deref().map(str::trim) == Some(sql.trim())
                    && j.start_time.is_some_and(|t| t >= since)
            } else {
                j.tags
                    .iter()
                    .any(|t| t.key == REQUEST_TAG && t.value == request_id)
            }
        };
        if let Some(job) = list.jobs.into_iter().find(is_ours) {
            return Lookup::Found(Box::new(job));
        }
        match list.job_count {
            Some(total) if total > listed as i64 => {
                Lookup::Unproven(format!("the job lookup listed {listed} of {total} jobs"))
            }
            _ => Lookup::Absent,
        }
    }
}

/// Refused before DLI did anything: 429, or no connection could be opened.
fn is_rejected_before_execution(f: &Failure) -> bool {
    f.error.kind == DliErrorKind::Throttled
        || (f.not_sent && f.error.kind == DliErrorKind::Transport)
}

/// The request may or may not have created a job.
fn is_ambiguous(e: &DliError) -> bool {
    match e.kind {
        DliErrorKind::Transport => true,
        DliErrorKind::Server => e.http_status.is_none_or(|s| s >= 500),
        DliErrorKind::Auth
        | DliErrorKind::Throttled
        | DliErrorKind::BadRequest
        | DliErrorKind::NotFound
        | DliErrorKind::Decode
        | DliErrorKind::Config => false,
    }
}

fn recovered(job: JobStatus) -> SubmitJobResponse {
    tracing::info!(
        job_id = job.job_id,
        "recovered the job of an ambiguous submission"
    );
    SubmitJobResponse {
        job_id: job.job_id,
        job_type: job.job_type,
        job_mode: job.job_mode,
        message: "job recovered by its gateway_request_id tag after an ambiguous submit failure"
            .to_owned(),
        schema: Vec::new(),
        rows: Vec::new(),
    }
}

fn unknown_outcome(request_id: &str, cause: &DliError, why: &str) -> DliError {
    let mut e = DliError::new(
        DliErrorKind::Transport,
        format!(
            "outcome of the job submission is unknown ({why}); the job may or may not be running; \
             look for tag {REQUEST_TAG}={request_id}; cause: {}",
            cause.message
        ),
    );
    e.http_status = cause.http_status;
    e.code = cause.code.clone();
    e
}
