//! Postgres → Spark translation end to end: Postgres SQL through the real gateway on the
//! embedded service, answers checked as Postgres gives them (NULL ordering, column
//! names, integer division, OFFSET paging, regex matches, refusals with 0A000).

mod common;

use common::*;
use tokio_postgres::Client;

async fn setup(c: &Client) {
    c.batch_execute(
        "CREATE DATABASE tr; CREATE TABLE tr.t (id int, s string, n int, m int) USING parquet; \
         INSERT INTO tr.t VALUES (1, 'Abc', 7, NULL), (2, NULL, 8, 1), (3, 'xyz', -7, 2)",
    )
    .await
    .expect("setup");
}

fn col(rows: &[Vec<Option<String>>], i: usize) -> Vec<Option<String>> {
    rows.iter().map(|r| r[i].clone()).collect()
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

#[tokio::test]
async fn postgres_meaning_on_the_embedded_service() {
    let wh = tempfile::tempdir().unwrap();
    let gw = start(test_config(wh.path(), false)).await;
    let c = connect(&gw).await;
    setup(&c).await;

    // NULLs sort last ascending and first descending, as in Postgres.
    let asc = simple_rows(&c, "SELECT m FROM tr.t ORDER BY m").await;
    assert_eq!(col(&asc, 0), vec![s("1"), s("2"), None]);
    let desc = simple_rows(&c, "SELECT m FROM tr.t ORDER BY m DESC").await;
    assert_eq!(col(&desc, 0), vec![None, s("2"), s("1")]);

    // Output columns are named as Postgres names them.
    let rows = c
        .query(
            "SELECT sum(n), count(*), max(n) + 1, n::text FROM tr.t GROUP BY n ORDER BY 1 LIMIT 1",
            &[],
        )
        .await
        .expect("names");
    let names: Vec<&str> = rows[0].columns().iter().map(|c| c.name()).collect();
    assert_eq!(names, ["sum", "count", "?column?", "n"]);

    // Integer division truncates toward zero (literals; columns once metadata is cached).
    let div = simple_rows(&c, "SELECT 7 / 2, -7 / 2").await;
    assert_eq!(div[0], vec![s("3"), s("-3")]);
    let _ = simple_rows(
        &c,
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'tr'",
    )
    .await;
    let div = simple_rows(&c, "SELECT n / 2 FROM tr.t ORDER BY id").await;
    assert_eq!(col(&div, 0), vec![s("3"), s("4"), s("-3")]);

    // OFFSET paging over the query's own order.
    let page = simple_rows(
        &c,
        "SELECT id, s FROM tr.t ORDER BY id DESC LIMIT 1 OFFSET 1",
    )
    .await;
    assert_eq!(page, vec![vec![s("2"), None]]);
    let rest = simple_rows(&c, "SELECT id FROM tr.t ORDER BY id OFFSET 1").await;
    assert_eq!(col(&rest, 0), vec![s("2"), s("3")]);

    // Regex operators.
    let re = simple_rows(
        &c,
        "SELECT id FROM tr.t WHERE s ~* '^a' OR s ~ 'z$' ORDER BY id",
    )
    .await;
    assert_eq!(col(&re, 0), vec![s("1"), s("3")]);
    let not = simple_rows(
        &c,
        "SELECT id FROM tr.t WHERE s !~ '[[:upper:]]' ORDER BY id",
    )
    .await;
    assert_eq!(col(&not, 0), vec![s("3")]);

    // No Spark equivalent: 0A000 naming the construct, nothing run.
    assert_eq!(
        sqlstate_of(&c, "SELECT id::regclass FROM tr.t").await,
        "0A000"
    );
    assert_eq!(
        sqlstate_of(&c, "SELECT * FROM tr.t LIMIT 1 OFFSET 1").await,
        "0A000"
    );
}

/// Integer division of columns keeps Postgres' meaning in a session's first statement,
/// before any catalog query has cached the table's columns (the gateway loads them).
#[tokio::test]
async fn integer_division_of_columns_without_a_catalog_query_first() {
    let wh = tempfile::tempdir().unwrap();
    let gw = start(test_config(wh.path(), false)).await;
    let c = connect(&gw).await;
    setup(&c).await;
    let div = simple_rows(&c, "SELECT n / 2 AS h FROM tr.t ORDER BY id").await;
    assert_eq!(col(&div, 0), vec![s("3"), s("4"), s("-3")]);
}

/// `generate_series` in FROM runs on the embedded service (Spark's `explode(sequence(…))`)
/// with PostgreSQL's answers: the expected rows are PostgreSQL 15's for the same
/// statements and data (checked with Debian's server).
#[tokio::test]
async fn generate_series_as_postgres_answers_it() {
    let wh = tempfile::tempdir().unwrap();
    let gw = start(test_config(wh.path(), false)).await;
    let c = connect(&gw).await;
    setup(&c).await;
    let series = |sql: &'static str| {
        let c = &c;
        async move { col(&simple_rows(c, sql).await, 0) }
    };
    let ints = |v: &[i64]| v.iter().map(|n| s(&n.to_string())).collect::<Vec<_>>();
    assert_eq!(
        series("SELECT * FROM generate_series(1, 5)").await,
        ints(&[1, 2, 3, 4, 5])
    );
    assert_eq!(
        series("SELECT * FROM generate_series(1, 10, 3)").await,
        ints(&[1, 4, 7, 10])
    );
    assert_eq!(
        series("SELECT n FROM generate_series(5, 1, -2) AS g(n)").await,
        ints(&[5, 3, 1])
    );
    // named as Postgres names the column
    for (sql, name) in [
        ("SELECT * FROM generate_series(1, 3)", "generate_series"),
        ("SELECT * FROM generate_series(1, 3) AS g", "g"),
        ("SELECT * FROM generate_series(1, 3) AS g(n)", "n"),
    ] {
        let rows = c.query(sql, &[]).await.expect(sql);
        assert_eq!(rows[0].columns()[0].name(), name, "{sql}");
    }
    // a step pointing away from the stop: no rows (Spark's `sequence` would fail)
    assert_eq!(
        series("SELECT * FROM generate_series(5, 1)").await,
        ints(&[])
    );
    assert_eq!(
        series(
            "SELECT d FROM generate_series(TIMESTAMP '2024-01-01', TIMESTAMP '2024-03-01', \
             INTERVAL '1 month') AS d"
        )
        .await,
        vec![
            s("2024-01-01 00:00:00"),
            s("2024-02-01 00:00:00"),
            s("2024-03-01 00:00:00")
        ]
    );
    let days = simple_rows(
        &c,
        "SELECT g FROM generate_series(DATE '2024-01-30', DATE '2024-02-02', INTERVAL '1 day') g",
    )
    .await;
    let days: Vec<String> = days
        .iter()
        .map(|r| r[0].clone().unwrap_or_default().chars().take(10).collect())
        .collect();
    assert_eq!(
        days,
        ["2024-01-30", "2024-01-31", "2024-02-01", "2024-02-02"]
    );
    // joined with a table
    let joined = simple_rows(
        &c,
        "SELECT t.id, g FROM tr.t JOIN generate_series(1, 2) g ON g <= t.id ORDER BY t.id, g",
    )
    .await;
    let pairs: Vec<(Option<String>, Option<String>)> = joined
        .iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    let expected: Vec<(Option<String>, Option<String>)> = [(1, 1), (2, 1), (2, 2), (3, 1), (3, 2)]
        .iter()
        .map(|(a, b)| (s(&a.to_string()), s(&b.to_string())))
        .collect();
    assert_eq!(pairs, expected);
    let buckets = simple_rows(
        &c,
        "SELECT g, count(t.id) FROM generate_series(0, 3) g LEFT JOIN tr.t ON t.id = g \
         GROUP BY g ORDER BY g",
    )
    .await;
    assert_eq!(col(&buckets, 1), ints(&[0, 1, 1, 1]));
}

