//! The one settings table: every server setting a client can read, once.
//!
//! Owns: [`SETTINGS`] (name, description, where the value comes from, whether it is
//! reported at startup), how a session's state overrides a default ([`Source`]), the
//! values computed from them ([`value`], [`all`]) and the `version()` text. The startup
//! `ParameterStatus` messages, `SHOW`, `current_setting()` and `pg_settings` all read this
//! table, so they always agree. Must not know pgwire, sessions' storage or the catalog
//! engine: callers hand in a [`SessionValues`].

use std::collections::BTreeMap;

/// The server's and one session's state that setting values are computed from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionValues {
    /// `[server] server_version`.
    pub server_version: String,
    /// The login user.
    pub user: String,
    /// The session's DLI database (its search path).
    pub currentdb: String,
    /// The session's DLI queue.
    pub queue: Option<String>,
    pub statement_timeout_ms: u64,
    /// Close the session after this long idle (0: never).
    pub idle_session_timeout_ms: u64,
    /// Results larger than the preview are sent truncated with a warning.
    pub allow_truncated_results: bool,
    /// NOTICEs report a waiting statement's DLI job.
    pub progress_notices: bool,
    /// `[runner] result_reuse_max_age_ms`: the default of `dli.result_reuse_max_age`.
    pub result_reuse_max_age_ms: u64,
    /// The session's other `SET` variables, by lower-case name.
    pub variables: BTreeMap<String, String>,
}

/// Where a setting's value comes from, and so how a session changes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Always this value: `SET` is accepted and changes nothing the gateway does.
    Fixed(&'static str),
    /// `[server] server_version`.
    ServerVersion,
    /// `server_version` as a number (`15.0` → `150000`).
    ServerVersionNum,
    /// The session's DLI database, as a Postgres search path (`SET search_path`, `USE`).
    SearchPath,
    /// The session's DLI queue (`SET dli.queue`).
    Queue,
    /// The session's statement timeout (`SET statement_timeout`).
    StatementTimeout,
    /// The session's idle timeout (`SET idle_session_timeout`).
    IdleSessionTimeout,
    /// The login user.
    User,
    /// Whether results larger than the preview are sent truncated (`SET
    /// dli.allow_truncated_results`).
    AllowTruncated,
    /// Whether waiting statements report their DLI job in NOTICEs (`SET
    /// dli.progress_notices`).
    ProgressNotices,
    /// How old a reused result may be (`SET dli.result_reuse_max_age`, kept as the
    /// session's variable), else the configured default.
    ResultReuseMaxAge,
    /// The session's own `SET` value, else this default.
    Variable(&'static str),
}

/// One setting.
#[derive(Debug)]
pub struct Setting {
    /// Lower-case name.
    pub name: &'static str,
    /// As `pg_settings` and `ParameterStatus` spell it (`DateStyle`).
    pub shown: &'static str,
    pub source: Source,
    /// Sent to the client at startup (Postgres' `GUC_REPORT` settings, plus `search_path`).
    pub reported: bool,
    pub description: &'static str,
}

macro_rules! settings {
    ($($name:literal $(as $shown:literal)?, $source:expr, $reported:literal, $description:literal;)*) => {
        /// Every setting, in `pg_settings` order.
        pub static SETTINGS: &[Setting] = &[$(Setting {
            name: $name,
            shown: settings!(@shown $name $(, $shown)?),
            source: $source,
            reported: $reported,
            description: $description,
        }),*];
    };
    (@shown $name:literal) => { $name };
    (@shown $name:literal, $shown:literal) => { $shown };
}

use Source::{Fixed, Variable};

#[rustfmt::skip]
settings! {
    "application_name", Variable(""), true, "Sets the application name to be reported in statistics and logs.";
    "block_size", Fixed("8192"), false, "Shows the size of a disk block.";
    "client_encoding", Fixed("UTF8"), true, "Sets the client's character set encoding.";
    "datestyle" as "DateStyle", Fixed("ISO, MDY"), true, "Sets the display format for date and time values.";
    "default_transaction_isolation", Fixed("read committed"), false, "Sets the transaction isolation level of each new transaction.";
    "default_transaction_read_only", Fixed("off"), true, "Sets the default read-only status of new transactions.";
    "dli.allow_truncated_results", Source::AllowTruncated, false, "Whether a result larger than the gateway can read is sent truncated, with a warning, instead of failing.";
    "dli.progress_notices", Source::ProgressNotices, false, "Whether a statement waiting for its DLI job reports the job's state and progress in NOTICEs.";
    "dli.queue", Source::Queue, false, "The DLI queue this session's statements run on (empty: the default queue).";
    "dli.result_reuse_max_age", Source::ResultReuseMaxAge, false, "Reuse the result of an identical query finished at most this long ago, unless a write through the gateway touched a table it reads (0: off).";
    "idle_session_timeout", Source::IdleSessionTimeout, false, "Sets the maximum allowed idle time between queries, when not in a transaction (0: none).";
    "in_hot_standby", Fixed("off"), true, "Shows whether hot standby is currently active.";
    "integer_datetimes", Fixed("on"), true, "Shows whether datetimes are integer based.";
    "intervalstyle" as "IntervalStyle", Fixed("postgres"), true, "Sets the display format for interval values.";
    "is_superuser", Fixed("on"), true, "Shows whether the current user is a superuser (the gateway checks no privileges; DLI does).";
    "jit", Fixed("off"), false, "Allow JIT compilation.";
    "lc_collate", Fixed("C.UTF-8"), false, "Shows the collation order locale.";
    "lc_ctype", Fixed("C.UTF-8"), false, "Shows the character classification and case conversion locale.";
    "max_function_args", Fixed("100"), false, "Shows the maximum number of function arguments.";
    "max_identifier_length", Fixed("63"), false, "Shows the maximum identifier length.";
    "max_index_keys", Fixed("32"), false, "Shows the maximum number of index keys.";
    "search_path", Source::SearchPath, true, "Sets the schema search order: the session's DLI database.";
    "server_encoding", Fixed("UTF8"), true, "Shows the server (database) character set encoding.";
    "server_version", Source::ServerVersion, true, "Shows the server version.";
    "server_version_num", Source::ServerVersionNum, false, "Shows the server version as an integer.";
    "session_authorization", Source::User, true, "Sets the session user name.";
    "standard_conforming_strings", Variable("on"), true, "Causes '...' strings to treat backslashes literally.";
    "statement_timeout", Source::StatementTimeout, false, "Sets the maximum allowed duration of any statement (0: none).";
    "timezone" as "TimeZone", Fixed("UTC"), true, "Sets the time zone for displaying and interpreting time stamps.";
    "transaction_isolation", Fixed("read committed"), false, "Sets the current transaction's isolation level.";
    "transaction_read_only", Fixed("off"), false, "Sets the current transaction's read-only status.";
}

/// The canonical name of a setting as a client writes it: lower case; `SHOW`'s words
/// (`transaction isolation level`, `time zone`, `dli queue`) as the setting's name.
pub fn canonical(name: &str) -> String {
    let lower = name.trim().to_ascii_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    match words.as_slice() {
        ["transaction", "isolation", "level"] => "transaction_isolation".into(),
        ["time", "zone"] => "timezone".into(),
        ["session", "authorization"] => "session_authorization".into(),
        _ => words.join("."),
    }
}

/// The table's row of `name` (any spelling [`canonical`] reads).
pub fn setting(name: &str) -> Option<&'static Setting> {
    let name = canonical(name);
    SETTINGS.iter().find(|s| s.name == name)
}

