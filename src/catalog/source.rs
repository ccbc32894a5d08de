//! Where the metadata comes from: DLI's catalog endpoints.
//!
//! Owns: the [`MetadataSource`] seam (tests substitute it) and its DLI implementation,
//! which reads every database (§7.1.3) and every table (§7.2.3 with `with-detail=true`, so
//! owners, types, partition columns and — where the service includes them — comments and
//! columns come in the same pages) through the DLI client's all-pages listings, then
//! describes (§7.2.4) the tables whose list entry carried no columns, a bounded number at a
//! time. Reaches DLI only through [`DliClient`]'s public API. Must not cache (that is
//! [`super::cache`]).

use std::collections::HashMap;

use async_trait::async_trait;
use futures::StreamExt;

use crate::dli::{DliClient, DliError, ListTablesQuery, TableColumn, TableInfo};

use super::model::{Column, Database, RelKind, Table};

/// Reads metadata. Implementations must be cheap to call concurrently.
#[async_trait]
pub trait MetadataSource: Send + Sync + 'static {
    /// Every database (names, owners, descriptions), tables not filled in.
    async fn databases(&self) -> Result<Vec<Database>, DliError>;
    /// Every table of `db`, with columns. `known` holds tables whose columns are still
    /// valid (from the previous snapshot): a list entry without columns takes them from
    /// there instead of being described again.
    async fn tables(
        &self,
        db: &str,
        known: &HashMap<String, Table>,
    ) -> Result<Vec<Table>, DliError>;
}

/// [`MetadataSource`] over the DLI REST API.
pub struct DliSource {
    client: DliClient,
    describe_concurrency: usize,
}

impl DliSource {
    pub fn new(client: DliClient, describe_concurrency: usize) -> Self {
        Self {
            client,
            describe_concurrency: describe_concurrency.max(1),
        }
    }
}

#[async_trait]
impl MetadataSource for DliSource {
    async fn databases(&self) -> Result<Vec<Database>, DliError> {
        let list = self.client.list_all_databases(None).await?;
        Ok(list
            .into_iter()
            .filter(|d| !d.database_name.is_empty())
            .map(|d| Database {
                name: d.database_name,
                owner: d.owner.unwrap_or_default(),
                description: d.description.filter(|s| !s.is_empty()),
                tables: Vec::new(),
            })
            .collect())
    }

    async fn tables(
        &self,
        db: &str,
        known: &HashMap<String, Table>,
    ) -> Result<Vec<Table>, DliError> {
        let detailed = ListTablesQuery {
            with_detail: Some(true),
            ..ListTablesQuery::default()
        };
        let entries = self.client.list_all_tables_with(db, &detailed).await?;
        let results: Vec<Result<Table, DliError>> = futures::stream::iter(entries)
            .map(|e| self.complete(db, e, known))
            .buffered(self.describe_concurrency)
            .collect()
            .await;
        let mut tables = Vec::with_capacity(results.len());
        for r in results {
            match r {
                Ok(t) => tables.push(t),
                // Dropped between the list and the describe: leave it out.
                Err(e) if e.kind == crate::dli::DliErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(tables)
    }
}

impl DliSource {
    /// A list entry as a [`Table`], described when the entry has no columns.
    async fn complete(
        &self,
        db: &str,
        e: TableInfo,
        known: &HashMap<String, Table>,
    ) -> Result<Table, DliError> {
        let mut table = Table {
            kind: RelKind::from_dli(e.table_type.as_deref()),
            dli_type: e.table_type.clone().unwrap_or_else(|| "MANAGED".into()),
            owner: e.owner.clone().unwrap_or_default(),
            description: e.table_comment.clone().filter(|s| !s.is_empty()),
            columns: columns(&e.columns, &e.partition_columns),
            definition: None,
            size: e.table_size,
            name: e.table_name,
        };
        if table.columns.is_empty()
            && let Some(k) = known.get(&table.name)
        {
            table.columns = k.columns.clone();
            table.definition = k.definition.clone();
            if table.description.is_none() {
                table.description = k.description.clone();
            }
        }
        if table.columns.is_empty() {
            let d = self.client.describe_table(db, &table.name).await?;
            table.columns = columns(&d.columns, &e.partition_columns);
            if !d.table_type.is_empty() {
                table.kind = RelKind::from_dli(Some(&d.table_type));
                table.dli_type = d.table_type.clone();
            }
            if table.description.is_none() {
                table.description = d.table_comment.filter(|s| !s.is_empty());
            }
            if table.kind == RelKind::View {
                table.definition = d.create_table_sql;
            }
        }
        Ok(table)
    }
}

fn columns(cols: &[TableColumn], partition_columns: &[String]) -> Vec<Column> {
    cols.iter()
        .map(|c| Column {
            name: c.column_name.clone(),
            spark_type: c.type_name.clone(),
            description: c.description.clone().filter(|s| !s.is_empty()),
            partition: c.is_partition_column
                || partition_columns
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(&c.column_name)),
        })
        .collect()
}
