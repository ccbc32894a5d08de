//! [`DliClient`]: the async DLI REST client (SQL-job calls here; catalog calls
//! in `client_catalog.rs`, job submission in `submit.rs`).
//!
//! # Retry policy
//!
//! - **Safe calls are retried**: every GET (job status, progress, preview, job
//!   list, job detail, databases, tables, describe, table preview, queues),
//!   `check-sql` (side-effect free), `cancel` (idempotent) and the IAM token
//!   request. They are retried on HTTP 429 (waiting `Retry-After` seconds, capped
//!   at `retry_max_ms`), on 5xx and on connection errors/timeouts, at most
//!   `max_read_retries` times, with exponential backoff from `retry_base_ms` to
//!   `retry_max_ms` plus jitter. 4xx answers (bad SQL, missing object, ...) are
//!   never retried.
//! - **A job submission is never blindly repeated.** Every submission carries a
//!   unique tag `gateway_request_id=<uuid>`. A 429 (rejected before execution)
//!   or a connection that could not be opened is retried like a read. After an
//!   *ambiguous* failure (timeout, connection lost after sending, 5xx) the
//!   client looks the job up by that tag (`GET /v1.0/{p}/jobs?tags=...`): if the
//!   job exists, its id is returned as if the submission had answered; only if
//!   the lookup proves that no such job exists is the SQL submitted once more.
//!   Otherwise the call fails with kind `Transport` and a message saying that
//!   the outcome is unknown (with the request id, for manual checking).
//! - `export-result` and create/drop database are sent once (no retry).
//! - **Authentication**: IAM tokens are cached and renewed
//!   `token_refresh_margin_secs` before expiry (at the latest half-way through
//!   their life); concurrent callers share one IAM request. A 401 from DLI
//!   drops the token, fetches a new one and repeats that request once (a 401
//!   means DLI refused it before doing anything, so this is safe for a submit).
//!   AK/SK mode signs every request ("SDK-HMAC-SHA256").
//! - Every HTTP call emits one `tracing` debug event (method, path, status,
//!   elapsed ms); headers, bodies and credentials are never logged.
//! - **Connections**: at most `max_concurrent_calls` calls are in flight at once (the
//!   others wait for a turn), so a burst of thousands of statements neither opens
//!   thousands of connections nor runs out of file descriptors; at most
//!   `max_idle_connections` stay open between calls.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use super::auth::Authenticator;
use super::config::DliClientConfig;
use super::error::{DliError, DliErrorKind};
use super::jobs::{
    AsyncJobResponse, ExportResultRequest, JobDetail, JobList, ListJobsQuery, MessageResponse,
};
use super::signer::{canonical_query_from_pairs, percent_encode};
use super::transport::{Failure, RetryPolicy, process_response, send};
use super::types::{CheckSqlRequest, CheckSqlResponse, JobProgress, JobStatus, PreviewResponse};

/// Client of the DLI REST API. Cheap to clone (shared state behind an `Arc`).
#[derive(Clone)]
pub struct DliClient {
    pub(super) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub cfg: DliClientConfig,
    base: String,
    http: reqwest::Client,
    /// `[dli] max_concurrent_calls`: a permit per call in flight.
    calls: tokio::sync::Semaphore,
    pub policy: RetryPolicy,
    auth: Authenticator,
}

/// One API request, before authentication.
pub(crate) struct ApiCall {
    pub method: Method,
    pub url: Url,
    pub body: Option<Vec<u8>>,
}

impl fmt::Debug for DliClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DliClient")
            .field("endpoint", &self.inner.cfg.endpoint)
            .field("project_id", &self.inner.cfg.project_id)
            .field("auth_mode", &self.inner.auth.mode())
            .finish_non_exhaustive()
    }
}

