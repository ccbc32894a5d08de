//! Which databases a query needs described, read from real client queries.

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use super::*;
use crate::catalog::model::{Database, RelKind, Table};

fn snap() -> Snapshot {
    let t = |n: &str| Table {
        name: n.into(),
        kind: RelKind::Table,
        dli_type: "MANAGED".into(),
        owner: "dli".into(),
        description: None,
        columns: Vec::new(),
        definition: None,
        size: None,
        partition_keys: Vec::new(),
    };
    let db = |n: &str, ts: &[&str]| Database {
        name: n.into(),
        owner: String::new(),
        description: None,
        tables: ts.iter().map(|x| t(x)).collect(),
        described: false,
    };
    Snapshot::new(
        vec![
            db("default", &["t"]),
            db("sales", &["orders", "items"]),
            db("sales_archive", &["orders"]),
            db("tpch", &["lineitem"]),
        ],
        1,
    )
}

/// `None` = all databases.
fn needed(sql: &str) -> Option<Vec<String>> {
    let stmt = Parser::parse_sql(&PostgreSqlDialect {}, sql)
        .unwrap()
        .remove(0);
    of_catalog_query(&stmt)
        .databases(&snap(), "sales")
        .map(|s| s.into_iter().collect())
}

fn dbs(names: &[&str]) -> Option<Vec<String>> {
    Some(names.iter().map(|s| s.to_string()).collect())
}

#[test]
fn listing_tables_needs_no_describe() {
    // psql \dt
    assert_eq!(
        needed(
            "SELECT n.nspname as \"Schema\", c.relname as \"Name\", \
             pg_catalog.pg_get_userbyid(c.relowner) as \"Owner\" FROM pg_catalog.pg_class c \
             LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r','p','') AND n.nspname <> 'pg_catalog' \
             AND pg_catalog.pg_table_is_visible(c.oid) ORDER BY 1,2"
        ),
        dbs(&[])
    );
    assert_eq!(
        needed("SELECT schemaname, tablename FROM pg_tables"),
        dbs(&[])
    );
    assert_eq!(
        needed("SELECT table_name FROM information_schema.tables"),
        dbs(&[])
    );
}

#[test]
fn columns_of_one_schema() {
    assert_eq!(
        needed(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'tpch' \
             AND table_name = 'lineitem'"
        ),
        dbs(&["tpch"])
    );
    // pgjdbc getColumns(null, "sales", "%", "%")
    assert_eq!(
        needed(
            "SELECT * FROM (SELECT n.nspname, c.relname, a.attname FROM pg_catalog.pg_namespace n \
             JOIN pg_catalog.pg_class c ON (c.relnamespace = n.oid) JOIN pg_catalog.pg_attribute a \
             ON (a.attrelid = c.oid) WHERE c.relkind IN ('r','v') AND a.attnum > 0 \
             AND n.nspname LIKE 'sales' AND c.relname LIKE '%') c WHERE true ORDER BY nspname"
        ),
        dbs(&["sales"])
    );
    // a pattern: sales and sales_archive
    assert_eq!(
        needed(
            "SELECT a.attname FROM pg_attribute a JOIN pg_class c ON a.attrelid = c.oid \
             JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname LIKE 'sales%'"
        ),
        dbs(&["sales", "sales_archive"])
    );
    // psql \d sales.orders: pattern on the schema
    assert_eq!(
        needed(
            "SELECT a.attname FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c \
             ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname OPERATOR(pg_catalog.~) '^(sales)$' COLLATE pg_catalog.default"
        ),
        dbs(&["sales"])
    );
    assert_eq!(
        needed(
            "SELECT attname FROM pg_attribute a, pg_namespace n WHERE n.nspname IN ('tpch', 'default')"
        ),
        dbs(&["default", "tpch"])
    );
}

#[test]
fn columns_of_one_table_by_oid_name_or_regclass() {
    let s = snap();
    let oid = s.find("tpch", "lineitem").unwrap().oid;
    // psql \d: attrelid = 'oid'
    assert_eq!(
        needed(&format!(
            "SELECT a.attname FROM pg_catalog.pg_attribute a WHERE a.attrelid = '{oid}' \
             AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
        )),
        dbs(&["tpch"])
    );
    assert_eq!(
        needed(&format!(
            "SELECT pg_catalog.pg_get_partkeydef('{oid}'::pg_catalog.oid)"
        )),
        dbs(&["tpch"])
    );
    assert_eq!(
        needed(&format!(
            "SELECT c.relnatts FROM pg_class c WHERE c.oid = {oid}"
        )),
        dbs(&["tpch"])
    );
    assert_eq!(
        needed("SELECT attname FROM pg_attribute WHERE attrelid = 'tpch.lineitem'::regclass"),
        dbs(&["tpch"])
    );
    // unqualified: the current schema
    assert_eq!(
        needed("SELECT attname FROM pg_attribute WHERE attrelid = 'orders'::regclass"),
        dbs(&["sales"])
    );
    // DBeaver's table list of one schema: `c.*` reads relnatts, pg_description comments
    let nsp = s.namespace_oids[s.databases.iter().position(|d| d.name == "tpch").unwrap()];
    assert_eq!(
        needed(&format!(
            "SELECT c.oid, c.*, d.description FROM pg_catalog.pg_class c LEFT OUTER JOIN \
             pg_catalog.pg_description d ON d.objoid = c.oid AND d.objsubid = 0 \
             WHERE c.relnamespace = {nsp} AND c.relkind NOT IN ('i', 'I', 'c')"
        )),
        dbs(&["tpch"])
    );
    assert_eq!(needed("SELECT * FROM pg_class"), None);
    // by table name: every database holding it
    assert_eq!(
        needed("SELECT column_name FROM information_schema.columns WHERE table_name = 'orders'"),
        dbs(&["sales", "sales_archive"])
    );
}

