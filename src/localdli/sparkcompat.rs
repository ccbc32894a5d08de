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
//! - `/` with a decimal operand has Spark's result type: `decimal(p1,s1) / decimal(p2,s2)`
//!   is a `decimal(p1-s1+s2+s, s)` with `s = max(6, s1+p2+1)`, reduced to 38 digits as
//!   Spark reduces it (the scale kept to at least 6), rounded half up; an integer literal
//!   is a decimal of its own digits (`3` → `decimal(1,0)`), an `int` column a
//!   `decimal(10,0)`; a zero divisor gives NULL. DataFusion's scale is `s1 + 4`, truncated.
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
    // A rewrite below a node can change the types it reads (an `unnest`, Spark's
    // `explode`, fixes its output types when planned; a projection reads a grouped `a / b`
    // by name): every schema is recomputed once the nodes below it are rewritten.
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
                    .transform_data(|e| decimal_division(e, &schema))?
                    .transform_data(|e| super::sparkdates::date_time_interval(e, &schema))?;
                if int_literals {
                    t.transform_data(spark_int_literal)
                } else {
                    Ok(t)
                }
            })
            .map(|t| t.update_data(|e| saved.restore(e)))
        })?;
        rewritten.map_data(|p| p.recompute_schema())
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

/// The decimal type Spark gives an operand of a decimal division (`None`: not one).
fn decimal_operand(e: &Expr, schema: &DFSchema) -> Option<(u8, i8)> {
    let digits = |v: i128| u8::try_from(v.unsigned_abs().to_string().len()).ok();
    match e {
        Expr::Literal(v, _) => match v {
            ScalarValue::Int8(Some(n)) => Some((digits(i128::from(*n))?, 0)),
            ScalarValue::Int16(Some(n)) => Some((digits(i128::from(*n))?, 0)),
            ScalarValue::Int32(Some(n)) => Some((digits(i128::from(*n))?, 0)),
            ScalarValue::Int64(Some(n)) => Some((digits(i128::from(*n))?, 0)),
            ScalarValue::Decimal128(_, p, s) => Some((*p, *s)),
            _ => None,
        },
        _ => match e.get_type(schema).ok()? {
            DataType::Decimal128(p, s) => Some((p, s)),
            DataType::Int8 => Some((3, 0)),
            DataType::Int16 => Some((5, 0)),
            DataType::Int32 => Some((10, 0)),
            DataType::Int64 => Some((20, 0)),
            _ => None,
        },
    }
}

/// Spark's `decimal / decimal` (see the module doc).
fn decimal_division(e: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    let Expr::BinaryExpr(BinaryExpr {
        left,
        op: Operator::Divide,
        right,
    }) = &e
    else {
        return Ok(Transformed::no(e));
    };
    let is_decimal = |x: &Expr| matches!(x.get_type(schema), Ok(DataType::Decimal128(..)));
    if !(is_decimal(left) || is_decimal(right)) {
        return Ok(Transformed::no(e));
    }
    let (Some((p1, s1)), Some((p2, s2))) = (
        decimal_operand(left, schema),
        decimal_operand(right, schema),
    ) else {
        return Ok(Transformed::no(e));
    };
    let (p1, s1, p2, s2) = (i32::from(p1), i32::from(s1), i32::from(p2), i32::from(s2));
    if s1 < 0 || s2 < 0 {
        return Ok(Transformed::no(e));
    }
    let mut scale = 6.max(s1 + p2 + 1);
    let mut precision = p1 - s1 + s2 + scale;
    if precision > 38 {
        let int_digits = precision - scale;
        scale = (38 - int_digits).max(scale.min(6));
        precision = 38;
    }
    // The dividend's scale makes DataFusion's quotient (scale + 4, truncated) keep one
    // digit more than Spark's, which the final cast rounds half up.
    let dividend_scale = s1.max(scale - 3);
    let dividend_precision = p1 - s1 + dividend_scale;
    if dividend_precision > 38 || p2 > 38 {
        return Ok(Transformed::no(e));
    }
    // DataFusion multiplies the dividend by 10^(4 + s2): past 38 digits, in 256 bits
    let wide = dividend_precision + 4 + s2 > 38;
    let as_decimal = |p: i32, s: i32, wide: bool| -> Option<DataType> {
        let (p, s) = (u8::try_from(p).ok()?, i8::try_from(s).ok()?);
        Some(if wide {
            DataType::Decimal256(p, s)
        } else {
            DataType::Decimal128(p, s)
        })
    };
    let (Some(dividend), Some(divisor), Some(result)) = (
        as_decimal(dividend_precision, dividend_scale, wide),
        as_decimal(p2, s2, wide),
        as_decimal(precision, scale, false),
    ) else {
        return Ok(Transformed::no(e));
    };
    let Expr::BinaryExpr(BinaryExpr { left, right, .. }) = e else {
        return Ok(Transformed::no(e));
    };
    let zero = ScalarValue::new_zero(&divisor)?;
    let divisor = cast(*right, divisor);
    let quotient = Expr::BinaryExpr(BinaryExpr::new(
        Box::new(cast(*left, dividend)),
        Operator::Divide,
        Box::new(nullif(divisor, lit(zero))),
    ));
    Ok(Transformed::yes(cast(quotient, result)))
}
