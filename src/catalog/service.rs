//! The [`CatalogService`] the router asks before running anything on DLI.
//!
//! Owns: gluing routing ([`super::route`]), the shared cache ([`super::cache`]) and the
//! query engine ([`super::engine`]) behind the seam; turning their failures into
//! Postgres errors; the cache commands `SELECT dli_catalog_refresh(['db'])` and
//! `SELECT * FROM dli_catalog_status()`; invalidation after DDL; Describe of catalog
//! queries and (through [`super::describe`]) of user queries; loading, before a query
//! runs, the columns of the databases it needs ([`super::needs`]).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use datafusion::error::DataFusionError;
use pgwire::api::Type;

use sqlparser::ast::Statement;

use crate::dli::{DliClient, DliError};
use crate::errors::{ErrorKind, GatewayError};
use crate::gateway::catalog_hook::{
    CatalogContext, CatalogRoute, CatalogService, Described, LocalRows, Touched,
};
use crate::gateway::output::Field;
use crate::pgtypes::PgValue;

use super::answers::{AnswerKey, Answers};
use super::cache::{Invalidation, MetadataCache};
use super::config::CatalogConfig;
use super::engine::{Engine, QueryContext};
use super::flink::{self, FlinkConfig, FlinkSurface};
use super::model::Snapshot;
use super::needs::{self, Need};
use super::route::{route, route_with};
use super::source::{DliSource, MetadataSource};
use super::types::arrow_pg_type;
use super::{describe, invalidate, rows};

/// The catalog of one gateway, shared by every session.
pub struct DliCatalog {
    cache: Arc<MetadataCache>,
    engine: Arc<Engine>,
    /// Answers already computed on the current snapshot ([`super::answers`]).
    answers: Answers,
    /// The `dli_flink` schema (none when disabled or without a DLI client).
    flink: Option<FlinkSurface>,
}

impl DliCatalog {
    /// A catalog over DLI's catalog endpoints, with the Flink schema's defaults.
    pub fn new(
        client: DliClient,
        cfg: &CatalogConfig,
        server_version: &str,
    ) -> Result<Arc<DliCatalog>, GatewayError> {
        Self::with_flink(client, cfg, &FlinkConfig::default(), server_version)
    }

    /// A catalog over DLI's catalog endpoints, with the `[flink]` schema as configured.
    pub fn with_flink(
        client: DliClient,
        cfg: &CatalogConfig,
        flink: &FlinkConfig,
        server_version: &str,
    ) -> Result<Arc<DliCatalog>, GatewayError> {
        flink
            .validate()
            .map_err(|e| GatewayError::new(ErrorKind::Internal, e))?;
        let surface = flink
            .enabled
            .then(|| FlinkSurface::new(client.clone(), flink.clone()));
        let source = Arc::new(DliSource::new(client));
        Self::build(source, cfg, surface, server_version)
    }

    /// A catalog over any metadata source (tests): no Flink schema.
    pub fn with_source(
        source: Arc<dyn MetadataSource>,
        cfg: &CatalogConfig,
        server_version: &str,
    ) -> Result<Arc<DliCatalog>, GatewayError> {
        Self::build(source, cfg, None, server_version)
    }

    fn build(
        source: Arc<dyn MetadataSource>,
        cfg: &CatalogConfig,
        flink: Option<FlinkSurface>,
        server_version: &str,
    ) -> Result<Arc<DliCatalog>, GatewayError> {
        cfg.validate()
            .map_err(|e| GatewayError::new(ErrorKind::Internal, e))?;
        let version = crate::settings::version_string(server_version);
        let engine = Engine::new(&cfg.database_name, &version)
            .map_err(|e| GatewayError::internal(format!("catalog engine: {e}")))?;
        let cache = MetadataCache::new(
            source,
            Duration::from_secs(cfg.ttl_secs),
            Duration::from_secs(cfg.error_retry_secs),
        )
        .describing(cfg.describe_concurrency, cfg.lazy_columns);
        let catalog = Arc::new(DliCatalog {
            cache: Arc::new(cache),
            engine: Arc::new(engine),
            answers: Answers::new(cfg.answer_cache_mb.saturating_mul(1 << 20)),
            flink,
        });
        if cfg.preload {
            let cache = catalog.cache.clone();
            tokio::spawn(async move {
                if let Err(e) = cache.snapshot().await {
                    tracing::warn!(error = %e, "catalog preload failed; will retry on first use");
                }
            });
        }
        Ok(catalog)
    }

