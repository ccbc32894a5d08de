//! The one place that chooses SQLSTATEs.
//!
//! Owns: [`ErrorKind`] (what went wrong, in the gateway's own words), the exhaustive
//! `ErrorKind → SQLSTATE` match, the DLI error code / Spark error class → `ErrorKind`
//! classification, and the conversion to a pgwire error (which also picks the log level).
//! Nothing else in the crate writes a SQLSTATE literal.

use std::fmt;

use pgwire::error::{ErrorInfo, PgWireError};

use crate::dli::{DliError, DliErrorKind};

/// SQLSTATE codes used by the gateway, by name.
pub mod sqlstate {
    pub const SYNTAX_ERROR: &str = "42601";
    pub const SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION: &str = "42000";
    pub const UNDEFINED_TABLE: &str = "42P01";
    pub const UNDEFINED_SCHEMA: &str = "3F000";
    pub const UNDEFINED_COLUMN: &str = "42703";
    pub const UNDEFINED_FUNCTION: &str = "42883";
    pub const UNDEFINED_OBJECT: &str = "42704";
    pub const DUPLICATE_TABLE: &str = "42P07";
    pub const DUPLICATE_SCHEMA: &str = "42P06";
    pub const DUPLICATE_OBJECT: &str = "42710";
    pub const DATATYPE_MISMATCH: &str = "42804";
    pub const INSUFFICIENT_PRIVILEGE: &str = "42501";
    pub const FEATURE_NOT_SUPPORTED: &str = "0A000";
    pub const INVALID_PARAMETER_VALUE: &str = "22023";
    pub const DATA_EXCEPTION: &str = "22000";
    pub const DIVISION_BY_ZERO: &str = "22012";
    pub const INVALID_TEXT_REPRESENTATION: &str = "22P02";
    pub const NUMERIC_VALUE_OUT_OF_RANGE: &str = "22003";
    pub const QUERY_CANCELED: &str = "57014";
    pub const INVALID_AUTHORIZATION: &str = "28000";
    pub const INVALID_PASSWORD: &str = "28P01";
    pub const INSUFFICIENT_RESOURCES: &str = "53000";
    pub const CONFIGURATION_LIMIT_EXCEEDED: &str = "53400";
    pub const PROGRAM_LIMIT_EXCEEDED: &str = "54000";
    pub const OBJECT_NOT_IN_PREREQUISITE_STATE: &str = "55000";
    pub const SYSTEM_ERROR: &str = "58000";
    pub const PROTOCOL_VIOLATION: &str = "08P01";
    pub const INTERNAL_ERROR: &str = "XX000";
}

/// What went wrong, independent of any wire format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Syntax,
    Semantic,
    UndefinedTable,
    UndefinedSchema,
    UndefinedColumn,
    UndefinedFunction,
    UndefinedObject,
    DuplicateTable,
    DuplicateSchema,
    DuplicateObject,
    DatatypeMismatch,
    PermissionDenied,
    NotSupported,
    InvalidParameter,
    DataException,
    DivisionByZero,
    InvalidTextRepresentation,
    NumericOutOfRange,
    Canceled,
    AuthFailed,
    DliAuth,
    ResourceUnavailable,
    QuotaExceeded,
    SystemLimit,
    ResultExpired,
    /// DLI could not be reached or answered nonsense.
    Upstream,
    Protocol,
    Internal,
}

impl ErrorKind {
    /// The SQLSTATE of each kind: exhaustive, no wildcard, so a new kind does not compile
    /// until it has a code.
    pub fn sqlstate(self) -> &'static str {
        use sqlstate::*;
        match self {
            ErrorKind::Syntax => SYNTAX_ERROR,
            ErrorKind::Semantic => SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION,
            ErrorKind::UndefinedTable => UNDEFINED_TABLE,
            ErrorKind::UndefinedSchema => UNDEFINED_SCHEMA,
            ErrorKind::UndefinedColumn => UNDEFINED_COLUMN,
            ErrorKind::UndefinedFunction => UNDEFINED_FUNCTION,
            ErrorKind::UndefinedObject => UNDEFINED_OBJECT,
            ErrorKind::DuplicateTable => DUPLICATE_TABLE,
            ErrorKind::DuplicateSchema => DUPLICATE_SCHEMA,
            ErrorKind::DuplicateObject => DUPLICATE_OBJECT,
            ErrorKind::DatatypeMismatch => DATATYPE_MISMATCH,
            ErrorKind::PermissionDenied => INSUFFICIENT_PRIVILEGE,
            ErrorKind::NotSupported => FEATURE_NOT_SUPPORTED,
            ErrorKind::InvalidParameter => INVALID_PARAMETER_VALUE,
            ErrorKind::DataException => DATA_EXCEPTION,
            ErrorKind::DivisionByZero => DIVISION_BY_ZERO,
            ErrorKind::InvalidTextRepresentation => INVALID_TEXT_REPRESENTATION,
            ErrorKind::NumericOutOfRange => NUMERIC_VALUE_OUT_OF_RANGE,
            ErrorKind::Canceled => QUERY_CANCELED,
            ErrorKind::AuthFailed => INVALID_PASSWORD,
            ErrorKind::DliAuth => INVALID_AUTHORIZATION,
            ErrorKind::ResourceUnavailable => INSUFFICIENT_RESOURCES,
            ErrorKind::QuotaExceeded => CONFIGURATION_LIMIT_EXCEEDED,
            ErrorKind::SystemLimit => PROGRAM_LIMIT_EXCEEDED,
            ErrorKind::ResultExpired => OBJECT_NOT_IN_PREREQUISITE_STATE,
            ErrorKind::Upstream => SYSTEM_ERROR,
            ErrorKind::Protocol => PROTOCOL_VIOLATION,
            ErrorKind::Internal => INTERNAL_ERROR,
        }
    }

    /// User mistakes are logged at debug; faults of the gateway or of DLI at warn/error.
    fn is_user_error(self) -> bool {
        !matches!(
            self,
            ErrorKind::Upstream
                | ErrorKind::Internal
                | ErrorKind::DliAuth
                | ErrorKind::ResourceUnavailable
                | ErrorKind::Protocol
        )
    }
}

