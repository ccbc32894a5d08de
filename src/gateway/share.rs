//! One DLI job for many identical read-only statements (in-flight sharing).
//!
//! Owns: the attach-or-start decision of [`Runner::run_shared`] and what a statement may
//! share ([`spec_of`]). What is shared is the job — check-sql, submit-job and the wait
//! for its end; each attached client then reads the finished job's result itself
//! (preview or the files in object storage, per job id), so every client streams the
//! whole result at its own pace. A client that goes away (cancel, timeout, disconnect)
//! detaches; the job is cancelled when the last one has gone (the shared future is
//! dropped, and with it the runner's cancel guard). Writes never get here. The registry
//! and the statement identity are [`super::sharing`]'s; result reuse is
//! [`super::reuse`]'s.

use std::sync::{Arc, Mutex, OnceLock};

use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::cluster::CancelKey;
use super::plan::{Kind, Plan};
use super::progress::{ProgressEvent, ProgressSink};
use super::runner::{Finished, JobContext, Runner, deadline_of};
use super::session::{Session, SessionState};
use super::sharing::{
    Entry, Fingerprint, JobFuture, REUSE_SETTING, ShareSpec, Sinks, Started, fingerprint_tag, lock,
};
use crate::dli::{JobState, JobType};
use crate::errors::GatewayError;

/// One client attached to a shared job: removes its progress sink when it goes.
struct Attached {
    sinks: Sinks,
    id: u64,
}

impl Drop for Attached {
    fn drop(&mut self) {
        lock(&self.sinks).retain(|(i, _)| *i != self.id);
    }
}

/// What lets `plan` share a job or reuse a result: read-only queries only, under the
/// session's DLI identity (its own credentials under `dli-passthrough`).
pub fn spec_of(
    plan: &Plan,
    session: &Session,
    state: &SessionState,
    cfg: &super::config::RunnerConfig,
) -> ShareSpec {
    let reads = match &plan.kind {
        Kind::Dli { kind, spark } => super::reuse::reads_of(kind, spark.as_deref()),
        _ => None,
    };
    let max_age_ms = state
        .settings
        .get(REUSE_SETTING)
        .and_then(|v| super::reuse::parse_max_age(v).ok())
        .unwrap_or(cfg.result_reuse_max_age_ms);
    ShareSpec {
        identity: match &session.backend {
            Some(_) => format!("user:{}", state.user),
            None => String::new(),
        },
        read_only: reads.is_some(),
        reads,
        reuse_max_age: std::time::Duration::from_millis(max_age_ms),
        cancel_key: session.cancel_key.clone(),
    }
}

impl Runner {
    /// Run a statement as [`Runner::run_reporting`] does, sharing and reusing as `spec`
    /// allows: a read-only query reuses a young enough identical result, else attaches to
    /// an identical job in flight, else starts one others may attach to.
    pub async fn run_shared(
        &self,
        sql: &str,
        ctx: &JobContext,
        progress: Option<&ProgressSink>,
        spec: &ShareSpec,
    ) -> Result<Finished, GatewayError> {
        let key = spec.cancel_key.as_ref();
        if !spec.read_only {
            return self.run_for(sql, ctx, progress, key).await;
        }
        let deadline = deadline_of(ctx);
        let fp = Fingerprint::of(
            sql,
            &ctx.currentdb,
            ctx.queue.as_deref(),
            &self.job_conf(ctx),
            &spec.identity,
        );
        if !spec.reuse_max_age.is_zero() {
            self.sharing.recent.want();
            if let Some(f) = self.reuse(&fp, spec, ctx, deadline).await {
                return Ok(f);
            }
        }
        let submitted = self.sharing.recent.mark();
        let started = if self.sharing.enabled {
            self.attach(sql, ctx, progress, &fp, deadline, key).await?
        } else {
            let mut tags = vec![fingerprint_tag(&fp)];
            tags.extend(self.cluster_tags(key));
            self.start(sql, ctx, deadline, progress, tags, None).await?
        };
        if let Started::Ended {
            job_id,
            job_type: JobType::Query,
            status,
        } = &started
            && status.status == JobState::Finished
        {
            self.sharing
                .recent
                .record(&fp, job_id, status, submitted, spec.reads.as_deref());
        }
        self.finish(started, ctx, deadline).await
    }

