//! Errors of the local service: the startup error ([`LocalDliError`]), SQL errors
//! carrying a Spark-style message and a DLI error code ([`SqlError`]), and the HTTP
//! error body `{"error_code","error_msg"}` ([`ApiError`]). Owns the choice of DLI
//! error code and HTTP status for each kind of failure.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Why the service could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum LocalDliError {
    #[error("invalid [local] configuration: {0}")]
    Config(String),
    #[error("warehouse {path}: {source}")]
    Warehouse {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("demo data: {0}")]
    Demo(String),
    #[error("server: {0}")]
    Serve(String),
}

/// What went wrong with a SQL statement; decides the DLI error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlErrorKind {
    /// The text does not parse (DLI.0004).
    Syntax,
    /// Analysis failed: unknown column, type mismatch, … (DLI.0005).
    Analysis,
    /// A table or database is missing (DLI.0002; DLI.0005 in check-sql).
    Missing,
    /// A table or database already exists (DLI.0006).
    Exists,
    /// Valid Spark SQL the local service does not implement (DLI.0007).
    Unsupported,
    /// Failure while executing (data errors, I/O) (DLI.0005 when synchronous).
    Execution,
    /// A bug or an environment failure (DLI.0999).
    Internal,
}

/// A SQL failure with a Spark-style message (`[ERROR_CLASS] text`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError {
    pub kind: SqlErrorKind,
    pub message: String,
}

impl SqlError {
    pub fn new(kind: SqlErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(SqlErrorKind::Internal, message)
    }

    pub fn unsupported(what: impl std::fmt::Display) -> Self {
        Self::new(
            SqlErrorKind::Unsupported,
            format!("[UNSUPPORTED_FEATURE] The feature is not supported: {what}."),
        )
    }

    /// The DLI error code of a statement run through submit-job.
    pub fn dli_code(&self) -> &'static str {
        match self.kind {
            SqlErrorKind::Syntax => "DLI.0004",
            SqlErrorKind::Analysis | SqlErrorKind::Execution => "DLI.0005",
            SqlErrorKind::Missing => "DLI.0002",
            SqlErrorKind::Exists => "DLI.0006",
            SqlErrorKind::Unsupported => "DLI.0007",
            SqlErrorKind::Internal => "DLI.0999",
        }
    }

    /// The DLI error code check-sql answers: every non-syntax problem is semantic.
    pub fn check_code(&self) -> &'static str {
        match self.kind {
            SqlErrorKind::Syntax => "DLI.0004",
            SqlErrorKind::Internal => "DLI.0999",
            SqlErrorKind::Unsupported => "DLI.0007",
            _ => "DLI.0005",
        }
    }
}

impl std::fmt::Display for SqlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// An HTTP error answer in DLI's shape.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// DLI.0001: a request parameter is wrong.
    pub fn param(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "DLI.0001", message)
    }

    /// DLI.0002: the named object does not exist.
    pub fn missing(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "DLI.0002", message)
    }

    /// DLI.0023 (404): no such resource (unknown path or project).
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "DLI.0023", message)
    }

    /// DLI.0013 (401): authentication failed.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "DLI.0013", message)
    }

    /// DLI.0999: server-side failure.
    pub fn server(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "DLI.0999", message)
    }

    /// A SQL error answered synchronously by submit-job and the catalog calls.
    pub fn sql(err: &SqlError) -> Self {
        Self::new(StatusCode::BAD_REQUEST, err.dli_code(), err.message.clone())
    }
}

impl From<SqlError> for ApiError {
    fn from(err: SqlError) -> Self {
        ApiError::sql(&err)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() || self.code == "DLI.0999" {
            tracing::warn!(code = self.code, message = %self.message, "local DLI error");
        } else {
            tracing::debug!(code = self.code, message = %self.message, "local DLI error");
        }
        (
            self.status,
            Json(json!({"error_code": self.code, "error_msg": self.message})),
        )
            .into_response()
    }
}
