//! Read endpoints: the job list (seed 004), details (003 §9.8), execution plan
//! (§9.9) and the static stream graph (seed 000; computing a graph changes nothing).
//!
//! Owns: query validation and paging of the list, the read answers.

use std::sync::Arc;

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use serde_json::{Value, json};

use super::body::Body;
use super::graph::{self, GraphOptions};
use super::model::{JOB_TYPES, JobRecord, STATUSES};
use super::render::{detail, execute_graph as render_plan, list_item};
use super::service::{FlinkError, FlinkResult, FlinkService, USER_ID, path_id};

type Params = std::collections::HashMap<String, String>;

/// Query-string parameters, percent-decoded (`tags=k%3Dv` → `k=v`).
fn query_params(raw: Option<String>) -> Params {
    raw.map(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .into_owned()
            .collect()
    })
    .unwrap_or_default()
}
use crate::localdli::error::ApiError;

fn param_err(key: &str, what: &str) -> FlinkError {
    FlinkError(ApiError::param(format!(
        "The parameter {key} is invalid: {what}."
    )))
}

/// The list's filters, read strictly.
struct ListQuery {
    job_type: Option<String>,
    status: Option<String>,
    queue_name: Option<String>,
    name: Option<String>,
    user_name: Option<String>,
    tags: Vec<(String, String)>,
    root_job_id: Option<i64>,
    show_detail: bool,
    asc: bool,
    limit: usize,
    offset: usize,
}

fn one_of(p: &Params, key: &str, allowed: &[&str]) -> Result<Option<String>, FlinkError> {
    match p.get(key) {
        Some(v) if !allowed.contains(&v.as_str()) => Err(param_err(
            key,
            &format!("'{v}' is not one of {}", allowed.join(", ")),
        )),
        other => Ok(other.cloned()),
    }
}

fn number(p: &Params, key: &str, min: i64, max: i64) -> Result<Option<i64>, FlinkError> {
    match p.get(key) {
        None => Ok(None),
        Some(v) => match v.trim().parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(param_err(
                key,
                &format!("it must be an integer between {min} and {max}"),
            )),
        },
    }
}

impl ListQuery {
    fn read(p: &Params) -> Result<ListQuery, FlinkError> {
        let name = p.get("name").cloned();
        if name.as_ref().is_some_and(|n| n.chars().count() > 57) {
            return Err(param_err("name", "it must have 0 to 57 characters"));
        }
        let tags = match p.get("tags").filter(|t| !t.is_empty()) {
            None => Vec::new(),
            Some(t) => t
                .split(',')
                .map(|kv| match kv.split_once('=') {
                    Some((k, v)) if !k.trim().is_empty() => {
                        Ok((k.trim().to_string(), v.trim().to_string()))
                    }
                    _ => Err(param_err("tags", "it must be key=value[,key=value…]")),
                })
                .collect::<Result<_, _>>()?,
        };
        let limit = number(p, "limit", 1, 100)?.unwrap_or(10);
        let offset = number(p, "offset", 0, i64::from(i32::MAX))?.unwrap_or(0);
        Ok(ListQuery {
            job_type: one_of(p, "job_type", &JOB_TYPES)?,
            status: one_of(p, "status", &STATUSES)?,
            queue_name: p.get("queue_name").cloned(),
            name,
            user_name: p.get("user_name").cloned(),
            tags,
            root_job_id: number(p, "root_job_id", i64::MIN, i64::MAX)?,
            show_detail: one_of(p, "show_detail", &["true", "false"])?.as_deref() == Some("true"),
            asc: one_of(p, "order", &["asc", "desc"])?.as_deref() == Some("asc"),
            limit: usize::try_from(limit).unwrap_or(10),
            offset: usize::try_from(offset).unwrap_or(0),
        })
    }

    /// Does `job` match? `name` is a substring match (the API does not say exact or
    /// fuzzy; a match of more is safe for a caller that filters again).
    fn matches(&self, job: &JobRecord) -> bool {
        let eq = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        let family = match self.root_job_id {
            Some(root) => job.config.root_id == root,
            None => job.config.root_id <= 0,
        };
        family
            && eq(&self.job_type, &job.job_type)
            && eq(&self.status, &job.status)
            && eq(&self.queue_name, &job.queue_name)
            && eq(&self.user_name, &job.owner)
            && self.name.as_deref().is_none_or(|n| job.name.contains(n))
            && self.tags.iter().all(|t| job.tags.contains(t))
    }
}