/// A gateway error: a kind, a message, and optional detail and hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayError {
    pub kind: ErrorKind,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
}

impl fmt::Display for GatewayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.kind.sqlstate())
    }
}

impl std::error::Error for GatewayError {}

impl GatewayError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            detail: None,
            hint: None,
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn canceled(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Canceled, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    /// A DLI job that ended FAILED: classify by the Spark error message.
    pub fn job_failed(job_id: &str, message: &str) -> Self {
        let kind = classify_message(message).unwrap_or(ErrorKind::Semantic);
        Self::new(kind, clean_message(message)).with_detail(format!("DLI job {job_id} failed"))
    }

    /// Convert to the pgwire error sent to the client, logging it once at the right level.
    pub fn into_pgwire(self) -> PgWireError {
        let code = self.kind.sqlstate();
        if self.kind.is_user_error() {
            tracing::debug!(sqlstate = code, message = %self.message, "statement error");
        } else {
            tracing::warn!(sqlstate = code, message = %self.message, detail = ?self.detail, "gateway error");
        }
        let mut info = ErrorInfo::new("ERROR".to_string(), code.to_string(), self.message);
        info.detail = self.detail;
        info.hint = self.hint;
        PgWireError::UserError(Box::new(info))
    }
}

/// Spark/DLI messages often start with a bracketed error class and end with a stack;
/// keep the first line, bounded.
fn clean_message(message: &str) -> String {
    let first = message.lines().next().unwrap_or(message).trim();
    let mut s = if first.is_empty() {
        "DLI job failed".to_string()
    } else {
        first.to_string()
    };
    if s.len() > 1000 {
        let mut cut = 1000;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

/// Spark 3 error classes and the older free-text forms, to a kind.
fn classify_message(message: &str) -> Option<ErrorKind> {
    let m = message.to_ascii_lowercase();
    let has = |needle: &str| m.contains(needle);
    Some(
        if has("[table_or_view_not_found")
            || has("table or view not found")
            || has("nosuchtableexception")
        {
            ErrorKind::UndefinedTable
        } else if has("[schema_not_found")
            || has("nosuchdatabaseexception")
            || (has("database") && has("not found"))
        {
            ErrorKind::UndefinedSchema
        } else if has("[unresolved_column") || has("cannot resolve") || has("[unresolved_field") {
            ErrorKind::UndefinedColumn
        } else if has("[unresolved_routine") || has("undefined function") {
            ErrorKind::UndefinedFunction
        } else if has("[table_or_view_already_exists") || (has("table") && has("already exists")) {
            ErrorKind::DuplicateTable
        } else if has("[schema_already_exists") || (has("database") && has("already exists")) {
            ErrorKind::DuplicateSchema
        } else if has("[parse_syntax_error") || has("parseexception") || has("syntax error") {
            ErrorKind::Syntax
        } else if has("[divide_by_zero") || has("division by zero") {
            ErrorKind::DivisionByZero
        } else if has("[cast_invalid_input") || has("invalid input syntax") {
            ErrorKind::InvalidTextRepresentation
        } else if has("[numeric_value_out_of_range")
            || has("[arithmetic_overflow")
            || has("overflow")
        {
            ErrorKind::NumericOutOfRange
        } else if has("[datatype_mismatch") || has("data type mismatch") {
            ErrorKind::DatatypeMismatch
        } else if has("permission") || has("not authorized") || has("no privilege") {
            ErrorKind::PermissionDenied
        } else {
            return None;
        },
    )
}

/// A DLI error code (§14.2) to a kind; the message refines the generic codes.
fn classify_dli_code(code: &str, message: &str) -> Option<ErrorKind> {
    let refined = classify_message(message);
    Some(match code {
        "DLI.0001" => ErrorKind::InvalidParameter,
        "DLI.0002" | "DLI.0023" => refined.unwrap_or(ErrorKind::UndefinedObject),
        "DLI.0003" | "DLI.0011" | "DLI.0016" => ErrorKind::PermissionDenied,
        "DLI.0004" => ErrorKind::Syntax,
        "DLI.0005" => refined.unwrap_or(ErrorKind::Semantic),
        "DLI.0006" => refined.unwrap_or(ErrorKind::DuplicateObject),
        "DLI.0007" => ErrorKind::NotSupported,
        "DLI.0008" => ErrorKind::Internal,
        "DLI.0009" => ErrorKind::SystemLimit,
        "DLI.0012" => ErrorKind::ResourceUnavailable,
        "DLI.0013" | "DLI.0014" | "DLI.0015" => ErrorKind::DliAuth,
        "DLI.0018" => refined.unwrap_or(ErrorKind::DataException),
        "DLI.0019" => ErrorKind::Canceled,
        "DLI.0100" => ErrorKind::ResultExpired,
        "DLI.0999" => refined.unwrap_or(ErrorKind::Upstream),
        "DLI.1028" => ErrorKind::QuotaExceeded,
        _ => return refined,
    })
}

impl From<&DliError> for GatewayError {
    fn from(e: &DliError) -> Self {
        let by_code = e
            .code
            .as_deref()
            .and_then(|c| classify_dli_code(c, &e.message));
        let kind = by_code.unwrap_or(match e.kind {
            DliErrorKind::Auth => ErrorKind::DliAuth,
            DliErrorKind::Throttled => ErrorKind::ResourceUnavailable,
            DliErrorKind::NotFound => ErrorKind::UndefinedObject,
            DliErrorKind::BadRequest => classify_message(&e.message).unwrap_or(ErrorKind::Semantic),
            DliErrorKind::Server | DliErrorKind::Transport | DliErrorKind::Decode => {
                ErrorKind::Upstream
            }
            DliErrorKind::Config => ErrorKind::Internal,
        });
        let mut detail = Vec::new();
        if let Some(code) = &e.code {
            detail.push(format!("DLI error code {code}"));
        }
        if let Some(status) = e.http_status {
            detail.push(format!("HTTP {status}"));
        }
        if let Some(job) = &e.job_id {
            detail.push(format!("DLI job {job}"));
        }
        let mut err = GatewayError::new(kind, clean_message(&e.message));
        if !detail.is_empty() {
            err = err.with_detail(detail.join(", "));
        }
        err
    }
}

impl From<DliError> for GatewayError {
    fn from(e: DliError) -> Self {
        GatewayError::from(&e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dli_codes_map_to_sqlstates() {
        let c = |code: &str, msg: &str| classify_dli_code(code, msg).map(ErrorKind::sqlstate);
        assert_eq!(c("DLI.0004", "bad"), Some("42601"));
        assert_eq!(
            c(
                "DLI.0005",
                "[TABLE_OR_VIEW_NOT_FOUND] The table `x` cannot be found."
            ),
            Some("42P01")
        );
        assert_eq!(
            c(
                "DLI.0005",
                "[SCHEMA_NOT_FOUND] The schema `x` cannot be found."
            ),
            Some("3F000")
        );
        assert_eq!(
            c(
                "DLI.0005",
                "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column `c`"
            ),
            Some("42703")
        );
        assert_eq!(
            c("DLI.0006", "[TABLE_OR_VIEW_ALREADY_EXISTS] t"),
            Some("42P07")
        );
        assert_eq!(c("DLI.0006", "[SCHEMA_ALREADY_EXISTS] d"), Some("42P06"));
        assert_eq!(
            c("DLI.0002", "There is no queue named testqueue"),
            Some("42704")
        );
        assert_eq!(c("DLI.0013", "auth"), Some("28000"));
        assert_eq!(c("DLI.1028", "quota"), Some("53400"));
        assert_eq!(c("DLI.0019", "timeout"), Some("57014"));
    }

    #[test]
    fn failed_job_messages_are_classified() {
        let e = GatewayError::job_failed("j1", "[DIVIDE_BY_ZERO] Division by zero.\n\tat stack");
        assert_eq!(e.kind.sqlstate(), "22012");
        assert_eq!(e.message, "[DIVIDE_BY_ZERO] Division by zero.");
        assert_eq!(e.detail.as_deref(), Some("DLI job j1 failed"));
        assert_eq!(
            GatewayError::job_failed("j", "weird").kind,
            ErrorKind::Semantic
        );
    }
}
