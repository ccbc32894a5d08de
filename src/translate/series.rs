//! `generate_series` in FROM, as Spark 3.3 can say it: `explode(sequence(…))` in a derived
//! table.
//!
//! Postgres gives no rows when the step points away from the stop; Spark's `sequence`
//! fails on such bounds and, without a step, counts down. So the step is always written
//! out and the sequence is guarded: `explode(IF(<direction fits>, sequence(a, b, s),
//! NULL))` (exploding NULL gives no rows). A zero integer step reaches `sequence`, which
//! fails as Postgres does. The column is named as Postgres names it: the alias's column
//! (`AS g(n)`), else the table alias (`AS g`), else `generate_series`. A timestamp series
//! needs a literal interval step (its sign decides the direction); any other form, or
//! `generate_series` in a select list or with ORDINALITY, is refused with 0A000.

use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, Ident, Query, SelectItem, SetExpr, Statement, TableAlias,
    TableFactor, visit_expressions_mut,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use super::error::Untranslatable;

const NAME: &str = "generate_series";

/// Rewrite `FROM generate_series(…)`; `true` when it changed.
pub fn rewrite(t: &mut TableFactor) -> Result<bool, Untranslatable> {
    let TableFactor::Table {
        name,
        args: Some(args),
        alias,
        with_ordinality,
        ..
    } = t
    else {
        return Ok(false);
    };
    if !(name.0.len() == 1 && name.to_string().eq_ignore_ascii_case(NAME)) {
        return Ok(false);
    }
    if *with_ordinality {
        return Err(Untranslatable::new("generate_series WITH ORDINALITY"));
    }
    let exprs: Vec<&Expr> = args
        .args
        .iter()
        .filter_map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
            _ => None,
        })
        .collect();
    let (start, stop, step) = match exprs.as_slice() {
        _ if exprs.len() != args.args.len() => {
            return Err(Untranslatable::new("this form of generate_series"));
        }
        [a, b] => (*a, *b, None),
        [a, b, s] => (*a, *b, Some(*s)),
        _ => return Err(Untranslatable::new("this form of generate_series")),
    };
    // The arguments go in as AST nodes (never re-parsed from printed text).
    let (a, b, st) = ("dligw_gs_start", "dligw_gs_stop", "dligw_gs_step");
    let fits = match step {
        None => format!("{a} <= {b}"),
        Some(Expr::Interval(iv)) => match iv.value.to_string().trim_start_matches(['\'', ' ']) {
            v if v.starts_with('-') => format!("{a} >= {b}"),
            _ => format!("{a} <= {b}"),
        },
        Some(s) if is_interval_cast(s) => {
            return Err(Untranslatable::new(
                "generate_series with an interval step that is not a literal",
            ));
        }
        Some(_) => format!("{st} = 0 OR ({st} > 0 AND {a} <= {b}) OR ({st} < 0 AND {a} >= {b})"),
    };
    let mut subquery = parse_query(&format!(
        "SELECT explode(IF({fits}, sequence({a}, {b}, {st}), NULL)) AS dligw_gs_column"
    ))?;
    let one = Expr::Value(sqlparser::ast::Value::Number("1".into(), false).into());
    // A series stepped by an interval is of timestamps on Postgres, also from dates.
    let timestamp = |e: &Expr| match step {
        Some(Expr::Interval(_)) => Expr::Cast {
            kind: sqlparser::ast::CastKind::Cast,
            expr: Box::new(e.clone()),
            data_type: sqlparser::ast::DataType::Timestamp(
                None,
                sqlparser::ast::TimezoneInfo::None,
            ),
            array: false,
            format: None,
        },
        _ => e.clone(),
    };
    let (start, stop, step) = (
        timestamp(start),
        timestamp(stop),
        step.cloned().unwrap_or(one),
    );
    let _ = visit_expressions_mut(&mut subquery, |e| {
        if let Expr::Identifier(id) = e {
            match id.value.as_str() {
                "dligw_gs_start" => *e = nested(start.clone()),
                "dligw_gs_stop" => *e = nested(stop.clone()),
                "dligw_gs_step" => *e = nested(step.clone()),
                _ => {}
            }
        }
        ControlFlow::<()>::Continue(())
    });
    let table = alias
        .as_ref()
        .map_or_else(|| Ident::new(NAME), |a| a.name.clone());
    let column = alias
        .as_ref()
        .and_then(|a| a.columns.first().map(|c| c.name.clone()))
        .unwrap_or_else(|| table.clone());
    if let SetExpr::Select(select) = subquery.body.as_mut()
        && let Some(SelectItem::ExprWithAlias { alias, .. }) = select.projection.first_mut()
    {
        *alias = column;
    }
    *t = TableFactor::Derived {
        lateral: false,
        subquery: Box::new(subquery),
        alias: Some(TableAlias {
            explicit: true,
            name: table,
            columns: Vec::new(),
            at: None,
        }),
        sample: None,
    };
    Ok(true)
}

fn nested(e: Expr) -> Expr {
    Expr::Nested(Box::new(e))
}

fn is_interval_cast(e: &Expr) -> bool {
    matches!(e, Expr::Cast { data_type, .. } if data_type.to_string().eq_ignore_ascii_case("interval"))
}

fn parse_query(sql: &str) -> Result<Query, Untranslatable> {
    let refused = || Untranslatable::new("this form of generate_series");
    let mut stmts = Parser::parse_sql(&PostgreSqlDialect {}, sql).map_err(|_| refused())?;
    match stmts.pop() {
        Some(Statement::Query(q)) if matches!(*q.body, SetExpr::Select(_)) => Ok(*q),
        _ => Err(refused()),
    }
}
