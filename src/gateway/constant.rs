//! Constant queries answered without a DLI job.
//!
//! Owns: recognising a query that reads no relation and computes only constants —
//! `SELECT 1` (how connection pools and drivers validate a connection), `SELECT 'ok'`,
//! `SELECT 2 * 3 AS n`, `SELECT NULL` — and computing its one row as DLI answers the
//! statement's translation ([`crate::translate`]): an integer literal is an `int` (or
//! `bigint` when it does not fit), `1.5` a `decimal(2,1)`, integer `/` truncates as in
//! Postgres (`1/2` = 0; `x/0` NULL, as Spark's `DIV`), a cast between integers, strings,
//! booleans and doubles where Spark and Postgres agree (`CAST('42' AS int)`, `1::text`),
//! and an unaliased column is named as Postgres names it
//! ([`crate::translate::names::column_name`]: `?column?`, `int4`, `text`). Anything else (an overflow
//! included: Spark wraps it; a cast the two engines answer differently) goes to DLI as
//! before. Pure.

use sqlparser::ast::{
    BinaryOperator, CastKind, DataType, Expr, SelectItem, SetExpr, Statement, UnaryOperator, Value,
    ValueWithSpan,
};

use chrono::{DateTime, Utc};

use super::clock::{ClockFn, SparkClock, clock_call};
use crate::pgtypes::{PgValue, SparkType, postgres_type, spark_keyword};

/// One column of a constant row.
#[derive(Debug, Clone, PartialEq)]
pub struct ConstColumn {
    pub name: String,
    pub ty: SparkType,
    pub value: ConstValue,
}

/// A constant's value: known when the statement is planned, or read from the clock each
/// time it runs ([`super::clock`]).
#[derive(Debug, Clone, PartialEq)]
pub enum ConstValue {
    Fixed(PgValue),
    Clock(ClockFn),
}

impl ConstColumn {
    /// The value when the statement runs at `at`, on `clock`'s Spark time zone (a row
    /// with clock calls is planned only when the zone is known).
    pub fn value_at(&self, clock: Option<&SparkClock>, at: DateTime<Utc>) -> PgValue {
        match (&self.value, clock) {
            (ConstValue::Fixed(v), _) => v.clone(),
            (ConstValue::Clock(f), Some(c)) => c.value(*f, at),
            (ConstValue::Clock(_), None) => PgValue::Null,
        }
    }

    pub fn is_clock(&self) -> bool {
        matches!(self.value, ConstValue::Clock(_))
    }
}

/// The row of a constant query, or `None` when the statement is not one.
pub fn evaluate(stmt: &Statement) -> Option<Vec<ConstColumn>> {
    let Statement::Query(q) = stmt else {
        return None;
    };
    if q.with.is_some()
        || q.order_by.is_some()
        || q.limit_clause.is_some()
        || q.fetch.is_some()
        || !q.locks.is_empty()
    {
        return None;
    }
    let SetExpr::Select(sel) = q.body.as_ref() else {
        return None;
    };
    if !sel.from.is_empty()
        || sel.selection.is_some()
        || sel.having.is_some()
        || sel.distinct.is_some()
        || sel.top.is_some()
        || sel.into.is_some()
        || sel.qualify.is_some()
        || !sel.named_window.is_empty()
        || sel.projection.is_empty()
        || !matches!(&sel.group_by, sqlparser::ast::GroupByExpr::Expressions(e, m) if e.is_empty() && m.is_empty())
    {
        return None;
    }
    sel.projection
        .iter()
        .map(|item| {
            let (expr, alias) = match item {
                SelectItem::UnnamedExpr(e) => (e, None),
                SelectItem::ExprWithAlias { expr, alias } => (expr, Some(alias.value.clone())),
                _ => return None,
            };
            let name = || crate::translate::names::column_name(expr);
            if let Some((f, _)) = clock_call(expr) {
                return Some(ConstColumn {
                    name: alias.unwrap_or_else(name),
                    ty: f.spark_type(),
                    value: ConstValue::Clock(f),
                });
            }
            let (ty, value, _) = eval(expr)?;
            Some(ConstColumn {
                name: alias.unwrap_or_else(name),
                ty,
                value: ConstValue::Fixed(value),
            })
        })
        .collect()
}

