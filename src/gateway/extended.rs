//! The extended query protocol: Parse / Describe / Bind / Execute.
//!
//! Owns: the prepared-statement type, Describe answers, and Execute. DLI has no
//! prepared statements and cannot tell a query's columns without running it, so
//! Describe is answered, cheapest first:
//! 1. statements that return no rows (INSERT, DDL, SET …) answer `NoData`, no job;
//! 2. session commands and catalog queries are answered by the gateway itself;
//! 3. a user query is planned against the cached DLI metadata (the catalog's
//!    `describe`), which gives its columns and `$n` parameter types, no job;
//! 4. otherwise a query without parameters is run at Describe and its result kept for
//!    the Execute that follows, so it runs once; a query with parameters is described
//!    by a zero-row job (`SELECT * FROM (…) LIMIT 0` with the parameters as NULL).
//!
//! Whatever the client was told at Describe is what Execute encodes: values are read
//! as the described types. Bound values become Spark literals ([`super::params`]).

use std::sync::Arc;

use async_trait::async_trait;
use pgwire::api::portal::{Format, Portal};
use pgwire::api::results::{
    DescribePortalResponse, DescribeStatementResponse, FieldInfo, Response,
};
use pgwire::api::stmt::{QueryParser, StoredStatement};
use pgwire::api::{ClientInfo, Type};
use pgwire::error::PgWireResult;
use sqlparser::ast::Statement;

use super::catalog_hook::Described;
use super::handler::Router;
use super::local;
use super::params;
use super::runner::Outcome;
use super::session::Session;
use crate::dli::Column;
use crate::errors::{ErrorKind, GatewayError};
use crate::sparksql;

/// A parsed statement as the gateway keeps it between Parse and Execute.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The client's text (Postgres lexical rules).
    pub sql: String,
    /// Its Spark translation, for DLI ([`crate::pgsql::to_spark`]).
    pub spark: String,
    /// Number of `$n` placeholders (the highest n).
    pub params: usize,
    /// Whether the statement can return rows (queries, SHOW, DESCRIBE).
    pub returns_rows: bool,
    /// Types learnt at Parse from the cached metadata, when the catalog could plan it.
    pub described: Option<Described>,
}

impl Prepared {
    /// The type of parameter `i`: declared by the client, else inferred, else text.
    pub fn param_type(&self, declared: &[Option<Type>], i: usize) -> Type {
        declared
            .get(i)
            .cloned()
            .flatten()
            .filter(|t| *t != Type::UNKNOWN)
            .or_else(|| {
                self.described
                    .as_ref()
                    .and_then(|d| d.params.get(i).cloned().flatten())
            })
            .unwrap_or(Type::TEXT)
    }

    fn described_columns(&self) -> Option<&[Column]> {
        self.described
            .as_ref()
            .filter(|d| !d.columns.is_empty())
            .map(|d| d.columns.as_slice())
    }
}

/// Parses statements for the extended protocol.
pub struct GatewayParser {
    router: Arc<Router>,
}

impl GatewayParser {
    pub fn new(router: Arc<Router>) -> Self {
        Self { router }
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
        Some(_) => true,
        // Not parsed (Spark syntax sqlparser lacks): judge by the leading keyword.
        None => {
            let first = sql
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_ascii_uppercase();
            !matches!(
                first.as_str(),
                "CREATE"
                    | "DROP"
                    | "ALTER"
                    | "INSERT"
                    | "USE"
                    | "SET"
                    | "GRANT"
                    | "REVOKE"
                    | "TRUNCATE"
                    | "MSCK"
                    | "LOAD"
                    | "REFRESH"
                    | "CACHE"
                    | "UNCACHE"
                    | "ANALYZE"
            )
        }
    }
}

#[async_trait]
impl QueryParser for GatewayParser {
    type Statement = Prepared;

    async fn parse_sql<C>(
        &self,
        client: &C,
        sql: &str,
        _types: &[Option<Type>],
    ) -> PgWireResult<Option<Prepared>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let mut pieces = crate::pgsql::split(sql);
        let sql = match pieces.len() {
            0 => return Ok(None),
            1 => pieces.remove(0),
            _ => {
                return Err(GatewayError::new(
                    ErrorKind::Syntax,
                    "cannot insert multiple commands into a prepared statement",
                )
                .into_pgwire());
            }
        };
        let params = params::placeholder_count(&sql);
        let spark = crate::pgsql::to_spark(&sql);
        let returns_rows = returns_rows(&spark);
        let mut described = if returns_rows || params > 0 {
            let session = self.router.session(client);
            self.router.describe_locally(&session, &sql).await
        } else {
            None
        };
        // Casts type their parameters, as in Postgres; the catalog's planner fills the rest.
        let from_casts = super::infer::cast_parameter_types(&sql, &spark, params);
        if from_casts.iter().any(Option::is_some) {
            let d = described.get_or_insert_with(|| Described {
                params: Vec::new(),
                columns: Vec::new(),
            });
            d.params.resize(params, None);
            for (slot, cast) in d.params.iter_mut().zip(from_casts) {
                if cast.is_some() {
                    *slot = cast;
                }
            }
        }
        // Parameters bound to map/struct casts arrive as JSON: read them with from_json.
        let spark = if params > 0 {
            super::infer::json_casts_to_from_json(&spark)
        } else {
            spark
        };
        Ok(Some(Prepared {
            sql,
            spark,
            params,
            returns_rows,
            described,
        }))
    }

    fn get_parameter_types(&self, stmt: &Prepared) -> PgWireResult<Vec<Type>> {
        Ok((0..stmt.params).map(|i| stmt.param_type(&[], i)).collect())
    }

    fn get_result_schema(
        &self,
        _stmt: &Prepared,
        _format: Option<&Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        Ok(Vec::new())
    }
}

