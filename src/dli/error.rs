//! The DLI client's error type, and the classification of a DLI error answer
//! (HTTP status + `error_code`) into a [`DliErrorKind`].
//!
//! Owns only the error values; mapping kinds to SQLSTATEs belongs to
//! `crate::errors`. Messages never contain credentials.

use std::fmt;

/// What went wrong, coarsely: the gateway maps this (plus `code`) to a SQLSTATE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DliErrorKind {
    /// Authentication failed (HTTP 401, DLI.0013/0014/0015, IAM refused the credentials).
    Auth,
    /// HTTP 429: too many requests.
    Throttled,
    /// Server-side fault (HTTP 5xx, DLI.0999).
    Server,
    /// The request was refused (4xx with a DLI code): bad SQL, missing object, ...
    BadRequest,
    /// HTTP 404 or DLI.0023.
    NotFound,
    /// Connection failure, timeout, or an outcome that is unknown.
    Transport,
    /// The answer could not be understood.
    Decode,
    /// The client configuration is unusable.
    Config,
}

impl DliErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DliErrorKind::Auth => "auth",
            DliErrorKind::Throttled => "throttled",
            DliErrorKind::Server => "server",
            DliErrorKind::BadRequest => "bad request",
            DliErrorKind::NotFound => "not found",
            DliErrorKind::Transport => "transport",
            DliErrorKind::Decode => "decode",
            DliErrorKind::Config => "config",
        }
    }
}

/// An error from the DLI client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DliError {
    pub kind: DliErrorKind,
    /// HTTP status of the answer, when there was one.
    pub http_status: Option<u16>,
    /// DLI error code, e.g. `DLI.0004`.
    pub code: Option<String>,
    pub message: String,
    /// Job concerned, when known.
    pub job_id: Option<String>,
    /// `Retry-After` of the answer (429/503), when it gave one.
    pub retry_after: Option<std::time::Duration>,
}

impl DliError {
    pub fn new(kind: DliErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            http_status: None,
            code: None,
            message: message.into(),
            job_id: None,
            retry_after: None,
        }
    }

    pub fn config(message: impl Into<String>) -> Self {
        Self::new(DliErrorKind::Config, message)
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }

    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    pub fn with_retry_after(mut self, retry_after: Option<std::time::Duration>) -> Self {
        self.retry_after = retry_after;
        self
    }

    pub fn with_job_id(mut self, job_id: impl Into<String>) -> Self {
        self.job_id = Some(job_id.into());
        self
    }

    /// Builds the error for a non-success answer from its status and the
    /// (optional) `error_code` / `error_msg` of the body.
    pub fn from_answer(status: u16, code: Option<String>, message: String) -> Self {
        let kind = classify(status, code.as_deref());
        let message = if message.trim().is_empty() {
            default_message(status)
        } else {
            message
        };
        Self {
            kind,
            http_status: Some(status),
            code,
            message,
            job_id: None,
            retry_after: None,
        }
    }

    /// True for failures a side-effect-free request may be retried after.
    pub fn is_retryable(&self) -> bool {
        match self.kind {
            DliErrorKind::Throttled | DliErrorKind::Transport => true,
            DliErrorKind::Server => self.http_status.is_some_and(|s| s >= 500),
            DliErrorKind::Auth
            | DliErrorKind::BadRequest
            | DliErrorKind::NotFound
            | DliErrorKind::Decode
            | DliErrorKind::Config => false,
        }
    }
}

fn default_message(status: u16) -> String {
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("unexpected status");
    format!("HTTP {status} {reason}")
}

/// Status + DLI code → kind. The code wins where it is more precise than the status.
pub fn classify(status: u16, code: Option<&str>) -> DliErrorKind {
    match code {
        Some("DLI.0013" | "DLI.0014" | "DLI.0015") => return DliErrorKind::Auth,
        Some("DLI.0023") => return DliErrorKind::NotFound,
        Some("DLI.0999") => return DliErrorKind::Server,
        _ => {}
    }
    match status {
        401 => DliErrorKind::Auth,
        404 => DliErrorKind::NotFound,
        429 => DliErrorKind::Throttled,
        500..=599 => DliErrorKind::Server,
        400..=499 => DliErrorKind::BadRequest,
        // A 2xx carrying `is_success: false`, or an odd 1xx/3xx.
        _ => DliErrorKind::BadRequest,
    }
}

impl fmt::Display for DliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DLI {} error", self.kind.as_str())?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        if let Some(status) = self.http_status {
            write!(f, " (HTTP {status})")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(job) = &self.job_id {
            write!(f, " [job {job}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for DliError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        assert_eq!(classify(400, Some("DLI.0004")), DliErrorKind::BadRequest);
        assert_eq!(classify(401, Some("DLI.0013")), DliErrorKind::Auth);
        assert_eq!(classify(400, Some("DLI.0015")), DliErrorKind::Auth);
        assert_eq!(classify(404, Some("DLI.0023")), DliErrorKind::NotFound);
        assert_eq!(classify(400, Some("DLI.0999")), DliErrorKind::Server);
        assert_eq!(classify(429, None), DliErrorKind::Throttled);
        assert_eq!(classify(502, None), DliErrorKind::Server);
    }

    #[test]
    fn display_and_retry() {
        let e =
            DliError::from_answer(400, Some("DLI.0004".into()), "syntax".into()).with_job_id("j1");
        assert_eq!(
            e.to_string(),
            "DLI bad request error DLI.0004 (HTTP 400): syntax [job j1]"
        );
        assert!(!e.is_retryable());
        let e = DliError::from_answer(502, None, String::new());
        assert_eq!(e.message, "HTTP 502 Bad Gateway");
        assert!(e.is_retryable());
        assert!(!DliError::from_answer(400, Some("DLI.0999".into()), "x".into()).is_retryable());
    }
}
