//! Spark's `range` table function in `FROM`: `range(end)`, `range(start, end[, step[,
//! numPartitions]])`, one `bigint` column `id` from `start` (0) up to `end` exclusive by
//! `step` (1; a negative step counts down, and an empty range gives no rows). Rewritten to
//! a derived table over DataFusion's own streaming `range` (whose column is `value`), so a
//! large range is never materialised. A non-positive `numPartitions` fails when the
//! statement runs, as on Spark (`spark_raise`). The arguments must be constants, as Spark's are:
//! numbers (a fraction is dropped, as Spark's cast to `bigint` drops it) or numeric
//! strings; a zero step, a NULL, a non-positive `numPartitions` or the wrong number of
//! arguments are refused as Spark 3.3 refuses them (analysis errors).
//!
//! Owns this rewrite only; [`super::engine`] skips the catalog check for the `range`
//! relation it leaves behind.

use std::ops::ControlFlow;

use sqlparser::ast::{
    CastKind, Expr, FunctionArg, FunctionArgExpr, ObjectNamePart, Statement, TableFactor,
    UnaryOperator, Value, VisitMut, VisitorMut,
};

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::error::{SqlError, SqlErrorKind};

/// The table function DataFusion runs `range` with (and the relation name it leaves).
pub const RANGE: &str = "range";

/// A function failing with its argument when it runs (not callable from SQL: it is not
/// one of Spark's, so [`super::sparkstrict`] refuses it as written).
pub const RAISE: &str = "spark_raise";

#[derive(Debug, PartialEq, Eq, Hash)]
struct Raise {
    signature: Signature,
}

/// `spark_raise(message)`: a `bigint` that is never produced: running it fails with
/// `message`.
pub fn raise_udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(Raise {
        signature: Signature::exact(vec![DataType::Utf8], Volatility::Volatile),
    })
}

impl ScalarUDFImpl for Raise {
    fn name(&self) -> &str {
        RAISE
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _types: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(DataType::Int64)
    }

    fn invoke_with_args(
        &self,
        args: ScalarFunctionArgs,
    ) -> datafusion::error::Result<ColumnarValue> {
        let message = match args.args.first() {
            Some(ColumnarValue::Scalar(ScalarValue::Utf8(Some(m)))) => m.clone(),
            _ => format!("{RAISE}: a message is required"),
        };
        exec_err!("{message}")
    }
}

/// Rewrite every `range(…)` in `FROM`; `Ok(true)` when there was one.
pub fn rewrite(stmt: &mut Statement) -> Result<bool, SqlError> {
    struct Tables(bool);
    impl VisitorMut for Tables {
        type Break = SqlError;
        fn post_visit_table_factor(&mut self, t: &mut TableFactor) -> ControlFlow<SqlError> {
            match table(t) {
                Ok(found) => {
                    self.0 |= found;
                    ControlFlow::Continue(())
                }
                Err(e) => ControlFlow::Break(e),
            }
        }
    }
    // after the children: the derived table made here is not visited again
    let mut v = Tables(false);
    match stmt.visit(&mut v) {
        ControlFlow::Break(e) => Err(e),
        ControlFlow::Continue(()) => Ok(v.0),
    }
}

