//! The extended query protocol: Parse / Describe / Bind / Execute, as pgwire calls them.
//!
//! Owns: the pgwire adapters over the router — Parse is [`Router::prepare`] (the
//! prepared statement *is* the [`Plan`]); Describe reads the plan through
//! [`Router::describe`]; Execute decodes the bound values ([`super::bind`]) and calls
//! [`Router::execute`]. DLI has no prepared statements and cannot tell a query's columns
//! without running it, so Describe is answered, cheapest first:
//! 1. statements that return no rows (INSERT, DDL, SET …) answer `NoData`, no job;
//! 2. session commands and catalog queries are described by the gateway itself, without
//!    running them;
//! 3. a user query is planned against the cached DLI metadata at Parse, which gives its
//!    columns and `$n` parameter types, no job;
//! 4. otherwise a query without parameters is run at Describe and its result kept for
//!    the Execute that follows, so it runs once; a query with parameters is described
//!    by a zero-row job (`SELECT * FROM (…) LIMIT 0` with the parameters as NULL).
//!
//! Whatever the client was told at Describe is what Execute encodes: values are read
//! as the described types.

use std::sync::Arc;

use async_trait::async_trait;
use pgwire::api::portal::{Format, Portal};
use pgwire::api::results::{DescribePortalResponse, DescribeStatementResponse, FieldInfo};
use pgwire::api::stmt::{QueryParser, StoredStatement};
use pgwire::api::{ClientInfo, Type};
use pgwire::error::PgWireResult;

use super::encode::{self, into_pgwire};
use super::output::Output;
use super::plan::Plan;
use super::router::Router;
use super::session::Session;

/// Parses statements for the extended protocol.
pub struct GatewayParser {
    router: Arc<Router>,
}

impl GatewayParser {
    pub fn new(router: Arc<Router>) -> Self {
        Self { router }
    }
}

#[async_trait]
impl QueryParser for GatewayParser {
    type Statement = Plan;

    async fn parse_sql<C>(
        &self,
        client: &C,
        sql: &str,
        _types: &[Option<Type>],
    ) -> PgWireResult<Option<Plan>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let session = super::client::session(&self.router, client);
        self.router
            .prepare(&session, sql)
            .await
            .map_err(into_pgwire)
    }

    fn get_parameter_types(&self, stmt: &Plan) -> PgWireResult<Vec<Type>> {
        Ok((0..stmt.params).map(|i| stmt.param_type(&[], i)).collect())
    }

    fn get_result_schema(
        &self,
        _stmt: &Plan,
        _format: Option<&Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        Ok(Vec::new())
    }
}

pub async fn describe_statement(
    router: &Router,
    session: &Session,
    target: &StoredStatement<Plan>,
) -> PgWireResult<DescribeStatementResponse> {
    let plan = &target.statement;
    let types: Vec<Type> = (0..plan.params)
        .map(|i| plan.param_type(&target.parameter_types, i))
        .collect();
    let fields = router
        .describe(session, plan, None)
        .await
        .map_err(into_pgwire)?;
    let fields = encode::fields(&fields, |i| Format::UnifiedText.format_for(i));
    Ok(DescribeStatementResponse::new(types, fields))
}

pub async fn describe_portal(
    router: &Router,
    session: &Session,
    portal: &Portal<Plan>,
) -> PgWireResult<DescribePortalResponse> {
    let plan = &portal.statement.statement;
    let values = super::bind::values(portal).map_err(into_pgwire)?;
    let fields = router
        .describe(session, plan, Some(&values))
        .await
        .map_err(into_pgwire)?;
    let format = &portal.result_column_format;
    encode::check_result_formats(format, fields.len()).map_err(into_pgwire)?;
    Ok(DescribePortalResponse::new(encode::fields(&fields, |i| {
        encode::result_format(format, i)
    })))
}

/// Execute: the notices to send first, and the response.
pub async fn execute(
    router: &Router,
    session: &Session,
    portal: &Portal<Plan>,
) -> PgWireResult<Output> {
    let plan = &portal.statement.statement;
    let values = super::bind::values(portal).map_err(into_pgwire)?;
    router
        .execute(session, plan, Some(&values))
        .await
        .map_err(into_pgwire)
}
