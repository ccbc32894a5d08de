//! What every handler shares: the state ([`AppState`], with the issued IAM tokens) and the
//! request helpers that never reject with a non-DLI body (bad JSON → 400 DLI.0001), plus
//! the response helpers (`is_success`, one-key schema objects).
//!
//! Owns: those types and helpers only; routes are [`super`]'s, handlers live in
//! [`super::jobs`], [`super::catalog`] and [`super::auth`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use rand::RngCore;
use serde_json::{Value, json};

use crate::localdli::config::LocalDliConfig;
use crate::localdli::engine::Engine;
use crate::localdli::error::ApiError;
use crate::localdli::flink::FlinkService;
use crate::localdli::grants::Caller;
use crate::localdli::jobs::Jobs;

/// Shared state of every handler.
#[derive(Debug)]
pub struct AppState {
    pub cfg: LocalDliConfig,
    pub engine: Arc<Engine>,
    pub jobs: Arc<Jobs>,
    pub flink: Arc<FlinkService>,
    pub tokens: TokenStore,
}

pub type ApiResult = Result<Json<Value>, ApiError>;
pub type Params = HashMap<String, String>;

/// Issued tokens: their expiry and whose they are.
#[derive(Debug, Default)]
pub struct TokenStore {
    tokens: Mutex<HashMap<String, (Instant, Caller)>>,
}

impl TokenStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Caller)>> {
        self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Issues a random token valid for `ttl`, for `caller`.
    pub fn issue(&self, ttl: Duration, caller: Caller) -> String {
        let mut bytes = [0u8; 48];
        rand::rng().fill_bytes(&mut bytes);
        let token = format!("MIIlocal{}", hex::encode(bytes));
        let now = Instant::now();
        let mut map = self.lock();
        map.retain(|_, (exp, _)| *exp > now);
        map.insert(token.clone(), (now + ttl, caller));
        token
    }

    /// Whose a token is, while it is valid.
    pub fn caller(&self, token: &str) -> Option<Caller> {
        self.lock()
            .get(token)
            .filter(|(exp, _)| *exp > Instant::now())
            .map(|(_, c)| c.clone())
    }
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
