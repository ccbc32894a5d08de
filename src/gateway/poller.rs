//! One status call for many jobs: the shared poller.
//!
//! Owns: how a runner polls ([`Polling`]: schedule, budget, shared poller), the registry
//! of the jobs the gateway's statements are waiting for, and the one
//! task that, when many wait at once (`[runner] batch_poll_min_jobs`), lists them with
//! §7.3.5 (`GET /v1.0/{p}/jobs`, filtered by the gateway's own tag and by state, 100 a
//! page) and fans each job's status out to its statement. A job no listing of a
//! non-terminal state shows has ended (or is between two states): it gets its own status
//! call, whose answer is what its statement reads (the full status of a terminal job).
//! Every call takes one of the gateway's [`Budget`]. Knows DLI's job DTOs, no HTTP or
//! pgwire type.
//!
//! The reference's `tags` filter is documented as a fuzzy match ("only fuzzy query is
//! supported"), so the listing only narrows the search: a job counts when its id is
//! one being waited for.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::{Notify, watch};

use super::backend::JobBackend;
use super::poll::{Budget, PollSchedule};
use crate::dli::{DliError, JobStatus, JobTag, ListJobsQuery};

/// Tag key every job the gateway submits carries; its value names this gateway.
pub const GATEWAY_TAG: &str = "dli_pg_gateway";
/// Jobs a listing page holds (DLI's maximum).
const PAGE: u32 = 100;
/// Pages listed per state and round at most (10,000 jobs).
const MAX_PAGES: u32 = 100;
/// The non-terminal states listed.
const LISTED: [&str; 2] = ["RUNNING", "LAUNCHING"];
/// Jobs that started this long before the oldest waiting one still count (clock skew).
const SKEW_MS: i64 = 5 * 60 * 1000;
/// Status calls of ended jobs made at once.
const ENDED_AT_ONCE: usize = 8;
/// Rounds start at least this far apart: the youngest job's 5 ms schedule does not set
/// the pace for all (a job is still seen within 20 ms plus a round).
const ROUND_SPACING: Duration = Duration::from_millis(20);
/// A statement that hears nothing from the shared task this long asks for itself.
pub const FALLBACK: Duration = Duration::from_secs(30);

/// How a runner polls: its schedule, the gateway's budget, and the shared poller (only
/// on the gateway's own backend: a session with its own DLI credentials polls alone).
#[derive(Debug, Clone)]
pub struct Polling {
    pub schedule: PollSchedule,
    pub budget: Arc<Budget>,
    pub shared: Option<Arc<SharedPoller>>,
    pub progress_interval: Duration,
}

impl Polling {
    /// The same budget and schedule, without the shared poller.
    pub fn alone(&self) -> Polling {
        Polling {
            shared: None,
            ..self.clone()
        }
    }
}

/// What a round learnt about one job.
pub type Observation = Result<JobStatus, DliError>;

struct Waiter {
    tx: watch::Sender<Option<Observation>>,
    /// Epoch ms when the statement started waiting.
    since_ms: i64,
}

/// The registry and the shared task's state.
pub struct SharedPoller {
    backend: Arc<dyn JobBackend>,
    budget: Arc<Budget>,
    tag: JobTag,
    min_jobs: usize,
    waiters: Mutex<HashMap<String, Waiter>>,
    due: Arc<Notify>,
    started: AtomicBool,
}

impl std::fmt::Debug for SharedPoller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedPoller")
            .field("tag", &self.tag)
            .field("min_jobs", &self.min_jobs)
            .finish_non_exhaustive()
    }
}

impl Drop for SharedPoller {
    fn drop(&mut self) {
        // Wakes the task so it sees the poller is gone and ends.
        self.due.notify_one();
    }
}

impl SharedPoller {
    pub fn new(backend: Arc<dyn JobBackend>, budget: Arc<Budget>, min_jobs: usize) -> Self {
        SharedPoller {
            backend,
            budget,
            tag: JobTag::new(GATEWAY_TAG, uuid::Uuid::new_v4().simple().to_string()),
            min_jobs: min_jobs.max(1),
            waiters: Mutex::new(HashMap::new()),
            due: Arc::new(Notify::new()),
            started: AtomicBool::new(false),
        }
    }

