//! Execution of DDL and catalog statements: CREATE/DROP DATABASE, CREATE TABLE (incl.
//! CTAS), DROP/TRUNCATE TABLE, SHOW DATABASES/TABLES, DESCRIBE, USE. Every change is
//! written to the warehouse first and then to the in-memory registry, under the
//! engine's DDL lock. Owns DDL semantics; no HTTP, no job bookkeeping.

use serde_json::Value;

use super::catalog::{DEFAULT_DB, arrow_schema};
use super::ddl::CreateTableSpec;
use super::engine::{Engine, Outcome, RowSet, io};
use super::error::{SqlError, SqlErrorKind};
use super::sparkerr;
use super::stmt::{Stmt, spark_like};
use super::warehouse::{ColumnMeta, DatabaseMeta, TableFormat, TableMeta, is_safe_name};
use crate::pgtypes::SparkType;

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn check_name(name: &str) -> Result<(), SqlError> {
    if is_safe_name(name) && !name.chars().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err(sparkerr::invalid_name(name))
    }
}

fn string_rows(columns: &[&str], rows: Vec<Vec<Value>>) -> Outcome {
    Outcome::Rows(RowSet {
        columns: columns
            .iter()
            .map(|c| (c.to_string(), SparkType::String))
            .collect(),
        rows,
    })
}

impl Engine {
    /// DDL statements other than CREATE TABLE.
    pub(super) async fn run_ddl(&self, stmt: &Stmt, currentdb: &str) -> Result<Outcome, SqlError> {
        match stmt {
            Stmt::CreateDatabase {
                name,
                if_not_exists,
                comment,
            } => self.create_database(name, *if_not_exists, comment).await,
            Stmt::DropDatabase {
                name,
                if_exists,
                cascade,
            } => self.drop_database(name, *if_exists, *cascade).await,
            Stmt::DropTable { name, if_exists } => {
                let (db, t) = self.table_target(name, currentdb)?;
                let _guard = self.ddl_lock.lock().await;
                match self.require_table(&db, &t, name) {
                    Ok(_) => {}
                    Err(_) if *if_exists => return Ok(Outcome::Done),
                    Err(e) => return Err(e),
                }
                self.warehouse.remove_table(&db, &t).map_err(io)?;
                self.registry.remove_table(&db, &t);
                Ok(Outcome::Done)
            }
            Stmt::Truncate { name } => {
                let (db, t) = self.table_target(name, currentdb)?;
                let entry = self.require_table(&db, &t, name)?;
                for f in self
                    .warehouse
                    .data_files(&db, &t, entry.meta.format)
                    .map_err(io)?
                {
                    std::fs::remove_file(f).map_err(io)?;
                }
                Ok(Outcome::Done)
            }
            Stmt::ShowDatabases { pattern } => {
                let rows = self
                    .registry
                    .database_names()
                    .into_iter()
                    .filter(|n| pattern.as_ref().is_none_or(|p| spark_like(p, n)))
                    .map(|n| vec![Value::String(n)])
                    .collect();
                Ok(string_rows(&["namespace"], rows))
            }
            Stmt::ShowTables { db, pattern } => {
                let db = db.clone().unwrap_or_else(|| currentdb.to_lowercase());
                self.require_db(&db)?;
                let rows = self
                    .registry
                    .table_names(&db)
                    .into_iter()
                    .filter(|n| pattern.as_ref().is_none_or(|p| spark_like(p, n)))
                    .map(|n| {
                        vec![
                            Value::String(db.clone()),
                            Value::String(n),
                            Value::Bool(false),
                        ]
                    })
                    .collect();
                Ok(Outcome::Rows(RowSet {
                    columns: vec![
                        ("namespace".into(), SparkType::String),
                        ("tableName".into(), SparkType::String),
                        ("isTemporary".into(), SparkType::Boolean),
                    ],
                    rows,
                }))
            }
            Stmt::DescribeTable { name } => {
                let (db, t) = self.table_target(name, currentdb)?;
                let entry = self.require_table(&db, &t, name)?;
                Ok(string_rows(
                    &["col_name", "data_type", "comment"],
                    describe_rows(&entry.meta),
                ))
            }
            Stmt::DescribeDatabase { db } => {
                let meta = self
                    .registry
                    .database(db)
                    .ok_or_else(|| sparkerr::schema_not_found(db))?;
                let location = format!("file:{}", self.warehouse.database_dir(db).display());
                let rows = [
                    ("Catalog Name", "spark_catalog".to_string()),
                    ("Namespace Name", meta.name),
                    ("Comment", meta.comment),
                    ("Location", location),
                    ("Owner", meta.owner),
                ]
                .into_iter()
                .map(|(k, v)| vec![Value::String(k.into()), Value::String(v)])
                .collect();
                Ok(string_rows(&["info_name", "info_value"], rows))
            }
            Stmt::Use { db } => self.require_db(db).map(|_| Outcome::Done),
            Stmt::Unsupported { what, .. } => Err(SqlError::unsupported(what)),
            Stmt::CreateTable(_) | Stmt::Query(_) | Stmt::Insert(_) => Err(SqlError::internal(
                "statement routed to the DDL executor by mistake",
            )),
        }
    }

