//! End to end: tokio-postgres and psql → the real gateway → real HTTP → the real
//! embedded DLI service (DataFusion over a temporary warehouse).

mod common;

use chrono::{NaiveDate, NaiveDateTime};
use common::*;
use rust_decimal::Decimal;
use tokio_postgres::types::Type;

const CREATE: &str = "CREATE TABLE shop.items (
    id int, ti tinyint, si smallint, bi bigint, f float, d double, b boolean,
    s string, dec decimal(10,2), dt date, ts timestamp, bin binary
) USING parquet";

const INSERT: &str = "INSERT INTO shop.items VALUES
    (1, 7, 300, 9000000000, 1.5, 2.25, true, 'héllo ✓ 数据', 12.34, DATE '2024-02-29',
     TIMESTAMP '2024-02-29 12:34:56.123456', X'DEADBEEF'),
    (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (3, -128, -32768, -1, -0.25, 1e100, false, 'it''s a \\ test', -0.5, DATE '1970-01-01',
     TIMESTAMP '1999-12-31 23:59:59', X'')";

async fn create_shop(client: &tokio_postgres::Client) {
    client
        .simple_query("CREATE DATABASE shop")
        .await
        .expect("create database");
    client.simple_query(CREATE).await.expect("create table");
    let msgs = client.simple_query(INSERT).await.expect("insert");
    let tag = msgs.iter().find_map(|m| match m {
        tokio_postgres::SimpleQueryMessage::CommandComplete(n) => Some(*n),
        _ => None,
    });
    assert_eq!(tag, Some(3), "INSERT 0 3");
}

#[tokio::test]
async fn create_insert_query_with_types_and_restart() {
    let wh = tempfile::tempdir().unwrap();
    let gw = start(test_config(wh.path(), false)).await;
    let client = connect(&gw).await;
    create_shop(&client).await;

    // Text values through the simple protocol.
    let rows = simple_rows(
        &client,
        "SELECT id, ti, si, bi, f, d, b, s, dec, dt, ts, bin FROM shop.items ORDER BY id",
    )
    .await;
    let s = |v: &str| Some(v.to_string());
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows[0],
        vec![
            s("1"),
            s("7"),
            s("300"),
            s("9000000000"),
            s("1.5"),
            s("2.25"),
            s("t"),
            s("héllo ✓ 数据"),
            s("12.34"),
            s("2024-02-29"),
            s("2024-02-29 12:34:56.123456"),
            s("\\xdeadbeef")
        ]
    );
    assert_eq!(rows[1][0], s("2"));
    assert!(
        rows[1][1..].iter().all(Option::is_none),
        "NULLs: {:?}",
        rows[1]
    );
    assert_eq!(rows[2][7], s("it's a \\ test"));
    assert_eq!(rows[2][9], s("1970-01-01"));

    // Types and binary values through the extended protocol.
    let rows = client
        .query(
            "SELECT id, ti, si, bi, f, d, b, s, dec, dt, ts, bin FROM shop.items ORDER BY id",
            &[],
        )
        .await
        .expect("extended query");
    let types: Vec<Type> = rows[0]
        .columns()
        .iter()
        .map(|c| c.type_().clone())
        .collect();
    assert_eq!(
        types,
        vec![
            Type::INT4,
            Type::INT2,
            Type::INT2,
            Type::INT8,
            Type::FLOAT4,
            Type::FLOAT8,
            Type::BOOL,
            Type::TEXT,
            Type::NUMERIC,
            Type::DATE,
            Type::TIMESTAMP,
            Type::BYTEA
        ]
    );
    let r = &rows[0];
    assert_eq!(r.get::<_, i32>(0), 1);
    assert_eq!(r.get::<_, i16>(1), 7);
    assert_eq!(r.get::<_, i16>(2), 300);
    assert_eq!(r.get::<_, i64>(3), 9_000_000_000);
    assert_eq!(r.get::<_, f32>(4), 1.5);
    assert_eq!(r.get::<_, f64>(5), 2.25);
    assert!(r.get::<_, bool>(6));
    assert_eq!(r.get::<_, &str>(7), "héllo ✓ 数据");
    assert_eq!(r.get::<_, Decimal>(8), Decimal::new(1234, 2));
    assert_eq!(
        r.get::<_, NaiveDate>(9),
        NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()
    );
    assert_eq!(
        r.get::<_, NaiveDateTime>(10),
        NaiveDate::from_ymd_opt(2024, 2, 29)
            .unwrap()
            .and_hms_micro_opt(12, 34, 56, 123_456)
            .unwrap()
    );
    assert_eq!(r.get::<_, Vec<u8>>(11), vec![0xde, 0xad, 0xbe, 0xef]);
    assert_eq!(rows[1].get::<_, Option<i64>>(3), None);
    assert_eq!(rows[2].get::<_, f64>(5), 1e100);
    assert_eq!(rows[2].get::<_, Vec<u8>>(11), Vec::<u8>::new());

    // Aggregates computed by the engine, checked against values computed here.
    let agg = simple_rows(&client, "SELECT count(*), sum(si), max(s) FROM shop.items").await;
    assert_eq!(
        agg,
        vec![vec![
            s("3"),
            s(&(300 - 32768).to_string()),
            s("it's a \\ test")
        ]]
    );

    // Restart everything on the same warehouse: the data is still there.
    drop(client);
    gw.shutdown().await;
    let gw = start(test_config(wh.path(), false)).await;
    let client = connect(&gw).await;
    let rows = simple_rows(&client, "SELECT s FROM shop.items WHERE id = 1").await;
    assert_eq!(rows, vec![vec![s("héllo ✓ 数据")]]);
    gw.shutdown().await;
}

