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

/// The message forms of Spark 2.4, Spark 3.0–3.3, Spark 3.4+ (error classes) and DLI's
/// own, for each kind: a message matches a row when it contains every fragment of one of
/// the row's forms (lowercase). Rows are tried in order: type mismatches, ambiguous
/// references, functions and columns first, since their forms also say "cannot resolve"
/// or "does not exist".
const MESSAGE_FORMS: &[(ErrorKind, &[&[&str]])] = &[
    (
        ErrorKind::StatementTooComplex,
        &[
            &["[failed_to_parse_too_complex"], // 4.0+
            &["java.lang.stackoverflowerror"], // 2.4, 3.x: the parser's stack ran out
        ],
    ),
    (
        ErrorKind::DatatypeMismatch,
        &[
            &["[datatype_mismatch"],        // 3.4+
            &["due to data type mismatch"], // 2.4, 3.0-3.3
            &["data type mismatch"],
        ],
    ),
    (
        ErrorKind::AmbiguousColumn,
        &[
            &["[ambiguous_reference"], // 3.4+
            &["[ambiguous_column_or_field"],
            &["reference", "is ambiguous"], // 2.4, 3.x
        ],
    ),
    (
        ErrorKind::UndefinedFunction,
        &[
            &["[unresolved_routine"], // 3.4+
            &["undefined function"],  // 2.4, 3.x
            &["function", "not found in database"],
        ],
    ),
    (
        ErrorKind::UndefinedColumn,
        &[
            &["[unresolved_column"], // 3.4+
            &["[unresolved_field"],
            &["cannot resolve", "given input columns"], // 2.4, 3.0-3.1
            &["column", "does not exist"],              // 3.2-3.3
        ],
    ),
    (
        ErrorKind::UndefinedTable,
        &[
            &["[table_or_view_not_found"], // 3.4+
            &["table or view not found"],  // 2.4, 3.0-3.3
            &["nosuchtableexception"],
            &["table or view", "not found in database"], // 2.4 NoSuchTableException text
            &["table with name", "does not exist"],      // DLI / Hive
            &["table", "does not exist"],
            &["table not found"],
        ],
    ),
    (
        ErrorKind::UndefinedSchema,
        &[
            &["[schema_not_found"], // 3.4+
            &["nosuchdatabaseexception"],
            &["database", "not found"],      // 2.4, 3.x
            &["database", "does not exist"], // DLI
            &["there is no database named"],
        ],
    ),
    // Last of the not-found forms: "cannot resolve" alone, once nothing else matched.
    (ErrorKind::UndefinedColumn, &[&["cannot resolve"]]),
    (
        ErrorKind::DuplicateTable,
        &[
            &["[table_or_view_already_exists"],   // 3.4+
            &["table or view", "already exists"], // 2.4, 3.x
            &["table", "already exists"],
        ],
    ),
    (
        ErrorKind::DuplicateSchema,
        &[
            &["[schema_already_exists"],     // 3.4+
            &["database", "already exists"], // 2.4, 3.x
        ],
    ),
    (
        ErrorKind::Syntax,
        &[
            &["[parse_syntax_error"],
            &["parseexception"],
            &["syntax error"],
            &["mismatched input"], // 2.4, 3.x ANTLR
            &["extraneous input"],
        ],
    ),
    (
        ErrorKind::DivisionByZero,
        &[&["[divide_by_zero"], &["division by zero"]],
    ),
    (
        ErrorKind::InvalidTextRepresentation,
        &[&["[cast_invalid_input"], &["invalid input syntax"]],
    ),
    (
        ErrorKind::NumericOutOfRange,
        &[
            &["[numeric_value_out_of_range"],
            &["[arithmetic_overflow"],
            &["overflow"],
        ],
    ),
    (
        ErrorKind::PermissionDenied,
        &[&["permission"], &["not authorized"], &["no privilege"]],
    ),
];

/// A Spark or DLI error message to a kind, by [`MESSAGE_FORMS`].
fn classify_message(message: &str) -> Option<ErrorKind> {
    let m = message.to_ascii_lowercase();
    MESSAGE_FORMS.iter().find_map(|(kind, forms)| {
        forms
            .iter()
            .any(|form| form.iter().all(|f| m.contains(f)))
            .then_some(*kind)
    })
}

