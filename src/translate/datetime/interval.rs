//! Postgres interval literals (`'7 days'`, `'1 mon'`, `'1 day 02:00'`, `'2 hours ago'`,
//! `'1.5 days'`) as Spark intervals. Spark reads only its own unit words and cannot mix
//! months with days or time in one literal: those become `make_interval(…)`.

use sqlparser::ast::Expr;

use super::build::{string, tpl, unnest};
use crate::translate::error::Untranslatable;

const US_PER_DAY: i128 = 86_400_000_000;

/// An interval as Postgres keeps it: months, days and microseconds, each with a sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Parts {
    pub months: i128,
    pub days: i128,
    pub micros: i128,
}

impl Parts {
    /// A field as Postgres' `EXTRACT` gives it, as exact decimal text.
    pub fn field(&self, f: &str) -> Option<String> {
        let us_in_minute = self.micros % 60_000_000;
        Some(match f {
            "year" => (self.months / 12).to_string(),
            "month" => (self.months % 12).to_string(),
            "day" => self.days.to_string(),
            "hour" => (self.micros / 3_600_000_000).to_string(),
            "minute" => (self.micros / 60_000_000 % 60).to_string(),
            "second" => decimal(us_in_minute, 6),
            "milliseconds" => decimal(us_in_minute, 3),
            "microseconds" => us_in_minute.to_string(),
            "quarter" => ((self.months % 12) / 3 + 1).to_string(),
            "decade" => (self.months / 120).to_string(),
            "century" => (self.months / 1200).to_string(),
            "millennium" => (self.months / 12000).to_string(),
            "epoch" => {
                // Postgres: a year is 365.25 days, a month 30 days.
                let years = self.months / 12;
                let us = years * 36525 * US_PER_DAY / 100
                    + (self.months % 12) * 30 * US_PER_DAY
                    + self.days * US_PER_DAY
                    + self.micros;
                decimal(us, 6)
            }
            _ => return None,
        })
    }
}

/// `n / 10^(6 - digits)` … as decimal text: `micros` shown in seconds with six decimals
/// (`digits` = 6) or in milliseconds with three (`digits` = 3).
fn decimal(micros: i128, digits: u32) -> String {
    let (unit, frac_digits) = if digits == 3 {
        (1_000, 3usize)
    } else {
        (1_000_000, 6usize)
    };
    let sign = if micros < 0 { "-" } else { "" };
    let a = micros.abs();
    format!(
        "{sign}{}.{:0width$}",
        a / unit,
        a % unit,
        width = frac_digits
    )
}

/// The Spark interval for a Postgres interval literal; `None` when Spark reads the text
/// as Postgres does already is not decided here (the caller compares).
pub fn literal(text: &str) -> Result<Option<Expr>, Untranslatable> {
    let p = parse(text).ok_or_else(|| {
        Untranslatable::new(format!("the interval '{text}'"))
            .with_hint("write it as '<n> <unit> …' (years, months, days, hours, minutes, seconds)")
    })?;
    spark(&p).map(Some)
}

/// The parts of an interval literal as this module or the client wrote it.
pub fn parts_of(e: &Expr) -> Option<Parts> {
    match unnest(e) {
        Expr::Interval(iv) if iv.leading_field.is_none() => parse(string(&iv.value)?),
        Expr::Cast { expr, .. } => parse(string(expr)?),
        // a bare string where an interval is expected (`date_bin('15 minutes', …)`)
        other => parse(string(other)?),
    }
}

/// Spark's spelling of `p`.
fn spark(p: &Parts) -> Result<Expr, Untranslatable> {
    let secs = decimal(p.micros, 6);
    if p.months != 0 && (p.days != 0 || p.micros != 0) {
        return tpl(
            &format!(
                "make_interval(0, {}, 0, {}, 0, 0, {secs})",
                p.months, p.days
            ),
            &[],
        );
    }
    let mut words = Vec::new();
    if p.months != 0 {
        let (y, m) = (p.months / 12, p.months % 12);
        if y != 0 {
            words.push(format!("{y} years"));
        }
        if m != 0 {
            words.push(format!("{m} months"));
        }
    } else {
        if p.days != 0 {
            words.push(format!("{} days", p.days));
        }
        let (h, rest) = (p.micros / 3_600_000_000, p.micros % 3_600_000_000);
        let (m, us) = (rest / 60_000_000, rest % 60_000_000);
        if h != 0 {
            words.push(format!("{h} hours"));
        }
        if m != 0 {
            words.push(format!("{m} minutes"));
        }
        if us != 0 || words.is_empty() {
            let s = decimal(us, 6);
            let s = s.trim_end_matches('0').trim_end_matches('.');
            words.push(format!("{s} seconds"));
        }
    }
    tpl(&format!("INTERVAL '{}'", words.join(" ")), &[])
}

