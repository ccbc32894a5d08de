//! `EXTRACT(field FROM x)` and `date_part('field', x)` for every Postgres field, as the
//! Spark functions that give Postgres' number (Spark's `dayofweek` is 1–7 from Sunday,
//! Postgres' `dow` 0–6; Spark has no `epoch`; Postgres' `milliseconds` include the
//! seconds …). `EXTRACT` answers `numeric` in Postgres, `date_part` `double precision`:
//! the fractional fields keep that difference (DECIMAL vs DOUBLE).

use sqlparser::ast::{BinaryOperator, Expr};

use super::build::{tpl, unnest};
use super::interval;
use super::kinds::{Kind, kind};
use crate::translate::error::Untranslatable;

/// Which Postgres spelling asked for the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `EXTRACT(f FROM x)`: numeric.
    Extract,
    /// `date_part('f', x)`: double precision.
    DatePart,
}

/// Spark for `field` of `x` with Postgres' answer; `None` when the node is not a Postgres
/// field this module knows (Spark's own `EXTRACT(YEAROFWEEK …)` it emitted, say).
pub fn field(field: &str, x: &Expr, flavor: Flavor) -> Result<Option<Expr>, Untranslatable> {
    let f = field.trim().to_ascii_lowercase();
    let f = f.trim_matches(|c| c == '\'' || c == '"');
    let (int, frac) = match canonical(f) {
        Some(c) => c,
        None => return Ok(None),
    };
    let _ = int;
    if kind(x) == Kind::Interval {
        return interval_field(frac, x, flavor).map(Some);
    }
    let template = match frac {
        "year" => "year($1)",
        "month" => "month($1)",
        "day" => "dayofmonth($1)",
        "hour" => "hour($1)",
        "minute" => "minute($1)",
        "quarter" => "quarter($1)",
        "week" => "weekofyear($1)",
        "doy" => "dayofyear($1)",
        "dow" => "dayofweek($1) - 1",
        "isodow" => "weekday($1) + 1",
        "isoyear" => "extract(YEAROFWEEK FROM $1)",
        "decade" => "floor(year($1) / 10)",
        "century" => "floor((year($1) + 99) / 100)",
        "millennium" => "floor((year($1) + 999) / 1000)",
        "second" => match flavor {
            Flavor::Extract => "extract(SECOND FROM $1)",
            Flavor::DatePart => "CAST(extract(SECOND FROM $1) AS DOUBLE)",
        },
        "milliseconds" => match flavor {
            Flavor::Extract => "CAST(extract(SECOND FROM $1) * 1000 AS DECIMAL(9,3))",
            Flavor::DatePart => "CAST(extract(SECOND FROM $1) * 1000 AS DOUBLE)",
        },
        "microseconds" => "CAST(extract(SECOND FROM $1) * 1000000 AS INT)",
        "epoch" => return epoch(x, flavor).map(Some),
        "julian" => {
            return Err(
                Untranslatable::new(format!("EXTRACT({} …)", f.to_uppercase()))
                    .with_hint("for a date: unix_date(d) + 2440588"),
            );
        }
        _ => {
            return Err(
                Untranslatable::new(format!("EXTRACT({} …)", f.to_uppercase()))
                    .with_hint("Spark timestamps carry no time zone"),
            );
        }
    };
    tpl(template, &[x]).map(Some)
}

/// The Postgres field (`"isodow"`, …) for a spelling Postgres accepts; `None` otherwise.
/// The first value says whether the field is whole-numbered.
fn canonical(f: &str) -> Option<(bool, &'static str)> {
    Some(match f {
        "year" | "years" | "y" | "yr" | "yrs" => (true, "year"),
        "month" | "months" | "mon" | "mons" => (true, "month"),
        "day" | "days" | "d" => (true, "day"),
        "hour" | "hours" | "h" | "hr" | "hrs" => (true, "hour"),
        "minute" | "minutes" | "m" | "min" | "mins" => (true, "minute"),
        "second" | "seconds" | "s" | "sec" | "secs" => (false, "second"),
        "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" | "milliseconds_" => {
            (false, "milliseconds")
        }
        "microsecond" | "microseconds" | "us" | "usec" | "usecs" => (true, "microseconds"),
        "quarter" | "qtr" => (true, "quarter"),
        "week" | "weeks" | "w" => (true, "week"),
        "doy" => (true, "doy"),
        "dow" => (true, "dow"),
        "isodow" => (true, "isodow"),
        "isoyear" => (true, "isoyear"),
        "decade" | "decades" => (true, "decade"),
        "century" | "centuries" | "c" | "cent" => (true, "century"),
        "millennium" | "millennia" | "millenniums" | "mil" | "mils" => (true, "millennium"),
        "epoch" => (false, "epoch"),
        "julian" | "j" => (false, "julian"),
        "timezone" | "timezone_hour" | "timezone_minute" | "timezone_m" | "timezone_h" => {
            (true, "timezone")
        }
        _ => return None,
    })
}

/// Seconds since 1970-01-01 00:00 (UTC reading of a timestamp, as Postgres does for
/// `timestamp without time zone` when the session zone is UTC). `a - b` of two
/// timestamps is the difference of their epochs.
fn epoch(x: &Expr, flavor: Flavor) -> Result<Expr, Untranslatable> {
    let micros = |e: &Expr| -> Result<Expr, Untranslatable> {
        match kind(e) {
            Kind::Date => tpl("CAST(unix_date($1) AS BIGINT) * 86400000000", &[e]),
            Kind::Timestamp | Kind::TimestampTz => tpl("unix_micros($1)", &[e]),
            _ => tpl("unix_micros(CAST($1 AS TIMESTAMP))", &[e]),
        }
    };
    let us = match unnest(x) {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Minus,
            right,
        } if !matches!(kind(right), Kind::Interval | Kind::Number)
            && !matches!(kind(left), Kind::Interval | Kind::Number) =>
        {
            let (l, r) = (micros(left)?, micros(right)?);
            tpl("$1 - $2", &[&l, &r])?
        }
        _ => micros(x)?,
    };
    let template = match flavor {
        Flavor::Extract => "CAST(CAST($1 AS DECIMAL(24,0)) / 1000000 AS DECIMAL(24,6))",
        Flavor::DatePart => "CAST($1 AS DOUBLE) / 1000000",
    };
    tpl(template, &[&us])
}

/// A field of an interval literal: computed here (Spark's interval fields differ).
fn interval_field(f: &str, x: &Expr, flavor: Flavor) -> Result<Expr, Untranslatable> {
    let parts = interval::parts_of(x).ok_or_else(|| {
        Untranslatable::new(format!(
            "EXTRACT({} FROM an interval expression)",
            f.to_uppercase()
        ))
        .with_hint("only interval literals can be taken apart")
    })?;
    let value = parts.field(f).ok_or_else(|| {
        Untranslatable::new(format!("EXTRACT({} FROM an interval)", f.to_uppercase()))
    })?;
    let text = match flavor {
        Flavor::Extract => format!("CAST({value} AS DECIMAL(38,6))"),
        Flavor::DatePart => format!("CAST({value} AS DOUBLE)"),
    };
    tpl(&text, &[])
}
