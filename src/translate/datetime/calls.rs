//! Date/time function calls: date_part, date_trunc, to_char, to_timestamp, to_date,
//! date_bin, timezone(), the current-time functions, and those refused (age, justify_*).

use sqlparser::ast::Expr;

use super::build::{call, has_parens, lit, string, tpl};
use super::extract::{self, Flavor};
use super::interval;
use super::kinds::{self, Kind};
use super::zone::at_time_zone;
use crate::translate::error::Untranslatable;
use crate::translate::pgpattern::{self, Piece};

/// The Spark form of a date/time call, `None` when it is not one or Spark agrees.
pub fn rewrite(e: &Expr) -> Result<Option<Expr>, Untranslatable> {
    let Some((name, args)) = call(e) else {
        return Ok(None);
    };
    let refuse = |hint: &str| Err(Untranslatable::new(format!("{name}()")).with_hint(hint));
    match (name.as_str(), args.as_slice()) {
        ("date_part", [f, x]) => match string(f) {
            Some(f) => extract::field(f, x, Flavor::DatePart),
            None => refuse("name the field with a literal"),
        },
        ("date_trunc", [f, x]) => match string(f) {
            Some(f) => date_trunc(f, x).map(Some),
            None => refuse("name the field with a literal"),
        },
        ("date_trunc", [_, _, _]) => refuse("Spark truncates in its session time zone only"),
        ("to_char", [x, p]) => match string(p) {
            Some(p) => to_char(x, p).map(Some),
            None => refuse("the format must be a literal"),
        },
        ("to_timestamp", [s, p]) | ("to_date", [s, p]) => {
            if marked(p) {
                return Ok(None);
            }
            let Some(pat) = string(p) else {
                return refuse("the format must be a literal");
            };
            let spark = pgpattern::parse(pat)?;
            // The pattern in double parentheses marks it as already Spark's.
            let marked = Expr::Nested(Box::new(Expr::Nested(Box::new(lit(&spark)))));
            tpl(&format!("{name}($1, $2)"), &[s, &marked]).map(Some)
        }
        ("to_timestamp", [x]) => tpl("timestamp_seconds($1)", &[x]).map(Some),
        ("localtimestamp" | "transaction_timestamp" | "statement_timestamp", []) => {
            tpl("current_timestamp()", &[]).map(Some)
        }
        ("now" | "current_timestamp" | "current_date", []) if !has_parens(e) || name == "now" => {
            Ok(None)
        }
        ("localtime" | "current_time", _) => {
            refuse("Spark has no time-of-day type: date_format(current_timestamp(), 'HH:mm:ss')")
        }
        ("clock_timestamp" | "timeofday", _) => refuse("use current_timestamp()"),
        ("age", _) => refuse("use datediff(a, b) for days or months_between(a, b) for months"),
        ("justify_days" | "justify_hours" | "justify_interval", _) => {
            refuse("Spark intervals are not justified")
        }
        ("timezone", [zone, ts]) => at_time_zone(ts, zone).map(Some),
        ("date_bin", [stride, ts, origin]) => date_bin(stride, ts, origin).map(Some),
        ("isfinite", _) => refuse("Spark has no infinite dates"),
        _ => Ok(None),
    }
}

/// `((…))` around a literal: a pattern this module already translated.
fn marked(p: &Expr) -> bool {
    matches!(p, Expr::Nested(inner) if matches!(inner.as_ref(), Expr::Nested(_)))
}

fn date_trunc(field: &str, x: &Expr) -> Result<Expr, Untranslatable> {
    let f = field.trim().to_ascii_lowercase();
    let unit = match f.as_str() {
        "microsecond" | "microseconds" => "MICROSECOND",
        "millisecond" | "milliseconds" => "MILLISECOND",
        "second" | "seconds" => "SECOND",
        "minute" | "minutes" => "MINUTE",
        "hour" | "hours" => "HOUR",
        "day" | "days" => "DAY",
        "week" | "weeks" => "WEEK",
        "month" | "months" => "MONTH",
        "quarter" => "QUARTER",
        "year" | "years" => "YEAR",
        "decade" | "decades" => {
            return tpl(
                "make_timestamp(CAST(floor(year($1) / 10) * 10 AS INT), 1, 1, 0, 0, 0)",
                &[x],
            );
        }
        "century" | "centuries" => {
            return tpl(
                "make_timestamp(CAST(floor((year($1) - 1) / 100) * 100 + 1 AS INT), 1, 1, 0, 0, 0)",
                &[x],
            );
        }
        "millennium" | "millennia" => {
            return tpl(
                "make_timestamp(CAST(floor((year($1) - 1) / 1000) * 1000 + 1 AS INT), 1, 1, 0, 0, 0)",
                &[x],
            );
        }
        _ => {
            return Err(Untranslatable::new(format!("date_trunc('{field}', …)")));
        }
    };
    tpl("date_trunc($1, $2)", &[&lit(unit), x])
}

fn to_char(x: &Expr, pattern: &str) -> Result<Expr, Untranslatable> {
    let numeric = match kinds::kind(x) {
        Kind::Number => true,
        Kind::Date | Kind::Timestamp | Kind::TimestampTz => false,
        Kind::Interval => {
            return Err(Untranslatable::new("to_char(interval, …)"));
        }
        _ => pgpattern::is_number_pattern(pattern),
    };
    if numeric {
        let f = pgpattern::number_format(pattern)?;
        let rounded = tpl(&format!("round($1, {})", f.scale), &[x])?;
        let text = tpl(
            "format_number($1, $2)",
            &[&rounded, &lit(&f.decimal_format)],
        )?;
        let text = match f.width {
            Some(w) => tpl(&format!("lpad($1, {w}, ' ')"), &[&text])?,
            None => text,
        };
        let limit = lit(&format!("1{}", "0".repeat(f.int_digits)));
        return tpl(
            "CASE WHEN abs($1) >= CAST($2 AS DECIMAL(38,0)) THEN $3 ELSE $4 END",
            &[&rounded, &limit, &lit(&f.overflow), &text],
        );
    }
    let mut parts = Vec::new();
    for piece in pgpattern::format(pattern)? {
        parts.push(match piece {
            Piece::Pattern(p) => tpl("date_format($1, $2)", &[x, &lit(&p)])?,
            Piece::Expr(t) => tpl(&t, &[x])?,
        });
    }
    if parts.len() == 1 {
        return Ok(parts.remove(0));
    }
    let refs: Vec<&Expr> = parts.iter().collect();
    let holes: Vec<String> = (1..=refs.len()).map(|i| format!("${i}")).collect();
    tpl(&format!("concat({})", holes.join(", ")), &refs)
}

/// `date_bin(stride, ts, origin)` for a stride without months: bins counted from origin.
fn date_bin(stride: &Expr, ts: &Expr, origin: &Expr) -> Result<Expr, Untranslatable> {
    let parts = interval::parts_of(stride)
        .filter(|p| p.months == 0 && (p.days > 0 || p.micros > 0))
        .ok_or_else(|| {
            Untranslatable::new("date_bin() with this stride").with_hint(
                "the stride must be an interval literal in days, hours, minutes or seconds",
            )
        })?;
    let us = parts.days * 86_400_000_000 + parts.micros;
    tpl(
        &format!(
            "timestamp_micros(unix_micros($2) + CAST(floor((unix_micros($1) - unix_micros($2)) / {us}) AS BIGINT) * {us})"
        ),
        &[ts, origin],
    )
}
