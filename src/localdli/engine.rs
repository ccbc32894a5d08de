//! The SQL engine: DataFusion sessions over the shared `dli` catalog, statement
//! classification (DLI job types), semantic checks and dispatch of execution (queries
//! and INSERT run in [`super::exec`], DDL in [`super::ddlexec`]).
//!
//! Every statement is parsed with the Spark dialect ([`crate::sparksql`], plus
//! [`super::ddl`] for the DDL forms sqlparser's Hive rules miss); queries and INSERTs
//! are handed to DataFusion as AST, never as text. Each job gets its own
//! `SessionState` whose default schema is the job's `currentdb`. Owns no HTTP and no
//! job bookkeeping.

use std::path::PathBuf;
use std::sync::Arc;

use datafusion::catalog::{CatalogProviderList, MemoryCatalogProviderList};
use datafusion::common::TableReference;
use datafusion::execution::cache::cache_manager::CacheManagerConfig;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::execution::session_state::SessionState;
use datafusion::execution::{FunctionRegistry, SessionStateBuilder};
use datafusion::functions_nested::make_array::make_array_udf;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionConfig;
use datafusion::sql::parser::Statement as DFStatement;
use datafusion_spark::SessionStateBuilderSpark;
use serde_json::Value;
use sqlparser::ast::{ObjectName, Statement};

use super::catalog::{CATALOG, DEFAULT_DB, DliCatalog, Registry};
use super::ddl::{SparkDdl, parse_ddl};
use super::error::{SqlError, SqlErrorKind};
use super::sparkerr::{self, from_datafusion};
use super::stmt::{JobType, Stmt, classify};
use super::warehouse::{DatabaseMeta, Warehouse};
use crate::pgtypes::SparkType;

/// A parsed, classified statement.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub stmt: Stmt,
    pub job_type: JobType,
    /// The statement text as submitted.
    pub sql: String,
}

impl Prepared {
    /// QUERY, INSERT and CTAS run asynchronously; other DDL synchronously.
    pub fn is_async(&self) -> bool {
        match &self.stmt {
            Stmt::Query(_) | Stmt::Insert(_) => true,
            Stmt::CreateTable(spec) => spec.query.is_some(),
            _ => false,
        }
    }
}

/// A small result answered inline (SHOW, DESC).
#[derive(Debug, Clone, PartialEq)]
pub struct RowSet {
    pub columns: Vec<(String, SparkType)>,
    pub rows: Vec<Vec<Value>>,
}

/// A query result written under `<warehouse>/.results/<job_id>/`.
#[derive(Debug, Clone)]
pub struct QueryResult {
    pub columns: Vec<(String, SparkType)>,
    pub dir: PathBuf,
    pub preview: Vec<Vec<Value>>,
    pub rows: u64,
}

/// What a statement produced.
#[derive(Debug, Clone)]
pub enum Outcome {
    Done,
    Rows(RowSet),
    Query(QueryResult),
    Inserted(u64),
}

/// The shared engine: warehouse, catalog and DataFusion runtime.
#[derive(Debug)]
pub struct Engine {
    pub warehouse: Warehouse,
    pub registry: Arc<Registry>,
    pub owner: String,
    catalogs: Arc<dyn CatalogProviderList>,
    runtime: Arc<RuntimeEnv>,
    pub(super) ddl_lock: tokio::sync::Mutex<()>,
    /// Where asynchronous jobs run: their CPU-heavy work must not stall the REST handlers
    /// (a status poll or a cancel has to be answered while a big query runs).
    pub(super) compute: Compute,
}

/// A dedicated runtime for job execution, shut down without blocking when dropped.
pub struct Compute(Option<tokio::runtime::Runtime>);

impl Compute {
    fn new() -> Result<Self, String> {
        // More workers than cores: a cancelled job whose engine work has not yet reached a
        // yield point keeps its thread for a while; the next job must still find one.
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get()) * 2;
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers.max(4))
            .thread_stack_size(super::depth::STACK_BYTES)
            .thread_name("local-dli-jobs")
            .enable_all()
            .build()
            .map(|rt| Compute(Some(rt)))
            .map_err(|e| format!("cannot start the job runtime: {e}"))
    }

    /// Run `fut` on the job runtime (on the current one if the job runtime is gone).
    pub fn spawn<F>(&self, fut: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match &self.0 {
            Some(rt) => rt.spawn(fut),
            None => tokio::spawn(fut),
        }
    }
}

impl Drop for Compute {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

impl std::fmt::Debug for Compute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Compute")
    }
}

pub(super) fn df(e: datafusion::error::DataFusionError) -> SqlError {
    from_datafusion(&e)
}

