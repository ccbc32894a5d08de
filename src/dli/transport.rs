//! HTTP plumbing shared by the DLI and IAM calls: sending one request (with a
//! tracing event), turning any answer into `Ok(T)` or a [`DliError`]
//! ([`process_response`]), and the bounded, jittered retry of safe requests. Every call
//! and retry is counted in [`crate::metrics`] under its [`endpoint`] label (the path with
//! ids and names blanked, so the label set stays small).
//!
//! Knows nothing about authentication; never logs headers or bodies.

use std::future::Future;
use std::time::{Duration, Instant};

use backon::{ExponentialBuilder, Retryable};
use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use super::error::{DliError, DliErrorKind};
use super::lenient::{value_as_bool, value_as_string};

/// An HTTP answer, read in full.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A failed attempt, with what the retry logic needs to know about it.
#[derive(Debug)]
pub(crate) struct Failure {
    pub error: DliError,
    /// `Retry-After` of a 429/503 answer.
    pub retry_after: Option<Duration>,
    /// The request certainly did not reach the server (connect failure).
    pub not_sent: bool,
}

impl From<DliError> for Failure {
    fn from(error: DliError) -> Self {
        Self {
            error,
            retry_after: None,
            not_sent: false,
        }
    }
}

/// Bounded exponential backoff with jitter.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetryPolicy {
    pub max_retries: u32,
    pub base: Duration,
    pub max: Duration,
}

impl RetryPolicy {
    fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.base)
            .with_max_delay(self.max)
            .with_max_times(self.max_retries as usize)
            .with_jitter()
    }

    /// Delay before retry number `attempt` (0-based), honouring `Retry-After`
    /// (capped at `max`). Used where backon's loop does not fit (submit).
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(ra) = retry_after {
            return ra.min(self.max);
        }
        let exp = self
            .base
            .saturating_mul(2u32.saturating_pow(attempt.min(16)));
        let capped = exp.min(self.max);
        let jitter_ms = rand::random_range(0..=capped.as_millis().min(u64::MAX as u128) as u64 / 2);
        capped + Duration::from_millis(jitter_ms)
    }

    /// Runs `op`, retrying retryable failures ([`DliError::is_retryable`]).
    pub async fn run<T, F, Fut>(&self, what: &str, op: F) -> Result<T, DliError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        let max = self.max;
        op.retry(self.backoff())
            .when(|f: &Failure| f.error.is_retryable())
            .adjust(move |f: &Failure, dur| dur.map(|d| f.retry_after.map_or(d, |ra| ra.min(max))))
            .notify(|f: &Failure, dur| {
                crate::metrics::dli_retry(what);
                tracing::debug!(what, error = %f.error, delay_ms = dur.as_millis() as u64, "retrying DLI call");
            })
            .await
            .map_err(|f| f.error)
    }
}

/// Parses `Retry-After` given in seconds (HTTP dates are ignored).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    v.parse::<u64>().ok().map(Duration::from_secs).or_else(|| {
        v.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite() && *f >= 0.0)
            .map(Duration::from_secs_f64)
    })
}

/// Sends one request and reads the whole answer. One debug event per call
/// (method, path without query, status, elapsed ms); nothing else is logged.
pub(crate) async fn send(
    client: &reqwest::Client,
    method: Method,
    url: &Url,
    headers: HeaderMap,
    body: Option<Vec<u8>>,
) -> Result<RawResponse, Failure> {
    let started = Instant::now();
    let mut req = client.request(method.clone(), url.clone()).headers(headers);
    if let Some(b) = body {
        req = req.body(b);
    }
    let result = match req.send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            resp.bytes().await.map(|body| RawResponse {
                status,
                headers,
                body,
            })
        }
        Err(e) => Err(e),
    };
    let elapsed = started.elapsed();
    let elapsed_ms = elapsed.as_millis() as u64;
    let status = result.as_ref().ok().map(|raw| raw.status);
    crate::metrics::dli_call(&endpoint(&method, url.path()), status, elapsed);
    match result {
        Ok(raw) => {
            tracing::debug!(method = %method, path = url.path(), status = raw.status, elapsed_ms, "DLI HTTP call");
            Ok(raw)
        }
        Err(e) => {
            let failure = transport_failure(&method, url, e);
            tracing::debug!(method = %method, path = url.path(), status = 0u16, elapsed_ms, error = %failure.error, "DLI HTTP call failed");
            Err(failure)
        }
    }
}

