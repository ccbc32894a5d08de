//! Create and update endpoints: Flink SQL jobs (003 §9.2/§9.3) and Flink Jar jobs
//! (003 §9.4, seed 001). Names are unique among live jobs (DLI.0006); the queue must
//! be one of the service's general queues (DLI.0002); an update must use the API of
//! the job's type and is refused while the job is being processed (DLI.0007).
//!
//! Owns: those four handlers; the field rules are `settings.rs`'.

use std::sync::Arc;

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use serde_json::json;

use super::body::Body;
use super::machine::is_busy;
use super::model::JobRecord;
use super::service::{FlinkResult, FlinkService, path_id};
use super::settings::{Write, apply};
use crate::localdli::error::ApiError;

fn name_exists(name: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "DLI.0006",
        format!("The job name {name} already exists."),
    )
}

fn unsupported(message: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "DLI.0007", message)
}

fn create(f: &FlinkService, body: &Bytes, kind: Write) -> Result<i64, ApiError> {
    let b = Body::parse(body)?;
    let mut job = JobRecord {
        owner: f.owner.clone(),
        ..JobRecord::default()
    };
    apply(&mut job, &b, kind, false)?;
    job.queue_name = f.queue(Some(&job.queue_name))?;
    f.registry.write(|jobs, now| {
        if jobs.name_taken(&job.name, None) {
            return Err(name_exists(&job.name));
        }
        check_path_unique(jobs, &job, None)?;
        job.create_time = now;
        job.update_time = now;
        Ok(jobs.insert(job))
    })
}

/// 003 §9.4: a Jar job's `checkpoint_path` "must be unique".
fn check_path_unique(
    jobs: &super::registry::Jobs,
    job: &JobRecord,
    except: Option<i64>,
) -> Result<(), ApiError> {
    if let Some(p) = job
        .config
        .checkpoint_path
        .as_deref()
        .filter(|p| !p.is_empty())
        && jobs
            .live()
            .any(|j| Some(j.job_id) != except && j.config.checkpoint_path.as_deref() == Some(p))
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "DLI.0006",
            format!("The checkpoint_path {p} is already used by another job."),
        ));
    }
    Ok(())
}

fn update(f: &FlinkService, raw_id: &str, body: &Bytes, kind: Write) -> Result<i64, ApiError> {
    let id = path_id(raw_id).map_err(|e| e.0)?;
    let b = Body::parse(body)?;
    let reset = f.reset_on_update;
    f.registry.write(|jobs, now| {
        let Some(current) = jobs.get(id) else {
            return Err(ApiError::missing(format!("The job {id} does not exist.")));
        };
        let jar_api = kind == Write::UpdateJar;
        if current.is_jar() != jar_api {
            let use_api = if current.is_jar() {
                "PUT /v1.0/{project_id}/streaming/flink-jobs/{job_id}"
            } else {
                "PUT /v1.0/{project_id}/streaming/sql-jobs/{job_id}"
            };
            return Err(unsupported(format!(
                "The job {id} is a {}; update it with {use_api}.",
                current.job_type
            )));
        }
        if is_busy(current) {
            return Err(unsupported(format!(
                "The job {id} is being processed ({}); update it when it is done.",
                current.status
            )));
        }
        let mut job = current.clone();
        apply(&mut job, &b, kind, reset)?;
        if b.has("queue_name") {
            job.queue_name = f.queue(Some(&job.queue_name))?;
        }
        if jobs.name_taken(&job.name, Some(id)) {
            return Err(name_exists(&job.name));
        }
        check_path_unique(jobs, &job, Some(id))?;
        job.update_time = now.max(current.update_time + 1);
        let t = job.update_time;
        if let Some(slot) = jobs.get_mut(id) {
            *slot = job;
        }
        Ok(t)
    })
}

/// `POST /v1.0/{p}/streaming/sql-jobs` (003 §9.2).
pub async fn create_sql_job(
    Extension(f): Extension<Arc<FlinkService>>,
    body: Bytes,
) -> FlinkResult {
    let id = create(&f, &body, Write::CreateSql)?;
    Ok(Json(json!({
        "is_success": f.style.success(true),
        "message": "A DLI job is created successfully.",
        "job": {"job_id": id, "status_name": "job_init", "status_desc": ""},
    })))
}

/// `POST /v1.0/{p}/streaming/flink-jobs` (003 §9.4).
pub async fn create_jar_job(
    Extension(f): Extension<Arc<FlinkService>>,
    body: Bytes,
) -> FlinkResult {
    let id = create(&f, &body, Write::CreateJar)?;
    Ok(Json(json!({
        "is_success": f.style.success(false),
        "message": "A Flink job is created successfully.",
        "job": {"job_id": id, "status_name": "job_init", "status_desc": ""},
    })))
}

/// `PUT /v1.0/{p}/streaming/sql-jobs/{job_id}` (003 §9.3).
pub async fn update_sql_job(
    Extension(f): Extension<Arc<FlinkService>>,
    Path((_, job_id)): Path<(String, String)>,
    body: Bytes,
) -> FlinkResult {
    let t = update(&f, &job_id, &body, Write::UpdateSql)?;
    Ok(Json(json!({
        "is_success": f.style.success(true),
        "message": "The job is updated successfully.",
        "job": {"update_time": t},
    })))
}

/// `PUT /v1.0/{p}/streaming/flink-jobs/{job_id}` (seed 001 = 003 §9.5).
pub async fn update_jar_job(
    Extension(f): Extension<Arc<FlinkService>>,
    Path((_, job_id)): Path<(String, String)>,
    body: Bytes,
) -> FlinkResult {
    let t = update(&f, &job_id, &body, Write::UpdateJar)?;
    Ok(Json(json!({
        "is_success": f.style.success(false),
        "message": "The Flink job is updated successfully.",
        "job": {"update_time": t},
    })))
}
