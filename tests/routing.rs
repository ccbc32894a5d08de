//! The routing table: what kind every statement the client suite and the replay corpus
//! send is planned as, and how many lexical passes planning costs (one tokenisation, one
//! Postgres parse, plus one Spark parse for DLI-bound statements).

mod common;

use std::sync::Arc;

use async_trait::async_trait;
use dli_pg_gateway::catalog::DliCatalog;
use dli_pg_gateway::catalog::model::{Database, Table};
use dli_pg_gateway::catalog::source::MetadataSource;
use dli_pg_gateway::dli::DliError;
use dli_pg_gateway::gateway::catalog_hook::{CatalogService, Touched};
use dli_pg_gateway::gateway::classify::DliKind;
use dli_pg_gateway::gateway::plan::{Kind, Plan, plan};
use dli_pg_gateway::pgsql::Lexed;
use dli_pg_gateway::sparksql::passes;

/// Routing reads no metadata: a source with nothing in it.
struct Empty;

#[async_trait]
impl MetadataSource for Empty {
    async fn databases(&self) -> Result<Vec<Database>, DliError> {
        Ok(Vec::new())
    }
    async fn tables(&self, _db: &str) -> Result<Vec<Table>, DliError> {
        Ok(Vec::new())
    }
    async fn describe(&self, _db: &str, _listed: &Table) -> Result<Option<Table>, DliError> {
        Ok(None)
    }
}

fn catalog() -> Arc<DliCatalog> {
    let cfg = dli_pg_gateway::catalog::CatalogConfig {
        preload: false,
        ..Default::default()
    };
    DliCatalog::with_source(Arc::new(Empty), &cfg, "15.0").expect("catalog")
}

/// A short name for a plan's kind.
fn label(p: &Plan) -> String {
    match &p.kind {
        Kind::Session(_) => "session".into(),
        Kind::Catalog(_) => "catalog".into(),
        Kind::Refresh(_) => "refresh".into(),
        Kind::Constant(row) => format!("constant {}", row.len()),
        Kind::Mixed { .. } => "mixed".into(),
        Kind::Refused(e) => format!("refused {}", e.kind.sqlstate()),
        Kind::Declare { name, hold, query } => {
            format!(
                "declare {name}{} of {}",
                if *hold { " hold" } else { "" },
                label(query)
            )
        }
        Kind::Cursor(cmd) => format!("{cmd:?}"),
        Kind::Copy { query, format } => format!(
            "copy {} of {}",
            if format.csv { "csv" } else { "text" },
            label(query)
        ),
        Kind::Dli { kind, .. } => match kind {
            DliKind::Query => "query".into(),
            DliKind::Insert => "insert".into(),
            DliKind::Ddl { tag, .. } => format!("ddl {}", tag.name),
            DliKind::Other {
                returns_rows, tag, ..
            } => format!(
                "other {} {}",
                tag.name,
                if *returns_rows { "rows" } else { "no rows" }
            ),
        },
    }
}

