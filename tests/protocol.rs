//! Driver-facing protocol behaviour through tokio-postgres: extended protocol and
//! parameters, binary results, portals with a row limit, cancel, statement timeout,
//! client disconnect, and session commands. Real gateway, real embedded DLI service.

mod common;

use std::time::{Duration, Instant};

use common::*;
use dli_pg_gateway::dli::{DliClient, JobState, ListJobsQuery};
use tokio_postgres::types::Type;

/// Wait until every job with `marker` is terminal; return their states.
async fn settled_jobs(dli: &DliClient, marker: &str) -> Vec<JobState> {
    wait_jobs(dli, marker, Duration::from_secs(10), |states| {
        !states.is_empty() && states.iter().all(JobState::is_terminal)
    })
    .await
}

async fn setup(client: &tokio_postgres::Client) {
    client
        .batch_execute(
            "CREATE DATABASE proto; CREATE TABLE proto.t (id int, s string, d double) USING parquet;
             INSERT INTO proto.t VALUES (1, 'one', 1.5), (2, 'two', 2.5), (3, 'three', 3.5), (4, 'four', 4.5), (5, 'five', 5.5)",
        )
        .await
        .expect("setup");
}

#[tokio::test]
async fn hostile_parameters_round_trip_exactly() {
    let wh = tempfile::tempdir().unwrap();
    let gw = start(test_config(wh.path(), false)).await;
    let client = connect(&gw).await;
    setup(&client).await;
    let long = "x\\'y".repeat(20_000);
    let values: Vec<Option<&str>> = vec![
        Some("\\' OR 1=1 --"),
        Some("it's"),
        Some("'; DROP TABLE proto.t; --"),
        Some("back\\slash\\"),
        Some("\\\\'\\"),
        Some("tab\tnew\nline"),
        Some("ünïcödé ✓ 数据 😀"),
        Some(""),
        Some(&long),
        None,
    ];
    let stmt = client
        .prepare_typed("SELECT $1 AS v FROM proto.t WHERE id = 1", &[Type::TEXT])
        .await
        .unwrap();
    for v in &values {
        let row = client
            .query_one(&stmt, &[v])
            .await
            .unwrap_or_else(|e| panic!("{v:?}: {e:?}"));
        assert_eq!(row.get::<_, Option<&str>>(0), *v);
    }
    // Values quoted by the client (Postgres rules: a backslash is just a character) stay
    // one literal on Spark too: nothing is injected, and they read back exactly.
    for (sql, expected) in [
        (
            r"SELECT count(*) FROM proto.t WHERE s = '\'' OR 1=1 --'",
            "0",
        ),
        (
            r"SELECT count(*) FROM proto.t WHERE s = 'one\' OR s = 'two'",
            "1",
        ),
        (
            r"SELECT count(*) FROM proto.t WHERE s = E'one' OR s = $$two$$",
            "2",
        ),
    ] {
        let rows = simple_rows(&client, sql).await;
        assert_eq!(rows, vec![vec![Some(expected.to_string())]], "{sql}");
    }
    let rows = simple_rows(
        &client,
        r"SELECT '\'' OR 1=1 --' AS v, 'it''s' AS w FROM proto.t WHERE id = 1",
    )
    .await;
    assert_eq!(
        rows,
        vec![vec![
            Some(r"\' OR 1=1 --".to_string()),
            Some("it's".to_string())
        ]]
    );
    let rows = simple_rows(&client, r#"SELECT "s" FROM "proto"."t" WHERE "id" = 2"#).await;
    assert_eq!(rows, vec![vec![Some("two".to_string())]]);
    // The table is intact and a hostile value used as a filter matches nothing.
    let n: i64 = client
        .query_one("SELECT count(*) FROM proto.t", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 5);
    let rows = client
        .query("SELECT id FROM proto.t WHERE s = $1", &[&"one' OR '1'='1"])
        .await
        .unwrap();
    assert!(rows.is_empty());
    gw.shutdown().await;
}

#[tokio::test]
async fn typed_parameters_and_binary_results() {
    let wh = tempfile::tempdir().unwrap();
    let gw = start(test_config(wh.path(), false)).await;
    let client = connect(&gw).await;
    setup(&client).await;
    let stmt = client
        .prepare_typed(
            "SELECT id, s, d FROM proto.t WHERE id >= $1 AND d < $2 AND s <> $3 ORDER BY id",
            &[Type::INT4, Type::FLOAT8, Type::TEXT],
        )
        .await
        .unwrap();
    let cols: Vec<Type> = stmt.columns().iter().map(|c| c.type_().clone()).collect();
    assert_eq!(cols, vec![Type::INT4, Type::TEXT, Type::FLOAT8]);
    // Reuse the prepared statement several times (drivers switch to it after a few runs).
    for round in 0..6 {
        let rows = client
            .query(&stmt, &[&2i32, &5.0f64, &"three"])
            .await
            .unwrap();
        let got: Vec<(i32, String, f64)> = rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
        assert_eq!(
            got,
            vec![(2, "two".to_string(), 2.5), (4, "four".to_string(), 4.5)],
            "round {round}"
        );
    }
    let row = client
        .query_one(
            "SELECT CAST($1 AS BIGINT) + 1, $2 AND TRUE, CAST($3 AS DECIMAL(10,3))",
            &[&41i64, &true, &rust_decimal::Decimal::new(12345, 3)],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 42);
    assert!(row.get::<_, bool>(1));
    assert_eq!(
        row.get::<_, rust_decimal::Decimal>(2),
        rust_decimal::Decimal::new(12345, 3)
    );
    gw.shutdown().await;
}

#[tokio::test]
async fn portal_with_row_limit_suspends() {
    let wh = tempfile::tempdir().unwrap();
    let gw = start(test_config(wh.path(), false)).await;
    let mut client = connect(&gw).await;
    setup(&client).await;
    let tx = client.transaction().await.unwrap();
    let stmt = tx
        .prepare("SELECT id FROM proto.t ORDER BY id")
        .await
        .unwrap();
    let portal = tx.bind(&stmt, &[]).await.unwrap();
    let mut batches = Vec::new();
    loop {
        let rows = tx.query_portal(&portal, 2).await.unwrap();
        if rows.is_empty() {
            break;
        }
        batches.push(rows.iter().map(|r| r.get::<_, i32>(0)).collect::<Vec<_>>());
    }
    assert_eq!(batches, vec![vec![1, 2], vec![3, 4], vec![5]]);
    tx.commit().await.unwrap();
    gw.shutdown().await;
}

#[tokio::test]
async fn cancel_request_cancels_the_dli_job() {
    let wh = tempfile::tempdir().unwrap();
    let gw = start(test_config(wh.path(), false)).await;
    let client = connect(&gw).await;
    setup(&client).await;
    let dli = service_client(&gw);
    let token = client.cancel_token();
    let canceller = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(400)).await;
        token.cancel_query(tokio_postgres::NoTls).await
    });
    let started = Instant::now();
    let err = client
        .simple_query("SELECT count(*) FROM proto.t /* dli_local_delay_ms=30000 cancel-marker-1 */")
        .await
        .unwrap_err();
    assert_eq!(err.code().map(|c| c.code()), Some("57014"), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    canceller.await.unwrap().unwrap();
    assert_eq!(
        settled_jobs(&dli, "cancel-marker-1").await,
        vec![JobState::Cancelled]
    );
    // The session is still usable.
    let rows = simple_rows(&client, "SELECT count(*) FROM proto.t").await;
    assert_eq!(rows, vec![vec![Some("5".to_string())]]);
    gw.shutdown().await;
}

