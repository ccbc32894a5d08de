//! Spark's clock functions answered by the gateway: `now()`, `current_timestamp[()]`,
//! `current_date[()]` and `current_timezone()`, read in the **Spark session time zone**
//! of the DLI queue (`[runner] spark_time_zone`), as DLI would answer them.
//!
//! Owns: recognising a clock call ([`clock_call`]), Spark's column name and type for it,
//! and its value at a given instant in a given zone ([`SparkClock::value`]). Without a
//! configured zone the gateway cannot know which day it is on the queue (DLI's job `conf`
//! has no time-zone key, Table 7-58), so [`super::plan::Plan::clocks_to_dli`] sends such
//! statements to DLI instead. Pure but for [`SparkClock::now`].

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sqlparser::ast::{Expr, FunctionArguments};

use crate::pgtypes::{PgValue, SparkType};

/// A clock function of Spark's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockFn {
    /// `now()`, `current_timestamp`: a `timestamp`, microseconds, the session's wall clock.
    Timestamp,
    /// `current_date`: a `date`.
    Date,
    /// `current_timezone()`: the session time zone's name.
    TimeZone,
}

impl ClockFn {
    pub fn spark_type(self) -> SparkType {
        match self {
            ClockFn::Timestamp => SparkType::Timestamp,
            ClockFn::Date => SparkType::Date,
            ClockFn::TimeZone => SparkType::String,
        }
    }
}

/// The clock function `expr` calls, with the column name Spark gives it (checked with
/// pyspark 3.5.9: `now()`, `current_timestamp()`, `current_date()`,
/// `current_timezone()`, however the call is spelled).
pub fn clock_call(expr: &Expr) -> Option<(ClockFn, String)> {
    let Expr::Function(f) = expr else {
        return None;
    };
    if f.over.is_some()
        || f.filter.is_some()
        || f.null_treatment.is_some()
        || !f.within_group.is_empty()
        || f.name.0.len() != 1
    {
        return None;
    }
    let bare = match &f.args {
        FunctionArguments::None => true,
        FunctionArguments::List(l) if l.args.is_empty() && l.clauses.is_empty() => false,
        _ => return None,
    };
    let name = f.name.0.first()?.as_ident()?;
    if name.quote_style.is_some() {
        return None;
    }
    let lower = name.value.to_ascii_lowercase();
    let clock = match (lower.as_str(), bare) {
        ("now", false) => ClockFn::Timestamp,
        ("current_timestamp", _) => ClockFn::Timestamp,
        ("current_date", _) => ClockFn::Date,
        ("current_timezone", false) => ClockFn::TimeZone,
        _ => return None,
    };
    Some((clock, format!("{lower}()")))
}

/// The Spark session time zone of the queue, as configured.
#[derive(Debug, Clone, PartialEq)]
pub struct SparkClock {
    zone: Tz,
    name: String,
}

impl SparkClock {
    /// `name` is an IANA zone (`Asia/Shanghai`, `UTC`); `None` when it is not one.
    pub fn parse(name: &str) -> Option<SparkClock> {
        let zone: Tz = name.parse().ok()?;
        Some(SparkClock {
            zone,
            name: name.to_string(),
        })
    }

    /// The current instant, truncated to Spark's microseconds.
    pub fn now() -> DateTime<Utc> {
        let t = Utc::now();
        let micros = t.timestamp_micros();
        DateTime::from_timestamp_micros(micros).unwrap_or(t)
    }

    /// The value `f` has at instant `at` (every call of one statement reads the same
    /// instant, as in Spark).
    pub fn value(&self, f: ClockFn, at: DateTime<Utc>) -> PgValue {
        let local = at.with_timezone(&self.zone).naive_local();
        match f {
            ClockFn::Timestamp => PgValue::Timestamp(local),
            ClockFn::Date => PgValue::Date(local.date()),
            ClockFn::TimeZone => PgValue::Text(self.name.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(sql: &str) -> Option<(ClockFn, String)> {
        let stmt = crate::pgsql::Lexed::split(sql).pop()?.parse().ok()?.pop()?;
        let sqlparser::ast::Statement::Query(q) = stmt else {
            return None;
        };
        let sqlparser::ast::SetExpr::Select(s) = *q.body else {
            return None;
        };
        match s.projection.first()? {
            sqlparser::ast::SelectItem::UnnamedExpr(e) => clock_call(e),
            _ => None,
        }
    }

    #[test]
    fn clock_calls_are_named_as_spark_names_them() {
        let ts = Some((ClockFn::Timestamp, "current_timestamp()".to_string()));
        assert_eq!(call("SELECT current_timestamp"), ts);
        assert_eq!(call("SELECT CURRENT_TIMESTAMP()"), ts);
        assert_eq!(
            call("SELECT NOW()"),
            Some((ClockFn::Timestamp, "now()".into()))
        );
        assert_eq!(
            call("SELECT current_date"),
            Some((ClockFn::Date, "current_date()".into()))
        );
        assert_eq!(
            call("SELECT current_timezone()"),
            Some((ClockFn::TimeZone, "current_timezone()".into()))
        );
        // not Spark's, or not a plain call
        assert_eq!(call("SELECT now"), None);
        assert_eq!(call("SELECT current_time"), None);
        assert_eq!(call("SELECT now(1)"), None);
        assert_eq!(call("SELECT \"now\"()"), None);
    }

    #[test]
    fn values_are_read_in_the_configured_zone() {
        let at = DateTime::parse_from_rfc3339("2026-12-02T18:30:00.123456Z")
            .unwrap()
            .with_timezone(&Utc);
        let shanghai = SparkClock::parse("Asia/Shanghai").unwrap();
        assert_eq!(
            shanghai.value(ClockFn::Date, at),
            PgValue::Date(chrono::NaiveDate::from_ymd_opt(2026, 12, 3).unwrap())
        );
        let utc = SparkClock::parse("UTC").unwrap();
        assert_eq!(
            utc.value(ClockFn::Timestamp, at),
            PgValue::Timestamp(at.naive_utc())
        );
        assert_eq!(
            utc.value(ClockFn::TimeZone, at),
            PgValue::Text("UTC".into())
        );
        assert_eq!(SparkClock::parse("Mars/Olympus"), None);
    }
}