/// A constant's Spark type, value and Spark's automatic column name.
fn eval(expr: &Expr) -> Option<(SparkType, PgValue, String)> {
    match expr {
        Expr::Value(ValueWithSpan { value, .. }) => literal(value),
        Expr::Nested(inner) => eval(inner),
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => {
            let (ty, value, name) = eval(expr)?;
            let value = match value {
                PgValue::I32(n) => PgValue::I32(n.checked_neg()?),
                PgValue::I64(n) => PgValue::I64(n.checked_neg()?),
                PgValue::Numeric(t) if !t.starts_with('-') => PgValue::Numeric(format!("-{t}")),
                _ => return None,
            };
            Some((ty, value, format!("-{name}")))
        }
        Expr::BinaryOp { left, op, right } => {
            let (lt, lv, ln) = eval(left)?;
            let (rt, rv, rn) = eval(right)?;
            let name = format!("({ln} {op} {rn})");
            let (ty, value) = arithmetic(op, (lt, lv), (rt, rv))?;
            Some((ty, value, name))
        }
        Expr::Cast {
            kind: CastKind::Cast | CastKind::DoubleColon,
            expr,
            data_type,
            array: false,
            format: None,
        } => {
            let (_, value, name) = eval(expr)?;
            let target = cast_target(data_type)?;
            if target == SparkType::Binary {
                // `'\x00ff'::bytea` reaches Spark as the literal `X'00FF'`.
                let PgValue::Text(text) = &value else {
                    return None;
                };
                let spark = crate::pgsql::bytea_hex(text)?;
                let bytes = hex::decode(text.get(2..)?).ok()?;
                return Some((target, PgValue::Bytes(bytes), spark));
            }
            let keyword = target.spark_name().to_ascii_uppercase();
            let value = cast(value, &target)?;
            Some((target, value, format!("CAST({name} AS {keyword})")))
        }
        _ => None,
    }
}

/// The Spark type a cast to `data_type` produces, through the one type table; only the
/// types [`cast`] converts to.
fn cast_target(data_type: &DataType) -> Option<SparkType> {
    let pg = postgres_type(&data_type.to_string())?;
    let ty = SparkType::parse(spark_keyword(&pg)?);
    matches!(
        ty,
        SparkType::Int
            | SparkType::BigInt
            | SparkType::String
            | SparkType::Boolean
            | SparkType::Double
            | SparkType::Binary
    )
    .then_some(ty)
}