#[tokio::test]
async fn statement_timeout_cancels_the_dli_job() {
    let wh = tempfile::tempdir().unwrap();
    let gw = start(test_config(wh.path(), false)).await;
    let client = connect(&gw).await;
    setup(&client).await;
    let dli = service_client(&gw);
    client
        .simple_query("SET statement_timeout = '300ms'")
        .await
        .unwrap();
    let started = Instant::now();
    let err = client
        .simple_query(
            "SELECT count(*) FROM proto.t /* dli_local_delay_ms=30000 timeout-marker-1 */",
        )
        .await
        .unwrap_err();
    assert_eq!(err.code().map(|c| c.code()), Some("57014"), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        settled_jobs(&dli, "timeout-marker-1").await,
        vec![JobState::Cancelled]
    );
    client
        .simple_query("RESET statement_timeout")
        .await
        .unwrap();
    let rows = simple_rows(
        &client,
        "SELECT count(*) FROM proto.t /* dli_local_delay_ms=500 */",
    )
    .await;
    assert_eq!(rows, vec![vec![Some("5".to_string())]]);
    gw.shutdown().await;
}

#[tokio::test]
async fn client_disconnect_cancels_the_dli_job() {
    let wh = tempfile::tempdir().unwrap();
    let mut cfg = test_config(wh.path(), false);
    cfg.runner.heartbeat_ms = 100;
    let gw = start(cfg).await;
    let client = connect(&gw).await;
    setup(&client).await;
    let dli = service_client(&gw);
    // A second connection whose socket we can close mid-query.
    let conn_str = format!(
        "host=127.0.0.1 port={} user={USER} password={PASSWORD}",
        gw.addr().port()
    );
    let (doomed, connection) = tokio_postgres::connect(&conn_str, tokio_postgres::NoTls)
        .await
        .unwrap();
    let socket = tokio::spawn(connection);
    let query = tokio::spawn(async move {
        let _ = doomed
            .simple_query(
                "SELECT count(*) FROM proto.t /* dli_local_delay_ms=30000 gone-marker-1 */",
            )
            .await;
    });
    // Wait until the job runs, then vanish (dropping the client closes the socket).
    let deadline = Instant::now() + Duration::from_secs(10);
    while jobs_with(&dli, "gone-marker-1").await.is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    socket.abort();
    let _ = socket.await;
    let _ = query.await;
    assert_eq!(
        settled_jobs(&dli, "gone-marker-1").await,
        vec![JobState::Cancelled]
    );
    gw.shutdown().await;
}

