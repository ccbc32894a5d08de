//! The one place that chooses SQLSTATEs, severities and log levels.
//!
//! Owns: [`ErrorKind`] (what went wrong, in the gateway's own words) and its one exhaustive
//! table `ErrorKind → (SQLSTATE, severity, blame)`; the named SQLSTATE constants
//! ([`sqlstate`]); the conversion of a [`GatewayError`] to the pgwire error sent to the
//! client, which also logs it once at the level its blame picks ([`report`]). Submodules:
//! [`classify`] (DLI error code / Spark error class → kind) and [`wire`] (the pgwire error
//! hook that logs the errors pgwire raises itself through the same [`report`]). This file
//! names neither: they depend on it, not the other way round.
//! Nothing else in the crate writes a SQLSTATE literal or builds an `ErrorInfo`.

pub mod classify;
pub mod wire;

use std::fmt;

use pgwire::error::{
    ErrorInfo, PgWireError, SEVERITY_ERROR, SEVERITY_FATAL, SEVERITY_NOTICE, SEVERITY_WARNING,
};

macro_rules! sqlstates {
    ($($name:ident = $code:literal,)*) => {
        $(pub const $name: &str = $code;)*
        /// Every constant of this module with its name (checked against the Postgres list
        /// by `tests/errors.rs`).
        pub const ALL: &[(&str, &str)] = &[$((stringify!($name), $code)),*];
    };
}

/// SQLSTATE codes used by the gateway, by their Postgres condition names.
pub mod sqlstate {
    sqlstates! {
        SYNTAX_ERROR = "42601",
        SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION = "42000",
        UNDEFINED_TABLE = "42P01",
        UNDEFINED_SCHEMA = "3F000",
        UNDEFINED_COLUMN = "42703",
        UNDEFINED_FUNCTION = "42883",
        UNDEFINED_OBJECT = "42704",
        AMBIGUOUS_COLUMN = "42702",
        DUPLICATE_COLUMN = "42701",
        DUPLICATE_TABLE = "42P07",
        DUPLICATE_SCHEMA = "42P06",
        DUPLICATE_OBJECT = "42710",
        DUPLICATE_CURSOR = "42P03",
        INVALID_CURSOR_NAME = "34000",
        DATATYPE_MISMATCH = "42804",
        INSUFFICIENT_PRIVILEGE = "42501",
        FEATURE_NOT_SUPPORTED = "0A000",
        INVALID_PARAMETER_VALUE = "22023",
        DATA_EXCEPTION = "22000",
        DIVISION_BY_ZERO = "22012",
        INVALID_TEXT_REPRESENTATION = "22P02",
        NUMERIC_VALUE_OUT_OF_RANGE = "22003",
        QUERY_CANCELED = "57014",
        ADMIN_SHUTDOWN = "57P01",
        IDLE_SESSION_TIMEOUT = "57P05",
        INVALID_AUTHORIZATION = "28000",
        INVALID_PASSWORD = "28P01",
        CONNECTION_FAILURE = "08006",
        INSUFFICIENT_RESOURCES = "53000",
        TOO_MANY_CONNECTIONS = "53300",
        CONFIGURATION_LIMIT_EXCEEDED = "53400",
        PROGRAM_LIMIT_EXCEEDED = "54000",
        STATEMENT_TOO_COMPLEX = "54001",
        CHARACTER_NOT_IN_REPERTOIRE = "22021",
        OBJECT_NOT_IN_PREREQUISITE_STATE = "55000",
        WRONG_OBJECT_TYPE = "42809",
        NULL_VALUE_NOT_ALLOWED = "22004",
        READ_ONLY_SQL_TRANSACTION = "25006",
        SYSTEM_ERROR = "58000",
        WARNING = "01000",
        SUCCESSFUL_COMPLETION = "00000",
        PROTOCOL_VIOLATION = "08P01",
        INTERNAL_ERROR = "XX000",
    }
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
    AmbiguousColumn,
    DuplicateColumn,
    DuplicateTable,
    DuplicateSchema,
    DuplicateObject,
    /// `DECLARE` of a cursor name the session already has.
    DuplicateCursor,
    /// `FETCH`/`MOVE` of a cursor the session does not have.
    UnknownCursor,
    /// A backward or absolute move of a forward-only cursor.
    CursorForwardOnly,
    DatatypeMismatch,
    PermissionDenied,
    NotSupported,
    InvalidParameter,
    DataException,
    DivisionByZero,
    InvalidTextRepresentation,
    NumericOutOfRange,
    Canceled,
    /// A login with a wrong password or an unknown user (ends the connection).
    AuthFailed,
    /// A login refused before any password is checked, e.g. plaintext where TLS is
    /// required (ends the connection).
    LoginRefused,
    /// A login that could not be checked because DLI did not answer (ends the connection).
    LoginUnavailable,
    /// DLI refused the gateway's own credentials while running a statement.
    DliAuth,
    ResourceUnavailable,
    QuotaExceeded,
    SystemLimit,
    ResultExpired,
    /// The result is larger than what the gateway can read of it (DLI's preview).
    ResultIncomplete,
    /// DLI could not be reached or answered nonsense.
    Upstream,
    Protocol,
    /// A message that breaks the wire protocol's framing or layout (ends the connection).
    ProtocolViolation,
    /// A startup packet asking for a protocol the gateway does not speak (ends the
    /// connection, as Postgres' "unsupported frontend protocol").
    UnsupportedProtocol,
    /// Text in a protocol message that is not valid UTF-8 (ends the connection).
    BadEncoding,
    /// A statement nested too deeply to be read safely (Postgres' and Spark's 54001).
    StatementTooComplex,
    /// The server is shutting down (ends the connection, as Postgres' SIGTERM).
    AdminShutdown,
    /// A session idle longer than `idle_session_timeout` (ends the connection).
    IdleSessionTimeout,
    /// Every connection slot is taken (ends the connection).
    TooManyConnections,
    /// An object of the wrong kind for the operation (e.g. a Flink SQL job given to
    /// `update_jar_job`).
    WrongObjectType,
    /// NULL where a value is required (a required function argument).
    NullValueNotAllowed,
    /// A write refused because writes are off (`[flink] allow_control = false`).
    ReadOnly,
    /// The object is not in a state that allows the operation (e.g. writing to a view
    /// the gateway answers, or a Flink job DLI refused to run or stop).
    ObjectNotInPrerequisiteState,
    Internal,
}

