//! Spark's generators `explode`, `explode_outer`, `posexplode` and `posexplode_outer` in
//! a select list, as DataFusion's `unnest`, with Spark 3.3's rules and names:
//!
//! - `explode(a)` → `unnest(a) AS col`: one row per element; a NULL or empty array gives
//!   no rows. `explode_outer` gives one NULL row for those instead.
//! - `posexplode(a)` → `pos` (the 0-based position, `int`) and `col`, as two `unnest`s
//!   DataFusion zips row by row; `AS (p, c)` names them (one alias per output column, as
//!   Spark requires).
//! - Refused as Spark refuses them (analysis errors): two generators in one select list,
//!   a generator nested in an expression, a generator outside the select list (WHERE,
//!   GROUP BY, HAVING, ORDER BY).
//! - `LATERAL VIEW` is rewritten to a select-list generator ([`super::sparklateral`]).
//! - `stack`, `inline` of structs written out, `explode` of a `map(…)` written out:
//!   [`super::sparkstack`]; `inline` of a column and `explode` of a map column are not
//!   run here (`UNSUPPORTED_FEATURE`, while Spark runs them).
//!
//! Runs before output columns are named ([`super::stmt::name_columns`]). Owns these
//! rewrites only.

use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, CastKind, DataType, Expr, FunctionArg, FunctionArgExpr, FunctionArguments,
    GroupByExpr, Ident, ObjectNamePart, OrderByKind, Query, Select, SelectItem, SetExpr, Statement,
    Value, Visit, VisitMut, Visitor, VisitorMut,
};

use super::error::{SqlError, SqlErrorKind};
use super::sparkops::call;

/// Every Spark 3.3 generator (a table-generating function).
const GENERATORS: &[&str] = &[
    "explode",
    "explode_outer",
    "posexplode",
    "posexplode_outer",
    "inline",
    "inline_outer",
    "stack",
    "json_tuple",
];

/// Rewrite the generators of `stmt` (see the module doc).
pub fn rewrite(stmt: &mut Statement) -> Result<(), SqlError> {
    struct Queries;
    impl VisitorMut for Queries {
        type Break = SqlError;
        fn pre_visit_query(&mut self, q: &mut Query) -> ControlFlow<SqlError> {
            match query(q) {
                Ok(()) => ControlFlow::Continue(()),
                Err(e) => ControlFlow::Break(e),
            }
        }
    }
    match stmt.visit(&mut Queries) {
        ControlFlow::Break(e) => Err(e),
        ControlFlow::Continue(()) => Ok(()),
    }
}

fn query(q: &mut Query) -> Result<(), SqlError> {
    if let Some(order) = &q.order_by
        && let OrderByKind::Expressions(exprs) = &order.kind
    {
        for o in exprs {
            let asc = o.options.asc != Some(false);
            let nulls_first = o.options.nulls_first.unwrap_or(asc);
            let shown = format!(
                "Sort [{} {} NULLS {}], true",
                spark_sql(&o.expr),
                if asc { "ASC" } else { "DESC" },
                if nulls_first { "FIRST" } else { "LAST" }
            );
            outside(&o.expr, &shown)?;
        }
    }
    super::sparklateral::rewrite(q)?;
    body(&mut q.body)
}

fn body(b: &mut SetExpr) -> Result<(), SqlError> {
    match b {
        SetExpr::Select(s) => select(s),
        SetExpr::SetOperation { left, right, .. } => {
            body(left)?;
            body(right)
        }
        // nested queries are visited on their own
        _ => Ok(()),
    }
}

/// The name of a generator call written at the top of `e` (lower case).
fn generator(e: &Expr) -> Option<String> {
    let Expr::Function(f) = e else {
        return None;
    };
    let [ObjectNamePart::Identifier(id)] = f.name.0.as_slice() else {
        return None;
    };
    let name = id.value.to_ascii_lowercase();
    (id.quote_style.is_none() && f.over.is_none() && GENERATORS.contains(&name.as_str()))
        .then_some(name)
}

/// The generator calls in `e` outside its subqueries, as Spark shows them.
fn found(e: &Expr) -> Vec<String> {
    struct Find {
        depth: usize,
        found: Vec<String>,
    }
    impl Visitor for Find {
        type Break = ();
        fn pre_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
            self.depth += 1;
            ControlFlow::Continue(())
        }
        fn post_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
            self.depth -= 1;
            ControlFlow::Continue(())
        }
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            if self.depth == 0 && generator(e).is_some() {
                self.found.push(format!("\"{}\"", spark_sql(e)));
            }
            ControlFlow::Continue(())
        }
    }
    let mut f = Find {
        depth: 0,
        found: Vec::new(),
    };
    let _ = e.visit(&mut f);
    f.found
}