pub(super) fn io(e: std::io::Error) -> SqlError {
    SqlError::internal(format!("local warehouse I/O error: {e}"))
}

impl Engine {
    /// Loads the warehouse into the catalog (creating the `default` database).
    pub fn open(warehouse: Warehouse, owner: &str) -> Result<Engine, String> {
        let registry = Arc::new(Registry::default());
        for (db, tables) in warehouse.load().map_err(|e| e.to_string())? {
            registry.put_database(db);
            for t in tables {
                let name = format!("{}.{}", t.database, t.name);
                if let Err(e) = registry.put_table(&warehouse, t) {
                    tracing::warn!(table = %name, "skipping table: {e}");
                }
            }
        }
        if !registry.has_database(DEFAULT_DB) {
            let meta = DatabaseMeta {
                name: DEFAULT_DB.into(),
                comment: "default database".into(),
                owner: owner.into(),
                created_ms: chrono::Utc::now().timestamp_millis(),
            };
            warehouse.write_database(&meta).map_err(|e| e.to_string())?;
            registry.put_database(meta);
        }
        let catalogs = Arc::new(MemoryCatalogProviderList::new());
        catalogs.register_catalog(
            CATALOG.into(),
            Arc::new(DliCatalog {
                registry: Arc::clone(&registry),
            }),
        );
        // Files are added outside DataFusion: never cache directory listings.
        let runtime = RuntimeEnvBuilder::new()
            .with_cache_manager(CacheManagerConfig::default().with_list_files_cache_limit(0))
            .build_arc()
            .map_err(|e| e.to_string())?;
        Ok(Engine {
            warehouse,
            registry,
            owner: owner.into(),
            catalogs,
            runtime,
            ddl_lock: tokio::sync::Mutex::new(()),
            compute: Compute::new()?,
        })
    }

    /// A session whose default schema is `currentdb`.
    pub fn session(&self, currentdb: &str) -> SessionState {
        let mut config = SessionConfig::new()
            .with_default_catalog_and_schema(CATALOG, currentdb.to_lowercase())
            .with_create_default_catalog_and_schema(false)
            .with_information_schema(false)
            .with_target_partitions(2);
        config.options_mut().sql_parser.map_string_types_to_utf8view = false;
        config.options_mut().sql_parser.parse_float_as_decimal = true;
        // Spark: NULLs first in ascending order, last in descending (ORDER BY, windows)
        config.options_mut().sql_parser.default_null_ordering = "nulls_min".into();
        config
            .options_mut()
            .execution
            .parquet
            .schema_force_view_types = false;
        let mut state = SessionStateBuilder::new()
            .with_config(config)
            .with_runtime_env(Arc::clone(&self.runtime))
            .with_catalog_list(Arc::clone(&self.catalogs))
            .with_default_features()
            // Spark's built-in functions (datafusion-spark) replace DataFusion's of the
            // same name, and its planner reads EXTRACT and SUBSTRING the Spark way.
            .with_spark_features()
            .build();
        // What datafusion-spark lacks: `array` (DataFusion's `make_array`), `from_json`,
        // `sequence`, `unix_timestamp`, the seconds of `extract`.
        let array = make_array_udf().as_ref().clone().with_aliases(["array"]);
        for (name, udf) in [
            ("array", Arc::new(array)),
            ("from_json", Arc::new(super::fromjson::udf())),
            (super::sparkzip::NAME, Arc::new(super::sparkzip::udf())),
            ("sequence", Arc::new(super::sparkseq::udf())),
            (
                "unix_timestamp",
                Arc::new(super::sparkunix::udf("unix_timestamp")),
            ),
            (
                "to_unix_timestamp",
                Arc::new(super::sparkunix::udf("to_unix_timestamp")),
            ),
            (
                super::sparkdates::SECOND,
                Arc::new(super::sparkdates::second_udf()),
            ),
            (
                super::sparktable::RAISE,
                Arc::new(super::sparktable::raise_udf()),
            ),
            (super::sparkstack::STACK, Arc::new(super::sparkstack::udf())),
        ] {
            if state.scalar_functions().contains_key(name) {
                continue;
            }
            if let Err(e) = state.register_udf(udf) {
                tracing::debug!("cannot register a Spark function: {e}");
            }
        }
        // datafusion-spark's functions that answer otherwise than Spark's
        for udf in [
            super::sparkunix::unit_udf("unix_seconds", 1_000_000),
            super::sparkunix::unit_udf("unix_millis", 1_000),
        ] {
            if let Err(e) = state.register_udf(Arc::new(udf)) {
                tracing::debug!("cannot register a Spark function: {e}");
            }
        }
        // One session per statement: its start is the statement's, which now(),
        // current_date and current_timestamp read (constant within the statement).
        let options = Arc::new(state.config_options().as_ref().clone());
        state.execution_props_mut().mark_start_execution(options);
        state
    }