/// Every statement kind the client suite (tests/clients/*, tests/*.rs) sends.
const TABLE: &[(&str, &str)] = &[
    ("BEGIN", "session"),
    ("COMMIT", "session"),
    ("ROLLBACK", "session"),
    ("SAVEPOINT sp1", "session"),
    ("RELEASE SAVEPOINT sp1", "session"),
    ("DISCARD ALL", "session"),
    ("RESET ALL", "session"),
    ("RESET statement_timeout", "session"),
    (
        "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED",
        "session",
    ),
    ("SET application_name = 'jdbc-check'", "session"),
    ("SET extra_float_digits = 3", "session"),
    ("SET search_path TO clidb", "session"),
    ("SET statement_timeout = '300ms'", "session"),
    ("SHOW application_name", "session"),
    ("SHOW transaction isolation level", "session"),
    ("USE tpch", "session"),
    ("SELECT version()", "session"),
    ("SELECT current_schema()", "session"),
    ("SELECT current_database()", "session"),
    ("SELECT current_user", "session"),
    ("SELECT version() AS v", "session"),
    ("SELECT * FROM pg_namespace", "catalog"),
    (
        "SELECT oid, typname FROM pg_type WHERE oid = ANY($1::oid[])",
        "catalog",
    ),
    ("SELECT pg_catalog.format_type(23, -1)", "catalog"),
    (
        "SELECT current_setting('server_version_num')::int/100 AS version",
        "catalog",
    ),
    ("SELECT dli_catalog_refresh()", "refresh"),
    ("SELECT dli_catalog_refresh('tpch')", "refresh"),
    ("SELECT * FROM dli_catalog_status()", "catalog"),
    (
        "SELECT n.n_name FROM tpch.nation n JOIN pg_class c ON c.relname = n.n_name",
        "mixed",
    ),
    ("SELECT 1", "constant 1"),
    ("SELECT 1 AS x, 1.5 AS y, 'a' AS z", "constant 3"),
    ("select 2", "constant 1"),
    ("SELECT 'literal'", "constant 1"),
    ("SELECT 2147483647 + 1", "query"),
    ("SELECT 1 FROM tpch.nation", "query"),
    ("DEALLOCATE \"_PLAN0x55d0c8a0\"", "session"),
    ("DEALLOCATE PREPARE ALL", "session"),
    ("SELECT CAST($1 AS STRING) AS v", "query"),
    ("SELECT count(*) FROM t", "query"),
    ("SELECT * FROM default.pg_class", "query"),
    ("SELECT id FROM proto.t WHERE s = $1", "query"),
    (
        "SELECT count(*) FROM proto.t /* dli_local_delay_ms=30000 */",
        "query",
    ),
    ("WITH x AS (SELECT 1 AS a) SELECT a FROM x", "query"),
    ("SELEKT 1", "other SELEKT rows"),
    ("SHOW TABLES", "other SHOW rows"),
    ("DESCRIBE TABLE d.t", "other DESCRIBE rows"),
    ("INSERT INTO clidb.p VALUES ($1, $2, $3)", "insert"),
    (
        "INSERT INTO clidb.once SELECT a FROM clidb.t WHERE a <= 2",
        "insert",
    ),
    ("CREATE DATABASE d1", "ddl CREATE DATABASE"),
    (
        "CREATE DATABASE IF NOT EXISTS catcli COMMENT 'x'",
        "ddl CREATE DATABASE",
    ),
    (
        "CREATE TABLE d1.t (a int) USING parquet",
        "ddl CREATE TABLE",
    ),
    (
        "CREATE TABLE IF NOT EXISTS d1.t (a int) USING parquet",
        "ddl CREATE TABLE",
    ),
    (
        "CREATE TABLE d1.c USING parquet AS SELECT 1 AS a",
        "ddl SELECT",
    ),
    ("DROP TABLE shop.t1", "ddl DROP TABLE"),
    ("DROP DATABASE IF EXISTS shop CASCADE", "ddl DROP DATABASE"),
    (
        "ALTER TABLE shop.items ADD COLUMNS (x int)",
        "ddl ALTER TABLE",
    ),
    ("MSCK REPAIR TABLE shop.items", "other MSCK no rows"),
    ("TRUNCATE TABLE shop.items", "other TRUNCATE no rows"),
    (
        "COPY (SELECT * FROM tpch.nation) TO STDOUT",
        "copy text of query",
    ),
    (
        "COPY (SELECT n_name FROM tpch.nation WHERE n_regionkey = 1) TO STDOUT WITH (FORMAT csv, HEADER)",
        "copy csv of query",
    ),
    (
        "COPY ( SELECT nspname FROM pg_namespace ) TO STDOUT CSV HEADER",
        "copy csv of catalog",
    ),
    ("COPY (SELECT version()) TO STDOUT", "copy text of session"),
    ("COPY t FROM STDIN", "refused 0A000"),
    ("COPY (SELECT 1) TO '/etc/passwd'", "refused 42501"),
    (
        "COPY (SELECT 1) TO STDOUT WITH (FORMAT binary)",
        "refused 0A000",
    ),
    (
        "DECLARE \"c1\" CURSOR WITHOUT HOLD FOR SELECT n_name FROM tpch.nation",
        "declare c1 of query",
    ),
    (
        "DECLARE c2 CURSOR WITH HOLD FOR SELECT * FROM pg_class",
        "declare c2 hold of catalog",
    ),
    ("DECLARE c3 SCROLL CURSOR FOR SELECT 1", "refused 0A000"),
    (
        "FETCH FORWARD 2000 FROM \"c1\"",
        "Fetch { name: \"c1\", count: Rows(2000) }",
    ),
    ("FETCH ALL IN c1", "Fetch { name: \"c1\", count: All }"),
    (
        "FETCH NEXT FROM c1",
        "Fetch { name: \"c1\", count: Rows(1) }",
    ),
    ("FETCH BACKWARD 1 FROM c1", "refused 55000"),
    ("CLOSE c1", "session"),
    ("CLOSE ALL", "session"),
];

