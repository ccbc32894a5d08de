//! Deciding whether a statement is a catalog query the gateway answers itself.
//!
//! Owns: the classification of one statement, read with sqlparser's Postgres dialect and
//! its AST visitor (never text matching):
//! - **catalog** — a query whose every relation is in `pg_catalog` or
//!   `information_schema` (unqualified `pg_*` names resolve to `pg_catalog` first, as in
//!   Postgres) or is a catalog table function, and which reads at least one of them or
//!   calls a catalog function (`format_type`, `pg_*`, `current_schemas`,
//!   `has_*_privilege`, …);
//! - **mixed** — catalog relations together with DLI tables: refused with a clear error
//!   rather than sent to DLI (which has no `pg_class`);
//! - **user** — everything else, including `default.pg_class` and queries that parse
//!   only as Spark SQL: DLI runs them.
//!
//! Also recognises the cache commands `SELECT dli_catalog_refresh(['db'])` and
//! `SELECT * FROM dli_catalog_status()`. Must not execute anything.

use std::collections::HashSet;
use std::ops::ControlFlow;

use crate::gateway::catalog_hook::CatalogRoute;
use datafusion_pg_catalog::pg_catalog::PG_CATALOG_TABLES;
use sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, ObjectName, Query, SelectItem,
    SetExpr, Statement, TableFactor, Value, Visit, Visitor,
};

/// Relations of `pg_catalog` the emulation adds to the library's list.
pub const EXTRA_PG_RELATIONS: &[&str] = &[
    "pg_user",
    "pg_cursors",
    "pg_stat_activity",
    "pg_statio_user_tables",
];

/// Table functions a catalog query may read from.
const CATALOG_TABLE_FUNCTIONS: &[&str] = &[
    "pg_get_keywords",
    "generate_subscripts",
    "unnest",
    "_pg_expandarray",
    "dli_catalog_status",
];

/// Scalar functions that only make sense against the catalog.
const CATALOG_FUNCTIONS: &[&str] = &[
    "format_type",
    "current_schemas",
    "has_table_privilege",
    "has_schema_privilege",
    "has_database_privilege",
    "has_any_column_privilege",
    "has_column_privilege",
    "has_function_privilege",
    "has_type_privilege",
    "obj_description",
    "col_description",
    "shobj_description",
    "_pg_expandarray",
    "quote_ident",
    "current_setting",
    "array_to_string",
    "txid_current",
];

/// Classify one statement, parsed with Postgres rules.
pub fn route(stmt: &Statement) -> CatalogRoute {
    route_with(stmt, None)
}

/// [`route`] with the gateway-owned Flink schema (its relations and functions are
/// answered by the gateway like the catalog's).
pub fn route_with(stmt: &Statement, flink: Option<&str>) -> CatalogRoute {
    let Statement::Query(query) = stmt else {
        return CatalogRoute::User;
    };
    if let Some(r) = refresh_command(query) {
        return r;
    }
    let mut v = Classifier {
        flink: flink.map(str::to_string),
        ..Classifier::default()
    };
    let _ = stmt.visit(&mut v);
    match (v.catalog.first(), v.user.first()) {
        (Some(c), Some(u)) => CatalogRoute::Mixed {
            catalog: c.clone(),
            user: u.clone(),
        },
        (_, Some(_)) => CatalogRoute::User,
        (Some(_), None) => CatalogRoute::Catalog,
        (None, None) if v.catalog_function => CatalogRoute::Catalog,
        (None, None) => CatalogRoute::User,
    }
}

/// The value of an identifier as Postgres resolves it (unquoted names fold to lower case).
fn folded(i: &Ident) -> String {
    match i.quote_style {
        Some(_) => i.value.clone(),
        None => i.value.to_lowercase(),
    }
}

fn parts(name: &ObjectName) -> Vec<String> {
    name.0
        .iter()
        .map(|p| p.as_ident().map(folded).unwrap_or_default())
        .collect()
}

fn is_pg_relation(name: &str) -> bool {
    PG_CATALOG_TABLES.contains(&name) || EXTRA_PG_RELATIONS.contains(&name)
}