impl DliClient {
    /// Builds a client; fails with kind `Config` if the settings are unusable.
    pub fn new(cfg: DliClientConfig) -> Result<Self, DliError> {
        cfg.validate().map_err(DliError::config)?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(cfg.request_timeout_secs))
            .connect_timeout(Duration::from_secs(cfg.connect_timeout_secs))
            .user_agent(concat!("dli-pg-gateway/", env!("CARGO_PKG_VERSION")))
            // A burst of calls opens a connection each; without a bound every one of them
            // stayed open (and held its buffers) for the pool's 90 s idle timeout.
            .pool_max_idle_per_host(cfg.max_idle_connections)
            .build()
            .map_err(|e| DliError::config(format!("cannot build the HTTP client: {e}")))?;
        let policy = RetryPolicy {
            max_retries: cfg.max_read_retries,
            base: Duration::from_millis(cfg.retry_base_ms.max(1)),
            max: Duration::from_millis(cfg.retry_max_ms.max(1)),
        };
        let auth = Authenticator::from_config(&cfg)?;
        let base = cfg.endpoint.trim().trim_end_matches('/').to_owned();
        Ok(Self {
            inner: Arc::new(Inner {
                calls: tokio::sync::Semaphore::new(cfg.max_concurrent_calls),
                cfg,
                base,
                http,
                policy,
                auth,
            }),
        })
    }

    /// The configuration this client was built from.
    pub fn config(&self) -> &DliClientConfig {
        &self.inner.cfg
    }

    /// Checks SQL syntax and classifies the statement (§7.3.9). Sends the
    /// database as both `currentdb` and `current_db`.
    pub async fn check_sql(
        &self,
        sql: &str,
        currentdb: Option<&str>,
    ) -> Result<CheckSqlResponse, DliError> {
        let body = CheckSqlRequest {
            sql,
            currentdb,
            current_db: currentdb,
        };
        let call = self.inner.call(
            Method::POST,
            "v1.0",
            &["jobs", "check-sql"],
            &[],
            Some(&body),
        )?;
        self.inner.retrying(&call).await
    }

    /// Job status (§7.3.7).
    pub async fn job_status(&self, job_id: &str) -> Result<JobStatus, DliError> {
        let call = self.inner.get("v1.0", &["jobs", job_id, "status"], &[])?;
        self.inner
            .retrying(&call)
            .await
            .map_err(|e| e.with_job_id(job_id))
    }

    /// Job progress (`GET /v1/{p}/jobs/{id}/progress`, §7.3.11).
    pub async fn job_progress(&self, job_id: &str) -> Result<JobProgress, DliError> {
        let call = self.inner.get("v1", &["jobs", job_id, "progress"], &[])?;
        self.inner
            .retrying(&call)
            .await
            .map_err(|e| e.with_job_id(job_id))
    }

    /// First rows (≤ 1000) of a finished QUERY job (§7.3.6).
    pub async fn preview(
        &self,
        job_id: &str,
        page_size: Option<u32>,
        queue: Option<&str>,
    ) -> Result<PreviewResponse, DliError> {
        // Without `queue-name` the reference reads the result on "the default system
        // queue"; the job's own queue is the right one.
        let query: Vec<(&str, String)> = page_size
            .map(|n| ("page-size", n.to_string()))
            .into_iter()
            .chain(queue.map(|q| ("queue-name", q.to_string())))
            .collect();
        let call = self
            .inner
            .get("v1.0", &["jobs", job_id, "preview"], &query)?;
        self.inner
            .retrying(&call)
            .await
            .map_err(|e| e.with_job_id(job_id))
    }

    /// Exports the whole result of a QUERY job to OBS (§7.3.10); sent once.
    pub async fn export_result(
        &self,
        job_id: &str,
        req: &ExportResultRequest,
    ) -> Result<AsyncJobResponse, DliError> {
        let call = self.inner.call(
            Method::POST,
            "v1.0",
            &["jobs", job_id, "export-result"],
            &[],
            Some(req),
        )?;
        self.inner
            .once(&call)
            .await
            .map_err(|e| e.with_job_id(job_id))
    }

    /// Cancels a job (§7.3.4); retried, as cancelling is idempotent.
    pub async fn cancel_job(&self, job_id: &str) -> Result<MessageResponse, DliError> {
        let call = self
            .inner
            .call::<()>(Method::DELETE, "v1.0", &["jobs", job_id], &[], None)?;
        self.inner
            .retrying(&call)
            .await
            .map_err(|e| e.with_job_id(job_id))
    }

    /// Lists jobs (§7.3.5).
    pub async fn list_jobs(&self, query: &ListJobsQuery) -> Result<JobList, DliError> {
        let call = self.inner.get("v1.0", &["jobs"], &query.to_pairs())?;
        self.inner.retrying(&call).await
    }

    /// Import/export details of a job (§7.3.8).
    pub async fn job_detail(&self, job_id: &str) -> Result<JobDetail, DliError> {
        let call = self.inner.get("v1.0", &["jobs", job_id, "detail"], &[])?;
        self.inner
            .retrying(&call)
            .await
            .map_err(|e| e.with_job_id(job_id))
    }
}