/// How bad an error is for the connection: `Fatal` ends it (login errors and protocol
/// violations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Fatal,
}

impl Severity {
    /// The severity field of the error message.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => SEVERITY_ERROR,
            Severity::Fatal => SEVERITY_FATAL,
        }
    }
}

/// Whose fault an error is; picks the log level in [`report`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blame {
    /// The client's statement or login (debug).
    User,
    /// DLI, the network or a misbehaving client program (warn).
    Outside,
    /// The gateway itself (error).
    Gateway,
}

impl ErrorKind {
    /// The one table of error facts: exhaustive, no wildcard, so a new kind does not
    /// compile until it has a code, a severity and a blame.
    fn facts(self) -> (&'static str, Severity, Blame) {
        use Blame::{Gateway, Outside, User};
        use Severity::{Error, Fatal};
        use sqlstate::*;
        match self {
            ErrorKind::Syntax => (SYNTAX_ERROR, Error, User),
            ErrorKind::Semantic => (SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION, Error, User),
            ErrorKind::UndefinedTable => (UNDEFINED_TABLE, Error, User),
            ErrorKind::UndefinedSchema => (UNDEFINED_SCHEMA, Error, User),
            ErrorKind::UndefinedColumn => (UNDEFINED_COLUMN, Error, User),
            ErrorKind::UndefinedFunction => (UNDEFINED_FUNCTION, Error, User),
            ErrorKind::UndefinedObject => (UNDEFINED_OBJECT, Error, User),
            ErrorKind::AmbiguousColumn => (AMBIGUOUS_COLUMN, Error, User),
            ErrorKind::DuplicateColumn => (DUPLICATE_COLUMN, Error, User),
            ErrorKind::DuplicateTable => (DUPLICATE_TABLE, Error, User),
            ErrorKind::DuplicateSchema => (DUPLICATE_SCHEMA, Error, User),
            ErrorKind::DuplicateObject => (DUPLICATE_OBJECT, Error, User),
            ErrorKind::DuplicateCursor => (DUPLICATE_CURSOR, Error, User),
            ErrorKind::UnknownCursor => (INVALID_CURSOR_NAME, Error, User),
            ErrorKind::CursorForwardOnly => (OBJECT_NOT_IN_PREREQUISITE_STATE, Error, User),
            ErrorKind::DatatypeMismatch => (DATATYPE_MISMATCH, Error, User),
            ErrorKind::PermissionDenied => (INSUFFICIENT_PRIVILEGE, Error, User),
            ErrorKind::NotSupported => (FEATURE_NOT_SUPPORTED, Error, User),
            ErrorKind::InvalidParameter => (INVALID_PARAMETER_VALUE, Error, User),
            ErrorKind::DataException => (DATA_EXCEPTION, Error, User),
            ErrorKind::DivisionByZero => (DIVISION_BY_ZERO, Error, User),
            ErrorKind::InvalidTextRepresentation => (INVALID_TEXT_REPRESENTATION, Error, User),
            ErrorKind::NumericOutOfRange => (NUMERIC_VALUE_OUT_OF_RANGE, Error, User),
            ErrorKind::Canceled => (QUERY_CANCELED, Error, User),
            ErrorKind::AuthFailed => (INVALID_PASSWORD, Fatal, User),
            ErrorKind::LoginRefused => (INVALID_AUTHORIZATION, Fatal, User),
            ErrorKind::LoginUnavailable => (CONNECTION_FAILURE, Fatal, Outside),
            ErrorKind::DliAuth => (INVALID_AUTHORIZATION, Error, Outside),
            ErrorKind::ResourceUnavailable => (INSUFFICIENT_RESOURCES, Error, Outside),
            ErrorKind::QuotaExceeded => (CONFIGURATION_LIMIT_EXCEEDED, Error, User),
            ErrorKind::SystemLimit => (PROGRAM_LIMIT_EXCEEDED, Error, User),
            ErrorKind::ResultExpired => (OBJECT_NOT_IN_PREREQUISITE_STATE, Error, User),
            ErrorKind::ResultIncomplete => (PROGRAM_LIMIT_EXCEEDED, Error, Outside),
            ErrorKind::Upstream => (SYSTEM_ERROR, Error, Outside),
            ErrorKind::Protocol => (PROTOCOL_VIOLATION, Error, Outside),
            ErrorKind::ProtocolViolation => (PROTOCOL_VIOLATION, Fatal, Outside),
            ErrorKind::UnsupportedProtocol => (FEATURE_NOT_SUPPORTED, Fatal, Outside),
            ErrorKind::BadEncoding => (CHARACTER_NOT_IN_REPERTOIRE, Fatal, Outside),
            ErrorKind::StatementTooComplex => (STATEMENT_TOO_COMPLEX, Error, User),
            ErrorKind::AdminShutdown => (ADMIN_SHUTDOWN, Fatal, Outside),
            ErrorKind::IdleSessionTimeout => (IDLE_SESSION_TIMEOUT, Fatal, User),
            ErrorKind::TooManyConnections => (TOO_MANY_CONNECTIONS, Fatal, Outside),
            ErrorKind::WrongObjectType => (WRONG_OBJECT_TYPE, Error, User),
            ErrorKind::NullValueNotAllowed => (NULL_VALUE_NOT_ALLOWED, Error, User),
            ErrorKind::ReadOnly => (READ_ONLY_SQL_TRANSACTION, Error, User),
            ErrorKind::ObjectNotInPrerequisiteState => {
                (OBJECT_NOT_IN_PREREQUISITE_STATE, Error, User)
            }
            ErrorKind::Internal => (INTERNAL_ERROR, Error, Gateway),
        }
    }