impl Setting {
    /// This setting's value for a session.
    pub fn value(&self, v: &SessionValues) -> String {
        match self.source {
            Source::Fixed(value) => value.to_string(),
            Source::ServerVersion => v.server_version.clone(),
            Source::ServerVersionNum => version_num(&v.server_version).to_string(),
            Source::SearchPath => crate::pgsql::quote_ident(&v.currentdb),
            Source::Queue => v.queue.clone().unwrap_or_default(),
            Source::StatementTimeout => format_duration_ms(v.statement_timeout_ms),
            Source::IdleSessionTimeout => format_duration_ms(v.idle_session_timeout_ms),
            Source::User => v.user.clone(),
            Source::AllowTruncated => on_off(v.allow_truncated_results).to_string(),
            Source::ProgressNotices => on_off(v.progress_notices).to_string(),
            Source::ResultReuseMaxAge => v
                .variables
                .get(self.name)
                .cloned()
                .unwrap_or_else(|| format_duration_ms(v.result_reuse_max_age_ms)),
            Source::Variable(default) => v
                .variables
                .get(self.name)
                .cloned()
                .unwrap_or_else(|| default.to_string()),
        }
    }

    /// Whether the value is the session's own `SET` variable (not a default).
    pub fn set_by_session(&self, v: &SessionValues) -> bool {
        matches!(self.source, Source::Variable(_) | Source::ResultReuseMaxAge)
            && v.variables.contains_key(self.name)
    }
}

/// A setting's value for a session: a row of the table, else the session's own `SET`
/// variable of that name; `None` when neither exists.
pub fn value(name: &str, v: &SessionValues) -> Option<String> {
    match setting(name) {
        Some(s) => Some(s.value(v)),
        None => v.variables.get(&canonical(name)).cloned(),
    }
}