    pub async fn create_database(
        &self,
        name: &str,
        if_not_exists: bool,
        comment: &str,
    ) -> Result<Outcome, SqlError> {
        let name = name.to_lowercase();
        check_name(&name)?;
        let _guard = self.ddl_lock.lock().await;
        if self.registry.has_database(&name) {
            return if if_not_exists {
                Ok(Outcome::Done)
            } else {
                Err(sparkerr::schema_exists(&name))
            };
        }
        let meta = DatabaseMeta {
            name,
            comment: comment.to_string(),
            owner: self.owner.clone(),
            created_ms: now_ms(),
        };
        self.warehouse.write_database(&meta).map_err(io)?;
        self.registry.put_database(meta);
        Ok(Outcome::Done)
    }

    pub async fn drop_database(
        &self,
        name: &str,
        if_exists: bool,
        cascade: bool,
    ) -> Result<Outcome, SqlError> {
        let name = name.to_lowercase();
        if name == DEFAULT_DB {
            return Err(SqlError::new(
                SqlErrorKind::Unsupported,
                "[UNSUPPORTED_FEATURE.DROP_DEFAULT_DATABASE] Can not drop default database.",
            ));
        }
        let _guard = self.ddl_lock.lock().await;
        let Some(tables) = self.registry.tables(&name) else {
            return if if_exists {
                Ok(Outcome::Done)
            } else {
                Err(sparkerr::schema_not_found(&name))
            };
        };
        if !tables.is_empty() && !cascade {
            return Err(sparkerr::schema_not_empty(&name));
        }
        self.warehouse.remove_database(&name).map_err(io)?;
        self.registry.remove_database(&name);
        Ok(Outcome::Done)
    }

    /// `CREATE TABLE` with a column list.
    pub(super) async fn create_table(
        &self,
        spec: &CreateTableSpec,
        currentdb: &str,
    ) -> Result<Outcome, SqlError> {
        let (db, table) = self.table_target(&spec.name, currentdb)?;
        let meta = self.table_meta(spec, &db, &table, table_columns(spec)?)?;
        let _guard = self.ddl_lock.lock().await;
        self.require_db(&db)?;
        if self.registry.table(&db, &table).is_some() {
            return if spec.if_not_exists {
                Ok(Outcome::Done)
            } else {
                Err(sparkerr::table_exists(&db, &table))
            };
        }
        // A stale folder (a crash between mkdir and metadata) is replaced.
        self.warehouse.remove_table(&db, &table).map_err(io)?;
        self.warehouse.write_table(&meta).map_err(io)?;
        self.registry
            .put_table(&self.warehouse, meta)
            .map_err(SqlError::internal)?;
        Ok(Outcome::Done)
    }

