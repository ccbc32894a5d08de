//! The seam between the router and the catalog (pg_catalog / information_schema
//! emulation over cached DLI metadata).
//!
//! Owns: the [`CatalogService`] trait and the plain types it takes and returns. The
//! statement planner asks it where a parsed statement goes ([`CatalogService::route`]);
//! the router asks it to answer or describe catalog queries, to describe user queries
//! from cached metadata, and to forget what a DDL statement changed; and the
//! [`IdentityCatalogs`] that give each `dli-passthrough` identity a catalog of its own.
//! Speaks in parsed statements and Postgres types, never in SQL text to re-parse, pgwire
//! or HTTP types.

use async_trait::async_trait;
use postgres_types::Type;
use sqlparser::ast::Statement;

use super::output::Field;
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
    /// Warnings sent before the rows.
    pub notices: Vec<crate::errors::Notice>,
}

/// What a statement would take and return, learnt without running it.
#[derive(Debug, Clone, PartialEq)]
pub struct Described {
    /// One entry per `$n`; `None` where the type could not be inferred.
    pub params: Vec<Option<Type>>,
    /// Result columns (empty = no rows).
    pub columns: Vec<Field>,
}

/// Facts about the session a catalog answer may depend on.
#[derive(Debug, Clone)]
pub struct CatalogContext {
    pub currentdb: String,
    pub user: String,
    /// What `current_setting()` and `pg_settings` read: the session's own values.
    pub settings: crate::settings::SessionValues,
    /// The session's open SQL cursors (`pg_cursors`).
    pub cursors: Vec<OpenCursor>,
}

/// One open SQL cursor of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenCursor {
    pub name: String,
    /// The `DECLARE` statement that opened it.
    pub statement: String,
    pub holdable: bool,
}

/// Where a statement goes, as far as the catalog is concerned.
#[derive(Debug, Clone, PartialEq)]
pub enum CatalogRoute {
    /// Reads only catalog relations and functions: answered locally.
    Catalog,
    /// `SELECT dli_catalog_refresh()` / `dli_catalog_refresh('db')`.
    Refresh(Option<String>),
    /// Catalog relations mixed with DLI tables: refused.
    Mixed { catalog: String, user: String },
    /// A statement the catalog refuses without running anything (a write to a view the
    /// gateway answers, DDL on a gateway-owned schema).
    Refused(GatewayError),
    /// Not the catalog's: a DLI job.
    User,
}

/// What a DDL statement may have changed, relative to the session's current database
/// (resolved when the statement has run, so a `USE` in between is honoured).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Touched {
    /// One table or view; `db` = `None` means the current database.
    Table { db: Option<String>, table: String },
    /// Every table of one database (a rename moves a table).
    Tables { db: Option<String> },
    /// One database and the list of databases.
    Database(String),
    /// The list of databases only.
    DatabaseList,
    /// Anything: the statement could not be attributed.
    Everything,
}

#[async_trait]
pub trait CatalogService: Send + Sync + 'static {
    /// Where a statement parsed with Postgres rules goes. Runs and reads nothing.
    fn route(&self, stmt: &Statement) -> CatalogRoute;

    /// Answer a statement [`route`](Self::route) called [`CatalogRoute::Catalog`]. `sql`
    /// is its text, for the emulation's whole-query substitutions of known client
    /// queries; it is not parsed unless those are needed.
    async fn answer(
        &self,
        sql: &str,
        stmt: &Statement,
        ctx: &CatalogContext,
    ) -> Result<LocalRows, GatewayError>;

    /// Parameter types and result columns of a catalog query, planned without running
    /// it; the error is the one running it would give.
    async fn describe_catalog(
        &self,
        sql: &str,
        stmt: &Statement,
        ctx: &CatalogContext,
    ) -> Result<Described, GatewayError>;

    /// Reload the cached metadata (all of it, or one database); the answer's one row says
    /// what the cache now holds.
    async fn refresh(&self, db: Option<String>) -> Result<LocalRows, GatewayError>;

    /// Parameter and result types of a user query (parsed as Spark SQL), planned against
    /// cached metadata; `None` when it cannot be planned locally.
    async fn describe_user(&self, spark: &Statement, ctx: &CatalogContext) -> Option<Described>;

    /// Load the column metadata of the databases a user query (parsed as Spark SQL)
    /// reads, so that [`Self::cached_column_type`] knows them; `true` when the cache
    /// changed (the statement is then worth translating again).
    async fn load_columns(&self, _spark: &Statement, _ctx: &CatalogContext) -> bool {
        false
    }

    /// A DDL statement ran on DLI: drop whatever cached metadata it may have changed.
    async fn invalidate(&self, touched: &[Touched], ctx: &CatalogContext);

    /// The type of `table.column` in the metadata already cached (no load, no DLI
    /// call); `db` = `None`: the table name is unqualified, answered only when one
    /// cached database has such a table. For the translation's integer division.
    fn cached_column_type(
        &self,
        _db: Option<&str>,
        _table: &str,
        _column: &str,
    ) -> Option<crate::pgtypes::SparkType> {
        None
    }
}

/// The catalogs of the DLI identities that log in with their own credentials
/// (`dli-passthrough`): each identity sees what its credentials may see in DLI, not the
/// gateway's own view.
pub trait IdentityCatalogs: Send + Sync + 'static {
    /// The catalog of identity `key` (an HMAC of its credentials, never the secret),
    /// reading DLI's metadata with `client`; kept, so every session of the identity
    /// shares one cache.
    fn catalog_for(
        &self,
        key: &[u8; 32],
        client: &crate::dli::DliClient,
    ) -> Result<std::sync::Arc<dyn CatalogService>, GatewayError>;

    /// Every identity catalog kept now (a DDL statement may change what each shows).
    fn kept(&self) -> Vec<std::sync::Arc<dyn CatalogService>>;
}