impl Inner {
    /// Builds `{endpoint}/{version}/{project}/{segments...}?{query}` with every
    /// path segment percent-encoded and the query in canonical (signing) order.
    pub fn call<B: Serialize + ?Sized>(
        &self,
        method: Method,
        version: &str,
        segments: &[&str],
        query: &[(&str, String)],
        body: Option<&B>,
    ) -> Result<ApiCall, DliError> {
        let mut path = format!("/{version}/{}", percent_encode(&self.cfg.project_id));
        for seg in segments {
            path.push('/');
            path.push_str(&percent_encode(seg));
        }
        let mut raw = format!("{}{path}", self.base);
        if !query.is_empty() {
            raw.push('?');
            raw.push_str(&canonical_query_from_pairs(query));
        }
        let url = Url::parse(&raw).map_err(|e| DliError::config(format!("bad DLI URL: {e}")))?;
        let body = body.map(serde_json::to_vec).transpose().map_err(|e| {
            DliError::new(
                DliErrorKind::Decode,
                format!("cannot encode the request: {e}"),
            )
        })?;
        Ok(ApiCall { method, url, body })
    }

    pub fn get(
        &self,
        version: &str,
        segments: &[&str],
        query: &[(&str, String)],
    ) -> Result<ApiCall, DliError> {
        self.call::<()>(Method::GET, version, segments, query, None)
    }

    /// One logical attempt: authenticate, send, and on a 401 in token mode,
    /// renew the token and send once more.
    pub async fn attempt<T: DeserializeOwned>(&self, call: &ApiCall) -> Result<T, Failure> {
        let (raw, used) = self.send_authenticated(call).await?;
        if token_refused(&raw) && self.auth.invalidate(used.as_deref()).await {
            tracing::debug!(
                path = call.url.path(),
                status = raw.status,
                "DLI refused the token; renewing it once"
            );
            let (raw, _) = self.send_authenticated(call).await?;
            return finish(&raw);
        }
        finish(&raw)
    }

    async fn send_authenticated(
        &self,
        call: &ApiCall,
    ) -> Result<(super::transport::RawResponse, Option<String>), Failure> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        // Mandatory on every request (reference §3.2, "Content-Type … Yes"), body or not.
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        // Names the project for multi-project accounts (reference §3.2).
        if let Ok(project) = HeaderValue::from_str(&self.cfg.project_id) {
            headers.insert("x-project-id", project);
        }
        let body = call.body.as_deref().unwrap_or_default();
        // Taken before signing, so a call that waited is not sent with a stale date. The
        // semaphore is never closed; if it were, the call would go without a permit.
        let _permit = self.calls.acquire().await.ok();
        let used = self
            .auth
            .apply(
                &self.http,
                &self.policy,
                &call.method,
                &call.url,
                body,
                &mut headers,
            )
            .await?;
        let raw = send(
            &self.http,
            call.method.clone(),
            &call.url,
            headers,
            call.body.clone(),
        )
        .await?;
        Ok((raw, used))
    }

    /// A safe call: retried per the policy.
    pub async fn retrying<T: DeserializeOwned>(&self, call: &ApiCall) -> Result<T, DliError> {
        self.policy
            .run(
                &super::transport::endpoint(&call.method, call.url.path()),
                || self.attempt(call),
            )
            .await
    }

    /// A call sent once.
    pub async fn once<T: DeserializeOwned>(&self, call: &ApiCall) -> Result<T, DliError> {
        self.attempt(call).await.map_err(|f| f.error)
    }
}

/// DLI refused the token itself: HTTP 401, or DLI.0015 "Token parsing error" (HTTP 400
/// in the reference's error table).
fn token_refused(raw: &super::transport::RawResponse) -> bool {
    raw.status == 401
        || (raw.status == 400
            && serde_json::from_slice::<serde_json::Value>(&raw.body)
                .ok()
                .and_then(|v| {
                    v.get("error_code")
                        .and_then(|c| c.as_str().map(str::to_owned))
                })
                .is_some_and(|c| c == "DLI.0015"))
}

fn finish<T: DeserializeOwned>(raw: &super::transport::RawResponse) -> Result<T, Failure> {
    let retry_after = super::transport::retry_after(&raw.headers);
    process_response(raw).map_err(|error| Failure {
        error: error.with_retry_after(retry_after),
        retry_after,
        not_sent: false,
    })
}