/// `GET /v1.0/{p}/streaming/jobs` (seed 004).
pub async fn list_jobs(
    Extension(f): Extension<Arc<FlinkService>>,
    RawQuery(q): RawQuery,
) -> FlinkResult {
    let q = ListQuery::read(&query_params(q))?;
    let (total, jobs) = f.registry.read(|jobs, now| {
        let mut hits: Vec<&JobRecord> = jobs.live().filter(|j| q.matches(j)).collect();
        hits.sort_by_key(|j| (j.create_time, j.job_id));
        if !q.asc {
            hits.reverse();
        }
        let page: Vec<Value> = hits
            .iter()
            .skip(q.offset)
            .take(q.limit)
            .map(|j| {
                if q.show_detail {
                    detail(j, USER_ID, &f.project_id)
                } else {
                    list_item(j, now, &f.style)
                }
            })
            .collect();
        (hits.len(), page)
    });
    let message = if f.style.list_003() {
        "Querying of the job list succeeds."
    } else {
        "作业列表查询成功"
    };
    Ok(Json(json!({
        "is_success": f.style.success(true),
        "message": message,
        "job_list": {"total_count": total, "jobs": jobs},
    })))
}

fn unknown(id: i64) -> FlinkError {
    FlinkError(ApiError::missing(format!("The job {id} does not exist.")))
}

/// `GET /v1.0/{p}/streaming/jobs/{job_id}` (003 §9.8).
pub async fn job_detail(
    Extension(f): Extension<Arc<FlinkService>>,
    Path((_, job_id)): Path<(String, String)>,
) -> FlinkResult {
    let id = path_id(&job_id)?;
    let job = f
        .registry
        .read(|jobs, _| jobs.get(id).map(|j| detail(j, USER_ID, &f.project_id)))
        .ok_or_else(|| unknown(id))?;
    Ok(Json(json!({
        "is_success": f.style.success(true),
        "message": "Querying of the job details succeeds.",
        "job_detail": job,
    })))
}

/// `GET /v1.0/{p}/streaming/jobs/{job_id}/execute-graph` (003 §9.9). A job that
/// never ran has no plan: DLI.0002.
pub async fn execute_graph(
    Extension(f): Extension<Arc<FlinkService>>,
    Path((_, job_id)): Path<(String, String)>,
) -> FlinkResult {
    let id = path_id(&job_id)?;
    let plan = f.registry.read(|jobs, now| {
        let job = jobs.get(id).ok_or_else(|| unknown(id))?;
        match &job.jid {
            Some(jid) => Ok(render_plan(job, jid, now)),
            None => Err(FlinkError(ApiError::missing(format!(
                "The job {id} has no execution plan: it has never run."
            )))),
        }
    })?;
    Ok(Json(json!({
        "is_success": f.style.success(true),
        "message": "Querying the job execution graph succeeds.",
        "execute_graph": plan,
    })))
}

/// `POST /v3/{p}/streaming/jobs/{job_id}/gen-graph` (seed 000).
pub async fn gen_graph(
    Extension(f): Extension<Arc<FlinkService>>,
    Path((_, job_id)): Path<(String, String)>,
    body: Bytes,
) -> FlinkResult {
    let id = path_id(&job_id)?;
    let b = Body::parse(&body)?;
    let Some(sql) = b.text("sql_body", 0, 1024 * 1024)? else {
        return Err(FlinkError(ApiError::param(
            "The parameter sql_body is mandatory.",
        )));
    };
    b.choice("job_type", &["flink_opensource_sql_job"])?;
    b.choice("flink_version", &["1.10", "1.12"])?;
    b.choice("graph_type", &["simple_graph", "job_graph"])?;
    b.int("cu_number", 2, 400)?;
    b.int("manager_cu_number", 1, 400)?;
    let parallel = b.int("parallel_number", 1, 2000)?;
    b.int("tm_cus", 1, 400)?;
    b.int("tm_slot_num", 1, 2000)?;
    b.boolean("static_estimator")?;
    let operator_config = b.json_text("operator_config")?;
    b.json_text("static_estimator_config")?;
    let job = f
        .registry
        .read(|jobs, _| jobs.get(id).cloned())
        .ok_or_else(|| unknown(id))?;
    let job_type = &job.job_type;
    if job_type != "flink_opensource_sql_job" {
        return Err(FlinkError(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "DLI.0007",
            format!(
                "Static stream graphs are generated only for flink_opensource_sql_job jobs; job {id} is a {job_type}."
            ),
        )));
    }
    // Seed 000's example sends `"sql_body": ""` and still gets a graph (D14).
    let sql = if sql.trim().is_empty() {
        job.sql_body.clone()
    } else {
        sql
    };
    let opts = GraphOptions {
        job_id: id,
        parallelism: parallel.unwrap_or(job.config.parallel_number),
        operator_config: operator_config
            .filter(|c| !c.trim().is_empty())
            .or_else(|| job.config.operator_config.clone()),
    };
    let graph = graph::generate(&sql, &opts).map_err(|m| {
        FlinkError(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "DLI.0005",
            m,
        ))
    })?;
    Ok(Json(json!({
        "is_success": f.style.success(false),
        "message": "",
        "error_code": "",
        "stream_graph": graph.to_string(),
    })))
}
