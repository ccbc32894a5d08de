//! Catalog endpoints (§6.3 queues, §7.1 databases, §7.2 tables): list/create/drop
//! databases, list/create/describe/drop/preview tables, and the single SQL queue
//! `default`. Owns JSON shapes; changes go through the engine like SQL DDL does. A
//! granted user ([`crate::localdli::grants`]) lists and names only its own databases.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;
use serde_json::{Value, json};
use sqlparser::ast::{Ident, ObjectName};

use super::state::{
    ApiResult, AppState, Params, int_param, json_body, lenient_bool, ok, query_params, schema_json,
    str_field,
};
use crate::localdli::catalog::TableEntry;
use crate::localdli::ddl::{ColumnSpec, CreateTableSpec, PartitionSpec};
use crate::localdli::error::ApiError;
use crate::localdli::grants::Caller;
use crate::localdli::stmt::Stmt;
use crate::localdli::warehouse::{TableMeta, is_safe_name};
use crate::pgtypes::SparkType;

fn path_param(p: &Params, key: &str) -> String {
    p.get(key)
        .map(|s| s.trim().to_lowercase())
        .unwrap_or_default()
}

fn require_db(st: &AppState, caller: &Caller, db: &str) -> Result<(), ApiError> {
    caller.require(db)?;
    if st.engine.registry.has_database(db) {
        Ok(())
    } else {
        Err(ApiError::missing(format!(
            "There is no database named {db}."
        )))
    }
}

fn require_table(
    st: &AppState,
    caller: &Caller,
    db: &str,
    table: &str,
) -> Result<TableEntry, ApiError> {
    require_db(st, caller, db)?;
    st.engine.registry.table(db, table).ok_or_else(|| {
        ApiError::missing(format!("There is no table named {table} in database {db}."))
    })
}

/// `GET databases` (§7.1.3).
pub async fn list_databases(
    State(st): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let params = query_params(q);
    let offset = int_param(&params, "offset", 0, 0, u64::from(u32::MAX))? as usize;
    let limit = int_param(
        &params,
        "limit",
        u64::from(u32::MAX),
        0,
        u64::from(u32::MAX),
    )? as usize;
    let keyword = params
        .get("keyword")
        .map(|k| k.to_lowercase())
        .unwrap_or_default();
    let dbs: Vec<_> = st
        .engine
        .registry
        .databases()
        .into_iter()
        .filter(|(m, _)| m.name.contains(&keyword) && caller.may_use(&m.name))
        .collect();
    let count = dbs.len();
    let items: Vec<Value> = dbs
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|(m, n)| {
            json!({
                "database_name": m.name, "owner": m.owner, "table_number": n,
                "description": m.comment, "enterprise_project_id": "0",
            })
        })
        .collect();
    ok(json!({"database_count": count, "databases": items}))
}

