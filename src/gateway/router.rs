//! The query router behind the protocol handlers.
//!
//! Owns: the three entry points a protocol needs — [`Router::prepare`] (plan one
//! statement and learn its types from cached metadata), [`Router::describe`] and
//! [`Router::execute`] — plus [`Router::simple_query`] (plan + execute per statement),
//! every statement's span, log line and metrics (through [`super::stmtlog`]), and what
//! happens after a DLI job (catalog invalidation, in [`jobs`] with the rest of the job
//! side); which catalog answers a session is [`super::catalogs`]'.
//! Everything it returns is protocol-neutral ([`super::output`]); it imports nothing
//! from pgwire. Statements are read once, by [`super::plan::plan`].

use std::collections::HashMap;
use std::sync::Arc;

use postgres_types::Type;
use tracing::Instrument;

use super::answer::{constant_fields, job_output, local_output, rows_output};
use super::catalog_hook::{CatalogContext, CatalogService, Described, IdentityCatalogs};
use super::catalogs::Catalogs;
use super::clock::SparkClock;
use super::cursor::{Count, Cursor, CursorCmd};
use super::local::{self, ServerFacts};
use super::output::{CommandTag, Counted, Field, Output, Rows};
use super::params::{self, Param};
use super::plan::{self, Kind, Plan};
use super::runner::{JobBackend, Runner};
use super::session::{Session, SessionState};
use crate::errors::{ErrorKind, GatewayError};
use crate::pgsql::Lexed;

mod jobs;

/// Routes statements for every connection.
pub struct Router {
    runner: Runner,
    facts: ServerFacts,
    catalogs: Catalogs,
    /// The queue's Spark time zone, when configured: clock functions are answered here.
    clock: Option<SparkClock>,
}

/// Who logged in, as the protocol layer saw it.
#[derive(Default)]
pub struct Login {
    pub user: Option<String>,
    pub database: Option<String>,
    /// Startup parameters (`application_name`, `options`, `statement_timeout` …).
    pub params: HashMap<String, String>,
    /// The login's own DLI backend (DLI-credential passthrough).
    pub backend: Option<Arc<dyn JobBackend>>,
    /// The catalog of the login's own DLI identity (DLI-credential passthrough).
    pub catalog: Option<Arc<dyn CatalogService>>,
    /// The cancel key the client was given.
    pub cancel_key: Option<super::cluster::CancelKey>,
}

impl Router {
    pub fn new(runner: Runner, facts: ServerFacts) -> Self {
        let clock = runner
            .config()
            .spark_time_zone
            .as_deref()
            .and_then(SparkClock::parse);
        Self {
            runner,
            facts,
            catalogs: Catalogs::default(),
            clock,
        }
    }

    /// Answer catalog queries (and describe user queries) with `catalog`.
    pub fn with_catalog(mut self, catalog: Arc<dyn CatalogService>) -> Self {
        self.catalogs.shared = Some(catalog);
        self
    }

    /// Give each `dli-passthrough` identity a catalog of its own from `identities`.
    pub fn with_identity_catalogs(mut self, identities: Arc<dyn IdentityCatalogs>) -> Self {
        self.catalogs.identities = Some(identities);
        self
    }

    /// The identities' catalogs, for the passthrough logins that pick theirs.
    pub fn identity_catalogs(&self) -> Option<Arc<dyn IdentityCatalogs>> {
        self.catalogs.identities.clone()
    }

