//! The extended query protocol: Parse / Describe / Bind / Execute.
//!
//! Owns: the prepared-statement type, Describe answers, and Execute. DLI has no
//! prepared statements and no way to learn a result's columns without running the
//! query, so Describe is answered this way:
//! - statements that return no rows (INSERT, DDL, SET …) answer `NoData` without a job;
//! - a row-returning statement without parameters is run at Describe and its result kept
//!   for the Execute that follows, so it runs once;
//! - a Describe of a portal (parameters bound) runs it the same way.
//!
//! Bound parameter values are rendered into Spark SQL literals by [`super::params`].

use std::sync::Arc;

use async_trait::async_trait;
use pgwire::api::portal::{Format, Portal};
use pgwire::api::results::{
    DescribePortalResponse, DescribeStatementResponse, FieldInfo, Response,
};
use pgwire::api::stmt::{QueryParser, StoredStatement};
use pgwire::api::{ClientInfo, Type};
use pgwire::error::{PgWireError, PgWireResult};
use sqlparser::ast::Statement;

use super::handler::Router;
use super::local;
use super::params;
use super::runner::Outcome;
use super::session::Session;
use crate::sparksql;

/// A parsed statement as the gateway keeps it between Parse and Execute.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub sql: String,
    /// Number of `$n` placeholders (the highest n).
    pub params: usize,
    /// Whether the statement can return rows (queries, SHOW, DESCRIBE).
    pub returns_rows: bool,
}

/// Parses statements for the extended protocol.
pub struct GatewayParser {
    _router: Arc<Router>,
}

impl GatewayParser {
    pub fn new(router: Arc<Router>) -> Self {
        Self { _router: router }
    }
}

fn returns_rows(sql: &str) -> bool {
    match sparksql::parse(sql)
        .ok()
        .and_then(|mut v| (v.len() == 1).then(|| v.remove(0)))
    {
        Some(Statement::Query(_)) => true,
        Some(
            Statement::Insert(_)
            | Statement::CreateTable(_)
            | Statement::CreateDatabase { .. }
            | Statement::CreateSchema { .. }
            | Statement::CreateView(_)
            | Statement::Drop { .. }
            | Statement::AlterTable(_)
            | Statement::StartTransaction { .. }
            | Statement::Commit { .. }
            | Statement::Rollback { .. }
            | Statement::Set(_)
            | Statement::Use(_)
            | Statement::Discard { .. },
        ) => false,
        // SHOW …, DESC …, and anything the parser does not know may return rows.
        _ => true,
    }
}

#[async_trait]
impl QueryParser for GatewayParser {
    type Statement = Prepared;

    async fn parse_sql<C>(
        &self,
        _client: &C,
        sql: &str,
        _types: &[Option<Type>],
    ) -> PgWireResult<Option<Prepared>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let mut pieces = sparksql::split_statements(sql);
        let sql = match pieces.len() {
            0 => return Ok(None),
            1 => pieces.remove(0),
            _ => {
                return Err(crate::errors::GatewayError::new(
                    crate::errors::ErrorKind::Syntax,
                    "cannot insert multiple commands into a prepared statement",
                )
                .into_pgwire());
            }
        };
        let params = params::placeholder_count(&sql);
        let returns_rows = returns_rows(&sql);
        Ok(Some(Prepared {
            sql,
            params,
            returns_rows,
        }))
    }

    fn get_parameter_types(&self, stmt: &Prepared) -> PgWireResult<Vec<Type>> {
        Ok(vec![Type::TEXT; stmt.params])
    }

    fn get_result_schema(
        &self,
        _stmt: &Prepared,
        _format: Option<&Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        Ok(Vec::new())
    }
}

fn parameter_types(target: &StoredStatement<Prepared>) -> Vec<Type> {
    (0..target.statement.params)
        .map(|i| {
            target
                .parameter_types
                .get(i)
                .cloned()
                .flatten()
                .unwrap_or(Type::TEXT)
        })
        .collect()
}

/// Fields of a statement's result, running it when there is no other way (see module doc).
async fn result_fields(
    router: &Router,
    session: &Session,
    sql: &str,
    returns_rows: bool,
    format: &Format,
) -> PgWireResult<Vec<FieldInfo>> {
    if let Some(answer) = local::answer(sql, session, router.facts()) {
        return match answer.map_err(|e| e.into_pgwire())? {
            local::LocalAnswer::Row(names, _) => Ok(names
                .into_iter()
                .enumerate()
                .map(|(i, n)| FieldInfo::new(n, None, None, Type::TEXT, format.format_for(i)))
                .collect()),
            _ => Ok(Vec::new()),
        };
    }
    if !returns_rows {
        return Ok(Vec::new());
    }
    let finished = router
        .run_job(session, sql)
        .await
        .map_err(|e| e.into_pgwire())?;
    let fields = match &finished.outcome {
        Outcome::Rows { columns, .. } => {
            let (fields, _) = super::encode::fields(columns, |i| format.format_for(i));
            fields.as_ref().clone()
        }
        Outcome::Command { .. } => Vec::new(),
    };
    session.stash(sql, finished);
    Ok(fields)
}

pub async fn describe_statement(
    router: &Router,
    session: &Session,
    target: &StoredStatement<Prepared>,
) -> PgWireResult<DescribeStatementResponse> {
    let types = parameter_types(target);
    let stmt = &target.statement;
    if stmt.params > 0 {
        // Columns cannot be known before the values are bound; drivers describe the
        // portal (or read RowDescription at Execute) for those.
        return Ok(DescribeStatementResponse::new(types, Vec::new()));
    }
    let fields = result_fields(
        router,
        session,
        &stmt.sql,
        stmt.returns_rows,
        &Format::UnifiedText,
    )
    .await?;
    Ok(DescribeStatementResponse::new(types, fields))
}

pub async fn describe_portal(
    router: &Router,
    session: &Session,
    portal: &Portal<Prepared>,
) -> PgWireResult<DescribePortalResponse> {
    let sql = params::render(portal).map_err(|e| e.into_pgwire())?;
    let fields = result_fields(
        router,
        session,
        &sql,
        portal.statement.statement.returns_rows,
        &portal.result_column_format,
    )
    .await?;
    Ok(DescribePortalResponse::new(fields))
}

pub async fn execute(
    router: &Router,
    session: &Session,
    portal: &Portal<Prepared>,
) -> PgWireResult<Response> {
    let sql = params::render(portal).map_err(|e| e.into_pgwire())?;
    let format = portal.result_column_format.clone();
    let format_for = move |i: usize| format.format_for(i);
    if let Some(finished) = session.take_stashed(&sql) {
        return super::handler::respond(&sql, finished, &format_for).map_err(|e| e.into_pgwire());
    }
    router
        .statement(session, &sql, &format_for)
        .await
        .map_err(|e: crate::errors::GatewayError| -> PgWireError { e.into_pgwire() })
}
