//! Output column names as Postgres gives them (its `FigureColname`): a column keeps its
//! name (also through a cast), a function call is named by the function (`sum`,
//! `count`), `CASE` is `case` unless its `ELSE` names it, a cast of anything else is
//! named by the type (`int4`, `text`), and any other expression is `?column?`.
//!
//! Owns: [`column_name`], the one Postgres-naming function (the constant answers of
//! [`crate::gateway`] use it too), and the aliasing of a query's outermost select list.

use sqlparser::ast::{
    AccessExpr, DataType, Expr, Ident, Query, SelectItem, SetExpr, TrimWhereField, Value,
};

use super::build::folded;

const NO_NAME: &str = "?column?";

/// The name Postgres gives an unaliased select-list expression.
pub fn column_name(e: &Expr) -> String {
    figure(e).map_or_else(|| NO_NAME.to_string(), |(n, _)| n)
}

/// An identifier in Postgres' double quotes (the lexical layer turns it into Spark's
/// backticks).
pub fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Name of `e` and its strength: 2 for a real name, 1 for a fallback (a type name,
/// `case`) that a stronger name inside a `CASE … ELSE` beats.
fn figure(e: &Expr) -> Option<(String, u8)> {
    let strong = |s: &str| Some((s.to_string(), 2));
    match e {
        Expr::Identifier(id) => Some((folded(id), 2)),
        Expr::CompoundIdentifier(parts) => parts.last().map(|id| (folded(id), 2)),
        Expr::CompoundFieldAccess { root, access_chain } => {
            match access_chain.iter().rev().find_map(|a| match a {
                AccessExpr::Dot(Expr::Identifier(id)) => Some(folded(id)),
                _ => None,
            }) {
                Some(n) => Some((n, 2)),
                None => figure(root),
            }
        }
        Expr::Nested(inner) | Expr::Collate { expr: inner, .. } => figure(inner),
        Expr::Function(f) => f
            .name
            .0
            .last()
            .and_then(|p| p.as_ident())
            .map(|id| (folded(id), 2)),
        Expr::Cast {
            expr, data_type, ..
        } => match figure(expr) {
            Some((n, 2)) => Some((n, 2)),
            _ => Some((type_name(data_type), 1)),
        },
        Expr::TypedString(t) => Some((type_name(&t.data_type), 1)),
        Expr::Value(v) if matches!(v.value, Value::Boolean(_)) => Some(("bool".into(), 1)),
        Expr::Interval(_) => Some(("interval".into(), 1)),
        Expr::Case { else_result, .. } => match else_result.as_deref().and_then(figure) {
            Some((n, 2)) => Some((n, 2)),
            _ => Some(("case".into(), 1)),
        },
        Expr::Exists { .. } => strong("exists"),
        Expr::Subquery(q) => first_output(q).map(|n| (n, 2)),
        Expr::Array(_) => strong("array"),
        Expr::Tuple(_) => strong("row"),
        Expr::Position { .. } => strong("position"),
        Expr::Substring { .. } => strong("substring"),
        Expr::Overlay { .. } => strong("overlay"),
        Expr::Extract { .. } => strong("extract"),
        Expr::Ceil { .. } => strong("ceil"),
        Expr::Floor { .. } => strong("floor"),
        Expr::AtTimeZone { .. } => strong("timezone"),
        Expr::Trim { trim_where, .. } => strong(match trim_where {
            Some(TrimWhereField::Leading) => "ltrim",
            Some(TrimWhereField::Trailing) => "rtrim",
            _ => "btrim",
        }),
        _ => None,
    }
}

/// The name of a subquery's first output column (`(SELECT max(x) FROM t)` is `max`).
fn first_output(q: &Query) -> Option<String> {
    let mut body = q.body.as_ref();
    loop {
        match body {
            SetExpr::Select(s) => {
                return match s.projection.first()? {
                    SelectItem::UnnamedExpr(e) => Some(column_name(e)),
                    SelectItem::ExprWithAlias { alias, .. } => Some(folded(alias)),
                    _ => None,
                };
            }
            SetExpr::SetOperation { left, .. } => body = left,
            SetExpr::Query(q) => body = q.body.as_ref(),
            _ => return None,
        }
    }
}

/// Postgres' internal name of a type (`integer` is `int4`, `varchar(10)` `varchar`).
fn type_name(t: &DataType) -> String {
    let text = t.to_string();
    match crate::pgtypes::postgres_type(&text) {
        Some(ty) => match ty.kind() {
            postgres_types::Kind::Array(elem) => elem.name().to_string(),
            _ => ty.name().to_string(),
        },
        None => text
            .split(['(', '<', '['])
            .next()
            .unwrap_or_default()
            .trim()
            .to_lowercase(),
    }
}

/// Alias the leftmost select's unaliased expressions with Postgres' names, where Spark
/// would name them otherwise (a bare column keeps its name on both). `true` when any
/// alias was added.
pub fn alias_outputs(q: &mut Query) -> bool {
    let mut body = q.body.as_mut();
    loop {
        match body {
            SetExpr::Select(s) => {
                let mut changed = false;
                for item in &mut s.projection {
                    if let SelectItem::UnnamedExpr(e) = item
                        && !matches!(e, Expr::Identifier(_) | Expr::CompoundIdentifier(_))
                    {
                        let name = column_name(e);
                        *item = SelectItem::ExprWithAlias {
                            expr: e.clone(),
                            alias: Ident::with_quote('"', name),
                        };
                        changed = true;
                    }
                }
                return changed;
            }
            SetExpr::SetOperation { left, .. } => body = left.as_mut(),
            SetExpr::Query(inner) => body = inner.body.as_mut(),
            _ => return false,
        }
    }
}
