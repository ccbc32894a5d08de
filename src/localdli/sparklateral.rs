//! Spark's `LATERAL VIEW [OUTER] <generator> name [AS c1, …]` for the embedded engine,
//! which DataFusion cannot plan: over a single relation `q` (a table or an aliased
//! derived table, no join), each view becomes a derived table named `q` that adds the
//! generator's columns, `(SELECT q.*, <generator> AS c … FROM q) AS q`, and references
//! `name.c` become `q.c`. `OUTER` is the generator's `_outer` form. Over a join (or
//! several FROM items) the view is applied the same way to the one relation its
//! generator's columns are qualified by, before the join — which gives Spark's rows when
//! that relation's rows are not NULL-padded by an outer join (see [`target`]); other
//! views over a join are refused (`UNSUPPORTED_FEATURE`) although Spark runs them.
//!
//! Owns this rewrite only; the generator is expanded by [`super::sparkgen`], which calls
//! this first.

use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, GroupByExpr, Ident, JoinOperator, ObjectName, ObjectNamePart, Query, Select, SelectItem,
    SelectItemQualifiedWildcardKind, SetExpr, Statement, TableAlias, TableFactor, TableWithJoins,
    WildcardAdditionalOptions, visit_expressions, visit_expressions_mut,
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
    let refused = || {
        SqlError::unsupported(
            "LATERAL VIEW over a join whose generator's columns are not all qualified by one \
             relation it can be applied to before the join, on the local DLI service",
        )
    };
    let single = matches!(s.from.as_slice(), [f] if f.joins.is_empty());
    let views = std::mem::take(&mut s.lateral_views);
    // view name → the relation its columns now belong to
    let mut renamed: Vec<(String, Ident)> = Vec::new();
    for view in views {
        // the relation the view is applied to: the only one, or the one its generator's
        // columns name (over a join, applied to it before the join)
        let (slot, name) = if single {
            (
                Slot {
                    item: 0,
                    join: None,
                },
                relation_name(&s.from[0].relation).ok_or_else(refused)?,
            )
        } else {
            target(s, &view.lateral_view, &renamed).ok_or_else(refused)?
        };
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
        if !single {
            inner.from = vec![TableWithJoins {
                relation: slot.get(s).clone(),
                joins: Vec::new(),
            }];
        }
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
            renamed.push((part.value.to_lowercase(), name.clone()));
        }
        let subquery = query_of(inner)?;
        *slot.get_mut(s) = TableFactor::Derived {
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
            && let Some((_, to)) = renamed
                .iter()
                .find(|(v, _)| *v == first.value.to_lowercase())
        {
            *first = to.clone();
        }
        ControlFlow::<()>::Continue(())
    });
    Ok(())
}

/// Where a relation of a select's FROM is: a FROM item, and a join of it (`None`: its
/// first relation).
#[derive(Clone, Copy)]
struct Slot {
    item: usize,
    join: Option<usize>,
}

impl Slot {
    fn get<'a>(&self, s: &'a Select) -> &'a TableFactor {
        let from = &s.from[self.item];
        match self.join {
            None => &from.relation,
            Some(j) => &from.joins[j].relation,
        }
    }

    fn get_mut<'a>(&self, s: &'a mut Select) -> &'a mut TableFactor {
        let from = &mut s.from[self.item];
        match self.join {
            None => &mut from.relation,
            Some(j) => &mut from.joins[j].relation,
        }
    }
}

/// The name a relation is referred to by (its alias, else a table's name).
fn relation_name(t: &TableFactor) -> Option<Ident> {
    match t {
        TableFactor::Table { alias: Some(a), .. } | TableFactor::Derived { alias: Some(a), .. } => {
            Some(a.name.clone())
        }
        TableFactor::Table { name, .. } => match name.0.last() {
            Some(ObjectNamePart::Identifier(id)) => Some(id.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// Over several relations: the one a generator can be applied to before they are
/// joined, with the same rows as Spark's after — every column it reads is qualified by
/// that relation (or by a view applied to it), none of its rows is NULL-padded by an
/// outer join (it is the first relation of a FROM item whose joins are inner, cross or
/// left outer, or any relation when all are inner or cross). A generator reading no
/// column is applied to the last such relation; with `SELECT *` only the last relation
/// will do (Spark lists a view's columns after all others).
fn target(s: &Select, generator: &Expr, renamed: &[(String, Ident)]) -> Option<(Slot, Ident)> {
    let mut qualifiers: Vec<String> = Vec::new();
    let mut unqualified = false;
    let _ = visit_expressions(generator, |e: &Expr| {
        match e {
            Expr::Identifier(_) => unqualified = true,
            Expr::CompoundIdentifier(parts) => {
                let first = parts
                    .first()
                    .map(|p| p.value.to_lowercase())
                    .unwrap_or_default();
                let first = renamed
                    .iter()
                    .find(|(v, _)| *v == first)
                    .map_or(first, |(_, to)| to.value.to_lowercase());
                if !qualifiers.contains(&first) {
                    qualifiers.push(first);
                }
            }
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
    if unqualified || qualifiers.len() > 1 {
        return None;
    }
    let inner = |op: &JoinOperator| {
        matches!(
            op,
            JoinOperator::Join(_) | JoinOperator::Inner(_) | JoinOperator::CrossJoin(_)
        )
    };
    let left = |op: &JoinOperator| {
        inner(op) || matches!(op, JoinOperator::Left(_) | JoinOperator::LeftOuter(_))
    };
    let all_inner = s
        .from
        .iter()
        .all(|f| f.joins.iter().all(|j| inner(&j.join_operator)));
    let mut slots = Vec::new();
    for (i, f) in s.from.iter().enumerate() {
        let preserved = f.joins.iter().all(|j| left(&j.join_operator));
        slots.push((
            Slot {
                item: i,
                join: None,
            },
            preserved || all_inner,
        ));
        for j in 0..f.joins.len() {
            slots.push((
                Slot {
                    item: i,
                    join: Some(j),
                },
                all_inner,
            ));
        }
    }
    let last = slots.last().map(|(slot, _)| *slot);
    let mut fitting = slots.into_iter().filter(|(slot, ok)| {
        *ok && match qualifiers.first() {
            None => true,
            Some(q) => relation_name(slot.get(s)).is_some_and(|n| n.value.to_lowercase() == *q),
        }
    });
    // a view reading no column goes last when it can, where Spark's `*` puts its columns
    let (slot, _) = if qualifiers.is_empty() {
        fitting.next_back()?
    } else {
        fitting.next()?
    };
    // `*` lists the view's columns after every relation's: only when applied to the last
    let star = s
        .projection
        .iter()
        .any(|p| matches!(p, SelectItem::Wildcard(_)));
    let is_last = last.is_some_and(|l| l.item == slot.item && l.join == slot.join);
    if star && !is_last {
        return None;
    }
    relation_name(slot.get(s)).map(|n| (slot, n))
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
