//! The seam between the router and the catalog (pg_catalog / information_schema
//! emulation over cached DLI metadata).
//!
//! Owns: the [`CatalogService`] trait and the plain types it returns. The router asks it,
//! before running anything on DLI, whether a statement is a catalog query it can answer
//! itself, and (for Describe) what a user query's columns and parameters are.

use async_trait::async_trait;
use pgwire::api::Type;

use crate::dli::Column;
use crate::errors::GatewayError;
use crate::pgtypes::PgValue;

/// Rows answered locally, already in Postgres types.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalRows {
    /// (column name, Postgres type)
    pub fields: Vec<(String, Type)>,
    pub rows: Vec<Vec<PgValue>>,
    /// Command tag without the row count (pgwire appends it); `None` = `SELECT`.
    pub tag: Option<String>,
}

/// What a statement would take and return, learnt without running it.
#[derive(Debug, Clone, PartialEq)]
pub struct Described {
    /// One entry per `$n`; `None` where the type could not be inferred.
    pub params: Vec<Option<Type>>,
    /// Result columns with Spark type names (empty = no rows).
    pub columns: Vec<Column>,
}

/// Facts about the session a catalog answer may depend on.
#[derive(Debug, Clone)]
pub struct CatalogContext {
    pub currentdb: String,
    pub user: String,
    /// What `current_setting()` and `pg_settings` read: the session's own values.
    pub settings: crate::settings::SessionValues,
}

#[async_trait]
pub trait CatalogService: Send + Sync + 'static {
    /// `Some` when `sql` touches only catalog relations and functions (pg_catalog,
    /// information_schema, session functions) and was answered locally; `None` when it
    /// is a user query for DLI. Never answers a user query.
    async fn answer(
        &self,
        sql: &str,
        ctx: &CatalogContext,
    ) -> Option<Result<LocalRows, GatewayError>>;

    /// Parameter and result types of a user query, planned against cached metadata;
    /// `None` when it cannot be planned locally.
    async fn describe(&self, sql: &str, ctx: &CatalogContext) -> Option<Described>;

    /// A DDL statement ran on DLI: drop whatever cached metadata it may have changed.
    async fn invalidate_after(&self, sql: &str, ctx: &CatalogContext);
}