    /// The SQLSTATE of this kind.
    pub fn sqlstate(self) -> &'static str {
        self.facts().0
    }

    /// FATAL only for the login errors that end the connection; ERROR otherwise.
    pub fn severity(self) -> Severity {
        self.facts().1
    }

    /// Whose fault it is (picks the log level).
    pub fn blame(self) -> Blame {
        self.facts().2
    }

    /// User mistakes are logged at debug; faults of the gateway or of DLI at warn/error.
    pub fn is_user_error(self) -> bool {
        self.blame() == Blame::User
    }
}

/// Log one client-visible error at the level its blame picks. The one chokepoint for our
/// errors ([`GatewayError::into_pgwire`]) and pgwire's ([`wire::ErrorLog`]). Callers never pass
/// secrets: messages name users and statements, never passwords or keys.
fn report(blame: Blame, code: &str, message: &dyn fmt::Display, detail: Option<&str>) {
    match blame {
        Blame::User => tracing::debug!(sqlstate = code, error = %message, detail, "client error"),
        Blame::Outside => {
            tracing::warn!(sqlstate = code, error = %message, detail, "gateway error")
        }
        Blame::Gateway => {
            tracing::error!(sqlstate = code, error = %message, detail, "internal error")
        }
    }
}

/// The fields of an `ErrorResponse` or `NoticeResponse`, with the non-localized severity
/// (`V`) Postgres sends too.
fn info(
    severity: &str,
    code: &str,
    message: String,
    detail: Option<String>,
    hint: Option<String>,
) -> ErrorInfo {
    let mut info = ErrorInfo::new(severity.to_string(), code.to_string(), message);
    info.severity_nonlocalized = Some(severity.to_string());
    info.detail = detail;
    info.hint = hint;
    info
}

