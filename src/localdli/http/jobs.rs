//! SQL-job endpoints (§7.3): check-sql, submit-job, status, progress, preview,
//! cancel, list, detail (export-result is [`super::export`]'s). Owns their JSON shapes; SQL semantics are
//! [`crate::localdli::engine`]'s, job states [`crate::localdli::jobs`]'.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery, State};
use serde_json::{Value, json};

use super::state::{
    ApiResult, AppState, Params, int_param, json_body, ok, query_params, schema_json, str_field,
};
use crate::localdli::config::PREVIEW_LIMIT;
use crate::localdli::engine::Outcome;
use crate::localdli::error::{ApiError, SqlError};
use crate::localdli::grants::Caller;
use crate::localdli::jobs::{self, CancelError, Job, JobStatus, RunOptions, Tag};
use crate::localdli::stmt::{JobType, Stmt};

fn sql_and_db(body: &serde_json::Map<String, Value>) -> Result<(String, String), ApiError> {
    let sql = str_field(body, "sql")?.filter(|s| !s.trim().is_empty());
    let sql = sql.ok_or_else(|| ApiError::param("Parameter sql is required."))?;
    let db = match str_field(body, "currentdb")? {
        Some(db) if !db.trim().is_empty() => db,
        _ => str_field(body, "current_db")?
            .filter(|d| !d.trim().is_empty())
            .unwrap_or_else(|| "default".into()),
    };
    Ok((sql, db.trim().to_lowercase()))
}

/// `POST jobs/check-sql`.
pub async fn check_sql(
    State(st): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> ApiResult {
    let body = json_body(&body)?;
    let (sql, db) = sql_and_db(&body)?;
    let check_err = |e: SqlError| {
        ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            e.check_code(),
            e.message,
        )
    };
    let prepared = st.engine.prepare(&sql).map_err(check_err)?;
    caller.require_statement(&st.engine, &prepared, &db)?;
    st.engine.check(&prepared, &db).await.map_err(check_err)?;
    ok(json!({"message": "the sql is ok", "job_type": prepared.job_type.as_str()}))
}

/// Settings read from the `conf` array.
#[derive(Debug, Default)]
struct JobConf {
    sqlasync: bool,
    timeout_ms: Option<u64>,
    delay_ms: Option<u64>,
}

fn parse_conf(body: &serde_json::Map<String, Value>) -> Result<JobConf, ApiError> {
    let mut conf = JobConf::default();
    let items = match body.get("conf") {
        None | Some(Value::Null) => return Ok(conf),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(ApiError::param(
                "Parameter conf must be an array of \"key=value\" strings.",
            ));
        }
    };
    for item in items {
        let Some((k, v)) = item.as_str().and_then(|s| s.split_once('=')) else {
            return Err(ApiError::param(format!(
                "Invalid conf item {item}: expected \"key=value\"."
            )));
        };
        let (k, v) = (k.trim(), v.trim());
        let num = |what: &str| {
            v.parse::<u64>()
                .map_err(|_| ApiError::param(format!("{what} must be a number of milliseconds.")))
        };
        match k {
            "dli.sql.sqlasync.enabled" => conf.sqlasync = v.eq_ignore_ascii_case("true"),
            "dli.sql.job.timeout" => conf.timeout_ms = Some(num(k)?).filter(|n| *n > 0),
            "dli.local.job.delay_ms" => conf.delay_ms = Some(num(k)?),
            _ => {}
        }
    }
    Ok(conf)
}

fn parse_tags(body: &serde_json::Map<String, Value>) -> Result<Vec<Tag>, ApiError> {
    match body.get("tags") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(v) => {
            let tags: Vec<Tag> = serde_json::from_value(v.clone()).map_err(|_| {
                ApiError::param("Parameter tags must be an array of {\"key\",\"value\"} objects.")
            })?;
            let as_dli: Vec<crate::dli::JobTag> = tags
                .iter()
                .map(|t| crate::dli::JobTag::new(t.key.as_str(), t.value.as_str()))
                .collect();
            match crate::dli::tag_problem(&as_dli) {
                Some(why) => Err(ApiError::param(format!("Invalid tags: {why}."))),
                None => Ok(tags),
            }
        }
    }
}

