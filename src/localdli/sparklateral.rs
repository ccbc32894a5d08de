//! Spark's `LATERAL VIEW [OUTER] <generator> name [AS c1, …]` for the embedded engine,
//! which DataFusion cannot plan: over a single relation `q` (a table or an aliased
//! derived table, no join), each view becomes a derived table named `q` that adds the
//! generator's columns, `(SELECT q.*, <generator> AS c … FROM q) AS q`, and references
//! `name.c` become `q.c`. `OUTER` is the generator's `_outer` form. Over a join, `LATERAL
//! VIEW` is refused (`UNSUPPORTED_FEATURE`) although Spark runs it.
//!
//! Owns this rewrite only; the generator is expanded by [`super::sparkgen`], which calls
//! this first.

use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, GroupByExpr, ObjectName, ObjectNamePart, Query, Select, SelectItem,
    SelectItemQualifiedWildcardKind, SetExpr, Statement, TableAlias, TableFactor,
    WildcardAdditionalOptions, visit_expressions_mut,
};

use super::error::SqlError;

/// Rewrites the lateral views of `q`'s select (when its body is one).
pub fn rewrite(q: &mut Query) -> Result<(), SqlError> {
    let SetExpr::Select(s) = q.body.as_mut() else {
        return Ok(());
    };
    if s.lateral_views.is_empty() {
        return Ok(());
    }
    let refused = || SqlError::unsupported("LATERAL VIEW over a join on the local DLI service");
    let [from] = s.from.as_slice() else {
        return Err(refused());
    };
    if !from.joins.is_empty() {
        return Err(refused());
    }
    let name = match &from.relation {
        TableFactor::Table { alias: Some(a), .. } | TableFactor::Derived { alias: Some(a), .. } => {
            a.name.clone()
        }
        TableFactor::Table { name, .. } => match name.0.last() {
            Some(ObjectNamePart::Identifier(id)) => id.clone(),
            _ => return Err(refused()),
        },
        _ => return Err(refused()),
    };
    let views = std::mem::take(&mut s.lateral_views);
    let mut renamed: Vec<String> = Vec::new();
    for view in views {
        let mut generator = view.lateral_view;
        if view.outer
            && let Expr::Function(f) = &mut generator
            && let Some(ObjectNamePart::Identifier(id)) = f.name.0.last_mut()
            && !id.value.to_ascii_lowercase().ends_with("_outer")
        {
            id.value = format!("{}_outer", id.value);
        }
        let item = match view.lateral_col_alias.as_slice() {
            [] => SelectItem::UnnamedExpr(generator),
            [one] => SelectItem::ExprWithAlias {
                expr: generator,
                alias: one.clone(),
            },
            _ => SelectItem::ExprWithAliases {
                expr: generator,
                aliases: view.lateral_col_alias.clone(),
            },
        };
        // the generator is expanded when its own select is ([`super::sparkgen`])
        let projection = vec![
            SelectItem::QualifiedWildcard(
                SelectItemQualifiedWildcardKind::ObjectName(ObjectName::from(vec![name.clone()])),
                WildcardAdditionalOptions::default(),
            ),
            item,
        ];
        let mut inner = s.as_ref().clone();
        inner.projection = projection;
        inner.selection = None;
        inner.group_by = GroupByExpr::Expressions(Vec::new(), Vec::new());
        inner.having = None;
        inner.distinct = None;
        inner.qualify = None;
        inner.named_window.clear();
        inner.sort_by.clear();
        inner.cluster_by.clear();
        inner.distribute_by.clear();
        if let Some(part) = view.lateral_view_name.0.last().and_then(|p| p.as_ident()) {
            renamed.push(part.value.to_lowercase());
        }
        let subquery = query_of(inner)?;
        s.from[0].relation = TableFactor::Derived {
            lateral: false,
            subquery: Box::new(subquery),
            alias: Some(TableAlias {
                explicit: true,
                name: name.clone(),
                columns: Vec::new(),
                at: None,
            }),
            sample: None,
        };
    }
    // `view.c` is now `q.c`
    let _ = visit_expressions_mut(q, |e: &mut Expr| {
        if let Expr::CompoundIdentifier(parts) = e
            && let [first, _] = parts.as_mut_slice()
            && renamed.contains(&first.value.to_lowercase())
        {
            *first = name.clone();
        }
        ControlFlow::<()>::Continue(())
    });
    Ok(())
}

/// A query whose body is `select`.
fn query_of(select: Select) -> Result<Query, SqlError> {
    let mut stmts = crate::sparksql::parse("SELECT 1")
        .map_err(|e| SqlError::internal(format!("LATERAL VIEW: {e}")))?;
    match stmts.pop() {
        Some(Statement::Query(mut q)) => {
            *q.body = SetExpr::Select(Box::new(select));
            Ok(*q)
        }
        _ => Err(SqlError::internal("LATERAL VIEW: no query")),
    }
}
