//! The query router behind the pgwire handlers.
//!
//! Owns: splitting a simple-query message into statements, routing each one either to
//! the local answers ([`super::local`]) or to a DLI job ([`super::runner`]), the
//! per-statement tracing span, command tags, and turning outcomes into pgwire responses.

use std::sync::Arc;

use futures::stream;
use pgwire::api::results::{FieldFormat, FieldInfo, QueryResponse, Response, Tag};
use pgwire::api::{ClientInfo, Type};
use pgwire::error::ErrorInfo;
use sqlparser::ast::Statement;
use tracing::Instrument;

use super::catalog_hook::{CatalogContext, CatalogService, LocalRows};
use super::encode;
use super::local::{self, LocalAnswer, ServerFacts};
use super::runner::{Finished, JobContext, Outcome, Runner};
use super::session::{Session, SessionBackend, SessionState};
use crate::dli::JobType;
use crate::errors::GatewayError;
use crate::pgtypes::PgValue;
use crate::sparksql;

/// Routes statements for every connection.
pub struct Router {
    runner: Runner,
    facts: ServerFacts,
    catalog: Option<Arc<dyn CatalogService>>,
}

/// The longest SQL text put into a log span.
const SPAN_SQL_CHARS: usize = 200;

impl Router {
    pub fn new(runner: Runner, facts: ServerFacts) -> Self {
        Self {
            runner,
            facts,
            catalog: None,
        }
    }

    /// Answer catalog queries (and describe user queries) with `catalog`.
    pub fn with_catalog(mut self, catalog: Arc<dyn CatalogService>) -> Self {
        self.catalog = Some(catalog);
        self
    }

    pub fn catalog(&self) -> Option<&Arc<dyn CatalogService>> {
        self.catalog.as_ref()
    }

    /// The catalog's view of a session.
    pub fn catalog_context(&self, session: &Session) -> CatalogContext {
        CatalogContext {
            currentdb: session.snapshot().currentdb,
            user: self.facts.user.clone(),
            settings: local::session_values(session, &self.facts),
        }
    }

