//! Catalog vs PostgreSQL: the same client introspection, timed on the gateway and on a real
//! PostgreSQL loaded with the same schemas, in one run.
//!
//! The gateway runs in embedded mode over a warehouse seeded with N databases × M tables
//! (`src/localdli/seed.rs`) plus the replays' data set (`tpch` demo, `shop`, `catcli`).
//! PostgreSQL is a scratch cluster this bench starts (initdb under the temp dir, a free
//! loopback port, `fsync=off`, stopped at the end; `$PG_BIN` or the newest
//! `/usr/lib/postgresql/*/bin`, run as `postgres` when root), or the server of `--pg
//! CONNINFO`; its database `dli` gets the schemas, tables, views, column types and
//! comments the gateway's catalog shows (read back from the gateway itself); the bench's
//! session there runs with `jit = off`, as asyncpg's introspection does.
//!
//! The queries: psql 15's `\d table` (all eight), `\dt schema.*`, pgjdbc's getTables /
//! getColumns, asyncpg's type introspection, `information_schema.columns`
//! (`queries.sql` here) and the tool replays of `tests/replay/` (Metabase sync, Npgsql
//! type loading, DBeaver, Grafana, Superset, Tableau). Each is run once cold, then warm
//! `ITER` times on both servers over one connection each (the protocol the client uses:
//! simple for psql/Superset/Tableau, extended for the JDBC/Npgsql/asyncpg/Go tools); the
//! table gives per-query medians and gateway/PostgreSQL ratios, then per family the ratio
//! of the summed medians.
//!
//! ```sh
//! cargo run --release --example catalog_pg_bench                 # 50 × 20, 30 runs
//! cargo run --example catalog_pg_bench -- 200 25 20               # databases tables runs
//! cargo run --example catalog_pg_bench -- --no-answer-cache       # the engine alone
//! cargo run --example catalog_pg_bench -- --only psql_d,pgjdbc      # some families
//! cargo run --example catalog_pg_bench -- --pg "host=... user=..."   # an existing server
//! ```

mod pg;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use dli_pg_gateway::app::Gateway;
use dli_pg_gateway::config::Config;
use dli_pg_gateway::localdli::seed::{self, SeedSpec};
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The replays' data set (as in tests/catalog_replay.rs).
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

/// (family for blocks without a `family/` prefix, simple protocol?, file text)
const FILES: &[(&str, bool, &str)] = &[
    ("", true, include_str!("queries.sql")),
    (
        "metabase",
        false,
        include_str!("../../tests/replay/metabase.sql"),
    ),
    (
        "npgsql",
        false,
        include_str!("../../tests/replay/powerbi_npgsql.sql"),
    ),
    (
        "dbeaver",
        false,
        include_str!("../../tests/replay/dbeaver.sql"),
    ),
    (
        "grafana",
        false,
        include_str!("../../tests/replay/grafana.sql"),
    ),
    (
        "superset",
        true,
        include_str!("../../tests/replay/superset.sql"),
    ),
    (
        "tableau",
        true,
        include_str!("../../tests/replay/tableau_psqlodbc.sql"),
    ),
];

/// Families of `queries.sql` sent over the extended protocol.
const EXTENDED: &[&str] = &["pgjdbc", "asyncpg"];

struct Query {
    family: String,
    name: String,
    simple: bool,
    lets: Vec<(String, String)>,
    sql: String,
}

fn parse() -> Vec<Query> {
    let mut out: Vec<Query> = Vec::new();
    for (family, simple, text) in FILES {
        for line in text.lines() {
            let t = line.trim_start();
            if let Some(name) = t.strip_prefix("-- @query ") {
                let name = name.trim();
                let (fam, short) = match name.split_once('/') {
                    Some((f, n)) if family.is_empty() => (f.to_string(), n.to_string()),
                    _ => (family.to_string(), name.to_string()),
                };
                let simple = *simple && !EXTENDED.contains(&fam.as_str());
                out.push(Query {
                    family: fam,
                    name: short,
                    simple,
                    lets: Vec::new(),
                    sql: String::new(),
                });
            } else if let Some(q) = out.last_mut() {
                if let Some(rest) = t.strip_prefix("-- @let ") {
                    if let Some((var, sql)) = rest.split_once('=') {
                        q.lets.push((var.trim().into(), sql.trim().into()));
                    }
                } else if !t.starts_with("-- @") {
                    q.sql.push_str(line);
                    q.sql.push('\n');
                }
            }
        }
    }
    for q in &mut out {
        q.sql = q.sql.trim().trim_end_matches(';').trim().to_string();
    }
    out
}

/// The query with its `${var}`s bound on this server.
async fn bind(c: &Client, q: &Query) -> Result<String, Error> {
    let mut sql = q.sql.clone();
    for (var, let_sql) in &q.lets {
        let v = c
            .simple_query(let_sql)
            .await?
            .into_iter()
            .find_map(|m| match m {
                SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
                _ => None,
            })
            .ok_or("@let returned nothing")?;
        sql = sql.replace(&format!("${{{var}}}"), &v);
    }
    Ok(sql)
}

/// One run: rows returned and time taken.
async fn once(c: &Client, sql: &str, simple: bool) -> Result<(usize, Duration), Error> {
    let t = Instant::now();
    let n = if simple {
        c.simple_query(sql)
            .await?
            .iter()
            .filter(|m| matches!(m, SimpleQueryMessage::Row(_)))
            .count()
    } else {
        c.query(sql, &[]).await?.len()
    };
    Ok((n, t.elapsed()))
}

