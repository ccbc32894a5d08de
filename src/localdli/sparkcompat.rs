//! Spark semantics DataFusion does not share, applied to a logical plan before it runs.
//!
//! - `/` on two integers is a `double` division in Spark (`7 / 2` = 3.5), and a zero
//!   divisor yields NULL (Spark's default, non-ANSI mode): rewritten to
//!   `CAST(a AS DOUBLE) / CAST(NULLIF(b, 0) AS DOUBLE)`, keeping the output names.
//!
//! - `a % 0` is NULL too (`a % NULLIF(b, 0)`); `CAST(ts AS BIGINT)` is seconds since the
//!   epoch, as in Spark (DataFusion: nanoseconds). `DIV` is rewritten on the syntax tree
//!   ([`super::sparkops`]).
//!
//! - an integer literal is an `int` in Spark when it fits (`SELECT 1` is `int`,
//!   `array(1, 2)` is `array<int>`), a `bigint` only when it does not; DataFusion reads
//!   every integer literal as Int64. Rewritten before type coercion, so `bigcol = 1`
//!   still compares as bigint. LIMIT/OFFSET and VALUES lists keep their planned types.
//!
//! - `round(d, n)` of a `decimal(p,s)` is a `decimal(p-s+1+min(s,n), min(s,n))` in Spark
//!   (`round(2.5, 0)` = `3`); DataFusion keeps the input type (`3.0`): the rounded value
//!   is cast to Spark's type, which is exact.
//!
//! - `DATE ± INTERVAL` with a time part is a timestamp ([`super::sparkdates`]).
//!
//! - `CAST` is Spark's non-ANSI cast where DataFusion's differs ([`super::sparkcast`]).
//!
//! Owns plan rewrites only.

use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::functions::core::expr_fn::nullif;
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::utils::merge_schema;
use datafusion::logical_expr::{BinaryExpr, Expr, ExprSchemable, LogicalPlan, Operator, cast, lit};

/// Applies every Spark-compatibility rewrite to a plan (and its subqueries).
pub fn apply(plan: LogicalPlan) -> Result<LogicalPlan> {
    // An `unnest` (Spark's `explode`) fixes its output types when planned: a plan with one
    // has every schema recomputed once the literals below it are `int`.
    let unnests = plan.exists(|p| Ok(matches!(p, LogicalPlan::Unnest(_))))?;
    plan.transform_up_with_subqueries(|node| {
        if node.inputs().is_empty() {
            return Ok(Transformed::no(node));
        }
        let schema = merge_schema(&node.inputs());
        let names = NamePreserver::new(&node);
        let int_literals = !matches!(node, LogicalPlan::Limit(_) | LogicalPlan::Values(_));
        let rewritten = node.map_expressions(|expr| {
            let saved = names.save(&expr);
            expr.transform_up(|e| {
                let t = super::sparkcast::rewrite(e, &schema)?
                    .transform_data(|e| integer_division(e, &schema))?
                    .transform_data(|e| modulo_and_epoch(e, &schema))?
                    .transform_data(|e| decimal_round(e, &schema))?
                    .transform_data(|e| super::sparkdates::date_time_interval(e, &schema))?;
                if int_literals {
                    t.transform_data(spark_int_literal)
                } else {
                    Ok(t)
                }
            })
            .map(|t| t.update_data(|e| saved.restore(e)))
        })?;
        if rewritten.transformed || unnests {
            rewritten.map_data(|p| p.recompute_schema())
        } else {
            Ok(rewritten)
        }
    })
    .map(|t| t.data)
}

/// `Int64(n)` → `Int32(n)` when `n` fits, as Spark types integer literals.
fn spark_int_literal(e: Expr) -> Result<Transformed<Expr>> {
    match e {
        Expr::Literal(ScalarValue::Int64(Some(v)), meta) => match i32::try_from(v) {
            Ok(small) => Ok(Transformed::yes(Expr::Literal(
                ScalarValue::Int32(Some(small)),
                meta,
            ))),
            Err(_) => Ok(Transformed::no(Expr::Literal(
                ScalarValue::Int64(Some(v)),
                meta,
            ))),
        },
        other => Ok(Transformed::no(other)),
    }
}