pub(super) fn queue_of(
    body: &serde_json::Map<String, Value>,
    key: &str,
) -> Result<String, ApiError> {
    match str_field(body, key)?.filter(|q| !q.trim().is_empty()) {
        None => Ok("default".into()),
        Some(q) if q.trim().eq_ignore_ascii_case("default") => Ok("default".into()),
        Some(q) => Err(ApiError::missing(format!("There is no queue named {q}"))),
    }
}

/// `POST jobs/submit-job`.
pub async fn submit_job(
    State(st): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> ApiResult {
    let body = json_body(&body)?;
    let (sql, db) = sql_and_db(&body)?;
    let conf = parse_conf(&body)?;
    let tags = parse_tags(&body)?;
    let queue = queue_of(&body, "queue_name")?;
    let prepared = st.engine.prepare(&sql);
    record_statement(&sql, prepared.is_ok());
    let prepared = prepared?;
    caller.require_statement(&st.engine, &prepared, &db)?;
    let mut job = Job::new(prepared.job_type, &sql, caller.name(&st.cfg.iam_user));
    job.database_name = db.clone();
    job.table_name = prepared.stmt.table_name().unwrap_or_default();
    job.tags = tags;
    job.queue_name = queue;
    let id = job.id.clone();
    let job_type = prepared.job_type.as_str();
    if prepared.is_async() || conf.sqlasync {
        let delay = conf
            .delay_ms
            .or_else(|| jobs::delay_hint(&sql))
            .unwrap_or(st.cfg.job_delay_ms);
        let opts = RunOptions {
            delay: Duration::from_millis(delay),
            timeout: conf.timeout_ms.map(Duration::from_millis),
            report_result_path: st.cfg.report_result_path,
        };
        st.jobs.insert(job);
        jobs::spawn_sql(
            Arc::clone(&st.engine),
            Arc::clone(&st.jobs),
            id.clone(),
            prepared,
            db,
            opts,
        );
        return ok(json!({"job_id": id, "job_type": job_type, "job_mode": "async"}));
    }
    let outcome = st
        .engine
        .execute(&prepared, &db, &st.engine.warehouse.results_dir(&id))
        .await;
    jobs::record_sync(&st.jobs, job, &outcome);
    let mut resp = json!({"job_id": id, "job_type": job_type, "job_mode": "sync"});
    if let Outcome::Rows(mut rows) = outcome? {
        if matches!(prepared.stmt, Stmt::ShowDatabases { .. }) {
            rows.rows.retain(|r| {
                r.first()
                    .and_then(Value::as_str)
                    .is_none_or(|d| caller.may_use(d))
            });
        }
        resp["schema"] = schema_json(
            rows.columns
                .iter()
                .map(|(n, t)| (n.as_str(), t.spark_name())),
        );
        resp["rows"] = Value::Array(rows.rows.into_iter().map(Value::Array).collect());
    }
    ok(resp)
}

pub(super) fn find_job(st: &AppState, id: &str) -> Result<Job, ApiError> {
    st.jobs
        .get(id)
        .ok_or_else(|| ApiError::missing(format!("The job {id} does not exist.")))
}

/// A job as §7.3.5/§7.3.7 describe it.
fn job_json(job: &Job) -> Value {
    let mut v = json!({
        "job_id": job.id,
        "job_type": job.job_type.as_str(),
        "job_mode": if job.is_async { "async" } else { "sync" },
        "queue_name": job.queue_name,
        "owner": job.owner,
        "start_time": job.start_ms,
        "duration": job.duration_ms(),
        "status": job.status.as_str(),
        "message": job.message,
        "input_size": 0,
        "result_count": job.result_count,
        "database_name": job.database_name,
        "table_name": job.table_name,
        "detail": job.detail(),
        "statement": job.statement,
        "tags": job.tags,
    });
    if let Some(end) = job.end_ms {
        v["end_time"] = json!(end);
    }
    if job.job_type == JobType::Insert {
        v["input_row_count"] = json!(job.result_count);
        v["bad_row_count"] = json!(0);
    }
    // Only with `report_result_path = true` (newer DLI; the reference has neither field).
    if let (JobStatus::Finished, Some(path)) = (job.status, &job.result_path) {
        v["result_path"] = json!(path);
        v["result_format"] = json!("csv");
    }
    v
}

/// `GET jobs/{job_id}/status`.
pub async fn job_status(State(st): State<Arc<AppState>>, Path(p): Path<Params>) -> ApiResult {
    let job = find_job(&st, p.get("job_id").map(String::as_str).unwrap_or_default())?;
    let mut v = job_json(&job);
    v["is_success"] = json!(true);
    Ok(Json(v))
}

/// `GET /v1/{project_id}/jobs/{job_id}/progress`.
pub async fn job_progress(State(st): State<Arc<AppState>>, Path(p): Path<Params>) -> ApiResult {
    let job = find_job(&st, p.get("job_id").map(String::as_str).unwrap_or_default())?;
    let mut v =
        json!({"job_id": job.id, "status": job.status.as_str(), "progress": job.progress()});
    if job.status == JobStatus::Running {
        v["sub_job_id"] = json!(0);
        v["sub_jobs"] = json!([{
            "id": 0, "name": "local job", "job_group": job.id, "status": "RUNNING",
            "stage_ids": [0], "num_tasks": 1, "num_active_tasks": 1, "num_completed_tasks": 0,
            "num_skipped_tasks": 0, "num_failed_tasks": 0, "num_killed_tasks": 0,
            "num_completed_indices": 0, "num_active_stages": 1, "num_completed_stages": 0,
            "num_skipped_stages": 0, "num_failed_stages": 0
        }]);
    } else {
        v["sub_jobs"] = json!([]);
    }
    ok(v)
}

/// `GET jobs/{job_id}/preview?page-size=N`.
pub async fn job_preview(
    State(st): State<Arc<AppState>>,
    Path(p): Path<Params>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let params = query_params(q);
    let size = int_param(
        &params,
        "page-size",
        PREVIEW_LIMIT as u64,
        1,
        PREVIEW_LIMIT as u64,
    )?;
    let job = find_job(&st, p.get("job_id").map(String::as_str).unwrap_or_default())?;
    // §7.3.6: only the results of finished QUERY jobs can be previewed.
    if job.status != JobStatus::Finished {
        return Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "DLI.0007",
            format!(
                "The result of job {} is not available: the job is {}.",
                job.id,
                job.status.as_str()
            ),
        ));
    }
    if job.job_type != JobType::Query {
        return Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "DLI.0007",
            "Only the results of QUERY jobs can be previewed.",
        ));
    }
    // §error codes: DLI.0100 "The result expires." once the result is no longer kept.
    let ttl = i64::try_from(st.cfg.result_ttl_ms).unwrap_or(i64::MAX);
    if ttl > 0
        && job
            .end_ms
            .is_some_and(|end| crate::localdli::jobs::now_ms().saturating_sub(end) > ttl)
    {
        return Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "DLI.0100",
            "The result expires.",
        ));
    }
    let rows: Vec<Value> = job
        .preview
        .iter()
        .take(size as usize)
        .cloned()
        .map(Value::Array)
        .collect();
    ok(json!({
        "job_id": job.id,
        "job_type": job.job_type.as_str(),
        "row_count": job.result_count,
        "input_size": 0,
        "schema": schema_json(job.columns.iter().map(|(n, t)| (n.as_str(), t.spark_name()))),
        "rows": rows,
    }))
}

