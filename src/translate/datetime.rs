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
mod kinds;
mod zone;

#[cfg(test)]
mod tests;

use sqlparser::ast::{BinaryOperator, DataType, Expr, TimezoneInfo};

use self::build::{string, tpl, unnest};
pub use self::kinds::{Kind, kind};
use self::zone::at_time_zone;
use super::error::Untranslatable;

/// Rewrite one expression node in place when it is a date/time construct whose Spark
/// spelling or meaning differs from Postgres'. `Ok(true)`: the node was rewritten (its
/// children are still to be visited by the caller); `Ok(false)`: not a date/time
/// construct, or already the same on Spark.
pub fn rewrite(expr: &mut Expr) -> Result<bool, Untranslatable> {
    let new = match &*expr {
        Expr::Extract {
            field, expr: arg, ..
        } => extract::field(&field.to_string(), arg, extract::Flavor::Extract)?,
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

fn timestamp() -> DataType {
    DataType::Timestamp(None, TimezoneInfo::None)
}

fn no_time() -> Untranslatable {
    Untranslatable::new("the time type")
        .with_hint("Spark has no time-of-day type: use a timestamp or date_format(ts, 'HH:mm:ss')")
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
        // A column (or a text) plus an interval: a timestamp in Postgres even for a date
        // column, which Spark would keep a date; the cast changes nothing for a timestamp.
        (
            Kind::Unknown | Kind::Text,
            BinaryOperator::Plus | BinaryOperator::Minus,
            Kind::Interval,
        ) if matches!(
            unnest(left),
            Expr::Identifier(_) | Expr::CompoundIdentifier(_) | Expr::Value(_)
        ) =>
        {
            let template = match op {
                BinaryOperator::Plus => "CAST($1 AS TIMESTAMP) + $2",
                _ => "CAST($1 AS TIMESTAMP) - $2",
            };
            Some(tpl(template, &[left, right])?)
        }
        (Kind::Interval, BinaryOperator::Plus, Kind::Date) => {
            Some(tpl("$1 + CAST($2 AS TIMESTAMP)", &[left, right])?)
        }
        _ => None,
    })
}
