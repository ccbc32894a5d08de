//! CancelRequests in a cluster of replicas, on pgwire's side.
//!
//! Owns: [`GatewayCancel`] (a CancelRequest for a session of this process cancels it
//! at once, as before; one for a session this process does not know is looked up
//! through DLI by its `pg_cancel` tag, see [`super::cluster`]) and [`ClusterPids`]
//! (process ids with a per-replica prefix, so two replicas seldom hand out the same
//! pid; the random secret key makes a full collision of cancel keys negligible).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use pgwire::api::cancel::CancelHandler;
use pgwire::api::{
    ClientInfo, ConnectionManager, PidSecretKeyGenerator, RandomPidSecretKeyGenerator,
};
use pgwire::messages::cancel::CancelRequest;
use pgwire::messages::startup::SecretKey;

use super::cluster::{CancelKey, Cluster};

/// Listings for a session's job when the first finds none (the owning replica may still
/// be submitting it).
const REMOTE_ATTEMPTS: u32 = 3;
const REMOTE_PAUSE: Duration = Duration::from_millis(300);

/// The cancel key of a request or a session.
pub fn cancel_key(pid: i32, secret: &SecretKey) -> CancelKey {
    CancelKey {
        pid,
        secret: secret.to_bytes().to_vec(),
    }
}

/// The gateway's cancel handler.
pub struct GatewayCancel {
    manager: Arc<ConnectionManager>,
    cluster: Option<Arc<Cluster>>,
}

impl GatewayCancel {
    pub fn new(manager: Arc<ConnectionManager>, cluster: Option<Arc<Cluster>>) -> Self {
        Self { manager, cluster }
    }
}

#[async_trait]
impl CancelHandler for GatewayCancel {
    async fn on_cancel_request(&self, request: CancelRequest) {
        if self.manager.cancel(request.pid, &request.secret_key).await {
            return;
        }
        let Some(cluster) = &self.cluster else {
            return;
        };
        let key = cancel_key(request.pid, &request.secret_key);
        for attempt in 1..=REMOTE_ATTEMPTS {
            let n = cluster.cancel_remote(&key).await;
            if n > 0 {
                tracing::info!(
                    pid = request.pid,
                    cancelled = n,
                    "cancel request for another replica's session: its DLI job cancelled"
                );
                return;
            }
            if attempt < REMOTE_ATTEMPTS {
                tokio::time::sleep(REMOTE_PAUSE).await;
            }
        }
        tracing::debug!(
            pid = request.pid,
            "cancel request: no session here and no running job with its tag"
        );
    }
}

/// Process ids `prefix << 20 | counter`, the prefix from the replica id (1..=2000).
pub struct ClusterPids {
    prefix: i32,
    next: AtomicU32,
    secrets: RandomPidSecretKeyGenerator,
}

impl ClusterPids {
    pub fn new(replica_id: &str) -> Self {
        // FNV-1a: stable across builds and platforms.
        let mut h: u32 = 0x811c_9dc5;
        for b in replica_id.bytes() {
            h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
        }
        Self {
            prefix: 1 + (h % 2000) as i32,
            next: AtomicU32::new(1),
            secrets: RandomPidSecretKeyGenerator::default(),
        }
    }
}

impl PidSecretKeyGenerator for ClusterPids {
    fn generate(&self, client: &dyn ClientInfo) -> (i32, SecretKey) {
        let (_, secret) = self.secrets.generate(client);
        let n = self.next.fetch_add(1, Ordering::Relaxed) & 0xF_FFFF;
        ((self.prefix << 20) | n as i32, secret)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pids_are_positive_and_prefixed_per_replica() {
        let a = super::ClusterPids::new("gw-a");
        let b = super::ClusterPids::new("gw-b");
        assert_ne!(a.prefix, b.prefix);
        for p in [&a, &b] {
            let max = (p.prefix << 20) | 0xF_FFFF;
            assert!(p.prefix >= 1 && max > 0, "{}", p.prefix);
        }
        assert_eq!(super::ClusterPids::new("gw-a").prefix, a.prefix);
    }
}
