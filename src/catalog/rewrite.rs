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
//! - after the library: `generate_subscripts(a, d)` becomes
//!   `unnest(range(1, array_length(a, d) + 1))`;
//! - after the library: `LIKE … ESCAPE '/'` becomes the same pattern escaped with a
//!   backslash (DataFusion supports no other escape character).
//!
//! Must not change what a query means for DLI metadata.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    AccessExpr, DataType, Expr, FunctionArguments, Statement, Value, ValueWithSpan, VisitMut,
    VisitorMut,
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
            // `'pg_catalog.array_in'::regproc`: the emulation's regproc columns
            // (`pg_type.typinput` …) hold function names, so compare with the name.
            if let Expr::Cast {
                expr: operand,
                data_type,
                ..
            } = expr
                && data_type.to_string().eq_ignore_ascii_case("regproc")
                && let Expr::Value(ValueWithSpan {
                    value: Value::SingleQuotedString(name),
                    ..
                }) = operand.as_ref()
            {
                let bare = name.strip_prefix("pg_catalog.").unwrap_or(name).to_string();
                *expr = Expr::Value(Value::SingleQuotedString(bare).into());
                self.changed = true;
                return ControlFlow::Continue(());
            }
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

fn is_text_like_pg_type(dt: &DataType) -> bool {
    let s = dt.to_string().to_ascii_lowercase();
    let bare = s.strip_prefix("pg_catalog.").unwrap_or(&s);
    matches!(
        bare,
        "name"
            | "\"char\""
            | "xid"
            | "cid"
            | "tid"
            | "pg_node_tree"
            | "int2vector"
            | "oidvector"
            | "aclitem"
            | "aclitem[]"
            | "regprocedure"
            | "regoper"
            | "regoperator"
    )
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
            // Casts to Postgres types DataFusion lacks (`'dli'::name`, `x::xid`) as text.
            if let Expr::Cast { data_type, .. } = expr
                && is_text_like_pg_type(data_type)
            {
                *data_type = DataType::Text;
            }
            // `(expr).field` → `get_field(expr, 'field')` (pgjdbc's
            // `(information_schema._pg_expandarray(i.indkey)).n`, `(result.keys).x`).
            if let Expr::CompoundFieldAccess { root, access_chain } = expr
                && let [AccessExpr::Dot(Expr::Identifier(field))] = access_chain.as_slice()
                && let Some(e) = parse_expr(&format!(
                    "get_field({root}, '{}')",
                    field.value.replace('\'', "''")
                ))
            {
                *expr = e;
            }
            if let Expr::Like {
                pattern,
                escape_char,
                ..
            }
            | Expr::ILike {
                pattern,
                escape_char,
                ..
            } = expr
            {
                backslash_escape(pattern, escape_char);
            }
            // `generate_subscripts(a, d)` (next to `unnest(a)`, as SQLAlchemy pairs keys with
            // their positions): DataFusion zips several unnests of one projection.
            if let Expr::Function(f) = expr
                && f.name
                    .to_string()
                    .eq_ignore_ascii_case("generate_subscripts")
                && let FunctionArguments::List(list) = &f.args
                && list.args.len() == 2
                && let Some(e) = parse_expr(&format!(
                    "unnest(range(1, CAST(COALESCE(array_length({}, {}), 0) AS BIGINT) + 1))",
                    list.args[0], list.args[1]
                ))
            {
                *expr = e;
                return ControlFlow::Continue(());
            }
            // `array(1, 2)` (how the extended protocol renders a bound array) is
            // DataFusion's `make_array(1, 2)`.
            if let Expr::Function(f) = expr
                && matches!(f.args, FunctionArguments::List(_))
                && f.name.to_string().eq_ignore_ascii_case("array")
            {
                f.name = datafusion::sql::sqlparser::ast::ObjectName::from(vec![
                    datafusion::sql::sqlparser::ast::Ident::new("make_array"),
                ]);
            }
            // A scalar subquery selecting one plain expression: DataFusion only decorrelates
            // aggregated ones, Postgres errors on more than one row anyway.
            if let Expr::Subquery(q) = expr {
                aggregate_single_row(q);
            }
            // `generate_series(a, b)` in a select list (psqlODBC's foreign keys): the
            // set-returning function DataFusion has there is `unnest`.
            if let Expr::Function(f) = expr
                && f.name.to_string().eq_ignore_ascii_case("generate_series")
                && let FunctionArguments::List(list) = &f.args
                && list.args.len() == 2
                && let Some(e) = parse_expr(&format!(
                    "unnest(range(CAST({} AS BIGINT), CAST({} AS BIGINT) + 1))",
                    list.args[0], list.args[1]
                ))
            {
                *expr = e;
                return ControlFlow::Continue(());
            }
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

/// `(SELECT e FROM … WHERE …)` → `(SELECT first_value(e) FROM … WHERE …)` when `e` is
/// not already an aggregate and the subquery has no GROUP BY, ORDER BY or set operation.
fn aggregate_single_row(q: &mut datafusion::sql::sqlparser::ast::Query) {
    use datafusion::sql::sqlparser::ast::{GroupByExpr, SelectItem, SetExpr};
    if q.order_by.is_some() {
        return;
    }
    let SetExpr::Select(sel) = q.body.as_mut() else {
        return;
    };
    let no_group = matches!(&sel.group_by, GroupByExpr::Expressions(e, _) if e.is_empty());
    if !no_group || sel.projection.len() != 1 || sel.from.is_empty() || sel.having.is_some() {
        return;
    }
    let (SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. }) =
        &mut sel.projection[0]
    else {
        return;
    };
    if is_aggregate(e) {
        return;
    }
    if let Some(wrapped) = parse_expr(&format!("first_value({e})")) {
        *e = wrapped;
    }
}

