//! The timed state machine of a Flink job. Transitions are scheduled as a
//! [`Pending`] event with an absolute time and applied lazily ([`advance`]) whenever
//! the registry is read or written, so the machine needs no background task, gives
//! the same answer whatever the polling rhythm, and carries on across a restart of
//! the service (the pending event is persisted with the job).
//!
//! ```text
//! job_init ─run→ job_submitting ─step→ job_running ─stop→ job_canceling ─step→ job_cancel_success
//!                      │                   │  └stop+savepoint→ job_savepointing ─step→ job_canceling
//!                      └(submit_fail)→ job_submit_fail
//!                                          ├(runtime_exception_after_ms)→ restart (restart_when_exception,
//!                                          │      within resume_max_num per hour) or job_running_exception
//!                                          └(finish_after_ms)→ job_finish
//! job_canceling ─(stop_fail)→ job_cancel_fail
//! ```
//!
//! Fault markers (how a test makes a job fail, restart or finish): the text
//! `dli_local_flink:` in the SQL (usually in a `--` comment), or `--dli-local-flink=` in
//! a Jar job's `entrypoint_args`, followed by tokens separated by spaces, `|` or `,`:
//! `submit_fail`, `stop_fail`, `runtime_exception_after_ms=N`, `finish_after_ms=N`.
//!
//! Owns: the transitions and their effects on a record; not the HTTP answers.

use rand::RngCore;

use super::model::{BUSY, Event, JobRecord, Pending, RUNNABLE};

/// Timing of the machine (from `[local]`).
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Time of each transient step (submitting, savepointing, canceling, restarting).
    pub step_ms: i64,
}

/// The fault hooks read from a job's SQL or arguments.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Faults {
    pub submit_fail: bool,
    pub stop_fail: bool,
    pub exception_after_ms: Option<i64>,
    pub finish_after_ms: Option<i64>,
}

impl Faults {
    pub fn of(job: &JobRecord) -> Faults {
        let mut f = Faults::default();
        let texts = [Some(job.sql_body.as_str()), job.entrypoint_args.as_deref()];
        for text in texts.into_iter().flatten() {
            f.read(text);
        }
        f
    }

    fn read(&mut self, text: &str) {
        let lower = text.to_ascii_lowercase();
        for marker in ["dli_local_flink:", "--dli-local-flink="] {
            let mut rest = lower.as_str();
            while let Some(pos) = rest.find(marker) {
                rest = &rest[pos + marker.len()..];
                let line = rest.lines().next().unwrap_or_default();
                for token in line.split(|c: char| c.is_whitespace() || "|,;".contains(c)) {
                    self.token(token.trim_end_matches("*/"));
                }
            }
        }
    }

    fn token(&mut self, token: &str) {
        let ms = |v: &str| v.trim().parse::<i64>().ok().filter(|n| *n >= 0);
        match token.split_once('=') {
            None if token == "submit_fail" => self.submit_fail = true,
            None if token == "stop_fail" => self.stop_fail = true,
            Some(("runtime_exception_after_ms", v)) => self.exception_after_ms = ms(v),
            Some(("finish_after_ms", v)) => self.finish_after_ms = ms(v),
            _ => {}
        }
    }
}

/// Applies every pending event due at `now`. Returns whether anything changed.
pub fn advance(job: &mut JobRecord, now: i64, t: Timing) -> bool {
    let mut changed = false;
    // Each event schedules at most one later one; the bound stops a zero step from
    // looping forever (a restart loop with step 0 and exception_after 0).
    for _ in 0..10_000 {
        match job.pending {
            Some(p) if p.at_ms <= now => {
                job.pending = None;
                apply(job, p, t);
                changed = true;
            }
            _ => break,
        }
    }
    changed
}

fn at(when: i64, event: Event) -> Option<Pending> {
    Some(Pending { at_ms: when, event })
}

