//! Running catalog queries: a DataFusion session per query over the emulated
//! `pg_catalog` and `information_schema`.
//!
//! Owns: the pipeline `SQL → datafusion-pg-catalog's PostgresCompatibilityParser (psql /
//! DBeaver / Grafana rewrites) → our rewrites ([`super::rewrite`]) → DataFusion plan →
//! record batches`, and the per-snapshot cache of the relations built from metadata.
//! The library supplies the static relations (`pg_type`, `pg_proc`, `pg_am`, `pg_range`,
//! `pg_settings` …), the catalog UDFs and the oid-alias type planner; we supply the
//! relations that carry DLI metadata ([`super::pgtables`], [`super::infoschema`]) and
//! the session functions ([`super::functions`]). Must not call DLI.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{
    CatalogProvider, CatalogProviderList, MemoryCatalogProvider, MemoryCatalogProviderList,
    SchemaProvider, TableProvider,
};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::session_state::{SessionState, SessionStateBuilder};
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::Statement;
use datafusion_pg_catalog::pg_catalog::context::EmptyContextProvider;
use datafusion_pg_catalog::pg_catalog::{
    PG_CATALOG_TABLES, PgCatalogSchemaProvider, PgCatalogStaticTables, setup_pg_catalog,
};
use datafusion_pg_catalog::sql::PostgresCompatibilityParser;

use super::cache::CacheStatus;
use super::functions::{SessionFacts, session_udfs};
use super::model::Snapshot;
use super::pgfuncs::{self, Lookups};
use super::pgtables::{self, Schemas};
use super::system::{SystemRel, composite_type_relids, system_rel};
use super::{fixups, infoschema, rewrite};

type Tables = HashMap<String, Arc<dyn TableProvider>>;

/// What a query needs from the session.
#[derive(Debug, Clone)]
pub struct QueryContext {
    pub current_schema: String,
    pub user: String,
    /// The session's settings (`current_setting()`, `pg_settings`).
    pub settings: crate::settings::SessionValues,
    /// The session's open cursors (`pg_cursors`).
    pub cursors: Vec<crate::gateway::catalog_hook::OpenCursor>,
    /// For `dli_catalog_status()`.
    pub status: Option<CacheStatus>,
    /// The Flink schema's name and this query's Flink calls (none: no such schema).
    pub flink: Option<(String, Arc<super::flink::FlinkRun>)>,
}

/// Relations and lookups derived from one snapshot.
struct Built {
    generation: u64,
    pg: Tables,
    lookups: Arc<Lookups>,
    descriptions: Arc<HashMap<(u32, u32, i32), String>>,
    /// Per user: information_schema views.
    info: Mutex<HashMap<String, Arc<Tables>>>,
}

/// The catalog query engine (one per gateway; cheap per query).
pub struct Engine {
    parser: PostgresCompatibilityParser,
    base: SessionState,
    library: Arc<dyn SchemaProvider>,
    /// The library's static relations that have `"char"` columns, re-schemaed with the
    /// columns marked (see [`super::types::CHAR_COLUMNS`]).
    marked_static: Tables,
    schemas: Schemas,
    system: Vec<SystemRel>,
    typnames: Arc<HashMap<u32, String>>,
    /// Names of the boolean columns of every catalog relation.
    bool_columns: HashSet<String>,
    database: String,
    version: String,
    built: Mutex<Option<Arc<Built>>>,
}

impl Engine {
    pub fn new(database: &str, version: &str) -> Result<Engine> {
        let static_tables = Arc::new(PgCatalogStaticTables::try_new()?);
        let empty: Arc<dyn CatalogProviderList> = Arc::new(MemoryCatalogProviderList::new());
        let library =
            PgCatalogSchemaProvider::try_new(empty, static_tables.clone(), EmptyContextProvider)?;
        let mut by_name = HashMap::new();
        for name in [
            "pg_namespace",
            "pg_class",
            "pg_attribute",
            "pg_database",
            "pg_tables",
            "pg_views",
            "pg_roles",
            "pg_description",
            "pg_partitioned_table",
            "pg_index",
            "pg_constraint",
            "pg_settings",
        ] {
            if let Some(t) = library.build_table_by_name(name)? {
                by_name.insert(name, pgtables::complete_schema(name, t.schema()));
            }
        }
        by_name.insert("pg_user", pgtables::pg_user_schema());
        by_name.insert("pg_cursors", super::cursors::schema());
        let schemas = Schemas {
            by_name,
            static_descriptions: static_tables.pg_description.data().to_vec(),
        };
        let relids = composite_type_relids(&static_tables);
        let mut system = Vec::new();
        for name in PG_CATALOG_TABLES.iter().chain(&["pg_user", "pg_cursors"]) {
            let schema = match schemas.by_name.get(name) {
                Some(s) => s.clone(),
                None => match library.build_table_by_name(name)? {
                    Some(t) => t.schema(),
                    None => continue,
                },
            };
            system.push(system_rel(name, schema, false, &relids));
        }
        for (name, schema) in infoschema::schemas() {
            system.push(system_rel(name, schema, true, &relids));
        }
        let typnames = Arc::new(typnames(&static_tables));
        let marked_static = marked_static_tables(&library, &schemas)?;
        let bool_columns = system
            .iter()
            .flat_map(|r| r.schema.fields().iter())
            .filter(|f| f.data_type() == &DataType::Boolean)
            .map(|f| f.name().clone())
            .collect();

        let config = SessionConfig::new()
            .with_default_catalog_and_schema(database, "pg_catalog")
            .with_information_schema(false);
        let ctx = SessionContext::new_with_config(config);
        setup_pg_catalog(&ctx, database, EmptyContextProvider).map_err(|e| *e)?;
        Ok(Engine {
            parser: PostgresCompatibilityParser::new(),
            base: ctx.state(),
            library: Arc::new(library),
            marked_static,
            schemas,
            system,
            typnames,
            bool_columns,
            database: database.to_string(),
            version: version.to_string(),
            built: Mutex::new(None),
        })
    }

