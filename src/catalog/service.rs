//! The [`CatalogService`] the router asks before running anything on DLI.
//!
//! Owns: gluing routing ([`super::route`]), the shared cache ([`super::cache`]) and the
//! query engine ([`super::engine`]) behind the seam; turning their failures into
//! Postgres errors; the cache commands `SELECT dli_catalog_refresh(['db'])` and
//! `SELECT * FROM dli_catalog_status()`; invalidation after DDL; Describe of catalog
//! queries and (through [`super::describe`]) of user queries.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use datafusion::error::DataFusionError;
use pgwire::api::Type;

use crate::dli::{Column as DliColumn, DliClient, DliError};
use crate::errors::{ErrorKind, GatewayError};
use crate::gateway::catalog_hook::{CatalogContext, CatalogService, Described, LocalRows};
use crate::pgtypes::PgValue;

use super::cache::{Invalidation, MetadataCache};
use super::config::CatalogConfig;
use super::engine::{Engine, QueryContext};
use super::route::{Route, route};
use super::source::{DliSource, MetadataSource};
use super::types::{arrow_pg_type, field_spark_name};
use super::{describe, invalidate, rows};

/// The catalog of one gateway, shared by every session.
pub struct DliCatalog {
    cache: Arc<MetadataCache>,
    engine: Arc<Engine>,
}

impl DliCatalog {
    /// A catalog over DLI's catalog endpoints.
    pub fn new(
        client: DliClient,
        cfg: &CatalogConfig,
        server_version: &str,
    ) -> Result<Arc<DliCatalog>, GatewayError> {
        let source = Arc::new(DliSource::new(client, cfg.describe_concurrency));
        Self::with_source(source, cfg, server_version)
    }

    /// A catalog over any metadata source (tests).
    pub fn with_source(
        source: Arc<dyn MetadataSource>,
        cfg: &CatalogConfig,
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
        );
        let catalog = Arc::new(DliCatalog {
            cache: Arc::new(cache),
            engine: Arc::new(engine),
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
        })
    }

    fn query_context(&self, ctx: &CatalogContext) -> QueryContext {
        QueryContext {
            current_schema: ctx.currentdb.clone(),
            user: ctx.user.clone(),
            settings: ctx.settings.clone(),
            status: Some(self.cache.status()),
        }
    }

    async fn run(
        &self,
        sql: &str,
        stmt: &sqlparser::ast::Statement,
        ctx: &CatalogContext,
    ) -> Result<LocalRows, GatewayError> {
        tracing::trace!(sql, "catalog query");
        let snap = self.cache.snapshot().await.map_err(unavailable)?;
        let started = std::time::Instant::now();
        let (schema, batches) = self
            .engine
            .run(sql, stmt, &snap, &self.query_context(ctx))
            .await
            .map_err(query_error)?;
        let out = rows::local_rows(&schema, &batches).map_err(GatewayError::internal)?;
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

/// DataFusion's verdict on a catalog query, as a Postgres error.
fn query_error(e: DataFusionError) -> GatewayError {
    let e = e.find_root();
    let text = e.to_string();
    let kind = match e {
        DataFusionError::SQL(..) => ErrorKind::Syntax,
        DataFusionError::NotImplemented(_) => ErrorKind::NotSupported,
        DataFusionError::SchemaError(..) => ErrorKind::UndefinedColumn,
        DataFusionError::Plan(m) if m.contains("table") && m.contains("not found") => {
            ErrorKind::UndefinedTable
        }
        DataFusionError::Plan(m) if m.contains("function") => ErrorKind::UndefinedFunction,
        DataFusionError::Plan(_) => ErrorKind::Semantic,
        DataFusionError::Execution(_) => ErrorKind::DataException,
        _ => ErrorKind::Internal,
    };
    GatewayError::new(kind, text)
        .with_detail("catalog query answered by the gateway's pg_catalog emulation")
}

#[async_trait]
impl CatalogService for DliCatalog {
    async fn answer(
        &self,
        sql: &str,
        ctx: &CatalogContext,
    ) -> Option<Result<LocalRows, GatewayError>> {
        match route(sql) {
            Route::User => None,
            Route::Refresh(db) => Some(self.refresh(db).await),
            Route::Mixed { catalog, user } => Some(Err(GatewayError::new(
                ErrorKind::NotSupported,
                format!(
                    "a statement cannot read both the catalog relation {catalog} and the DLI table {user}"
                ),
            )
            .with_hint(
                "Catalog relations are answered by the gateway, DLI tables by DLI jobs: query them separately.",
            ))),
            Route::Catalog(stmt) => Some(self.run(sql, &stmt, ctx).await),
        }
    }

    async fn describe(&self, sql: &str, ctx: &CatalogContext) -> Option<Described> {
        match route(sql) {
            Route::Catalog(stmt) => {
                let snap = self.cache.snapshot().await.ok()?;
                let described = self
                    .engine
                    .describe(sql, &stmt, &snap, &self.query_context(ctx))
                    .await;
                let (schema, params) = match described {
                    Ok(d) => d,
                    Err(e) => {
                        tracing::debug!(error = %e, "describe of a catalog query failed");
                        return None;
                    }
                };
                let mut params: Vec<Option<Type>> = params
                    .iter()
                    .map(|p| p.as_ref().map(arrow_pg_type))
                    .collect();
                // An explicit `$n::type` says what the client means to send.
                for (n, ty) in super::fixups::placeholder_casts(&stmt) {
                    if n > params.len() {
                        params.resize(n, None);
                    }
                    if n >= 1 {
                        params[n - 1] = Some(ty);
                    }
                }
                Some(Described {
                    params,
                    columns: schema
                        .fields()
                        .iter()
                        .map(|f| DliColumn::new(f.name().clone(), field_spark_name(f)))
                        .collect(),
                })
            }
            Route::Refresh(_) => Some(Described {
                params: Vec::new(),
                columns: vec![DliColumn::new("dli_catalog_refresh", "string")],
            }),
            Route::Mixed { .. } => None,
            Route::User => {
                let snap = self.cache.snapshot().await.ok()?;
                describe::user_query(sql, &snap, &ctx.currentdb).await
            }
        }
    }

    async fn invalidate_after(&self, sql: &str, ctx: &CatalogContext) {
        for what in invalidate::invalidations(sql, &ctx.currentdb) {
            self.cache.invalidate(what);
        }
    }
}
