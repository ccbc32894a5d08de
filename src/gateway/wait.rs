//! Waiting for a DLI job to end: the status calls of one statement.
//!
//! Owns: the wait loop of [`Runner`] — status calls on the [`PollSchedule`], each taking
//! one of the gateway's [`Budget`] (a `Retry-After` pauses the budget for everybody and
//! the statement keeps waiting); the shared poller's answers instead when many jobs wait
//! at once; the statement deadline; statuses DLI does not document; and the progress
//! reports ([`ProgressEvent`]) sent to the statement's client. Never sees pgwire or HTTP.

use std::time::Duration;

use tokio::time::Instant;

use super::poller::Waiting;
use super::progress::{ProgressClock, ProgressEvent, ProgressSink};
use super::runner::Runner;
use crate::dli::{DliError, DliErrorKind, JobState, JobStatus};
use crate::errors::{ErrorKind, GatewayError};

/// How many status polls in a row may report a state DLI does not document.
const UNKNOWN_STATE_POLLS: u32 = 5;
/// How many throttled (429) status answers in a row a statement waits through.
const THROTTLED_POLLS: u32 = 30;
/// The pause after a 429 without `Retry-After`.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);

/// What a wait observed, for the statement's progress reports.
struct Reporter<'a> {
    sink: &'a ProgressSink,
    clock: ProgressClock,
}

impl Runner {
    /// Poll the job status on the schedule until it is terminal or the deadline passes.
    pub(super) async fn wait(
        &self,
        job_id: &str,
        submitted: Instant,
        deadline: Option<Instant>,
        progress: Option<&ProgressSink>,
    ) -> Result<JobStatus, GatewayError> {
        let polling = &self.polling;
        let mut waiting = polling.shared.as_ref().map(|s| s.register(job_id));
        let mut reporter = progress.map(|sink| Reporter {
            sink,
            clock: ProgressClock::new(submitted, polling.progress_interval),
        });
        let (mut calls, mut unknown, mut throttled) = (0u32, 0u32, 0u32);
        let mut queued = true;
        loop {
            let delay = polling.schedule.jittered(submitted.elapsed(), calls);
            sleep_within(Instant::now() + delay, deadline, job_id).await?;
            let answer = match deadline {
                Some(d) => tokio::time::timeout_at(d, self.poll_once(job_id, &mut waiting))
                    .await
                    .map_err(|_| timed_out(job_id))?,
                None => self.poll_once(job_id, &mut waiting).await,
            };
            calls += 1;
            let status = match answer {
                Ok(status) => status,
                Err(e) if e.kind == DliErrorKind::Throttled && throttled < THROTTLED_POLLS => {
                    throttled += 1;
                    let pause = e.retry_after.unwrap_or(DEFAULT_RETRY_AFTER);
                    tracing::debug!(
                        job_id,
                        pause_ms = pause.as_millis() as u64,
                        "status call throttled; pausing the status budget"
                    );
                    polling.budget.pause_until(Instant::now() + pause);
                    continue;
                }
                Err(e) => return Err(status_error(job_id, &e)),
            };
            throttled = 0;
            if queued && status.status == JobState::Running {
                queued = false;
                crate::metrics::queue_wait(submitted.elapsed());
            }
            if status.status.is_terminal() {
                return Ok(status);
            }
            // A state DLI does not document (or none at all) must not be polled forever:
            // a few in a row and the statement ends (and its job is cancelled).
            match &status.status {
                JobState::Other(state) => {
                    unknown += 1;
                    if unknown >= UNKNOWN_STATE_POLLS {
                        return Err(GatewayError::new(
                            ErrorKind::Upstream,
                            format!("DLI job {job_id} reports an unknown status {state:?}"),
                        )
                        .with_detail(format!(
                            "{unknown} status polls in a row gave no known job state; the job is cancelled"
                        )));
                    }
                }
                _ => unknown = 0,
            }
            if let Some(r) = reporter.as_mut() {
                self.report(r, job_id, &status, submitted).await;
            }
        }
    }

    /// One status observation: the shared poller's when many jobs wait (falling back to
    /// an own call when it has none), else an own status call within the budget.
    async fn poll_once(
        &self,
        job_id: &str,
        waiting: &mut Option<Waiting>,
    ) -> Result<JobStatus, DliError> {
        if let Some(w) = waiting.as_mut()
            && w.batching()
            && let Some(Ok(status)) = w.next().await
        {
            return Ok(status);
        }
        self.polling.budget.acquire().await;
        self.backend.job_status(job_id).await
    }

    /// A progress report when one is due: the job's progress (§7.3.11) when the budget
    /// has a call to spare.
    async fn report(
        &self,
        r: &mut Reporter<'_>,
        job_id: &str,
        status: &JobStatus,
        submitted: Instant,
    ) {
        let Some(previous) = r.clock.due(Instant::now(), status.status.as_str()) else {
            return;
        };
        let mut event = ProgressEvent {
            job_id: job_id.to_string(),
            state: status.status.as_str().to_string(),
            previous,
            queue: status.queue_name.clone(),
            elapsed: submitted.elapsed(),
            progress: None,
            sub_job: None,
        };
        if self.polling.budget.try_acquire()
            && let Ok(p) = self.backend.job_progress(job_id).await
        {
            event.progress = p.progress;
            event.sub_job = p.sub_job_id;
        }
        let _ = r.sink.send(event);
    }
}

fn timed_out(job_id: &str) -> GatewayError {
    GatewayError::canceled("canceling statement due to statement timeout")
        .with_detail(format!("DLI job {job_id} was cancelled"))
}

fn status_error(job_id: &str, e: &DliError) -> GatewayError {
    let mut g = GatewayError::from(e);
    g.detail = Some(format!(
        "DLI job {job_id}: {}",
        g.detail.unwrap_or_default()
    ));
    g
}

/// Sleeps until `until`, or fails with the statement timeout when the deadline comes
/// first.
async fn sleep_within(
    until: Instant,
    deadline: Option<Instant>,
    job_id: &str,
) -> Result<(), GatewayError> {
    match deadline {
        Some(d) if until >= d => {
            tokio::time::sleep_until(d).await;
            Err(timed_out(job_id))
        }
        _ => {
            tokio::time::sleep_until(until).await;
            Ok(())
        }
    }
}
