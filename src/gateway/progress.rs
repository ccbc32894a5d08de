//! What a waiting statement tells its client about its DLI job.
//!
//! Owns: [`ProgressEvent`] (job id, state, queue, elapsed time, progress of §7.3.11 —
//! plain values, no DLI or HTTP type), the channel the runner reports them on
//! ([`ProgressSink`]), when a statement reports ([`ProgressClock`]), and the text of the
//! NOTICE each becomes ([`ProgressEvent::notice`]). The pgwire handlers send those
//! NOTICEs only while the statement waits, before any of its rows.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::errors::Notice;

/// One report about a waiting statement's DLI job.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressEvent {
    pub job_id: String,
    /// DLI's state name (`LAUNCHING`, `RUNNING`, …).
    pub state: String,
    /// The state before, when this report is about a change.
    pub previous: Option<String>,
    pub queue: Option<String>,
    /// Since the job was submitted.
    pub elapsed: Duration,
    /// 0..=1 of the running sub-job (or of the whole job), when DLI told it.
    pub progress: Option<f64>,
    /// The running sub-job.
    pub sub_job: Option<i64>,
}

impl ProgressEvent {
    /// The NOTICE for the client.
    pub fn notice(&self) -> Notice {
        let state = match &self.previous {
            Some(before) => format!("{before} -> {}", self.state),
            None => self.state.clone(),
        };
        let mut message = format!(
            "DLI job {}: {state}, {:.1} s elapsed",
            self.job_id,
            self.elapsed.as_secs_f64()
        );
        if let Some(p) = self.progress {
            message.push_str(&format!(", {:.0} %", (p * 100.0).clamp(0.0, 100.0)));
            if let Some(sub) = self.sub_job {
                message.push_str(&format!(" of sub-job {sub}"));
            }
        }
        let detail = self.queue.as_ref().map(|q| format!("queue {q}"));
        Notice::info(message, detail)
    }
}

/// Where the runner reports progress; the receiver belongs to the statement's client.
pub type ProgressSink = mpsc::UnboundedSender<ProgressEvent>;

/// When a statement reports: first `interval` after submission, then every `interval`,
/// and at each state change once it has started reporting.
#[derive(Debug)]
pub struct ProgressClock {
    interval: Duration,
    next: Instant,
    state: Option<String>,
    /// The first periodic report has been made.
    reporting: bool,
}

impl ProgressClock {
    pub fn new(submitted: Instant, interval: Duration) -> ProgressClock {
        ProgressClock {
            interval,
            next: submitted + interval,
            state: None,
            reporting: false,
        }
    }

    /// Whether to report now, having seen `state`; returns the state it changed from
    /// (`Some(None)`: a periodic report without change).
    pub fn due(&mut self, now: Instant, state: &str) -> Option<Option<String>> {
        let before = self.state.replace(state.to_string());
        let changed = before.as_deref().is_some_and(|b| b != state);
        if now >= self.next {
            self.next = now + self.interval;
            self.reporting = true;
            return Some(before.filter(|_| changed));
        }
        if changed && self.reporting {
            return Some(before);
        }
        None
    }

    /// When the next periodic report is due.
    pub fn next(&self) -> Instant {
        self.next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notice_names_job_state_queue_elapsed_and_progress() {
        let e = ProgressEvent {
            job_id: "j-1".into(),
            state: "RUNNING".into(),
            previous: Some("LAUNCHING".into()),
            queue: Some("q1".into()),
            elapsed: Duration::from_millis(12_345),
            progress: Some(0.456),
            sub_job: Some(3),
        };
        let n = e.notice();
        assert_eq!(
            n.message,
            "DLI job j-1: LAUNCHING -> RUNNING, 12.3 s elapsed, 46 % of sub-job 3"
        );
        assert_eq!(n.detail.as_deref(), Some("queue q1"));
        assert!(n.informational);
    }

    #[test]
    fn reports_periodically_and_on_changes_once_started() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut c = ProgressClock::new(t0, Duration::from_millis(100));
        assert_eq!(c.due(ms(10), "LAUNCHING"), None);
        // A change before the first report is not reported on its own.
        assert_eq!(c.due(ms(20), "RUNNING"), None);
        assert_eq!(c.due(ms(100), "RUNNING"), Some(None));
        assert_eq!(c.due(ms(150), "RUNNING"), None);
        assert_eq!(c.due(ms(160), "SCALING"), Some(Some("RUNNING".into())));
        assert_eq!(c.due(ms(200), "SCALING"), Some(None));
    }
}
