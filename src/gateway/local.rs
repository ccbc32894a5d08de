//! Statements the gateway answers itself, without a DLI job.
//!
//! Owns: transaction control (accepted; DLI has no transactions), `SET`/`SHOW`/`RESET`/
//! `DISCARD`, `USE db` and `SET search_path` (the session's DLI `currentdb`),
//! `SET dli.queue` (the session's DLI queue), `SET statement_timeout`, and the
//! session-information functions (`version()`, `current_schema()` …). Recognised with
//! the SQL parser (Postgres dialect first, Spark second), never with regexes.

use sqlparser::ast::{
    CloseCursor, Expr, Ident, ObjectName, Reset, SelectItem, SetExpr, Statement, Use,
    Value as SqlValue,
};

use super::session::{Session, SessionState};
use crate::errors::{ErrorKind, GatewayError};
use crate::settings::{self, SessionValues};

/// What a locally answered statement returns.
#[derive(Debug, Clone, PartialEq)]
pub enum LocalAnswer {
    Begin,
    Commit,
    Rollback,
    /// A command tag (`SET`, `RESET`, `DISCARD ALL` …).
    Tag(String),
    /// One text row: (column names, values).
    Row(Vec<String>, Vec<Option<String>>),
}

/// Session-level facts the answers need.
#[derive(Debug, Clone)]
pub struct ServerFacts {
    pub server_version: String,
    pub user: String,
    pub default_database: String,
    pub default_queue: Option<String>,
    pub default_timeout_ms: u64,
    /// `[server] idle_session_timeout_ms`.
    pub default_idle_timeout_ms: u64,
    /// `[runner] allow_truncated_results`.
    pub allow_truncated_results: bool,
    /// `[runner] progress_notices`.
    pub progress_notices: bool,
    /// `[runner] result_reuse_max_age_ms`.
    pub result_reuse_max_age_ms: u64,
    /// Sessions start with `standard_conforming_strings` on or off.
    pub standard_conforming_strings: bool,
    /// The one Postgres database the gateway presents (`[catalog] database_name`).
    pub database_name: String,
}

/// Whether a statement (parsed with Postgres rules) is one the gateway answers itself.
/// Pure: reads the statement only.
pub fn is_session_command(stmt: &Statement) -> bool {
    match stmt {
        Statement::StartTransaction { .. }
        | Statement::Commit { .. }
        | Statement::Rollback { .. }
        | Statement::Discard { .. }
        | Statement::Reset(_)
        | Statement::ShowVariable { .. }
        | Statement::Set(_)
        | Statement::LISTEN { .. }
        | Statement::Savepoint { .. }
        | Statement::ReleaseSavepoint { .. }
        | Statement::Close { .. }
        | Statement::Deallocate { .. }
        | Statement::UNLISTEN { .. } => true,
        Statement::Use(u) => matches!(
            u,
            Use::Database(_) | Use::Schema(_) | Use::Object(_) | Use::Default
        ),
        Statement::Query(q) => session_functions(q).is_some(),
        _ => false,
    }
}