    /// The shared cache (admin use: status, refresh).
    pub fn cache(&self) -> &Arc<MetadataCache> {
        &self.cache
    }

    /// Reload everything now (or one database), as `SELECT dli_catalog_refresh()` does.
    pub async fn refresh(&self, db: Option<String>) -> Result<LocalRows, GatewayError> {
        match db {
            Some(db) => self.cache.invalidate(Invalidation::Database(db)),
            None => self.cache.expire(),
        }
        let snap = self.cache.snapshot().await.map_err(unavailable)?;
        let status = self.cache.status();
        let message = format!(
            "{} databases, {} tables{}",
            snap.databases.len(),
            snap.table_count(),
            if status.stale {
                " (stale: DLI unreachable)"
            } else {
                ""
            }
        );
        Ok(LocalRows {
            fields: vec![("dli_catalog_refresh".into(), Type::TEXT)],
            rows: vec![vec![PgValue::Text(message)]],
            tag: None,
            notices: Vec::new(),
        })
    }

    /// The snapshot with the columns `need` asks for loaded (describing the databases
    /// not described yet).
    async fn snapshot_for(&self, need: &Need, current: &str) -> Result<Arc<Snapshot>, DliError> {
        let snap = self.cache.snapshot().await?;
        if need.is_nothing() {
            return Ok(snap);
        }
        let wanted = need.databases(&snap, current);
        if wanted.as_ref().is_some_and(|w| w.is_empty()) {
            return Ok(snap);
        }
        self.cache.with_columns(snap, wanted.as_ref()).await
    }

    fn query_context(
        &self,
        ctx: &CatalogContext,
        run: Option<&Arc<super::flink::FlinkRun>>,
    ) -> QueryContext {
        QueryContext {
            current_schema: ctx.currentdb.clone(),
            user: ctx.user.clone(),
            settings: ctx.settings.clone(),
            cursors: ctx.cursors.clone(),
            status: Some(self.cache.status()),
            flink: self
                .flink
                .as_ref()
                .zip(run)
                .map(|(f, r)| (f.schema().to_string(), r.clone())),
        }
    }

    /// The snapshot as queries see it (with the Flink schema).
    fn shown(&self, snap: Arc<Snapshot>) -> Arc<Snapshot> {
        match &self.flink {
            Some(f) => f.augment(snap),
            None => snap,
        }
    }

    /// Where the answer to `sql` (the statement's text, bound values included) is kept;
    /// `None` for a statement that must be computed every time: volatile, or naming the
    /// Flink schema (whose jobs change without a new snapshot).
    fn answer_key(&self, sql: &str, ctx: &CatalogContext) -> Option<AnswerKey> {
        if let Some(f) = &self.flink
            && sql
                .to_ascii_lowercase()
                .contains(&f.schema().to_ascii_lowercase())
        {
            return None;
        }
        self.answers.key(sql.to_string(), ctx)
    }

    /// A statement touching the Flink schema, rewritten for DataFusion, and whether it
    /// calls a control function; `None` when it does not touch the schema.
    fn flink_statement(&self, stmt: &Statement) -> Result<Option<(Statement, bool)>, GatewayError> {
        let Some(f) = &self.flink else {
            return Ok(None);
        };
        if flink::sql::touch(stmt, f.schema()).reads.is_empty() {
            return Ok(None);
        }
        flink::sql::rewrite(stmt, f.schema()).map(Some)
    }