/// `DELETE jobs/{job_id}`.
pub async fn cancel_job(State(st): State<Arc<AppState>>, Path(p): Path<Params>) -> ApiResult {
    let id = p.get("job_id").cloned().unwrap_or_default();
    match st.jobs.cancel(&id, "The job was cancelled by the user.") {
        Ok(()) => {
            let _ = std::fs::remove_dir_all(st.engine.warehouse.results_dir(&id));
            let _ = std::fs::remove_dir_all(st.engine.warehouse.result_csv_dir(&id));
            ok(json!({}))
        }
        Err(CancelError::NotFound) => {
            Err(ApiError::missing(format!("The job {id} does not exist.")))
        }
        Err(CancelError::AlreadyEnded(s)) => Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "DLI.0007",
            format!("The job {id} is {} and can not be cancelled.", s.as_str()),
        )),
    }
}

/// `GET jobs` with the §7.3.5 filters and paging.
pub async fn list_jobs(State(st): State<Arc<AppState>>, RawQuery(q): RawQuery) -> ApiResult {
    let params = query_params(q);
    let size = int_param(&params, "page-size", 50, 1, 100)? as usize;
    let page = int_param(&params, "current-page", 1, 1, u64::from(u32::MAX))? as usize;
    let start = params.get("start").and_then(|s| s.parse::<i64>().ok());
    let end = params.get("end").and_then(|s| s.parse::<i64>().ok());
    let upper = |k: &str| {
        params
            .get(k)
            .map(|s| s.trim().to_uppercase())
            .filter(|s| !s.is_empty())
    };
    let (job_type, status) = (
        upper("job-type").filter(|t| t != "ALL"),
        upper("job-status"),
    );
    let pattern = params.get("sql_pattern").map(|s| s.to_lowercase());
    let tags: Vec<(String, String)> = params
        .get("tags")
        .map(|t| {
            t.split(',')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.trim().into(), v.trim().into()))
                .collect()
        })
        .unwrap_or_default();
    let mut jobs: Vec<Job> = st
        .jobs
        .all()
        .into_iter()
        .filter(|j| job_type.as_deref().is_none_or(|t| j.job_type.as_str() == t))
        .filter(|j| status.as_deref().is_none_or(|s| j.status.as_str() == s))
        .filter(|j| params.get("job-id").is_none_or(|id| &j.id == id))
        .filter(|j| {
            params
                .get("queue_name")
                .is_none_or(|q| j.queue_name.eq_ignore_ascii_case(q))
        })
        .filter(|j| params.get("owner").is_none_or(|o| &j.owner == o))
        .filter(|j| {
            pattern
                .as_deref()
                .is_none_or(|p| j.statement.to_lowercase().contains(p))
        })
        .filter(|j| start.is_none_or(|s| j.start_ms >= s) && end.is_none_or(|e| j.start_ms <= e))
        .filter(|j| {
            tags.iter().all(|(k, v)| {
                j.tags
                    .iter()
                    .any(|t| &t.key == k && t.value.contains(v.as_str()))
            })
        })
        .collect();
    match params
        .get("order")
        .map(String::as_str)
        .unwrap_or("start_time_desc")
    {
        "start_time_asc" => jobs.sort_by_key(|j| j.start_ms),
        "duration_desc" => jobs.sort_by_key(|j| std::cmp::Reverse(j.duration_ms())),
        "duration_asc" => jobs.sort_by_key(|j| j.duration_ms()),
        _ => jobs.sort_by_key(|j| std::cmp::Reverse(j.start_ms)),
    }
    let count = jobs.len();
    let items: Vec<Value> = jobs
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .map(job_json)
        .collect();
    ok(json!({"job_count": count, "jobs": items}))
}