    /// Validates a CREATE TABLE and builds its metadata (partition columns moved last).
    fn table_meta(
        &self,
        spec: &CreateTableSpec,
        db: &str,
        table: &str,
        columns: Vec<ColumnMeta>,
    ) -> Result<TableMeta, SqlError> {
        check_name(table)?;
        if let Some(what) = spec.unsupported.first() {
            return Err(SqlError::unsupported(format!(
                "{what} in CREATE TABLE on the local DLI service"
            )));
        }
        if spec.external || spec.location.is_some() {
            return Err(SqlError::unsupported(
                "EXTERNAL tables and LOCATION on the local DLI service",
            ));
        }
        let format = match spec.format.as_deref() {
            None | Some("parquet") | Some("hive") => TableFormat::Parquet,
            Some("csv") | Some("textfile") => TableFormat::Csv,
            Some(other) => {
                return Err(SqlError::unsupported(format!(
                    "data source '{other}' locally (use parquet or csv)"
                )));
            }
        };
        let mut columns = columns;
        for p in &spec.partitioned_by {
            match (columns.iter().any(|c| c.name == p.name), &p.ty) {
                (false, Some(ty)) => columns.push(ColumnMeta {
                    name: p.name.clone(),
                    spark_type: ty.spark_name(),
                    comment: p.comment.clone(),
                }),
                (true, None) => {}
                (true, Some(_)) => {
                    return Err(SqlError::new(
                        SqlErrorKind::Analysis,
                        format!(
                            "[COLUMN_ALREADY_EXISTS] The column `{}` already exists.",
                            p.name
                        ),
                    ));
                }
                (false, None) => {
                    return Err(SqlError::new(
                        SqlErrorKind::Analysis,
                        format!(
                            "[UNRESOLVED_COLUMN] Partition column `{}` is not a column of the table.",
                            p.name
                        ),
                    ));
                }
            }
        }
        let partition_columns: Vec<String> =
            spec.partitioned_by.iter().map(|p| p.name.clone()).collect();
        if partition_columns.len() >= columns.len() && !partition_columns.is_empty() {
            return Err(SqlError::new(
                SqlErrorKind::Analysis,
                "[ALL_PARTITION_COLUMNS_NOT_ALLOWED] Cannot use all columns for partition columns.",
            ));
        }
        let (mut data, mut parts): (Vec<_>, Vec<_>) = columns
            .into_iter()
            .partition(|c| !partition_columns.contains(&c.name));
        parts.sort_by_key(|c| partition_columns.iter().position(|p| *p == c.name));
        data.append(&mut parts);
        let mut seen = std::collections::HashSet::new();
        for c in &data {
            if !seen.insert(c.name.clone()) {
                return Err(SqlError::new(
                    SqlErrorKind::Analysis,
                    format!(
                        "[COLUMN_ALREADY_EXISTS] The column `{}` already exists.",
                        c.name
                    ),
                ));
            }
            let ty = SparkType::try_parse(&c.spark_type)
                .map_err(|e| SqlError::new(SqlErrorKind::Analysis, e.to_string()))?;
            if ty == SparkType::Void {
                return Err(SqlError::unsupported(format!(
                    "column `{}` of type void",
                    c.name
                )));
            }
            let nested = matches!(
                ty,
                SparkType::Binary | SparkType::Array(_) | SparkType::Map(..) | SparkType::Struct(_)
            );
            if format == TableFormat::Csv && nested {
                return Err(SqlError::unsupported(format!(
                    "type {} in a csv table",
                    ty.spark_name()
                )));
            }
        }
        Ok(TableMeta {
            database: db.to_string(),
            name: table.to_string(),
            columns: data,
            partition_columns,
            format,
            comment: spec.comment.clone().unwrap_or_default(),
            owner: self.owner.clone(),
            created_ms: now_ms(),
        })
    }
}

fn table_columns(spec: &CreateTableSpec) -> Result<Vec<ColumnMeta>, SqlError> {
    if spec.columns.is_empty() && spec.partitioned_by.iter().all(|p| p.ty.is_none()) {
        return Err(SqlError::new(
            SqlErrorKind::Analysis,
            "[SPECIFY_SCHEMA_NOT_ALLOWED] CREATE TABLE needs a column list or AS SELECT.",
        ));
    }
    Ok(spec
        .columns
        .iter()
        .map(|c| ColumnMeta {
            name: c.name.clone(),
            spark_type: c.ty.spark_name(),
            comment: c.comment.clone(),
        })
        .collect())
}