    /// Wait for the job of `fp`: the one in flight, or a new one.
    async fn attach(
        &self,
        sql: &str,
        ctx: &JobContext,
        progress: Option<&ProgressSink>,
        fp: &Fingerprint,
        deadline: Option<Instant>,
        key: Option<&CancelKey>,
    ) -> Result<Started, GatewayError> {
        let me = self.sharing.id();
        let (job, job_id, attached) = {
            let mut map = lock(&self.sharing.inflight);
            map.retain(|_, e| e.job.upgrade().is_some());
            let existing = map.get(fp).and_then(|e| {
                e.job
                    .upgrade()
                    .map(|j| (j, e.job_id.clone(), e.sinks.clone()))
            });
            match existing {
                Some((job, job_id, sinks)) => {
                    crate::metrics::job_sharing("attached");
                    tracing::info!(
                        job_id = job_id.get().map(String::as_str),
                        "attached to a DLI job in flight"
                    );
                    if let Some(p) = progress {
                        lock(&sinks).push((me, p.clone()));
                    }
                    (job, job_id, Attached { sinks, id: me })
                }
                None => {
                    let (job, job_id, sinks, entry) =
                        self.new_job(sql, ctx, progress.is_some(), fp, me, key);
                    if let Some(p) = progress {
                        lock(&sinks).push((me, p.clone()));
                    }
                    if let Some(entry) = entry {
                        map.insert(fp.clone(), entry);
                    }
                    (job, job_id, Attached { sinks, id: me })
                }
            }
        };
        let result = match deadline {
            Some(d) => match tokio::time::timeout_at(d, job).await {
                Ok(r) => r,
                Err(_) => Err(GatewayError::canceled(
                    "canceling statement due to statement timeout",
                )
                .with_detail(match job_id.get() {
                    Some(id) => format!("DLI job {id} was cancelled"),
                    None => "the DLI job was cancelled".to_string(),
                })),
            },
            None => job.await,
        };
        drop(attached);
        result
    }

    /// A new shared job for `fp`: submitted and waited for by whichever attached client
    /// polls it, cancelled when all of them have dropped it.
    fn new_job(
        &self,
        sql: &str,
        ctx: &JobContext,
        report: bool,
        fp: &Fingerprint,
        generation: u64,
        key: Option<&CancelKey>,
    ) -> (JobFuture, Arc<OnceLock<String>>, Sinks, Option<Entry>) {
        let job_id = Arc::new(OnceLock::new());
        let sinks: Sinks = Arc::new(Mutex::new(Vec::new()));
        // Progress of the one wait goes to every attached client still listening.
        let forward = report.then(|| {
            let (tx, mut rx) = mpsc::unbounded_channel::<ProgressEvent>();
            let sinks = sinks.clone();
            tokio::spawn(async move {
                while let Some(ev) = rx.recv().await {
                    for (_, s) in lock(&sinks).iter() {
                        let _ = s.send(ev.clone());
                    }
                }
            });
            tx
        });
        let runner = self.clone();
        let cluster_tags = self.cluster_tags(key);
        let (sql, ctx, fp2, slot) = (sql.to_string(), ctx.clone(), fp.clone(), job_id.clone());
        let fut: BoxFuture<'static, Result<Started, GatewayError>> = async move {
            let mut tags = vec![fingerprint_tag(&fp2)];
            tags.extend(cluster_tags);
            // Each client keeps its own statement deadline around the shared wait.
            let r = runner
                .start(&sql, &ctx, None, forward.as_ref(), tags, Some(&slot))
                .await;
            let mut map = lock(&runner.sharing.inflight);
            if map.get(&fp2).is_some_and(|e| e.generation == generation) {
                map.remove(&fp2);
            }
            r
        }
        .boxed();
        let job = fut.shared();
        // A future never polled always downgrades; if not, it is simply not shared.
        let entry = job.downgrade().map(|weak| Entry {
            job: weak,
            job_id: job_id.clone(),
            sinks: sinks.clone(),
            generation,
        });
        (job, job_id, sinks, entry)
    }
}