/// `GET jobs/{job_id}/detail` (§7.3.8).
pub async fn job_detail(State(st): State<Arc<AppState>>, Path(p): Path<Params>) -> ApiResult {
    let job = find_job(&st, p.get("job_id").map(String::as_str).unwrap_or_default())?;
    let mut v = json!({
        "job_id": job.id, "owner": job.owner, "start_time": job.start_ms,
        "duration": job.duration_ms(), "database_name": job.database_name,
        "table_name": job.table_name, "tags": job.tags,
        "data_path": "", "data_type": "",
    });
    if let Some(e) = &job.export {
        v["data_path"] = json!(e.data_path);
        v["data_type"] = json!(e.data_type);
        v["export_mode"] = json!(e.export_mode);
        v["compress"] = json!(e.compress);
        v["with_column_header"] = json!(e.with_column_header);
    }
    ok(v)
}

/// Opt-in record of every statement submit-job receives, for the real-Spark check
/// (`scripts/spark_check.py parse`): with `DLI_RECORD_SQL=<file>` set, one JSON line
/// `{"sql", "accepted"}` is appended per statement (`accepted`: the engine prepared it).
/// A test diagnostic, off by default; a failure to write is ignored.
fn record_statement(sql: &str, accepted: bool) {
    use std::io::Write as _;
    static PATH: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();
    let path = PATH.get_or_init(|| std::env::var_os("DLI_RECORD_SQL").map(Into::into));
    let Some(path) = path else { return };
    let mut line = json!({"sql": sql, "accepted": accepted}).to_string();
    line.push('\n');
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = f.write_all(line.as_bytes());
    }
}