/// `DESCRIBE` rows: columns, then Spark's partition section.
pub fn describe_rows(meta: &TableMeta) -> Vec<Vec<Value>> {
    let row = |c: &ColumnMeta| {
        vec![
            Value::String(c.name.clone()),
            Value::String(c.spark_type.clone()),
            c.comment.clone().map(Value::String).unwrap_or(Value::Null),
        ]
    };
    let mut rows: Vec<Vec<Value>> = meta.columns.iter().map(row).collect();
    if !meta.partition_columns.is_empty() {
        rows.push(vec!["# Partition Information".into(), "".into(), "".into()]);
        rows.push(vec![
            "# col_name".into(),
            "data_type".into(),
            "comment".into(),
        ]);
        for p in &meta.partition_columns {
            if let Some(c) = meta.columns.iter().find(|c| &c.name == p) {
                rows.push(row(c));
            }
        }
    }
    rows
}

/// `CREATE TABLE … AS SELECT`: run the query into the new table's folder, then register.
pub(super) async fn ctas(
    engine: &Engine,
    spec: &CreateTableSpec,
    currentdb: &str,
) -> Result<Outcome, SqlError> {
    let (db, table) = engine.table_target(&spec.name, currentdb)?;
    engine.require_db(&db)?;
    if engine.registry.table(&db, &table).is_some() {
        return if spec.if_not_exists {
            Ok(Outcome::Done)
        } else {
            Err(sparkerr::table_exists(&db, &table))
        };
    }
    let Some(query) = &spec.query else {
        return Err(SqlError::internal("CTAS without a query"));
    };
    let state = engine.session(currentdb);
    let plan = engine
        .plan(
            &state,
            &sqlparser::ast::Statement::Query(query.clone()),
            currentdb,
        )
        .await?;
    let columns: Vec<ColumnMeta> = plan
        .schema()
        .fields()
        .iter()
        .map(|f| ColumnMeta {
            name: crate::sparknames::display_name(f.name()).to_lowercase(),
            spark_type: SparkType::from_arrow(f.data_type()).spark_name(),
            comment: None,
        })
        .collect();
    let meta = engine.table_meta(spec, &db, &table, columns)?;
    let schema = arrow_schema(&meta).map_err(SqlError::internal)?;
    let plan = rename_lowercase(plan)?;
    let physical = state
        .create_physical_plan(&plan)
        .await
        .map_err(super::engine::df)?;
    let stream = datafusion::physical_plan::execute_stream(physical, state.task_ctx())
        .map_err(super::engine::df)?;
    engine.warehouse.remove_table(&db, &table).map_err(io)?;
    let written = engine
        .write_stream(stream, &db, &table, &schema, meta.format, true)
        .await;
    let rows = match written {
        Ok(rows) => rows,
        Err(e) => {
            let _ = engine.warehouse.remove_table(&db, &table);
            return Err(e);
        }
    };
    let _guard = engine.ddl_lock.lock().await;
    if engine.registry.table(&db, &table).is_some() {
        let _ = engine.warehouse.remove_table(&db, &table);
        return Err(sparkerr::table_exists(&db, &table));
    }
    engine.warehouse.write_table(&meta).map_err(io)?;
    engine
        .registry
        .put_table(&engine.warehouse, meta)
        .map_err(SqlError::internal)?;
    Ok(Outcome::Inserted(rows))
}

/// Projects a plan's columns under lower-case names (the stored column names).
fn rename_lowercase(
    plan: datafusion::logical_expr::LogicalPlan,
) -> Result<datafusion::logical_expr::LogicalPlan, SqlError> {
    use datafusion::logical_expr::{LogicalPlanBuilder, col};
    let exprs: Vec<_> = plan
        .schema()
        .columns()
        .into_iter()
        .map(|c| {
            let lower = crate::sparknames::display_name(&c.name).to_lowercase();
            col(c).alias(lower)
        })
        .collect();
    LogicalPlanBuilder::from(plan)
        .project(exprs)
        .and_then(|b| b.build())
        .map_err(super::engine::df)
}
