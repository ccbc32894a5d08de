//! Which databases' columns a query needs, so that only those are described (§7.2.4
//! costs one call per table).
//!
//! Owns: reading that from the AST. A `SELECT` needs columns when it reads a relation
//! built from them (`pg_attribute`, `pg_description`, `pg_partitioned_table`, `pg_views`,
//! `information_schema.columns`/`views`), reads `relnatts`, or calls a function that
//! looks them up (`col_description`, `obj_description`, `pg_get_viewdef`,
//! `pg_get_partkeydef`), or `*` over `pg_class`. Its databases are then read from the conditions of its `WHERE`
//! and inner-join `ON` that every row must meet (top-level `AND` terms): a schema name
//! (`nspname`, `table_schema`, `schemaname` compared with `=`, `IN`, `LIKE`/`ILIKE` or a
//! psql-style `~ '^(…)$'` pattern), a table name (`relname`, `table_name`: the databases
//! holding it) or an OID (`attrelid`, `objoid`, `relnamespace`, `c.oid` …, a number, a string or a
//! `'db.t'::regclass`). A `SELECT` that needs columns but says none of these needs every
//! database. Must not call DLI.

use std::collections::{BTreeSet, HashMap};
use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, Expr, JoinConstraint, JoinOperator, ObjectName, Query, Select, SelectItem,
    SelectItemQualifiedWildcardKind, SetExpr, Statement, TableFactor, TableWithJoins, Visit,
    Visitor,
};

use super::condterms::{
    column, conjuncts, first_arg, folded, is_regclass, literal, parts, split_qualified,
};
use super::model::Snapshot;
use super::namematch::Matcher;

/// Relations whose rows come from described tables.
const DESCRIBED_RELATIONS: &[&str] = &[
    "pg_attribute",
    "pg_description",
    "pg_partitioned_table",
    "pg_views",
    "columns",
    "views",
];

/// Functions that read described tables (their first argument is the relation's OID).
const DESCRIBED_FUNCTIONS: &[&str] = &[
    "col_description",
    "obj_description",
    "pg_get_viewdef",
    "pg_get_partkeydef",
];

/// Columns that name a schema.
const SCHEMA_COLUMNS: &[&str] = &["nspname", "table_schema", "schemaname"];
/// Columns that name a table.
const TABLE_COLUMNS: &[&str] = &["relname", "table_name", "tablename", "viewname"];
/// Columns that hold a relation's OID.
const OID_COLUMNS: &[&str] = &[
    "attrelid",
    "objoid",
    "partrelid",
    "adrelid",
    "indrelid",
    "relnamespace",
    "stxrelid",
    "prrelid",
    "inhrelid",
    "conrelid",
    "tgrelid",
    "polrelid",
];

/// One restriction of the rows a `SELECT` reads.
#[derive(Debug, Clone, PartialEq)]
enum Target {
    Schema(Matcher),
    Table(Matcher),
    Oid(u32),
    /// `'[schema.]name'::regclass`.
    Class(Option<String>, String),
    /// Any of these (an `IN` list).
    Any(Vec<Target>),
}

impl Target {
    fn collect(&self, snap: &Snapshot, current: &str, out: &mut BTreeSet<String>) {
        match self {
            Target::Schema(m) => out.extend(
                snap.databases
                    .iter()
                    .filter(|d| m.matches(&d.name))
                    .map(|d| d.name.clone()),
            ),
            Target::Table(m) => out.extend(
                snap.databases
                    .iter()
                    .filter(|d| d.tables.iter().any(|t| m.matches(&t.name)))
                    .map(|d| d.name.clone()),
            ),
            Target::Oid(oid) => out.extend(snap.database_of_oid(*oid).map(str::to_string)),
            Target::Class(schema, name) => {
                let db = schema.as_deref().unwrap_or(current);
                if snap.find(db, name).is_some() {
                    out.insert(db.to_string());
                }
            }
            Target::Any(all) => {
                for t in all {
                    t.collect(snap, current, out);
                }
            }
        }
    }
}

/// What a statement needs described.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Need {
    /// Some `SELECT` needs columns and does not say of which databases.
    all: bool,
    /// Alternatives (union) of conditions that all hold (intersection).
    targets: Vec<Vec<Target>>,
}

