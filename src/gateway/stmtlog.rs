//! One log line and one metric sample per statement.
//!
//! Owns: the `statement` tracing span (session id, user, application_name, statement
//! kind, the client's SQL text — shortened, with `$n` placeholders as written, never the
//! bound parameter values — and the DLI job id, recorded by the runner once the job is
//! submitted), the info-level line that ends it (elapsed time and SQLSTATE, `00000` for
//! success), and the statement metrics ([`crate::metrics::statement`]). Called by
//! [`super::router::Router::execute`] for every statement a client runs.

use std::time::Instant;

use tracing::Span;

use super::classify::DliKind;
use super::plan::{Kind, Plan};
use super::session::Session;
use crate::errors::GatewayError;

/// The longest SQL text put into a log span.
const SPAN_SQL_CHARS: usize = 200;

/// The statement's kind as a metric label and log field.
pub fn kind_label(kind: &Kind) -> &'static str {
    match kind {
        Kind::Session(_) => "session",
        Kind::Catalog(_) => "catalog",
        Kind::Refresh(_) => "refresh",
        Kind::Mixed { .. } | Kind::Refused(_) => "refused",
        Kind::Copy { .. } => "copy",
        Kind::Declare { .. } => "declare",
        Kind::Cursor(_) => "cursor",
        Kind::Constant(_) => "constant",
        Kind::Dli { kind, .. } => match kind {
            DliKind::Query => "query",
            DliKind::Insert => "insert",
            DliKind::Ddl { .. } => "ddl",
            DliKind::Other { .. } => "other",
        },
    }
}

/// The span a statement runs in.
pub fn span(session: &Session, plan: &Plan) -> Span {
    let state = session.snapshot();
    let app = state
        .settings
        .get("application_name")
        .map(String::as_str)
        .unwrap_or("");
    tracing::info_span!(
        "statement",
        session = session.id,
        user = %state.user,
        application_name = %app,
        kind = kind_label(&plan.kind),
        job_id = tracing::field::Empty,
        sql = %truncate(plan.sql().trim(), SPAN_SQL_CHARS),
    )
}

/// The statement's line (inside its span) and its metrics.
pub fn done<T>(plan: &Plan, started: Instant, result: &Result<T, GatewayError>) {
    let elapsed = started.elapsed();
    let elapsed_ms = elapsed.as_millis() as u64;
    let sqlstate = result.as_ref().err().map(|e| e.kind.sqlstate());
    crate::metrics::statement(kind_label(&plan.kind), sqlstate, elapsed);
    match sqlstate {
        None => tracing::info!(elapsed_ms, sqlstate = "00000", "statement done"),
        Some(code) => tracing::info!(elapsed_ms, sqlstate = code, "statement failed"),
    }
}

/// Record the DLI job id on the current statement span.
pub fn job_id(id: &str) {
    Span::current().record("job_id", id);
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}
