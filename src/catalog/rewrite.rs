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

use std::collections::HashSet;
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

/// Unnamed select-list expressions with the same name (`SELECT NULL, NULL`, pgjdbc's
/// getProcedures) get distinct aliases; DataFusion refuses duplicate names, Postgres
/// calls them all `?column?`.
pub fn distinct_unnamed(mut stmt: Statement) -> Statement {
    use datafusion::sql::sqlparser::ast::{Ident, Query, SelectItem, SetExpr};
    struct V;
    impl VisitorMut for V {
        type Break = ();
        fn pre_visit_query(&mut self, q: &mut Query) -> ControlFlow<()> {
            if let SetExpr::Select(sel) = q.body.as_mut() {
                let mut seen = HashSet::new();
                let mut n = 0;
                for item in &mut sel.projection {
                    if let SelectItem::UnnamedExpr(e) = item
                        && !matches!(e, Expr::Identifier(_) | Expr::CompoundIdentifier(_))
                    {
                        let name = e.to_string();
                        if !seen.insert(name) {
                            n += 1;
                            let alias = format!("?column?{n}");
                            *item = SelectItem::ExprWithAlias {
                                expr: e.clone(),
                                alias: Ident::with_quote('"', alias),
                            };
                        }
                    }
                }
            }
            ControlFlow::Continue(())
        }
    }
    let _ = stmt.visit(&mut V);
    stmt
}

fn is_regclass(dt: &DataType) -> bool {
    let s = dt.to_string().to_ascii_lowercase();
    s == "regclass" || s == "pg_catalog.regclass"
}

/// `bool_col = 't'` (psqlODBC) as `bool_col = true`: DataFusion does not coerce text
/// literals to booleans. `bool_columns` names the boolean columns of the catalog.
pub fn boolean_literals(mut stmt: Statement, bool_columns: &HashSet<String>) -> Statement {
    use datafusion::sql::sqlparser::ast::BinaryOperator;
    struct V<'a>(&'a HashSet<String>);
    fn column_name(e: &Expr) -> Option<String> {
        match e {
            Expr::Identifier(i) => Some(i.value.to_ascii_lowercase()),
            Expr::CompoundIdentifier(parts) => parts.last().map(|i| i.value.to_ascii_lowercase()),
            _ => None,
        }
    }
    fn as_bool(e: &Expr) -> Option<bool> {
        match e {
            Expr::Value(ValueWithSpan {
                value: Value::SingleQuotedString(s),
                ..
            }) => match s.to_ascii_lowercase().as_str() {
                "t" | "true" | "y" | "yes" | "on" | "1" => Some(true),
                "f" | "false" | "n" | "no" | "off" | "0" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }
    impl VisitorMut for V<'_> {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
            if let Expr::BinaryOp { left, op, right } = e
                && matches!(op, BinaryOperator::Eq | BinaryOperator::NotEq)
            {
                let is_bool = |e: &Expr| column_name(e).is_some_and(|c| self.0.contains(&c));
                if is_bool(left)
                    && let Some(b) = as_bool(right)
                {
                    **right = Expr::Value(Value::Boolean(b).into());
                } else if is_bool(right)
                    && let Some(b) = as_bool(left)
                {
                    **left = Expr::Value(Value::Boolean(b).into());
                }
            }
            ControlFlow::Continue(())
        }
    }
    let _ = stmt.visit(&mut V(bool_columns));
    stmt
}

/// `pg_type` columns of type `regproc`, which the emulation stores as function names.
const REGPROC_COLUMNS: &[&str] = &[
    "typinput",
    "typoutput",
    "typreceive",
    "typsend",
    "typmodin",
    "typmodout",
    "typanalyze",
];

/// `p.oid = t.typreceive` (Npgsql's type loading joins `pg_proc` on a regproc column):
/// since the regproc columns hold names, join on `p.proname` instead (receive, send,
/// input and output functions are not overloaded, so the match is the same).
pub fn regproc_joins(mut stmt: Statement) -> Statement {
    use datafusion::sql::sqlparser::ast::{BinaryOperator, Ident};
    struct V;
    fn last(e: &Expr) -> Option<String> {
        match e {
            Expr::CompoundIdentifier(p) => p.last().map(|i| i.value.to_ascii_lowercase()),
            Expr::Identifier(i) => Some(i.value.to_ascii_lowercase()),
            _ => None,
        }
    }
    fn to_proname(e: &mut Expr) {
        if let Expr::CompoundIdentifier(parts) = e
            && let Some(l) = parts.last_mut()
        {
            *l = Ident::new("proname");
        }
    }
    impl VisitorMut for V {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
            if let Expr::BinaryOp {
                left,
                op: BinaryOperator::Eq,
                right,
            } = e
            {
                let (l, r) = (last(left), last(right));
                let regproc =
                    |n: &Option<String>| n.as_deref().is_some_and(|n| REGPROC_COLUMNS.contains(&n));
                let is_oid = |n: &Option<String>, e: &Expr| {
                    n.as_deref() == Some("oid") && matches!(e, Expr::CompoundIdentifier(_))
                };
                if regproc(&r) && is_oid(&l, left) {
                    to_proname(left);
                } else if regproc(&l) && is_oid(&r, right) {
                    to_proname(right);
                }
            }
            ControlFlow::Continue(())
        }
    }
    let _ = stmt.visit(&mut V);
    stmt
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