#[tokio::test(flavor = "current_thread")]
async fn every_statement_is_planned_as_its_kind_in_one_pass() {
    let catalog = catalog();
    let svc: &dyn CatalogService = catalog.as_ref();
    let mut wrong = Vec::new();
    for (sql, want) in TABLE {
        let before = passes::now();
        let p = plan(Lexed::new(sql), Some(svc));
        let cost = passes::now() - before;
        if label(&p) != *want {
            wrong.push(format!("{sql}: planned as {}, expected {want}", label(&p)));
        }
        let dli_bound = |k: &Kind| matches!(k, Kind::Dli { .. });
        let spark = usize::from(match &p.kind {
            Kind::Copy { query, .. } | Kind::Declare { query, .. } => dli_bound(&query.kind),
            k => dli_bound(k),
        });
        // A statement the translation rewrote is tokenised once more, as printed.
        let rewritten = |q: &Plan| q.spark.text() != q.lexed.text();
        let retokenised = usize::from(match &p.kind {
            Kind::Copy { query, .. } | Kind::Declare { query, .. } => rewritten(query),
            _ => rewritten(&p),
        });
        assert_eq!(
            cost.tokenised as usize,
            1 + retokenised,
            "{sql}: tokenised {} times",
            cost.tokenised
        );
        assert_eq!(
            cost.parsed as usize,
            1 + spark,
            "{sql}: parsed {} times",
            cost.parsed
        );
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // MOVE, which sqlparser does not know, is read as the FETCH it mirrors.
    let p = plan(Lexed::new("MOVE FORWARD 5 IN c1"), Some(svc));
    assert_eq!(label(&p), "Move { name: \"c1\", count: Rows(5) }");
}

#[tokio::test(flavor = "current_thread")]
async fn ddl_touches_what_it_names() {
    let catalog = catalog();
    let touched = |sql: &str| match plan(
        Lexed::new(sql),
        Some(catalog.as_ref() as &dyn CatalogService),
    )
    .kind
    {
        Kind::Dli { kind, .. } => kind.touches().to_vec(),
        other => panic!("{sql}: {other:?}"),
    };
    let table = |db: Option<&str>, t: &str| Touched::Table {
        db: db.map(str::to_string),
        table: t.into(),
    };
    assert_eq!(
        touched("CREATE TABLE shop.items (id int) USING parquet"),
        vec![table(Some("shop"), "items")]
    );
    assert_eq!(touched("DROP TABLE Items"), vec![table(None, "items")]);
    assert_eq!(
        touched("CREATE DATABASE sales"),
        vec![Touched::DatabaseList, Touched::Database("sales".into())]
    );
    assert_eq!(touched("this is not sql"), vec![Touched::Everything]);
    assert_eq!(
        touched("CREATE DATABASE IF NOT EXISTS catcli COMMENT 'x'"),
        vec![Touched::DatabaseList, Touched::Database("catcli".into())]
    );
    assert_eq!(
        touched("ALTER TABLE shop.items ADD COLUMNS (x int)"),
        vec![Touched::Tables {
            db: Some("shop".into())
        }]
    );
    assert_eq!(touched("INSERT INTO t VALUES (1)"), vec![]);
}

/// Every query of the replay corpus is the gateway's own (catalog or session), planned
/// with one tokenisation and one parse.
#[tokio::test(flavor = "current_thread")]
async fn replay_corpus_is_answered_locally() {
    let catalog = catalog();
    let svc: &dyn CatalogService = catalog.as_ref();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/replay");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("replay dir") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("sql") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        for block in text.split("-- @query").skip(1) {
            let sql: String = block
                .lines()
                .skip(1)
                .filter(|l| !l.trim_start().starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n");
            // `${var}` stands for an OID the tool sends back (see tests/replay/README.md).
            let sql = regex_free_vars(&sql);
            let sql = sql.trim().trim_end_matches(';').trim();
            if sql.is_empty() {
                continue;
            }
            let before = passes::now();
            let p = plan(Lexed::new(sql), Some(svc));
            let cost = passes::now() - before;
            assert!(
                matches!(
                    p.kind,
                    Kind::Catalog(_) | Kind::Session(_) | Kind::Refresh(_) | Kind::Constant(_)
                ),
                "{}: planned as {}:\n{sql}",
                path.display(),
                label(&p)
            );
            assert_eq!((cost.tokenised, cost.parsed), (1, 1), "{sql}");
            seen += 1;
        }
    }
    assert!(seen >= 49, "only {seen} replay queries found");
}

/// The replay SQL with every `${var}` as the number 0.
fn regex_free_vars(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => {
                out.push('0');
                rest = &rest[start + end + 1..];
            }
            None => {
                rest = &rest[start..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A clock constant sent to DLI (no Spark time zone configured) carries its Spark
/// meaning, named as Postgres names it, like any statement the gateway does not answer.
#[tokio::test(flavor = "current_thread")]
async fn a_clock_sent_to_dli_is_translated() {
    let catalog = catalog();
    let mut p = plan(Lexed::new("SELECT now()"), Some(catalog.as_ref()));
    assert!(matches!(p.kind, Kind::Constant(_)), "{}", label(&p));
    p.clocks_to_dli();
    assert!(matches!(p.kind, Kind::Dli { .. }), "{}", label(&p));
    assert_eq!(p.spark_sql, "SELECT now() AS `now`");
}
