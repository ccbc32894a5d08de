//! The relations a query reads, as far as column types go: tables (their columns typed by
//! the catalog's cached metadata), derived tables and CTEs (their output columns typed by
//! [`super::typing`] from their own select lists, read as the client wrote them), and
//! relations whose columns are unknown (table functions, `VALUES` …).
//!
//! Owns the resolution of a column reference to a type within one query.

use sqlparser::ast::{Expr, Ident, Query, SelectItem, SetExpr, TableFactor};

use super::build::folded;
use super::columns::ColumnTypes;
use super::typing;
use crate::pgtypes::SparkType;

/// Output columns of a derived table or CTE: names (folded) and types where known.
pub type Columns = Vec<(String, Option<SparkType>)>;

/// CTEs in reach, innermost last: name and output columns.
pub type Ctes = Vec<(String, Columns)>;

/// One relation of a query's FROM clause.
#[derive(Debug, Clone)]
pub enum Rel {
    /// A table: (database, table, alias), lower case as Postgres folds them.
    Table(Option<String>, String, Option<String>),
    /// A derived table or CTE: its name, its columns, and for a `SELECT *` in it the
    /// relations the star reads (columns not listed may come from those).
    Derived {
        name: Option<String>,
        columns: Columns,
        star: Vec<Rel>,
    },
    /// A table function, `VALUES` …: its columns are unknown.
    Opaque(Option<String>),
}

/// The relations of `q`'s FROM clauses (all branches of a set operation).
pub fn relations(q: &Query, types: &dyn ColumnTypes, ctes: &Ctes) -> Vec<Rel> {
    let mut out = Vec::new();
    let mut bodies = vec![q.body.as_ref()];
    while let Some(body) = bodies.pop() {
        match body {
            SetExpr::Select(s) => {
                for twj in &s.from {
                    let factors =
                        std::iter::once(&twj.relation).chain(twj.joins.iter().map(|j| &j.relation));
                    out.extend(factors.map(|f| relation(f, types, ctes)));
                }
            }
            SetExpr::SetOperation { left, right, .. } => {
                bodies.push(left);
                bodies.push(right);
            }
            _ => {}
        }
    }
    out
}

/// The CTEs `q` defines, typed in order (each sees those before it), after `outer`.
pub fn with_ctes(q: &Query, types: &dyn ColumnTypes, outer: &Ctes) -> Ctes {
    let mut ctes = outer.clone();
    for cte in q.with.iter().flat_map(|w| w.cte_tables.iter()) {
        let mut columns = outputs(&cte.query, types, &ctes);
        // `WITH c(x, y) AS (…)` renames the columns.
        for (c, renamed) in columns.iter_mut().zip(&cte.alias.columns) {
            c.0 = folded(&renamed.name);
        }
        ctes.push((folded(&cte.alias.name), columns));
    }
    ctes
}

fn relation(f: &TableFactor, types: &dyn ColumnTypes, ctes: &Ctes) -> Rel {
    match f {
        TableFactor::Table {
            name, alias, args, ..
        } if args.is_none() => {
            let parts: Vec<String> = name
                .0
                .iter()
                .filter_map(|p| p.as_ident().map(folded))
                .collect();
            let alias = alias.as_ref().map(|a| folded(&a.name));
            match parts.as_slice() {
                [t] => match ctes.iter().rev().find(|(n, _)| n == t) {
                    Some((_, columns)) => Rel::Derived {
                        name: alias.or_else(|| Some(t.clone())),
                        columns: columns.clone(),
                        star: Vec::new(),
                    },
                    None => Rel::Table(None, t.clone(), alias),
                },
                [db, t] => Rel::Table(Some(db.clone()), t.clone(), alias),
                _ => Rel::Opaque(alias.or_else(|| parts.last().cloned())),
            }
        }
        TableFactor::Derived {
            subquery, alias, ..
        } => {
            let mut columns = outputs(subquery, types, ctes);
            let star = match subquery.body.as_ref() {
                SetExpr::Select(s)
                    if s.projection.iter().any(|i| {
                        matches!(
                            i,
                            SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..)
                        )
                    }) =>
                {
                    relations(subquery, types, &with_ctes(subquery, types, ctes))
                }
                _ => Vec::new(),
            };
            if let Some(a) = alias {
                for (c, renamed) in columns.iter_mut().zip(&a.columns) {
                    c.0 = folded(&renamed.name);
                }
            }
            Rel::Derived {
                name: alias.as_ref().map(|a| folded(&a.name)),
                columns,
                star,
            }
        }
        TableFactor::Table { alias, .. } => Rel::Opaque(alias.as_ref().map(|a| folded(&a.name))),
        _ => Rel::Opaque(None),
    }
}