    /// Parses and classifies one statement (syntax errors are DLI.0004).
    pub fn prepare(&self, sql: &str) -> Result<Prepared, SqlError> {
        let pieces = crate::sparksql::split_statements(sql);
        if pieces.len() > 1 {
            return Err(SqlError::new(
                SqlErrorKind::Syntax,
                "[PARSE_SYNTAX_ERROR] Syntax error at or near ';': submit one statement per job.",
            ));
        }
        let Some(text) = pieces.into_iter().next() else {
            return Err(SqlError::new(
                SqlErrorKind::Syntax,
                "[PARSE_EMPTY_STATEMENT] Syntax error, unexpected empty statement.",
            ));
        };
        super::depth::check(&text)?;
        super::sparkstrict::tokens(&text)?;
        let written = text.as_str();
        let text = super::sparklit::rewrite(written)?;
        let text = super::sparkhex::binary_literals(&text);
        let stmt = match parse_ddl(&text) {
            Some(Ok(ddl)) => Stmt::from_ddl(ddl),
            Some(Err(e)) => return Err(sparkerr::parse_error(&e)),
            None => {
                let mut stmts =
                    crate::sparksql::parse(&text).map_err(|e| sparkerr::parse_error(&e))?;
                if stmts.len() != 1 {
                    return Err(SqlError::new(
                        SqlErrorKind::Syntax,
                        "[PARSE_SYNTAX_ERROR] Syntax error: submit exactly one statement per job.",
                    ));
                }
                classify(stmts.remove(0))
            }
        };
        match &stmt {
            Stmt::Query(s) | Stmt::Insert(s) => super::sparkstrict::check(s.as_ref(), written)?,
            Stmt::CreateTable(spec) => {
                if let Some(q) = &spec.query {
                    super::sparkstrict::check(q.as_ref(), written)?;
                }
            }
            _ => {}
        }
        let job_type = stmt.job_type();
        Ok(Prepared {
            stmt,
            job_type,
            sql: sql.to_string(),
        })
    }

    /// Semantic check without executing (check-sql).
    pub async fn check(&self, p: &Prepared, currentdb: &str) -> Result<(), SqlError> {
        match &p.stmt {
            Stmt::Query(s) | Stmt::Insert(s) => {
                let state = self.session(currentdb);
                self.plan(&state, s, currentdb).await.map(|_| ())
            }
            Stmt::CreateTable(spec) => {
                let (db, _) = self.table_target(&spec.name, currentdb)?;
                self.require_db(&db)?;
                if let Some(q) = &spec.query {
                    let state = self.session(currentdb);
                    self.plan(&state, &Statement::Query(q.clone()), currentdb)
                        .await?;
                }
                Ok(())
            }
            Stmt::DropTable {
                name,
                if_exists: false,
            }
            | Stmt::DescribeTable { name }
            | Stmt::Truncate { name } => {
                let (db, t) = self.table_target(name, currentdb)?;
                self.require_table(&db, &t, name).map(|_| ())
            }
            Stmt::ShowTables { db: Some(db), .. }
            | Stmt::DescribeDatabase { db }
            | Stmt::Use { db } => self.require_db(db),
            Stmt::Unsupported { what, .. } if p.job_type != JobType::Dcl => {
                Err(SqlError::unsupported(what))
            }
            _ => Ok(()),
        }
    }

    /// Runs a statement. `result_dir` receives a QUERY's full result.
    pub async fn execute(
        &self,
        p: &Prepared,
        currentdb: &str,
        result_dir: &std::path::Path,
    ) -> Result<Outcome, SqlError> {
        match &p.stmt {
            Stmt::Query(s) => self.run_query(s, currentdb, result_dir).await,
            Stmt::Insert(s) => self.run_insert(s, currentdb).await,
            Stmt::CreateTable(spec) => match &spec.query {
                Some(_) => self.run_ctas(spec, currentdb).await,
                None => self.create_table(spec, currentdb).await,
            },
            other => self.run_ddl(other, currentdb).await,
        }
    }

