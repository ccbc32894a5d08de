//! Overload and idle sessions, with tokio-postgres over loopback against the real gateway
//! and the real embedded DLI service: over `max_connections` a login gets FATAL 53300 at
//! once (or waits `connection_wait_ms` for a slot) while a CancelRequest still gets
//! through; a session idle past `idle_session_timeout` gets FATAL 57P05.

mod common;

use std::time::Duration;

use common::*;
use dli_pg_gateway::dli::JobState;
use tokio::task::JoinHandle;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, NoTls};

/// Generous bound on anything that must happen "at once" (a hang fails the test).
const BOUND: Duration = Duration::from_secs(30);

fn conn_str(gw: &dli_pg_gateway::app::Gateway) -> String {
    format!(
        "host=127.0.0.1 port={} user={USER} password={PASSWORD} dbname=dli",
        gw.addr().port()
    )
}

/// A client and its connection task, whose result tells how the server ended it.
async fn connect_watched(
    gw: &dli_pg_gateway::app::Gateway,
) -> (Client, JoinHandle<Result<(), tokio_postgres::Error>>) {
    let (client, connection) = tokio_postgres::connect(&conn_str(gw), NoTls)
        .await
        .expect("connects");
    (client, tokio::spawn(connection))
}

/// The SQLSTATE the server ended the connection with.
async fn ended_with(conn: JoinHandle<Result<(), tokio_postgres::Error>>) -> Option<SqlState> {
    let ended = tokio::time::timeout(BOUND, conn)
        .await
        .expect("the server ends the connection")
        .expect("connection task");
    ended.err().and_then(|e| e.code().cloned())
}

async fn setup(client: &Client) {
    client
        .batch_execute(
            "CREATE DATABASE lim; CREATE TABLE lim.t (id int) USING parquet;
             INSERT INTO lim.t VALUES (1), (2), (3)",
        )
        .await
        .expect("setup");
}