fn is_catalog_schema(s: &str) -> bool {
    s == "pg_catalog" || s == "information_schema"
}

#[derive(Default)]
struct Classifier {
    ctes: HashSet<String>,
    catalog: Vec<String>,
    user: Vec<String>,
    catalog_function: bool,
    /// The gateway's Flink schema.
    flink: Option<String>,
}

impl Classifier {
    fn relation(&mut self, name: &ObjectName, is_function: bool) {
        let p = parts(name);
        let shown = p.join(".");
        let last = p.last().cloned().unwrap_or_default();
        let in_flink = |s: &str| self.flink.as_deref() == Some(s);
        let flink = match p.len() {
            2 => in_flink(&p[0]),
            3 => in_flink(&p[1]),
            _ => false,
        };
        if flink {
            self.catalog.push(shown);
            return;
        }
        if is_function && !CATALOG_TABLE_FUNCTIONS.contains(&last.as_str()) {
            // generate_series (translated for DLI), string_to_array, Spark's range(): no
            // relation; the query goes where its other relations and functions send it.
            return;
        }
        let catalog = match p.len() {
            1 if is_function => true,
            1 if self.ctes.contains(&last) => return,
            1 => is_pg_relation(&last),
            2 => is_catalog_schema(&p[0]),
            // database.schema.relation: only the catalog schemas of any database
            3 => is_catalog_schema(&p[1]),
            _ => false,
        };
        if catalog {
            self.catalog.push(shown);
        } else {
            self.user.push(shown);
        }
    }
}

