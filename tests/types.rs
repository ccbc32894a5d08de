//! Every mapped type, through the literal path and the `$1` path, decoded by
//! tokio-postgres in binary (extended protocol) and checked in text (simple protocol).

mod common;

use chrono::{NaiveDate, NaiveDateTime};
use common::*;
use rust_decimal::Decimal;
use serde_json::json;
use tokio_postgres::Client;
use tokio_postgres::types::{FromSqlOwned, ToSql, Type};

async fn setup(client: &Client) {
    client
        .batch_execute(
            "CREATE DATABASE types; CREATE TABLE types.one (k int) USING parquet; INSERT INTO types.one VALUES (1)",
        )
        .await
        .expect("setup");
}

/// `SELECT <expr> AS v FROM types.one`: the column type and the binary-decoded value.
async fn literal<T: FromSqlOwned>(client: &Client, expr: &str) -> (Type, T) {
    let row = client
        .query_one(&format!("SELECT {expr} AS v FROM types.one"), &[])
        .await
        .unwrap_or_else(|e| panic!("{expr}: {e:?}"));
    (row.columns()[0].type_().clone(), row.get(0))
}

/// `SELECT CAST($1 AS <spark type>) AS v FROM types.one` with a typed parameter.
async fn param<T: FromSqlOwned>(
    client: &Client,
    spark_type: &str,
    pg_type: Type,
    value: &(dyn ToSql + Sync),
) -> (Type, T) {
    let sql = format!("SELECT CAST($1 AS {spark_type}) AS v FROM types.one");
    let stmt = client
        .prepare_typed(&sql, &[pg_type])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    let row = client
        .query_one(&stmt, &[value])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    (row.columns()[0].type_().clone(), row.get(0))
}

/// The text rendering of `<expr>` through the simple protocol.
async fn text(client: &Client, expr: &str) -> Option<String> {
    simple_rows(client, &format!("SELECT {expr} AS v FROM types.one")).await[0][0].clone()
}

#[tokio::test]
async fn scalar_types_both_paths() {
    let wh = tempfile::tempdir().unwrap();
    let gw = start(test_config(wh.path(), false)).await;
    let c = connect(&gw).await;
    setup(&c).await;

    assert_eq!(
        literal::<i16>(&c, "CAST(7 AS TINYINT)").await,
        (Type::INT2, 7)
    );
    assert_eq!(
        param::<i16>(&c, "TINYINT", Type::INT2, &-128i16).await,
        (Type::INT2, -128)
    );
    assert_eq!(
        literal::<i16>(&c, "CAST(-300 AS SMALLINT)").await,
        (Type::INT2, -300)
    );
    assert_eq!(
        param::<i16>(&c, "SMALLINT", Type::INT2, &32767i16).await,
        (Type::INT2, 32767)
    );
    assert_eq!(
        literal::<i32>(&c, "CAST(-5 AS INT)").await,
        (Type::INT4, -5)
    );
    assert_eq!(
        param::<i32>(&c, "INT", Type::INT4, &i32::MIN).await,
        (Type::INT4, i32::MIN)
    );
    assert_eq!(
        literal::<i64>(&c, "CAST(9000000000 AS BIGINT)").await,
        (Type::INT8, 9_000_000_000)
    );
    assert_eq!(
        param::<i64>(&c, "BIGINT", Type::INT8, &i64::MAX).await,
        (Type::INT8, i64::MAX)
    );
    assert_eq!(
        literal::<f32>(&c, "CAST(1.5 AS FLOAT)").await,
        (Type::FLOAT4, 1.5)
    );
    assert_eq!(
        param::<f32>(&c, "FLOAT", Type::FLOAT4, &-0.25f32).await,
        (Type::FLOAT4, -0.25)
    );
    assert_eq!(
        literal::<f64>(&c, "CAST(2.25 AS DOUBLE)").await,
        (Type::FLOAT8, 2.25)
    );
    assert_eq!(
        param::<f64>(&c, "DOUBLE", Type::FLOAT8, &1e-300f64).await,
        (Type::FLOAT8, 1e-300)
    );
    let (t, v) = param::<f64>(&c, "DOUBLE", Type::FLOAT8, &f64::NAN).await;
    assert!(t == Type::FLOAT8 && v.is_nan());
    assert_eq!(literal::<bool>(&c, "true").await, (Type::BOOL, true));
    assert_eq!(
        param::<bool>(&c, "BOOLEAN", Type::BOOL, &false).await,
        (Type::BOOL, false)
    );
    assert_eq!(
        literal::<String>(&c, "'ünï ✓ 数据 ''q'''").await,
        (Type::TEXT, "ünï ✓ 数据 'q'".to_string())
    );
    assert_eq!(
        param::<String>(&c, "STRING", Type::TEXT, &"a'b\\c").await,
        (Type::TEXT, "a'b\\c".to_string())
    );
    let dec = Decimal::new(-123456, 2);
    assert_eq!(
        literal::<Decimal>(&c, "CAST('-1234.56' AS DECIMAL(10,2))").await,
        (Type::NUMERIC, dec)
    );
    assert_eq!(
        param::<Decimal>(&c, "DECIMAL(10,2)", Type::NUMERIC, &dec).await,
        (Type::NUMERIC, dec)
    );
    // 38 digits: beyond rust_decimal, so checked as text and as raw binary NUMERIC.
    let big = "12345678901234567890123456789012345.678";
    assert_eq!(
        text(&c, &format!("CAST('{big}' AS DECIMAL(38,3))"))
            .await
            .as_deref(),
        Some(big)
    );
    let day = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
    assert_eq!(
        literal::<NaiveDate>(&c, "DATE '2024-02-29'").await,
        (Type::DATE, day)
    );
    assert_eq!(
        param::<NaiveDate>(&c, "DATE", Type::DATE, &day).await,
        (Type::DATE, day)
    );
    let ts: NaiveDateTime = day.and_hms_micro_opt(23, 59, 58, 123_456).unwrap();
    assert_eq!(
        literal::<NaiveDateTime>(&c, "TIMESTAMP '2024-02-29 23:59:58.123456'").await,
        (Type::TIMESTAMP, ts)
    );
    assert_eq!(
        param::<NaiveDateTime>(&c, "TIMESTAMP", Type::TIMESTAMP, &ts).await,
        (Type::TIMESTAMP, ts)
    );
    let bytes = vec![0u8, 1, 0xfe, 0xff];
    assert_eq!(
        literal::<Vec<u8>>(&c, "X'0001FEFF'").await,
        (Type::BYTEA, bytes.clone())
    );
    assert_eq!(
        param::<Vec<u8>>(&c, "BINARY", Type::BYTEA, &bytes).await,
        (Type::BYTEA, bytes)
    );
    // NULLs of every scalar type come back as NULL, typed.
    for (spark, pg) in [
        ("INT", Type::INT4),
        ("STRING", Type::TEXT),
        ("DATE", Type::DATE),
        ("DECIMAL(5,1)", Type::NUMERIC),
    ] {
        let row = c
            .query_one(
                &format!("SELECT CAST(NULL AS {spark}) AS v FROM types.one"),
                &[],
            )
            .await
            .unwrap();
        assert_eq!(row.columns()[0].type_(), &pg);
        assert!(
            row.try_get::<_, Option<String>>(0)
                .map(|v| v.is_none())
                .unwrap_or(true)
        );
    }
    gw.shutdown().await;
}