    pub fn database(&self) -> &str {
        &self.database
    }

    fn built(&self, snap: &Snapshot) -> Result<Arc<Built>> {
        let mut guard = self.built.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(b) = guard.as_ref()
            && b.generation == snap.generation
        {
            return Ok(b.clone());
        }
        let pg = pgtables::build(snap, &self.system, &self.schemas, &self.database)?
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        let built = Arc::new(Built {
            generation: snap.generation,
            pg,
            descriptions: Arc::new(descriptions(snap)),
            lookups: Arc::new(Lookups::of(snap)),
            info: Mutex::new(HashMap::new()),
        });
        *guard = Some(built.clone());
        Ok(built)
    }

    fn info(&self, built: &Built, snap: &Snapshot, user: &str) -> Result<Arc<Tables>> {
        let mut guard = built.info.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(t) = guard.get(user) {
            return Ok(t.clone());
        }
        let t = Arc::new(infoschema::build(snap, &self.system, &self.database, user)?);
        guard.insert(user.to_string(), t.clone());
        Ok(t)
    }

    /// A session over `snap` for one query.
    fn session(&self, snap: &Snapshot, q: &QueryContext) -> Result<SessionContext> {
        let built = self.built(snap)?;
        let mut pg = self.marked_static.clone();
        pg.extend(built.pg.iter().map(|(k, v)| (k.clone(), v.clone())));
        for (name, t) in pgtables::roles(&self.schemas, &q.user)? {
            pg.insert(name.to_string(), t);
        }
        pg.insert(
            "pg_settings".into(),
            pgtables::settings(&self.schemas, &q.settings)?,
        );
        pg.insert("pg_cursors".into(), super::cursors::table(&q.cursors)?);
        let info = self.info(&built, snap, &q.user)?;
        let catalog = MemoryCatalogProvider::new();
        catalog.register_schema(
            "pg_catalog",
            Arc::new(super::schemas::LayeredSchema::new(
                pg,
                Some(self.library.clone()),
            )),
        )?;
        catalog.register_schema(
            "information_schema",
            Arc::new(super::schemas::LayeredSchema::new((*info).clone(), None)),
        )?;
        if let Some((name, run)) = &q.flink {
            catalog.register_schema(
                name,
                Arc::new(super::schemas::LayeredSchema::new(
                    super::flink::FlinkSurface::relations(run)?,
                    None,
                )),
            )?;
        }
        let list = MemoryCatalogProviderList::new();
        list.register_catalog(self.database.clone(), Arc::new(catalog));
        let state = SessionStateBuilder::new_from_existing(self.base.clone())
            .with_catalog_list(Arc::new(list))
            .build();
        let ctx = SessionContext::new_with_state(state);
        let facts = SessionFacts {
            current_schema: q.current_schema.clone(),
            user: q.user.clone(),
            database: self.database.clone(),
            version: self.version.clone(),
            settings: q.settings.clone(),
            visible: Arc::new(visible(snap, &self.system, &q.current_schema)),
            descriptions: built.descriptions.clone(),
            typnames: self.typnames.clone(),
        };
        for f in session_udfs(&facts)
            .into_iter()
            .chain(pgfuncs::udfs(&built.lookups))
        {
            ctx.register_udf(f);
        }
        if let Some((_, run)) = &q.flink {
            super::flink::FlinkSurface::register(run, &ctx);
        }
        if let Some(status) = &q.status {
            ctx.register_udtf(
                "dli_catalog_status",
                Arc::new(super::status::status_table(status)?),
            );
        }
        Ok(ctx)
    }

