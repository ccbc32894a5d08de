//! Request and response DTOs of the DLI catalog and queue APIs: databases
//! (§7.1), tables (§7.2.3–7.2.5) and queues (§6.3). Parsed leniently.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::jobs::push;
use super::lenient;
use super::schema::{Column, deserialize_schema};
use super::types::JobTag;

/// Query of `GET /v1.0/{p}/databases` (§7.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListDatabasesQuery {
    /// Fuzzy name filter.
    pub keyword: Option<String>,
    pub offset: Option<u32>,
    /// All databases when `None`.
    pub limit: Option<u32>,
    pub with_priv: Option<bool>,
}

impl ListDatabasesQuery {
    pub(super) fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut p = Vec::new();
        push(&mut p, "with-priv", self.with_priv);
        push(&mut p, "offset", self.offset);
        push(&mut p, "limit", self.limit);
        push(&mut p, "keyword", self.keyword.as_ref());
        p
    }
}

/// One database.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(default)]
pub struct DatabaseInfo {
    #[serde(deserialize_with = "lenient::string")]
    pub database_name: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub owner: Option<String>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub table_number: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub description: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub enterprise_project_id: Option<String>,
}

/// Answer to list databases.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(default)]
pub struct DatabaseList {
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub database_count: Option<i64>,
    #[serde(deserialize_with = "lenient::list")]
    pub databases: Vec<DatabaseInfo>,
}

/// Body of `POST /v1.0/{p}/databases` (§7.1.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct CreateDatabaseRequest {
    pub database_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enterprise_project_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<JobTag>,
}

/// Query of `GET /v1.0/{p}/databases/{db}/tables` (§7.2.3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListTablesQuery {
    pub keyword: Option<String>,
    pub with_detail: Option<bool>,
    /// 1..=100.
    pub page_size: Option<u32>,
    /// From 1.
    pub current_page: Option<u32>,
    pub with_priv: Option<bool>,
    /// `MANAGED_TABLE`, `EXTERNAL_TABLE` or `VIRTUAL_VIEW`.
    pub table_type: Option<String>,
    pub datasource_type: Option<String>,
    pub without_tablemeta: Option<bool>,
}

impl ListTablesQuery {
    pub(super) fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut p = Vec::new();
        push(&mut p, "keyword", self.keyword.as_ref());
        push(&mut p, "with-detail", self.with_detail);
        push(&mut p, "page-size", self.page_size);
        push(&mut p, "current-page", self.current_page);
        push(&mut p, "with-priv", self.with_priv);
        push(&mut p, "table-type", self.table_type.as_ref());
        push(&mut p, "datasource-type", self.datasource_type.as_ref());
        push(&mut p, "without-tablemeta", self.without_tablemeta);
        p
    }
}

/// One table of a table list (with `with-detail=true`, also its comment and columns where
/// the service includes them).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(default)]
pub struct TableInfo {
    #[serde(deserialize_with = "lenient::string")]
    pub table_name: String,
    /// `MANAGED`, `EXTERNAL`, `VIEW`.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub table_type: Option<String>,
    /// `DLI` or `OBS`.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub data_location: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub data_type: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub location: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub owner: Option<String>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub create_time: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub last_access_time: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub table_size: Option<i64>,
    #[serde(deserialize_with = "lenient::string_list")]
    pub partition_columns: Vec<String>,
    /// Only in `with-detail` answers, and not from every DLI version.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub table_comment: Option<String>,
    /// Only in `with-detail` answers, and not from every DLI version: empty when absent
    /// (describe the table, §7.2.4, to get them).
    #[serde(deserialize_with = "lenient::list")]
    pub columns: Vec<TableColumn>,
}

/// Answer to list tables.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(default)]
pub struct TableList {
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub table_count: Option<i64>,
    #[serde(deserialize_with = "lenient::list")]
    pub tables: Vec<TableInfo>,
}

/// One column of a described table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(default)]
pub struct TableColumn {
    #[serde(deserialize_with = "lenient::string")]
    pub column_name: String,
    /// Spark SQL type name (JSON `type`).
    #[serde(rename = "type", deserialize_with = "lenient::string")]
    pub type_name: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub description: Option<String>,
    #[serde(deserialize_with = "lenient::bool")]
    pub is_partition_column: bool,
}

/// A `{key, value}` storage property of an OBS table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(default)]
pub struct StorageProperty {
    #[serde(deserialize_with = "lenient::string")]
    pub key: String,
    #[serde(deserialize_with = "lenient::string")]
    pub value: String,
}

/// `GET /v1.0/{p}/databases/{db}/tables/{t}` (§7.2.4).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(default)]
pub struct TableDescription {
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub column_count: Option<i64>,
    #[serde(deserialize_with = "lenient::list")]
    pub columns: Vec<TableColumn>,
    /// `MANAGED`, `EXTERNAL` or `VIEW`.
    #[serde(deserialize_with = "lenient::string")]
    pub table_type: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub data_type: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub data_location: Option<String>,
    #[serde(deserialize_with = "lenient::list")]
    pub storage_properties: Vec<StorageProperty>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub table_comment: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub create_table_sql: Option<String>,
}

/// First rows of a table (§7.2.5).
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(default)]
pub struct TablePreview {
    #[serde(deserialize_with = "deserialize_schema")]
    pub schema: Vec<Column>,
    #[serde(deserialize_with = "lenient::rows")]
    pub rows: Vec<Vec<Value>>,
}

/// One queue (§6.3).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(default)]
pub struct QueueInfo {
    #[serde(deserialize_with = "lenient::string")]
    pub queue_name: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub description: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub owner: Option<String>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub create_time: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub queue_type: Option<String>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub cu_count: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub resource_id: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub enterprise_project_id: Option<String>,
    /// 0 shared, 1 dedicated.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub resource_mode: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub platform: Option<String>,
    #[serde(deserialize_with = "lenient::bool")]
    pub is_restarting: bool,
    #[serde(deserialize_with = "lenient::string_list")]
    pub labels: Vec<String>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub cu_spec: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub cu_scale_out_limit: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub cu_scale_in_limit: Option<i64>,
}

/// Answer to list queues.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(default)]
pub(crate) struct QueueList {
    #[serde(deserialize_with = "lenient::list")]
    pub queues: Vec<QueueInfo>,
}
