//! Catalog and queue calls of [`DliClient`]: databases (§7.1), tables
//! (§7.2.3–7.2.5), queues (§6.3), with helpers that fetch every page.

use reqwest::Method;

use super::catalog::{
    CreateDatabaseRequest, DatabaseInfo, DatabaseList, ListDatabasesQuery, ListTablesQuery,
    QueueInfo, QueueList, TableDescription, TableInfo, TableList, TablePreview,
};
use super::client::DliClient;
use super::error::DliError;
use super::jobs::{AsyncJobResponse, MessageResponse};

/// Page size used by the all-pages helpers (DLI's maximum for tables).
const PAGE: u32 = 100;
/// Stops a server that ignores paging from looping forever.
const MAX_PAGES: u32 = 10_000;

impl DliClient {
    /// One page of databases (§7.1.3).
    pub async fn list_databases(
        &self,
        query: &ListDatabasesQuery,
    ) -> Result<DatabaseList, DliError> {
        let call = self.inner.get("v1.0", &["databases"], &query.to_pairs())?;
        self.inner.retrying(&call).await
    }

    /// Every database whose name contains `keyword` (all when `None`), page by page.
    pub async fn list_all_databases(
        &self,
        keyword: Option<&str>,
    ) -> Result<Vec<DatabaseInfo>, DliError> {
        let mut all: Vec<DatabaseInfo> = Vec::new();
        for _ in 0..MAX_PAGES {
            let query = ListDatabasesQuery {
                keyword: keyword.map(str::to_owned),
                offset: Some(u32::try_from(all.len()).unwrap_or(u32::MAX)),
                limit: Some(PAGE),
                with_priv: None,
            };
            let list = self.list_databases(&query).await?;
            let got = list.databases.len();
            all.extend(list.databases);
            if is_last_page(got, all.len(), list.database_count) {
                break;
            }
        }
        Ok(all)
    }

    /// One page of tables of `db` (§7.2.3).
    pub async fn list_tables(
        &self,
        db: &str,
        query: &ListTablesQuery,
    ) -> Result<TableList, DliError> {
        let call = self
            .inner
            .get("v1.0", &["databases", db, "tables"], &query.to_pairs())?;
        self.inner.retrying(&call).await
    }

    /// Every table of `db` (names, types and locations), page by page.
    pub async fn list_all_tables(&self, db: &str) -> Result<Vec<TableInfo>, DliError> {
        self.list_all_tables_with(db, &ListTablesQuery::default())
            .await
    }

    /// Every table of `db` matching `filter` (its paging fields are overridden).
    pub async fn list_all_tables_with(
        &self,
        db: &str,
        filter: &ListTablesQuery,
    ) -> Result<Vec<TableInfo>, DliError> {
        let mut all: Vec<TableInfo> = Vec::new();
        for page in 1..=MAX_PAGES {
            let query = ListTablesQuery {
                page_size: Some(PAGE),
                current_page: Some(page),
                ..filter.clone()
            };
            let list = self.list_tables(db, &query).await?;
            let got = list.tables.len();
            all.extend(list.tables);
            if is_last_page(got, all.len(), list.table_count) {
                break;
            }
        }
        Ok(all)
    }

    /// Columns and properties of a table (§7.2.4).
    pub async fn describe_table(
        &self,
        db: &str,
        table: &str,
    ) -> Result<TableDescription, DliError> {
        let call = self
            .inner
            .get("v1.0", &["databases", db, "tables", table], &[])?;
        self.inner.retrying(&call).await
    }

    /// First rows of a table (§7.2.5, synchronous mode).
    pub async fn table_preview(&self, db: &str, table: &str) -> Result<TablePreview, DliError> {
        let call = self
            .inner
            .get("v1.0", &["databases", db, "tables", table, "preview"], &[])?;
        self.inner.retrying(&call).await
    }

    /// Queues of the project (§6.3); `queue_type` is `sql`, `general` or `all`
    /// (DLI's default is `sql`).
    pub async fn list_queues(&self, queue_type: Option<&str>) -> Result<Vec<QueueInfo>, DliError> {
        let query: Vec<(&str, String)> = queue_type
            .map(|t| ("queue_type", t.to_owned()))
            .into_iter()
            .collect();
        let call = self.inner.get("v1.0", &["queues"], &query)?;
        let list: QueueList = self.inner.retrying(&call).await?;
        Ok(list.queues)
    }

    /// Creates a database (§7.1.1); sent once.
    pub async fn create_database(
        &self,
        req: &CreateDatabaseRequest,
    ) -> Result<MessageResponse, DliError> {
        let call = self
            .inner
            .call(Method::POST, "v1.0", &["databases"], &[], Some(req))?;
        self.inner.once(&call).await
    }

    /// Drops a database (§7.1.2); with `cascade`, its tables too. Sent once.
    pub async fn drop_database(
        &self,
        db: &str,
        cascade: bool,
    ) -> Result<AsyncJobResponse, DliError> {
        let query = [("cascade", cascade.to_string())];
        let call =
            self.inner
                .call::<()>(Method::DELETE, "v1.0", &["databases", db], &query, None)?;
        self.inner.once(&call).await
    }
}

/// With an announced total: last when it is reached (or a page is empty).
/// Without one: last when a page is short.
fn is_last_page(got: usize, collected: usize, total: Option<i64>) -> bool {
    match total {
        Some(t) => got == 0 || collected as i64 >= t,
        None => got < PAGE as usize,
    }
}
