//! Ordering and paging in Postgres' meaning: NULLs sorted as Postgres sorts them,
//! `FETCH FIRST` as `LIMIT`, and `OFFSET` (which Spark 3.3 lacks) as a row number.
//!
//! Postgres sorts NULLs as larger than every value (`ASC` → `NULLS LAST`, `DESC` →
//! `NULLS FIRST`); Spark as smaller. Every `ORDER BY` item without `NULLS …` gets
//! Postgres' default spelled out.

use sqlparser::ast::{
    Expr, LimitClause, NamedWindowExpr, OrderByExpr, OrderByKind, Query, SelectItem, SetExpr, Value,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use super::error::Untranslatable;
use super::names;

/// Spell out Postgres' NULL ordering on each item; `true` when any changed.
pub fn nulls(items: &mut [OrderByExpr]) -> bool {
    let mut changed = false;
    for item in items {
        if item.options.nulls_first.is_none() {
            // Postgres: NULLs are larger than any value.
            item.options.nulls_first = Some(item.options.asc == Some(false));
            changed = true;
        }
    }
    changed
}

/// NULL ordering of the query's `ORDER BY` and of its selects' named windows.
pub fn order_nulls(q: &mut Query) -> Result<bool, Untranslatable> {
    let mut changed = false;
    if let Some(ob) = &mut q.order_by {
        match &mut ob.kind {
            OrderByKind::Expressions(items) => changed |= nulls(items),
            OrderByKind::All(_) => return Err(Untranslatable::new("ORDER BY ALL")),
        }
    }
    if let SetExpr::Select(s) = q.body.as_mut() {
        for w in &mut s.named_window {
            if let NamedWindowExpr::WindowSpec(spec) = &mut w.1 {
                changed |= nulls(&mut spec.order_by);
            }
        }
    }
    Ok(changed)
}

/// `FETCH FIRST n ROWS ONLY` as `LIMIT n` (Spark has no `FETCH`).
pub fn fetch_to_limit(q: &mut Query) -> bool {
    let Some(fetch) = &q.fetch else {
        return false;
    };
    if fetch.with_ties || fetch.percent {
        return false;
    }
    let quantity = fetch
        .quantity
        .clone()
        .unwrap_or(Expr::Value(Value::Number("1".into(), false).into()));
    let offset = match q.limit_clause.take() {
        Some(LimitClause::LimitOffset { offset, .. }) => offset,
        _ => None,
    };
    q.fetch = None;
    q.limit_clause = Some(LimitClause::LimitOffset {
        limit: Some(quantity),
        offset,
        limit_by: Vec::new(),
    });
    true
}

/// `… LIMIT l OFFSET o` as the rows numbered `o+1 ..= o+l` by `row_number()` over the
/// query's own order. Only for a plain select whose columns all have names (no `*`,
/// `DISTINCT` or set operation: those are refused, naming the construct).
pub fn offset(q: &mut Query) -> Result<bool, Untranslatable> {
    let (limit, off) = match &q.limit_clause {
        Some(LimitClause::LimitOffset {
            limit,
            offset: Some(o),
            ..
        }) => (limit.clone(), o.value.clone()),
        Some(LimitClause::OffsetCommaLimit { .. }) => {
            return Err(Untranslatable::new("LIMIT offset, count"));
        }
        _ => return Ok(false),
    };
    if q.fetch.is_some() {
        return Err(Untranslatable::new("OFFSET with FETCH … WITH TIES/PERCENT"));
    }
    let hint = "Spark 3.3 has no OFFSET; the gateway rewrites it only for a plain SELECT \
                that lists its columns (no *, DISTINCT or UNION)";
    let refuse = |what: &str| Untranslatable::new(format!("OFFSET on {what}")).with_hint(hint);
    let SetExpr::Select(sel) = q.body.as_mut() else {
        return Err(refuse("a set operation"));
    };
    if sel.distinct.is_some() {
        return Err(refuse("SELECT DISTINCT"));
    }
    // Each output column named, the ORDER BY read in terms of the select's expressions.
    let mut outputs: Vec<(String, Expr)> = Vec::new();
    for item in &sel.projection {
        match item {
            SelectItem::UnnamedExpr(e) => outputs.push((names::column_name(e), e.clone())),
            SelectItem::ExprWithAlias { expr, alias } => {
                outputs.push((super::build::folded(alias), expr.clone()))
            }
            _ => return Err(refuse("SELECT *")),
        }
    }
    let mut seen = std::collections::HashSet::new();
    if let Some((dup, _)) = outputs.iter().find(|(n, _)| !seen.insert(n.clone())) {
        return Err(refuse(&format!("two output columns named {dup}")));
    }
    let order: Vec<String> = match q.order_by.take().map(|o| o.kind) {
        Some(OrderByKind::Expressions(items)) => items
            .into_iter()
            .map(|mut item| {
                item.expr = by_output(item.expr, &outputs);
                item.to_string()
            })
            .collect(),
        Some(OrderByKind::All(_)) => return Err(Untranslatable::new("ORDER BY ALL")),
        None => vec!["monotonically_increasing_id()".to_string()],
    };
    let inner_items: Vec<String> = outputs
        .iter()
        .map(|(n, e)| format!("{e} AS {}", names::quoted(n)))
        .collect();
    let columns: Vec<String> = outputs.iter().map(|(n, _)| names::quoted(n)).collect();
    q.limit_clause = None;
    let with = q.with.take();
    let mut inner = q.clone();
    inner.with = None;
    if let SetExpr::Select(s) = inner.body.as_mut() {
        s.projection.clear();
    }
    let inner_text = inner.to_string();
    // `SELECT  FROM …`: the projection printed empty is spliced in by text.
    let Some(rest) = inner_text.strip_prefix("SELECT ") else {
        return Err(refuse("this query"));
    };
    let bound = match limit {
        Some(l) => format!(" AND __pg_rn <= ({off}) + ({l})"),
        None => String::new(),
    };
    let text = format!(
        "SELECT {cols} FROM (SELECT {items}, row_number() OVER (ORDER BY {order}) AS __pg_rn {rest}) AS __pg_page \
         WHERE __pg_rn > ({off}){bound} ORDER BY __pg_rn",
        cols = columns.join(", "),
        items = inner_items.join(", "),
        order = order.join(", "),
        rest = rest.trim_start(),
    );
    let mut wrapped = Parser::new(&PostgreSqlDialect {})
        .try_with_sql(&text)
        .and_then(|mut p| p.parse_query())
        .map_err(|_| refuse("this query"))?;
    wrapped.with = with;
    *q = *wrapped;
    Ok(true)
}

/// An `ORDER BY` item read as the select's expression it names: a position (`2`) or an
/// output column name (which Postgres prefers to an input column).
fn by_output(e: Expr, outputs: &[(String, Expr)]) -> Expr {
    match &e {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n
                .parse::<usize>()
                .ok()
                .and_then(|i| outputs.get(i.checked_sub(1)?))
                .map_or(e.clone(), |(_, x)| x.clone()),
            _ => e,
        },
        Expr::Identifier(id) => {
            let name = super::build::folded(id);
            outputs
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(e.clone(), |(_, x)| x.clone())
        }
        _ => e,
    }
}