#[test]
fn unrestricted_or_unreadable_conditions_need_everything() {
    for sql in [
        "SELECT count(*) FROM information_schema.columns",
        "SELECT * FROM pg_attribute WHERE attnum > 0",
        // OR: not every row meets it
        "SELECT * FROM information_schema.columns WHERE table_schema = 'tpch' OR true",
        // a LEFT JOIN condition restricts nothing
        "SELECT a.attname FROM pg_attribute a LEFT JOIN pg_class c ON c.oid = a.attrelid \
         AND c.relname = 'orders'",
        // a parameter
        "SELECT * FROM information_schema.columns WHERE table_schema = $1",
        // a regex psql never sends
        "SELECT * FROM information_schema.columns WHERE table_schema ~ 'sa(les)+'",
        // a function over every table
        "SELECT c.relname, obj_description(c.oid, 'pg_class') FROM pg_class c",
        // the oid of something that is not a relation: pg_type
        "SELECT a.attname FROM pg_attribute a JOIN pg_type t ON a.atttypid = t.oid WHERE t.oid = 23",
        // a subquery correlated with an unrestricted query
        "SELECT c.relname, (SELECT count(*) FROM pg_attribute a WHERE a.attrelid = c.oid) \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace",
    ] {
        assert_eq!(needed(sql), None, "{sql}");
    }
}

#[test]
fn correlated_subqueries_take_the_enclosing_conditions() {
    let s = snap();
    let oid = s.find("tpch", "lineitem").unwrap().oid;
    // psql 15 \d: publications and extended statistics of one table
    assert_eq!(
        needed(&format!(
            "SELECT pubname, (CASE WHEN pr.prattrs IS NOT NULL THEN (SELECT string_agg(attname, ', ') \
             FROM pg_catalog.generate_series(0, 3) s, pg_catalog.pg_attribute \
             WHERE attrelid = pr.prrelid AND attnum = prattrs[s]) ELSE NULL END) \
             FROM pg_catalog.pg_publication p JOIN pg_catalog.pg_publication_rel pr ON p.oid = pr.prpubid \
             JOIN pg_catalog.pg_class c ON c.oid = pr.prrelid WHERE pr.prrelid = '{oid}'"
        )),
        dbs(&["tpch"])
    );
    assert_eq!(
        needed(&format!(
            "SELECT oid, (SELECT string_agg(quote_ident(attname), ', ') FROM unnest(stxkeys) s(attnum) \
             JOIN pg_catalog.pg_attribute a ON (stxrelid = a.attrelid AND a.attnum = s.attnum \
             AND NOT attisdropped)) AS columns FROM pg_catalog.pg_statistic_ext stat \
             WHERE stxrelid = '{oid}' ORDER BY nsp, stxname"
        )),
        dbs(&["tpch"])
    );
}

#[test]
fn patterns() {
    assert!(Matcher::like("sa%s", false).matches("sales"));
    assert!(Matcher::like("sa_es", false).matches("sales"));
    assert!(!Matcher::like("sa_es", false).matches("saless"));
    assert!(Matcher::like("%", false).matches(""));
    assert!(Matcher::like("a\\_b", false).matches("a_b"));
    assert!(!Matcher::like("a\\_b", false).matches("axb"));
    assert!(Matcher::like("SALES", true).matches("sales"));
    let re = Matcher::psql_regex("^(sales.*)$", false).unwrap();
    assert!(re.matches("sales") && re.matches("sales_archive") && !re.matches("tpch"));
    assert!(Matcher::psql_regex("^(a|b)$", false).is_none());
    assert!(Matcher::psql_regex("sales", false).is_none());
    assert_eq!(
        split_qualified("\"My.Db\".T"),
        vec!["My.Db".to_string(), "t".to_string()]
    );
}

#[test]
fn user_queries_need_the_databases_they_name() {
    let stmt = Parser::parse_sql(
        &PostgreSqlDialect {},
        "SELECT * FROM orders o JOIN tpch.lineitem l ON o.id = l.l_orderkey",
    )
    .unwrap()
    .remove(0);
    let got: Vec<String> = of_user_query(&stmt, "sales")
        .databases(&snap(), "sales")
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(got, vec!["sales".to_string(), "tpch".to_string()]);
}

#[test]
fn parenthesised_joins_are_read_through() {
    // psqlODBC's SQLColumns: every relation and condition sits in nested joins.
    let odbc = "select n.nspname, c.relname, a.attname, a.atttypid, t.typname, a.attnum \
        from (((pg_catalog.pg_class c inner join pg_catalog.pg_namespace n on \
        n.oid = c.relnamespace and c.relname like 'orders' and n.nspname like 'sales') \
        inner join pg_catalog.pg_attribute a on (not a.attisdropped) and a.attnum > 0 \
        and a.attrelid = c.oid) inner join pg_catalog.pg_type t on t.oid = a.atttypid) \
        left outer join pg_catalog.pg_attrdef d on a.atthasdef and d.adrelid = a.attrelid \
        order by n.nspname, c.relname, attnum";
    assert_eq!(needed(odbc), dbs(&["sales"]));
    // Conditions of an outer join's right side restrict nothing: every database.
    assert_eq!(
        needed(
            "SELECT a.attname FROM pg_class c LEFT JOIN (pg_attribute a \
             JOIN pg_namespace n ON n.nspname = 'sales') ON a.attrelid = c.oid"
        ),
        None
    );
}