/// Spark 3.3's `UNSUPPORTED_GENERATOR` (3.4 adds the sub-class, `kind`, to the class).
fn unsupported_generator(_kind: &str, detail: String) -> SqlError {
    SqlError::new(
        SqlErrorKind::Analysis,
        format!("[UNSUPPORTED_GENERATOR] The generator is not supported: {detail}"),
    )
}

/// A generator in a clause other than the select list (`shown`: Spark's operator).
fn outside(e: &Expr, shown: &str) -> Result<(), SqlError> {
    if found(e).is_empty() {
        return Ok(());
    }
    Err(unsupported_generator(
        "OUTSIDE_SELECT",
        format!("outside the SELECT clause, found: {shown}"),
    ))
}

/// `e` as Spark 3.3 prints an expression in its messages.
fn spark_sql(e: &Expr) -> String {
    crate::sparknames::spark_sql(e)
}

fn select(s: &mut Select) -> Result<(), SqlError> {
    if let Some(w) = &s.selection {
        outside(w, &format!("'Filter {}", spark_sql(w)))?;
    }
    if let Some(h) = &s.having {
        outside(h, &format!("'Filter {}", spark_sql(h)))?;
    }
    if let GroupByExpr::Expressions(exprs, _) = &s.group_by {
        let shown: Vec<String> = exprs.iter().map(spark_sql).collect();
        for g in exprs {
            outside(g, &format!("Aggregate [{}]", shown.join(", ")))?;
        }
    }
    let mut tops = Vec::new();
    for (i, item) in s.projection.iter().enumerate() {
        let expr = match item {
            SelectItem::UnnamedExpr(e)
            | SelectItem::ExprWithAlias { expr: e, .. }
            | SelectItem::ExprWithAliases { expr: e, .. } => e,
            _ => continue,
        };
        match generator(expr) {
            Some(_) => tops.push((i, format!("\"{}\"", spark_sql(expr)))),
            None => {
                if !found(expr).is_empty() {
                    return Err(unsupported_generator(
                        "NESTED_IN_EXPRESSIONS",
                        format!("nested in expressions \"{}\"", spark_sql(expr)),
                    ));
                }
            }
        }
    }
    if tops.len() > 1 {
        let shown: Vec<String> = tops.iter().map(|(_, t)| t.clone()).collect();
        return Err(unsupported_generator(
            "MULTI_GENERATOR",
            format!(
                "only one generator allowed per select clause but found {}: {}",
                tops.len(),
                shown.join(", ")
            ),
        ));
    }
    let Some((i, _)) = tops.pop() else {
        return Ok(());
    };
    let item = s.projection.remove(i);
    let expanded = expand(item)?;
    s.projection.splice(i..i, expanded);
    Ok(())
}