impl Need {
    /// Every database.
    pub fn everything() -> Need {
        Need {
            all: true,
            targets: Vec::new(),
        }
    }

    /// No columns at all.
    pub fn is_nothing(&self) -> bool {
        !self.all && self.targets.is_empty()
    }

    /// The databases of `snap` to describe; `None` = all of them.
    pub fn databases(&self, snap: &Snapshot, current: &str) -> Option<BTreeSet<String>> {
        if self.all {
            return None;
        }
        let mut out = BTreeSet::new();
        for group in &self.targets {
            let mut sets = group.iter().map(|t| {
                let mut one = BTreeSet::new();
                t.collect(snap, current, &mut one);
                one
            });
            let Some(first) = sets.next() else { continue };
            out.extend(sets.fold(first, |acc, s| acc.intersection(&s).cloned().collect()));
        }
        Some(out)
    }
}

/// What a catalog query needs.
pub fn of_catalog_query(stmt: &Statement) -> Need {
    let mut v = Finder::default();
    let _ = stmt.visit(&mut v);
    v.need
}

/// What Describe of a user (DLI-bound) statement needs: the databases of the relations
/// it names (`db.t`, or `t` in `current`).
pub fn of_user_query(stmt: &Statement, current: &str) -> Need {
    let mut targets = Vec::new();
    let _ = sqlparser::ast::visit_relations(stmt, |name: &ObjectName| {
        let p: Vec<String> = name
            .0
            .iter()
            .map(|p| {
                p.as_ident()
                    .map(|i| i.value.to_lowercase())
                    .unwrap_or_default()
            })
            .collect();
        let db = match p.len() {
            0 | 1 => current.to_lowercase(),
            n => p[n - 2].clone(),
        };
        targets.push(vec![Target::Schema(Matcher::Exact(db))]);
        ControlFlow::<()>::Continue(())
    });
    Need {
        all: false,
        targets,
    }
}

#[derive(Default)]
struct Finder {
    need: Need,
    /// The conditions of each enclosing query level (for correlated subqueries).
    stack: Vec<Vec<Vec<Target>>>,
}

impl Visitor for Finder {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        let mut own = Vec::new();
        self.body(&query.body, &mut own);
        self.stack.push(own);
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _query: &Query) -> ControlFlow<()> {
        self.stack.pop();
        ControlFlow::Continue(())
    }
}

impl Finder {
    fn body(&mut self, body: &SetExpr, own: &mut Vec<Vec<Target>>) {
        match body {
            SetExpr::Select(s) => self.select(s, own),
            SetExpr::SetOperation { left, right, .. } => {
                self.body(left, own);
                self.body(right, own);
            }
            // Nested queries are visited on their own.
            _ => {}
        }
    }

    fn select(&mut self, s: &Select, own: &mut Vec<Vec<Target>>) {
        // alias -> relation name, for `c.oid`
        let mut aliases: HashMap<String, String> = HashMap::new();
        let mut restricting: Vec<&Expr> = Vec::new();
        let mut reads_described = false;
        for twj in &s.from {
            from_item(
                twj,
                true,
                &mut aliases,
                &mut restricting,
                &mut reads_described,
            );
        }
        if let Some(w) = &s.selection {
            conjuncts(w, &mut restricting);
        }
        // `SELECT *` / `c.*` over pg_class reads `relnatts`.
        reads_described |= s.projection.iter().any(|item| match item {
            SelectItem::Wildcard(_) => aliases.values().any(|r| r == "pg_class"),
            SelectItem::QualifiedWildcard(SelectItemQualifiedWildcardKind::ObjectName(n), _) => {
                parts(n)
                    .last()
                    .and_then(|a| aliases.get(a))
                    .is_some_and(|r| r == "pg_class")
            }
            _ => false,
        });
        let mut calls = CallFinder::default();
        let _ = s.visit(&mut calls);
        self.need
            .targets
            .extend(calls.targets.into_iter().map(|t| vec![t]));
        let only = (aliases.len() == 1)
            .then(|| aliases.values().next().cloned())
            .flatten();
        let targets: Vec<Target> = restricting
            .iter()
            .filter_map(|e| target(e, &aliases, only.as_deref()))
            .collect();
        if !targets.is_empty() {
            own.push(targets.clone());
        }
        if !(reads_described || calls.needs_restriction) {
            return;
        }
        let enclosing = self.stack.last().filter(|g| !g.is_empty());
        if !targets.is_empty() {
            self.need.targets.push(targets);
        } else if let Some(outer) = enclosing
            && restricting.iter().any(|e| correlated(e, &aliases))
        {
            // `attrelid = outer.prrelid`: the rows of the enclosing query's relation.
            let outer = outer.clone();
            self.need.targets.extend(outer);
        } else {
            self.need.all = true;
        }
    }
}

