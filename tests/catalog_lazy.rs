//! Columns are described lazily, per database, through the real gateway and the real
//! embedded service (whose table list, like the reference's, has no columns): listing
//! tables describes nothing, psql `\d db.t` and a one-schema column query describe that
//! schema once, an unrestricted column query describes the rest, and Describe of a
//! DLI-bound statement describes the databases it names.

mod common;

use common::*;
use dli_pg_gateway::app::Gateway;

/// (described databases, describe calls so far).
async fn described(client: &tokio_postgres::Client) -> (String, String) {
    let rows = simple_rows(
        client,
        "SELECT described_databases, describes FROM dli_catalog_status()",
    )
    .await;
    (
        rows[0][0].clone().unwrap_or_default(),
        rows[0][1].clone().unwrap_or_default(),
    )
}

fn pair(a: u32, b: u32) -> (String, String) {
    (a.to_string(), b.to_string())
}

async fn gateway(wh: &std::path::Path) -> (dli_pg_gateway::localdli::LocalDli, Gateway) {
    let (svc, base) = service(wh, true).await;
    let cfg = gateway_config(&svc, &base);
    let gw = start(cfg).await;
    let client = connect(&gw).await;
    for sql in [
        "CREATE DATABASE shop",
        "CREATE TABLE shop.items (id int COMMENT 'item id', name string) COMMENT 'things'",
        "CREATE TABLE shop.orders (id int, item int)",
    ] {
        client.simple_query(sql).await.expect(sql);
    }
    (svc, gw)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn columns_are_described_per_database_when_first_needed() {
    let wh = tempfile::tempdir().unwrap();
    let (svc, gw) = gateway(wh.path()).await;
    let client = connect(&gw).await;
    simple_rows(&client, "SELECT dli_catalog_refresh()").await;
    let (_, start) = described(&client).await;
    let start: u32 = start.parse().unwrap();

    // Listing: nothing described.
    assert_eq!(psql(&gw, "\\dt tpch.*").await.lines().count(), 8);
    assert!(
        psql(&gw, "\\dt shop.*")
            .await
            .contains("shop|items|table|dli")
    );
    simple_rows(&client, "SELECT table_name FROM information_schema.tables").await;
    assert_eq!(described(&client).await, pair(0, start));

    // psql \d of one table: its database (2 tables), once.
    let d = psql(&gw, "\\d shop.items").await;
    assert!(d.contains("id|integer") && d.contains("name|text"), "{d}");
    assert_eq!(described(&client).await, pair(1, start + 2));
    let d = psql(&gw, "\\d+ shop.orders").await;
    assert!(d.contains("item|integer"), "{d}");
    assert_eq!(
        described(&client).await,
        pair(1, start + 2),
        "shop is loaded"
    );
    let comment = simple_rows(
        &client,
        "SELECT obj_description('shop.items'::regclass, 'pg_class')",
    )
    .await;
    assert_eq!(comment, [[Some("things".to_string())]]);

    // One schema by name: tpch's 8 tables.
    let cols = simple_rows(
        &client,
        "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'tpch'",
    )
    .await;
    assert_ne!(cols[0][0].as_deref(), Some("0"));
    assert_eq!(described(&client).await, pair(2, start + 10));

    // Everything: only `default` is left, and it has no tables.
    let all = simple_rows(
        &client,
        "SELECT count(DISTINCT attrelid) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
         WHERE c.relnamespace <> 11 AND c.relkind = 'r'",
    )
    .await;
    assert!(all[0][0].is_some());
    assert_eq!(described(&client).await, pair(3, start + 10));
    gw.shutdown().await;
    svc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_of_a_dli_statement_describes_the_databases_it_names() {
    let wh = tempfile::tempdir().unwrap();
    let (svc, gw) = gateway(wh.path()).await;
    let client = connect(&gw).await;
    simple_rows(&client, "SELECT dli_catalog_refresh()").await;
    let (_, start) = described(&client).await;
    let start: u32 = start.parse().unwrap();
    let stmt = client
        .prepare("SELECT id, name FROM shop.items WHERE id = $1")
        .await
        .expect("described without a job");
    let cols: Vec<(&str, String)> = stmt
        .columns()
        .iter()
        .map(|c| (c.name(), c.type_().name().to_string()))
        .collect();
    assert_eq!(
        cols,
        [("id", "int4".to_string()), ("name", "text".to_string())]
    );
    assert_eq!(described(&client).await, pair(1, start + 2));
    gw.shutdown().await;
    svc.shutdown().await;
}