fn is_aggregate(e: &Expr) -> bool {
    const AGGREGATES: &[&str] = &[
        "count",
        "sum",
        "min",
        "max",
        "avg",
        "array_agg",
        "string_agg",
        "bool_and",
        "bool_or",
        "first_value",
        "last_value",
        "json_agg",
        "every",
    ];
    matches!(e, Expr::Function(f)
        if AGGREGATES.contains(&f.name.to_string().to_ascii_lowercase().as_str()))
}

/// `LIKE p ESCAPE 'c'` (SQLAlchemy uses `/`) as the backslash-escaped pattern DataFusion
/// accepts: the escape character is rewritten inside every string literal of `p`.
fn backslash_escape(pattern: &mut Expr, escape_char: &mut Option<ValueWithSpan>) {
    let Some(ValueWithSpan {
        value: Value::SingleQuotedString(esc),
        ..
    }) = escape_char.as_ref()
    else {
        return;
    };
    let mut chars = esc.chars();
    let (Some(c), None) = (chars.next(), chars.next()) else {
        return;
    };
    if c == '\\' {
        return;
    }
    struct Lit(char);
    impl VisitorMut for Lit {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
            if let Expr::Value(ValueWithSpan {
                value: Value::SingleQuotedString(s),
                ..
            }) = e
            {
                let mut out = String::with_capacity(s.len());
                let mut it = s.chars();
                while let Some(ch) = it.next() {
                    if ch == self.0 {
                        match it.next() {
                            Some(n) if n == '%' || n == '_' => {
                                out.push('\\');
                                out.push(n);
                            }
                            Some('\\') => out.push_str("\\\\"),
                            Some(n) => out.push(n),
                            None => {}
                        }
                    } else if ch == '\\' {
                        out.push_str("\\\\");
                    } else {
                        out.push(ch);
                    }
                }
                *s = out;
            }
            ControlFlow::Continue(())
        }
    }
    let _ = pattern.visit(&mut Lit(c));
    *escape_char = Some(Value::SingleQuotedString("\\".into()).into());
}

fn parse_expr(sql: &str) -> Option<Expr> {
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(sql)
        .ok()?
        .parse_expr()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(sql: &str) -> String {
        let stmt = Parser::parse_sql(&PostgreSqlDialect {}, sql)
            .unwrap()
            .remove(0);
        after_library(stmt).to_string()
    }

    #[test]
    fn like_escape_becomes_backslash() {
        assert_eq!(
            rewritten("SELECT 1 WHERE a NOT LIKE 'pg/_' || '%' ESCAPE '/'"),
            "SELECT 1 WHERE a NOT LIKE 'pg\\_' || '%' ESCAPE '\\'"
        );
    }

    #[test]
    fn expandarray_and_array_subquery() {
        let s =
            rewritten("SELECT (information_schema._pg_expandarray(i.indkey)).n, array(select 1)");
        assert!(s.contains("named_struct"), "{s}");
        assert!(s.contains("CAST(NULL AS TEXT[])"), "{s}");
    }
}