/// Every setting of the table with its value for a session.
pub fn all(v: &SessionValues) -> impl Iterator<Item = (&'static Setting, String)> + '_ {
    SETTINGS.iter().map(move |s| (s, s.value(v)))
}

/// The settings reported at startup, with their values, by their shown names.
pub fn reported(v: &SessionValues) -> impl Iterator<Item = (&'static str, String)> + '_ {
    all(v)
        .filter(|(s, _)| s.reported)
        .map(|(s, value)| (s.shown, value))
}

/// The value a session variable set at startup reports: Boolean settings in Postgres'
/// `on`/`off` spelling; `None` for a setting that is not a session variable (or a value
/// the session would refuse).
pub fn startup_value(name: &str, value: &str) -> Option<String> {
    let s = setting(name)?;
    match s.source {
        Source::Variable("on" | "off") => parse_bool(value).map(|b| on_off(b).to_string()),
        Source::Variable(_) => Some(value.to_string()),
        _ => None,
    }
}

fn on_off(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

/// A Boolean setting value as Postgres reads one: `on`/`off`, `true`/`false`, `yes`/`no`,
/// `1`/`0` (any case, unambiguous prefixes of the words included).
pub fn parse_bool(value: &str) -> Option<bool> {
    let v = value.trim().to_ascii_lowercase();
    match v.as_str() {
        "on" | "1" => return Some(true),
        "of" | "off" | "0" => return Some(false),
        "" | "o" => return None,
        _ => {}
    }
    ["true", "yes"]
        .iter()
        .any(|w| w.starts_with(&v))
        .then_some(true)
        .or_else(|| {
            ["false", "no"]
                .iter()
                .any(|w| w.starts_with(&v))
                .then_some(false)
        })
}

/// What `version()` answers.
pub fn version_string(server_version: &str) -> String {
    format!(
        "PostgreSQL {server_version} (dli-pg-gateway {}) on Huawei Cloud DLI",
        env!("CARGO_PKG_VERSION")
    )
}

/// `server_version_num`: `15.0` → 150000, `9.6.24` → 90624 (0 when not a version).
fn version_num(version: &str) -> u32 {
    let mut parts = version
        .split(|c: char| !c.is_ascii_digit())
        .take_while(|p| !p.is_empty())
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let major = parts.next().unwrap_or(0);
    let minor = parts.next().unwrap_or(0);
    if major >= 10 {
        major * 10_000 + minor.min(9_999)
    } else {
        major * 10_000 + minor.min(99) * 100 + parts.next().unwrap_or(0).min(99)
    }
}

/// Postgres' display of a duration setting: `0`, `700ms`, `5s`, `2min`, `1h`.
pub fn format_duration_ms(ms: u64) -> String {
    match ms {
        0 => "0".into(),
        _ if ms.is_multiple_of(3_600_000) => format!("{}h", ms / 3_600_000),
        _ if ms.is_multiple_of(60_000) => format!("{}min", ms / 60_000),
        _ if ms.is_multiple_of(1000) => format!("{}s", ms / 1000),
        _ => format!("{ms}ms"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> SessionValues {
        SessionValues {
            server_version: "15.0".into(),
            user: "dli".into(),
            currentdb: "default".into(),
            ..SessionValues::default()
        }
    }

    #[test]
    fn values_come_from_the_session() {
        let mut v = values();
        assert_eq!(value("search_path", &v).as_deref(), Some("\"default\""));
        assert_eq!(value("SERVER_VERSION_NUM", &v).as_deref(), Some("150000"));
        assert_eq!(value("application_name", &v).as_deref(), Some(""));
        assert_eq!(value("no_such_thing", &v), None);
        v.currentdb = "tpch".into();
        v.queue = Some("analytics".into());
        v.statement_timeout_ms = 120_000;
        v.variables.insert("application_name".into(), "x".into());
        v.variables.insert("datestyle".into(), "German".into());
        v.variables.insert("my.option".into(), "7".into());
        assert_eq!(value("search_path", &v).as_deref(), Some("tpch"));
        assert_eq!(value("dli queue", &v).as_deref(), Some("analytics"));
        assert_eq!(value("statement_timeout", &v).as_deref(), Some("2min"));
        assert_eq!(value("application_name", &v).as_deref(), Some("x"));
        assert_eq!(value("DateStyle", &v).as_deref(), Some("ISO, MDY"));
        assert_eq!(value("my.option", &v).as_deref(), Some("7"));
        assert_eq!(
            value("transaction isolation level", &v).as_deref(),
            Some("read committed")
        );
    }

    #[test]
    fn table_is_consistent() {
        for (i, s) in SETTINGS.iter().enumerate() {
            assert_eq!(s.name, s.shown.to_ascii_lowercase());
            assert_eq!(setting(s.shown).map(|t| t.name), Some(s.name));
            assert!(SETTINGS[..i].iter().all(|t| t.name < s.name), "{}", s.name);
        }
        let reported: Vec<_> = reported(&values()).map(|(n, _)| n).collect();
        assert!(reported.contains(&"DateStyle") && reported.contains(&"is_superuser"));
        assert_eq!(version_num("16.6"), 160006);
        assert_eq!(version_num("9.6.24"), 90624);
        assert_eq!(version_num("x"), 0);
        assert_eq!(format_duration_ms(700), "700ms");
        assert_eq!(format_duration_ms(3_600_000), "1h");
    }
}
