//! Cancelling the jobs replicas left running when they died.
//!
//! Owns: the start-up orphan sweep ([`Cluster::sweep_own_orphans`]: this replica's id,
//! an earlier incarnation) and the survivor's sweep ([`spawn_peer_sweeps`]): every
//! `[cluster] peer_sweep_interval_ms` each peer's health endpoint is asked for its
//! incarnation through a [`PeerProbe`] (HTTP is not this module's: the probe is wired
//! in by [`crate::app`]).
//! - A peer that answers: its jobs from other incarnations than the one it reports are
//!   orphans of an earlier run and are cancelled.
//! - A peer that has not answered `peer_dead_after` probes in a row is dead: its jobs
//!   that started before the first failed probe are cancelled (a replacement started
//!   since then keeps its own).
//!
//! All from DLI's job list by tag; the replicas share no other state.

use std::sync::Arc;

use async_trait::async_trait;

use super::cluster::{Cluster, INCARNATION_TAG, REPLICA_TAG, tag_value};
use crate::dli::JobTag;

/// Asks a peer which incarnation of it is running.
#[async_trait]
pub trait PeerProbe: Send + Sync + 'static {
    /// The incarnation the peer at `health_url` reports, or why it did not answer.
    async fn incarnation(&self, health_url: &str) -> Result<String, String>;
}

impl Cluster {
    /// Cancel the still-running jobs of this replica's earlier runs (when
    /// `[cluster] orphan_sweep`). Returns how many were cancelled.
    pub async fn sweep_own_orphans(&self) -> usize {
        if !self.cfg.orphan_sweep {
            return 0;
        }
        let mine = self.incarnation().to_string();
        let n = self
            .sweep_replica(self.replica_id(), |j| {
                tag_value(j, INCARNATION_TAG) != Some(mine.as_str())
            })
            .await;
        if n > 0 {
            tracing::info!(
                cancelled = n,
                "start-up sweep: cancelled the jobs of this replica's earlier runs"
            );
        }
        n
    }

    /// Cancel the live jobs tagged with replica `id` that `orphan` selects.
    async fn sweep_replica(
        &self,
        id: &str,
        orphan: impl Fn(&crate::dli::JobStatus) -> bool,
    ) -> usize {
        let jobs: Vec<_> = self
            .live_jobs(&JobTag::new(REPLICA_TAG, id))
            .await
            .into_iter()
            .filter(|j| orphan(j))
            .collect();
        self.cancel_all(&jobs, "orphan of a replica that is gone")
            .await
    }
}

/// What the sweep knows of one peer.
#[derive(Debug, Default)]
struct PeerWatch {
    failures: u32,
    /// Epoch ms of the first failed probe of the current run of failures.
    first_failure_ms: Option<i64>,
}

/// Start the survivor's sweep (nothing when no peer is configured or the interval is
/// 0). Abort the handle to stop it.
pub fn spawn_peer_sweeps(
    cluster: Arc<Cluster>,
    probe: Arc<dyn PeerProbe>,
) -> Option<tokio::task::JoinHandle<()>> {
    let interval = cluster.cfg.peer_sweep_interval_ms;
    if interval == 0 || cluster.cfg.peers.is_empty() {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut watches: Vec<PeerWatch> = cluster
            .cfg
            .peers
            .iter()
            .map(|_| PeerWatch::default())
            .collect();
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(interval));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            for (peer, watch) in cluster.cfg.peers.iter().zip(watches.iter_mut()) {
                sweep_peer(&cluster, probe.as_ref(), &peer.id, &peer.health_url, watch).await;
            }
        }
    }))
}

async fn sweep_peer(
    cluster: &Cluster,
    probe: &dyn PeerProbe,
    id: &str,
    url: &str,
    watch: &mut PeerWatch,
) {
    match probe.incarnation(url).await {
        Ok(live) => {
            *watch = PeerWatch::default();
            let n = cluster
                .sweep_replica(id, |j| {
                    tag_value(j, INCARNATION_TAG).is_some_and(|i| i != live)
                })
                .await;
            if n > 0 {
                tracing::info!(
                    peer = id,
                    cancelled = n,
                    "cancelled the jobs of a peer's earlier run"
                );
            }
        }
        Err(why) => {
            let now = chrono::Utc::now().timestamp_millis();
            let since = *watch.first_failure_ms.get_or_insert(now);
            watch.failures = watch.failures.saturating_add(1);
            tracing::debug!(peer = id, failures = watch.failures, why = %why, "peer probe failed");
            if watch.failures < cluster.cfg.peer_dead_after {
                return;
            }
            let n = cluster
                .sweep_replica(id, |j| j.start_time.is_some_and(|t| t < since))
                .await;
            if n > 0 {
                tracing::warn!(peer = id, cancelled = n, "peer is gone: cancelled its jobs");
            }
        }
    }
}