/// A constant converted as both Spark (non-ANSI) and Postgres convert it; `None` where
/// they differ or may differ (out of range, fractional or padded text …).
fn cast(value: PgValue, to: &SparkType) -> Option<PgValue> {
    let int = |v: &PgValue| match v {
        PgValue::I32(n) => Some(i64::from(*n)),
        PgValue::I64(n) => Some(*n),
        PgValue::Text(t) => {
            let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
            (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
                .then(|| t.parse::<i64>().ok())
                .flatten()
        }
        _ => None,
    };
    Some(match (to, &value) {
        (_, PgValue::Null) => PgValue::Null,
        (SparkType::String, PgValue::I32(n)) => PgValue::Text(n.to_string()),
        (SparkType::String, PgValue::I64(n)) => PgValue::Text(n.to_string()),
        (SparkType::String, PgValue::Bool(b)) => PgValue::Text(b.to_string()),
        (SparkType::String, PgValue::Text(_)) => value,
        (SparkType::Int, v) => PgValue::I32(i32::try_from(int(v)?).ok()?),
        (SparkType::BigInt, v) => PgValue::I64(int(v)?),
        #[allow(clippy::cast_precision_loss)]
        (SparkType::Double, PgValue::I32(n)) => PgValue::F64(f64::from(*n)),
        (SparkType::Boolean, PgValue::Bool(_)) => value,
        (SparkType::Boolean, PgValue::I32(n)) => PgValue::Bool(*n != 0),
        (SparkType::Boolean, PgValue::Text(t)) => match t.as_str() {
            "true" => PgValue::Bool(true),
            "false" => PgValue::Bool(false),
            _ => return None,
        },
        _ => return None,
    })
}

fn literal(v: &Value) -> Option<(SparkType, PgValue, String)> {
    Some(match v {
        Value::Number(text, false) => number(text)?,
        Value::SingleQuotedString(s) => (SparkType::String, PgValue::Text(s.clone()), s.clone()),
        Value::Boolean(b) => (SparkType::Boolean, PgValue::Bool(*b), b.to_string()),
        Value::HexStringLiteral(h) if h.len() % 2 == 0 => (
            SparkType::Binary,
            PgValue::Bytes(hex::decode(h).ok()?),
            format!("X'{}'", h.to_ascii_uppercase()),
        ),
        Value::Null => (SparkType::Void, PgValue::Null, "NULL".into()),
        _ => return None,
    })
}

/// Spark's numeric literals: `int`, else `bigint`, else a decimal of the literal's
/// precision and scale; exponents (doubles) are left to DLI.
fn number(text: &str) -> Option<(SparkType, PgValue, String)> {
    if !text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    if let Some((int, frac)) = text.split_once('.') {
        let digits = int.trim_start_matches('0').len() + frac.len();
        let precision = u8::try_from(digits.max(frac.len()).max(1)).ok()?;
        let scale = u8::try_from(frac.len()).ok()?;
        if precision > 38 {
            return None;
        }
        let ty = SparkType::Decimal(precision, scale);
        let spelled = crate::pgtypes::spelling::plain_decimal(text, &ty)?;
        return Some((ty, PgValue::Numeric(spelled), text.to_string()));
    }
    if let Ok(n) = text.parse::<i32>() {
        return Some((SparkType::Int, PgValue::I32(n), n.to_string()));
    }
    let n = text.parse::<i64>().ok()?;
    Some((SparkType::BigInt, PgValue::I64(n), n.to_string()))
}

/// `+ - *` on integers (checked: Spark wraps on overflow, so an overflow goes to DLI)
/// and `/` as Spark's double division.
fn arithmetic(
    op: &BinaryOperator,
    (lt, lv): (SparkType, PgValue),
    (rt, rv): (SparkType, PgValue),
) -> Option<(SparkType, PgValue)> {
    let as_i64 = |v: &PgValue| match v {
        PgValue::I32(n) => Some(i64::from(*n)),
        PgValue::I64(n) => Some(*n),
        _ => None,
    };
    let (a, b) = (as_i64(&lv)?, as_i64(&rv)?);
    let wide = lt == SparkType::BigInt || rt == SparkType::BigInt;
    let n = match op {
        // Postgres truncates, as the translation's `DIV` does on Spark (÷0: NULL there).
        BinaryOperator::Divide if b == 0 => {
            let ty = if wide {
                SparkType::BigInt
            } else {
                SparkType::Int
            };
            return Some((ty, PgValue::Null));
        }
        BinaryOperator::Divide => a.checked_div(b)?,
        BinaryOperator::Plus => a.checked_add(b)?,
        BinaryOperator::Minus => a.checked_sub(b)?,
        BinaryOperator::Multiply => a.checked_mul(b)?,
        _ => return None,
    };
    if wide {
        Some((SparkType::BigInt, PgValue::I64(n)))
    } else {
        Some((SparkType::Int, PgValue::I32(i32::try_from(n).ok()?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(sql: &str) -> Option<Vec<(String, String, PgValue)>> {
        let stmt = crate::pgsql::Lexed::split(sql).pop()?.parse().ok()?.pop()?;
        evaluate(&stmt).map(|cols| {
            cols.into_iter()
                .map(|c| {
                    let value = c.value_at(None, Utc::now());
                    (c.name, c.ty.spark_name(), value)
                })
                .collect()
        })
    }

    #[test]
    fn probes_and_literals_are_constant_with_spark_types_and_postgres_names() {
        assert_eq!(
            run("SELECT 1"),
            Some(vec![("?column?".into(), "int".into(), PgValue::I32(1))])
        );
        assert_eq!(
            run("select 'ok' AS status, true, NULL"),
            Some(vec![
                ("status".into(), "string".into(), PgValue::Text("ok".into())),
                ("bool".into(), "boolean".into(), PgValue::Bool(true)),
                ("?column?".into(), "void".into(), PgValue::Null),
            ])
        );
        assert_eq!(
            run("SELECT 3000000000, 1.50, -2"),
            Some(vec![
                (
                    "?column?".into(),
                    "bigint".into(),
                    PgValue::I64(3_000_000_000)
                ),
                (
                    "?column?".into(),
                    "decimal(3,2)".into(),
                    PgValue::Numeric("1.50".into())
                ),
                ("?column?".into(), "int".into(), PgValue::I32(-2)),
            ])
        );
        assert_eq!(
            run("SELECT (1 + 2) * 3, 1 / 2, 1 / 0"),
            Some(vec![
                ("?column?".into(), "int".into(), PgValue::I32(9)),
                ("?column?".into(), "int".into(), PgValue::I32(0)),
                ("?column?".into(), "int".into(), PgValue::Null),
            ])
        );
    }

    #[test]
    fn casts_where_spark_and_postgres_agree() {
        assert_eq!(
            run("SELECT CAST('42' AS int), 7::text, CAST(true AS varchar), '-3'::bigint"),
            Some(vec![
                ("int4".into(), "int".into(), PgValue::I32(42)),
                ("text".into(), "string".into(), PgValue::Text("7".into())),
                (
                    "varchar".into(),
                    "string".into(),
                    PgValue::Text("true".into())
                ),
                ("int8".into(), "bigint".into(), PgValue::I64(-3)),
            ])
        );
        assert_eq!(
            run("SELECT CAST(NULL AS int) AS n, CAST(2 AS double), 'true'::boolean"),
            Some(vec![
                ("n".into(), "int".into(), PgValue::Null),
                ("float8".into(), "double".into(), PgValue::F64(2.0)),
                ("bool".into(), "boolean".into(), PgValue::Bool(true)),
            ])
        );
        assert_eq!(
            run(r"SELECT '\x00ff'::bytea, X'0a'"),
            Some(vec![
                (
                    "bytea".into(),
                    "binary".into(),
                    PgValue::Bytes(vec![0, 255])
                ),
                ("?column?".into(), "binary".into(), PgValue::Bytes(vec![10])),
            ])
        );
    }

    #[test]
    fn anything_else_goes_to_dli() {
        for sql in [
            "SELECT 2147483647 + 1",
            "SELECT 1 FROM t",
            "SELECT a",
            "SELECT 1 WHERE false",
            "SELECT 1 LIMIT 0",
            "SELECT 1e3",
            "SELECT 1.5 + 1",
            "SELECT $1",
            "SELECT 1 UNION SELECT 2",
            "SELECT CAST('1.5' AS int)",
            "SELECT CAST(' 1' AS int)",
            "SELECT CAST('3000000000' AS int)",
            "SELECT '1'::date",
            "SELECT 'on'::boolean",
            "SELECT TRY_CAST('1' AS int)",
            "SELECT CAST(1.5 AS int)",
            r"SELECT '\x0'::bytea",
            "SELECT 'ab'::bytea",
            "WITH x AS (SELECT 1) SELECT 1",
            "INSERT INTO t VALUES (1)",
        ] {
            assert_eq!(run(sql), None, "{sql}");
        }
    }
}