/// `POST databases` (§7.1.1).
pub async fn create_database(
    State(st): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> ApiResult {
    caller.require_owner("the project")?;
    let body = json_body(&body)?;
    let name = str_field(&body, "database_name")?
        .unwrap_or_default()
        .trim()
        .to_lowercase();
    if !is_safe_name(&name) || name.chars().all(|c| c.is_ascii_digit()) {
        return Err(ApiError::param(format!(
            "Invalid database_name '{name}': use 1-128 letters, digits and underscores, not only digits \
             and not starting with an underscore."
        )));
    }
    let description = str_field(&body, "description")?.unwrap_or_default();
    st.engine
        .create_database(&name, false, &description)
        .await?;
    ok(json!({}))
}

/// `DELETE databases/{db}?cascade=…` (§7.1.2).
pub async fn drop_database(
    State(st): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(p): Path<Params>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let params = query_params(q);
    let cascade = params
        .get("cascade")
        .is_some_and(|c| c.eq_ignore_ascii_case("true"));
    let db = path_param(&p, "db");
    require_db(&st, &caller, &db)?;
    st.engine.drop_database(&db, false, cascade).await?;
    ok(json!({"job_mode": "sync"}))
}

fn column_json(c: &crate::localdli::warehouse::ColumnMeta, meta: &TableMeta) -> Value {
    json!({
        "column_name": c.name,
        "type": c.spark_type,
        "description": c.comment.clone().unwrap_or_default(),
        "is_partition_column": meta.partition_columns.contains(&c.name),
    })
}

/// One entry of the table list, with the fields of Table 7-31 and no more: without
/// `with-detail` only `data_location`, `table_name` and `table_type`; with it also the
/// owner, times and size. The OBS-only fields (`data_type`, `location`,
/// `partition_columns`) do not apply (every table here is a DLI table), and columns and
/// comments are not in the list at all (describe a table, §7.2.4, for them).
fn table_json(st: &AppState, t: &TableEntry, with_detail: bool) -> Value {
    let m = &t.meta;
    let mut v = json!({"table_name": m.name, "table_type": "MANAGED", "data_location": "DLI"});
    if with_detail {
        v["owner"] = json!(m.owner);
        v["create_time"] = json!(m.created_ms);
        v["last_access_time"] = json!(m.created_ms);
        v["table_size"] = json!(st.engine.warehouse.table_size(m));
    }
    v
}

/// `GET databases/{db}/tables` (§7.2.3).
pub async fn list_tables(
    State(st): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(p): Path<Params>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let params = query_params(q);
    let db = path_param(&p, "db");
    let size = int_param(&params, "page-size", 100, 1, 100)? as usize;
    let page = int_param(&params, "current-page", 1, 1, u64::from(u32::MAX))? as usize;
    let keyword = params
        .get("keyword")
        .map(|k| k.to_lowercase())
        .unwrap_or_default();
    let flag = |k: &str| {
        params
            .get(k)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    };
    // `without-tablemeta` is accepted; the reference names no field it removes from
    // an answer that has no table metadata beyond Table 7-31 anyway.
    let with_detail = flag("with-detail");
    let type_ok = match params.get("table-type").map(|t| t.to_uppercase()) {
        None => true,
        Some(t) => t == "MANAGED_TABLE" || t == "MANAGED",
    };
    require_db(&st, &caller, &db)?;
    let tables: Vec<TableEntry> = st
        .engine
        .registry
        .tables(&db)
        .unwrap_or_default()
        .into_iter()
        .filter(|t| type_ok && t.meta.name.contains(&keyword))
        .collect();
    let count = tables.len();
    let items: Vec<Value> = tables
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .map(|t| table_json(&st, t, with_detail))
        .collect();
    ok(json!({"table_count": count, "tables": items}))
}

fn create_table_sql(m: &TableMeta) -> String {
    use crate::sparksql::{quote_ident, quote_string};
    let cols: Vec<String> = m
        .columns
        .iter()
        .map(|c| {
            let comment = c
                .comment
                .as_ref()
                .map(|t| format!(" COMMENT {}", quote_string(t)))
                .unwrap_or_default();
            format!(
                "{} {}{comment}",
                quote_ident(&c.name),
                c.spark_type.to_uppercase()
            )
        })
        .collect();
    let mut sql = format!(
        "CREATE TABLE {}.{} ({})\nUSING {}\n",
        quote_ident(&m.database),
        quote_ident(&m.name),
        cols.join(", "),
        m.format.name()
    );
    if !m.partition_columns.is_empty() {
        sql.push_str(&format!(
            "PARTITIONED BY ({})\n",
            m.partition_columns.join(", ")
        ));
    }
    if !m.comment.is_empty() {
        sql.push_str(&format!("COMMENT {}\n", quote_string(&m.comment)));
    }
    sql
}

/// `GET databases/{db}/tables/{table}` (§7.2.4).
pub async fn describe_table(
    State(st): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(p): Path<Params>,
) -> ApiResult {
    let (db, table) = (path_param(&p, "db"), path_param(&p, "table"));
    let t = require_table(&st, &caller, &db, &table)?;
    let m = &t.meta;
    let cols: Vec<Value> = m.columns.iter().map(|c| column_json(c, m)).collect();
    ok(json!({
        "column_count": cols.len(),
        "columns": cols,
        "table_type": "MANAGED",
        "data_type": m.format.name(),
        "data_location": "DLI",
        "storage_properties": [],
        "table_comment": m.comment,
        "create_table_sql": create_table_sql(m),
    }))
}

/// `GET databases/{db}/tables/{table}/preview` (§7.2.5): the first ten rows.
pub async fn preview_table(
    State(st): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(p): Path<Params>,
) -> ApiResult {
    let (db, table) = (path_param(&p, "db"), path_param(&p, "table"));
    let t = require_table(&st, &caller, &db, &table)?;
    let rows = st.engine.table_rows(&db, &table, 10).await?;
    let schema = schema_json(
        t.meta
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.spark_type.clone())),
    );
    ok(json!({"schema": schema, "rows": rows}))
}

/// `DELETE databases/{db}/tables/{table}` (§7.2.2).
pub async fn drop_table(
    State(st): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(p): Path<Params>,
) -> ApiResult {
    let (db, table) = (path_param(&p, "db"), path_param(&p, "table"));
    require_table(&st, &caller, &db, &table)?;
    let name = ObjectName::from(vec![Ident::new(db.clone()), Ident::new(table)]);
    st.engine
        .run_ddl(
            &Stmt::DropTable {
                name,
                if_exists: false,
            },
            &db,
        )
        .await?;
    ok(json!({"job_mode": "sync"}))
}

