//! Per-connection session state.
//!
//! Owns: the DLI database a session runs in (`currentdb`), its queue, its statement
//! timeout and its other `SET` variables. Stored in pgwire's per-connection extensions,
//! dropped with the connection.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use std::sync::Arc;

use super::catalog_hook::CatalogService;
use super::cluster::CancelKey;
use super::cursor::Cursors;
use super::progress::ProgressSink;
use super::runner::{Finished, JobBackend};

/// A per-login DLI backend (e.g. a user's own DLI credentials), put into the
/// connection's extensions by the authentication step; sessions without one use the
/// gateway's shared backend and catalog.
pub struct SessionBackend {
    pub jobs: Arc<dyn JobBackend>,
    /// The catalog of the login's own DLI identity.
    pub catalog: Option<Arc<dyn CatalogService>>,
}

static NEXT_SESSION: AtomicU64 = AtomicU64::new(1);

/// A session's mutable settings.
#[derive(Debug, Clone)]
pub struct SessionState {
    /// The Postgres user name of the login.
    pub user: String,
    /// The Postgres database name the client asked for (accepted; it does not select
    /// anything: the connection is to the whole DLI project).
    pub database: String,
    pub currentdb: String,
    pub queue: Option<String>,
    pub statement_timeout_ms: u64,
    /// Close the session after this long idle (0: never; `SET idle_session_timeout`).
    pub idle_session_timeout_ms: u64,
    /// Send a result larger than the preview truncated, with a warning, instead of failing.
    pub allow_truncated_results: bool,
    /// NOTICEs report the progress of the DLI job a statement waits for.
    pub progress_notices: bool,
    pub settings: BTreeMap<String, String>,
}

/// One client connection's session.
pub struct Session {
    pub id: u64,
    state: Mutex<SessionState>,
    /// This session's own DLI backend, when its login carried DLI credentials.
    pub backend: Option<Arc<dyn JobBackend>>,
    /// The catalog of the login's own DLI identity, when it has one.
    pub catalog: Option<Arc<dyn CatalogService>>,
    /// The cancel key its client was given (its jobs' `pg_cancel` tag).
    pub cancel_key: Option<CancelKey>,
    /// Open SQL cursors (`DECLARE … CURSOR`).
    pub cursors: Cursors,
    /// Results of statements run at Describe, waiting for their Execute.
    stashed: Mutex<Vec<(String, Finished)>>,
    /// Where the statement now running reports its DLI job's progress: the client's
    /// handler listens while the statement waits (see [`super::pg_handlers`]).
    progress: Mutex<Option<ProgressSink>>,
}

/// How many described-but-not-executed results a session keeps.
const MAX_STASHED: usize = 8;

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("id", &self.id).finish()
    }
}

impl Session {
    pub fn new(initial: SessionState) -> Self {
        Self::with_backend(initial, None)
    }

    /// A session whose statements run on `backend` instead of the shared one.
    pub fn with_backend(initial: SessionState, backend: Option<Arc<dyn JobBackend>>) -> Self {
        Self {
            backend,
            catalog: None,
            cancel_key: None,
            id: NEXT_SESSION.fetch_add(1, Ordering::Relaxed),
            state: Mutex::new(initial),
            stashed: Mutex::new(Vec::new()),
            cursors: Cursors::default(),
            progress: Mutex::new(None),
        }
    }

    /// A copy of the current state.
    pub fn snapshot(&self) -> SessionState {
        match self.state.lock() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The DLI database the session runs in, without copying the rest of its state.
    pub fn currentdb(&self) -> String {
        match self.state.lock() {
            Ok(s) => s.currentdb.clone(),
            Err(poisoned) => poisoned.into_inner().currentdb.clone(),
        }
    }

    /// Whether `'…'` literals read backslashes literally (`standard_conforming_strings`,
    /// on unless the session turned it off).
    pub fn standard_conforming_strings(&self) -> bool {
        self.snapshot()
            .settings
            .get("standard_conforming_strings")
            .and_then(|v| crate::settings::parse_bool(v))
            .unwrap_or(true)
    }

    /// Change the state.
    pub fn update<R>(&self, f: impl FnOnce(&mut SessionState) -> R) -> R {
        match self.state.lock() {
            Ok(mut s) => f(&mut s),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// The client listens for progress reports (`Some`) or stopped listening (`None`).
    pub fn listen_progress(&self, sink: Option<ProgressSink>) {
        *lock(&self.progress) = sink;
    }

    /// Where a statement reports its progress: `None` when nobody listens or the session
    /// turned progress notices off.
    pub fn progress_sink(&self) -> Option<ProgressSink> {
        if !self.snapshot().progress_notices {
            return None;
        }
        lock(&self.progress).clone()
    }

    /// Keep the result of a statement run at Describe for the Execute that follows.
    pub fn stash(&self, sql: &str, finished: Finished) {
        let mut v = lock(&self.stashed);
        v.retain(|(s, _)| s != sql);
        if v.len() >= MAX_STASHED {
            v.remove(0);
        }
        v.push((sql.to_string(), finished));
    }

    /// Take the stashed result of `sql`, if Describe ran it.
    pub fn take_stashed(&self, sql: &str) -> Option<Finished> {
        let mut v = lock(&self.stashed);
        let pos = v.iter().position(|(s, _)| s == sql)?;
        Some(v.remove(pos).1)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}
