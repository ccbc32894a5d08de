//! The catalog against a DLI shaped like the reference: a mock DLI (in-process, axum)
//! serving D databases × T tables whose table list (§7.2.3) has no columns, as Table
//! 7-31 documents, so every table's columns cost one describe (§7.2.4), answered after
//! a fixed delay. The real gateway (its DLI client and catalog) runs against it and a
//! real Postgres client sends what psql and pgjdbc send; the bench reports the time of
//! each step and the describe calls it caused.
//!
//! ```sh
//! cargo run --release --example catalog_dli_bench                  # 200 × 25, 50 ms, lazy
//! cargo run --release --example catalog_dli_bench -- 200 25 50 16   # … describe_concurrency 16
//! cargo run --release --example catalog_dli_bench -- 200 25 50 8 eager
//! ```

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use dli_pg_gateway::app::Gateway;
use dli_pg_gateway::config::Config;
use dli_pg_gateway::dli::AuthMode;
use serde_json::{Value, json};
use tokio_postgres::{NoTls, SimpleQueryMessage};

const PROJECT: &str = "bench-project";

struct Dli {
    databases: usize,
    tables: usize,
    delay: Duration,
    describes: AtomicUsize,
    running: AtomicUsize,
    peak: AtomicUsize,
}

fn param(q: &HashMap<String, String>, k: &str, default: usize) -> usize {
    q.get(k).and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn databases(
    State(d): State<Arc<Dli>>,
    Query(q): Query<HashMap<String, String>>,
) -> Json<Value> {
    let offset = param(&q, "offset", 0);
    let limit = param(&q, "limit", 100);
    let items: Vec<Value> = (0..d.databases)
        .skip(offset)
        .take(limit)
        .map(|i| {
            json!({"database_name": format!("db_{i:03}"), "owner": "bench",
            "table_number": d.tables, "description": ""})
        })
        .collect();
    Json(
        json!({"is_success": true, "message": "", "database_count": d.databases, "databases": items}),
    )
}

/// §7.2.3 with `with-detail=true`: Table 7-31's fields for a DLI table, no columns.
async fn tables(
    State(d): State<Arc<Dli>>,
    Path((_project, _db)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Json<Value> {
    let size = param(&q, "page-size", 100).clamp(1, 100);
    let page = param(&q, "current-page", 1).max(1);
    let items: Vec<Value> = (0..d.tables)
        .skip((page - 1) * size)
        .take(size)
        .map(|i| {
            json!({"create_time": 1517364268000i64, "data_location": "DLI",
            "last_access_time": 1517364268000i64, "owner": "bench",
            "table_name": format!("t_{i:03}"), "table_size": 4096, "table_type": "MANAGED"})
        })
        .collect();
    Json(json!({"is_success": true, "message": "", "table_count": d.tables, "tables": items}))
}

/// §7.2.4, after the configured delay.
async fn describe(
    State(d): State<Arc<Dli>>,
    Path((_, _db, _t)): Path<(String, String, String)>,
) -> Json<Value> {
    d.describes.fetch_add(1, Ordering::SeqCst);
    let now = d.running.fetch_add(1, Ordering::SeqCst) + 1;
    d.peak.fetch_max(now, Ordering::SeqCst);
    tokio::time::sleep(d.delay).await;
    d.running.fetch_sub(1, Ordering::SeqCst);
    let types = [
        "bigint",
        "string",
        "decimal(10,2)",
        "date",
        "timestamp",
        "int",
        "double",
        "boolean",
    ];
    let cols: Vec<Value> = types
        .iter()
        .enumerate()
        .map(|(i, t)| {
            json!({"column_name": format!("c{i}"), "description": "", "type": t,
            "is_partition_column": false})
        })
        .collect();
    Json(
        json!({"is_success": true, "message": "", "column_count": cols.len(), "columns": cols,
        "table_type": "MANAGED"}),
    )
}

async fn fallback() -> (StatusCode, Json<Value>) {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error_code": "DLI.0002", "error_msg": "not served by the bench"})),
    )
}

fn steps() -> Vec<(&'static str, String)> {
    let getcolumns = |schema_cond: &str| {
        format!(
            "SELECT * FROM (SELECT n.nspname,c.relname,a.attname,a.atttypid,a.attnotnull,a.atttypmod,\
             a.attlen,row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum) AS attnum, \
             dsc.description FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_class c ON \
             (c.relnamespace = n.oid) JOIN pg_catalog.pg_attribute a ON (a.attrelid=c.oid) JOIN \
             pg_catalog.pg_type t ON (a.atttypid = t.oid) LEFT JOIN pg_catalog.pg_description dsc ON \
             (c.oid=dsc.objoid AND a.attnum = dsc.objsubid) WHERE c.relkind in ('r','p','v','f','m') \
             and a.attnum > 0 AND NOT a.attisdropped {schema_cond}) c WHERE true ORDER BY \
             nspname,c.relname,attnum"
        )
    };
    vec![
        (
            "first psql \\dt db_100.* (cold cache)",
            "SELECT n.nspname as \"Schema\", c.relname as \"Name\", CASE c.relkind WHEN 'r' THEN \
             'table' WHEN 'v' THEN 'view' END as \"Type\", pg_catalog.pg_get_userbyid(c.relowner) as \
             \"Owner\" FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid = \
             c.relnamespace WHERE c.relkind IN ('r','p','') AND n.nspname OPERATOR(pg_catalog.~) \
             '^(db_100)$' COLLATE pg_catalog.default ORDER BY 1,2"
                .into(),
        ),
        (
            "psql \\dt *.* (all 5,000)",
            "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace \
             n ON n.oid = c.relnamespace WHERE c.relkind IN ('r','p','') ORDER BY 1,2"
                .into(),
        ),
        (
            "psql \\d db_100.t_007: find the table",
            "SELECT c.oid, n.nspname, c.relname FROM pg_catalog.pg_class c LEFT JOIN \
             pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relname \
             OPERATOR(pg_catalog.~) '^(t_007)$' COLLATE pg_catalog.default AND n.nspname \
             OPERATOR(pg_catalog.~) '^(db_100)$' COLLATE pg_catalog.default ORDER BY 2, 3"
                .into(),
        ),
        (
            "psql \\d db_100.t_007: its columns (attrelid = oid)",
            "@ATTRS".into(),
        ),
        (
            "pgjdbc getColumns(null, \"db_101\", \"%\", \"%\")",
            getcolumns("AND n.nspname LIKE 'db_101'"),
        ),
        (
            "information_schema.columns of db_102",
            "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE \
             table_schema = 'db_102' ORDER BY table_name, ordinal_position"
                .into(),
        ),
        ("pgjdbc getColumns(null, null, \"%\", \"%\") (all)", getcolumns("")),
        ("the same again (warm)", getcolumns("")),
    ]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, d: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
    let eager = args.iter().any(|a| a == "eager");
    let dli = Arc::new(Dli {
        databases: num(0, 200),
        tables: num(1, 25),
        delay: Duration::from_millis(num(2, 50) as u64),
        describes: AtomicUsize::new(0),
        running: AtomicUsize::new(0),
        peak: AtomicUsize::new(0),
    });
    let concurrency = num(3, 8);
    let app = Router::new()
        .route("/v1.0/{p}/databases", get(databases))
        .route("/v1.0/{p}/databases/{db}/tables", get(tables))
        .route("/v1.0/{p}/databases/{db}/tables/{t}", get(describe))
        .fallback(fallback)
        .with_state(dli.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let endpoint = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });

    let mut cfg = Config::from_toml_and_env("", &[])?;
    cfg.server.listen = "127.0.0.1:0".into();
    cfg.dli.endpoint = endpoint;
    cfg.dli.project_id = PROJECT.into();
    cfg.dli.auth.mode = AuthMode::None;
    cfg.catalog.describe_concurrency = concurrency;
    cfg.catalog.lazy_columns = !eager;
    let gw = Gateway::start(cfg).await?;
    let conn = format!(
        "host=127.0.0.1 port={} user=dli password=dli dbname=dli",
        gw.addr().port()
    );
    let (client, connection) = tokio_postgres::connect(&conn, NoTls).await?;
    tokio::spawn(connection);

    println!(
        "{} databases x {} tables, describe answered after {} ms, describe_concurrency {}, \
         lazy_columns {}\n",
        dli.databases,
        dli.tables,
        dli.delay.as_millis(),
        concurrency,
        !eager
    );
    println!("| step | rows | time | describe calls |\n|---|---|---|---|");
    let mut oid = String::new();
    for (name, sql) in steps() {
        let sql = if sql == "@ATTRS" {
            format!(
                "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, \
                 a.attnum FROM pg_catalog.pg_attribute a WHERE a.attrelid = '{oid}' AND a.attnum > 0 \
                 AND NOT a.attisdropped ORDER BY a.attnum"
            )
        } else {
            sql
        };
        let before = dli.describes.load(Ordering::SeqCst);
        let t = Instant::now();
        let msgs = client.simple_query(&sql).await?;
        let took = t.elapsed();
        let rows: Vec<_> = msgs
            .iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::Row(r) => Some(r),
                _ => None,
            })
            .collect();
        if name.contains("find the table")
            && let Some(r) = rows.first()
        {
            oid = r.get(0).unwrap_or_default().to_string();
        }
        println!(
            "| {name} | {} | {} | {} |",
            rows.len(),
            ms(took),
            dli.describes.load(Ordering::SeqCst) - before
        );
    }
    println!(
        "\ntotal describe calls {}, at most {} at once",
        dli.describes.load(Ordering::SeqCst),
        dli.peak.load(Ordering::SeqCst)
    );
    gw.shutdown().await;
    Ok(())
}