fn apply(job: &mut JobRecord, p: Pending, t: Timing) {
    let faults = Faults::of(job);
    let when = p.at_ms;
    match p.event {
        Event::Submitted => {
            if faults.submit_fail {
                job.status = "job_submit_fail".into();
                job.status_desc = "Submitting the job failed: the job graph could not be \
                    deployed (fault marker submit_fail). Check the SQL and the queue, then run \
                    the job again."
                    .into();
                job.end_time = when;
                return;
            }
            job.status = "job_running".into();
            job.start_time = when;
            job.end_time = -1;
            schedule_running(job, when, faults);
        }
        Event::SavepointDone => {
            job.has_savepoint = true;
            let jid = job.jid.clone().unwrap_or_default();
            let mut r = [0u8; 6];
            rand::rng().fill_bytes(&mut r);
            job.savepoint_path = Some(format!(
                "obs://dli-flink-savepoints/{}/savepoint-{}-{}",
                job.job_id,
                &jid[..jid.len().min(6)],
                hex::encode(r)
            ));
            job.status = "job_canceling".into();
            job.pending = at(when + t.step_ms, Event::Canceled);
        }
        Event::Canceled => {
            job.savepoint_requested = false;
            job.end_time = when;
            if faults.stop_fail {
                job.status = "job_cancel_fail".into();
                job.status_desc =
                    "Stopping the job failed (fault marker stop_fail). Stop it again.".into();
            } else {
                job.status = "job_cancel_success".into();
                job.status_desc = String::new();
            }
        }
        Event::RuntimeException => {
            job.restarts.retain(|r| when - r < 3_600_000);
            let allowed = job.config.restart_when_exception
                && (job.config.resume_max_num < 0
                    || (job.restarts.len() as i64) < job.config.resume_max_num);
            if allowed {
                job.restarts.push(when);
                job.restart_count += 1;
                job.status_desc = format!(
                    "The job hit a runtime exception and is restarting (restart {}).",
                    job.restart_count
                );
                job.pending = at(when + t.step_ms, Event::Restarted);
            } else {
                job.status = "job_running_exception".into();
                job.status_desc = "The job hit a runtime exception (fault marker \
                    runtime_exception_after_ms) and stopped. Check the job's logs; enable \
                    restart_when_exception to restart it automatically."
                    .into();
                job.end_time = when;
            }
        }
        Event::Restarted => {
            job.status_desc = format!(
                "The job was restarted after a runtime exception ({} restart(s)).",
                job.restart_count
            );
            schedule_running(job, when, faults);
        }
        Event::Finished => {
            job.status = "job_finish".into();
            job.status_desc = String::new();
            job.end_time = when;
        }
    }
}

/// What happens next to a job that is running since `since`.
fn schedule_running(job: &mut JobRecord, since: i64, faults: Faults) {
    let next = match (faults.exception_after_ms, faults.finish_after_ms) {
        (Some(e), Some(f)) if f < e => at(since + f, Event::Finished),
        (Some(e), _) => at(since + e, Event::RuntimeException),
        (None, Some(f)) => at(since + f, Event::Finished),
        (None, None) => None,
    };
    job.pending = next;
}

/// Is the job between two runs, so that a run is accepted?
pub fn can_run(job: &JobRecord) -> bool {
    RUNNABLE.contains(&job.status.as_str())
}

/// Is the job being processed (an update is refused)?
pub fn is_busy(job: &JobRecord) -> bool {
    BUSY.contains(&job.status.as_str())
}

/// Run (003 §9.6): `job_submitting`, then running after one step.
pub fn run(job: &mut JobRecord, now: i64, resume_savepoint: bool, t: Timing) {
    let mut jid = [0u8; 16];
    rand::rng().fill_bytes(&mut jid);
    job.jid = Some(hex::encode(jid));
    job.status = "job_submitting".into();
    job.status_desc = match (&job.savepoint_path, resume_savepoint) {
        (Some(path), true) => format!("The job is restored from the savepoint {path}."),
        (None, true) => "The job has no savepoint; it starts without one.".into(),
        _ => String::new(),
    };
    job.run_count += 1;
    job.start_time = 0;
    job.end_time = -1;
    job.restarts.clear();
    job.pending = at(now + t.step_ms, Event::Submitted);
}