    /// How often a running statement checks that its client is still there.
    pub fn heartbeat(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.runner.config().heartbeat_ms.max(10))
    }

    pub fn facts(&self) -> &ServerFacts {
        &self.facts
    }

    /// The session of this connection, created on first use.
    pub fn session<C: ClientInfo>(&self, client: &C) -> Arc<Session> {
        let backend = client
            .session_extensions()
            .get::<SessionBackend>()
            .map(|b| b.0.clone());
        let meta = client.metadata();
        let user = meta
            .get("user")
            .cloned()
            .unwrap_or_else(|| self.facts.user.clone());
        let database = meta
            .get("database")
            .cloned()
            .unwrap_or_else(|| user.clone());
        let mut settings = std::collections::BTreeMap::new();
        if let Some(app) = meta.get("application_name") {
            settings.insert("application_name".to_string(), app.clone());
        }
        let mut created = false;
        let session = client.session_extensions().get_or_insert_with(|| {
            created = true;
            Session::with_backend(
                SessionState {
                    user,
                    database,
                    currentdb: self.facts.default_database.clone(),
                    queue: self.facts.default_queue.clone(),
                    statement_timeout_ms: self.facts.default_timeout_ms,
                    settings,
                },
                backend,
            )
        });
        if created {
            local::apply_startup(&session, meta);
        }
        session
    }

    /// Run every statement of a simple-query message; stop at the first error, which is
    /// returned as the last response (as Postgres does).
    pub async fn simple_query(&self, session: &Session, query: &str) -> Vec<Response> {
        let mut out = Vec::new();
        for sql in crate::pgsql::split(query) {
            match self.statement(session, &sql, &|_| FieldFormat::Text).await {
                Ok(r) => out.push(r),
                Err(e) => {
                    out.push(Response::Error(Box::new(error_info(e))));
                    break;
                }
            }
        }
        if out.is_empty() {
            out.push(Response::EmptyQuery);
        }
        out
    }

    /// One statement, local or on DLI.
    pub async fn statement(
        &self,
        session: &Session,
        sql: &str,
        format_for: &(dyn Fn(usize) -> FieldFormat + Sync),
    ) -> Result<Response, GatewayError> {
        self.statement_as(session, sql, None, format_for, None)
            .await
    }

    /// One statement (client text, Postgres rules), with its Spark translation when the
    /// caller already has it, and the result columns the client was told at Describe.
    pub async fn statement_as(
        &self,
        session: &Session,
        sql: &str,
        spark_sql: Option<Result<String, GatewayError>>,
        format_for: &(dyn Fn(usize) -> FieldFormat + Sync),
        described: Option<&[crate::dli::Column]>,
    ) -> Result<Response, GatewayError> {
        if let Some(answer) = local::answer(sql, session, &self.facts) {
            return local_response(answer?, format_for);
        }
        if let Some(rows) = self.catalog_answer(session, sql).await {
            return local_rows_response(rows?, format_for);
        }
        // Bound values are rendered for Spark only now that the statement goes to DLI.
        let spark_sql = match spark_sql {
            Some(rendered) => rendered?,
            None => crate::pgsql::to_spark(sql),
        };
        let finished = self.run_job(session, &spark_sql).await?;
        self.after_job(session, sql, &finished).await;
        respond_as(sql, finished, format_for, described)
    }

    /// After a DLI job: a DDL statement may have changed cached metadata.
    pub async fn after_job(&self, session: &Session, pg_sql: &str, finished: &Finished) {
        if let (Some(catalog), Outcome::Command { job_type, .. }) =
            (&self.catalog, &finished.outcome)
            && *job_type != JobType::Insert
            && *job_type != JobType::Query
        {
            catalog
                .invalidate_after(pg_sql, &self.catalog_context(session))
                .await;
        }
    }

    /// The catalog's answer, when `sql` is a catalog query.
    pub async fn catalog_answer(
        &self,
        session: &Session,
        sql: &str,
    ) -> Option<Result<LocalRows, GatewayError>> {
        let catalog = self.catalog.as_ref()?;
        catalog.answer(sql, &self.catalog_context(session)).await
    }

    /// Columns and parameter types of a user query from cached metadata, no job.
    pub async fn describe_locally(
        &self,
        session: &Session,
        sql: &str,
    ) -> Option<super::catalog_hook::Described> {
        let catalog = self.catalog.as_ref()?;
        catalog.describe(sql, &self.catalog_context(session)).await
    }

    /// Run `sql` as a DLI job inside a span carrying the session, job id and SQL.
    pub async fn run_job(&self, session: &Session, sql: &str) -> Result<Finished, GatewayError> {
        let state = session.snapshot();
        let ctx = JobContext {
            currentdb: state.currentdb,
            queue: state.queue,
            statement_timeout_ms: state.statement_timeout_ms,
        };
        let span = tracing::info_span!(
            "statement",
            session = session.id,
            job_id = tracing::field::Empty,
            sql = %truncate(sql, SPAN_SQL_CHARS),
        );
        async {
            let started = std::time::Instant::now();
            let result = match &session.backend {
                Some(b) => self.runner.with_backend(b.clone()).run(sql, &ctx).await,
                None => self.runner.run(sql, &ctx).await,
            };
            match &result {
                Ok(_) => tracing::info!(
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "statement done"
                ),
                Err(e) => tracing::info!(
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    sqlstate = e.kind.sqlstate(),
                    "statement failed"
                ),
            }
            result
        }
        .instrument(span)
        .await
    }
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

pub fn error_info(e: GatewayError) -> ErrorInfo {
    match e.into_pgwire() {
        pgwire::error::PgWireError::UserError(info) => *info,
        other => ErrorInfo::new(
            "ERROR".into(),
            crate::errors::sqlstate::INTERNAL_ERROR.into(),
            other.to_string(),
        ),
    }
}

fn local_response(
    answer: LocalAnswer,
    format_for: &(dyn Fn(usize) -> FieldFormat + Sync),
) -> Result<Response, GatewayError> {
    Ok(match answer {
        LocalAnswer::Begin => Response::TransactionStart(Tag::new("BEGIN")),
        LocalAnswer::Commit => Response::TransactionEnd(Tag::new("COMMIT")),
        LocalAnswer::Rollback => Response::TransactionEnd(Tag::new("ROLLBACK")),
        LocalAnswer::Tag(t) => Response::Execution(Tag::new(&t)),
        LocalAnswer::Row(names, values) => {
            let rows = LocalRows {
                fields: names.into_iter().map(|n| (n, Type::TEXT)).collect(),
                rows: vec![
                    values
                        .into_iter()
                        .map(|v| v.map_or(PgValue::Null, PgValue::Text))
                        .collect(),
                ],
                tag: None,
            };
            return local_rows_response(rows, format_for);
        }
    })
}

