//! DLI errors to [`ErrorKind`]s: the DLI error code (§14.2) first, refined by the Spark
//! error class or the older free-text forms of the message.
//!
//! Owns: the code table, the message classifier, message cleaning (first line, bounded),
//! [`GatewayError::job_failed`] and `From<DliError> for GatewayError` (code, HTTP status
//! and job id go to the detail). Must not choose SQLSTATEs (that is the kind table in
//! [`super`]).

use crate::dli::{DliError, DliErrorKind};

use super::{ErrorKind, GatewayError};

impl GatewayError {
    /// A DLI job that ended FAILED: classify by the Spark error message.
    pub fn job_failed(job_id: &str, message: &str) -> Self {
        let kind = classify_message(message).unwrap_or(ErrorKind::Semantic);
        Self::new(kind, clean_message(message)).with_detail(format!("DLI job {job_id} failed"))
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