/// Path segments kept in an [`endpoint`] label where an id could stand.
const ACTIONS: &[&str] = &[
    "auth",
    "submit-job",
    "check-sql",
    "sql-jobs",
    "flink-jobs",
    "jar-jobs",
    "jobs",
    "execute-graph",
    "gen-graph",
];

/// A call's metric label: `METHOD /path` with the project, job ids and database or table
/// names as `{}` (`GET /v1.0/{}/jobs/{}/status`). Segments after a collection name are
/// names unless they are known actions; anything id-like (a digit in 6+ characters) is
/// blanked wherever it stands.
pub(crate) fn endpoint(method: &Method, path: &str) -> String {
    let mut label = format!("{method} ");
    let segments = path.split('/').filter(|s| !s.is_empty());
    for (i, seg) in segments.enumerate() {
        let id_like = seg.len() >= 6 && seg.chars().any(|c| c.is_ascii_digit());
        let keep = i == 0 || (!id_like && (i % 2 == 0 || ACTIONS.contains(&seg)));
        label.push('/');
        label.push_str(if keep { seg } else { "{}" });
    }
    label
}

fn transport_failure(method: &Method, url: &Url, e: reqwest::Error) -> Failure {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "failed while reading the answer"
    } else {
        "failed"
    };
    let not_sent = e.is_connect();
    let detail = e.without_url();
    let error = DliError::new(
        DliErrorKind::Transport,
        format!("{method} {} {what}: {detail}", url.path()),
    );
    Failure {
        error,
        retry_after: None,
        not_sent,
    }
}

/// The one place that turns an HTTP answer into `Ok(T)` or a [`DliError`]:
/// - non-2xx → error from `{"error_code","error_msg"}` (or IAM's
///   `{"error":{"code","message"}}`, or the status alone for non-JSON bodies);
/// - 2xx with `"is_success": false` (or `"false"`) → error with its message/code;
/// - 2xx → `T` decoded leniently from the body (an empty body reads as `{}`).
pub(crate) fn process_response<T: DeserializeOwned>(raw: &RawResponse) -> Result<T, DliError> {
    let parsed: Option<Value> = if raw.body.iter().all(u8::is_ascii_whitespace) {
        Some(Value::Object(Default::default()))
    } else {
        serde_json::from_slice(&raw.body).ok()
    };
    if !(200..300).contains(&raw.status) {
        return Err(error_from_body(raw.status, parsed.as_ref()));
    }
    let Some(value) = parsed else {
        return Err(DliError::new(
            DliErrorKind::Decode,
            "DLI answered with a body that is not JSON",
        )
        .with_status(raw.status));
    };
    if value.get("is_success").and_then(value_as_bool) == Some(false) {
        let mut err = error_from_body(raw.status, Some(&value));
        if err.code.is_none() {
            err.kind = DliErrorKind::BadRequest;
        }
        return Err(err);
    }
    serde_json::from_value(value).map_err(|e| {
        DliError::new(DliErrorKind::Decode, format!("unexpected DLI answer: {e}"))
            .with_status(raw.status)
    })
}