/// Reads one `FROM` item: its relations into `aliases` (alias -> relation name), whether
/// it reads a described relation, and — when every row must meet them (`restricts`: not
/// under an outer join) — its inner joins' `ON` terms. Parenthesised joins (psqlODBC's
/// `((pg_class c inner join pg_namespace n on …) inner join pg_attribute a on …)`) are
/// read through.
fn from_item<'a>(
    twj: &'a TableWithJoins,
    restricts: bool,
    aliases: &mut HashMap<String, String>,
    restricting: &mut Vec<&'a Expr>,
    reads_described: &mut bool,
) {
    let mut factor = |tf: &'a TableFactor,
                      restricts: bool,
                      aliases: &mut HashMap<String, String>,
                      restricting: &mut Vec<&'a Expr>| match tf {
        TableFactor::Table { name, alias, .. } => {
            let p = parts(name);
            let last = p.last().cloned().unwrap_or_default();
            let key = alias.as_ref().map_or(last.clone(), |a| folded(&a.name));
            *reads_described |= DESCRIBED_RELATIONS.contains(&last.as_str());
            aliases.insert(key, last);
        }
        TableFactor::NestedJoin {
            table_with_joins, ..
        } => from_item(
            table_with_joins,
            restricts,
            aliases,
            restricting,
            reads_described,
        ),
        TableFactor::Function { alias: Some(a), .. }
        | TableFactor::Derived { alias: Some(a), .. } => {
            aliases.insert(folded(&a.name), String::new());
        }
        _ => {}
    };
    factor(&twj.relation, restricts, aliases, restricting);
    for j in &twj.joins {
        let inner = matches!(
            j.join_operator,
            JoinOperator::Join(_) | JoinOperator::Inner(_) | JoinOperator::CrossJoin(_)
        );
        factor(&j.relation, restricts && inner, aliases, restricting);
        if restricts
            && let JoinOperator::Join(JoinConstraint::On(e))
            | JoinOperator::Inner(JoinConstraint::On(e)) = &j.join_operator
        {
            conjuncts(e, restricting);
        }
    }
}

/// `oidcol = other.col` where `other` is not a relation of this `SELECT`: a correlation
/// with the enclosing query.
fn correlated(e: &Expr, aliases: &HashMap<String, String>) -> bool {
    let Expr::BinaryOp {
        left,
        op: BinaryOperator::Eq,
        right,
    } = e
    else {
        return matches!(e, Expr::Nested(inner) if correlated(inner, aliases));
    };
    let (Some((lq, ln)), Some((rq, rn))) = (column(left), column(right)) else {
        return false;
    };
    let is_oid = |n: &str| OID_COLUMNS.contains(&n) || n == "oid";
    let outer = |q: &Option<String>| match q {
        Some(q) => !aliases.contains_key(q),
        None => true,
    };
    (is_oid(&ln) && outer(&rq) && rq.is_some() || is_oid(&ln) && rq.is_none() && lq.is_some())
        || (is_oid(&rn) && outer(&lq) && lq.is_some()
            || is_oid(&rn) && lq.is_none() && rq.is_some())
}

/// Calls of [`DESCRIBED_FUNCTIONS`] and reads of `relnatts` in one `SELECT` (and, to be
/// safe, its subqueries).
#[derive(Default)]
struct CallFinder {
    /// Found one whose relation is not a literal: the `SELECT`'s conditions must say.
    needs_restriction: bool,
    targets: Vec<Target>,
}