    /// The statement as DataFusion will plan it: our rewrites around the library's
    /// rules. With `blacklist`, the library's whole-query substitutions apply first
    /// (the last resort for client queries DataFusion cannot plan at all).
    fn prepare(&self, sql: &str, raw: &Statement, blacklist: bool) -> Result<Statement> {
        let ours = rewrite::before_library(raw, &self.system);
        let stmt = if blacklist {
            let sql = ours.map_or_else(|| sql.to_string(), |s| s.to_string());
            let mut stmts = self
                .parser
                .parse(&sql)
                .map_err(|e| DataFusionError::SQL(Box::new(e), None))?;
            if stmts.len() != 1 {
                return Err(DataFusionError::Plan(format!(
                    "expected one statement, found {}",
                    stmts.len()
                )));
            }
            let mut stmt = stmts.remove(0);
            crate::sqldepth::balance_logic(&mut stmt);
            stmt
        } else {
            self.parser.rewrite(ours.unwrap_or_else(|| raw.clone()))
        };
        let stmt = fixups::distinct_unnamed(rewrite::after_library(stmt));
        let stmt = fixups::regproc_joins(stmt);
        Ok(fixups::boolean_literals(stmt, &self.bool_columns))
    }

    async fn plan_statement(
        &self,
        stmt: Statement,
        snap: &Snapshot,
        q: &QueryContext,
    ) -> Result<(SessionContext, LogicalPlan)> {
        let ctx = self.session(snap, q)?;
        let plan = ctx
            .state()
            .statement_to_plan(DFStatement::Statement(Box::new(stmt)))
            .await?;
        Ok((ctx, plan))
    }

    async fn execute(
        &self,
        stmt: Statement,
        snap: &Snapshot,
        q: &QueryContext,
    ) -> Result<(SchemaRef, Vec<RecordBatch>)> {
        let (ctx, plan) = self.plan_statement(stmt, snap, q).await?;
        let df = ctx.execute_logical_plan(plan).await?;
        let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
        let batches = df.collect().await?;
        Ok((schema, batches))
    }

    /// Run a statement that calls a Flink control function: planned and executed once,
    /// never retried (the action may have been taken).
    pub async fn run_once(
        &self,
        raw: &Statement,
        snap: &Snapshot,
        q: &QueryContext,
    ) -> Result<(SchemaRef, Vec<RecordBatch>)> {
        let stmt = fixups::boolean_literals(self.parser.rewrite(raw.clone()), &self.bool_columns);
        self.execute(stmt, snap, q).await
    }

    /// Run a catalog query (retried once with correlated select-list subqueries as NULL
    /// when DataFusion cannot plan them, see [`rewrite::null_projection_subqueries`]).
    pub async fn run(
        &self,
        sql: &str,
        raw: &Statement,
        snap: &Snapshot,
        q: &QueryContext,
    ) -> Result<(SchemaRef, Vec<RecordBatch>)> {
        let stmt = self.prepare(sql, raw, false)?;
        let first = self.execute_or_null_subqueries(stmt.clone(), snap, q).await;
        match first {
            Err(e) => {
                let listed = self.prepare(sql, raw, true)?;
                if listed == stmt {
                    return Err(e);
                }
                tracing::debug!(error = %e, "retrying with the library's query substitutions");
                self.execute_or_null_subqueries(listed, snap, q).await
            }
            ok => ok,
        }
    }

    async fn execute_or_null_subqueries(
        &self,
        stmt: Statement,
        snap: &Snapshot,
        q: &QueryContext,
    ) -> Result<(SchemaRef, Vec<RecordBatch>)> {
        match self.execute(stmt.clone(), snap, q).await {
            Err(e) if is_subquery_limitation(&e) => {
                tracing::debug!(error = %e, "retrying with select-list subqueries as NULL");
                self.execute(fixups::null_projection_subqueries(stmt), snap, q)
                    .await
            }
            other => other,
        }
    }

    /// Result schema and parameter types of a catalog query, without running it.
    pub async fn describe(
        &self,
        sql: &str,
        raw: &Statement,
        snap: &Snapshot,
        q: &QueryContext,
    ) -> Result<(SchemaRef, Vec<Option<DataType>>)> {
        let mut last = None;
        let mut plan = None;
        for blacklist in [false, true] {
            let prepared = self.prepare(sql, raw, blacklist)?;
            // As is; then with NULL parameters and without select-list subqueries (how
            // it would run): the columns do not depend on either.
            let relaxed =
                fixups::null_projection_subqueries(fixups::null_placeholders(prepared.clone()));
            for stmt in [prepared, relaxed] {
                match self.plan_statement(stmt, snap, q).await {
                    Ok((_, p)) => {
                        plan = Some(p);
                        break;
                    }
                    Err(e) => last = Some(e),
                }
            }
            if plan.is_some() {
                break;
            }
        }
        let plan = match (plan, last) {
            (Some(p), _) => p,
            (None, Some(e)) => return Err(e),
            (None, None) => return Err(DataFusionError::Plan("nothing to plan".into())),
        };
        let schema: SchemaRef = Arc::new(plan.schema().as_arrow().clone());
        Ok((schema, parameter_types(&plan)?))
    }
}