#[tokio::test]
async fn session_commands_are_answered_without_dli() {
    let wh = tempfile::tempdir().unwrap();
    let gw = start(test_config(wh.path(), false)).await;
    let client = connect(&gw).await;
    let dli = service_client(&gw);
    let before = dli
        .list_jobs(&ListJobsQuery::default())
        .await
        .unwrap()
        .job_count;
    for sql in [
        "SET extra_float_digits = 3",
        "SET application_name = 'PostgreSQL JDBC Driver'",
        "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED",
        "BEGIN",
        "COMMIT",
        "START TRANSACTION",
        "ROLLBACK",
        "UNLISTEN *",
        "DISCARD ALL",
        "RESET ALL",
        "SET search_path = tpch",
        "SET dli.queue = 'analytics'",
    ] {
        client
            .simple_query(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    }
    let one = |sql: &'static str| {
        let client = &client;
        async move {
            simple_rows(client, sql).await[0][0]
                .clone()
                .unwrap_or_default()
        }
    };
    let version = one("SELECT version()").await;
    assert!(version.starts_with("PostgreSQL 15.0 "), "{version}");
    assert_eq!(one("SHOW search_path").await, "tpch");
    assert_eq!(one("SELECT current_schema()").await, "tpch");
    assert_eq!(one("SHOW dli.queue").await, "analytics");
    assert_eq!(
        one("SHOW transaction isolation level").await,
        "read committed"
    );
    assert_eq!(one("SELECT current_user").await, "dli");
    assert_eq!(one("SELECT current_database()").await, "dli");
    assert_eq!(one("SHOW client_encoding").await, "UTF8");
    let after = dli
        .list_jobs(&ListJobsQuery::default())
        .await
        .unwrap()
        .job_count;
    assert_eq!(before, after, "session commands must not run DLI jobs");
    gw.shutdown().await;
}

#[tokio::test]
async fn insert_counts_through_the_extended_protocol() {
    let wh = tempfile::tempdir().unwrap();
    let gw = start(test_config(wh.path(), false)).await;
    let client = connect(&gw).await;
    setup(&client).await;
    let stmt = client
        .prepare_typed(
            "INSERT INTO proto.t VALUES ($1, $2, 0.5)",
            &[Type::INT4, Type::TEXT],
        )
        .await
        .unwrap();
    // Parameter types come from the target table's columns (no job at Describe).
    assert_eq!(stmt.params(), &[Type::INT4, Type::TEXT]);
    for k in 10..13i32 {
        let n = client
            .execute(&stmt, &[&k, &format!("v{k}'")])
            .await
            .unwrap();
        assert_eq!(n, 1, "INSERT 0 1 for row {k}");
    }
    let n = client
        .execute(
            "INSERT INTO proto.t SELECT id + 100, s, d FROM proto.t WHERE id < 3",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(n, 2);
    let rows = simple_rows(&client, "SELECT count(*), max(s) FROM proto.t").await;
    assert_eq!(
        rows,
        vec![vec![Some("10".to_string()), Some("v12'".to_string())]]
    );
    gw.shutdown().await;
}
