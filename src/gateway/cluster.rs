//! Several gateway replicas on one DLI project, with DLI as their only shared state.
//!
//! Owns: the `[cluster]` section ([`ClusterConfig`]), the tags a replica puts on every
//! job it submits ([`Cluster::job_tags`]), and finding a session's jobs by its cancel
//! key ([`Cluster::cancel_remote`]). The sweeps that cancel the jobs of dead replicas
//! are [`super::sweep`]'s; the cancel handler and the cancel-key generator wired into
//! pgwire are [`super::cancel`]'s.
//!
//! Every job carries three tags (within the rules of [`crate::dli::tags`]):
//! - `pg_cancel`: the first 40 hex digits of HMAC-SHA256, under the cluster secret, of
//!   the session's cancel key (process id and secret key). Any replica holding the same
//!   secret computes it from a CancelRequest; the secret key never leaves the process.
//! - `pg_replica`: the replica's configured id (stable across restarts);
//! - `pg_incarnation`: this run of the replica (its start time in ms and a random
//!   suffix), so a restarted replica tells its earlier runs' jobs from its own.
//!
//! DLI's tag filter is documented as fuzzy, so every listing here only narrows the
//! search: a job is acted on only when it carries the exact tag.

use std::sync::Arc;

use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::Sha256;

use super::backend::JobBackend;
use crate::dli::{JobStatus, JobTag, ListJobsQuery};

/// Tag key of a session's keyed cancel-key hash.
pub const CANCEL_TAG: &str = "pg_cancel";
/// Tag key of the submitting replica's id.
pub const REPLICA_TAG: &str = "pg_replica";
/// Tag key of the submitting replica's run.
pub const INCARNATION_TAG: &str = "pg_incarnation";
/// Hex digits of the HMAC kept in the `pg_cancel` tag (160 bits).
const CANCEL_HEX: usize = 40;
/// The states in which a job can still be cancelled.
const LIVE_STATES: [&str; 3] = ["RUNNING", "LAUNCHING", "SCALING"];
/// Pages of 100 jobs listed per state and sweep at most.
const MAX_PAGES: u32 = 20;
/// Shortest cluster secret accepted.
const MIN_SECRET: usize = 16;

/// Another replica, for the survivor's sweep.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct PeerConfig {
    /// Its `[cluster] replica_id`.
    pub id: String,
    /// Base URL of its health endpoint (its `[metrics] listen`), e.g. `http://gw-b:9187`.
    pub health_url: String,
}

/// The `[cluster]` section: off unless `secret` is set.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterConfig {
    /// Shared by every replica (at least 16 characters; `DLIGW__CLUSTER__SECRET`).
    pub secret: String,
    /// This replica's id, stable across restarts, unique in the cluster.
    pub replica_id: String,
    /// At start-up, cancel the still-running jobs of this replica's earlier runs.
    pub orphan_sweep: bool,
    /// The other replicas; each is probed every `peer_sweep_interval_ms`.
    pub peers: Vec<PeerConfig>,
    /// 0: no peer sweep.
    pub peer_sweep_interval_ms: u64,
    /// Failed probes in a row after which a peer counts as dead and its jobs are
    /// cancelled.
    pub peer_dead_after: u32,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            secret: String::new(),
            replica_id: String::new(),
            orphan_sweep: true,
            peers: Vec::new(),
            peer_sweep_interval_ms: 10_000,
            peer_dead_after: 2,
        }
    }
}

impl std::fmt::Debug for ClusterConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterConfig")
            .field("secret", &"<redacted>")
            .field("replica_id", &self.replica_id)
            .field("orphan_sweep", &self.orphan_sweep)
            .field("peers", &self.peers)
            .field("peer_sweep_interval_ms", &self.peer_sweep_interval_ms)
            .field("peer_dead_after", &self.peer_dead_after)
            .finish()
    }
}

impl ClusterConfig {
    pub fn enabled(&self) -> bool {
        !self.secret.is_empty()
    }