fn error_from_body(status: u16, body: Option<&Value>) -> DliError {
    let get = |v: &Value, k: &str| v.get(k).and_then(value_as_string).filter(|s| !s.is_empty());
    let (code, message) = match body {
        Some(v) => {
            let nested = v.get("error").filter(|e| e.is_object());
            let code = get(v, "error_code")
                .or_else(|| get(v, "code"))
                .or_else(|| nested.and_then(|e| get(e, "code")));
            let message = get(v, "error_msg")
                .or_else(|| get(v, "message"))
                .or_else(|| nested.and_then(|e| get(e, "message")))
                .unwrap_or_default();
            (code, message)
        }
        None => (None, String::new()),
    };
    // IAM's nested `code` repeats the HTTP status; keep only DLI/service codes.
    let code = code.filter(|c| c.parse::<u16>().is_err());
    DliError::from_answer(status, code, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct T {
        #[serde(default)]
        job_id: String,
    }

    fn raw(status: u16, body: &str) -> RawResponse {
        RawResponse {
            status,
            headers: HeaderMap::new(),
            body: Bytes::from(body.to_owned()),
        }
    }

    #[test]
    fn process_response_shapes() {
        let ok: T = process_response(&raw(200, r#"{"is_success":"true","job_id":"j"}"#)).unwrap();
        assert_eq!(ok.job_id, "j");
        let e = process_response::<T>(&raw(400, r#"{"error_code":"DLI.0004","error_msg":"bad"}"#))
            .unwrap_err();
        assert_eq!(
            (e.kind, e.code.as_deref(), e.message.as_str()),
            (DliErrorKind::BadRequest, Some("DLI.0004"), "bad")
        );
        let e = process_response::<T>(&raw(502, "<html>bad gateway</html>")).unwrap_err();
        assert_eq!(
            (e.kind, e.http_status, e.code),
            (DliErrorKind::Server, Some(502), None)
        );
        let e = process_response::<T>(&raw(200, r#"{"is_success":false,"message":"nope"}"#))
            .unwrap_err();
        assert_eq!(
            (e.kind, e.message.as_str()),
            (DliErrorKind::BadRequest, "nope")
        );
        let e = process_response::<T>(&raw(
            401,
            r#"{"error":{"code":401,"message":"wrong password","title":"Unauthorized"}}"#,
        ))
        .unwrap_err();
        assert_eq!(
            (e.kind, e.code, e.message.as_str()),
            (DliErrorKind::Auth, None, "wrong password")
        );
        let e = process_response::<T>(&raw(200, "garbage")).unwrap_err();
        assert_eq!(e.kind, DliErrorKind::Decode);
    }

    #[test]
    fn endpoint_labels_blank_ids_and_names() {
        let e = |m: Method, p: &str| endpoint(&m, p);
        assert_eq!(
            e(Method::GET, "/v1.0/0a1b2c3d4e/jobs/5f0e-41aa-9c7d/status"),
            "GET /v1.0/{}/jobs/{}/status"
        );
        assert_eq!(
            e(Method::POST, "/v1.0/p1/jobs/submit-job"),
            "POST /v1.0/{}/jobs/submit-job"
        );
        assert_eq!(
            e(
                Method::GET,
                "/v1.0/p1/databases/tpch/tables/lineitem/preview"
            ),
            "GET /v1.0/{}/databases/{}/tables/{}/preview"
        );
        assert_eq!(e(Method::POST, "/v3/auth/tokens"), "POST /v3/auth/tokens");
        assert_eq!(
            e(Method::GET, "/v1.0/p1/streaming/jobs/123456/execute-graph"),
            "GET /v1.0/{}/streaming/jobs/{}/execute-graph"
        );
    }

    #[test]
    fn retry_after_and_delay() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "3".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        let p = RetryPolicy {
            max_retries: 3,
            base: Duration::from_millis(100),
            max: Duration::from_millis(1000),
        };
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(3))),
            Duration::from_millis(1000)
        );
        let d = p.delay(5, None);
        assert!(
            d >= Duration::from_millis(1000) && d <= Duration::from_millis(1500),
            "{d:?}"
        );
    }
}
