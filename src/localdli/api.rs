//! The HTTP surface: shared handler state, the axum router (same paths and methods as
//! DLI), and request-parsing helpers that never reject with a non-DLI body (bad JSON →
//! 400 DLI.0001). Handlers live in [`super::api_jobs`] and [`super::api_catalog`].

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::middleware::from_fn_with_state;
use axum::routing::{delete, get, post};
use serde_json::{Value, json};

use super::api_catalog as cat;
use super::api_jobs as jobs_api;
use super::auth::{TokenStore, issue_token, require_auth};
use super::config::LocalDliConfig;
use super::engine::Engine;
use super::error::ApiError;
use super::jobs::Jobs;

/// Shared state of every handler.
#[derive(Debug)]
pub struct AppState {
    pub cfg: LocalDliConfig,
    pub engine: Arc<Engine>,
    pub jobs: Arc<Jobs>,
    pub tokens: TokenStore,
}

pub type ApiResult = Result<Json<Value>, ApiError>;
type Params = HashMap<String, String>;

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
            post(jobs_api::export_result),
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
        .route(&format!("{p}/queues/{{queue}}"), get(cat::get_queue))
        .route_layer(from_fn_with_state(Arc::clone(&state), require_auth));
    Router::new()
        .route("/v3/auth/tokens", post(issue_token))
        .merge(dli)
        .fallback(|| async { ApiError::not_found("No related resources were found.") })
        .with_state(state)
}

/// Query-string parameters, percent-decoded (`tags=k%3Dv` → `k=v`).
pub fn query_params(raw: Option<String>) -> Params {
    raw.map(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .into_owned()
            .collect()
    })
    .unwrap_or_default()
}

/// A JSON object body, or DLI.0001.
pub fn json_body(body: &Bytes) -> Result<serde_json::Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::param("The request body must be a JSON object.")),
        Err(e) => Err(ApiError::param(format!(
            "The request body is not valid JSON: {e}"
        ))),
    }
}

/// A string field (absent or null → None; another type → DLI.0001).
pub fn str_field(
    body: &serde_json::Map<String, Value>,
    key: &str,
) -> Result<Option<String>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::param(format!(
            "Parameter {key} must be a string."
        ))),
    }
}

/// A boolean given as JSON bool or string ("true"/"false").
pub fn lenient_bool(v: Option<&Value>) -> Option<bool> {
    match v? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// An integer query parameter within `min..=max`, or DLI.0001.
pub fn int_param(
    params: &Params,
    key: &str,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64, ApiError> {
    match params.get(key) {
        None => Ok(default),
        Some(v) => match v.trim().parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::param(format!(
                "Parameter {key} must be an integer in [{min}, {max}]."
            ))),
        },
    }
}

pub fn ok(mut body: Value) -> ApiResult {
    if let Value::Object(map) = &mut body {
        map.insert("is_success".into(), Value::Bool(true));
        map.entry("message").or_insert(Value::String(String::new()));
    }
    Ok(Json(body))
}

/// Result schema as DLI lists it: one-key objects.
pub fn schema_json<'a>(columns: impl Iterator<Item = (&'a str, String)>) -> Value {
    Value::Array(columns.map(|(n, t)| json!({ n: t })).collect())
}