#[tokio::test]
async fn errors_map_to_sqlstates_and_the_session_survives() {
    let wh = tempfile::tempdir().unwrap();
    let gw = start(test_config(wh.path(), false)).await;
    let client = connect(&gw).await;
    assert_eq!(sqlstate_of(&client, "SELEKT 1").await, "42601");
    assert_eq!(
        sqlstate_of(&client, "SELECT * FROM nowhere.nothing").await,
        "42P01"
    );
    assert_eq!(
        sqlstate_of(&client, "SELECT * FROM default.nothing_here").await,
        "42P01"
    );
    client.simple_query("CREATE DATABASE d1").await.unwrap();
    assert_eq!(sqlstate_of(&client, "CREATE DATABASE d1").await, "42P06");
    client
        .simple_query("CREATE TABLE d1.t (a int) USING parquet")
        .await
        .unwrap();
    assert_eq!(
        sqlstate_of(&client, "CREATE TABLE d1.t (a int) USING parquet").await,
        "42P07"
    );
    assert_eq!(
        sqlstate_of(&client, "SELECT no_such_column FROM d1.t").await,
        "42703"
    );

    // The error carries the DLI detail.
    let err = client
        .simple_query("SELECT * FROM d1.missing")
        .await
        .unwrap_err();
    let db = err.as_db_error().expect("db error");
    assert!(db.message().contains("missing"), "{}", db.message());
    assert!(
        db.detail().unwrap_or_default().contains("DLI"),
        "{:?}",
        db.detail()
    );

    // Still usable afterwards.
    let rows = simple_rows(&client, "SELECT 40 + 2").await;
    assert_eq!(rows, vec![vec![Some("42".to_string())]]);
    gw.shutdown().await;
}

#[tokio::test]
async fn several_statements_in_one_message_and_session_database() {
    let wh = tempfile::tempdir().unwrap();
    let gw = start(test_config(wh.path(), false)).await;
    let client = connect(&gw).await;
    let msgs = client
        .simple_query(
            "CREATE DATABASE multi; USE multi; CREATE TABLE t (k string, v bigint) USING parquet;
             INSERT INTO t VALUES ('a;b', 1), ('c', 2); SELECT k, v FROM t ORDER BY v",
        )
        .await
        .expect("multi-statement message");
    let rows: Vec<(String, String)> = msgs
        .iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => {
                Some((r.get(0)?.to_string(), r.get(1)?.to_string()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("a;b".to_string(), "1".to_string()),
            ("c".to_string(), "2".to_string())
        ]
    );

    // An error stops the rest of the message.
    let err = client
        .simple_query(
            "INSERT INTO t VALUES ('d', 3); SELECT * FROM not_there; INSERT INTO t VALUES ('e', 4)",
        )
        .await
        .unwrap_err();
    assert_eq!(err.code().map(|c| c.code()), Some("42P01"));
    let rows = simple_rows(&client, "SELECT count(*) FROM multi.t").await;
    assert_eq!(rows, vec![vec![Some("3".to_string())]]);
    gw.shutdown().await;
}

#[tokio::test]
async fn demo_tpch_is_queryable_at_once() {
    use tpchgen::generators::LineItemGenerator;
    let expected = LineItemGenerator::new(0.001, 1, 1).iter().count();
    let wh = tempfile::tempdir().unwrap();
    let gw = start(test_config(wh.path(), true)).await;
    let client = connect(&gw).await;
    let rows = simple_rows(&client, "SELECT count(*) FROM tpch.lineitem").await;
    assert_eq!(rows, vec![vec![Some(expected.to_string())]]);
    let rows = simple_rows(
        &client,
        "SELECT n.n_name, count(*) AS c FROM tpch.nation n JOIN tpch.region r ON n.n_regionkey = r.r_regionkey
         WHERE r.r_name = 'ASIA' GROUP BY n.n_name ORDER BY n.n_name",
    )
    .await;
    let names: Vec<String> = rows.iter().filter_map(|r| r[0].clone()).collect();
    assert_eq!(
        names,
        vec!["CHINA", "INDIA", "INDONESIA", "JAPAN", "VIETNAM"]
    );
    gw.shutdown().await;
}

#[tokio::test]
async fn psql_runs_queries_end_to_end() {
    let wh = tempfile::tempdir().unwrap();
    let gw = start(test_config(wh.path(), false)).await;
    let out = psql_output(&gw, "CREATE DATABASE p; CREATE TABLE p.t (a int, b string) USING parquet; INSERT INTO p.t VALUES (1, 'x'), (2, NULL); SELECT a, b FROM p.t ORDER BY a").await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "psql failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("1|x\n2|\n"), "{stdout}");
    let out = psql_output(&gw, "SELECT * FROM p.nope").await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ERROR"), "{stderr}");
    gw.shutdown().await;
}
