//! The catalog end to end: psql's meta-commands and catalog SQL answered by the gateway
//! from cached DLI metadata — never by a DLI job — over the real embedded service.
//! Also routing (a user query is never answered locally), invalidation after DDL, the
//! refresh command and browsing a warm cache while DLI is down.

mod common;

use std::time::Duration;

use common::*;
use dli_pg_gateway::app::Gateway;

const SHOP: &[&str] = &[
    "CREATE DATABASE shop COMMENT 'the shop'",
    "CREATE TABLE shop.items (id int COMMENT 'item id', name string, price decimal(10,2), \
     code varchar(20), added date, seen timestamp, tags array<string>, attrs map<string,int>, \
     dt string COMMENT 'load day') USING parquet PARTITIONED BY (dt) COMMENT 'things we sell'",
];

fn lines(s: &str) -> Vec<&str> {
    s.lines().filter(|l| !l.is_empty()).collect()
}

async fn setup_shop(gw: &Gateway) {
    let client = connect(gw).await;
    for sql in SHOP {
        client.simple_query(sql).await.expect(sql);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psql_meta_commands_are_answered_without_jobs() {
    let wh = tempfile::tempdir().unwrap();
    let (svc, base) = service(wh.path(), true).await;
    let cfg = gateway_config(&svc, &base);
    let gw = start(cfg.clone()).await;
    setup_shop(&gw).await;
    let jobs_before = job_count(&cfg).await;

    // \l: the one database every connection sees.
    let l = psql(&gw, "\\l").await;
    assert!(lines(&l)[0].starts_with("dli|dli|UTF-8"), "{l}");

    // \dn: every DLI database is a schema, `default` included, and the gateway's
    // Flink schema.
    assert_eq!(
        lines(&psql(&gw, "\\dn").await),
        ["default|dli", "dli_flink|dli", "shop|dli", "tpch|dli"]
    );

    // \dt lists the session's database (search_path = currentdb) …
    assert_eq!(psql(&gw, "\\dt").await.trim(), "");
    // … \dt db.* another one.
    let dt = psql(&gw, "\\dt tpch.*").await;
    assert_eq!(lines(&dt).len(), 8, "{dt}");
    assert!(dt.contains("tpch|nation|table|dli"), "{dt}");
    assert_eq!(
        psql(&gw, "\\dt shop.*").await.trim(),
        "shop|items|table|dli"
    );

    // \d db.table: the OID lookup, then the column query that sends the OID back.
    let d = psql(&gw, "\\d shop.items").await;
    assert_eq!(
        lines(&d),
        [
            "id|integer|||",
            "name|text|||",
            "price|numeric(10,2)|||",
            "code|character varying(20)|||",
            "added|date|||",
            "seen|timestamp without time zone|||",
            "tags|text[]|||",
            "attrs|json|||",
            "dt|text|||",
        ],
        "{d}"
    );
    let d = psql(&gw, "\\d tpch.nation").await;
    assert!(
        d.starts_with("n_nationkey|bigint|||\nn_name|text|||"),
        "{d}"
    );

    // \d+: storage, comments from DLI, the partition column marked.
    let dplus = psql(&gw, "\\d+ shop.items").await;
    assert!(dplus.contains("id|integer||||plain|||item id"), "{dplus}");
    assert!(
        dplus.contains("dt|text||||extended|||(partition column) load day"),
        "{dplus}"
    );
    let dtplus = psql(&gw, "\\dt+ shop.*").await;
    assert!(dtplus.contains("|things we sell"), "{dtplus}");
    assert!(psql(&gw, "\\dn+").await.contains("shop|dli||the shop"));

    // \dv and \df: DLI has no views here and no user functions.
    assert_eq!(psql(&gw, "\\dv").await.trim(), "");
    assert_eq!(psql(&gw, "\\dv tpch.*").await.trim(), "");
    assert_eq!(psql(&gw, "\\df").await.trim(), "");

    // USE changes what \dt shows (the search path), still without a job.
    let client = connect(&gw).await;
    client.simple_query("USE tpch").await.unwrap();
    let rows = simple_rows(
        &client,
        "SELECT c.relname FROM pg_catalog.pg_class c WHERE pg_catalog.pg_table_is_visible(c.oid) \
         AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) \
         ORDER BY 1",
    )
    .await;
    assert_eq!(rows.len(), 8);

    assert_eq!(
        job_count(&cfg).await,
        jobs_before,
        "catalog queries ran DLI jobs"
    );
    gw.shutdown().await;
    svc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oids_are_stable_and_found_when_sent_back() {
    let wh = tempfile::tempdir().unwrap();
    let (svc, base) = service(wh.path(), true).await;
    let cfg = gateway_config(&svc, &base);
    let oid_sql = "SELECT c.oid, n.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n \
                   ON n.oid = c.relnamespace WHERE c.relname = 'nation' AND n.nspname = 'tpch'";
    let first = {
        let gw = start(cfg.clone()).await;
        let rows = simple_rows(&connect(&gw).await, oid_sql).await;
        gw.shutdown().await;
        rows
    };
    let gw = start(cfg.clone()).await;
    let client = connect(&gw).await;
    assert_eq!(
        simple_rows(&client, oid_sql).await,
        first,
        "OIDs survive restarts"
    );
    let oid: u32 = first[0][0].as_deref().unwrap().parse().unwrap();
    assert!(oid >= 16384);
    let cols = simple_rows(
        &client,
        &format!(
            "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) FROM \
             pg_catalog.pg_attribute a WHERE a.attrelid = '{oid}' AND a.attnum > 0 ORDER BY a.attnum"
        ),
    )
    .await;
    assert_eq!(cols[0], [Some("n_nationkey".into()), Some("bigint".into())]);
    let name = simple_rows(&client, &format!("SELECT '{oid}'::regclass::oid = {oid}")).await;
    assert_eq!(name, [[Some("t".into())]]);
    gw.shutdown().await;
    svc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_queries_are_never_answered_locally() {
    let wh = tempfile::tempdir().unwrap();
    let (svc, base) = service(wh.path(), true).await;
    let cfg = gateway_config(&svc, &base);
    let gw = start(cfg.clone()).await;
    let client = connect(&gw).await;

    let before = job_count(&cfg).await;
    let rows = simple_rows(
        &client,
        "SELECT count(*) FROM pg_class WHERE relname = 'nation'",
    )
    .await;
    assert_eq!(rows, [[Some("1".into())]]);
    assert_eq!(job_count(&cfg).await, before, "pg_class is local");

    // A schema-qualified user relation named like a catalog table goes to DLI, whose
    // check-sql refuses it (no such table) before any job runs.
    let err = client
        .simple_query("SELECT * FROM default.pg_class")
        .await
        .unwrap_err();
    let db = err.as_db_error().expect("a database error");
    assert_eq!(db.code().code(), "42P01");
    assert!(db.detail().unwrap_or_default().contains("DLI"), "{db:?}");

    // A user query reading a DLI table runs on DLI.
    let n = simple_rows(&client, "SELECT count(*) FROM tpch.nation").await;
    assert_eq!(n, [[Some("25".into())]]);
    assert_eq!(job_count(&cfg).await, before + 1);

    // Mixing catalog and DLI relations is refused clearly, without a job.
    let err = client
        .simple_query("SELECT n.n_name FROM tpch.nation n JOIN pg_class c ON c.relname = n.n_name")
        .await
        .unwrap_err();
    let db = err.as_db_error().expect("a database error");
    assert_eq!(db.code().code(), "0A000");
    assert!(db.message().contains("pg_class") && db.message().contains("tpch.nation"));
    assert_eq!(job_count(&cfg).await, before + 1);
    gw.shutdown().await;
    svc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ddl_invalidates_and_refresh_reloads() {
    let wh = tempfile::tempdir().unwrap();
    let (svc, base) = service(wh.path(), false).await;
    let mut cfg = gateway_config(&svc, &base);
    cfg.catalog.ttl_secs = 3600;
    let a = start(cfg.clone()).await;
    let b = start(cfg.clone()).await;
    let (ca, cb) = (connect(&a).await, connect(&b).await);
    let tables = "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = 'shop' ORDER BY 1";
    ca.simple_query("CREATE DATABASE shop").await.unwrap();
    assert_eq!(
        simple_rows(
            &ca,
            "SELECT nspname FROM pg_namespace WHERE nspname = 'shop'"
        )
        .await
        .len(),
        1
    );
    assert!(
        simple_rows(&cb, tables).await.is_empty(),
        "b's cache is warm and empty"
    );

    // DDL through gateway a: a sees it at once.
    ca.simple_query("CREATE TABLE shop.t1 (a int) USING parquet")
        .await
        .unwrap();
    assert_eq!(simple_rows(&ca, tables).await, [[Some("t1".into())]]);
    // b did not run it: its cache (TTL 1h) still says nothing …
    assert!(simple_rows(&cb, tables).await.is_empty());
    // … until refreshed.
    let r = simple_rows(&cb, "SELECT dli_catalog_refresh()").await;
    assert!(r[0][0].as_deref().unwrap().contains("tables"), "{r:?}");
    assert_eq!(simple_rows(&cb, tables).await, [[Some("t1".into())]]);
    // One database at a time works too; DROP invalidates.
    cb.simple_query("DROP TABLE shop.t1").await.unwrap();
    assert!(simple_rows(&cb, tables).await.is_empty());
    assert_eq!(simple_rows(&ca, tables).await.len(), 1, "a still cached");
    simple_rows(&ca, "SELECT dli_catalog_refresh('shop')").await;
    assert!(simple_rows(&ca, tables).await.is_empty());
    let status = simple_rows(
        &ca,
        "SELECT databases, tables, stale FROM dli_catalog_status()",
    )
    .await;
    assert_eq!(
        status,
        [[Some("2".into()), Some("0".into()), Some("f".into())]]
    );
    a.shutdown().await;
    b.shutdown().await;
    svc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warm_cache_browses_while_dli_is_down() {
    let wh = tempfile::tempdir().unwrap();
    let (svc, base) = service(wh.path(), true).await;
    let mut cfg = gateway_config(&svc, &base);
    cfg.catalog.ttl_secs = 0; // every catalog query tries to reload
    cfg.catalog.error_retry_secs = 0;
    let warm = start(cfg.clone()).await;
    let cold = start(cfg.clone()).await;
    let client = connect(&warm).await;
    let cold_client = connect(&cold).await;
    assert_eq!(lines(&psql(&warm, "\\dt tpch.*").await).len(), 8);
    // Columns are described when first needed: look at them once while DLI is up.
    assert!(psql(&warm, "\\d tpch.nation").await.contains("n_name|text"));

    svc.shutdown().await;
    tokio::time::sleep(Duration::from_millis(50)).await;

    // Warm: psql still browses, from the stale snapshot.
    assert_eq!(lines(&psql(&warm, "\\dt tpch.*").await).len(), 8);
    assert!(psql(&warm, "\\d tpch.nation").await.contains("n_name|text"));
    let status = simple_rows(
        &client,
        "SELECT stale, last_error IS NOT NULL FROM dli_catalog_status()",
    )
    .await;
    assert_eq!(status, [[Some("t".into()), Some("t".into())]]);
    // Cold: a clear error, not a hang.
    let err = cold_client
        .simple_query("SELECT * FROM pg_namespace")
        .await
        .unwrap_err();
    let db = err.as_db_error().expect("a database error");
    assert_eq!(db.code().code(), "58000", "{db:?}");
    assert!(
        db.message().starts_with("catalog metadata unavailable"),
        "{}",
        db.message()
    );
    warm.shutdown().await;
    cold.shutdown().await;
}

/// Catalog answers are remembered per metadata snapshot and session context
/// (`src/catalog/answers.rs`): the same statement asked again after DDL, after a refresh
/// (a change made through another gateway) or with another search path gets the new
/// answer, over both protocols.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remembered_answers_follow_the_snapshot_and_the_session() {
    let wh = tempfile::tempdir().unwrap();
    let (svc, base) = service(wh.path(), false).await;
    let mut cfg = gateway_config(&svc, &base);
    cfg.catalog.ttl_secs = 3600;
    let a = start(cfg.clone()).await;
    let b = start(cfg).await;
    let (ca, cb) = (connect(&a).await, connect(&b).await);
    ca.simple_query("CREATE DATABASE shop").await.unwrap();
    ca.simple_query("CREATE TABLE shop.t (a int) USING parquet")
        .await
        .unwrap();
    let cols = "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) \
                FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
                JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                WHERE n.nspname = 'shop' AND c.relname = 't' AND a.attnum > 0 ORDER BY a.attnum";
    let s = |v: &[(&str, &str)]| -> Vec<Vec<Option<String>>> {
        v.iter()
            .map(|(n, t)| vec![Some(n.to_string()), Some(t.to_string())])
            .collect()
    };
    for _ in 0..3 {
        assert_eq!(simple_rows(&ca, cols).await, s(&[("a", "integer")]));
        assert_eq!(extended(&ca, cols).await, ["a integer"]);
    }
    // DDL through this gateway: the same statements get the new columns.
    ca.simple_query("DROP TABLE shop.t").await.unwrap();
    ca.simple_query("CREATE TABLE shop.t (b string, c bigint) USING parquet")
        .await
        .unwrap();
    let now = s(&[("b", "text"), ("c", "bigint")]);
    assert_eq!(simple_rows(&ca, cols).await, now);
    assert_eq!(extended(&ca, cols).await, ["b text", "c bigint"]);

    // A change through another gateway shows after this one's refresh, not before.
    let tables = "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = 'shop' ORDER BY 1";
    for _ in 0..2 {
        assert_eq!(simple_rows(&ca, tables).await, [[Some("t".into())]]);
    }
    cb.simple_query("CREATE TABLE shop.u (x int) USING parquet")
        .await
        .unwrap();
    assert_eq!(simple_rows(&ca, tables).await, [[Some("t".into())]]);
    simple_rows(&ca, "SELECT dli_catalog_refresh()").await;
    let both = [[Some("t".to_string())], [Some("u".to_string())]];
    assert_eq!(simple_rows(&ca, tables).await, both);

    // The session is part of the answer: same text, another search path.
    let visible = "SELECT c.relname FROM pg_catalog.pg_class c \
                   JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                   WHERE n.nspname = 'shop' AND pg_catalog.pg_table_is_visible(c.oid) ORDER BY 1";
    assert!(simple_rows(&ca, visible).await.is_empty());
    ca.simple_query("SET search_path = shop").await.unwrap();
    assert_eq!(simple_rows(&ca, visible).await, both);
    assert!(simple_rows(&cb, visible).await.is_empty(), "b's session");
    a.shutdown().await;
    b.shutdown().await;
    svc.shutdown().await;
}

async fn extended(c: &tokio_postgres::Client, sql: &str) -> Vec<String> {
    c.query(sql, &[])
        .await
        .unwrap()
        .iter()
        .map(|r| format!("{} {}", r.get::<_, String>(0), r.get::<_, String>(1)))
        .collect()
}
