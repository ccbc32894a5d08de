//! Describe for user queries without a DLI job: plan the Spark SQL with DataFusion
//! against empty tables that carry the cached schemas.
//!
//! Owns: the planning session (the DLI databases as schemas of one catalog, resolved
//! lazily from the snapshot so thousands of tables cost nothing until named), and the
//! translation of the plan's output schema into Spark type names and of its `$n`
//! parameters into Postgres types. DataFusion's typing is close to Spark's for the common
//! cases (columns, casts, count/sum/avg, comparisons); when it cannot plan a statement
//! the answer is `None` and the caller falls back to running it.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::catalog::{CatalogProvider, MemoryCatalogProvider, SchemaProvider, TableProvider};
use datafusion::datasource::empty::EmptyTable;
use datafusion::error::Result;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::sql::parser::Statement as DFStatement;

use crate::gateway::catalog_hook::Described;
use crate::gateway::output::Field as ResultField;
use crate::pgtypes::SparkType;

use super::engine::parameter_types;
use super::model::Snapshot;
use super::types::{arrow_pg_type, arrow_spark_name};

/// The catalog name the planning session uses (Spark's).
const CATALOG: &str = "spark_catalog";

/// One DLI database, its tables resolved on demand.
#[derive(Debug)]
struct LazyDatabase {
    snap: Arc<Snapshot>,
    db: String,
}

#[async_trait]
impl SchemaProvider for LazyDatabase {
    fn table_names(&self) -> Vec<String> {
        self.snap
            .database(&self.db)
            .map(|d| d.tables.iter().map(|t| t.name.clone()).collect())
            .unwrap_or_default()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let Some(rel) = self.snap.find(&self.db, &name.to_lowercase()) else {
            return Ok(None);
        };
        let fields: Vec<Field> = self
            .snap
            .table(rel)
            .columns
            .iter()
            .map(|c| {
                let dt = SparkType::try_parse(&c.spark_type)
                    .map(|t| t.to_arrow())
                    .unwrap_or(DataType::Utf8);
                Field::new(c.name.clone(), dt, true)
            })
            .collect();
        Ok(Some(Arc::new(EmptyTable::new(Arc::new(Schema::new(
            fields,
        ))))))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.snap.find(&self.db, &name.to_lowercase()).is_some()
    }
}

fn session(snap: &Arc<Snapshot>, currentdb: &str) -> Result<SessionContext> {
    let config = SessionConfig::new()
        .with_default_catalog_and_schema(CATALOG, currentdb)
        .with_create_default_catalog_and_schema(false);
    let ctx = SessionContext::new_with_config(config);
    let catalog = MemoryCatalogProvider::new();
    for d in &snap.databases {
        catalog.register_schema(
            &d.name,
            Arc::new(LazyDatabase {
                snap: snap.clone(),
                db: d.name.clone(),
            }),
        )?;
    }
    ctx.register_catalog(CATALOG, Arc::new(catalog));
    Ok(ctx)
}

/// Columns and parameter types of a row-returning user query (parsed as Spark SQL), or
/// `None`.
pub async fn user_query(
    stmt: &sqlparser::ast::Statement,
    snap: &Arc<Snapshot>,
    currentdb: &str,
) -> Option<Described> {
    // Queries give columns and parameter types; an INSERT gives its parameters' types
    // from the target table's columns (and returns no rows).
    let is_insert = matches!(stmt, sqlparser::ast::Statement::Insert(_));
    if !matches!(stmt, sqlparser::ast::Statement::Query(_)) && !is_insert {
        return None;
    }
    let ctx = session(snap, currentdb).ok()?;
    let mut stmt = stmt.clone();
    if let sqlparser::ast::Statement::Query(q) = &mut stmt {
        crate::sparknames::repeated_in_body(&mut q.body);
    }
    let plan = match ctx
        .state()
        .statement_to_plan(DFStatement::Statement(Box::new(stmt)))
        .await
    {
        Ok(p) => p,
        Err(e) => {
            tracing::debug!(error = %e, "describe: cannot plan locally");
            return None;
        }
    };
    let params = parameter_types(&plan).ok()?;
    let columns = if is_insert {
        Vec::new()
    } else {
        plan.schema()
            .fields()
            .iter()
            .map(|f| {
                let name = crate::sparknames::display_name(f.name()).to_string();
                ResultField::spark(name, &arrow_spark_name(f.data_type()))
            })
            .collect()
    };
    Some(Described {
        params: params
            .iter()
            .map(|p| p.as_ref().map(arrow_pg_type))
            .collect(),
        columns,
    })
}