fn integer_division(e: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    let Expr::BinaryExpr(BinaryExpr {
        left,
        op: Operator::Divide,
        right,
    }) = e
    else {
        return Ok(Transformed::no(e));
    };
    let integers = matches!(
        (left.get_type(schema), right.get_type(schema)),
        (Ok(l), Ok(r)) if l.is_integer() && r.is_integer()
    );
    if !integers {
        return Ok(Transformed::no(Expr::BinaryExpr(BinaryExpr::new(
            left,
            Operator::Divide,
            right,
        ))));
    }
    let numerator = cast(*left, DataType::Float64);
    let denominator = cast(nullif(*right, lit(0i64)), DataType::Float64);
    Ok(Transformed::yes(Expr::BinaryExpr(BinaryExpr::new(
        Box::new(numerator),
        Operator::Divide,
        Box::new(denominator),
    ))))
}

/// `a % b` is NULL for a zero divisor in Spark; a timestamp cast to `bigint` is its
/// seconds since the epoch (DataFusion: nanoseconds).
fn modulo_and_epoch(e: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    match e {
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::Modulo,
            right,
        }) => {
            // a zero of the divisor's own type, so `int % int` stays an int
            let zero = right
                .get_type(schema)
                .ok()
                .and_then(|t| ScalarValue::new_zero(&t).ok())
                .map_or_else(|| lit(0i64), lit);
            Ok(Transformed::yes(Expr::BinaryExpr(BinaryExpr::new(
                left,
                Operator::Modulo,
                Box::new(nullif(*right, zero)),
            ))))
        }
        Expr::Cast(c)
            if c.field.data_type() == &DataType::Int64
                && matches!(
                    c.expr.get_type(schema),
                    Ok(DataType::Timestamp(unit, _)) if unit != TimeUnit::Second
                ) =>
        {
            let tz = match c.expr.get_type(schema) {
                Ok(DataType::Timestamp(_, tz)) => tz,
                _ => None,
            };
            let seconds = cast(*c.expr, DataType::Timestamp(TimeUnit::Second, tz));
            Ok(Transformed::yes(cast(seconds, DataType::Int64)))
        }
        other => Ok(Transformed::no(other)),
    }
}

/// Spark's result type for `round` / `bround` of a decimal with a non-negative scale.
fn decimal_round(e: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    let Expr::ScalarFunction(f) = &e else {
        return Ok(Transformed::no(e));
    };
    if !matches!(f.func.name(), "round" | "bround") || f.args.is_empty() || f.args.len() > 2 {
        return Ok(Transformed::no(e));
    }
    let Ok(DataType::Decimal128(p, s)) = f.args[0].get_type(schema) else {
        return Ok(Transformed::no(e));
    };
    let places = match f.args.get(1) {
        None => 0,
        Some(Expr::Literal(v, _)) => match v {
            ScalarValue::Int32(Some(n)) => i64::from(*n),
            ScalarValue::Int64(Some(n)) => *n,
            _ => return Ok(Transformed::no(e)),
        },
        Some(_) => return Ok(Transformed::no(e)),
    };
    if places < 0 || s < 0 {
        return Ok(Transformed::no(e));
    }
    let scale = i64::from(s).min(places);
    let precision = (i64::from(p) - i64::from(s) + 1 + scale).min(38);
    let (Ok(precision), Ok(scale)) = (u8::try_from(precision), i8::try_from(scale)) else {
        return Ok(Transformed::no(e));
    };
    Ok(Transformed::yes(cast(
        e,
        DataType::Decimal128(precision, scale),
    )))
}