    /// The tag every job of this gateway carries.
    pub fn tag(&self) -> &JobTag {
        &self.tag
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Waiter>> {
        self.waiters.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A statement starts waiting for `job_id` (until the [`Waiting`] is dropped).
    pub fn register(self: &Arc<Self>, job_id: &str) -> Waiting {
        let (tx, rx) = watch::channel(None);
        let since_ms = chrono::Utc::now().timestamp_millis();
        self.lock()
            .insert(job_id.to_string(), Waiter { tx, since_ms });
        Waiting {
            rx,
            job_id: job_id.to_string(),
            shared: self.clone(),
        }
    }

    /// Whether enough statements wait that one listing serves them.
    fn batching(&self) -> bool {
        self.lock().len() >= self.min_jobs
    }

    fn start(self: &Arc<Self>) {
        if self.started.swap(true, Ordering::AcqRel) {
            return;
        }
        let (weak, due) = (Arc::downgrade(self), self.due.clone());
        tokio::spawn(run(weak, due));
    }

    fn publish(&self, job_id: &str, observation: Observation) {
        if let Some(w) = self.lock().get(job_id) {
            w.tx.send_replace(Some(observation));
        }
    }

    /// One round: list the waited-for jobs by state, then ask for each one no listing
    /// showed.
    async fn round(&self) {
        let (ids, since) = {
            let w = self.lock();
            let ids: HashSet<String> = w.keys().cloned().collect();
            (ids, w.values().map(|x| x.since_ms).min())
        };
        if ids.is_empty() {
            return;
        }
        let mut seen: HashMap<String, JobStatus> = HashMap::new();
        for state in LISTED {
            if let Err(e) = self.list(state, since, &ids, &mut seen).await {
                tracing::warn!(error = %e, "listing the gateway's jobs failed; statements ask for their own");
                if let Some(ra) = e.retry_after {
                    self.budget.pause_until(tokio::time::Instant::now() + ra);
                }
                for id in &ids {
                    self.publish(id, Err(e.clone()));
                }
                return;
            }
        }
        let ended: Vec<String> = ids
            .into_iter()
            .filter(|id| !seen.contains_key(id))
            .collect();
        for (id, status) in seen {
            self.publish(&id, Ok(status));
        }
        futures::stream::iter(ended)
            .for_each_concurrent(ENDED_AT_ONCE, |id| async move {
                self.budget.acquire().await;
                let answer = self.backend.job_status(&id).await;
                self.publish(&id, answer);
            })
            .await;
    }

    /// The gateway's jobs in `state`, all pages, kept when waited for.
    async fn list(
        &self,
        state: &str,
        since: Option<i64>,
        ids: &HashSet<String>,
        seen: &mut HashMap<String, JobStatus>,
    ) -> Result<(), DliError> {
        for page in 1..=MAX_PAGES {
            self.budget.acquire().await;
            let query = ListJobsQuery {
                page_size: Some(PAGE),
                current_page: Some(page),
                start: since.map(|s| s - SKEW_MS),
                job_status: Some(state.to_string()),
                tags: vec![self.tag.clone()],
                ..ListJobsQuery::default()
            };
            let list = self.backend.list_jobs(&query).await?;
            let n = list.jobs.len();
            for job in list.jobs {
                if ids.contains(&job.job_id) && !job.status.is_terminal() {
                    seen.insert(job.job_id.clone(), job);
                }
            }
            if n < PAGE as usize {
                break;
            }
        }
        Ok(())
    }
}

/// The shared task: a round each time a statement is due, until the poller is gone.
async fn run(poller: Weak<SharedPoller>, due: Arc<Notify>) {
    loop {
        due.notified().await;
        let started = tokio::time::Instant::now();
        {
            let Some(p) = poller.upgrade() else { return };
            p.round().await;
        }
        tokio::time::sleep_until(started + ROUND_SPACING).await;
    }
}

/// A statement waiting for its job (registered with the shared poller while it lives).
pub struct Waiting {
    rx: watch::Receiver<Option<Observation>>,
    job_id: String,
    shared: Arc<SharedPoller>,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.shared.lock().remove(&self.job_id);
    }
}

impl Waiting {
    /// Whether the shared poller serves this job now (many jobs are waiting).
    pub fn batching(&self) -> bool {
        self.shared.batching()
    }

    /// The next observation of this job by a shared round (asking for one); `None`
    /// when none came within [`FALLBACK`].
    pub async fn next(&mut self) -> Option<Observation> {
        self.rx.borrow_and_update();
        self.shared.start();
        self.shared.due.notify_one();
        match tokio::time::timeout(FALLBACK, self.rx.changed()).await {
            Ok(Ok(())) => self.rx.borrow_and_update().clone(),
            _ => None,
        }
    }
}
