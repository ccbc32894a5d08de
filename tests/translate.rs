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
