//! Bound parameters rendered as SQL.
//!
//! DLI has no bind parameters, so `$n` placeholders are replaced by literals of the
//! parameter's type. Each value arrives decoded ([`Param`], by the protocol layer) and is
//! rendered one of two ways:
//! - for DLI, as a Spark literal in the statement's Spark translation: strings go through
//!   [`sparksql::quote_string`], which escapes `\` and `'` the way Spark reads them, so no
//!   value can end its literal early;
//! - for the gateway's own answers (catalog queries), as an expression put into the
//!   already parsed statement, where it cannot be read as anything but a value.
//!
//! Protocol-neutral: knows neither pgwire nor HTTP.

use std::ops::ControlFlow;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use sqlparser::ast::{
    Array, CastKind, DataType, Expr, Statement, TimezoneInfo, UnaryOperator, Value,
    visit_expressions_mut,
};

use super::plan::Plan;
use crate::errors::{ErrorKind, GatewayError};
use crate::sparksql;

/// A decoded parameter value.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Null,
    Bool(bool),
    /// An integer and the Spark type it was bound as.
    Int(i64, &'static str),
    Float(f64, &'static str),
    Decimal(Decimal),
    Text(String),
    Date(NaiveDate),
    Timestamp(NaiveDateTime),
    /// A `timestamptz`: an instant, rendered with its offset so Spark's session time
    /// zone does not shift it.
    TimestampTz(DateTime<FixedOffset>),
    /// An `interval` as Postgres stores it: months, days and microseconds.
    Interval {
        months: i32,
        days: i32,
        micros: i64,
    },
    Bytes(Vec<u8>),
    Array(Vec<Param>),
    /// Text exactly as the client sent it, typed by its context (a catalog query's
    /// `$2::regclass` given `'catcli.items'`), as Postgres does with unknown-typed values.
    Untyped(String),
}

/// "invalid value for parameter $n".
pub fn bad_param(i: usize, e: impl std::fmt::Display) -> GatewayError {
    GatewayError::new(
        ErrorKind::InvalidTextRepresentation,
        format!("invalid value for parameter ${}: {e}", i + 1),
    )
}

/// The values must cover every placeholder.
pub fn check_count(plan: &Plan, given: usize) -> Result<(), GatewayError> {
    if given < plan.params {
        return Err(GatewayError::new(
            ErrorKind::Protocol,
            format!(
                "bind message supplies {given} parameters, but prepared statement requires {}",
                plan.params
            ),
        ));
    }
    Ok(())
}

/// The statement's Spark translation with every placeholder replaced by its value.
pub fn render_spark(plan: &Plan, values: &[Param]) -> Result<String, GatewayError> {
    if plan.params == 0 {
        return Ok(plan.spark_sql.clone());
    }
    check_count(plan, values.len())?;
    plan.spark.spark_with(&mut |n| {
        n.checked_sub(1)
            .and_then(|i| values.get(i))
            .map(spark)
            .ok_or_else(|| bad_param(n - 1, "no value bound"))
    })
}

/// The statement's Spark translation with every placeholder as NULL (to learn a query's
/// columns without its values).
pub fn spark_with_nulls(plan: &Plan) -> String {
    plan.spark
        .spark_with(&mut |_| Ok::<_, std::convert::Infallible>("NULL".to_string()))
        .unwrap_or_else(|e| match e {})
}

/// A parsed statement with every placeholder replaced by its value (Postgres meaning).
pub fn substitute(stmt: &Statement, values: &[Param]) -> Result<Statement, GatewayError> {
    let mut out = stmt.clone();
    let mut missing = None;
    let _ = visit_expressions_mut(&mut out, |e: &mut Expr| {
        if let Expr::Value(v) = e
            && let Value::Placeholder(p) = &v.value
            && let Some(n) = p.strip_prefix('$').and_then(|n| n.parse::<usize>().ok())
        {
            match n.checked_sub(1).and_then(|i| values.get(i)) {
                Some(value) => *e = postgres(value),
                None => missing = Some(n),
            }
        }
        ControlFlow::<()>::Continue(())
    });
    match missing {
        Some(n) => Err(bad_param(n.saturating_sub(1), "no value bound")),
        None => Ok(out),
    }
}

/// `12.30` as `CAST('12.30' AS DECIMAL(4,2))`: exact in Spark and the embedded engine.
fn decimal_literal(d: &Decimal) -> String {
    let text = d.to_string();
    let digits = text
        .chars()
        .filter(char::is_ascii_digit)
        .count()
        .clamp(1, 38);
    let scale = (d.scale() as usize).min(digits);
    format!(
        "CAST('{text}' AS DECIMAL({}, {scale}))",
        digits.max(scale).max(1)
    )
}

fn float_word(f: f64) -> Option<&'static str> {
    if f.is_nan() {
        Some("NaN")
    } else if f.is_infinite() {
        Some(if f > 0.0 { "Infinity" } else { "-Infinity" })
    } else {
        None
    }
}

/// The value as a Spark SQL literal.
fn spark(b: &Param) -> String {
    match b {
        Param::Null => "NULL".into(),
        Param::Bool(v) => if *v { "TRUE" } else { "FALSE" }.into(),
        Param::Int(n, "INT") => n.to_string(),
        Param::Int(n, ty) => format!("CAST({n} AS {ty})"),
        Param::Float(f, ty) => match float_word(*f) {
            Some(w) => format!("CAST('{w}' AS {ty})"),
            None => format!("CAST({f:?} AS {ty})"),
        },
        Param::Decimal(d) => decimal_literal(d),
        Param::Text(s) | Param::Untyped(s) => sparksql::quote_string(s),
        Param::Date(d) => format!("DATE '{}'", d.format("%Y-%m-%d")),
        Param::Timestamp(t) => format!("TIMESTAMP '{}'", t.format("%Y-%m-%d %H:%M:%S%.6f")),
        Param::TimestampTz(t) => format!("TIMESTAMP '{}'", timestamptz_text(t)),
        Param::Interval {
            months,
            days,
            micros,
        } => format!(
            "make_interval(0, {months}, 0, {days}, 0, 0, {})",
            decimal_literal(&Decimal::new(*micros, 6))
        ),
        Param::Bytes(b) => format!("X'{}'", hex::encode_upper(b)),
        Param::Array(items) => {
            format!(
                "array({})",
                items.iter().map(spark).collect::<Vec<_>>().join(", ")
            )
        }
    }
}

