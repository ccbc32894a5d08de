//! Replays of the introspection SQL that BI tools and drivers send, verbatim, from
//! `tests/replay/*.sql`, against the real gateway and embedded service: every query must
//! be answered by the catalog (no DLI job), through both the simple and the extended
//! protocol, with the results its `@expect` lines state.
//!
//! File format (see `tests/replay/README.md`): blocks start with `-- @query <name>`;
//! `-- @let <var> = <sql>` binds the first value of a query to `${var}` in the block's
//! SQL; `-- @expect rows = N` / `rows >= N`, `-- @expect columns a,b`, `-- @expect row
//! v1|v2|…` (a row with exactly these cells; `*` any, `\N` NULL) and `-- @expect no-row
//! …` state the results.

mod common;

use std::path::Path;

use common::*;
use dli_pg_gateway::localdli;
use tokio_postgres::{Client, SimpleQueryMessage};

/// The data the replays describe (the demo `tpch` database is created by the service).
const SETUP: &[&str] = &[
    "CREATE DATABASE shop COMMENT 'the shop'",
    "CREATE TABLE shop.items (id int COMMENT 'item id', name string, price decimal(10,2), \
     code varchar(20), added date, seen timestamp, tags array<string>, attrs map<string,int>, \
     dt string COMMENT 'load day') USING parquet PARTITIONED BY (dt) COMMENT 'things we sell'",
    "CREATE DATABASE catcli COMMENT 'client catalog checks'",
    "CREATE TABLE catcli.items (id int COMMENT 'item id', name string, price decimal(10,2), \
     code varchar(20), added date, seen timestamp, tags array<string>, attrs map<string,int>, \
     dt string COMMENT 'load day') USING parquet PARTITIONED BY (dt) COMMENT 'things we sell'",
    "CREATE TABLE catcli.orders (id bigint, item_id int, qty smallint, total double, ok boolean, \
     note char(5), ratio float, raw binary) USING parquet",
];

#[derive(Debug, Default)]
struct Block {
    name: String,
    lets: Vec<(String, String)>,
    expects: Vec<String>,
    sql: String,
}

fn parse(text: &str) -> Vec<Block> {
    let mut blocks: Vec<Block> = Vec::new();
    for line in text.lines() {
        let t = line.trim_start();
        if let Some(name) = t.strip_prefix("-- @query ") {
            blocks.push(Block {
                name: name.trim().to_string(),
                ..Block::default()
            });
        } else if let Some(b) = blocks.last_mut() {
            if let Some(rest) = t.strip_prefix("-- @let ") {
                let (var, sql) = rest.split_once('=').expect("@let var = sql");
                b.lets
                    .push((var.trim().to_string(), sql.trim().to_string()));
            } else if let Some(e) = t.strip_prefix("-- @expect ") {
                b.expects.push(e.trim().to_string());
            } else {
                b.sql.push_str(line);
                b.sql.push('\n');
            }
        }
    }
    for b in &mut blocks {
        let sql = b.sql.trim().trim_end_matches(';').trim().to_string();
        b.sql = sql;
    }
    blocks
}

type Rows = (Vec<String>, Vec<Vec<Option<String>>>);