/// Static relations with `"char"` columns, their schemas marked.
fn marked_static_tables(
    library: &PgCatalogSchemaProvider<Arc<dyn CatalogProviderList>, EmptyContextProvider>,
    schemas: &Schemas,
) -> Result<Tables> {
    use datafusion::catalog::MemTable;
    use datafusion_pg_catalog::pg_catalog::PgCatalogTable;
    let mut out = Tables::new();
    for (name, _) in super::types::CHAR_COLUMNS {
        if schemas.by_name.contains_key(name) {
            continue; // built from metadata, already marked
        }
        let Some(PgCatalogTable::Static(t)) = library.build_table_by_name(name)? else {
            continue;
        };
        let schema = super::types::mark_char_columns(name, t.schema());
        let batches = t
            .data()
            .iter()
            .map(|b| b.clone().with_schema(schema.clone()))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let table: Arc<dyn TableProvider> = Arc::new(MemTable::try_new(schema, vec![batches])?);
        out.insert(name.to_string(), table);
    }
    Ok(out)
}

/// DataFusion's refusals of correlated subqueries it cannot decorrelate.
fn is_subquery_limitation(e: &DataFusionError) -> bool {
    let text = e.to_string();
    text.contains("ScalarSubquery")
        || text.contains("Correlated scalar subquery")
        || text.contains("correlated subquer")
        || text.contains("Correlated column")
}

/// `$1..$n` types in order (`None` where DataFusion could not infer one).
pub fn parameter_types(plan: &LogicalPlan) -> Result<Vec<Option<DataType>>> {
    let types = plan.get_parameter_types()?;
    let mut out: Vec<(usize, Option<DataType>)> = types
        .into_iter()
        .filter_map(|(k, v)| {
            k.trim_start_matches('$')
                .parse::<usize>()
                .ok()
                .map(|n| (n, v))
        })
        .collect();
    out.sort_by_key(|(n, _)| *n);
    let len = out.last().map_or(0, |(n, _)| *n);
    let mut dense = vec![None; len];
    for (n, t) in out {
        if n >= 1 {
            dense[n - 1] = t;
        }
    }
    Ok(dense)
}

fn descriptions(snap: &Snapshot) -> HashMap<(u32, u32, i32), String> {
    let mut out = HashMap::new();
    for (d, oid) in snap.databases.iter().zip(&snap.namespace_oids) {
        if let Some(text) = &d.description {
            out.insert((*oid, super::oids::PG_NAMESPACE_OID, 0), text.clone());
        }
    }
    for rel in &snap.relations {
        let t = snap.table(rel);
        if let Some(text) = &t.description {
            out.insert((rel.oid, super::oids::PG_CLASS_OID, 0), text.clone());
        }
        for (i, c) in t.columns.iter().enumerate() {
            if let Some(text) = c.shown_description() {
                let n = i32::try_from(i + 1).unwrap_or(i32::MAX);
                out.insert((rel.oid, super::oids::PG_CLASS_OID, n), text);
            }
        }
    }
    out
}

/// Relations on the search path: `pg_catalog`'s and the current schema's.
fn visible(snap: &Snapshot, system: &[SystemRel], current: &str) -> HashSet<u32> {
    let mut out: HashSet<u32> = system
        .iter()
        .filter(|r| r.namespace_oid == super::oids::PG_CATALOG_NAMESPACE)
        .map(|r| r.oid)
        .collect();
    out.extend(
        snap.relations
            .iter()
            .filter(|r| snap.db_name(r) == current)
            .map(|r| r.oid),
    );
    out
}

fn typnames(st: &PgCatalogStaticTables) -> HashMap<u32, String> {
    use datafusion::arrow::array::{Array, Int32Array, StringArray};
    let mut out = HashMap::new();
    for batch in st.pg_type.data() {
        let (Ok(oi), Ok(ni)) = (
            batch.schema().index_of("oid"),
            batch.schema().index_of("typname"),
        ) else {
            continue;
        };
        let (Some(oids), Some(names)) = (
            batch.column(oi).as_any().downcast_ref::<Int32Array>(),
            batch.column(ni).as_any().downcast_ref::<StringArray>(),
        ) else {
            continue;
        };
        for i in 0..batch.num_rows() {
            if let Ok(oid) = u32::try_from(oids.value(i))
                && !names.is_null(i)
            {
                out.insert(oid, names.value(i).to_string());
            }
        }
    }
    out
}