fn table(t: &mut TableFactor) -> Result<bool, SqlError> {
    let TableFactor::Table {
        name,
        alias,
        args: Some(args),
        ..
    } = t
    else {
        return Ok(false);
    };
    let [ObjectNamePart::Identifier(id)] = name.0.as_slice() else {
        return Ok(false);
    };
    if id.quote_style.is_some() || !id.value.eq_ignore_ascii_case(RANGE) {
        return Ok(false);
    }
    let values = args
        .args
        .iter()
        .map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => long(e),
            _ => Err(SqlError::unsupported("a named argument of range")),
        })
        .collect::<Result<Vec<Option<i64>>, SqlError>>()?;
    let types: Vec<&str> = values
        .iter()
        .map(|v| match v {
            None => "void",
            Some(v) if i32::try_from(*v).is_ok() => "integer",
            Some(_) => "bigint",
        })
        .collect();
    let types = types.join(", ");
    let refused = |why: &str| {
        SqlError::new(
            SqlErrorKind::Analysis,
            format!(
                "[INVALID_PARAMETER_VALUE] Table-valued function range with alternatives: \
                 range(start: long, end: long, step: long, numSlices: integer), range(start: \
                 long, end: long, step: long), range(start: long, end: long), range(end: long) \
                 cannot be applied to ({types}){why}"
            ),
        )
    };
    if values.iter().any(Option::is_none) {
        return Err(refused(": NULL is not a number"));
    }
    let values: Vec<i64> = values.into_iter().flatten().collect();
    let (start, end, step) = match values.as_slice() {
        [end] => (0, *end, 1),
        [start, end] => (*start, *end, 1),
        [start, end, step] | [start, end, step, _] => (*start, *end, *step),
        _ => return Err(refused("")),
    };
    if step == 0 {
        return Err(refused(": requirement failed: step (0) cannot be 0"));
    }
    let sql = match values.get(3) {
        // Spark 3.3 fails this one when the statement runs, not when it is analysed
        Some(parts) if *parts <= 0 => format!(
            "SELECT {RAISE}('[INVALID_PARAMETER_VALUE] The value of parameter(s) \
             `numPartitions` in `range` is invalid: Positive number of partitions required') \
             AS id"
        ),
        _ => format!("SELECT value AS id FROM {RANGE}({start}, {end}, {step})"),
    };
    let subquery = crate::sparksql::parse(&sql)
        .ok()
        .and_then(|mut s| match s.pop() {
            Some(Statement::Query(q)) => Some(q),
            _ => None,
        })
        .ok_or_else(|| SqlError::internal(format!("range: cannot build {sql}")))?;
    *t = TableFactor::Derived {
        lateral: false,
        subquery,
        alias: alias.take(),
        sample: None,
    };
    Ok(true)
}

/// A constant argument as Spark casts it to `bigint` (`None`: NULL).
fn long(e: &Expr) -> Result<Option<i64>, SqlError> {
    let not_constant = || SqlError::unsupported(format!("range with the argument {e}"));
    match e {
        Expr::Nested(inner) => long(inner),
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => Ok(long(expr)?.and_then(i64::checked_neg)),
        Expr::UnaryOp {
            op: UnaryOperator::Plus,
            expr,
        } => long(expr),
        // Spark's typed literals (`3L`), as the engine spells them: `'3'::BIGINT`
        Expr::Cast {
            kind: CastKind::DoubleColon,
            expr,
            ..
        } => long(expr),
        Expr::Value(v) => match &v.value {
            Value::Null => Ok(None),
            Value::Number(n, _) => number(n).map(Some).ok_or_else(not_constant),
            Value::SingleQuotedString(s) => Ok(number(s.trim())),
            _ => Err(not_constant()),
        },
        _ => Err(not_constant()),
    }
}

/// An integer, or a number whose fraction is dropped; `None` when not a number or out
/// of `bigint`'s range.
fn number(text: &str) -> Option<i64> {
    if let Ok(v) = text.parse::<i64>() {
        return Some(v);
    }
    let v: f64 = text.parse().ok()?;
    // `as` saturates; a value outside the range is refused instead.
    (v.is_finite() && v.abs() < 9.2e18).then(|| v.trunc() as i64)
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
    fn range_becomes_a_derived_table() {
        assert_eq!(
            rewritten("SELECT * FROM range(3) r").unwrap(),
            "SELECT * FROM (SELECT value AS id FROM range(0, 3, 1)) r"
        );
        assert_eq!(
            rewritten("SELECT * FROM range(5, 0, -2, 1)").unwrap(),
            "SELECT * FROM (SELECT value AS id FROM range(5, 0, -2))"
        );
        assert_eq!(
            rewritten("SELECT * FROM range('3')").unwrap(),
            "SELECT * FROM (SELECT value AS id FROM range(0, 3, 1))"
        );
        for bad in [
            "SELECT * FROM range(0, 3, 0)",
            "SELECT * FROM range(NULL)",
            "SELECT * FROM range()",
        ] {
            assert!(rewritten(bad).is_err(), "{bad}");
        }
        // a table named range is a table
        assert_eq!(
            rewritten("SELECT * FROM range").unwrap(),
            "SELECT * FROM range"
        );
    }
}
