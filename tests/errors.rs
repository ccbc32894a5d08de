//! The SQLSTATE constants of `errors::sqlstate` against the Postgres list as
//! tokio-postgres knows it: every constant must name the condition its code stands for.

use dli_pg_gateway::errors::{ErrorKind, Severity, sqlstate};
use tokio_postgres::error::SqlState;

/// The Postgres condition of the same name; a new constant fails here until added.
fn postgres(name: &str) -> SqlState {
    match name {
        "SYNTAX_ERROR" => SqlState::SYNTAX_ERROR,
        "SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION" => SqlState::SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION,
        "UNDEFINED_TABLE" => SqlState::UNDEFINED_TABLE,
        "UNDEFINED_SCHEMA" => SqlState::INVALID_SCHEMA_NAME,
        "UNDEFINED_COLUMN" => SqlState::UNDEFINED_COLUMN,
        "UNDEFINED_FUNCTION" => SqlState::UNDEFINED_FUNCTION,
        "UNDEFINED_OBJECT" => SqlState::UNDEFINED_OBJECT,
        "AMBIGUOUS_COLUMN" => SqlState::AMBIGUOUS_COLUMN,
        "DUPLICATE_COLUMN" => SqlState::DUPLICATE_COLUMN,
        "DUPLICATE_TABLE" => SqlState::DUPLICATE_TABLE,
        "DUPLICATE_SCHEMA" => SqlState::DUPLICATE_SCHEMA,
        "DUPLICATE_OBJECT" => SqlState::DUPLICATE_OBJECT,
        "DATATYPE_MISMATCH" => SqlState::DATATYPE_MISMATCH,
        "INSUFFICIENT_PRIVILEGE" => SqlState::INSUFFICIENT_PRIVILEGE,
        "FEATURE_NOT_SUPPORTED" => SqlState::FEATURE_NOT_SUPPORTED,
        "INVALID_PARAMETER_VALUE" => SqlState::INVALID_PARAMETER_VALUE,
        "DATA_EXCEPTION" => SqlState::DATA_EXCEPTION,
        "DIVISION_BY_ZERO" => SqlState::DIVISION_BY_ZERO,
        "INVALID_TEXT_REPRESENTATION" => SqlState::INVALID_TEXT_REPRESENTATION,
        "NUMERIC_VALUE_OUT_OF_RANGE" => SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
        "QUERY_CANCELED" => SqlState::QUERY_CANCELED,
        "INVALID_AUTHORIZATION" => SqlState::INVALID_AUTHORIZATION_SPECIFICATION,
        "INVALID_PASSWORD" => SqlState::INVALID_PASSWORD,
        "CONNECTION_FAILURE" => SqlState::CONNECTION_FAILURE,
        "INSUFFICIENT_RESOURCES" => SqlState::INSUFFICIENT_RESOURCES,
        "CONFIGURATION_LIMIT_EXCEEDED" => SqlState::CONFIGURATION_LIMIT_EXCEEDED,
        "PROGRAM_LIMIT_EXCEEDED" => SqlState::PROGRAM_LIMIT_EXCEEDED,
        "OBJECT_NOT_IN_PREREQUISITE_STATE" => SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
        "SYSTEM_ERROR" => SqlState::SYSTEM_ERROR,
        "PROTOCOL_VIOLATION" => SqlState::PROTOCOL_VIOLATION,
        "INTERNAL_ERROR" => SqlState::INTERNAL_ERROR,
        other => panic!("errors::sqlstate::{other} has no entry in tests/errors.rs"),
    }
}

#[test]
fn every_sqlstate_constant_is_the_postgres_code_of_its_name() {
    assert!(!sqlstate::ALL.is_empty());
    for (name, code) in sqlstate::ALL {
        assert_eq!(*code, postgres(name).code(), "errors::sqlstate::{name}");
    }
}

#[test]
fn login_kinds_are_fatal_with_their_codes() {
    let fatal = [
        (ErrorKind::AuthFailed, SqlState::INVALID_PASSWORD),
        (
            ErrorKind::LoginRefused,
            SqlState::INVALID_AUTHORIZATION_SPECIFICATION,
        ),
        (ErrorKind::LoginUnavailable, SqlState::CONNECTION_FAILURE),
    ];
    for (kind, state) in fatal {
        assert_eq!(kind.sqlstate(), state.code(), "{kind:?}");
        assert_eq!(kind.severity(), Severity::Fatal, "{kind:?}");
    }
    assert_eq!(ErrorKind::DliAuth.severity(), Severity::Error);
}
