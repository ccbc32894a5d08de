//! The Flink part of the service's state ([`FlinkService`]: registry, answer style,
//! update policy, queues) and what every Flink handler shares: the error answer
//! ([`FlinkError`]) and the job id of a path.
//!
//! Owns: those types; the handlers live in `http_read.rs`, `http_write.rs` and
//! `http_batch.rs`.

use std::io;
use std::path::Path;

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::localdli::config::LocalDliConfig;
use crate::localdli::error::ApiError;

use super::demo;
use super::machine::Timing;
use super::registry::Registry;
use super::render::Style;

/// The IAM user id the service reports (the token answer's `user.id`).
pub const USER_ID: &str = "local-user-id";

/// The Flink part of the service's state.
#[derive(Debug)]
pub struct FlinkService {
    pub registry: Registry,
    pub(super) style: Style,
    pub(super) reset_on_update: bool,
    pub(super) queues: Vec<String>,
    pub(super) owner: String,
    pub(super) project_id: String,
}

impl FlinkService {
    /// Opens the registry under `warehouse` (creating the demo jobs the first time).
    pub fn open(warehouse: &Path, cfg: &LocalDliConfig) -> io::Result<FlinkService> {
        let timing = Timing {
            step_ms: i64::try_from(cfg.flink_step_ms).unwrap_or(i64::MAX),
        };
        let demo = cfg.flink_demo_jobs;
        let (owner, queue) = (
            cfg.iam_user.clone(),
            cfg.flink_queues.first().cloned().unwrap_or_default(),
        );
        let registry = Registry::open(warehouse, timing, |jobs, now| {
            if demo {
                demo::seed(jobs, now, &owner, &queue, timing);
            }
        })?;
        Ok(FlinkService {
            registry,
            style: Style {
                is_success: cfg.flink_is_success.clone(),
                list: cfg.flink_list_style.clone(),
                stop_object: cfg.flink_stop_reply == "object",
            },
            reset_on_update: cfg.flink_update_omitted == "reset",
            queues: cfg.flink_queues.clone(),
            owner: cfg.iam_user.clone(),
            project_id: cfg.project_id.clone(),
        })
    }

    /// The queue a job gets: the named one if it is a general queue of this service,
    /// the first general queue when none is named.
    pub(super) fn queue(&self, named: Option<&str>) -> Result<String, ApiError> {
        match named.map(str::trim).filter(|q| !q.is_empty()) {
            None => Ok(self.queues.first().cloned().unwrap_or_default()),
            Some(q) if self.queues.iter().any(|g| g == q) => Ok(q.to_string()),
            // The SQL queue exists but cannot run Flink jobs (003 §6.1).
            Some("default") => Err(ApiError::param(format!(
                "The parameter queue_name is invalid: default is a SQL queue; Flink jobs run on \
                 general-purpose queues ({}).",
                self.queues.join(", ")
            ))),
            Some(q) => Err(ApiError::missing(format!("There is no queue named {q}"))),
        }
    }
}

/// A Flink error answer: DLI's `{error_code, error_msg}` plus `is_success: false`.
#[derive(Debug)]
pub struct FlinkError(pub ApiError);

impl From<ApiError> for FlinkError {
    fn from(e: ApiError) -> Self {
        FlinkError(e)
    }
}

impl IntoResponse for FlinkError {
    fn into_response(self) -> Response {
        let e = self.0;
        tracing::debug!(code = e.code, message = %e.message, "local DLI Flink error");
        (
            e.status,
            Json(json!({"is_success": false, "error_code": e.code, "error_msg": e.message})),
        )
            .into_response()
    }
}

pub(super) type FlinkResult = Result<Json<serde_json::Value>, FlinkError>;

/// A job id from the path, or DLI.0001.
pub(super) fn path_id(raw: &str) -> Result<i64, FlinkError> {
    raw.trim().parse::<i64>().map_err(|_| {
        FlinkError(ApiError::param(format!(
            "The parameter job_id is invalid: '{raw}' is not a job ID."
        )))
    })
}