/// The column names a session command returns (empty: none), without running it.
pub fn columns(stmt: &Statement) -> Vec<String> {
    match stmt {
        Statement::ShowVariable { variable } => vec![show_name(variable)],
        Statement::Query(q) => session_functions(q)
            .map(|fs| fs.into_iter().map(|(_, name)| name).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// Answer a session command ([`is_session_command`]).
pub fn answer(
    stmt: &Statement,
    session: &Session,
    facts: &ServerFacts,
) -> Result<LocalAnswer, GatewayError> {
    Ok(match stmt {
        Statement::StartTransaction { .. } => LocalAnswer::Begin,
        Statement::Commit { .. } => {
            session.cursors.end_transaction();
            LocalAnswer::Commit
        }
        // ROLLBACK TO SAVEPOINT stays inside the transaction block.
        Statement::Rollback {
            savepoint: Some(_), ..
        } => LocalAnswer::Tag("ROLLBACK".into()),
        Statement::Rollback { .. } => {
            session.cursors.end_transaction();
            LocalAnswer::Rollback
        }
        Statement::Discard { .. } => {
            reset_all(session, facts);
            LocalAnswer::Tag("DISCARD ALL".into())
        }
        Statement::Reset(r) => {
            match &r.reset {
                Reset::ALL => reset_all(session, facts),
                Reset::ConfigurationParameter(name) => {
                    reset_one(session, facts, &object_name(name))
                }
            }
            LocalAnswer::Tag("RESET".into())
        }
        Statement::Use(u) => {
            let name = match u {
                Use::Database(n) | Use::Schema(n) | Use::Object(n) => object_name(n),
                _ => facts.default_database.clone(),
            };
            session.update(|s| s.currentdb = name);
            LocalAnswer::Tag("SET".into())
        }
        Statement::ShowVariable { variable } => {
            let name = show_name(variable);
            let value = show(&name, session, facts);
            LocalAnswer::Row(vec![name], vec![Some(value)])
        }
        Statement::Set(set) => set_variable(set, session)?,
        // No notifications exist on DLI: LISTEN/UNLISTEN are accepted and never fire.
        Statement::LISTEN { .. } => LocalAnswer::Tag("LISTEN".into()),
        // Savepoints, like transactions, are accepted: each DLI statement commits alone.
        Statement::Savepoint { .. } => LocalAnswer::Tag("SAVEPOINT".into()),
        Statement::ReleaseSavepoint { .. } => LocalAnswer::Tag("RELEASE".into()),
        // SQL cursors (DECLARE … CURSOR) are the gateway's own.
        Statement::Close { cursor } => {
            match cursor {
                CloseCursor::All => session.cursors.close(None)?,
                CloseCursor::Specific { name } => session.cursors.close(Some(&name.value))?,
            }
            LocalAnswer::Tag("CLOSE CURSOR".into())
        }
        Statement::UNLISTEN { .. } => LocalAnswer::Tag("UNLISTEN".into()),
        // Prepared statements are the protocol's (pgwire's); psqlODBC also frees them
        // with this SQL. Nothing reaches DLI.
        Statement::Deallocate { name, .. } if name.value.eq_ignore_ascii_case("all") => {
            LocalAnswer::Tag("DEALLOCATE ALL".into())
        }
        Statement::Deallocate { .. } => LocalAnswer::Tag("DEALLOCATE".into()),
        Statement::Query(q) => session_function(q, session, facts).ok_or_else(|| {
            GatewayError::internal("a query that is not a session function was routed as one")
        })?,
        _ => {
            return Err(GatewayError::internal(
                "a statement that is not a session command was routed as one",
            ));
        }
    })
}

/// `SHOW a b` names the setting `a b`.
fn show_name(variable: &[Ident]) -> String {
    variable
        .iter()
        .map(|i| i.value.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(" ")
}

fn object_name(n: &ObjectName) -> String {
    n.0.iter()
        .filter_map(|p| p.as_ident().map(|i: &Ident| i.value.clone()))
        .collect::<Vec<_>>()
        .join(".")
}

fn reset_all(session: &Session, facts: &ServerFacts) {
    session.update(|s| {
        s.currentdb = facts.default_database.clone();
        s.queue = facts.default_queue.clone();
        s.statement_timeout_ms = facts.default_timeout_ms;
        s.idle_session_timeout_ms = facts.default_idle_timeout_ms;
        s.allow_truncated_results = facts.allow_truncated_results;
        s.progress_notices = facts.progress_notices;
        s.settings.clear();
    });
}

fn reset_one(session: &Session, facts: &ServerFacts, name: &str) {
    let name = name.to_ascii_lowercase();
    session.update(|s| match name.as_str() {
        "search_path" => s.currentdb = facts.default_database.clone(),
        "dli.queue" => s.queue = facts.default_queue.clone(),
        "statement_timeout" => s.statement_timeout_ms = facts.default_timeout_ms,
        "idle_session_timeout" => s.idle_session_timeout_ms = facts.default_idle_timeout_ms,
        "dli.allow_truncated_results" => s.allow_truncated_results = facts.allow_truncated_results,
        "dli.progress_notices" => s.progress_notices = facts.progress_notices,
        _ => {
            s.settings.remove(&name);
        }
    });
}

fn show(name: &str, session: &Session, facts: &ServerFacts) -> String {
    settings::value(name, &session_values(session.snapshot(), facts)).unwrap_or_default()
}

/// What the settings table ([`crate::settings`]) computes a session's values from.
pub fn session_values(s: SessionState, facts: &ServerFacts) -> SessionValues {
    SessionValues {
        server_version: facts.server_version.clone(),
        user: s.user,
        currentdb: s.currentdb,
        queue: s.queue,
        statement_timeout_ms: s.statement_timeout_ms,
        idle_session_timeout_ms: s.idle_session_timeout_ms,
        allow_truncated_results: s.allow_truncated_results,
        progress_notices: s.progress_notices,
        result_reuse_max_age_ms: facts.result_reuse_max_age_ms,
        variables: s.settings,
    }
}

fn expr_text(e: &Expr) -> String {
    match e {
        Expr::Value(v) => match &v.value {
            SqlValue::SingleQuotedString(s) | SqlValue::DoubleQuotedString(s) => s.clone(),
            SqlValue::Number(n, _) => n.clone(),
            other => other.to_string(),
        },
        Expr::Identifier(i) => i.value.clone(),
        other => other.to_string(),
    }
}

/// Parse `statement_timeout` values: `5000`, `'5s'`, `'250ms'`, `'1min'`.
fn parse_timeout_ms(v: &str) -> Option<u64> {
    let v = v.trim();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let n: u64 = num.parse().ok()?;
    let factor = match unit.trim() {
        "" | "ms" => 1,
        "s" => 1000,
        "min" => 60_000,
        "h" => 3_600_000,
        _ => return None,
    };
    n.checked_mul(factor)
}

fn set_variable(set: &sqlparser::ast::Set, session: &Session) -> Result<LocalAnswer, GatewayError> {
    use sqlparser::ast::Set;
    let (name, values) = match set {
        Set::SingleAssignment {
            variable, values, ..
        } => (object_name(variable).to_ascii_lowercase(), values),
        // SET SESSION CHARACTERISTICS, SET TIME ZONE, SET NAMES …: accepted, nothing to do.
        _ => return Ok(LocalAnswer::Tag("SET".into())),
    };
    let texts: Vec<String> = values.iter().map(expr_text).collect();
    set_named(session, &name, &texts)?;
    Ok(LocalAnswer::Tag("SET".into()))
}

/// Set one session variable (from `SET`, or from the startup packet).
pub fn set_named(session: &Session, name: &str, texts: &[String]) -> Result<(), GatewayError> {
    let name = name.to_ascii_lowercase();
    let value = texts.join(",");
    match name.as_str() {
        "search_path" => {
            let first = texts
                .iter()
                .flat_map(|t| t.split(','))
                .map(|t| t.trim().trim_matches('"').to_string())
                .find(|t| !t.is_empty() && t != "$user" && t != "public" && t != "pg_catalog");
            if let Some(db) = first {
                session.update(|s| s.currentdb = db);
            }
        }
        "dli.queue" => session.update(|s| s.queue = (!value.is_empty()).then(|| value.clone())),
        "statement_timeout" => {
            let ms = parse_timeout_ms(&value).ok_or_else(|| {
                GatewayError::new(
                    ErrorKind::InvalidParameter,
                    format!("invalid value for parameter \"statement_timeout\": \"{value}\""),
                )
            })?;
            session.update(|s| s.statement_timeout_ms = ms);
        }
        "idle_session_timeout" => {
            let ms = parse_timeout_ms(&value).ok_or_else(|| {
                GatewayError::new(
                    ErrorKind::InvalidParameter,
                    format!("invalid value for parameter \"idle_session_timeout\": \"{value}\""),
                )
            })?;
            session.update(|s| s.idle_session_timeout_ms = ms);
        }
        "standard_conforming_strings" => {
            let on = settings::parse_bool(&value).ok_or_else(|| {
                GatewayError::new(
                    ErrorKind::InvalidParameter,
                    format!(
                        "invalid value for parameter \"standard_conforming_strings\": \"{value}\""
                    ),
                )
            })?;
            let shown = if on { "on" } else { "off" };
            session.update(|s| s.settings.insert(name.clone(), shown.into()));
        }
        "dli.allow_truncated_results" => {
            let on = settings::parse_bool(&value).ok_or_else(|| {
                GatewayError::new(
                    ErrorKind::InvalidParameter,
                    format!(
                        "parameter \"dli.allow_truncated_results\" requires a Boolean value, not \"{value}\""
                    ),
                )
            })?;
            session.update(|s| s.allow_truncated_results = on);
        }
        "dli.progress_notices" => {
            let on = settings::parse_bool(&value).ok_or_else(|| {
                GatewayError::new(
                    ErrorKind::InvalidParameter,
                    format!(
                        "parameter \"dli.progress_notices\" requires a Boolean value, not \"{value}\""
                    ),
                )
            })?;
            session.update(|s| s.progress_notices = on);
        }
        "dli.result_reuse_max_age" => {
            let ms = super::reuse::parse_max_age(&value)?;
            let shown = settings::format_duration_ms(ms);
            session.update(|s| s.settings.insert(name.clone(), shown));
        }
        _ => session.update(|s| {
            s.settings.insert(name.clone(), value.clone());
        }),
    }
    Ok(())
}

/// Settings a client put in its startup packet: `statement_timeout=5s`, `search_path=db`,
/// or `options=-c statement_timeout=5s -c search_path=db` (libpq's PGOPTIONS).
pub fn apply_startup(session: &Session, params: &std::collections::HashMap<String, String>) {
    for (k, v) in startup_pairs(params) {
        if let Err(e) = set_named(session, &k, &[v]) {
            tracing::debug!(setting = %k, error = %e, "ignored startup setting");
        }
    }
}

/// The (setting, value) pairs of a startup packet, `options` (`-c name=value`) included.
pub fn startup_pairs(params: &std::collections::HashMap<String, String>) -> Vec<(String, String)> {
    const SKIP: [&str; 5] = [
        "user",
        "database",
        "client_encoding",
        "replication",
        "options",
    ];
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| !SKIP.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if let Some(options) = params.get("options") {
        let mut words = options.split_whitespace();
        while let Some(w) = words.next() {
            let kv = match w {
                "-c" => words.next(),
                other => other
                    .strip_prefix("--")
                    .or_else(|| other.strip_prefix("-c")),
            };
            if let Some((k, v)) = kv.and_then(|kv| kv.split_once('=')) {
                pairs.push((k.replace('-', "_"), v.to_string()));
            }
        }
    }
    pairs
}

/// The session functions of `SELECT version()`, `SELECT current_schema() AS s` … (no
/// FROM clause, every item such a function): (function, column name) pairs.
fn session_functions(q: &sqlparser::ast::Query) -> Option<Vec<(String, String)>> {
    let SetExpr::Select(sel) = q.body.as_ref() else {
        return None;
    };
    if !sel.from.is_empty() || sel.projection.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    for item in &sel.projection {
        let (expr, alias) = match item {
            SelectItem::UnnamedExpr(e) => (e, None),
            SelectItem::ExprWithAlias { expr, alias } => (expr, Some(alias.value.clone())),
            _ => return None,
        };
        let fname = match expr {
            Expr::Function(f) => f.name.to_string().to_ascii_lowercase(),
            Expr::Identifier(i) => i.value.to_ascii_lowercase(),
            _ => return None,
        };
        let fname = fname.trim_start_matches("pg_catalog.").to_string();
        if !SESSION_FUNCTIONS.contains(&fname.as_str()) {
            return None;
        }
        out.push((fname.clone(), alias.unwrap_or(fname)));
    }
    Some(out)
}

/// Functions answered from the session alone.
const SESSION_FUNCTIONS: &[&str] = &[
    "version",
    "current_database",
    "current_catalog",
    "current_schema",
    "current_user",
    "session_user",
    "user",
    "pg_advisory_unlock_all",
];

/// `SELECT version()`, `SELECT current_schema()` … with no FROM clause.
fn session_function(
    q: &sqlparser::ast::Query,
    session: &Session,
    facts: &ServerFacts,
) -> Option<LocalAnswer> {
    let mut names = Vec::new();
    let mut values = Vec::new();
    for (fname, name) in session_functions(q)? {
        let value = match fname.as_str() {
            "version" => settings::version_string(&facts.server_version),
            "current_database" | "current_catalog" => facts.database_name.clone(),
            "current_schema" => session.currentdb(),
            "current_user" | "session_user" | "user" => session.snapshot().user,
            // No locks exist on DLI: there is never anything to unlock.
            "pg_advisory_unlock_all" => String::new(),
            _ => return None,
        };
        names.push(name);
        values.push(Some(value));
    }
    Some(LocalAnswer::Row(names, values))
}

#[cfg(test)]
#[path = "local_tests.rs"]
mod tests;