/// `$n::type` casts in `stmt`: the parameter types a client declared in the SQL text
/// (asyncpg's `any($1::oid[])`), for Describe when DataFusion infers none.
pub fn placeholder_casts(stmt: &Statement) -> Vec<(usize, pgwire::api::Type)> {
    use pgwire::api::Type;
    struct V(Vec<(usize, Type)>);
    impl datafusion::sql::sqlparser::ast::Visitor for V {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            if let Expr::Cast {
                expr, data_type, ..
            } = e
                && let Expr::Value(ValueWithSpan {
                    value: Value::Placeholder(p),
                    ..
                }) = expr.as_ref()
                && let Some(n) = p.strip_prefix('$').and_then(|n| n.parse::<usize>().ok())
            {
                let name = data_type.to_string().to_ascii_lowercase();
                let name = name.strip_prefix("pg_catalog.").unwrap_or(&name);
                let ty = match name {
                    "oid" | "regclass" | "regtype" | "regproc" | "regnamespace" | "int4"
                    | "int" | "integer" => Some(Type::INT4),
                    "oid[]" | "regtype[]" => Some(Type::OID_ARRAY),
                    "int4[]" | "int[]" | "integer[]" => Some(Type::INT4_ARRAY),
                    "int2" | "smallint" => Some(Type::INT2),
                    "int8" | "bigint" => Some(Type::INT8),
                    "bool" | "boolean" => Some(Type::BOOL),
                    "text" | "name" | "varchar" | "character varying" => Some(Type::TEXT),
                    "text[]" | "name[]" => Some(Type::TEXT_ARRAY),
                    _ => None,
                };
                if let Some(t) = ty {
                    self.0.push((n, t));
                }
            }
            ControlFlow::Continue(())
        }
    }
    let mut v = V(Vec::new());
    let _ = datafusion::sql::sqlparser::ast::Visit::visit(stmt, &mut v);
    v.0
}

/// Every `$n` replaced by NULL (its cast, if any, kept): the statement's result columns
/// do not depend on parameter values.
pub fn null_placeholders(mut stmt: Statement) -> Statement {
    struct V;
    impl VisitorMut for V {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
            if let Expr::Value(ValueWithSpan {
                value: Value::Placeholder(_),
                ..
            }) = e
            {
                *e = Expr::Value(Value::Null.into());
            }
            ControlFlow::Continue(())
        }
    }
    let _ = stmt.visit(&mut V);
    stmt
}

/// The fallback when DataFusion cannot plan a correlated scalar subquery nested in a
/// projection expression (`CASE WHEN … THEN (SELECT … WHERE x = outer.y) END`): every
/// scalar subquery inside a select-list expression becomes NULL. In catalog queries these
/// look up defaults, identity sequences, collations and inheritance, none of which DLI
/// tables have, so NULL is their true value here. Used only after a failed first attempt.
pub fn null_projection_subqueries(mut stmt: Statement) -> Statement {
    use datafusion::sql::sqlparser::ast::{Query, SelectItem, SetExpr};
    struct Nuller;
    impl VisitorMut for Nuller {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
            if matches!(e, Expr::Subquery(_)) {
                *e = Expr::Value(Value::Null.into());
            }
            ControlFlow::Continue(())
        }
    }
    struct Projections;
    impl VisitorMut for Projections {
        type Break = ();
        fn pre_visit_query(&mut self, q: &mut Query) -> ControlFlow<()> {
            if let SetExpr::Select(sel) = q.body.as_mut() {
                for item in &mut sel.projection {
                    if let SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } =
                        item
                        && !matches!(e, Expr::Subquery(_))
                    {
                        let _ = e.visit(&mut Nuller);
                    }
                }
            }
            ControlFlow::Continue(())
        }
    }
    let _ = stmt.visit(&mut Projections);
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
