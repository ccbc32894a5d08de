//! How connections are let in and how they end: the connection limit, the shutdown
//! phases, and the DLI-job cancellations that must finish before the process exits.
//!
//! Owns: [`Limits`] (what each connection holds: a slot of `[server] max_connections`,
//! taken at its startup packet, with the bounded `connection_wait_ms` wait; the phase it
//! watches), [`Lifecycle`] (the server's side: the phase sender and the count of live
//! connections), and [`spawn_cancel`] (the DLI-job cancellations of abandoned statements,
//! counted so shutdown can wait for them). The connection loop that acts on all this is
//! [`super::conn`]; the listener that owns a [`Lifecycle`] is [`super::server`].
//!
//! Shutdown, as Postgres' SIGTERM but with a grace period: the listener stops accepting
//! ([`Phase::Draining`]); idle sessions are closed at once with FATAL 57P01, running
//! statements go on; when they have all ended (or `shutdown_grace_ms` has passed:
//! [`Phase::Closing`]) the statements still running are dropped — which cancels their
//! DLI jobs — and their sessions get FATAL 57P01.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc, watch};

/// How long shutdown waits, after closing, for connections to end and for the DLI-job
/// cancellations they started.
const SETTLE: Duration = Duration::from_secs(10);

/// Where the server is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    Serving,
    /// Not accepting: idle sessions close, running statements go on.
    Draining,
    /// The grace period is over: running statements are abandoned.
    Closing,
}

/// What every connection of a server shares.
#[derive(Clone)]
pub struct Limits {
    slots: Arc<Semaphore>,
    wait: Duration,
    idle_default_ms: u64,
    phase: watch::Receiver<Phase>,
    /// Held while the connection lives: shutdown waits for every copy to be dropped.
    _alive: mpsc::Sender<()>,
}

impl Limits {
    /// A session slot: at once, or within `connection_wait_ms`; `None` when the server
    /// stayed full.
    pub async fn admit(&self) -> Option<OwnedSemaphorePermit> {
        if let Ok(p) = self.slots.clone().try_acquire_owned() {
            return Some(p);
        }
        if self.wait.is_zero() {
            return None;
        }
        tokio::time::timeout(self.wait, self.slots.clone().acquire_owned())
            .await
            .ok()?
            .ok()
    }

    pub fn phase(&self) -> Phase {
        *self.phase.borrow()
    }

    /// Resolves once the server has reached `phase` (never, if the server is dropped
    /// without a shutdown).
    pub async fn reached(&self, phase: Phase) {
        let mut rx = self.phase.clone();
        if rx.wait_for(|p| *p >= phase).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// `[server] idle_session_timeout_ms`, for sessions that did not set their own.
    pub fn idle_default_ms(&self) -> u64 {
        self.idle_default_ms
    }
}

/// The server's handle on its connections' life.
pub struct Lifecycle {
    phase: watch::Sender<Phase>,
    alive: mpsc::Receiver<()>,
}

impl Lifecycle {
    /// `max` session slots; a login waits up to `wait` for one.
    pub fn new(max: usize, wait: Duration, idle_default_ms: u64) -> (Lifecycle, Limits) {
        let (phase, phase_rx) = watch::channel(Phase::Serving);
        let (alive_tx, alive) = mpsc::channel(1);
        let limits = Limits {
            slots: Arc::new(Semaphore::new(max)),
            wait,
            idle_default_ms,
            phase: phase_rx,
            _alive: alive_tx,
        };
        (Lifecycle { phase, alive }, limits)
    }

    /// Close every connection: idle ones at once, running statements after `grace`.
    /// Call once the listener has stopped (and dropped its [`Limits`]). Returns when
    /// every connection has ended and the DLI jobs they abandoned have been cancelled
    /// (each wait bounded).
    pub async fn shutdown(mut self, grace: Duration) {
        let _ = self.phase.send(Phase::Draining);
        let drained = tokio::time::timeout(grace, self.alive.recv()).await.is_ok();
        if !drained {
            tracing::info!(
                grace_ms = grace.as_millis() as u64,
                "shutdown grace period over: cancelling the statements still running"
            );
            let _ = self.phase.send(Phase::Closing);
            if tokio::time::timeout(SETTLE, self.alive.recv())
                .await
                .is_err()
            {
                tracing::warn!("connections still open after shutdown");
            }
        }
        cancels_settled(SETTLE).await;
    }
}

static PENDING_CANCELS: AtomicUsize = AtomicUsize::new(0);
static CANCELS_SETTLED: Notify = Notify::const_new();

/// Run a DLI-job cancellation in the background, counted until it ends.
pub fn spawn_cancel<F>(handle: &tokio::runtime::Handle, cancel: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    PENDING_CANCELS.fetch_add(1, Ordering::SeqCst);
    handle.spawn(async move {
        cancel.await;
        if PENDING_CANCELS.fetch_sub(1, Ordering::SeqCst) == 1 {
            CANCELS_SETTLED.notify_waiters();
        }
    });
}

/// Wait (at most `limit`) until no cancellation started by [`spawn_cancel`] is running.
pub async fn cancels_settled(limit: Duration) {
    let settled = async {
        loop {
            let notified = CANCELS_SETTLED.notified();
            if PENDING_CANCELS.load(Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    };
    if tokio::time::timeout(limit, settled).await.is_err() {
        tracing::warn!("DLI job cancellations still running at shutdown");
    }
}