/// `POST databases/{db}/tables` (§7.2.1): DLI tables only (`data_location` DLI).
pub async fn create_table(
    State(st): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(p): Path<Params>,
    body: Bytes,
) -> ApiResult {
    let db = path_param(&p, "db");
    require_db(&st, &caller, &db)?;
    let body = json_body(&body)?;
    let name = str_field(&body, "table_name")?
        .unwrap_or_default()
        .trim()
        .to_lowercase();
    if !is_safe_name(&name) {
        return Err(ApiError::param(format!("Invalid table_name '{name}'.")));
    }
    let location = str_field(&body, "data_location")?
        .unwrap_or_default()
        .to_uppercase();
    if location != "DLI" {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "DLI.0007",
            format!(
                "data_location {location} is not supported by the local DLI service (use DLI)."
            ),
        ));
    }
    let Some(Value::Array(cols)) = body.get("columns") else {
        return Err(ApiError::param("Parameter columns is required."));
    };
    let mut columns = Vec::new();
    let mut partitioned_by = Vec::new();
    for c in cols {
        let cname = c["column_name"]
            .as_str()
            .unwrap_or_default()
            .trim()
            .to_lowercase();
        let ty = SparkType::try_parse(c["type"].as_str().unwrap_or_default())
            .map_err(|e| ApiError::param(format!("Column {cname}: {e}")))?;
        if cname.is_empty() {
            return Err(ApiError::param("Every column needs a column_name."));
        }
        let comment = c["description"]
            .as_str()
            .filter(|d| !d.is_empty())
            .map(str::to_string);
        if lenient_bool(c.get("is_partition_column")).unwrap_or(false) {
            partitioned_by.push(PartitionSpec {
                name: cname.clone(),
                ty: None,
                comment: None,
            });
        }
        columns.push(ColumnSpec {
            name: cname,
            ty,
            comment,
        });
    }
    let spec = CreateTableSpec {
        name: ObjectName::from(vec![Ident::new(db.clone()), Ident::new(name)]),
        if_not_exists: false,
        external: false,
        columns,
        partitioned_by,
        format: str_field(&body, "data_type")?.map(|f| f.to_lowercase()),
        comment: str_field(&body, "description")?,
        location: None,
        unsupported: Vec::new(),
        query: None,
    };
    st.engine.create_table(&spec, &db).await?;
    ok(json!({}))
}

fn queue_json(st: &AppState) -> Value {
    queue_entry(st, "default", "sql", "SQL queue of the local DLI service")
}

/// One queue of the list: `default` (sql) or a `[local] flink_queues` entry (general).
fn queue_entry(st: &AppState, name: &str, kind: &str, description: &str) -> Value {
    json!({
        "queue_name": name, "description": description,
        "owner": st.cfg.iam_user, "create_time": 0, "queue_type": kind, "cu_count": 16,
        "resource_id": format!("local-{name}-queue"), "enterprise_project_id": "0",
        "resource_mode": 0, "platform": "x86_64", "is_restarting": false, "labels": [],
        "cu_spec": 16, "cu_scale_out_limit": 16, "cu_scale_in_limit": 16,
    })
}

/// `GET queues` (§6.3).
pub async fn list_queues(State(st): State<Arc<AppState>>, RawQuery(q): RawQuery) -> ApiResult {
    let params = query_params(q);
    let kind = params
        .get("queue_type")
        .map(|t| t.to_lowercase())
        .unwrap_or_else(|| "sql".into());
    let general = st.cfg.flink_queues.iter().map(|q| {
        queue_entry(
            &st,
            q,
            "general",
            "General-purpose queue (Flink jobs) of the local DLI service",
        )
    });
    let queues: Vec<Value> = match kind.as_str() {
        "general" => general.collect(),
        "all" => std::iter::once(queue_json(&st)).chain(general).collect(),
        _ => vec![queue_json(&st)],
    };
    ok(json!({"queues": queues}))
}

/// `GET queues/{queue}` (§6.4).
pub async fn get_queue(State(st): State<Arc<AppState>>, Path(p): Path<Params>) -> ApiResult {
    if path_param(&p, "queue") != "default" {
        return Err(ApiError::missing(format!(
            "There is no queue named {}",
            p.get("queue").cloned().unwrap_or_default()
        )));
    }
    ok(json!({
        "queueName": "default", "description": "SQL queue of the local DLI service",
        "owner": st.cfg.iam_user, "createTime": 0, "queueType": "sql", "cuCount": 16,
        "resourceId": "local-default-queue", "resourceMode": 0, "enterpriseProjectId": "0",
    }))
}
