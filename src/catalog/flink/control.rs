//! The control functions: run / stop / delete in batches, create and update (SQL and
//! Jar), each answering one row per job with its outcome. Every DLI write is sent once:
//! no retry after it may have been acted on (the client's write rule), and the statement
//! is run once by the caller. After a lost answer the job's status is read back.
//!
//! Owns: preflight, outcome rows, warnings, bounded waiting and the read-modify-write of
//! updates. Reaches DLI only through [`DliClient`]'s public Flink calls.

use std::time::{Duration, Instant};

use crate::dli::flink::{FlinkJob, JobOutcome, OutcomeStatus};
use crate::dli::{DliError, DliErrorKind};
use crate::errors::{ErrorKind, GatewayError, Notice};

use super::args::Args;
use super::cols::Val;
use super::reads::{details, dli_error};
use super::run::FlinkRun;
use super::views::is_transient;

/// One outcome row: job_id, name, ok, message, sqlstate, dli_error_code, status_before,
/// status_after.
pub struct Row {
    pub job_id: i64,
    pub name: Option<String>,
    pub ok: Option<bool>,
    pub message: String,
    pub sqlstate: Option<String>,
    pub code: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl Row {
    pub fn vals(&self) -> Vec<Val> {
        vec![
            Val::I64(self.job_id),
            Val::opt_text(self.name.as_deref()),
            Val::opt_bool(self.ok),
            Val::text(&self.message),
            Val::opt_text(self.sqlstate.as_deref()),
            Val::opt_text(self.code.as_deref()),
            Val::opt_text(self.before.as_deref()),
            Val::opt_text(self.after.as_deref()),
        ]
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Action {
    Run,
    Stop,
    Delete,
}

impl Action {
    fn verb(self) -> &'static str {
        match self {
            Action::Run => "run",
            Action::Stop => "stop",
            Action::Delete => "delete",
        }
    }

    /// Statuses that show the request was taken, when its answer was lost.
    fn taken(self, status: Option<&str>) -> bool {
        match self {
            Action::Run => matches!(status, Some("job_submitting" | "job_running")),
            Action::Stop => matches!(
                status,
                Some("job_canceling" | "job_savepointing" | "job_cancel_success")
            ),
            Action::Delete => status.is_none(),
        }
    }
}

fn invalid(msg: impl Into<String>) -> GatewayError {
    GatewayError::new(ErrorKind::InvalidParameter, msg)
}

/// `[flink] allow_control`.
pub fn allowed(run: &FlinkRun, what: &str) -> Result<(), GatewayError> {
    if run.cfg.allow_control {
        return Ok(());
    }
    Err(GatewayError::new(
        ErrorKind::ReadOnly,
        format!(
            "cannot run {}.{what}() in a read-only gateway",
            run.cfg.schema
        ),
    )
    .with_hint("[flink] allow_control = false"))
}

fn wait_ms(run: &FlinkRun, a: &Args) -> Result<u64, GatewayError> {
    let w = a.int("wait_ms").unwrap_or(0);
    let max = run.cfg.max_wait_ms;
    u64::try_from(w)
        .ok()
        .filter(|w| *w <= max)
        .ok_or_else(|| invalid(format!("wait_ms must be between 0 and {max}, not {w}")))
}

/// Whether a failed write may have been acted on (answer lost): never resent.
fn ambiguous(e: &DliError) -> bool {
    matches!(e.kind, DliErrorKind::Transport | DliErrorKind::Server)
}

/// The SQLSTATE of a job DLI refused.
fn refused_state(message: &str, code: Option<&str>) -> String {
    let mut e = DliError::new(DliErrorKind::BadRequest, message);
    e.code = code.map(str::to_string);
    let kind = GatewayError::from(&e).kind;
    match kind {
        ErrorKind::PermissionDenied
        | ErrorKind::QuotaExceeded
        | ErrorKind::ResourceUnavailable
        | ErrorKind::UndefinedObject => kind.sqlstate().to_string(),
        _ => ErrorKind::ObjectNotInPrerequisiteState
            .sqlstate()
            .to_string(),
    }
}

/// Polls the jobs' statuses until none is transient or `wait` has passed.
async fn statuses(
    run: &FlinkRun,
    ids: &[i64],
    wait: u64,
) -> Result<Vec<Option<String>>, GatewayError> {
    let deadline = Instant::now() + Duration::from_millis(wait);
    let mut pause = Duration::from_millis(50);
    loop {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(details(&run.client, *id).await?.and_then(|j| j.status));
        }
        let settled = out.iter().all(|s| !s.as_deref().is_some_and(is_transient));
        if wait == 0 || settled || Instant::now() >= deadline {
            return Ok(out);
        }
        tokio::time::sleep(pause.min(deadline.saturating_duration_since(Instant::now()))).await;
        pause = (pause * 2).min(Duration::from_secs(1));
    }
}

/// Run, stop or delete `job_ids`: one row per requested id, in order.
pub async fn batch(run: &FlinkRun, action: Action, a: &Args) -> Result<Vec<Row>, GatewayError> {
    let ids = a.ints("job_ids").unwrap_or_default();
    if ids.is_empty() {
        return Err(invalid("job_ids must name at least one job"));
    }
    if ids.len() > 1000 {
        return Err(invalid("job_ids may name at most 1000 jobs"));
    }
    let wait = if action == Action::Delete {
        0
    } else {
        wait_ms(run, a)?
    };
    allowed(run, &format!("{}_jobs", action.verb()))?;
    // Preflight: names and statuses; unknown ids become rows, not requests.
    let mut known: Vec<(i64, FlinkJob)> = Vec::new();
    for id in &ids {
        if known.iter().any(|(k, _)| k == id) {
            continue;
        }
        if let Some(j) = details(&run.client, *id).await? {
            known.push((*id, j));
        }
    }
    let send: Vec<i64> = known.iter().map(|(id, _)| *id).collect();
    let outcomes: Vec<JobOutcome> = if send.is_empty() {
        Vec::new()
    } else {
        let answer = match action {
            Action::Run => {
                run.client
                    .run_flink_jobs(&send, a.bool("resume_savepoint"))
                    .await
            }
            Action::Stop => {
                run.client
                    .stop_flink_jobs(&send, a.bool("trigger_savepoint"))
                    .await
            }
            Action::Delete if send.len() == 1 => {
                run.client.delete_flink_job(send[0]).await.map(|m| {
                    vec![JobOutcome {
                        job_id: send[0],
                        status: OutcomeStatus::Accepted,
                        message: m.message,
                        error_code: None,
                        shared_answer: false,
                    }]
                })
            }
            Action::Delete => run.client.delete_flink_jobs(&send).await,
        };
        match answer {
            Ok(o) => o,
            Err(e) if ambiguous(&e) => send
                .iter()
                .map(|id| JobOutcome {
                    job_id: *id,
                    status: OutcomeStatus::Unknown,
                    message: format!("outcome unknown: request sent, no answer ({})", e.message),
                    error_code: e.code.clone(),
                    shared_answer: true,
                })
                .collect(),
            Err(e) if action == Action::Delete && send.len() == 1 => vec![JobOutcome {
                job_id: send[0],
                status: OutcomeStatus::Refused,
                message: e.message.clone(),
                error_code: e.code.clone(),
                shared_answer: false,
            }],
            Err(e) => return Err(dli_error(&e)),
        }
    };
    let after = statuses(run, &send, wait).await?;
    let mut rows = Vec::with_capacity(ids.len());
    for id in &ids {
        let Some(pos) = send.iter().position(|s| s == id) else {
            rows.push(Row {
                job_id: *id,
                name: None,
                ok: Some(false),
                message: format!("Flink job {id} does not exist"),
                sqlstate: Some(ErrorKind::UndefinedObject.sqlstate().into()),
                code: None,
                before: None,
                after: None,
            });
            continue;
        };
        let job = &known[pos].1;
        let status_after = after.get(pos).cloned().flatten();
        let o = outcomes.iter().find(|o| o.job_id == *id);
        let (ok, message, sqlstate, code) = match o {
            Some(o) if o.status == OutcomeStatus::Accepted => {
                (Some(true), o.message.clone(), None, None)
            }
            Some(o) if o.status == OutcomeStatus::Refused => (
                Some(false),
                o.message.clone(),
                Some(refused_state(&o.message, o.error_code.as_deref())),
                o.error_code.clone(),
            ),
            Some(o) if action.taken(status_after.as_deref()) => (
                Some(true),
                format!("accepted (inferred from status; {})", o.message),
                None,
                o.error_code.clone(),
            ),
            Some(o) => (None, o.message.clone(), None, o.error_code.clone()),
            None => (None, "no answer for this job".into(), None, None),
        };
        let shared = o.is_some_and(|o| o.shared_answer && send.len() > 1);
        let message = if shared && ok.is_some() {
            format!("{message} (batch-level answer)")
        } else {
            message
        };
        rows.push(Row {
            job_id: *id,
            name: Some(job.name.clone()),
            ok,
            message,
            sqlstate,
            code,
            before: job.status.clone(),
            after: status_after,
        });
    }
    for r in &rows {
        if r.ok != Some(true) {
            run.notice(Notice::warning(
                format!(
                    "Flink job {} was not {}: {}",
                    r.job_id,
                    match action {
                        Action::Run => "started",
                        Action::Stop => "stopped",
                        Action::Delete => "deleted",
                    },
                    r.message
                ),
                format!("SQLSTATE {}", r.sqlstate.as_deref().unwrap_or("unknown")),
            ));
        }
    }
    tracing::info!(
        action = action.verb(),
        jobs = ?ids,
        accepted = rows.iter().filter(|r| r.ok == Some(true)).count(),
        "Flink control request"
    );
    Ok(rows)
}