    pub fn validate(&self) -> Result<(), String> {
        if !self.enabled() {
            return Ok(());
        }
        if self.secret.chars().count() < MIN_SECRET {
            return Err(format!(
                "[cluster] secret must be at least {MIN_SECRET} characters"
            ));
        }
        let mut ids = vec![self.replica_id.as_str()];
        ids.extend(self.peers.iter().map(|p| p.id.as_str()));
        for id in &ids {
            if let Some(why) = crate::dli::tag_problem(&[JobTag::new(REPLICA_TAG, *id)]) {
                return Err(format!("[cluster] replica id {id:?}: {why}"));
            }
            if id.is_empty() {
                return Err("[cluster] replica_id (and every peer's id) must be set".into());
            }
        }
        if let Some(p) = self.peers.iter().find(|p| p.id == self.replica_id) {
            return Err(format!("[cluster] peer {:?} has this replica's id", p.id));
        }
        if self.peer_dead_after == 0 {
            return Err("[cluster] peer_dead_after must be at least 1".into());
        }
        Ok(())
    }
}

/// A session's cancel key as a CancelRequest carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelKey {
    pub pid: i32,
    /// The secret key's bytes (a 32-bit key as 4 big-endian bytes).
    pub secret: Vec<u8>,
}

/// This replica's place in the cluster.
pub struct Cluster {
    pub(super) cfg: ClusterConfig,
    incarnation: String,
    pub(super) backend: Arc<dyn JobBackend>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("replica_id", &self.cfg.replica_id)
            .field("incarnation", &self.incarnation)
            .finish_non_exhaustive()
    }
}

impl Cluster {
    /// `None` when `[cluster]` is off. `backend` is the gateway's own DLI identity: it
    /// lists and cancels the jobs of every session.
    pub fn new(cfg: &ClusterConfig, backend: Arc<dyn JobBackend>) -> Option<Arc<Cluster>> {
        if !cfg.enabled() {
            return None;
        }
        let started = chrono::Utc::now().timestamp_millis();
        let suffix = &uuid::Uuid::new_v4().simple().to_string()[..8];
        Some(Arc::new(Cluster {
            cfg: cfg.clone(),
            incarnation: format!("{started}-{suffix}"),
            backend,
        }))
    }

    pub fn replica_id(&self) -> &str {
        &self.cfg.replica_id
    }

    /// This run's id (the `pg_incarnation` tag and the `/live` answer).
    pub fn incarnation(&self) -> &str {
        &self.incarnation
    }

    /// The `pg_cancel` tag value of a cancel key.
    pub fn cancel_tag(&self, key: &CancelKey) -> String {
        // HMAC takes keys of any length: this cannot fail.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(self.cfg.secret.as_bytes()) else {
            return String::new();
        };
        mac.update(b"dli-pg-gateway cancel key\0");
        mac.update(&key.pid.to_be_bytes());
        mac.update(&key.secret);
        let digest = mac.finalize().into_bytes();
        let mut hex = String::with_capacity(CANCEL_HEX);
        for b in digest.iter() {
            hex.push_str(&format!("{b:02x}"));
        }
        hex.truncate(CANCEL_HEX);
        hex
    }

    /// The tags of a job submitted for the session with cancel key `key`.
    pub fn job_tags(&self, key: Option<&CancelKey>) -> Vec<JobTag> {
        let mut tags = vec![
            JobTag::new(REPLICA_TAG, self.cfg.replica_id.as_str()),
            JobTag::new(INCARNATION_TAG, self.incarnation.as_str()),
        ];
        if let Some(key) = key {
            tags.push(JobTag::new(CANCEL_TAG, self.cancel_tag(key)));
        }
        tags
    }

    /// Cancel the running jobs of the session with cancel key `key`, wherever it lives.
    /// Returns how many were cancelled.
    pub async fn cancel_remote(&self, key: &CancelKey) -> usize {
        let tag = JobTag::new(CANCEL_TAG, self.cancel_tag(key));
        let jobs = self.live_jobs(&tag).await;
        self.cancel_all(&jobs, "cancel request for a session of another replica")
            .await
    }

    /// The jobs in a cancellable state that carry exactly `tag`.
    pub(super) async fn live_jobs(&self, tag: &JobTag) -> Vec<JobStatus> {
        let mut found = Vec::new();
        for state in LIVE_STATES {
            for page in 1..=MAX_PAGES {
                let query = ListJobsQuery {
                    page_size: Some(100),
                    current_page: Some(page),
                    job_status: Some(state.to_string()),
                    tags: vec![tag.clone()],
                    ..Default::default()
                };
                let list = match self.backend.list_jobs(&query).await {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::warn!(error = %e, tag = tag.key, "listing jobs by tag failed");
                        break;
                    }
                };
                let listed = list.jobs.len();
                found.extend(list.jobs.into_iter().filter(|j| {
                    j.tags
                        .iter()
                        .any(|t| t.key == tag.key && t.value == tag.value)
                }));
                let total = list.job_count.unwrap_or(0);
                if listed < 100 || i64::from(page) * 100 >= total {
                    break;
                }
            }
        }
        found
    }

    /// Cancel each job; the number whose cancel DLI accepted.
    pub(super) async fn cancel_all(&self, jobs: &[JobStatus], why: &str) -> usize {
        let mut cancelled = 0;
        for job in jobs {
            match self.backend.cancel_job(&job.job_id).await {
                Ok(()) => {
                    cancelled += 1;
                    crate::metrics::dli_job_ended("gateway_cancelled");
                    tracing::info!(job_id = job.job_id, why, "cancelled DLI job");
                }
                Err(e) => {
                    tracing::warn!(job_id = job.job_id, error = %e, why, "could not cancel DLI job")
                }
            }
        }
        cancelled
    }
}