/// Integer division where the column's type comes from a derived table or CTE, or from
/// the session's current database when the table name is in several databases: it
/// truncates as on PostgreSQL 15 (`SELECT x / 2 FROM (SELECT n AS x FROM t) s` gives 3,
/// 4, -3 there for n = 7, 8, -7).
#[tokio::test]
async fn integer_division_through_derived_tables_and_the_current_database() {
    let wh = tempfile::tempdir().unwrap();
    let gw = start(test_config(wh.path(), false)).await;
    let c = connect(&gw).await;
    setup(&c).await;
    // the same table name in a second database, with a double column of the same name
    c.batch_execute(
        "CREATE DATABASE tr2; CREATE TABLE tr2.t (id int, n double) USING parquet; \
         INSERT INTO tr2.t VALUES (1, 7.0)",
    )
    .await
    .expect("second database");
    let truncated = vec![s("3"), s("4"), s("-3")];
    for sql in [
        "SELECT x / 2 FROM (SELECT id, n AS x FROM tr.t) s ORDER BY id",
        "WITH c AS (SELECT id, n + 0 AS x FROM tr.t) SELECT x / 2 FROM c ORDER BY id",
        "SELECT s.x / 2 FROM (SELECT * FROM (SELECT id, n AS x FROM tr.t) i) s ORDER BY id",
    ] {
        assert_eq!(col(&simple_rows(&c, sql).await, 0), truncated, "{sql}");
    }
    // unqualified: the current database's table (Spark reads it from there only)
    c.batch_execute("USE tr").await.expect("use");
    assert_eq!(
        col(&simple_rows(&c, "SELECT n / 2 FROM t ORDER BY id").await, 0),
        truncated
    );
    c.batch_execute("USE tr2").await.expect("use");
    assert_eq!(
        col(&simple_rows(&c, "SELECT n / 2 FROM t").await, 0),
        vec![s("3.5")]
    );
}