/// A DLI error code (§14.2) to a kind; the message refines the generic codes.
fn classify_dli_code(code: &str, message: &str) -> Option<ErrorKind> {
    let refined = classify_message(message);
    Some(match code {
        "DLI.0001" => ErrorKind::InvalidParameter,
        "DLI.0002" | "DLI.0023" => refined.unwrap_or(ErrorKind::UndefinedObject),
        "DLI.0003" | "DLI.0011" | "DLI.0016" => ErrorKind::PermissionDenied,
        // a parse error; Spark's "too complex to parse" is one too
        "DLI.0004" => match refined {
            Some(ErrorKind::StatementTooComplex) => ErrorKind::StatementTooComplex,
            _ => ErrorKind::Syntax,
        },
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
                "DLI.0004",
                "[FAILED_TO_PARSE_TOO_COMPLEX] The statement … was too complex to parse."
            ),
            Some("54001")
        );
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

    #[test]
    fn message_forms_of_every_spark_version_and_dli() {
        let cases = [
            // (message, SQLSTATE)
            (
                "[TABLE_OR_VIEW_NOT_FOUND] The table or view `db`.`t` cannot be found.",
                "42P01",
            ),
            ("Table or view not found: db.t; line 1 pos 14", "42P01"),
            (
                "org.apache.spark.sql.catalyst.analysis.NoSuchTableException: Table or view 't' not found in database 'db';",
                "42P01",
            ),
            ("Table with name x does not exist!", "42P01"),
            (
                "[SCHEMA_NOT_FOUND] The schema `x` cannot be found.",
                "3F000",
            ),
            ("Database 'x' not found;", "3F000"),
            ("Database x does not exist", "3F000"),
            (
                "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column or function parameter with name `c` cannot be resolved.",
                "42703",
            ),
            (
                "cannot resolve '`c`' given input columns: [a, b]; line 1 pos 7",
                "42703",
            ),
            (
                "Column 'c' does not exist. Did you mean one of the following? [a]",
                "42703",
            ),
            (
                "[UNRESOLVED_ROUTINE] Cannot resolve function `f` on search path",
                "42883",
            ),
            (
                "Undefined function: 'f'. This function is neither a registered temporary function nor a permanent function registered in the database 'default'.",
                "42883",
            ),
            (
                "[TABLE_OR_VIEW_ALREADY_EXISTS] Cannot create table or view `d`.`t` because it already exists.",
                "42P07",
            ),
            ("Table or view 't' already exists in database 'd'", "42P07"),
            (
                "[SCHEMA_ALREADY_EXISTS] Cannot create schema `d` because it already exists.",
                "42P06",
            ),
            ("Database 'd' already exists", "42P06"),
            (
                "[AMBIGUOUS_REFERENCE] Reference `a` is ambiguous, could be: [`t1`.`a`, `t2`.`a`].",
                "42702",
            ),
            (
                "Reference 'a' is ambiguous, could be: t1.a, t2.a.; line 1 pos 7",
                "42702",
            ),
            (
                "[DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES] Cannot resolve \"(a + b)\" due to data type mismatch",
                "42804",
            ),
            (
                "cannot resolve '(a + b)' due to data type mismatch: differing types in '(a + b)' (int and string).",
                "42804",
            ),
            (
                "mismatched input 'FORM' expecting <EOF>(line 1, pos 9)",
                "42601",
            ),
            (
                "[CAST_INVALID_INPUT] The value 'x' of the type \"STRING\" cannot be cast to \"INT\"",
                "22P02",
            ),
            (
                "[FAILED_TO_PARSE_TOO_COMPLEX] The statement, including potential SQL functions and referenced views, was too complex to parse.",
                "54001",
            ),
            (
                "An error occurred while calling o28.sql. : java.lang.StackOverflowError",
                "54001",
            ),
        ];
        for (message, want) in cases {
            let got = classify_message(message).map(ErrorKind::sqlstate);
            assert_eq!(got, Some(want), "{message}");
            // A generic DLI code takes the message's kind.
            let by_code = classify_dli_code("DLI.0005", message).map(ErrorKind::sqlstate);
            assert_eq!(by_code, Some(want), "DLI.0005 {message}");
        }
    }
}
