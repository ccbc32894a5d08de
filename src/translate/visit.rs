//! The walk over one statement that calls every rewrite.
//!
//! Order: [`super::datetime::rewrite`] is called **pre-order** on every expression node
//! (before its children are visited; the children of what it returns are then visited,
//! so it must not return the node it was given as one of its own descendants unchanged).
//! The rewrites of [`super::exprs`] and [`super::types`] run **post-order** (children
//! first), so they see children already in Spark's words. Query-level rewrites (NULL
//! ordering, `OFFSET`, output names) run when a query has been visited.

use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, CastKind, DataType, Expr, Ident, Query, Statement, TableFactor, Value,
    VisitMut, VisitorMut, WindowType,
};

use super::columns::ColumnTypes;
use super::error::Untranslatable;
use super::scope::{self, Ctes, Rel};
use super::{datetime, exprs, names, paging, series};
use crate::pgtypes::SparkType;

/// Rewrite `stmt` in place; `true` when anything changed.
pub fn rewrite(stmt: &mut Statement, columns: &dyn ColumnTypes) -> Result<bool, Untranslatable> {
    let mut v = Rewriter {
        columns,
        scopes: Vec::new(),
        ctes: Vec::new(),
        changed: false,
        name_outputs: matches!(stmt, Statement::Query(_)),
    };
    match stmt.visit(&mut v) {
        ControlFlow::Break(e) => Err(e),
        ControlFlow::Continue(()) => Ok(v.changed),
    }
}

struct Rewriter<'a> {
    columns: &'a dyn ColumnTypes,
    /// The relations of each query being visited, innermost last.
    scopes: Vec<Vec<Rel>>,
    /// The CTEs in reach of each query being visited, innermost last.
    ctes: Vec<Ctes>,
    changed: bool,
    /// The statement is a query: its outermost select list gets Postgres' names.
    name_outputs: bool,
}

impl Rewriter<'_> {
    /// A `date` column added to or subtracted from something is written as
    /// `CAST(col AS DATE)` (a no-op on Spark), so that [`datetime`] knows its type:
    /// `date - date` is then Postgres' whole days (`datediff`), not Spark's interval.
    fn type_date_columns(&self, e: &mut Expr) -> bool {
        let Expr::BinaryOp {
            left,
            op: BinaryOperator::Minus | BinaryOperator::Plus,
            right,
        } = e
        else {
            return false;
        };
        let mut changed = false;
        for side in [left, right] {
            let parts = match side.as_ref() {
                Expr::Identifier(id) => std::slice::from_ref(id),
                Expr::CompoundIdentifier(parts) => parts.as_slice(),
                _ => continue,
            };
            if self.lookup(parts) == Some(SparkType::Date) {
                let column = std::mem::replace(side.as_mut(), Expr::Value(Value::Null.into()));
                **side = Expr::Cast {
                    kind: CastKind::Cast,
                    expr: Box::new(column),
                    data_type: DataType::Date,
                    array: false,
                    format: None,
                };
                changed = true;
            }
        }
        changed
    }

    /// The type of a column reference in the innermost query ([`scope::lookup`]).
    fn lookup(&self, parts: &[Ident]) -> Option<SparkType> {
        scope::lookup(self.scopes.last()?, self.columns, parts)
    }

    fn note(&mut self, r: Result<bool, Untranslatable>) -> ControlFlow<Untranslatable> {
        match r {
            Ok(changed) => {
                self.changed |= changed;
                ControlFlow::Continue(())
            }
            Err(e) => ControlFlow::Break(e),
        }
    }
}

impl VisitorMut for Rewriter<'_> {
    type Break = Untranslatable;

    fn pre_visit_query(&mut self, q: &mut Query) -> ControlFlow<Untranslatable> {
        // Names come from the expressions as the client wrote them, before any rewrite:
        // the outermost select list, and a query paged with OFFSET (whose columns the
        // rewrite must name).
        let outermost = self.scopes.is_empty() && self.name_outputs;
        let paged = matches!(
            &q.limit_clause,
            Some(sqlparser::ast::LimitClause::LimitOffset {
                offset: Some(_),
                ..
            })
        );
        if outermost || paged {
            self.changed |= names::alias_outputs(q);
        }
        let ctes = scope::with_ctes(q, self.columns, self.ctes.last().unwrap_or(&Vec::new()));
        self.scopes.push(scope::relations(q, self.columns, &ctes));
        self.ctes.push(ctes);
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, q: &mut Query) -> ControlFlow<Untranslatable> {
        self.scopes.pop();
        self.ctes.pop();
        let mut r = paging::order_nulls(q).map(|c| c | paging::fetch_to_limit(q));
        if let Ok(c) = r {
            r = paging::offset(q).map(|o| o | c);
        }
        self.note(r)
    }

    fn post_visit_table_factor(&mut self, t: &mut TableFactor) -> ControlFlow<Untranslatable> {
        let r = series::rewrite(t);
        self.note(r)
    }

    fn pre_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<Untranslatable> {
        let typed = self.type_date_columns(e);
        let r = datetime::rewrite(e).map(|c| c | typed);
        self.note(r)
    }

    fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<Untranslatable> {
        let mut r = Ok(false);
        if let Expr::Function(f) = e {
            if let Some(WindowType::WindowSpec(spec)) = &mut f.over {
                r = Ok(paging::nulls(&mut spec.order_by));
            }
            r = r.map(|c| c | paging::nulls(&mut f.within_group));
        }
        let lookup = |parts: &[Ident]| self.lookup(parts);
        let r = r.and_then(|c| exprs::rewrite(e, &lookup).map(|x| x | c));
        self.note(r)
    }
}