async fn simple(client: &Client, sql: &str) -> Result<Rows, String> {
    let msgs = client
        .simple_query(sql)
        .await
        .map_err(|e| format!("{e:?}"))?;
    let (mut cols, mut rows) = (Vec::new(), Vec::new());
    for m in msgs {
        match m {
            SimpleQueryMessage::RowDescription(d) => {
                cols = d.iter().map(|c| c.name().to_string()).collect();
                rows.clear();
            }
            SimpleQueryMessage::Row(r) => {
                rows.push((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
            }
            _ => {}
        }
    }
    Ok((cols, rows))
}

fn cells(spec: &str) -> Vec<String> {
    spec.split('|').map(|c| c.trim().to_string()).collect()
}

fn matches(row: &[Option<String>], want: &[String]) -> bool {
    row.len() == want.len()
        && row
            .iter()
            .zip(want)
            .all(|(got, w)| match (w.as_str(), got) {
                ("*", _) => true,
                ("\\N", None) => true,
                (w, Some(g)) => w == g,
                _ => false,
            })
}

fn check(file: &str, b: &Block, (cols, rows): &Rows) {
    let at = format!("{file} @query {}", b.name);
    for e in &b.expects {
        let (kind, arg) = e.split_once(' ').unwrap_or((e.as_str(), ""));
        match kind {
            "rows" => {
                let (op, n) = arg.trim().split_once(' ').expect("rows <op> <n>");
                let n: usize = n.trim().parse().expect("a row count");
                let ok = match op {
                    "=" => rows.len() == n,
                    ">=" => rows.len() >= n,
                    other => panic!("{at}: unknown operator {other}"),
                };
                assert!(
                    ok,
                    "{at}: expected rows {op} {n}, got {}: {rows:?}",
                    rows.len()
                );
            }
            "columns" => {
                let want: Vec<String> = arg.split(',').map(|c| c.trim().to_string()).collect();
                assert_eq!(cols, &want, "{at}: columns");
            }
            "row" => {
                let want = cells(arg);
                assert!(
                    rows.iter().any(|r| matches(r, &want)),
                    "{at}: no row {want:?} in {rows:?}"
                );
            }
            "no-row" => {
                let want = cells(arg);
                assert!(
                    !rows.iter().any(|r| matches(r, &want)),
                    "{at}: unexpected row {want:?}"
                );
            }
            other => panic!("{at}: unknown expectation {other}"),
        }
    }
}

async fn substitute(client: &Client, b: &Block) -> String {
    let mut sql = b.sql.clone();
    for (var, q) in &b.lets {
        let (_, rows) = simple(client, q)
            .await
            .unwrap_or_else(|e| panic!("@let {var}: {e}"));
        let value = rows
            .first()
            .and_then(|r| r.first().cloned().flatten())
            .unwrap_or_else(|| panic!("@let {var}: no value from {q}"));
        sql = sql.replace(&format!("${{{var}}}"), &value);
    }
    sql
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_introspection_replays() {
    let wh = tempfile::tempdir().unwrap();
    let base = test_config(wh.path(), true);
    let svc = localdli::start(base.local.clone())
        .await
        .expect("local DLI");
    let mut cfg = base.clone();
    cfg.dli = svc.client_config(&cfg.local, &cfg.dli);
    let gw = start(cfg.clone()).await;
    let client = connect(&gw).await;
    for sql in SETUP {
        client.simple_query(sql).await.expect(sql);
    }
    let jobs_before = job_count(&cfg).await;

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/replay");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/replay")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    assert!(files.len() >= 6, "one replay per tool: {files:?}");
    let mut total = 0;
    for path in &files {
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let blocks = parse(&std::fs::read_to_string(path).unwrap());
        assert!(!blocks.is_empty(), "{file} has no @query");
        for b in &blocks {
            let sql = substitute(&client, b).await;
            let got = simple(&client, &sql)
                .await
                .unwrap_or_else(|e| panic!("{file} @query {}: {e}\n{sql}", b.name));
            check(&file, b, &got);
            // The extended protocol (Parse/Describe/Bind/Execute, binary results) too.
            let ext = client
                .query(sql.as_str(), &[])
                .await
                .unwrap_or_else(|e| panic!("{file} @query {} (extended): {e:?}", b.name));
            assert_eq!(
                ext.len(),
                got.1.len(),
                "{file} @query {}: extended row count",
                b.name
            );
            total += 1;
        }
    }
    assert_eq!(job_count(&cfg).await, jobs_before, "replays ran DLI jobs");
    println!("{total} replayed queries in {} files", files.len());
    gw.shutdown().await;
    svc.shutdown().await;
}