/// The value of `key` among a job's tags.
pub(super) fn tag_value<'a>(job: &'a JobStatus, key: &str) -> Option<&'a str> {
    job.tags
        .iter()
        .find(|t| t.key == key)
        .map(|t| t.value.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(secret: &str) -> ClusterConfig {
        ClusterConfig {
            secret: secret.into(),
            replica_id: "gw-a".into(),
            ..Default::default()
        }
    }

    struct NoDli;
    #[async_trait::async_trait]
    impl JobBackend for NoDli {
        async fn check_sql(
            &self,
            _: &str,
            _: &str,
        ) -> Result<crate::dli::CheckSqlResponse, crate::dli::DliError> {
            unreachable!()
        }
        async fn submit_job(
            &self,
            _: &crate::dli::SubmitJobRequest,
        ) -> Result<crate::dli::SubmitJobResponse, crate::dli::DliError> {
            unreachable!()
        }
        async fn job_status(&self, _: &str) -> Result<JobStatus, crate::dli::DliError> {
            unreachable!()
        }
        async fn preview(
            &self,
            _: &str,
            _: u32,
            _: Option<&str>,
        ) -> Result<crate::dli::PreviewResponse, crate::dli::DliError> {
            unreachable!()
        }
        async fn cancel_job(&self, _: &str) -> Result<(), crate::dli::DliError> {
            unreachable!()
        }
        async fn export_result(
            &self,
            _: &str,
            _: &crate::dli::ExportResultRequest,
        ) -> Result<crate::dli::AsyncJobResponse, crate::dli::DliError> {
            unreachable!()
        }
    }

    #[test]
    fn cancel_tag_is_keyed_and_within_the_tag_rules() {
        let a = Cluster::new(&cfg("0123456789abcdef"), Arc::new(NoDli)).unwrap();
        let b = Cluster::new(&cfg("0123456789abcdef"), Arc::new(NoDli)).unwrap();
        let other = Cluster::new(&cfg("another secret!!"), Arc::new(NoDli)).unwrap();
        let key = CancelKey {
            pid: 1_048_577,
            secret: vec![0xde, 0xad, 0xbe, 0xef],
        };
        let tag = a.cancel_tag(&key);
        assert_eq!(tag.len(), CANCEL_HEX);
        assert_eq!(tag, b.cancel_tag(&key), "same secret, same tag");
        assert_ne!(tag, other.cancel_tag(&key), "keyed by the cluster secret");
        assert!(!tag.contains("deadbeef"), "the secret key is not in clear");
        let next = CancelKey {
            pid: 1_048_578,
            ..key.clone()
        };
        assert_ne!(tag, a.cancel_tag(&next));
        let tags = a.job_tags(Some(&key));
        assert_eq!(crate::dli::tag_problem(&tags), None, "{tags:?}");
        assert_ne!(a.incarnation(), b.incarnation());
    }

    #[test]
    fn config_rules() {
        assert!(ClusterConfig::default().validate().is_ok(), "off is fine");
        assert!(cfg("short").validate().is_err());
        assert!(cfg("0123456789abcdef").validate().is_ok());
        let mut c = cfg("0123456789abcdef");
        c.replica_id = "a b".into();
        assert!(c.validate().is_err());
        c.replica_id = String::new();
        assert!(c.validate().is_err());
        let mut c = cfg("0123456789abcdef");
        c.peers = vec![PeerConfig {
            id: "gw-a".into(),
            health_url: "http://x".into(),
        }];
        assert!(c.validate().is_err(), "a peer with our id");
        assert!(!format!("{c:?}").contains("0123456789abcdef"));
    }
}