struct Timed {
    rows: usize,
    first: Duration,
    median: Duration,
}

async fn time(c: &Client, q: &Query, runs: usize) -> Result<Timed, Error> {
    let sql = bind(c, q).await?;
    let (rows, first) = once(c, &sql, q.simple).await?;
    let mut warm = Vec::with_capacity(runs);
    for _ in 0..runs {
        warm.push(once(c, &sql, q.simple).await?.1);
    }
    warm.sort();
    Ok(Timed {
        rows,
        first,
        median: warm[warm.len() / 2],
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn connect(conninfo: &str) -> Result<Client, Error> {
    let (client, conn) = tokio_postgres::connect(conninfo, NoTls).await?;
    tokio::spawn(conn);
    Ok(client)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let nums: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let pg_conninfo = args
        .iter()
        .position(|a| a == "--pg")
        .and_then(|i| args.get(i + 1).cloned());
    let answer_cache = !args.iter().any(|a| a == "--no-answer-cache");
    let only: Vec<String> = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .map(|f| f.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    let spec = SeedSpec {
        databases: nums.first().copied().unwrap_or(50).max(2),
        tables_per_database: nums.get(1).copied().unwrap_or(20).max(8),
        ..SeedSpec::default()
    };
    let runs = nums.get(2).copied().unwrap_or(30).max(1);

    let wh = tempfile::tempdir()?;
    seed::seed(wh.path(), spec, "dli")?;
    let mut cfg = Config::from_toml_and_env("", &[])?;
    cfg.server.listen = "127.0.0.1:0".into();
    cfg.local.listen = "127.0.0.1:0".into();
    cfg.local.warehouse = wh.path().to_path_buf();
    cfg.local.demo = true;
    cfg.catalog.ttl_secs = 3600;
    if !answer_cache {
        cfg.catalog.answer_cache_mb = 0;
    }
    let gw = Gateway::start(cfg).await?;
    let gwc = connect(&format!(
        "host=127.0.0.1 port={} user=dli password=dli dbname=dli",
        gw.addr().port()
    ))
    .await?;
    for sql in SETUP {
        gwc.simple_query(sql).await?;
    }

    let t = Instant::now();
    let ddl = pg::schema_ddl(&gwc).await?;
    let scratch = match &pg_conninfo {
        Some(_) => None,
        None => Some(pg::Scratch::start()?),
    };
    let conninfo = match (&pg_conninfo, &scratch) {
        (Some(c), _) => c.clone(),
        (None, Some(s)) => s.conninfo("postgres"),
        (None, None) => return Err("no PostgreSQL".into()),
    };
    let pgc = pg::load(&conninfo, "dli", &ddl).await?;
    let version = pgc.simple_query("SHOW server_version").await?;
    let version = version.iter().find_map(|m| match m {
        SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
        _ => None,
    });
    println!(
        "{} databases x {} tables (+ tpch, shop, catcli); PostgreSQL {} loaded with the same {} \
         DDL statements in {:.1} s; {} build; answer cache {}; median of {runs} warm runs",
        spec.databases,
        spec.tables_per_database,
        version.unwrap_or_default(),
        ddl.len(),
        t.elapsed().as_secs_f64(),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        if answer_cache { "on" } else { "off" },
    );

    println!(
        "\n| family | query | proto | rows gw/pg | gw first ms | gw ms | pg ms | gw/pg |\n|---|---|---|---|---|---|---|---|"
    );
    let mut families: BTreeMap<String, (f64, f64, f64)> = BTreeMap::new();
    let mut ratios = Vec::new();
    for q in parse()
        .into_iter()
        .filter(|q| only.is_empty() || only.contains(&q.family))
    {
        let (g, p) = match (time(&gwc, &q, runs).await, time(&pgc, &q, runs).await) {
            (Ok(g), Ok(p)) => (g, p),
            (g, p) => {
                let why = |r: &Result<Timed, Error>| match r {
                    Ok(_) => "ok".to_string(),
                    Err(e) => e.to_string().chars().take(60).collect(),
                };
                println!(
                    "| {} | {} | | gateway: {} / postgres: {} | | | | |",
                    q.family,
                    q.name,
                    why(&g),
                    why(&p)
                );
                continue;
            }
        };
        let ratio = ms(g.median) / ms(p.median).max(0.001);
        ratios.push(ratio);
        let f = families.entry(q.family.clone()).or_default();
        f.0 += ms(g.median);
        f.1 += ms(p.median);
        f.2 += ms(g.first);
        println!(
            "| {} | {} | {} | {}/{} | {:.2} | {:.2} | {:.2} | {:.2}× |",
            q.family,
            q.name,
            if q.simple { "simple" } else { "extended" },
            g.rows,
            p.rows,
            ms(g.first),
            ms(g.median),
            ms(p.median),
            ratio
        );
    }
    println!(
        "\n| family | gw ms (sum of medians) | pg ms | gw/pg | gw first runs ms |\n|---|---|---|---|---|"
    );
    for (name, (g, p, first)) in &families {
        println!(
            "| {name} | {g:.2} | {p:.2} | {:.2}× | {first:.1} |",
            g / p.max(0.001)
        );
    }
    ratios.sort_by(f64::total_cmp);
    if let Some(m) = ratios.get(ratios.len() / 2) {
        println!(
            "\nmedian per-query ratio {m:.2}×, worst {:.2}×",
            ratios.last().copied().unwrap_or_default()
        );
    }
    drop(scratch);
    gw.shutdown().await;
    Ok(())
}
