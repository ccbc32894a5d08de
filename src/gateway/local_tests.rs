//! Tests of the session commands answered by the gateway.

use super::*;
use crate::gateway::session::SessionState;
use crate::settings::format_duration_ms;

fn setup() -> (Session, ServerFacts) {
    let facts = ServerFacts {
        server_version: "15.0".into(),
        user: "dli".into(),
        default_database: "default".into(),
        default_queue: None,
        default_timeout_ms: 0,
        default_idle_timeout_ms: 0,
        allow_truncated_results: false,
        progress_notices: false,
        result_reuse_max_age_ms: 0,
        standard_conforming_strings: true,
        database_name: "dli".into(),
    };
    let s = Session::new(SessionState {
        user: "dli".into(),
        database: "dli".into(),
        currentdb: "default".into(),
        queue: None,
        statement_timeout_ms: 0,
        idle_session_timeout_ms: 0,
        allow_truncated_results: false,
        progress_notices: false,
        settings: Default::default(),
    });
    (s, facts)
}

/// The answer to `sql` when it is a session command.
fn run(sql: &str, s: &Session, f: &ServerFacts) -> Option<Result<LocalAnswer, GatewayError>> {
    let mut stmts = crate::pgsql::Lexed::new(sql).parse().ok()?;
    let stmt = stmts.pop()?;
    is_session_command(&stmt).then(|| answer(&stmt, s, f))
}

#[test]
fn session_commands_are_local() {
    let (s, f) = setup();
    assert_eq!(run("BEGIN", &s, &f), Some(Ok(LocalAnswer::Begin)));
    assert_eq!(
        run("SAVEPOINT sp1", &s, &f),
        Some(Ok(LocalAnswer::Tag("SAVEPOINT".into())))
    );
    assert_eq!(
        run("ROLLBACK TO SAVEPOINT sp1", &s, &f),
        Some(Ok(LocalAnswer::Tag("ROLLBACK".into())))
    );
    assert_eq!(
        run("RELEASE SAVEPOINT sp1", &s, &f),
        Some(Ok(LocalAnswer::Tag("RELEASE".into())))
    );
    assert_eq!(
        run("SET search_path TO tpch, public", &s, &f),
        Some(Ok(LocalAnswer::Tag("SET".into())))
    );
    assert_eq!(s.snapshot().currentdb, "tpch");
    assert_eq!(
        run("SET statement_timeout = '2s'", &s, &f),
        Some(Ok(LocalAnswer::Tag("SET".into())))
    );
    assert_eq!(s.snapshot().statement_timeout_ms, 2000);
    assert_eq!(format_duration_ms(700), "700ms");
    assert_eq!(format_duration_ms(120_000), "2min");
    assert_eq!(format_duration_ms(0), "0");
    assert!(matches!(
        run("SET statement_timeout = 'soon'", &s, &f),
        Some(Err(_))
    ));
    assert_eq!(
        run("SHOW search_path", &s, &f),
        Some(Ok(LocalAnswer::Row(
            vec!["search_path".into()],
            vec![Some("tpch".into())]
        )))
    );
    assert_eq!(
        run("USE sales", &s, &f),
        Some(Ok(LocalAnswer::Tag("SET".into())))
    );
    assert_eq!(s.snapshot().currentdb, "sales");
    assert_eq!(
        run("RESET ALL", &s, &f),
        Some(Ok(LocalAnswer::Tag("RESET".into())))
    );
    assert_eq!(s.snapshot().currentdb, "default");
    assert!(matches!(
        run("SELECT version()", &s, &f),
        Some(Ok(LocalAnswer::Row(..)))
    ));
    assert_eq!(run("SELECT count(*) FROM t", &s, &f), None);
    assert_eq!(run("SELECT 1", &s, &f), None);
    assert_eq!(run("CREATE TABLE t (a int) USING parquet", &s, &f), None);
}