    /// How often a running statement checks that its client is still there.
    pub fn heartbeat(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.runner.config().heartbeat_ms.max(10))
    }

    /// This replica's place in the cluster, when `[cluster]` is on.
    pub fn cluster(&self) -> Option<Arc<super::cluster::Cluster>> {
        self.runner.cluster().cloned()
    }

    pub fn facts(&self) -> &ServerFacts {
        &self.facts
    }

    /// A new session for a login, with its startup settings applied.
    pub fn open_session(&self, login: Login) -> Session {
        let user = login.user.unwrap_or_else(|| self.facts.user.clone());
        let database = login.database.unwrap_or_else(|| user.clone());
        let mut settings = std::collections::BTreeMap::new();
        if !self.facts.standard_conforming_strings {
            settings.insert("standard_conforming_strings".to_string(), "off".to_string());
        }
        if let Some(app) = login.params.get("application_name") {
            settings.insert("application_name".to_string(), app.clone());
        }
        let mut session = Session::with_backend(
            SessionState {
                user,
                database,
                currentdb: self.facts.default_database.clone(),
                queue: self.facts.default_queue.clone(),
                statement_timeout_ms: self.facts.default_timeout_ms,
                idle_session_timeout_ms: self.facts.default_idle_timeout_ms,
                allow_truncated_results: self.facts.allow_truncated_results,
                progress_notices: self.facts.progress_notices,
                settings,
            },
            login.backend,
        );
        session.cancel_key = login.cancel_key;
        session.catalog = login.catalog;
        local::apply_startup(&session, &login.params);
        session
    }

    /// The catalog's view of a session.
    pub fn catalog_context(&self, session: &Session) -> CatalogContext {
        let state = session.snapshot();
        CatalogContext {
            currentdb: state.currentdb.clone(),
            user: state.user.clone(),
            settings: local::session_values(state, &self.facts),
            cursors: session.cursors.open(),
        }
    }

    /// Plan one statement: see [`plan::plan`]. A statement bound for DLI whose Spark text
    /// still divides (a `/` left as Spark's exact division because a column's type was not
    /// cached) has the columns of the databases it reads loaded, and is planned again
    /// when that taught the catalog anything: integer division keeps Postgres' meaning
    /// from a session's first statement on, not only after a catalog query.
    pub async fn plan(&self, session: &Session, lexed: Lexed) -> Plan {
        let currentdb = session.currentdb();
        let catalog = self.catalogs.of(session);
        let mut plan = plan::plan_in(lexed, catalog.map(Arc::as_ref), &currentdb);
        if let (Some(c), Kind::Dli { spark: Some(s), .. }) = (catalog, &plan.kind)
            && plan.spark.divides()
            && c.load_columns(s, &self.catalog_context(session)).await
        {
            plan = plan::plan_in(plan.lexed.clone(), Some(c.as_ref()), &currentdb);
        }
        if self.clock.is_none() {
            plan.clocks_to_dli();
        }
        plan
    }

    /// The extended protocol's Parse: exactly one statement (`None` for an empty one),
    /// planned, with its parameter and result types learnt from cached metadata.
    pub async fn prepare(
        &self,
        session: &Session,
        sql: &str,
    ) -> Result<Option<Plan>, GatewayError> {
        let mut pieces = lex(session, sql);
        let lexed = match pieces.len() {
            0 => return Ok(None),
            1 => pieces.remove(0),
            _ => {
                return Err(GatewayError::new(
                    ErrorKind::Syntax,
                    "cannot insert multiple commands into a prepared statement",
                ));
            }
        };
        let mut plan = self.plan(session, lexed).await;
        let ctx = || self.catalog_context(session);
        let learnt = match (&plan.kind, self.catalogs.of(session)) {
            (Kind::Catalog(stmt), Some(c)) => {
                c.describe_catalog(plan.sql(), stmt, &ctx()).await.ok()
            }
            (Kind::Refresh(_), _) => Some(Described {
                params: Vec::new(),
                columns: refresh_fields(),
            }),
            (
                Kind::Dli {
                    kind,
                    spark: Some(s),
                },
                Some(c),
            ) if kind.returns_rows() || plan.params > 0 => c.describe_user(s, &ctx()).await,
            _ => None,
        };
        plan::merge_described(&mut plan, learnt);
        Ok(Some(plan))
    }

    /// The result columns of a statement (empty: it returns no rows), without running it
    /// where the gateway can tell (see [`super::extended`] for the order). `values` are
    /// the bound parameters when a portal is described.
    pub async fn describe(
        &self,
        session: &Session,
        plan: &Plan,
        values: Option<&[Param]>,
    ) -> Result<Vec<Field>, GatewayError> {
        match &plan.kind {
            Kind::Session(stmt) => Ok(local::columns(stmt)
                .into_iter()
                .map(|n| Field::pg(n, Type::TEXT))
                .collect()),
            Kind::Refresh(_) => Ok(refresh_fields()),
            Kind::Constant(row) => Ok(constant_fields(row)),
            Kind::Mixed { catalog, user } => Err(mixed(catalog, user)),
            Kind::Refused(e) => Err(e.clone()),
            // COPY answers with a CopyOutResponse, never a RowDescription.
            Kind::Copy { .. } | Kind::Declare { .. } => Ok(Vec::new()),
            Kind::Cursor(CursorCmd::Fetch { name, .. }) => {
                Ok(session.cursors.fields(name)?.as_ref().clone())
            }
            Kind::Cursor(CursorCmd::Move { .. }) => Ok(Vec::new()),
            Kind::Catalog(stmt) => match plan.known_columns() {
                Some(known) => Ok(known.to_vec()),
                None => {
                    let ctx = self.catalog_context(session);
                    let catalog = self.catalogs.required(session)?;
                    Ok(catalog
                        .describe_catalog(plan.sql(), stmt, &ctx)
                        .await?
                        .columns)
                }
            },
            Kind::Dli { kind, .. } => self.describe_job(session, plan, kind, values).await,
        }
    }

    /// Run a planned statement with its bound values (`None`: a simple query, whose
    /// text is run as written), in its `statement` span, ending with its log line.
    pub async fn execute(
        &self,
        session: &Session,
        plan: &Plan,
        values: Option<&[Param]>,
    ) -> Result<Output, GatewayError> {
        let span = super::stmtlog::span(session, plan);
        async {
            let started = std::time::Instant::now();
            let result = self.run_plan(session, plan, values).await;
            super::stmtlog::done(plan, started, &result);
            result
        }
        .instrument(span)
        .await
    }

    async fn run_plan(
        &self,
        session: &Session,
        plan: &Plan,
        values: Option<&[Param]>,
    ) -> Result<Output, GatewayError> {
        match &plan.kind {
            Kind::Session(stmt) => Ok(local_output(local::answer(stmt, session, &self.facts)?)),
            Kind::Refresh(db) => Ok(rows_output(
                self.catalogs.required(session)?.refresh(db.clone()).await?,
            )),
            Kind::Constant(row) => {
                let at = SparkClock::now();
                let values = row
                    .iter()
                    .map(|c| c.value_at(self.clock.as_ref(), at))
                    .collect();
                Ok(Output::rows(constant_fields(row), vec![values], None))
            }
            Kind::Mixed { catalog, user } => Err(mixed(catalog, user)),
            Kind::Refused(e) => Err(e.clone()),
            Kind::Declare { name, hold, query } => {
                let rows = self
                    .rows_of(session, query, values, "DECLARE CURSOR")
                    .await?;
                let statement = plan.lexed.text().trim().to_string();
                session
                    .cursors
                    .declare(name, Cursor::new(rows, *hold, statement))?;
                Ok(Output::command(CommandTag::plain("DECLARE CURSOR"), None))
            }
            Kind::Cursor(CursorCmd::Fetch {
                name,
                count: Count::All,
            }) => Ok(Output::Rows(session.cursors.fetch_all(name)?)),
            Kind::Cursor(CursorCmd::Fetch { name, count }) => {
                Ok(Output::Rows(session.cursors.fetch(name, *count).await?.0))
            }
            Kind::Cursor(CursorCmd::Move { name, count }) => {
                let moved = session.cursors.fetch(name, *count).await?.1;
                let tag = CommandTag {
                    name: "MOVE".into(),
                    counted: Counted::Rows,
                };
                Ok(Output::command(tag, Some(moved as u64)))
            }
            Kind::Copy { query, format } => {
                let rows = self.rows_of(session, query, values, "COPY").await?;
                Ok(Output::Copy(rows, format.clone()))
            }
            Kind::Catalog(stmt) => {
                let ctx = self.catalog_context(session);
                let rows = match values.filter(|_| plan.params > 0) {
                    Some(v) => {
                        let bound = params::substitute(stmt, v)?;
                        let text = bound.to_string();
                        self.catalogs
                            .required(session)?
                            .answer(&text, &bound, &ctx)
                            .await?
                    }
                    None => {
                        self.catalogs
                            .required(session)?
                            .answer(plan.sql(), stmt, &ctx)
                            .await?
                    }
                };
                Ok(rows_output(rows))
            }
            Kind::Dli { kind, .. } => {
                let spark = match values {
                    Some(v) => params::render_spark(plan, v)?,
                    None => plan.spark_sql.clone(),
                };
                let finished = match session.take_stashed(&spark) {
                    Some(f) => {
                        super::stmtlog::job_id(&f.job_id);
                        f
                    }
                    None => {
                        let f = self.run_job(session, &spark, plan).await?;
                        self.after_job(session, kind, Self::ran_ddl(&f)).await;
                        f
                    }
                };
                job_output(plan, kind, finished)
            }
        }
    }

    /// Every statement of a simple-query message, planned and run in turn; stops at the
    /// first error, which is the last result (as Postgres does). Empty: no statement.
    pub async fn simple_query(
        &self,
        session: &Session,
        message: &str,
    ) -> Vec<Result<Output, GatewayError>> {
        let mut out = Vec::new();
        for lexed in lex(session, message) {
            let plan = self.plan(session, lexed).await;
            let result = self.execute(session, &plan, None).await;
            let failed = result.is_err();
            out.push(result);
            if failed {
                break;
            }
        }
        out
    }

    /// The rows of the query inside `COPY` or `DECLARE` (`what`).
    async fn rows_of(
        &self,
        session: &Session,
        query: &Plan,
        values: Option<&[Param]>,
        what: &str,
    ) -> Result<Rows, GatewayError> {
        match Box::pin(self.run_plan(session, query, values)).await? {
            Output::Rows(rows) => Ok(rows),
            _ => Err(GatewayError::new(
                ErrorKind::NotSupported,
                format!("{what} needs a query that returns rows"),
            )),
        }
    }
}

fn refresh_fields() -> Vec<Field> {
    vec![Field::pg("dli_catalog_refresh", Type::TEXT)]
}

fn mixed(catalog: &str, user: &str) -> GatewayError {
    GatewayError::new(
        ErrorKind::NotSupported,
        format!("a statement cannot read both the catalog relation {catalog} and the DLI table {user}"),
    )
    .with_hint(
        "Catalog relations are answered by the gateway, DLI tables by DLI jobs: query them separately.",
    )
}

/// A message split into statements with the session's string-literal rules.
fn lex(session: &Session, message: &str) -> Vec<Lexed> {
    if session.standard_conforming_strings() {
        Lexed::split(message)
    } else {
        Lexed::split(&crate::pgsql::escapes::backslash_strings(message))
    }
}