/// Rows the catalog answered, encoded in the formats the client asked for.
pub fn local_rows_response(
    rows: LocalRows,
    format_for: &(dyn Fn(usize) -> FieldFormat + Sync),
) -> Result<Response, GatewayError> {
    let fields: Vec<FieldInfo> = rows
        .fields
        .iter()
        .enumerate()
        .map(|(i, (name, ty))| FieldInfo::new(name.clone(), None, None, ty.clone(), format_for(i)))
        .collect();
    let fields = Arc::new(fields);
    let mut enc = pgwire::api::results::DataRowEncoder::new(fields.clone());
    let mut data = Vec::with_capacity(rows.rows.len());
    for (r, row) in rows.rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            enc.encode_field(v).map_err(|e| {
                GatewayError::internal(format!("encoding catalog row {r} column {c}: {e}"))
            })?;
        }
        data.push(Ok(enc.take_row()));
    }
    let mut resp = QueryResponse::new(fields, stream::iter(data));
    if let Some(tag) = rows.tag {
        // pgwire appends the row count.
        resp.set_command_tag(&tag);
    }
    Ok(Response::Query(resp))
}

/// The Postgres command tag of a finished DLI statement.
pub fn respond(
    sql: &str,
    finished: Finished,
    format_for: &(dyn Fn(usize) -> FieldFormat + Sync),
) -> Result<Response, GatewayError> {
    respond_as(sql, finished, format_for, None)
}

/// Like [`respond`], but when the client was already told the result's columns (at
/// Describe), encode the values as those types so the bytes match what it expects; a
/// value that cannot be read as the described type is a clear error, never garbage.
pub fn respond_as(
    sql: &str,
    finished: Finished,
    format_for: &(dyn Fn(usize) -> FieldFormat + Sync),
    described: Option<&[crate::dli::Column]>,
) -> Result<Response, GatewayError> {
    match finished.outcome {
        Outcome::Rows { columns, rows } => {
            let columns = match described {
                Some(d) if d.len() == columns.len() => d.to_vec(),
                Some(d) => {
                    return Err(GatewayError::new(
                        crate::errors::ErrorKind::DatatypeMismatch,
                        format!(
                            "the statement returned {} columns but was described with {}; prepare it again",
                            columns.len(),
                            d.len()
                        ),
                    ));
                }
                None => columns,
            };
            let (fields, types) = encode::fields(&columns, format_for);
            let data = encode::rows(&fields, &types, &rows)?;
            // pgwire appends the row count to the tag.
            let resp = QueryResponse::new(fields, stream::iter(data.into_iter().map(Ok)));
            Ok(Response::Query(resp))
        }
        Outcome::Command { job_type, rows } => {
            Ok(Response::Execution(command_tag(sql, &job_type, rows)))
        }
    }
}

/// `INSERT 0 n`, `CREATE TABLE`, `DROP DATABASE`, `SELECT n` for CTAS …
pub fn command_tag(sql: &str, job_type: &JobType, rows: Option<u64>) -> Tag {
    let n = rows.and_then(|r| usize::try_from(r).ok()).unwrap_or(0);
    if *job_type == JobType::Insert {
        return Tag::new("INSERT").with_oid(0).with_rows(n);
    }
    let parsed = sparksql::parse(sql)
        .ok()
        .and_then(|mut v| (v.len() == 1).then(|| v.remove(0)));
    let tag = match parsed {
        Some(Statement::CreateTable(ct)) if ct.query.is_some() => {
            return Tag::new("SELECT").with_rows(n);
        }
        Some(Statement::Insert(_)) => return Tag::new("INSERT").with_oid(0).with_rows(n),
        Some(Statement::CreateTable(_)) => "CREATE TABLE".to_string(),
        Some(Statement::CreateDatabase { .. }) => "CREATE DATABASE".to_string(),
        Some(Statement::CreateSchema { .. }) => "CREATE SCHEMA".to_string(),
        Some(Statement::CreateView(_)) => "CREATE VIEW".to_string(),
        Some(Statement::Drop { object_type, .. }) => format!("DROP {object_type}"),
        _ => leading_words(sql),
    };
    Tag::new(&tag)
}

fn leading_words(sql: &str) -> String {
    let words: Vec<String> = sql
        .split_whitespace()
        .take(2)
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_ascii_uppercase()
        })
        .collect();
    match words.first().map(String::as_str) {
        Some("CREATE" | "DROP" | "ALTER") => words.join(" "),
        Some(w) => w.to_string(),
        None => "OK".to_string(),
    }
}