fn fields_of(columns: &[Column], format: &Format) -> Vec<FieldInfo> {
    let (fields, _) = super::encode::fields(columns, |i| format.format_for(i));
    fields.as_ref().clone()
}

/// Fields of a statement's result without its parameters' values (see module doc).
async fn result_fields(
    router: &Router,
    session: &Session,
    stmt: &Prepared,
    (sql, spark_sql): (&str, Result<&str, &GatewayError>),
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
    if let Some(rows) = router.catalog_answer(session, sql).await {
        let rows = rows.map_err(|e| e.into_pgwire())?;
        return Ok(rows
            .fields
            .into_iter()
            .enumerate()
            .map(|(i, (n, t))| FieldInfo::new(n, None, None, t, format.format_for(i)))
            .collect());
    }
    if !stmt.returns_rows {
        return Ok(Vec::new());
    }
    if let Some(columns) = stmt.described_columns() {
        return Ok(fields_of(columns, format));
    }
    let spark_sql = spark_sql.map_err(|e| e.clone().into_pgwire())?;
    let finished = router
        .run_job(session, spark_sql)
        .await
        .map_err(|e| e.into_pgwire())?;
    router.after_job(session, sql, &finished).await;
    let fields = match &finished.outcome {
        Outcome::Rows { columns, .. } => fields_of(columns, format),
        Outcome::Command { .. } => Vec::new(),
    };
    session.stash(spark_sql, finished);
    Ok(fields)
}

/// A zero-row job that tells a parameterised query's columns.
async fn describe_with_nulls(
    router: &Router,
    session: &Session,
    stmt: &Prepared,
) -> PgWireResult<Vec<Column>> {
    let with_nulls = params::spark_with_nulls(&stmt.spark);
    let probe = format!("SELECT * FROM ({with_nulls}) AS gateway_describe LIMIT 0");
    let finished = router
        .run_job(session, &probe)
        .await
        .map_err(|e| e.into_pgwire())?;
    Ok(match finished.outcome {
        Outcome::Rows { columns, .. } => columns,
        Outcome::Command { .. } => Vec::new(),
    })
}

pub async fn describe_statement(
    router: &Router,
    session: &Session,
    target: &StoredStatement<Prepared>,
) -> PgWireResult<DescribeStatementResponse> {
    let stmt = &target.statement;
    let types: Vec<Type> = (0..stmt.params)
        .map(|i| stmt.param_type(&target.parameter_types, i))
        .collect();
    if stmt.params > 0 {
        let fields = if !stmt.returns_rows {
            Vec::new()
        } else if let Some(columns) = stmt.described_columns() {
            fields_of(columns, &Format::UnifiedText)
        } else if is_query(&stmt.spark) {
            let columns = describe_with_nulls(router, session, stmt).await?;
            session.remember_description(&stmt.sql, columns.clone());
            fields_of(&columns, &Format::UnifiedText)
        } else {
            Vec::new()
        };
        return Ok(DescribeStatementResponse::new(types, fields));
    }
    let fields = result_fields(
        router,
        session,
        stmt,
        (&stmt.sql, Ok(&stmt.spark)),
        &Format::UnifiedText,
    )
    .await?;
    Ok(DescribeStatementResponse::new(types, fields))
}

fn is_query(sql: &str) -> bool {
    matches!(
        sparksql::parse(sql).ok().as_deref(),
        Some([Statement::Query(_)])
    )
}

pub async fn describe_portal(
    router: &Router,
    session: &Session,
    portal: &Portal<Prepared>,
) -> PgWireResult<DescribePortalResponse> {
    let stmt = &portal.statement.statement;
    if let Some(columns) = session.remembered_description(&stmt.sql) {
        return Ok(DescribePortalResponse::new(fields_of(
            &columns,
            &portal.result_column_format,
        )));
    }
    let sql = params::render_postgres(portal).map_err(|e| e.into_pgwire())?;
    let spark = params::render_spark(portal);
    let fields = result_fields(
        router,
        session,
        stmt,
        (&sql, spark.as_deref()),
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
    let stmt = &portal.statement.statement;
    let sql = params::render_postgres(portal).map_err(|e| e.into_pgwire())?;
    let spark = params::render_spark(portal);
    let format = portal.result_column_format.clone();
    let format_for = move |i: usize| format.format_for(i);
    let remembered = session.remembered_description(&stmt.sql);
    let described = remembered.as_deref().or_else(|| stmt.described_columns());
    if let Ok(rendered) = &spark
        && let Some(finished) = session.take_stashed(rendered)
    {
        return super::handler::respond_as(rendered, finished, &format_for, described)
            .map_err(|e| e.into_pgwire());
    }
    router
        .statement_as(session, &sql, Some(spark), &format_for, described)
        .await
        .map_err(|e| e.into_pgwire())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_that_return_rows() {
        assert!(!returns_rows("INSERT INTO jb.b VALUES ($1, $2)"));
        assert!(!returns_rows("CREATE TABLE t (a int) USING parquet"));
        assert!(returns_rows("SELECT $1 FROM t"));
        assert!(returns_rows("SHOW TABLES"));
        assert!(!returns_rows("CREATE DATABASE IF NOT EXISTS d COMMENT 'x'"));
        assert!(returns_rows("DESCRIBE TABLE d.t"));
    }
}