/// An instant in UTC with its offset: `2024-01-02 01:04:05.000000+00:00`.
fn timestamptz_text(t: &DateTime<FixedOffset>) -> String {
    format!("{}+00:00", t.naive_utc().format("%Y-%m-%d %H:%M:%S%.6f"))
}

fn string(s: impl Into<String>) -> Expr {
    Expr::Value(Value::SingleQuotedString(s.into()).into())
}

fn number(text: String) -> Expr {
    match text.strip_prefix('-') {
        Some(abs) => Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr: Box::new(Expr::Value(Value::Number(abs.to_string(), false).into())),
        },
        None => Expr::Value(Value::Number(text, false).into()),
    }
}

fn cast(expr: Expr, data_type: DataType) -> Expr {
    Expr::Cast {
        kind: CastKind::DoubleColon,
        expr: Box::new(expr),
        data_type,
        array: false,
        format: None,
    }
}

/// The value as a Postgres expression (for statements the gateway answers itself).
fn postgres(b: &Param) -> Expr {
    match b {
        Param::Null => Expr::Value(Value::Null.into()),
        Param::Bool(v) => Expr::Value(Value::Boolean(*v).into()),
        Param::Int(n, _) => number(n.to_string()),
        Param::Float(f, _) => match float_word(*f) {
            Some(w) => cast(string(w), DataType::Float8),
            None => number(format!("{f:?}")),
        },
        Param::Decimal(d) => number(d.to_string()),
        Param::Text(s) | Param::Untyped(s) => string(s.clone()),
        Param::Date(d) => cast(string(d.format("%Y-%m-%d").to_string()), DataType::Date),
        Param::Timestamp(t) => cast(
            string(t.format("%Y-%m-%d %H:%M:%S%.6f").to_string()),
            DataType::Timestamp(None, TimezoneInfo::None),
        ),
        Param::TimestampTz(t) => cast(
            string(timestamptz_text(t)),
            DataType::Timestamp(None, TimezoneInfo::Tz),
        ),
        Param::Interval {
            months,
            days,
            micros,
        } => cast(
            string(format!(
                "{months} mons {days} days {} secs",
                Decimal::new(*micros, 6)
            )),
            DataType::Interval {
                fields: None,
                precision: None,
            },
        ),
        Param::Bytes(b) => cast(string(format!("\\x{}", hex::encode(b))), DataType::Bytea),
        Param::Array(items) => Expr::Array(Array {
            elem: items.iter().map(postgres).collect(),
            named: true,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spark_literals() {
        assert_eq!(
            decimal_literal(&Decimal::new(1230, 2)),
            "CAST('12.30' AS DECIMAL(4, 2))"
        );
        assert_eq!(
            decimal_literal(&Decimal::new(-5, 3)),
            "CAST('-0.005' AS DECIMAL(4, 3))"
        );
        let arr = Param::Array(vec![Param::Int(1, "INT"), Param::Null]);
        assert_eq!(spark(&arr), "array(1, NULL)");
        assert_eq!(spark(&Param::Float(1.5, "DOUBLE")), "CAST(1.5 AS DOUBLE)");
        assert_eq!(
            spark(&Param::Float(f64::NAN, "DOUBLE")),
            "CAST('NaN' AS DOUBLE)"
        );
        assert_eq!(
            spark(&Param::Text(r"\' OR 1=1 --".into())),
            r"'\\\' OR 1=1 --'"
        );
        assert_eq!(spark(&Param::Int(7, "BIGINT")), "CAST(7 AS BIGINT)");
        let tz = DateTime::parse_from_rfc3339("2024-01-02T03:04:05.5+02:00").unwrap();
        assert_eq!(
            spark(&Param::TimestampTz(tz)),
            "TIMESTAMP '2024-01-02 01:04:05.500000+00:00'"
        );
        let iv = Param::Interval {
            months: 14,
            days: 3,
            micros: 3_600_000_001,
        };
        assert_eq!(
            spark(&iv),
            "make_interval(0, 14, 0, 3, 0, 0, CAST('3600.000001' AS DECIMAL(10, 6)))"
        );
    }

    #[test]
    fn postgres_values_are_expressions() {
        assert_eq!(
            postgres(&Param::Text(r"it's \".into())).to_string(),
            r"'it''s \'"
        );
        assert_eq!(
            postgres(&Param::Bytes(vec![0, 255])).to_string(),
            r"'\x00ff'::BYTEA"
        );
        assert_eq!(
            postgres(&Param::Array(vec![Param::Int(-1, "INT")])).to_string(),
            "ARRAY[-1]"
        );
        let stmt = crate::pgsql::Lexed::new("SELECT $1, '$2' FROM pg_class WHERE oid = $2")
            .parse()
            .unwrap()
            .remove(0);
        let out = substitute(&stmt, &[Param::Untyped("x'y".into()), Param::Int(5, "INT")]);
        assert_eq!(
            out.unwrap().to_string(),
            "SELECT 'x''y', '$2' FROM pg_class WHERE oid = 5"
        );
        assert!(substitute(&stmt, &[Param::Null]).is_err());
    }
}