    async fn run(
        &self,
        sql: &str,
        stmt: &Statement,
        ctx: &CatalogContext,
    ) -> Result<LocalRows, GatewayError> {
        tracing::trace!(sql, "catalog query");
        // A statement answered before on the current snapshot: nothing else to do (the
        // snapshot it was answered on had the columns it needs).
        let key = self.answer_key(sql, ctx);
        if let Some(k) = &key {
            let current = self.cache.snapshot().await.map_err(unavailable)?;
            if let Some(out) = self.answers.rows(current.generation, k) {
                return Ok(out);
            }
        }
        let flink = self.flink_statement(stmt)?;
        let snap = self
            .snapshot_for(&needs::of_catalog_query(stmt), &ctx.currentdb)
            .await
            .map_err(unavailable)?;
        let snap = self.shown(snap);
        let started = std::time::Instant::now();
        let run = self.flink.as_ref().map(FlinkSurface::run);
        let q = self.query_context(ctx, run.as_ref());
        let answered = match &flink {
            Some((rewritten, true)) => self.engine.run_once(rewritten, &snap, &q).await,
            Some((rewritten, false)) => {
                self.engine
                    .run(&rewritten.to_string(), rewritten, &snap, &q)
                    .await
            }
            None => self.engine.run(sql, stmt, &snap, &q).await,
        };
        let (schema, batches) = answered.map_err(query_error)?;
        let mut out = rows::local_rows(&schema, &batches).map_err(GatewayError::internal)?;
        if let Some(r) = &run {
            out.notices = r.take_notices();
        }
        if let Some(k) = key
            && flink.is_none()
        {
            self.answers.put_rows(snap.generation, k, &out);
        }
        tracing::debug!(
            rows = out.rows.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "catalog query answered locally"
        );
        Ok(out)
    }
}

/// A cold cache and DLI unreachable.
fn unavailable(e: DliError) -> GatewayError {
    let mut g = GatewayError::from(&e);
    g.message = format!("catalog metadata unavailable: {}", g.message);
    g.with_hint("The gateway answers catalog queries from DLI's catalog; it could not be read.")
}

