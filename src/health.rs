//! Health endpoints for load balancers and for the other replicas.
//!
//! Owns: `GET /live` (200 while the process serves: its replica id and incarnation, what
//! peers' sweeps read, see [`crate::gateway::sweep`]), `GET /ready` (200 when DLI
//! answered a cheap call — one job listed, the answer cached [`DLI_CHECK_TTL`] — and the
//! metadata catalog, when enabled, is not failing without ever having loaded; 503
//! otherwise; the body says which), both served next to `/metrics` by
//! [`crate::metrics::http`]; and [`HttpProbe`], the peers' side of `/live`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use crate::catalog::cache::MetadataCache;
use crate::dli::{DliClient, ListJobsQuery};
use crate::gateway::sweep::PeerProbe;

/// How long a DLI reachability answer is reused.
pub const DLI_CHECK_TTL: Duration = Duration::from_secs(5);
/// How long a peer's `/live` may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// What the endpoints report on.
pub struct Health {
    pub replica_id: String,
    pub incarnation: String,
    pub dli: DliClient,
    pub catalog: Option<Arc<MetadataCache>>,
    last_check: Mutex<Option<(Instant, Result<(), String>)>>,
}

impl Health {
    pub fn new(
        replica_id: String,
        incarnation: String,
        dli: DliClient,
        catalog: Option<Arc<MetadataCache>>,
    ) -> Self {
        Self {
            replica_id,
            incarnation,
            dli,
            catalog,
            last_check: Mutex::new(None),
        }
    }

    /// Whether DLI answered, and how long ago it was asked.
    async fn dli_reachable(&self) -> (Result<(), String>, Duration) {
        if let Ok(guard) = self.last_check.lock()
            && let Some((at, result)) = guard.as_ref()
            && at.elapsed() < DLI_CHECK_TTL
        {
            return (result.clone(), at.elapsed());
        }
        let query = ListJobsQuery {
            page_size: Some(1),
            current_page: Some(1),
            ..Default::default()
        };
        let result = self
            .dli
            .list_jobs(&query)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string());
        if let Ok(mut guard) = self.last_check.lock() {
            *guard = Some((Instant::now(), result.clone()));
        }
        (result, Duration::ZERO)
    }

    fn live(&self) -> Value {
        json!({
            "status": "live",
            "replica_id": self.replica_id,
            "incarnation": self.incarnation,
        })
    }

    async fn ready(&self) -> (bool, Value) {
        let (dli, checked) = self.dli_reachable().await;
        let mut ready = dli.is_ok();
        let catalog = match &self.catalog {
            None => json!({ "enabled": false }),
            Some(cache) => {
                let s = cache.status();
                let age = s
                    .loaded_at
                    .and_then(|t| SystemTime::now().duration_since(t).ok())
                    .map(|d| d.as_secs());
                if s.loaded_at.is_none() && s.last_error.is_some() {
                    ready = false;
                }
                json!({
                    "enabled": true,
                    "loaded": s.loaded_at.is_some(),
                    "age_seconds": age,
                    "stale": s.stale,
                    "databases": s.databases,
                    "tables": s.tables,
                    "last_error": s.last_error,
                })
            }
        };
        let body = json!({
            "ready": ready,
            "replica_id": self.replica_id,
            "incarnation": self.incarnation,
            "dli": {
                "reachable": dli.is_ok(),
                "error": dli.err(),
                "checked_ms_ago": checked.as_millis() as u64,
            },
            "catalog": catalog,
        });
        (ready, body)
    }
}

/// `/live` and `/ready`, to be served next to `/metrics`.
pub fn routes(health: Arc<Health>) -> axum::Router {
    let live = health.clone();
    axum::Router::new()
        .route(
            "/live",
            axum::routing::get(move || {
                let h = live.clone();
                async move { axum::Json(h.live()) }
            }),
        )
        .route(
            "/ready",
            axum::routing::get(move || {
                let h = health.clone();
                async move {
                    let (ready, body) = h.ready().await;
                    let status = match ready {
                        true => StatusCode::OK,
                        false => StatusCode::SERVICE_UNAVAILABLE,
                    };
                    (status, axum::Json(body)).into_response()
                }
            }),
        )
}

/// Asks a peer's `/live` for its incarnation.
pub struct HttpProbe {
    http: reqwest::Client,
}

impl HttpProbe {
    pub fn new() -> Result<Self, String> {
        reqwest::Client::builder()
            .timeout(PROBE_TIMEOUT)
            .build()
            .map(|http| Self { http })
            .map_err(|e| e.to_string())
    }
}

#[async_trait]
impl PeerProbe for HttpProbe {
    async fn incarnation(&self, health_url: &str) -> Result<String, String> {
        let url = format!("{}/live", health_url.trim_end_matches('/'));
        let resp = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !resp.status().is_success() {
            return Err(format!("{url} answered {}", resp.status()));
        }
        let body: Value = resp.json().await.map_err(|e| e.to_string())?;
        body.get("incarnation")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("{url} named no incarnation"))
    }
}
