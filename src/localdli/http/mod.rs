//! The HTTP surface of the embedded service: the axum router, with the same paths and
//! methods as DLI (the Flink routes are [`crate::localdli::flink::routes`]').
//!
//! Owns: the routes only. Shared state and request helpers are [`state`]'s; handlers
//! live in [`jobs`] (SQL jobs), [`export`] (export-result), [`catalog`] (databases, tables, queues) and [`auth`]
//! (IAM tokens, AK/SK signatures).

pub mod auth;
pub mod catalog;
pub mod export;
pub mod jobs;
pub mod state;

use std::sync::Arc;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{delete, get, post};

use self::auth::{issue_token, require_auth};
use self::catalog as cat;
use self::jobs as jobs_api;
use crate::localdli::error::ApiError;

pub use self::state::AppState;

/// The service's routes.
pub fn router(state: Arc<AppState>) -> Router {
    let p = "/v1.0/{project_id}";
    let dli = Router::new()
        .route(&format!("{p}/jobs/check-sql"), post(jobs_api::check_sql))
        .route(&format!("{p}/jobs/submit-job"), post(jobs_api::submit_job))
        .route(&format!("{p}/jobs"), get(jobs_api::list_jobs))
        .route(
            &format!("{p}/jobs/{{job_id}}"),
            delete(jobs_api::cancel_job),
        )
        .route(
            &format!("{p}/jobs/{{job_id}}/status"),
            get(jobs_api::job_status),
        )
        .route(
            &format!("{p}/jobs/{{job_id}}/detail"),
            get(jobs_api::job_detail),
        )
        .route(
            &format!("{p}/jobs/{{job_id}}/preview"),
            get(jobs_api::job_preview),
        )
        .route(
            &format!("{p}/jobs/{{job_id}}/export-result"),
            post(export::export_result),
        )
        .route(
            "/v1/{project_id}/jobs/{job_id}/progress",
            get(jobs_api::job_progress),
        )
        .route(
            &format!("{p}/databases"),
            get(cat::list_databases).post(cat::create_database),
        )
        .route(&format!("{p}/databases/{{db}}"), delete(cat::drop_database))
        .route(
            &format!("{p}/databases/{{db}}/tables"),
            get(cat::list_tables).post(cat::create_table),
        )
        .route(
            &format!("{p}/databases/{{db}}/tables/{{table}}"),
            get(cat::describe_table).delete(cat::drop_table),
        )
        .route(
            &format!("{p}/databases/{{db}}/tables/{{table}}/preview"),
            get(cat::preview_table),
        )
        .route(&format!("{p}/queues"), get(cat::list_queues))
        .route(&format!("{p}/queues/{{queue}}"), get(cat::get_queue));
    let dli = crate::localdli::flink::routes(dli)
        .route_layer(from_fn_with_state(Arc::clone(&state), require_auth));
    Router::new()
        .route("/v3/auth/tokens", post(issue_token))
        .merge(dli)
        .layer(axum::Extension(Arc::clone(&state.flink)))
        .fallback(|| async { ApiError::not_found("No related resources were found.") })
        .with_state(state)
}
