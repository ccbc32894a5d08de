//! Spark 3.3's meaning for date and time calls DataFusion or datafusion-spark read
//! otherwise:
//!
//! - `date_add(d, n)` / `date_sub(d, n)`: an integer literal `n` is an `int` (DataFusion
//!   reads it as `bigint`, which datafusion-spark's `date_add` refuses, as Spark refuses a
//!   `bigint`); a string or NULL `n` is cast to `int`, and a string, timestamp literal or
//!   NULL `d` to a date, as Spark casts them (`date_add('2024-01-07', 3)`);
//! - `unix_timestamp()` is `unix_timestamp(current_timestamp())`; a literal pattern of
//!   `unix_timestamp` / `to_unix_timestamp` is checked when the statement is planned
//!   ([`super::sparkunix`]); wrong argument counts fail in Spark's words;
//! - `from_unixtime(n[, pattern])` is a string (DataFusion's is a timestamp): the
//!   seconds `n` printed with the Spark pattern (`yyyy-MM-dd HH:mm:ss` by default);
//! - `extract(second FROM t)` / `date_part('second', t)` is a `decimal(8,6)` with the
//!   fraction (`12.500000`; datafusion-spark: the whole `int` 12), by `spark_second`;
//! - `DATE + INTERVAL` with a time part (`INTERVAL '2 hours 30 minutes'`) is a
//!   timestamp, as in Spark (DataFusion keeps a date and drops the hours); a
//!   day/month-only interval keeps a date ([`date_time_interval`], a plan rewrite).
//!
//! Owns these rewrites and `spark_second`.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, Decimal128Array};
use datafusion::arrow::compute::cast as arrow_cast;
use datafusion::arrow::datatypes::{DataType, TimeUnit, TimestampMicrosecondType};
use datafusion::common::tree_node::Transformed;
use datafusion::common::{DFSchema, ScalarValue, exec_err};
use datafusion::logical_expr::{
    BinaryExpr, ColumnarValue, Expr as PlanExpr, ExprSchemable, Operator, ScalarFunctionArgs,
    ScalarUDF, ScalarUDFImpl, Signature, Volatility, cast,
};
use sqlparser::ast::{CastKind, DataType as SqlType, Expr, TimezoneInfo, UnaryOperator, Value};

use super::error::{SqlError, SqlErrorKind};
use super::sparkops::call;

/// The name of the `extract(second …)` function (not callable from SQL: it is not one of
/// Spark's, so [`super::sparkstrict`] refuses it as written).
pub const SECOND: &str = "spark_second";

/// Spark's meaning for a call of `name` (lower case) with `args` (see the module doc);
/// `None` leaves the call as it is.
pub fn rewrite_call(name: &str, args: &[Expr]) -> Result<Option<Expr>, SqlError> {
    Ok(Some(match (name, args) {
        ("date_add" | "date_sub", [d, n]) => {
            let d = if loose(d) {
                sql_cast(d.clone(), SqlType::Date)
            } else {
                d.clone()
            };
            let n = match n {
                _ if loose(n) => sql_cast(n.clone(), SqlType::Int(None)),
                _ if int_literal(n) => sql_cast(n.clone(), SqlType::Int(None)),
                _ => n.clone(),
            };
            call(name, vec![d, n])
        }
        ("unix_timestamp", []) => call("unix_timestamp", vec![call("now", Vec::new())]),
        ("unix_timestamp" | "to_unix_timestamp", [_] | [_, _]) => {
            if let [_, Expr::Value(v)] = args
                && let Value::SingleQuotedString(p) = &v.value
                && let Err(what) = super::sparkreader::tokens(p)
            {
                return Err(SqlError::unsupported(format!(
                    "the datetime pattern '{p}' ({what}) in the embedded engine"
                )));
            }
            return Ok(None);
        }
        ("unix_timestamp", _) => return Err(arity(name, "[0, 1, 2]", args.len())),
        ("to_unix_timestamp", _) => return Err(arity(name, "[1, 2]", args.len())),
        ("from_unixtime", [n]) => from_unixtime(n, super::sparkunix::DEFAULT_PATTERN)?,
        ("from_unixtime", [n, Expr::Value(v)]) => match &v.value {
            Value::SingleQuotedString(p) => from_unixtime(n, p)?,
            Value::Null => Expr::value(Value::Null),
            _ => return Err(pattern_not_literal("from_unixtime")),
        },
        ("from_unixtime", [_, _]) => return Err(pattern_not_literal("from_unixtime")),
        ("from_unixtime", _) => return Err(arity(name, "[1, 2]", args.len())),
        ("date_part", [Expr::Value(v), t]) => match &v.value {
            Value::SingleQuotedString(f) if f.eq_ignore_ascii_case("second") => second(t),
            _ => return Ok(None),
        },
        _ => return Ok(None),
    }))
}

/// `extract(second FROM t)` as `spark_second`.
pub fn extract_second(field: &str, t: &Expr) -> Option<Expr> {
    field.eq_ignore_ascii_case("second").then(|| second(t))
}

fn second(t: &Expr) -> Expr {
    call(
        SECOND,
        vec![sql_cast(
            t.clone(),
            SqlType::Timestamp(None, TimezoneInfo::None),
        )],
    )
}