/// DataFusion's verdict on a catalog query, as a Postgres error. The classification is
/// exhaustive over DataFusion's (and Arrow's) error variants, with no wildcard: a variant
/// added by an upgrade does not compile until it is placed. Wrappers are looked through.
fn query_error(e: DataFusionError) -> GatewayError {
    use datafusion::arrow::error::ArrowError;
    use datafusion::common::SchemaError;

    fn plan(m: &str) -> ErrorKind {
        if m.contains("table") && m.contains("not found") {
            ErrorKind::UndefinedTable
        } else if m.contains("function") {
            ErrorKind::UndefinedFunction
        } else {
            ErrorKind::Semantic
        }
    }

    fn arrow(e: &ArrowError) -> ErrorKind {
        match e {
            ArrowError::DivideByZero => ErrorKind::DivisionByZero,
            ArrowError::CastError(_) | ArrowError::ParseError(_) => {
                ErrorKind::InvalidTextRepresentation
            }
            ArrowError::ArithmeticOverflow(_) => ErrorKind::NumericOutOfRange,
            ArrowError::ComputeError(_) | ArrowError::InvalidArgumentError(_) => {
                ErrorKind::DataException
            }
            ArrowError::NotYetImplemented(_) => ErrorKind::NotSupported,
            ArrowError::MemoryError(_) => ErrorKind::ResourceUnavailable,
            ArrowError::ExternalError(inner) => external(inner.as_ref()),
            ArrowError::SchemaError(_)
            | ArrowError::CsvError(_)
            | ArrowError::JsonError(_)
            | ArrowError::AvroError(_)
            | ArrowError::IoError(..)
            | ArrowError::IpcError(_)
            | ArrowError::ParquetError(_)
            | ArrowError::CDataInterface(_)
            | ArrowError::DictionaryKeyOverflowError
            | ArrowError::RunEndIndexOverflowError
            | ArrowError::OffsetOverflowError(_) => ErrorKind::Internal,
        }
    }

    /// A catalog UDF may fail with our own error; anything else foreign is our fault.
    fn external(e: &(dyn std::error::Error + Send + Sync + 'static)) -> ErrorKind {
        if let Some(g) = e.downcast_ref::<GatewayError>() {
            g.kind
        } else if let Some(d) = e.downcast_ref::<DataFusionError>() {
            kind(d)
        } else {
            ErrorKind::Internal
        }
    }

    fn kind(e: &DataFusionError) -> ErrorKind {
        match e {
            DataFusionError::SQL(..) => ErrorKind::Syntax,
            DataFusionError::NotImplemented(_) => ErrorKind::NotSupported,
            DataFusionError::SchemaError(schema, _) => match schema.as_ref() {
                SchemaError::FieldNotFound { .. } => ErrorKind::UndefinedColumn,
                SchemaError::AmbiguousReference { .. } => ErrorKind::AmbiguousColumn,
                SchemaError::DuplicateQualifiedField { .. }
                | SchemaError::DuplicateUnqualifiedField { .. } => ErrorKind::DuplicateColumn,
            },
            DataFusionError::Plan(m) => plan(m),
            DataFusionError::Execution(_) => ErrorKind::DataException,
            DataFusionError::Configuration(_) => ErrorKind::InvalidParameter,
            DataFusionError::ResourcesExhausted(_) => ErrorKind::ResourceUnavailable,
            DataFusionError::ArrowError(a, _) => arrow(a),
            DataFusionError::External(inner) => external(inner.as_ref()),
            DataFusionError::Context(_, inner) | DataFusionError::Diagnostic(_, inner) => {
                kind(inner)
            }
            DataFusionError::Shared(inner) => kind(inner),
            DataFusionError::Collection(all) => all.first().map_or(ErrorKind::Internal, kind),
            DataFusionError::ParquetError(_)
            | DataFusionError::ObjectStore(_)
            | DataFusionError::IoError(_)
            | DataFusionError::ExecutionJoin(_)
            | DataFusionError::Substrait(_)
            | DataFusionError::Ffi(_)
            | DataFusionError::Internal(_) => ErrorKind::Internal,
        }
    }

    let root = e.find_root();
    // Our own error (a Flink call's), with its detail and hint, goes out as is.
    if let DataFusionError::External(inner) = root
        && let Some(g) = inner.downcast_ref::<GatewayError>()
    {
        return g.clone();
    }
    if let DataFusionError::ArrowError(a, _) = root
        && let ArrowError::ExternalError(inner) = a.as_ref()
        && let Some(g) = inner.downcast_ref::<GatewayError>()
    {
        return g.clone();
    }
    GatewayError::new(kind(root), root.to_string())
        .with_detail("catalog query answered by the gateway's pg_catalog emulation")
}

fn mixed_or_user(stmt: &Statement) -> GatewayError {
    GatewayError::internal(format!(
        "not a catalog query: {}",
        stmt.to_string().chars().take(80).collect::<String>()
    ))
}

#[async_trait]
impl CatalogService for DliCatalog {
    fn route(&self, stmt: &Statement) -> CatalogRoute {
        let Some(f) = &self.flink else {
            return route(stmt);
        };
        let touch = flink::sql::touch(stmt, f.schema());
        if let Some(e) = flink::sql::refusal(stmt, f.schema(), &touch) {
            return CatalogRoute::Refused(e);
        }
        match route_with(stmt, Some(f.schema())) {
            CatalogRoute::Mixed { catalog, user } => CatalogRoute::Mixed {
                catalog: touch.reads.first().cloned().unwrap_or(catalog),
                user,
            },
            other => other,
        }
    }

    async fn answer(
        &self,
        sql: &str,
        stmt: &Statement,
        ctx: &CatalogContext,
    ) -> Result<LocalRows, GatewayError> {
        self.run(sql, stmt, ctx).await
    }

    async fn describe_catalog(
        &self,
        sql: &str,
        stmt: &Statement,
        ctx: &CatalogContext,
    ) -> Result<Described, GatewayError> {
        if self.route(stmt) != CatalogRoute::Catalog {
            return Err(mixed_or_user(stmt));
        }
        // Planning needs no columns of DLI tables (the relations' shapes are fixed), and
        // the statement's `$n` would make every database look needed. Nothing runs: a
        // Flink function is only planned here.
        let snap = self.shown(self.cache.snapshot().await.map_err(unavailable)?);
        let key = self.answer_key(sql, ctx);
        if let Some(k) = &key
            && let Some(d) = self.answers.described(snap.generation, k)
        {
            return Ok(d);
        }
        let flink = self.flink_statement(stmt)?;
        let run = self.flink.as_ref().map(FlinkSurface::run);
        let q = self.query_context(ctx, run.as_ref());
        let key = key.filter(|_| flink.is_none());
        let planned = match flink {
            Some((rewritten, _)) => {
                self.engine
                    .describe(&rewritten.to_string(), &rewritten, &snap, &q)
                    .await
            }
            None => self.engine.describe(sql, stmt, &snap, &q).await,
        };
        let (schema, params) = planned.map_err(query_error)?;
        let mut params: Vec<Option<Type>> = params
            .iter()
            .map(|p| p.as_ref().map(arrow_pg_type))
            .collect();
        // An explicit `$n::type` says what the client means to send.
        for (n, ty) in super::fixups::placeholder_casts(stmt) {
            if n > params.len() {
                params.resize(n, None);
            }
            if n >= 1 {
                params[n - 1] = Some(ty);
            }
        }
        let described = Described {
            params,
            columns: rows::fields(&schema)
                .into_iter()
                .map(|(name, ty)| Field::pg(name, ty))
                .collect(),
        };
        if let Some(k) = key {
            self.answers.put_described(snap.generation, k, &described);
        }
        Ok(described)
    }

    async fn refresh(&self, db: Option<String>) -> Result<LocalRows, GatewayError> {
        DliCatalog::refresh(self, db).await
    }

    async fn describe_user(&self, spark: &Statement, ctx: &CatalogContext) -> Option<Described> {
        let need = needs::of_user_query(spark, &ctx.currentdb);
        let snap = self.snapshot_for(&need, &ctx.currentdb).await.ok()?;
        describe::user_query(spark, &snap, &ctx.currentdb).await
    }

    async fn load_columns(&self, spark: &Statement, ctx: &CatalogContext) -> bool {
        let need = needs::of_user_query(spark, &ctx.currentdb);
        let before = self.cache.peek();
        match self.snapshot_for(&need, &ctx.currentdb).await {
            Ok(after) => before.is_none_or(|b| !Arc::ptr_eq(&b, &after)),
            Err(_) => false,
        }
    }

    fn cached_column_type(
        &self,
        db: Option<&str>,
        table: &str,
        column: &str,
    ) -> Option<crate::pgtypes::SparkType> {
        let snap = self.cache.peek()?;
        let mut types = snap
            .databases
            .iter()
            .filter(|d| db.is_none_or(|name| d.name == name))
            .filter_map(|d| d.tables.iter().find(|t| t.name == table))
            .map(|t| {
                t.columns
                    .iter()
                    .find(|c| c.name == column)
                    .map(|c| c.spark())
            });
        // An unqualified name: only when exactly one cached database has the table.
        let first = types.next()??;
        types.next().is_none().then_some(first)
    }

    async fn invalidate(&self, touched: &[Touched], ctx: &CatalogContext) {
        for what in invalidate::invalidations(touched, &ctx.currentdb) {
            self.cache.invalidate(what);
        }
    }
}