/// Stop (003 §9.10) of a running or submitting job. Returns false when the job is in
/// no state to be stopped.
pub fn stop(job: &mut JobRecord, now: i64, trigger_savepoint: bool, t: Timing) -> bool {
    match job.status.as_str() {
        "job_running" if trigger_savepoint => {
            job.status = "job_savepointing".into();
            job.savepoint_requested = true;
            job.pending = at(now + t.step_ms, Event::SavepointDone);
        }
        "job_running" | "job_submitting" => {
            job.status = "job_canceling".into();
            job.pending = at(now + t.step_ms, Event::Canceled);
        }
        _ => return false,
    }
    true
}

/// The Flink `JobStatus` the execution plan shows for the job's state.
pub fn flink_state(job: &JobRecord) -> &'static str {
    match (job.status.as_str(), job.pending.map(|p| p.event)) {
        ("job_running", Some(Event::Restarted)) => "RESTARTING",
        ("job_running" | "job_savepointing", _) => "RUNNING",
        ("job_submitting", _) => "CREATED",
        ("job_canceling", _) => "CANCELLING",
        ("job_cancel_success" | "job_arrearage_stopped", _) => "CANCELED",
        ("job_finish", _) => "FINISHED",
        ("job_submit_fail" | "job_running_exception" | "job_cancel_fail", _) => "FAILED",
        _ => "SUSPENDED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Timing = Timing { step_ms: 10 };

    #[test]
    fn run_stop_savepoint() {
        let mut j = JobRecord::default();
        run(&mut j, 1000, false, T);
        assert_eq!(j.status, "job_submitting");
        assert!(!advance(&mut j, 1005, T));
        advance(&mut j, 1010, T);
        assert_eq!((j.status.as_str(), j.start_time), ("job_running", 1010));
        assert!(stop(&mut j, 2000, true, T));
        advance(&mut j, 2010, T);
        assert_eq!(j.status, "job_canceling");
        assert!(j.has_savepoint && j.savepoint_path.is_some());
        advance(&mut j, 5000, T);
        assert_eq!(
            (j.status.as_str(), j.end_time),
            ("job_cancel_success", 2020)
        );
        assert_eq!(j.duration(9999), 1010);
        assert!(!stop(&mut j, 6000, false, T));
    }

    #[test]
    fn faults_and_restarts() {
        let mut j = JobRecord {
            sql_body: "-- dli_local_flink: runtime_exception_after_ms=100 | x\nselect 1".into(),
            ..Default::default()
        };
        j.config.restart_when_exception = true;
        j.config.resume_max_num = 2;
        run(&mut j, 0, false, T);
        advance(&mut j, 10_000, T);
        assert_eq!(j.status, "job_running_exception");
        assert_eq!(j.restart_count, 2);
        let mut f = JobRecord {
            entrypoint_args: Some("a --dli-local-flink=submit_fail,stop_fail b".into()),
            ..Default::default()
        };
        assert!(Faults::of(&f).submit_fail && Faults::of(&f).stop_fail);
        run(&mut f, 0, false, T);
        advance(&mut f, 100, T);
        assert_eq!(f.status, "job_submit_fail");
        assert!(can_run(&f));
    }

    #[test]
    fn zero_step_restart_loop_terminates() {
        let mut j = JobRecord {
            sql_body: "-- dli_local_flink: runtime_exception_after_ms=0".into(),
            ..Default::default()
        };
        j.config.restart_when_exception = true;
        run(&mut j, 0, false, Timing { step_ms: 0 });
        assert!(advance(&mut j, 0, Timing { step_ms: 0 }));
        assert!(j.restart_count > 100);
    }
}
