//! Date and time constructs in Spark's words with Postgres' meaning: EXTRACT/date_part
//! fields, date_trunc, intervals and date arithmetic, to_char/to_timestamp/to_date,
//! `AT TIME ZONE`, typed literals and the current-time functions.
//!
//! Every rewrite produces Spark functions Postgres does not have (`dayofweek`,
//! `date_format`, `unix_micros` …) or a node this module leaves as it is, so a rewritten
//! node is never rewritten again, whether the caller visits pre- or post-order. The type
//! of an operand is known only from its spelling ([`kind`]): a literal, a cast, a
//! date/time function. A bare column is [`Kind::Unknown`] and Spark's own typing decides.

mod build;
mod calls;
mod extract;
mod interval;

#[cfg(test)]
mod tests;

use sqlparser::ast::{BinaryOperator, DataType, Expr, TimezoneInfo};

use self::build::{string, tpl, unnest};
use super::Untranslatable;

/// Rewrite one expression node in place when it is a date/time construct whose Spark
/// spelling or meaning differs from Postgres'. `Ok(true)`: the node was rewritten (its
/// children are still to be visited by the caller); `Ok(false)`: not a date/time
/// construct, or already the same on Spark.
pub fn rewrite(expr: &mut Expr) -> Result<bool, Untranslatable> {
    let new = match &*expr {
        Expr::Extract { field, expr: arg, .. } => {
            extract::field(&field.to_string(), arg, extract::Flavor::Extract)?
        }
        Expr::Function(_) => calls::rewrite(expr)?,
        Expr::Interval(iv) if iv.leading_field.is_none() && iv.last_field.is_none() => {
            match string(&iv.value) {
                Some(text) => interval::literal(text)?.filter(|n| n != expr),
                None => None,
            }
        }
        Expr::Cast {
            expr: inner,
            data_type,
            ..
        } => match (data_type, string(inner)) {
            (DataType::Interval { .. }, Some(text)) => interval::literal(text)?,
            (DataType::Time(..), _) => return Err(no_time()),
            _ => None,
        },
        Expr::TypedString(ts) => match &ts.data_type {
            DataType::Time(..) => return Err(no_time()),
            DataType::Timestamp(_, TimezoneInfo::WithTimeZone | TimezoneInfo::Tz) => {
                let mut plain = ts.clone();
                plain.data_type = timestamp();
                Some(Expr::TypedString(plain))
            }
            DataType::Interval { .. } => match ts.value.value.clone().into_string() {
                Some(text) => interval::literal(&text)?,
                None => None,
            },
            _ => None,
        },
        Expr::AtTimeZone {
            timestamp,
            time_zone,
        } => Some(at_time_zone(timestamp, time_zone)?),
        Expr::BinaryOp { left, op, right } => arithmetic(left, op, right)?,
        _ => None,
    };
    match new {
        Some(n) => {
            *expr = n;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// What an expression is, read from its spelling alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Date,
    /// `timestamp without time zone` (and Spark's TIMESTAMP, as the gateway reports it).
    Timestamp,
    TimestampTz,
    Interval,
    Number,
    Text,
    Unknown,
}

/// The kind of `e` when its spelling tells it (see [`Kind`]).
pub fn kind(e: &Expr) -> Kind {
    match unnest(e) {
        Expr::Cast { data_type, .. } => kind_of_type(data_type),
        Expr::TypedString(ts) => kind_of_type(&ts.data_type),
        Expr::Interval(_) => Kind::Interval,
        Expr::Value(v) => match v.value {
            sqlparser::ast::Value::Number(..) => Kind::Number,
            _ if string(e).is_some() => Kind::Text,
            _ => Kind::Unknown,
        },
        Expr::Extract { .. } => Kind::Number,
        Expr::AtTimeZone { timestamp, .. } => match kind(timestamp) {
            Kind::TimestampTz => Kind::Timestamp,
            _ => Kind::TimestampTz,
        },
        Expr::BinaryOp { left, op, right } => {
            let (l, r) = (kind(left), kind(right));
            match (l, op, r) {
                (Kind::Date, BinaryOperator::Plus | BinaryOperator::Minus, Kind::Number)
                | (Kind::Number, BinaryOperator::Plus, Kind::Date) => Kind::Date,
                (Kind::Date, BinaryOperator::Minus, Kind::Date) => Kind::Number,
                (
                    Kind::Date | Kind::Timestamp,
                    BinaryOperator::Plus | BinaryOperator::Minus,
                    Kind::Interval,
                )
                | (Kind::Interval, BinaryOperator::Plus, Kind::Date | Kind::Timestamp) => {
                    Kind::Timestamp
                }
                (Kind::TimestampTz, BinaryOperator::Plus | BinaryOperator::Minus, Kind::Interval)
                | (Kind::Interval, BinaryOperator::Plus, Kind::TimestampTz) => Kind::TimestampTz,
                (
                    Kind::Timestamp | Kind::TimestampTz,
                    BinaryOperator::Minus,
                    Kind::Timestamp | Kind::TimestampTz,
                ) => Kind::Interval,
                (Kind::Interval, _, Kind::Number | Kind::Interval)
                | (Kind::Number, BinaryOperator::Multiply, Kind::Interval) => Kind::Interval,
                (Kind::Number, _, Kind::Number) => Kind::Number,
                _ => Kind::Unknown,
            }
        }
        Expr::Function(_) => calls::kind(e),
        _ => Kind::Unknown,
    }
}

fn kind_of_type(t: &DataType) -> Kind {
    match t {
        DataType::Date => Kind::Date,
        DataType::Timestamp(_, TimezoneInfo::WithTimeZone | TimezoneInfo::Tz) => Kind::TimestampTz,
        DataType::Timestamp(..) | DataType::Datetime(_) => Kind::Timestamp,
        DataType::Interval { .. } => Kind::Interval,
        DataType::Int(_)
        | DataType::Integer(_)
        | DataType::BigInt(_)
        | DataType::SmallInt(_)
        | DataType::Numeric(_)
        | DataType::Decimal(_)
        | DataType::Real
        | DataType::Float(_)
        | DataType::Double(_)
        | DataType::DoublePrecision
        | DataType::Int2(_)
        | DataType::Int4(_)
        | DataType::Int8(_)
        | DataType::Float4
        | DataType::Float8 => Kind::Number,
        DataType::Text | DataType::Varchar(_) | DataType::String(_) | DataType::Char(_) => {
            Kind::Text
        }
        _ => Kind::Unknown,
    }
}

fn timestamp() -> DataType {
    DataType::Timestamp(None, TimezoneInfo::None)
}

fn no_time() -> Untranslatable {
    Untranslatable::new("the time type")
        .with_hint("Spark has no time-of-day type: use a timestamp or date_format(ts, 'HH:mm:ss')")
}

/// `ts AT TIME ZONE zone`: a `timestamp` read as wall-clock time in `zone` gives the
/// instant (`to_utc_timestamp`), a `timestamptz` gives the wall-clock time in `zone`
/// (`from_utc_timestamp`). Both assume DLI's session time zone is UTC.
fn at_time_zone(ts: &Expr, zone: &Expr) -> Result<Expr, Untranslatable> {
    if let Some(name) = string(zone)
        && !name
            .chars()
            .all(|c| c.is_ascii_alphabetic() || c == '/' || c == '_')
    {
        // Postgres reads `+02`/`UTC+2` as POSIX zones (hours west); Java the other way.
        return Err(Untranslatable::new(format!("AT TIME ZONE '{name}'"))
            .with_hint("name the zone, e.g. 'Europe/Paris' or 'UTC'"));
    }
    if kind(zone) == Kind::Interval {
        return Err(Untranslatable::new("AT TIME ZONE with an interval"));
    }
    match kind(ts) {
        Kind::TimestampTz => tpl("from_utc_timestamp($1, $2)", &[ts, zone]),
        _ => tpl("to_utc_timestamp($1, $2)", &[ts, zone]),
    }
}

/// `date - date` is a number of days in Postgres (an interval on Spark); `date ±
/// interval` is a timestamp in Postgres (a date on Spark when the interval is whole days).
fn arithmetic(
    left: &Expr,
    op: &BinaryOperator,
    right: &Expr,
) -> Result<Option<Expr>, Untranslatable> {
    let (l, r) = (kind(left), kind(right));
    Ok(match (l, op, r) {
        (Kind::Date, BinaryOperator::Minus, Kind::Date) => {
            Some(tpl("datediff($1, $2)", &[left, right])?)
        }
        (Kind::Date, BinaryOperator::Plus, Kind::Interval) => {
            Some(tpl("CAST($1 AS TIMESTAMP) + $2", &[left, right])?)
        }
        (Kind::Date, BinaryOperator::Minus, Kind::Interval) => {
            Some(tpl("CAST($1 AS TIMESTAMP) - $2", &[left, right])?)
        }
        (Kind::Interval, BinaryOperator::Plus, Kind::Date) => {
            Some(tpl("$1 + CAST($2 AS TIMESTAMP)", &[left, right])?)
        }
        _ => None,
    })
}