#[tokio::test]
async fn nested_types_both_paths() {
    let wh = tempfile::tempdir().unwrap();
    let gw = start(test_config(wh.path(), false)).await;
    let c = connect(&gw).await;
    setup(&c).await;

    let ints = vec![Some(1), None, Some(3)];
    assert_eq!(
        literal::<Vec<Option<i32>>>(&c, "array(1, NULL, 3)").await,
        (Type::INT4_ARRAY, ints.clone())
    );
    assert_eq!(
        param::<Vec<Option<i32>>>(&c, "ARRAY<INT>", Type::INT4_ARRAY, &ints).await,
        (Type::INT4_ARRAY, ints)
    );
    let strs = vec![Some("a,b".to_string()), None, Some("q\"uote".to_string())];
    assert_eq!(
        literal::<Vec<Option<String>>>(&c, "array('a,b', NULL, 'q\"uote')").await,
        (Type::TEXT_ARRAY, strs.clone())
    );
    assert_eq!(
        param::<Vec<Option<String>>>(&c, "ARRAY<STRING>", Type::TEXT_ARRAY, &strs).await,
        (Type::TEXT_ARRAY, strs)
    );
    assert_eq!(
        text(&c, "array(1, NULL, 3)").await.as_deref(),
        Some("{1,NULL,3}")
    );
    // Maps and structs have no Postgres twin: JSON.
    assert_eq!(
        literal::<serde_json::Value>(&c, "map('k', 1)").await,
        (Type::JSON, json!({"k": 1}))
    );
    assert_eq!(
        literal::<serde_json::Value>(&c, "named_struct('a', 1, 'b', 'x')").await,
        (Type::JSON, json!({"a": 1, "b": "x"}))
    );
    assert_eq!(
        text(&c, "named_struct('a', 1, 'b', 'x')").await.as_deref(),
        Some(r#"{"a":1,"b":"x"}"#)
    );
    // The `$1` path: a JSON parameter bound to a map or struct cast.
    let m = json!({"k": 1, "z": null});
    assert_eq!(
        param::<serde_json::Value>(&c, "MAP<STRING,INT>", Type::JSON, &m).await,
        (Type::JSON, m)
    );
    let st = json!({"a": 7, "b": "seven"});
    assert_eq!(
        param::<serde_json::Value>(&c, "STRUCT<a:INT,b:STRING>", Type::JSON, &st).await,
        (Type::JSON, st)
    );
    gw.shutdown().await;
}