impl Visitor for Classifier {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        if let Some(with) = &query.with {
            for cte in &with.cte_tables {
                self.ctes.insert(folded(&cte.alias.name));
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, tf: &TableFactor) -> ControlFlow<()> {
        if let TableFactor::Table { name, args, .. } = tf {
            self.relation(name, args.is_some());
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        if let Expr::Cast { data_type, .. } = expr
            && is_oid_alias(data_type)
        {
            self.catalog_function = true;
        }
        if let Expr::Function(f) = expr {
            let p = parts(&f.name);
            let last = p.last().map(String::as_str).unwrap_or_default();
            let qualified = p.len() > 1
                && (is_catalog_schema(&p[0]) || self.flink.as_deref() == Some(p[0].as_str()));
            if qualified || last.starts_with("pg_") || CATALOG_FUNCTIONS.contains(&last) {
                self.catalog_function = true;
            }
        }
        ControlFlow::Continue(())
    }
}

/// `regclass`, `regtype`, `regproc`, `regnamespace` … (casts only the catalog can answer).
fn is_oid_alias(dt: &sqlparser::ast::DataType) -> bool {
    let name = dt.to_string().to_ascii_lowercase();
    let bare = name.strip_prefix("pg_catalog.").unwrap_or(&name);
    bare.starts_with("reg") && bare.len() > 3 && bare.chars().all(|c| c.is_ascii_lowercase())
}

/// `SELECT [pg_catalog.]dli_catalog_refresh(['db'])` with nothing else.
fn refresh_command(query: &Query) -> Option<CatalogRoute> {
    let SetExpr::Select(sel) = query.body.as_ref() else {
        return None;
    };
    if !sel.from.is_empty() || sel.projection.len() != 1 {
        return None;
    }
    let expr = match &sel.projection[0] {
        SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e,
        _ => return None,
    };
    let Expr::Function(f) = expr else { return None };
    let p = parts(&f.name);
    if p.last().map(String::as_str) != Some("dli_catalog_refresh") {
        return None;
    }
    let FunctionArguments::List(list) = &f.args else {
        return Some(CatalogRoute::Refresh(None));
    };
    match list.args.as_slice() {
        [] => Some(CatalogRoute::Refresh(None)),
        [FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(v)))] => match &v.value {
            Value::SingleQuotedString(db) => Some(CatalogRoute::Refresh(Some(db.clone()))),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The route of `sql`; text that does not parse with Postgres rules is DLI's.
    fn route_sql(sql: &str) -> CatalogRoute {
        match crate::pgsql::Lexed::new(sql).parse() {
            Ok(mut v) if v.len() == 1 => route(&v.remove(0)),
            _ => CatalogRoute::User,
        }
    }

    fn is_catalog(sql: &str) -> bool {
        matches!(route_sql(sql), CatalogRoute::Catalog)
    }

    #[test]
    fn catalog_queries_are_recognised() {
        assert!(is_catalog("SELECT * FROM pg_class"));
        assert!(is_catalog("SELECT * FROM PG_CATALOG.PG_CLASS c"));
        assert!(is_catalog(
            "SELECT n.nspname FROM pg_catalog.pg_namespace n WHERE n.nspname OPERATOR(pg_catalog.~) '^(x)$' COLLATE pg_catalog.default"
        ));
        assert!(is_catalog(
            "SELECT table_name FROM information_schema.tables"
        ));
        assert!(is_catalog("SELECT pg_catalog.format_type(23, -1)"));
        assert!(is_catalog("SELECT current_schemas(false)"));
        assert!(is_catalog(
            "WITH RECURSIVE t(oid) AS (SELECT oid FROM pg_type UNION ALL SELECT t.oid FROM t) SELECT * FROM t"
        ));
        assert!(is_catalog("SELECT word FROM pg_get_keywords()"));
        assert!(is_catalog("SELECT 'tpch.nation'::regclass::oid"));
        assert!(is_catalog("SELECT 23::pg_catalog.regtype"));
        assert!(is_catalog(
            "SELECT 1 FROM information_schema.tables t WHERE t.table_schema IN \
             (SELECT s[i] FROM generate_series(1, 2) AS i, string_to_array('a,b', ',') s)"
        ));
        assert_eq!(route_sql("SELECT * FROM range(10)"), CatalogRoute::User);
        // generate_series alone, or with DLI tables, is DLI's (translated to Spark)
        assert_eq!(
            route_sql("SELECT * FROM generate_series(1, 5)"),
            CatalogRoute::User
        );
        assert_eq!(
            route_sql("SELECT g FROM t JOIN generate_series(1, 2) g ON g <= t.id"),
            CatalogRoute::User
        );
        assert!(is_catalog(
            "SELECT a.attname FROM pg_attribute a, generate_series(1, 3) i WHERE a.attnum = i"
        ));
        assert!(is_catalog(
            "SELECT x FROM pg_class c WHERE c.oid IN (SELECT attrelid FROM pg_attribute)"
        ));
    }

    #[test]
    fn user_queries_are_never_local() {
        for sql in [
            "SELECT 1",
            "SELECT * FROM nation",
            "SELECT * FROM tpch.nation",
            "SELECT * FROM default.pg_class",
            "SELECT * FROM \"default\".pg_class",
            "SELECT * FROM tables",
            "SELECT * FROM \"PG_CLASS\"",
            "INSERT INTO t SELECT * FROM pg_class",
            "SELECT * FROM t LATERAL VIEW explode(a) x AS y",
            "SELECT upper(name) FROM tpch.nation WHERE format_type(1, 2) = ''",
        ] {
            assert_eq!(route_sql(sql), CatalogRoute::User, "{sql}");
        }
    }

    #[test]
    fn mixed_queries_are_refused() {
        match route_sql("SELECT * FROM tpch.nation n JOIN pg_class c ON c.relname = n.n_name") {
            CatalogRoute::Mixed { catalog, user } => {
                assert_eq!(catalog, "pg_class");
                assert_eq!(user, "tpch.nation");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            route_sql("SELECT * FROM pg_class WHERE relname IN (SELECT name FROM shop.items)"),
            CatalogRoute::Mixed { .. }
        ));
    }

    #[test]
    fn refresh_commands() {
        assert_eq!(
            route_sql("SELECT dli_catalog_refresh()"),
            CatalogRoute::Refresh(None)
        );
        assert_eq!(
            route_sql("select pg_catalog.dli_catalog_refresh('tpch')"),
            CatalogRoute::Refresh(Some("tpch".into()))
        );
        assert!(is_catalog("SELECT * FROM dli_catalog_status()"));
    }
}
