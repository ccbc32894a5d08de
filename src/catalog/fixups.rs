//! Rewrites that make client catalog SQL plannable where DataFusion's typing differs from
//! Postgres', and the fallbacks tried when a first plan fails.
//!
//! Owns: distinct names for unnamed select-list expressions, `bool_col = 't'`, joins of
//! `pg_proc.oid` with `pg_type`'s name-valued regproc columns, `$n::type` parameter types,
//! and the relaxed forms used after a failure (NULL parameters, NULL correlated
//! select-list subqueries). See [`super::rewrite`] for the rest.

use std::collections::HashSet;
use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, Statement, Value, ValueWithSpan, VisitMut, VisitorMut,
};

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
                let ty = crate::pgtypes::cast_type(&data_type.to_string());
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
