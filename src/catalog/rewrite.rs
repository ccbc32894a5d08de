//! Our AST rewrites around `datafusion-pg-catalog`'s own.
//!
//! Owns: the few fixes the library lacks for our catalog —
//! - before the library: `'pg_class'::regclass` (and any built-in relation name, bare or
//!   `pg_catalog.`-qualified) becomes the relation's fixed OID. The library resolves
//!   one-part names in `current_schema()` only, while Postgres searches `pg_catalog`
//!   first; DBeaver and Metabase join `pg_description` on `classoid = 'pg_class'::regclass`.
//! - after the library: `information_schema._pg_expandarray(x)` (pgjdbc's primary and
//!   index key queries) becomes a struct of NULLs — `pg_index` never holds a DLI table,
//!   so those rows never survive the joins anyway;
//! - after the library: `ARRAY(SELECT …)` becomes a NULL `text[]` (DataFusion has no
//!   array constructor over a subquery; psql uses it only over option/ACL arrays).
//!
//! Must not change what a query means for DLI metadata.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    DataType, Expr, FunctionArguments, Statement, Value, ValueWithSpan, VisitMut, VisitorMut,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

use super::system::SystemRel;

/// The statement with built-in relation names cast to `regclass` replaced by their OID
/// (as a numeric string, which the library turns into a literal), or `None` if nothing
/// changed.
pub fn before_library(stmt: &Statement, system: &[SystemRel]) -> Option<Statement> {
    struct V<'a> {
        system: &'a [SystemRel],
        changed: bool,
    }
    impl VisitorMut for V<'_> {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
            if let Expr::Cast {
                expr: operand,
                data_type,
                ..
            } = expr
                && is_regclass(data_type)
                && let Expr::Value(ValueWithSpan {
                    value: Value::SingleQuotedString(name),
                    ..
                }) = operand.as_ref()
            {
                let bare = name.strip_prefix("pg_catalog.").unwrap_or(name);
                if let Some(r) = self.system.iter().find(|r| {
                    r.name == bare && r.namespace_oid == super::oids::PG_CATALOG_NAMESPACE
                }) {
                    **operand = Expr::Value(Value::SingleQuotedString(r.oid.to_string()).into());
                    self.changed = true;
                }
            }
            ControlFlow::Continue(())
        }
    }
    let mut stmt = stmt.clone();
    let mut v = V {
        system,
        changed: false,
    };
    let _ = stmt.visit(&mut v);
    v.changed.then_some(stmt)
}

fn is_regclass(dt: &DataType) -> bool {
    let s = dt.to_string().to_ascii_lowercase();
    s == "regclass" || s == "pg_catalog.regclass"
}

/// Rewrites applied to the library's output.
pub fn after_library(mut stmt: Statement) -> Statement {
    struct V {
        null_struct: Expr,
        null_array: Expr,
    }
    impl VisitorMut for V {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
            // `ARRAY(SELECT …)` (psql's `\d+` over reloptions): the option and ACL
            // arrays it collects are always empty here.
            if let Expr::Function(f) = expr
                && matches!(f.args, FunctionArguments::Subquery(_))
                && f.name.to_string().eq_ignore_ascii_case("array")
            {
                *expr = self.null_array.clone();
                return ControlFlow::Continue(());
            }
            if let Expr::Function(f) = expr
                && f.name
                    .0
                    .last()
                    .and_then(|p| p.as_ident())
                    .map(|i| i.value.as_str())
                    == Some("_pg_expandarray")
                && matches!(f.args, FunctionArguments::List(_))
            {
                *expr = self.null_struct.clone();
            }
            ControlFlow::Continue(())
        }
    }
    let (Some(null_struct), Some(null_array)) = (
        parse_expr("named_struct('x', CAST(NULL AS INT), 'n', CAST(NULL AS INT))"),
        parse_expr("CAST(NULL AS TEXT[])"),
    ) else {
        return stmt;
    };
    let _ = stmt.visit(&mut V {
        null_struct,
        null_array,
    });
    stmt
}

fn parse_expr(sql: &str) -> Option<Expr> {
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(sql)
        .ok()?
        .parse_expr()
        .ok()
}
