//! The error pipeline from outside: the SQLSTATE constants of `errors::sqlstate` against
//! the Postgres list as tokio-postgres knows it (every constant must name the condition its
//! code stands for), the login kinds' severity, and one log line per error — for ours and
//! for those pgwire raises itself.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::*;
use dli_pg_gateway::errors::{ErrorKind, Severity, sqlstate};
use dli_pg_gateway::gateway::config::AuthMethod;
use tokio_postgres::NoTls;
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
        "STATEMENT_TOO_COMPLEX" => SqlState::STATEMENT_TOO_COMPLEX,
        "CHARACTER_NOT_IN_REPERTOIRE" => SqlState::CHARACTER_NOT_IN_REPERTOIRE,
        "OBJECT_NOT_IN_PREREQUISITE_STATE" => SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
        "WRONG_OBJECT_TYPE" => SqlState::WRONG_OBJECT_TYPE,
        "NULL_VALUE_NOT_ALLOWED" => SqlState::NULL_VALUE_NOT_ALLOWED,
        "READ_ONLY_SQL_TRANSACTION" => SqlState::READ_ONLY_SQL_TRANSACTION,
        "SYSTEM_ERROR" => SqlState::SYSTEM_ERROR,
        "WARNING" => SqlState::WARNING,
        "SUCCESSFUL_COMPLETION" => SqlState::SUCCESSFUL_COMPLETION,
        "DUPLICATE_CURSOR" => SqlState::DUPLICATE_CURSOR,
        "INVALID_CURSOR_NAME" => SqlState::INVALID_CURSOR_NAME,
        "PROTOCOL_VIOLATION" => SqlState::PROTOCOL_VIOLATION,
        "INTERNAL_ERROR" => SqlState::INTERNAL_ERROR,
        "TOO_MANY_CONNECTIONS" => SqlState::TOO_MANY_CONNECTIONS,
        "ADMIN_SHUTDOWN" => SqlState::ADMIN_SHUTDOWN,
        "IDLE_SESSION_TIMEOUT" => SqlState::IDLE_SESSION_TIMEOUT,
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
        (ErrorKind::AdminShutdown, SqlState::ADMIN_SHUTDOWN),
        (
            ErrorKind::IdleSessionTimeout,
            SqlState::IDLE_SESSION_TIMEOUT,
        ),
        (
            ErrorKind::TooManyConnections,
            SqlState::TOO_MANY_CONNECTIONS,
        ),
    ];
    for (kind, state) in fatal {
        assert_eq!(kind.sqlstate(), state.code(), "{kind:?}");
        assert_eq!(kind.severity(), Severity::Fatal, "{kind:?}");
    }
    assert_eq!(ErrorKind::DliAuth.severity(), Severity::Error);
}

/// A frontend message: tag, length, body.
fn message(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![tag];
    m.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
    m.extend_from_slice(body);
    m
}

/// Reads until a ReadyForQuery message has arrived; returns everything read.
fn read_until_ready(s: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !got.windows(5).any(|w| w == b"Z\0\0\0\x05") {
        let n = s.read(&mut buf).expect("read");
        assert!(
            n > 0,
            "connection closed: {:?}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&buf[..n]);
    }
    got
}

/// Logs in with a cleartext password, then Binds a statement that was never parsed: pgwire
/// itself answers 26000.
fn bind_unknown_statement(port: u16) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let mut startup = 196_608u32.to_be_bytes().to_vec();
    startup.extend_from_slice(b"user\0dli\0database\0dli\0\0");
    let mut first = (startup.len() as u32 + 4).to_be_bytes().to_vec();
    first.extend_from_slice(&startup);
    s.write_all(&first).expect("startup");
    let mut buf = [0u8; 512];
    let n = s.read(&mut buf).expect("auth request");
    assert_eq!(buf.first(), Some(&b'R'), "{:?}", &buf[..n]);
    s.write_all(&message(b'p', format!("{PASSWORD}\0").as_bytes()))
        .expect("password");
    read_until_ready(&mut s);
    let mut bind = b"\0nope\0".to_vec();
    bind.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let mut out = message(b'B', &bind);
    out.extend(message(b'S', b""));
    s.write_all(&out).expect("bind");
    String::from_utf8_lossy(&read_until_ready(&mut s)).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_is_logged_once_through_the_chokepoint() {
    logs();
    let wh = tempfile::tempdir().unwrap();
    let mut cfg = test_config(wh.path(), false);
    cfg.server.auth_method = AuthMethod::Password;
    let gw = start(cfg).await;
    let port = gw.addr().port();

    // ours: a refused login (FATAL 28P01), logged where it is built, not again by the hook
    let wrong = format!("host=127.0.0.1 port={port} user=nobody-{port} password=x dbname=dli");
    let e = tokio_postgres::connect(&wrong, NoTls)
        .await
        .err()
        .expect("refused");
    assert_eq!(e.code(), Some(&SqlState::INVALID_PASSWORD));

    // pgwire's: Bind of an unknown statement (26000), logged by the hook
    let answer = tokio::task::spawn_blocking(move || bind_unknown_statement(port))
        .await
        .expect("bind task");
    assert!(answer.contains("C26000"), "{answer}");

    gw.shutdown().await;
    let log = captured();
    let refused = format!("password authentication failed for user \"nobody-{port}\"");
    let refusals: Vec<&str> = log.lines().filter(|l| l.contains(&refused)).collect();
    assert_eq!(refusals.len(), 1, "logged once:\n{log}");
    assert!(refusals[0].contains("client error"), "{}", refusals[0]);
    let hooked: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("sqlstate=\"26000\"") && l.contains("wire protocol layer"))
        .collect();
    assert_eq!(hooked.len(), 1, "{log}");
    assert!(hooked[0].contains("DEBUG"), "{}", hooked[0]);
}