impl Visitor for CallFinder {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        match expr {
            Expr::Identifier(i) if folded(i) == "relnatts" => self.needs_restriction = true,
            Expr::CompoundIdentifier(ids)
                if ids.last().is_some_and(|i| folded(i) == "relnatts") =>
            {
                self.needs_restriction = true
            }
            Expr::Function(f) => {
                let p = parts(&f.name);
                let last = p.last().map(String::as_str).unwrap_or_default();
                if DESCRIBED_FUNCTIONS.contains(&last) {
                    match first_arg(&f.args).and_then(oid_literal) {
                        Some(t) => self.targets.push(t),
                        None => self.needs_restriction = true,
                    }
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

/// A relation given by OID or by `'name'::regclass`.
fn oid_literal(e: &Expr) -> Option<Target> {
    match e {
        Expr::Cast {
            expr, data_type, ..
        } if is_regclass(data_type) => {
            let name = literal(expr)?;
            let mut p = split_qualified(&name);
            let table = p.pop()?;
            Some(Target::Class(p.pop(), table))
        }
        Expr::Nested(inner) => oid_literal(inner),
        _ => literal(e)?.trim().parse().ok().map(Target::Oid),
    }
}

/// The restriction one condition puts on the rows, if it is one we read.
fn target(e: &Expr, aliases: &HashMap<String, String>, only: Option<&str>) -> Option<Target> {
    let (col, values): (&Expr, Vec<Matcher>) = match e {
        Expr::BinaryOp { left, op, right } => {
            let (col, val) = if column(left).is_some() {
                (left.as_ref(), right.as_ref())
            } else {
                (right.as_ref(), left.as_ref())
            };
            match op {
                BinaryOperator::Eq => {
                    if let Some(t) = oid_condition(col, val, aliases, only) {
                        return Some(t);
                    }
                    (col, vec![Matcher::Exact(literal(val)?)])
                }
                BinaryOperator::PGRegexMatch => {
                    (col, vec![Matcher::psql_regex(&literal(val)?, false)?])
                }
                BinaryOperator::PGRegexIMatch => {
                    (col, vec![Matcher::psql_regex(&literal(val)?, true)?])
                }
                BinaryOperator::PGCustomBinaryOperator(op) => match op.last().map(String::as_str) {
                    Some("~") => (col, vec![Matcher::psql_regex(&literal(val)?, false)?]),
                    Some("~*") => (col, vec![Matcher::psql_regex(&literal(val)?, true)?]),
                    Some("=") => (col, vec![Matcher::Exact(literal(val)?)]),
                    _ => return None,
                },
                _ => return None,
            }
        }
        Expr::Like {
            negated: false,
            expr,
            pattern,
            ..
        } => (
            expr.as_ref(),
            vec![Matcher::like(&literal(pattern)?, false)],
        ),
        Expr::ILike {
            negated: false,
            expr,
            pattern,
            ..
        } => (expr.as_ref(), vec![Matcher::like(&literal(pattern)?, true)]),
        Expr::InList {
            expr,
            list,
            negated: false,
        } => {
            if column(expr).is_some_and(|(_, c)| OID_COLUMNS.contains(&c.as_str()) || c == "oid") {
                return None;
            }
            let names = list
                .iter()
                .map(|v| literal(v).map(Matcher::Exact))
                .collect::<Option<Vec<_>>>()?;
            (expr.as_ref(), names)
        }
        Expr::Nested(inner) => return target(inner, aliases, only),
        _ => return None,
    };
    let (_, name) = column(col)?;
    let wrap: fn(Matcher) -> Target = if SCHEMA_COLUMNS.contains(&name.as_str()) {
        Target::Schema
    } else if TABLE_COLUMNS.contains(&name.as_str()) {
        Target::Table
    } else {
        return None;
    };
    Some(Target::Any(values.into_iter().map(wrap).collect()))
}

/// `x.oid = N`, `attrelid = 'db.t'::regclass` …
fn oid_condition(
    col: &Expr,
    val: &Expr,
    aliases: &HashMap<String, String>,
    only: Option<&str>,
) -> Option<Target> {
    let (qualifier, name) = column(col)?;
    let is_oid_column = OID_COLUMNS.contains(&name.as_str())
        || (name == "oid"
            && match qualifier {
                Some(q) => aliases
                    .get(&q)
                    .is_some_and(|r| r == "pg_class" || r == "pg_namespace"),
                None => only.is_some_and(|r| r == "pg_class" || r == "pg_namespace"),
            });
    if !is_oid_column {
        return None;
    }
    oid_literal(val)
}

#[cfg(test)]
#[path = "needs_tests.rs"]
mod tests;