/// A message for the client (a `NoticeResponse`) while the statement goes on: a
/// warning, or (`informational`) a NOTICE such as a DLI job's progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub message: String,
    pub detail: Option<String>,
    /// Severity NOTICE with SQLSTATE 00000 instead of WARNING with 01000.
    pub informational: bool,
}

impl Notice {
    pub fn warning(message: impl Into<String>, detail: impl Into<String>) -> Notice {
        Notice {
            message: message.into(),
            detail: Some(detail.into()),
            informational: false,
        }
    }

    /// A NOTICE that reports progress (no problem at all).
    pub fn info(message: impl Into<String>, detail: Option<String>) -> Notice {
        Notice {
            message: message.into(),
            detail,
            informational: true,
        }
    }

    /// The fields of the `NoticeResponse` (severity WARNING, SQLSTATE 01000; or NOTICE,
    /// 00000 for an informational one).
    pub fn into_notice_info(self) -> ErrorInfo {
        if self.informational {
            return info(
                SEVERITY_NOTICE,
                sqlstate::SUCCESSFUL_COMPLETION,
                self.message,
                self.detail,
                None,
            );
        }
        tracing::debug!(sqlstate = sqlstate::WARNING, warning = %self.message, "client warning");
        info(
            SEVERITY_WARNING,
            sqlstate::WARNING,
            self.message,
            self.detail,
            None,
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

/// A Postgres construct with no Spark equivalent: 0A000, naming the construct.
impl From<crate::translate::Untranslatable> for GatewayError {
    fn from(u: crate::translate::Untranslatable) -> Self {
        let e = GatewayError::new(ErrorKind::NotSupported, u.to_string());
        match u.hint {
            Some(h) => e.with_hint(h),
            None => e,
        }
    }
}

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

    /// Convert to the pgwire error sent to the client, logging it once at the right level.
    ///
    /// The result always carries the non-localized severity (`V`, as Postgres sends it);
    /// [`wire::ErrorLog`] takes that as "already logged here".
    pub fn into_pgwire(self) -> PgWireError {
        PgWireError::UserError(Box::new(self.into_error_info()))
    }

    /// The `ErrorResponse` fields sent to the client (for a response list, such as a
    /// simple query's), logging the error once at the right level.
    pub fn into_error_info(self) -> ErrorInfo {
        let code = self.kind.sqlstate();
        report(
            self.kind.blame(),
            code,
            &self.message,
            self.detail.as_deref(),
        );
        info(
            self.kind.severity().as_str(),
            code,
            self.message,
            self.detail,
            self.hint,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_login_errors_are_fatal() {
        for kind in [
            ErrorKind::AuthFailed,
            ErrorKind::LoginRefused,
            ErrorKind::LoginUnavailable,
        ] {
            assert_eq!(kind.severity(), Severity::Fatal, "{kind:?}");
        }
        assert_eq!(ErrorKind::DliAuth.severity(), Severity::Error);
        assert_eq!(ErrorKind::Internal.severity(), Severity::Error);
    }

    #[test]
    fn pgwire_errors_carry_kind_facts() {
        let e = GatewayError::new(ErrorKind::LoginUnavailable, "DLI is not reachable")
            .with_hint("try later");
        let PgWireError::UserError(info) = e.into_pgwire() else {
            panic!("not a user error");
        };
        assert_eq!(info.severity, "FATAL");
        assert_eq!(info.severity_nonlocalized.as_deref(), Some("FATAL"));
        assert_eq!(info.code, sqlstate::CONNECTION_FAILURE);
        assert_eq!(info.hint.as_deref(), Some("try later"));
        assert!(!ErrorKind::Internal.is_user_error());
        assert!(ErrorKind::Syntax.is_user_error());
    }
}