    /// Resolves a `[catalog.][db.]table` name against `currentdb`, lower-cased.
    pub fn table_target(
        &self,
        name: &ObjectName,
        currentdb: &str,
    ) -> Result<(String, String), SqlError> {
        let parts: Vec<String> = name
            .0
            .iter()
            .map(|p| {
                p.as_ident()
                    .map(|i| i.value.to_lowercase())
                    .unwrap_or_else(|| p.to_string())
            })
            .collect();
        match parts.as_slice() {
            [t] => Ok((currentdb.to_lowercase(), t.clone())),
            [d, t] => Ok((d.clone(), t.clone())),
            [c, d, t] if c == "spark_catalog" || c == CATALOG => Ok((d.clone(), t.clone())),
            _ => Err(sparkerr::table_not_found(
                &parts.iter().map(String::as_str).collect::<Vec<_>>(),
            )),
        }
    }

    pub fn require_db(&self, db: &str) -> Result<(), SqlError> {
        if self.registry.has_database(db) {
            Ok(())
        } else {
            Err(sparkerr::schema_not_found(db))
        }
    }

    pub fn require_table(
        &self,
        db: &str,
        table: &str,
        as_written: &ObjectName,
    ) -> Result<super::catalog::TableEntry, SqlError> {
        self.registry.table(db, table).ok_or_else(|| {
            let written: Vec<String> = as_written.0.iter().map(|p| p.to_string()).collect();
            sparkerr::table_not_found(&written.iter().map(String::as_str).collect::<Vec<_>>())
        })
    }

    /// Plans a query or INSERT, first checking every table it names exists.
    pub async fn plan(
        &self,
        state: &SessionState,
        stmt: &Statement,
        currentdb: &str,
    ) -> Result<LogicalPlan, SqlError> {
        let mut stmt = stmt.clone();
        // `range(…)` in FROM is a table function, not a table to look up
        let ranges = super::sparktable::rewrite(&mut stmt)?;
        super::stmt::normalize_relations(&mut stmt);
        super::stmt::exponent_literals_as_double(&mut stmt);
        super::stmt::values_ints_as_int(&mut stmt);
        super::stmt::spark_cast_types(&mut stmt);
        super::sparkgen::rewrite(&mut stmt)?;
        if matches!(stmt, Statement::Query(_)) {
            super::stmt::name_columns(&mut stmt, false);
        }
        super::sparkfuncs::rewrite(&mut stmt)?;
        let df_stmt = DFStatement::Statement(Box::new(stmt));
        for r in state.resolve_table_references(&df_stmt).map_err(df)? {
            if ranges
                && matches!(&r, TableReference::Bare { table } if table.as_ref() == super::sparktable::RANGE)
            {
                continue;
            }
            self.check_reference(&r, currentdb)?;
        }
        let plan = match state.statement_to_plan(df_stmt.clone()).await {
            Err(e) if e.to_string().contains("require unique expression names") => {
                let DFStatement::Statement(mut stmt) = df_stmt else {
                    return Err(df(e));
                };
                super::stmt::name_columns(&mut stmt, true);
                state
                    .statement_to_plan(DFStatement::Statement(stmt))
                    .await
                    .map_err(df)?
            }
            other => other.map_err(df)?,
        };
        super::sparkcompat::apply(plan).map_err(df)
    }

    fn check_reference(&self, r: &TableReference, currentdb: &str) -> Result<(), SqlError> {
        let (db, table, written): (&str, &str, Vec<&str>) = match r {
            TableReference::Bare { table } => (currentdb, table, vec![table]),
            TableReference::Partial { schema, table } => (schema, table, vec![schema, table]),
            TableReference::Full {
                catalog,
                schema,
                table,
            } => {
                if catalog.as_ref() != CATALOG {
                    return Err(sparkerr::table_not_found(&[catalog, schema, table]));
                }
                (schema, table, vec![schema, table])
            }
        };
        if matches!(r, TableReference::Bare { .. }) && !self.registry.has_database(db) {
            return Err(sparkerr::schema_not_found(db));
        }
        if self.registry.table(db, table).is_none() {
            return Err(sparkerr::table_not_found(&written));
        }
        Ok(())
    }
}

impl Stmt {
    fn from_ddl(ddl: SparkDdl) -> Stmt {
        match ddl {
            SparkDdl::CreateDatabase {
                name,
                if_not_exists,
                comment,
            } => Stmt::CreateDatabase {
                name: name.value.to_lowercase(),
                if_not_exists,
                comment: comment.unwrap_or_default(),
            },
            SparkDdl::CreateTable(spec) => Stmt::CreateTable(spec),
            SparkDdl::DescribeTable { name } => Stmt::DescribeTable { name },
            SparkDdl::DescribeDatabase { name } => Stmt::DescribeDatabase {
                db: name.value.to_lowercase(),
            },
        }
    }
}
