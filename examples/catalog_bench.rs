//! Catalog at scale: seeds the embedded service's warehouse with 200 databases × 25 tables
//! (5,000 tables, 8–9 columns each), starts the gateway on it and times the catalog
//! queries clients send when they browse: the first one (which loads the metadata cache
//! from the DLI catalog endpoints, all pages), psql's `\dt` (one schema and `*.*`),
//! pgjdbc's `getTables` and `getColumns` over everything, Metabase's describe-database,
//! information_schema.columns for a schema, and psql's `\d` of one table.
//!
//! ```sh
//! cargo run --release --example catalog_bench            # 200 × 25
//! cargo run --release --example catalog_bench -- 50 10   # databases × tables
//! ```

use std::time::{Duration, Instant};

use dli_pg_gateway::app::Gateway;
use dli_pg_gateway::config::Config;
use dli_pg_gateway::localdli::seed::{self, SeedSpec};
use tokio_postgres::NoTls;

const RUNS: usize = 5;

fn queries() -> Vec<(&'static str, String)> {
    vec![
        (
            "psql \\dt seed_db_100.*",
            "SELECT n.nspname as \"Schema\", c.relname as \"Name\", CASE c.relkind WHEN 'r' THEN 'table' \
             WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN 'S' \
             THEN 'sequence' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN \
             'partitioned table' WHEN 'I' THEN 'partitioned index' END as \"Type\", \
             pg_catalog.pg_get_userbyid(c.relowner) as \"Owner\" FROM pg_catalog.pg_class c LEFT JOIN \
             pg_catalog.pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_catalog.pg_am am ON am.oid \
             = c.relam WHERE c.relkind IN ('r','p','') AND n.nspname OPERATOR(pg_catalog.~) \
             '^(seed_db_100)$' COLLATE pg_catalog.default ORDER BY 1,2"
                .into(),
        ),
        (
            "psql \\dt *.*",
            "SELECT n.nspname as \"Schema\", c.relname as \"Name\", CASE c.relkind WHEN 'r' THEN 'table' \
             WHEN 'v' THEN 'view' END as \"Type\", pg_catalog.pg_get_userbyid(c.relowner) as \"Owner\" \
             FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam WHERE c.relkind IN ('r','p','') ORDER BY 1,2"
                .into(),
        ),
        (
            "pgjdbc getTables(null, null, %, {TABLE})",
            "SELECT NULL AS TABLE_CAT, n.nspname AS TABLE_SCHEM, c.relname AS TABLE_NAME,  CASE n.nspname \
             ~ '^pg_' OR n.nspname = 'information_schema'  WHEN true THEN CASE  WHEN n.nspname = \
             'pg_catalog' OR n.nspname = 'information_schema' THEN CASE c.relkind   WHEN 'r' THEN 'SYSTEM \
             TABLE'   WHEN 'v' THEN 'SYSTEM VIEW'   WHEN 'i' THEN 'SYSTEM INDEX'   ELSE NULL   END  WHEN \
             n.nspname = 'pg_toast' THEN CASE c.relkind   WHEN 'r' THEN 'SYSTEM TOAST TABLE'   WHEN 'i' \
             THEN 'SYSTEM TOAST INDEX'   ELSE NULL   END  ELSE CASE c.relkind   WHEN 'r' THEN 'TEMPORARY \
             TABLE'   WHEN 'p' THEN 'TEMPORARY TABLE'   WHEN 'i' THEN 'TEMPORARY INDEX'   WHEN 'S' THEN \
             'TEMPORARY SEQUENCE'   WHEN 'v' THEN 'TEMPORARY VIEW'   ELSE NULL   END  END  WHEN false THEN \
             CASE c.relkind  WHEN 'r' THEN 'TABLE'  WHEN 'p' THEN 'PARTITIONED TABLE'  WHEN 'i' THEN \
             'INDEX'  WHEN 'S' THEN 'SEQUENCE'  WHEN 'v' THEN 'VIEW'  WHEN 'c' THEN 'TYPE'  WHEN 'f' THEN \
             'FOREIGN TABLE'  WHEN 'm' THEN 'MATERIALIZED VIEW'  ELSE NULL  END  ELSE NULL  END  AS \
             TABLE_TYPE, d.description AS REMARKS,  '' as TYPE_CAT, '' as TYPE_SCHEM, '' as TYPE_NAME, '' \
             AS SELF_REFERENCING_COL_NAME, '' AS REF_GENERATION  FROM pg_catalog.pg_namespace n, \
             pg_catalog.pg_class c  LEFT JOIN pg_catalog.pg_description d ON (c.oid = d.objoid AND \
             d.objsubid = 0  and d.classoid = 'pg_class'::regclass)  WHERE c.relnamespace = n.oid  AND \
             c.relname LIKE '%' AND (false  OR ( c.relkind = 'r' AND n.nspname !~ '^pg_' AND n.nspname <> \
             'information_schema' ) )  ORDER BY TABLE_TYPE,TABLE_SCHEM,TABLE_NAME"
                .into(),
        ),
        (
            "pgjdbc getColumns(null, seed_db_100, %, %)",
            "SELECT * FROM (SELECT n.nspname,c.relname,a.attname,a.atttypid,a.attnotnull OR (t.typtype = \
             'd' AND t.typnotnull) AS attnotnull,a.atttypmod,a.attlen,t.typtypmod,row_number() OVER \
             (PARTITION BY a.attrelid ORDER BY a.attnum) AS attnum, nullif(a.attidentity, '') as \
             attidentity,nullif(a.attgenerated, '') as attgenerated,pg_catalog.pg_get_expr(def.adbin, \
             def.adrelid) AS adsrc,dsc.description,t.typbasetype,t.typtype  FROM pg_catalog.pg_namespace n \
             JOIN pg_catalog.pg_class c ON (c.relnamespace = n.oid)  JOIN pg_catalog.pg_attribute a ON \
             (a.attrelid=c.oid)  JOIN pg_catalog.pg_type t ON (a.atttypid = t.oid)  LEFT JOIN \
             pg_catalog.pg_attrdef def ON (a.attrelid=def.adrelid AND a.attnum = def.adnum)  LEFT JOIN \
             pg_catalog.pg_description dsc ON (c.oid=dsc.objoid AND a.attnum = dsc.objsubid)  LEFT JOIN \
             pg_catalog.pg_class dc ON (dc.oid=dsc.classoid AND dc.relname='pg_class')  LEFT JOIN \
             pg_catalog.pg_namespace dn ON (dc.relnamespace=dn.oid AND dn.nspname='pg_catalog')  WHERE \
             c.relkind in ('r','p','v','f','m') and a.attnum > 0 AND NOT a.attisdropped  AND n.nspname \
             LIKE 'seed_db_100') c WHERE true  ORDER BY nspname,c.relname,attnum"
                .into(),
        ),
        (
            "Metabase describe-database (all schemas)",
            "SELECT \"n\".\"nspname\" AS \"schema\", \"c\".\"relname\" AS \"name\", CASE \"c\".\"relkind\" \
             WHEN 'r' THEN 'TABLE' WHEN 'p' THEN 'PARTITIONED TABLE' WHEN 'v' THEN 'VIEW' WHEN 'f' THEN \
             'FOREIGN TABLE' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE NULL END AS \"type\", \"d\".\"description\" \
             AS \"description\", \"stat\".\"n_live_tup\" AS \"estimated_row_count\" FROM \"pg_catalog\".\"pg_class\" \
             AS \"c\" INNER JOIN \"pg_catalog\".\"pg_namespace\" AS \"n\" ON \"c\".\"relnamespace\" = \"n\".\"oid\" \
             LEFT JOIN \"pg_catalog\".\"pg_description\" AS \"d\" ON (\"c\".\"oid\" = \"d\".\"objoid\") AND \
             (\"d\".\"objsubid\" = '0') AND (\"d\".\"classoid\" = 'pg_class'::regclass) LEFT JOIN \
             \"pg_stat_user_tables\" AS \"stat\" ON (\"n\".\"nspname\" = \"stat\".\"schemaname\") AND \
             (\"c\".\"relname\" = \"stat\".\"relname\") WHERE (\"c\".\"relnamespace\" = \"n\".\"oid\") AND \
             (\"n\".\"nspname\" !~ '^pg_') AND (\"n\".\"nspname\" <> 'information_schema') AND c.relkind in \
             ('r', 'p', 'v', 'f', 'm') ORDER BY \"type\" ASC, \"schema\" ASC, \"name\" ASC"
                .into(),
        ),
        (
            "information_schema.columns of one schema",
            "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE \
             table_schema = 'seed_db_100' ORDER BY table_name, ordinal_position"
                .into(),
        ),
        (
            "information_schema.columns, all (5,000 tables)",
            "SELECT count(*) FROM information_schema.columns".into(),
        ),
        (
            "psql \\d seed_db_100.t_007 (columns by OID)",
            "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) FROM \
             pg_catalog.pg_attribute a WHERE a.attrelid = (SELECT c.oid FROM pg_catalog.pg_class c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'seed_db_100' \
             AND c.relname = 't_007') AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
                .into(),
        ),
    ]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let spec = SeedSpec {
        databases: args.first().copied().unwrap_or(200),
        tables_per_database: args.get(1).copied().unwrap_or(25),
        ..SeedSpec::default()
    };
    let wh = std::env::temp_dir().join(format!(
        "dli-catalog-bench-{}x{}",
        spec.databases, spec.tables_per_database
    ));
    let t = Instant::now();
    let written = seed::seed(&wh, spec, "dli")?;
    println!(
        "seeded {} databases x {} tables into {} ({written} new) in {}",
        spec.databases,
        spec.tables_per_database,
        wh.display(),
        ms(t.elapsed())
    );

    let mut cfg = Config::from_toml_and_env("", &[])?;
    cfg.server.listen = "127.0.0.1:0".into();
    cfg.local.listen = "127.0.0.1:0".into();
    cfg.local.warehouse = wh.clone();
    cfg.local.demo = false;
    let t = Instant::now();
    let gw = Gateway::start(cfg).await?;
    println!("gateway + embedded service started in {}", ms(t.elapsed()));
    let conn = format!(
        "host=127.0.0.1 port={} user=dli password=dli dbname=dli",
        gw.addr().port()
    );
    let (client, connection) = tokio_postgres::connect(&conn, NoTls).await?;
    tokio::spawn(connection);

    let t = Instant::now();
    let rows = client
        .simple_query("SELECT count(*) FROM pg_catalog.pg_class")
        .await?;
    println!(
        "first catalog query (loads the cache: all pages of databases and tables): {}",
        ms(t.elapsed())
    );
    drop(rows);

    println!("\n| query | rows | first | median of {RUNS} |\n|---|---|---|---|");
    for (name, sql) in queries() {
        let mut times = Vec::new();
        let mut n = 0;
        for _ in 0..=RUNS {
            let t = Instant::now();
            let msgs = client.simple_query(&sql).await?;
            times.push(t.elapsed());
            n = msgs
                .iter()
                .filter(|m| matches!(m, tokio_postgres::SimpleQueryMessage::Row(_)))
                .count();
        }
        let first = times[0];
        let mut rest = times[1..].to_vec();
        rest.sort();
        println!(
            "| {name} | {n} | {} | {} |",
            ms(first),
            ms(rest[rest.len() / 2])
        );
    }
    gw.shutdown().await;
    Ok(())
}
