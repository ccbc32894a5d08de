//! Batch and delete endpoints: run (seed 002), stop (003 §9.10), delete one (§9.11)
//! and delete in batches (§9.12). Validation is all-or-nothing: a missing or empty
//! `job_ids`, a non-boolean option or one unknown id refuses the whole request, and
//! nothing is changed. Otherwise each job gets its own `{is_success, message}`, in
//! request order, with no job id (the reference's shape).
//!
//! Owns: those handlers.

use std::sync::Arc;

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::Path;
use serde_json::{Value, json};

use super::body::Body;
use super::machine::{self, can_run};
use super::registry::Jobs;
use super::service::{FlinkError, FlinkResult, FlinkService, path_id};
use crate::localdli::error::ApiError;

fn known(jobs: &Jobs, ids: &[i64]) -> Result<(), ApiError> {
    match jobs.first_missing(ids) {
        Some(id) => Err(ApiError::missing(format!("The job {id} does not exist."))),
        None => Ok(()),
    }
}

/// `POST /v1.0/{p}/streaming/jobs/run` (seed 002).
pub async fn run_jobs(Extension(f): Extension<Arc<FlinkService>>, body: Bytes) -> FlinkResult {
    let b = Body::parse(&body)?;
    let ids = b.job_ids()?;
    let resume = b.boolean("resume_savepoint")?.unwrap_or(false);
    let t = f.registry.timing();
    let outcomes = f.registry.write(|jobs, now| {
        known(jobs, &ids)?;
        Ok(ids
            .iter()
            .map(|id| {
                let Some(job) = jobs.get_mut(*id) else {
                    return (false, format!("The job {id} does not exist."));
                };
                if can_run(job) {
                    machine::run(job, now, resume, t);
                    (
                        true,
                        "The request for submitting DLI jobs is delivered successfully.".into(),
                    )
                } else {
                    (
                        false,
                        format!(
                            "The job {id} is already running or being processed ({}).",
                            job.status
                        ),
                    )
                }
            })
            .collect::<Vec<_>>())
    })?;
    let items: Vec<Value> = outcomes
        .into_iter()
        .map(|(ok, m)| json!({"is_success": f.style.flag(ok, true), "message": m}))
        .collect();
    Ok(Json(Value::Array(items)))
}

/// `POST /v1.0/{p}/streaming/jobs/stop` (003 §9.10).
pub async fn stop_jobs(Extension(f): Extension<Arc<FlinkService>>, body: Bytes) -> FlinkResult {
    let b = Body::parse(&body)?;
    let ids = b.job_ids()?;
    let savepoint = b.boolean("trigger_savepoint")?.unwrap_or(false);
    let t = f.registry.timing();
    let outcomes = f.registry.write(|jobs, now| {
        known(jobs, &ids)?;
        Ok(ids
            .iter()
            .map(|id| {
                let Some(job) = jobs.get_mut(*id) else {
                    return (false, format!("The job {id} does not exist."));
                };
                if machine::stop(job, now, savepoint, t) {
                    (
                        true,
                        "The request for stopping DLI jobs is delivered successfully.".to_string(),
                    )
                } else {
                    (
                        false,
                        format!("The job {id} is not running ({}).", job.status),
                    )
                }
            })
            .collect::<Vec<_>>())
    })?;
    let items: Vec<Value> = outcomes
        .iter()
        .map(|(ok, m)| json!({"is_success": f.style.flag(*ok, true), "message": m}))
        .collect();
    if f.style.stop_object {
        // 003 §9.10's example: one object for the whole batch.
        let all = outcomes.iter().all(|(ok, _)| *ok);
        let message = outcomes
            .iter()
            .find(|(ok, _)| !ok)
            .map(|(_, m)| m.clone())
            .unwrap_or_else(|| {
                "The request for stopping DLI jobs is delivered successfully.".into()
            });
        return Ok(Json(
            json!({"is_success": f.style.flag(all, true), "message": message}),
        ));
    }
    Ok(Json(Value::Array(items)))
}

/// Deletes (tombstones) a job; a running job is stopped at once.
fn tombstone(jobs: &mut Jobs, id: i64, now: i64) {
    if let Some(job) = jobs.get_mut(id) {
        if !machine::can_run(job) && job.status != "job_init" {
            job.status = "job_cancel_success".into();
            job.end_time = now;
        }
        job.pending = None;
        job.deleted = true;
        job.update_time = now;
    }
}

/// `DELETE /v1.0/{p}/streaming/jobs/{job_id}` (003 §9.11): any state.
pub async fn delete_job(
    Extension(f): Extension<Arc<FlinkService>>,
    Path((_, job_id)): Path<(String, String)>,
) -> FlinkResult {
    let id = path_id(&job_id)?;
    f.registry.write(|jobs, now| {
        known(jobs, &[id])?;
        tombstone(jobs, id, now);
        Ok(())
    })?;
    Ok(Json(json!({
        "is_success": f.style.success(true),
        "message": "The job is deleted successfully.",
    })))
}

/// `POST /v1.0/{p}/streaming/jobs/delete` (003 §9.12): one object for the batch.
pub async fn delete_jobs(Extension(f): Extension<Arc<FlinkService>>, body: Bytes) -> FlinkResult {
    let b = Body::parse(&body)?;
    let ids = b.job_ids()?;
    f.registry
        .write(|jobs, now| {
            known(jobs, &ids)?;
            for id in &ids {
                tombstone(jobs, *id, now);
            }
            Ok(())
        })
        .map_err(FlinkError)?;
    Ok(Json(json!({
        "is_success": f.style.success(true),
        "message": "The job is deleted successfully.",
    })))
}
