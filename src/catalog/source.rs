//! Where the metadata comes from: DLI's catalog endpoints.
//!
//! Owns: the [`MetadataSource`] seam (tests substitute it) and its DLI implementation,
//! which reads every page of §7.1.3 (databases) and §7.2.3 (tables, `with-detail=true`,
//! so owners, types, partition columns and — where the service includes them — columns
//! come in the same pages), then §7.2.4 (describe) for the tables whose list entry
//! carried no columns, a bounded number at a time. Must not cache (that is
//! [`super::cache`]).

use std::collections::HashMap;

use async_trait::async_trait;
use futures::StreamExt;
use serde::Deserialize;

use crate::dli::{DliClient, DliError, ListTablesQuery, TableColumn, lenient};

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

/// Page size of the table list (DLI's maximum).
const PAGE: u32 = 100;
/// Stops a server that ignores paging from looping forever.
const MAX_PAGES: u32 = 10_000;

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

    /// One page of §7.2.3, read with a DTO that also keeps `columns` and
    /// `table_comment` (present in `with-detail` answers of some DLI versions and of the
    /// embedded service; absent ones are described afterwards).
    async fn table_page(&self, db: &str, page: u32) -> Result<DetailedTableList, DliError> {
        let query = ListTablesQuery {
            with_detail: Some(true),
            page_size: Some(PAGE),
            current_page: Some(page),
            ..ListTablesQuery::default()
        };
        let call =
            self.client
                .inner
                .get("v1.0", &["databases", db, "tables"], &query.to_pairs())?;
        self.client.inner.retrying(&call).await
    }

    async fn all_table_entries(&self, db: &str) -> Result<Vec<DetailedTable>, DliError> {
        let mut all = Vec::new();
        for page in 1..=MAX_PAGES {
            let list = self.table_page(db, page).await?;
            let got = list.tables.len();
            all.extend(list.tables);
            let last = match list.table_count {
                Some(total) => got == 0 || all.len() as i64 >= total,
                None => got < PAGE as usize,
            };
            if last {
                break;
            }
        }
        Ok(all)
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
        let entries = self.all_table_entries(db).await?;
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
        e: DetailedTable,
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

/// §7.2.3 answer with the optional detail fields this module needs.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct DetailedTableList {
    #[serde(deserialize_with = "lenient::opt_i64")]
    table_count: Option<i64>,
    #[serde(deserialize_with = "lenient::list")]
    tables: Vec<DetailedTable>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct DetailedTable {
    #[serde(deserialize_with = "lenient::string")]
    table_name: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    table_type: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    owner: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    table_comment: Option<String>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    table_size: Option<i64>,
    #[serde(deserialize_with = "lenient::string_list")]
    partition_columns: Vec<String>,
    #[serde(deserialize_with = "lenient::list")]
    columns: Vec<TableColumn>,
}