/// A decimal number as `value / 10^scale`.
fn number(s: &str) -> Option<(i128, u32)> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty() && frac.is_empty() || frac.len() > 9 {
        return None;
    }
    if !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let digits = format!("{int}{frac}");
    let v: i128 = digits.parse().ok()?;
    Some((if neg { -v } else { v }, frac.len() as u32))
}

/// Postgres' reading of an interval text (the common forms; ISO 8601 `P…` is refused).
pub fn parse(text: &str) -> Option<Parts> {
    let lower = text.trim().to_ascii_lowercase();
    let mut words: Vec<&str> = lower.split_whitespace().collect();
    if words.first() == Some(&"@") {
        words.remove(0);
    }
    let ago = words.last() == Some(&"ago");
    if ago {
        words.pop();
    }
    if words.is_empty() {
        return None;
    }
    let mut p = Parts::default();
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        if w.contains(':') {
            p.micros += clock(w)?;
            i += 1;
            continue;
        }
        // `<n> <unit>` or `<n><unit>`; a lone number is seconds.
        let split = w.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(w.len());
        let (num, mut unit) = w.split_at(split);
        let (v, scale) = number(num)?;
        if unit.is_empty() {
            match words.get(i + 1) {
                Some(u) if u.chars().all(|c| c.is_ascii_alphabetic()) => {
                    unit = u;
                    i += 1;
                }
                _ => unit = "second",
            }
        }
        add(&mut p, v, scale, unit)?;
        i += 1;
    }
    if ago {
        p = Parts {
            months: -p.months,
            days: -p.days,
            micros: -p.micros,
        };
    }
    Some(p)
}

/// `hh:mm[:ss[.ffffff]]` with an optional sign, in microseconds.
fn clock(w: &str) -> Option<i128> {
    let (neg, body) = match w.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, w.strip_prefix('+').unwrap_or(w)),
    };
    let mut it = body.split(':');
    let h: i128 = it.next()?.parse().ok()?;
    let m: i128 = it.next()?.parse().ok()?;
    let s = match it.next() {
        Some(s) => {
            let (v, scale) = number(s)?;
            if v < 0 || scale > 6 {
                return None;
            }
            v * 10i128.pow(6 - scale)
        }
        None => 0,
    };
    if it.next().is_some() || m >= 60 || s >= 60_000_000 {
        return None;
    }
    let us = h * 3_600_000_000 + m * 60_000_000 + s;
    Some(if neg { -us } else { us })
}

/// Add `v / 10^scale` units to `p`, cascading fractions down as Postgres does.
fn add(p: &mut Parts, v: i128, scale: u32, unit: &str) -> Option<()> {
    let den = 10i128.pow(scale);
    let months_per = |u: &str| -> Option<i128> {
        Some(match u {
            "year" | "years" | "y" | "yr" | "yrs" => 12,
            "decade" | "decades" => 120,
            "century" | "centuries" => 1200,
            "millennium" | "millennia" | "millenniums" => 12000,
            _ => return None,
        })
    };
    if let Some(per) = months_per(unit) {
        // fractions of a year are truncated to whole months
        p.months += v * per / den;
        return Some(());
    }
    match unit {
        "month" | "months" | "mon" | "mons" => {
            p.months += v / den;
            let frac_days = (v % den) * 30;
            p.days += frac_days / den;
            p.micros += (frac_days % den) * US_PER_DAY / den;
        }
        "week" | "weeks" | "w" | "day" | "days" | "d" => {
            let v = if unit.starts_with('w') { v * 7 } else { v };
            p.days += v / den;
            p.micros += (v % den) * US_PER_DAY / den;
        }
        _ => {
            let per: i128 = match unit {
                "hour" | "hours" | "h" | "hr" | "hrs" => 3_600_000_000,
                "minute" | "minutes" | "m" | "min" | "mins" => 60_000_000,
                "second" | "seconds" | "s" | "sec" | "secs" => 1_000_000,
                "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" => 1_000,
                "microsecond" | "microseconds" | "us" | "usec" | "usecs" => 1,
                _ => return None,
            };
            p.micros += v * per / den;
        }
    }
    Some(())
}