/// The select items `unnest` gives for one generator item.
fn expand(item: SelectItem) -> Result<Vec<SelectItem>, SqlError> {
    let (expr, aliases) = match item {
        SelectItem::UnnamedExpr(e) => (e, None),
        SelectItem::ExprWithAlias { expr, alias } => (expr, Some(vec![alias])),
        SelectItem::ExprWithAliases { expr, aliases } => (expr, Some(aliases)),
        other => return Ok(vec![other]),
    };
    let name = generator(&expr).unwrap_or_default();
    let Expr::Function(f) = &expr else {
        return Ok(vec![SelectItem::UnnamedExpr(expr)]);
    };
    let args: Vec<Expr> = match &f.args {
        FunctionArguments::List(l) => l
            .args
            .iter()
            .filter_map(|a| match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    if let Some(columns) = super::sparkstack::columns(&name, &args)? {
        let pos = name.starts_with("posexplode");
        let mut defaults: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        if pos {
            defaults.insert(0, "pos");
        }
        let names = super::sparkstack::names(&defaults, aliases)?;
        let lists = columns.into_iter().map(|c| c.list).collect();
        return Ok(items(unnests(lists, pos, name.ends_with("_outer")), names));
    }
    let (columns, outer): (&[&str], bool) = match name.as_str() {
        "explode" => (&["col"], false),
        "explode_outer" => (&["col"], true),
        "posexplode" => (&["pos", "col"], false),
        "posexplode_outer" => (&["pos", "col"], true),
        // refused by `super::sparkfuncs` in its own words
        "json_tuple" => return Ok(vec![SelectItem::UnnamedExpr(expr.clone())]),
        other => {
            return Err(SqlError::unsupported(format!(
                "the generator {other} on the local DLI service"
            )));
        }
    };
    let [array] = <[Expr; 1]>::try_from(args).map_err(|a| {
        SqlError::new(
            SqlErrorKind::Analysis,
            format!(
                "[WRONG_NUM_ARGS] The `{name}` requires 1 parameters but the actual number is {}.",
                a.len()
            ),
        )
    })?;
    let names = super::sparkstack::names(columns, aliases)?;
    Ok(items(
        unnests(vec![array], columns.len() == 2, outer),
        names,
    ))
}

fn items(exprs: Vec<Expr>, names: Vec<Ident>) -> Vec<SelectItem> {
    exprs
        .into_iter()
        .zip(names)
        .map(|(expr, alias)| SelectItem::ExprWithAlias { expr, alias })
        .collect()
}

/// One `unnest` per list (DataFusion zips them row by row), after the 0-based position
/// when `pos`; `outer`: a NULL or empty first list stands for one NULL element.
fn unnests(lists: Vec<Expr>, pos: bool, outer: bool) -> Vec<Expr> {
    let Some(measured) = lists.first().cloned() else {
        return Vec::new();
    };
    let length = || call("cardinality", vec![measured.clone()]);
    let guarded = |list: Expr| {
        if !outer {
            return list;
        }
        Expr::Case {
            case_token: sqlparser::ast::helpers::attached_token::AttachedToken::empty(),
            end_token: sqlparser::ast::helpers::attached_token::AttachedToken::empty(),
            operand: None,
            conditions: vec![sqlparser::ast::CaseWhen {
                condition: Expr::BinaryOp {
                    left: Box::new(length()),
                    op: BinaryOperator::Gt,
                    right: Box::new(Expr::value(Value::Number("0".into(), false))),
                },
                result: list,
            }],
            else_result: Some(Box::new(call("make_array", vec![Expr::value(Value::Null)]))),
        }
    };
    let mut exprs = Vec::new();
    if pos {
        let positions = call(
            "range",
            vec![Expr::value(Value::Number("0".into(), false)), length()],
        );
        exprs.push(Expr::Cast {
            kind: CastKind::Cast,
            expr: Box::new(call("unnest", vec![guarded(positions)])),
            data_type: DataType::Int(None),
            array: false,
            format: None,
        });
    }
    exprs.extend(lists.into_iter().map(|l| call("unnest", vec![guarded(l)])));
    exprs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(sql: &str) -> Result<String, String> {
        let mut stmt = crate::sparksql::parse(sql).unwrap().remove(0);
        rewrite(&mut stmt).map_err(|e| e.message)?;
        Ok(stmt.to_string())
    }

    #[test]
    fn generators_become_unnest() {
        assert_eq!(
            rewritten("SELECT a, explode(x) FROM t").unwrap(),
            "SELECT a, unnest(x) AS col FROM t"
        );
        assert_eq!(
            rewritten("SELECT posexplode(x) AS (p, c) FROM t").unwrap(),
            "SELECT CAST(unnest(range(0, cardinality(x))) AS INT) AS p, unnest(x) AS c FROM t"
        );
        // a generator of a subquery is that subquery's
        assert!(rewritten("SELECT (SELECT max(g) FROM (SELECT explode(x) AS g) s)").is_ok());
    }

    #[test]
    fn spark_refusals() {
        for (sql, start) in [
            (
                "SELECT explode(x), explode(y) FROM t",
                "[UNSUPPORTED_GENERATOR] The generator is not supported: only \
                 one generator allowed per select clause but found 2: \"explode(x)\", \
                 \"explode(y)\"",
            ),
            (
                "SELECT explode(x) + 1 FROM t",
                "[UNSUPPORTED_GENERATOR] The generator is not supported: \
                 nested in expressions \"(explode(x) + 1)\"",
            ),
            (
                "SELECT a FROM t WHERE explode(x) = 1",
                "[UNSUPPORTED_GENERATOR] The generator is not supported: outside",
            ),
            (
                "SELECT a FROM t ORDER BY explode(x)",
                "[UNSUPPORTED_GENERATOR] The generator is not supported: outside",
            ),
            (
                "SELECT explode(x) AS (p, c) FROM t",
                "[UDTF_ALIAS_NUMBER_MISMATCH] The number of aliases supplied in the AS clause",
            ),
        ] {
            let e = rewritten(sql).unwrap_err();
            assert!(e.starts_with(start), "{sql}: {e}");
        }
    }
}