/// The output columns of a query, typed in its own scope.
fn outputs(q: &Query, types: &dyn ColumnTypes, outer: &Ctes) -> Columns {
    let ctes = with_ctes(q, types, outer);
    body_outputs(q.body.as_ref(), types, &ctes)
}

fn body_outputs(body: &SetExpr, types: &dyn ColumnTypes, ctes: &Ctes) -> Columns {
    match body {
        SetExpr::Select(s) => {
            let rels: Vec<Rel> = s
                .from
                .iter()
                .flat_map(|twj| {
                    std::iter::once(&twj.relation).chain(twj.joins.iter().map(|j| &j.relation))
                })
                .map(|f| relation(f, types, ctes))
                .collect();
            let look = |parts: &[Ident]| lookup(&rels, types, parts);
            s.projection
                .iter()
                .filter_map(|item| match item {
                    SelectItem::UnnamedExpr(e) => Some((output_name(e), typing::of(e, &look))),
                    SelectItem::ExprWithAlias { expr, alias } => {
                        Some((folded(alias), typing::of(expr, &look)))
                    }
                    _ => None,
                })
                .collect()
        }
        SetExpr::Query(inner) => outputs(inner, types, ctes),
        SetExpr::SetOperation { left, right, .. } => {
            let l = body_outputs(left, types, ctes);
            let r = body_outputs(right, types, ctes);
            l.into_iter()
                .enumerate()
                .map(|(i, (name, t))| {
                    let same = r.get(i).is_some_and(|(_, rt)| *rt == t);
                    (name, if same { t } else { None })
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

/// The name Postgres gives an unaliased output column, where a reference could use it.
fn output_name(e: &Expr) -> String {
    match e {
        Expr::Identifier(id) => folded(id),
        Expr::CompoundIdentifier(p) => p.last().map(folded).unwrap_or_default(),
        Expr::Cast { expr, .. } | Expr::Nested(expr) => output_name(expr),
        Expr::Function(f) => f
            .name
            .0
            .last()
            .and_then(|p| p.as_ident())
            .map(folded)
            .unwrap_or_default(),
        _ => "?column?".into(),
    }
}

/// The type of a column reference among `rels`, when exactly one relation has it and no
/// relation of unknown columns could.
pub fn lookup(rels: &[Rel], types: &dyn ColumnTypes, parts: &[Ident]) -> Option<SparkType> {
    let (qualifier, column) = match parts {
        [c] => (None, folded(c)),
        [q, c] => (Some(folded(q)), folded(c)),
        _ => return None,
    };
    let mut found = None;
    for rel in rels {
        let here = match rel {
            Rel::Table(db, t, alias) => {
                let named = alias.as_deref().unwrap_or(t);
                if qualifier.as_deref().is_some_and(|q| q != named) {
                    continue;
                }
                types.column_type(db.as_deref(), t, &column).map(Some)
            }
            Rel::Derived {
                name,
                columns,
                star,
            } => {
                if qualifier.is_some() && qualifier != *name {
                    continue;
                }
                match columns.iter().find(|(n, _)| *n == column) {
                    Some((_, t)) => Some(t.clone()),
                    None if star.is_empty() => None,
                    // a column the star brings in, or unknown
                    None => Some(lookup(
                        star,
                        types,
                        std::slice::from_ref(&parts[parts.len() - 1]),
                    )),
                }
            }
            Rel::Opaque(alias) => {
                if qualifier.is_none() || qualifier == *alias {
                    return None;
                }
                continue;
            }
        };
        if let Some(t) = here {
            if found.is_some() {
                return None;
            }
            found = Some(t);
        }
    }
    found.flatten()
}
