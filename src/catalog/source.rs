//! Where the metadata comes from: DLI's catalog endpoints.
//!
//! Owns: the [`MetadataSource`] seam (tests substitute it) and its DLI implementation:
//! every database (§7.1.3) and every table list (§7.2.3 with `with-detail=true`: names,
//! types, owners, sizes, partition columns — never columns or comments, which Table 7-31
//! does not have) through the DLI client's all-pages listings, and one table's columns,
//! comment and view text by a describe (§7.2.4). Reaches DLI only through [`DliClient`]'s
//! public API. Must not cache nor decide what to describe (that is [`super::cache`] and
//! [`super::columns`]).

use async_trait::async_trait;

use crate::dli::{DliClient, DliError, DliErrorKind, ListTablesQuery, TableColumn, TableInfo};

use super::model::{Column, Database, RelKind, Table};

/// Reads metadata. Implementations must be cheap to call concurrently.
#[async_trait]
pub trait MetadataSource: Send + Sync + 'static {
    /// Every database (names, owners, descriptions), tables not filled in.
    async fn databases(&self) -> Result<Vec<Database>, DliError>;
    /// Every table of `db` as the table list gives it: names, kinds, owners, sizes; no
    /// columns, comments nor view texts (see [`Self::describe`]).
    async fn tables(&self, db: &str) -> Result<Vec<Table>, DliError>;
    /// `listed` completed with its columns, comment and view text; `None` when the table
    /// no longer exists (dropped between the list and the describe).
    async fn describe(&self, db: &str, listed: &Table) -> Result<Option<Table>, DliError>;
}

/// [`MetadataSource`] over the DLI REST API.
pub struct DliSource {
    client: DliClient,
}

impl DliSource {
    pub fn new(client: DliClient) -> Self {
        Self { client }
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
                described: false,
            })
            .collect())
    }

    async fn tables(&self, db: &str) -> Result<Vec<Table>, DliError> {
        let detailed = ListTablesQuery {
            with_detail: Some(true),
            ..ListTablesQuery::default()
        };
        let entries = self.client.list_all_tables_with(db, &detailed).await?;
        Ok(entries.into_iter().map(listed).collect())
    }

    async fn describe(&self, db: &str, listed: &Table) -> Result<Option<Table>, DliError> {
        let d = match self.client.describe_table(db, &listed.name).await {
            Ok(d) => d,
            // 400 DLI.0002 "The object does not exist" (error code table), or a 404.
            Err(e) if e.kind == DliErrorKind::NotFound || e.code.as_deref() == Some("DLI.0002") => {
                return Ok(None);
            }
            // Listed but not this identity's to read: left out, as a table it cannot see.
            Err(e) if denied(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut table = listed.clone();
        table.columns = columns(&d.columns, &listed.partition_keys);
        if !d.table_type.is_empty() {
            table.kind = RelKind::from_dli(Some(&d.table_type));
            table.dli_type = d.table_type.clone();
        }
        table.description = d.table_comment.filter(|s| !s.is_empty());
        table.definition = match table.kind {
            RelKind::View => d.create_table_sql,
            RelKind::Table => None,
        };
        Ok(Some(table))
    }
}

/// A table list entry as a [`Table`] not yet described.
fn listed(e: TableInfo) -> Table {
    Table {
        kind: RelKind::from_dli(e.table_type.as_deref()),
        dli_type: e.table_type.unwrap_or_else(|| "MANAGED".into()),
        owner: e.owner.unwrap_or_default(),
        description: None,
        columns: Vec::new(),
        definition: None,
        size: e.table_size,
        partition_keys: e.partition_columns,
        name: e.table_name,
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

/// Whether DLI refused a catalog call for want of permission (DLI.0003 "SQL permission
/// verification fails", or HTTP 403): under `dli-passthrough` an identity may be listed
/// a database it cannot read, which its catalog then leaves out.
pub fn denied(e: &DliError) -> bool {
    e.code.as_deref() == Some("DLI.0003") || e.http_status == Some(403)
}