#[tokio::test]
async fn over_the_limit_a_login_gets_53300_at_once_and_a_cancel_still_gets_through() {
    let wh = tempfile::tempdir().unwrap();
    let mut cfg = test_config(wh.path(), false);
    cfg.server.max_connections = 1;
    let gw = start(cfg).await;
    let client = connect(&gw).await;
    setup(&client).await;
    let dli = service_client(&gw);

    // The one slot is taken: a second login is refused at once, not left hanging.
    let refused = tokio::time::timeout(BOUND, tokio_postgres::connect(&conn_str(&gw), NoTls))
        .await
        .expect("a login over the limit is answered");
    let err = refused.err().expect("a login over the limit is refused");
    assert_eq!(err.code(), Some(&SqlState::TOO_MANY_CONNECTIONS), "{err:?}");

    // While the slot's session runs a long statement, its CancelRequest (a connection of
    // its own) still gets through.
    let token = client.cancel_token();
    let query = tokio::spawn(async move {
        let r = client
            .simple_query("SELECT count(*) FROM lim.t /* dli_local_delay_ms=60000 full-marker */")
            .await;
        (client, r)
    });
    let running = wait_jobs(&dli, "full-marker", BOUND, |s| {
        s.contains(&JobState::Running)
    })
    .await;
    assert!(running.contains(&JobState::Running), "{running:?}");
    token
        .cancel_query(NoTls)
        .await
        .expect("cancel request sent");
    let (client, result) = tokio::time::timeout(BOUND, query)
        .await
        .expect("the cancelled statement ends")
        .expect("query task");
    let err = result.expect_err("the statement was cancelled");
    assert_eq!(err.code(), Some(&SqlState::QUERY_CANCELED), "{err:?}");
    let states = wait_jobs(&dli, "full-marker", BOUND, |s| {
        s.iter().all(JobState::is_terminal)
    })
    .await;
    assert_eq!(states, vec![JobState::Cancelled]);

    // Once the session ends, its slot is free again.
    drop(client);
    let deadline = tokio::time::Instant::now() + BOUND;
    let again = loop {
        match tokio_postgres::connect(&conn_str(&gw), NoTls).await {
            Ok((c, conn)) => {
                tokio::spawn(conn);
                break c;
            }
            Err(e) if tokio::time::Instant::now() < deadline => {
                assert_eq!(e.code(), Some(&SqlState::TOO_MANY_CONNECTIONS), "{e:?}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("the slot was never freed: {e:?}"),
        }
    };
    assert_eq!(
        simple_rows(&again, "SELECT 1").await,
        vec![vec![Some("1".into())]]
    );
    drop(again);
    gw.shutdown().await;
}

#[tokio::test]
async fn a_login_over_the_limit_waits_connection_wait_ms_for_a_slot() {
    let wh = tempfile::tempdir().unwrap();
    let mut cfg = test_config(wh.path(), false);
    cfg.server.max_connections = 1;
    cfg.server.connection_wait_ms = 60_000;
    let gw = start(cfg).await;
    let first = connect(&gw).await;
    let second_str = conn_str(&gw);
    let second = tokio::spawn(async move { tokio_postgres::connect(&second_str, NoTls).await });
    // The second login waits while the first session lives …
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!second.is_finished(), "the second login did not wait");
    // … and gets the slot when it ends.
    drop(first);
    let (client, conn) = tokio::time::timeout(BOUND, second)
        .await
        .expect("the waiting login gets the freed slot")
        .expect("connect task")
        .expect("the waiting login succeeds");
    tokio::spawn(conn);
    assert_eq!(
        simple_rows(&client, "SELECT 1").await,
        vec![vec![Some("1".into())]]
    );
    drop(client);
    gw.shutdown().await;
}

#[tokio::test]
async fn an_idle_session_is_closed_with_57p05_but_a_running_statement_is_not() {
    let wh = tempfile::tempdir().unwrap();
    let mut cfg = test_config(wh.path(), false);
    cfg.server.idle_session_timeout_ms = 700;
    let gw = start(cfg).await;
    let (client, conn) = connect_watched(&gw).await;
    setup(&client).await;
    assert_eq!(
        simple_rows(&client, "SHOW idle_session_timeout").await,
        vec![vec![Some("700ms".into())]]
    );
    // A statement running longer than the timeout is not idle time.
    let rows = simple_rows(
        &client,
        "SELECT count(*) FROM lim.t /* dli_local_delay_ms=2000 */",
    )
    .await;
    assert_eq!(rows, vec![vec![Some("3".into())]]);
    // Then, idle, the session is closed.
    assert_eq!(ended_with(conn).await, Some(SqlState::IDLE_SESSION_TIMEOUT));
    assert!(client.is_closed());
    gw.shutdown().await;
}

#[tokio::test]
async fn set_idle_session_timeout_applies_to_the_session() {
    let wh = tempfile::tempdir().unwrap();
    let gw = start(test_config(wh.path(), false)).await;
    let (client, conn) = connect_watched(&gw).await;
    assert_eq!(
        simple_rows(&client, "SHOW idle_session_timeout").await,
        vec![vec![Some("0".into())]]
    );
    let err = client
        .simple_query("SET idle_session_timeout = 'soon'")
        .await
        .expect_err("a bad value is refused");
    assert_eq!(err.code(), Some(&SqlState::INVALID_PARAMETER_VALUE));
    client
        .simple_query("SET idle_session_timeout = '300ms'")
        .await
        .expect("SET idle_session_timeout");
    assert_eq!(ended_with(conn).await, Some(SqlState::IDLE_SESSION_TIMEOUT));
    // Another session keeps the server's default (none).
    let other = connect(&gw).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        simple_rows(&other, "SELECT 1").await,
        vec![vec![Some("1".into())]]
    );
    drop(other);
    gw.shutdown().await;
}
