//! Spark's meaning for operators and special forms DataFusion reads otherwise, as
//! rewrites of one expression of the syntax tree (called by [`super::sparkfuncs`]):
//!
//! - `a DIV b` → `CAST((a) / NULLIF(b, 0) AS BIGINT)`: Spark's integral division, a
//!   `bigint` truncated toward zero, NULL for a zero divisor (`/` itself is then Spark's,
//!   see [`super::sparkcompat`]);
//! - `~a` (bitwise not) → `bitwise_not(a)` (datafusion-spark's);
//! - `a RLIKE p` / `a REGEXP p` → `regexp_like(a, p)`;
//! - `EXTRACT` / `date_part` field aliases Spark accepts (`Y`, `yrs`, `qtr`, `mons`, `W`,
//!   `D`, `H`, `M`, `S`, `secs` …) → the field's full name;
//! - `dayofweek(d)` → `date_part('dayofweek', d)` (1 = Sunday … 7, datafusion-spark's);
//! - `to_timestamp(s, pattern)` / `to_date(s, pattern)` with a literal pattern: Spark's
//!   datetime pattern letters translated ([`super::sparkpattern`]).
//!
//! Owns these rewrites only.

use sqlparser::ast::{
    BinaryOperator, CastKind, DataType, DateTimeField, Expr, FunctionArg, FunctionArgExpr,
    FunctionArguments, Ident, ObjectName, UnaryOperator, Value,
};

use super::error::SqlError;

/// Rewrites `expr` when it is one of the forms of the module doc.
pub fn rewrite(expr: &mut Expr) -> Result<(), SqlError> {
    match expr {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::MyIntegerDivide,
            right,
        } => {
            let left = std::mem::replace(left.as_mut(), Expr::value(Value::Null));
            let right = std::mem::replace(right.as_mut(), Expr::value(Value::Null));
            let divided = Expr::BinaryOp {
                left: Box::new(Expr::Nested(Box::new(left))),
                op: BinaryOperator::Divide,
                right: Box::new(call("nullif", vec![right, Expr::value(number("0"))])),
            };
            *expr = Expr::Cast {
                kind: CastKind::Cast,
                expr: Box::new(Expr::Nested(Box::new(divided))),
                data_type: DataType::BigInt(None),
                array: false,
                format: None,
            };
        }
        Expr::UnaryOp {
            op: UnaryOperator::BitwiseNot,
            expr: inner,
        } => {
            let inner = std::mem::replace(inner.as_mut(), Expr::value(Value::Null));
            *expr = call("bitwise_not", vec![inner]);
        }
        Expr::RLike {
            negated,
            expr: inner,
            pattern,
            ..
        } => {
            let negated = *negated;
            let inner = std::mem::replace(inner.as_mut(), Expr::value(Value::Null));
            let pattern = std::mem::replace(pattern.as_mut(), Expr::value(Value::Null));
            let like = call("regexp_like", vec![inner, pattern]);
            *expr = if negated {
                Expr::UnaryOp {
                    op: UnaryOperator::Not,
                    expr: Box::new(like),
                }
            } else {
                like
            };
        }
        Expr::Extract { field, .. } => {
            if let Some(full) = full_field(&field.to_string()) {
                *field = DateTimeField::Custom(Ident::new(full));
            }
        }
        Expr::Function(f) if f.over.is_none() => {
            let name = f.name.to_string().to_ascii_lowercase();
            let FunctionArguments::List(list) = &mut f.args else {
                return Ok(());
            };
            match (name.as_str(), list.args.as_mut_slice()) {
                (
                    "date_part",
                    [
                        FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(v))),
                        _,
                    ],
                ) => {
                    if let Value::SingleQuotedString(field) = &mut v.value
                        && let Some(full) = full_field(field)
                    {
                        *field = full.to_string();
                    }
                }
                ("dayofweek", [_]) => {
                    let arg = list.args.remove(0);
                    list.args = vec![
                        FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::value(
                            Value::SingleQuotedString("dayofweek".into()),
                        ))),
                        arg,
                    ];
                    f.name = ObjectName::from(vec![Ident::new("date_part")]);
                }
                (
                    "to_timestamp" | "to_date",
                    [
                        _,
                        FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(v))),
                    ],
                ) => {
                    if let Value::SingleQuotedString(pattern) = &mut v.value {
                        *pattern = super::sparkpattern::to_chrono(pattern)?;
                    }
                }
                _ => {}
            }
        }
        _ => {}
    }
    Ok(())
}

/// A call of the function `name` with `args`.
pub(super) fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Function(sqlparser::ast::Function {
        name: ObjectName::from(vec![Ident::new(name)]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(sqlparser::ast::FunctionArgumentList {
            duplicate_treatment: None,
            args: args
                .into_iter()
                .map(|e| FunctionArg::Unnamed(FunctionArgExpr::Expr(e)))
                .collect(),
            clauses: Vec::new(),
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: Vec::new(),
    })
}

fn number(n: &str) -> Value {
    Value::Number(n.into(), false)
}

/// The full name of a Spark field alias (`None`: not an alias).
fn full_field(field: &str) -> Option<&'static str> {
    Some(match field.to_ascii_lowercase().as_str() {
        "y" | "years" | "yr" | "yrs" => "year",
        "qtr" => "quarter",
        "mon" | "mons" | "months" => "month",
        "w" | "weeks" => "week",
        "d" | "days" => "day",
        "h" | "hours" | "hr" | "hrs" => "hour",
        "m" | "min" | "mins" | "minutes" => "minute",
        "s" | "sec" | "seconds" | "secs" => "second",
        _ => return None,
    })
}