/// A literal Spark casts implicitly: a string, a typed literal (`TIMESTAMP '…'`), NULL.
fn loose(e: &Expr) -> bool {
    match e {
        Expr::Value(v) => matches!(v.value, Value::SingleQuotedString(_) | Value::Null),
        Expr::TypedString(t) => !matches!(t.data_type, SqlType::Date),
        _ => false,
    }
}

/// An integer literal that fits an `int` (Spark types it `int`).
fn int_literal(e: &Expr) -> bool {
    let text = match e {
        Expr::Value(v) => match &v.value {
            Value::Number(n, false) => n.clone(),
            _ => return false,
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => match expr.as_ref() {
            Expr::Value(v) => match &v.value {
                Value::Number(n, false) => format!("-{n}"),
                _ => return false,
            },
            _ => return false,
        },
        _ => return false,
    };
    text.parse::<i32>().is_ok()
}

fn sql_cast(e: Expr, data_type: SqlType) -> Expr {
    Expr::Cast {
        kind: CastKind::Cast,
        expr: Box::new(e),
        data_type,
        array: false,
        format: None,
    }
}

fn from_unixtime(n: &Expr, pattern: &str) -> Result<Expr, SqlError> {
    let chrono = super::sparkpattern::to_chrono(pattern)?;
    let seconds = sql_cast(n.clone(), SqlType::BigInt(None));
    Ok(call(
        "to_char",
        vec![
            sql_cast(seconds, SqlType::Timestamp(None, TimezoneInfo::None)),
            Expr::value(Value::SingleQuotedString(chrono)),
        ],
    ))
}

fn pattern_not_literal(name: &str) -> SqlError {
    SqlError::unsupported(format!(
        "{name} with a pattern that is not a string literal"
    ))
}

fn arity(name: &str, expected: &str, actual: usize) -> SqlError {
    SqlError::new(
        SqlErrorKind::Analysis,
        format!(
            "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `{name}` requires {expected} parameters \
             but the actual number is {actual}. Please, refer to \
             'https://spark.apache.org/docs/latest/sql-ref-functions.html' for a fix."
        ),
    )
}

/// `date ± interval` with a time part → `CAST(date AS TIMESTAMP) ± interval` (Spark's
/// result is a timestamp; DataFusion's a date without the hours).
pub fn date_time_interval(
    e: PlanExpr,
    schema: &DFSchema,
) -> datafusion::error::Result<Transformed<PlanExpr>> {
    let PlanExpr::BinaryExpr(BinaryExpr { left, op, right }) = e else {
        return Ok(Transformed::no(e));
    };
    let is_date = |x: &PlanExpr| matches!(x.get_type(schema), Ok(DataType::Date32));
    let timed = |x: &PlanExpr| match x {
        PlanExpr::Literal(ScalarValue::IntervalMonthDayNano(Some(v)), _) => v.nanoseconds != 0,
        PlanExpr::Literal(ScalarValue::IntervalDayTime(Some(v)), _) => v.milliseconds != 0,
        _ => false,
    };
    let ts = DataType::Timestamp(TimeUnit::Microsecond, None);
    match op {
        Operator::Plus | Operator::Minus if is_date(&left) && timed(&right) => {
            Ok(Transformed::yes(PlanExpr::BinaryExpr(BinaryExpr::new(
                Box::new(cast(*left, ts)),
                op,
                right,
            ))))
        }
        Operator::Plus if timed(&left) && is_date(&right) => Ok(Transformed::yes(
            PlanExpr::BinaryExpr(BinaryExpr::new(left, op, Box::new(cast(*right, ts)))),
        )),
        _ => Ok(Transformed::no(PlanExpr::BinaryExpr(BinaryExpr::new(
            left, op, right,
        )))),
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Second {
    signature: Signature,
}

/// `spark_second(ts)`: the seconds of `ts` with their fraction, a `decimal(8,6)`.
pub fn second_udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(Second {
        signature: Signature::user_defined(Volatility::Immutable),
    })
}

impl ScalarUDFImpl for Second {
    fn name(&self) -> &str {
        SECOND
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, types: &[DataType]) -> datafusion::error::Result<Vec<DataType>> {
        match types {
            [DataType::Timestamp(..) | DataType::Null] => {
                Ok(vec![DataType::Timestamp(TimeUnit::Microsecond, None)])
            }
            _ => datafusion::common::plan_err!(
                "Function 'extract' requires a timestamp, not {types:?}"
            ),
        }
    }

    fn return_type(&self, _types: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(DataType::Decimal128(8, 6))
    }

    fn invoke_with_args(
        &self,
        args: ScalarFunctionArgs,
    ) -> datafusion::error::Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let Some(ts) = arrays.first() else {
            return exec_err!("{SECOND}: an argument is required");
        };
        let micros = arrow_cast(ts, &DataType::Timestamp(TimeUnit::Microsecond, None))?;
        let micros = micros.as_primitive::<TimestampMicrosecondType>();
        let out: Decimal128Array = micros.unary(|v| i128::from(v.rem_euclid(60_000_000)));
        let out = out.with_precision_and_scale(8, 6)?;
        Ok(ColumnarValue::Array(Arc::new(out) as ArrayRef))
    }
}
