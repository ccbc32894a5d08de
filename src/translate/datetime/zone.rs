//! `AT TIME ZONE` and `timezone(zone, ts)` as Spark's `to_utc_timestamp` /
//! `from_utc_timestamp`.

use sqlparser::ast::Expr;

use super::build::{string, tpl};
use super::kinds::{Kind, kind};
use crate::translate::error::Untranslatable;

/// `ts AT TIME ZONE zone`: a `timestamp` read as wall-clock time in `zone` gives the
/// instant (`to_utc_timestamp`), a `timestamptz` gives the wall-clock time in `zone`
/// (`from_utc_timestamp`). Both assume DLI's session time zone is UTC.
pub fn at_time_zone(ts: &Expr, zone: &Expr) -> Result<Expr, Untranslatable> {
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
