//! The DLI-job side of the router.
//!
//! Owns: describing a statement that needs DLI to learn its columns (a zero-row probe
//! while its values are unknown; otherwise running it once and keeping the result for
//! its Execute), running a job shared and reused as the session allows with its writes
//! recorded, and the catalog invalidation after a DDL job.

use super::super::answer::spark_fields;
use super::super::classify::DliKind;
use super::super::output::Field;
use super::super::params::{self, Param};
use super::super::plan::{Kind, Plan};
use super::super::reuse;
use super::super::runner::{Finished, JobContext, Outcome};
use super::super::session::Session;
use super::super::share;
use super::super::sharing::Written;
use super::Router;
use crate::dli::JobType;
use crate::errors::GatewayError;

impl Router {
    pub(super) async fn describe_job(
        &self,
        session: &Session,
        plan: &Plan,
        kind: &DliKind,
        values: Option<&[Param]>,
    ) -> Result<Vec<Field>, GatewayError> {
        if !kind.returns_rows() {
            return Ok(Vec::new());
        }
        if let Some(known) = plan.known_columns() {
            return Ok(known.to_vec());
        }
        if plan.params > 0 && values.is_none() {
            // The values are not known yet: a zero-row job with NULLs tells the columns.
            if *kind != DliKind::Query {
                return Ok(Vec::new());
            }
            let probe = format!(
                "SELECT * FROM ({}) AS gateway_describe LIMIT 0",
                params::spark_with_nulls(plan)
            );
            let finished = self.run_job(session, &probe, plan).await?;
            let columns = match finished.outcome {
                Outcome::Rows { columns, .. } => spark_fields(&columns),
                Outcome::Command { .. } => Vec::new(),
            };
            let _ = plan.learnt.set(columns.clone());
            return Ok(columns);
        }
        // Run it now and keep the result for the Execute that follows: it runs once.
        let spark = params::render_spark(plan, values.unwrap_or_default())?;
        let finished = self.run_job(session, &spark, plan).await?;
        self.after_job(session, kind, Self::ran_ddl(&finished))
            .await;
        let fields = match &finished.outcome {
            Outcome::Rows { columns, .. } => spark_fields(columns),
            Outcome::Command { .. } => Vec::new(),
        };
        session.stash(&spark, finished);
        Ok(fields)
    }

    /// After a DLI job: a DDL statement may have changed cached metadata.
    pub(super) async fn after_job(&self, session: &Session, kind: &DliKind, ran_ddl: bool) {
        if ran_ddl {
            self.runner.forget_checks();
            let ctx = self.catalog_context(session);
            self.catalogs
                .invalidate(session, kind.touches(), &ctx)
                .await;
        }
    }

    /// Run Spark SQL as a DLI job (the runner records its id on the statement's span):
    /// `plan`'s read-only queries shared and reused as the session allows, its writes
    /// recorded (when they start and end) so that no reuse outlives them.
    pub(super) async fn run_job(
        &self,
        session: &Session,
        sql: &str,
        plan: &Plan,
    ) -> Result<Finished, GatewayError> {
        let state = session.snapshot();
        let spec = share::spec_of(plan, session, &state, self.runner.config());
        let written = match &plan.kind {
            Kind::Dli { kind, spark } => reuse::writes_of(kind, spark.as_deref()),
            _ => Written::Everything,
        };
        let recent = &self.runner.sharing().recent;
        recent.wrote(&written);
        let ctx = JobContext {
            currentdb: state.currentdb,
            queue: state.queue,
            statement_timeout_ms: state.statement_timeout_ms,
            allow_truncated_results: state.allow_truncated_results,
        };
        let progress = session.progress_sink();
        let finished = match &session.backend {
            Some(b) => {
                self.runner
                    .with_backend(b.clone())
                    .run_shared(sql, &ctx, progress.as_ref(), &spec)
                    .await
            }
            None => {
                self.runner
                    .run_shared(sql, &ctx, progress.as_ref(), &spec)
                    .await
            }
        };
        recent.wrote(&written);
        finished
    }

    /// Whether DLI ran the job as DDL (neither a query nor an INSERT).
    pub(super) fn ran_ddl(finished: &Finished) -> bool {
        matches!(&finished.outcome, Outcome::Command { job_type, .. }
            if *job_type != JobType::Insert && *job_type != JobType::Query)
    }
}
