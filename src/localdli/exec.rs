//! Execution of queries, INSERT and table previews on DataFusion: planning through
//! [`Engine::plan`], streaming the physical plan, writing query results as JSON lines
//! and INSERTs as new data files cast to the table schema. Owns no catalog changes
//! (CTAS registration is [`super::ddlexec`]'s).

use std::sync::Arc;

use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::TableReference;
use datafusion::execution::session_state::SessionState;
use datafusion::logical_expr::dml::InsertOp;
use datafusion::logical_expr::{LogicalPlan, WriteOp};
use datafusion::physical_plan::{SendableRecordBatchStream, execute_stream};
use futures::StreamExt;
use serde_json::Value;
use sqlparser::ast::Statement;

use super::catalog::DEFAULT_DB;
use super::ddl::CreateTableSpec;
use super::engine::{Engine, Outcome, QueryResult, df, io};
use super::error::SqlError;
use super::results::ResultSink;
use super::sparkerr::{self, from_datafusion};
use crate::pgtypes::spark_columns;

impl Engine {
    pub(super) async fn stream(
        &self,
        state: &SessionState,
        plan: &LogicalPlan,
    ) -> Result<SendableRecordBatchStream, SqlError> {
        let physical = state.create_physical_plan(plan).await.map_err(df)?;
        execute_stream(physical, state.task_ctx()).map_err(df)
    }

    pub(super) async fn run_query(
        &self,
        stmt: &Statement,
        currentdb: &str,
        result_dir: &std::path::Path,
    ) -> Result<Outcome, SqlError> {
        let state = self.session(currentdb);
        let plan = self.plan(&state, stmt, currentdb).await?;
        let columns = spark_columns(plan.schema().as_arrow())
            .into_iter()
            .map(|(n, t)| (crate::sparknames::display_name(&n).to_string(), t))
            .collect();
        let mut stream = self.stream(&state, &plan).await?;
        let mut sink = ResultSink::create(result_dir).map_err(io)?;
        while let Some(batch) = stream.next().await {
            sink.write(&batch.map_err(df)?).map_err(io)?;
        }
        let (dir, preview, rows) = sink.finish().map_err(io)?;
        Ok(Outcome::Query(QueryResult {
            columns,
            dir,
            preview,
            rows,
        }))
    }

    pub(super) async fn run_insert(
        &self,
        stmt: &Statement,
        currentdb: &str,
    ) -> Result<Outcome, SqlError> {
        let state = self.session(currentdb);
        let plan = self.plan(&state, stmt, currentdb).await?;
        let LogicalPlan::Dml(dml) = plan else {
            return Err(SqlError::internal("INSERT did not plan as a DML statement"));
        };
        let (db, table) = match &dml.table_name {
            TableReference::Bare { table } => (currentdb.to_lowercase(), table.to_string()),
            TableReference::Partial { schema, table }
            | TableReference::Full { schema, table, .. } => (schema.to_string(), table.to_string()),
        };
        let entry = self
            .registry
            .table(&db, &table)
            .ok_or_else(|| sparkerr::table_not_found(&[db.as_str(), table.as_str()]))?;
        let overwrite = matches!(dml.op, WriteOp::Insert(InsertOp::Overwrite));
        let fmt = entry.meta.format;
        let old = if overwrite {
            self.warehouse.data_files(&db, &table, fmt).map_err(io)?
        } else {
            vec![]
        };
        let stream = self.stream(&state, &dml.input).await?;
        let rows = self
            .write_stream(stream, &db, &table, &entry.schema, fmt, false)
            .await?;
        for f in old {
            std::fs::remove_file(&f).map_err(io)?;
        }
        Ok(Outcome::Inserted(rows))
    }

    /// Writes a stream into one new data file of a table (casting to its schema).
    pub(super) async fn write_stream(
        &self,
        mut stream: SendableRecordBatchStream,
        db: &str,
        table: &str,
        schema: &SchemaRef,
        format: super::warehouse::TableFormat,
        by_name: bool,
    ) -> Result<u64, SqlError> {
        let mut writer = self
            .warehouse
            .new_data_file(db, table, format, Arc::clone(schema))
            .map_err(io)?;
        while let Some(batch) = stream.next().await {
            let batch = conform(&batch.map_err(df)?, schema, by_name)?;
            writer.write(&batch).map_err(io)?;
        }
        writer.finish().map_err(io)
    }

    /// The first `limit` rows of a table, rendered (table preview).
    pub async fn table_rows(
        &self,
        db: &str,
        table: &str,
        limit: usize,
    ) -> Result<Vec<Vec<Value>>, SqlError> {
        let sql = format!(
            "SELECT * FROM {}.{} LIMIT {limit}",
            crate::sparksql::quote_ident(db),
            crate::sparksql::quote_ident(table)
        );
        let mut stmts = crate::sparksql::parse(&sql).map_err(|e| sparkerr::parse_error(&e))?;
        let stmt = stmts
            .pop()
            .ok_or_else(|| SqlError::internal("empty preview statement"))?;
        let state = self.session(DEFAULT_DB);
        let plan = self.plan(&state, &stmt, DEFAULT_DB).await?;
        let mut stream = self.stream(&state, &plan).await?;
        let mut rows = Vec::new();
        while let Some(batch) = stream.next().await {
            rows.extend(super::results::render_batch(&batch.map_err(df)?));
        }
        Ok(rows)
    }

    pub(super) async fn run_ctas(
        &self,
        spec: &CreateTableSpec,
        currentdb: &str,
    ) -> Result<Outcome, SqlError> {
        super::ddlexec::ctas(self, spec, currentdb).await
    }
}

/// Casts a batch to a table schema, matching columns by position or by name.
pub(super) fn conform(
    batch: &RecordBatch,
    schema: &SchemaRef,
    by_name: bool,
) -> Result<RecordBatch, SqlError> {
    let mut columns = Vec::with_capacity(schema.fields().len());
    for (i, field) in schema.fields().iter().enumerate() {
        let col = if by_name {
            let idx = batch
                .schema()
                .index_of(field.name())
                .map_err(|e| SqlError::internal(e.to_string()))?;
            batch.column(idx).clone()
        } else {
            batch
                .columns()
                .get(i)
                .cloned()
                .ok_or_else(|| SqlError::internal("column count mismatch"))?
        };
        let col = if col.data_type() == field.data_type() {
            col
        } else {
            cast(&col, field.data_type()).map_err(|e| {
                from_datafusion(&datafusion::error::DataFusionError::ArrowError(
                    Box::new(e),
                    None,
                ))
            })?
        };
        columns.push(col);
    }
    RecordBatch::try_new(Arc::clone(schema), columns).map_err(|e| SqlError::internal(e.to_string()))
}
