//! The composition root: turns a [`Config`] into a running gateway.
//!
//! Owns: the start-up order and wiring — the embedded local DLI service on its own runtime
//! when no DLI endpoint is configured (and pointing the DLI client config at it), the DLI
//! client, the statement runner, the catalog (only when `[catalog] enabled`), the router,
//! the cluster tags and sweeps (only when `[cluster] secret` is set), the Prometheus and
//! health endpoints (only when `[metrics] listen` is set) and the Postgres
//! listener — and stopping them again. Called by `main.rs` and by the
//! tests. The components never import each other to be wired: only this module names them
//! all.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::catalog::DliCatalog;
use crate::catalog::identities::PerIdentity;
use crate::config::Config;
use crate::dli::DliClient;
use crate::gateway::cluster::Cluster;
use crate::gateway::config::AuthMethod;
use crate::gateway::local::ServerFacts;
use crate::gateway::router::Router;
use crate::gateway::runner::Runner;
use crate::gateway::server::GatewayServer;
use crate::gateway::sweep;
use crate::health::{self, Health, HttpProbe};
use crate::localdli::LocalDliConfig;
use crate::localdli::{self, LocalDli};
use crate::metrics::http::MetricsServer;
use crate::results::{FullResults, ObsProtocol, ResultsConfig};

/// The error of [`Gateway::start`]: whichever component refused to start.
pub type StartError = Box<dyn std::error::Error + Send + Sync>;

/// A running gateway (and, in embedded mode, its local DLI service).
pub struct Gateway {
    server: GatewayServer,
    local: Option<(LocalDli, ServiceRuntime)>,
    dli_endpoint: String,
    metrics: Option<MetricsServer>,
    /// The cluster's background sweep, stopped at shutdown.
    sweeps: Option<tokio::task::JoinHandle<()>>,
}

/// The embedded service's own runtime: its SQL engine does CPU-heavy work, which must not
/// starve the gateway's listener (a cancel request has to be accepted at once).
struct ServiceRuntime(Option<tokio::runtime::Runtime>);

impl ServiceRuntime {
    fn new() -> std::io::Result<Self> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .thread_name("local-dli")
            .thread_stack_size(crate::localdli::depth::STACK_BYTES)
            .enable_all()
            .build()?;
        Ok(Self(Some(rt)))
    }

    fn handle(&self) -> Option<tokio::runtime::Handle> {
        self.0.as_ref().map(|rt| rt.handle().clone())
    }
}

impl Drop for ServiceRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

/// In embedded mode, start the local DLI service and point `cfg.dli` at it.
async fn start_embedded(
    cfg: &mut Config,
) -> Result<Option<(LocalDli, ServiceRuntime)>, StartError> {
    if !cfg.is_embedded() {
        return Ok(None);
    }
    let runtime = ServiceRuntime::new()?;
    let handle = runtime
        .handle()
        .ok_or("the embedded service's runtime is gone")?;
    let svc = handle.spawn(localdli::start(cfg.local.clone())).await??;
    cfg.dli = svc.client_config(&cfg.local, &cfg.dli);
    // The embedded engine's clock functions read UTC.
    cfg.runner
        .spark_time_zone
        .get_or_insert_with(|| "UTC".into());
    embedded_results(&mut cfg.results, &cfg.local, &svc);
    tracing::info!(endpoint = %svc.endpoint(), warehouse = %cfg.local.warehouse.display(), "embedded local DLI service ready");
    Ok(Some((svc, runtime)))
}

/// Folder the embedded default exports results larger than the preview into.
pub const EMBEDDED_EXPORT_PATH: &str = "obs://dli-results/gateway-exports";

/// In embedded mode, results larger than the preview are read through the embedded
/// service's S3-compatible endpoint: the same object-store path as production.
pub fn embedded_results(results: &mut ResultsConfig, local: &LocalDliConfig, svc: &LocalDli) {
    if results.endpoint.trim().is_empty() {
        results.endpoint = svc.obs_endpoint();
        results.protocol = ObsProtocol::S3;
        results.region = "local".into();
        if results.access_key.is_empty() {
            results.access_key = local.access_key.clone();
            results.secret_key = local.secret_key.clone();
        }
    }
    if results.export_path.trim().is_empty() {
        results.export_path = EMBEDDED_EXPORT_PATH.into();
    }
}

/// What the session commands answer from the configuration.
fn server_facts(cfg: &Config) -> ServerFacts {
    ServerFacts {
        server_version: cfg.server.server_version.clone(),
        user: cfg
            .server
            .users
            .first()
            .map(|u| u.name.clone())
            .unwrap_or_default(),
        default_database: cfg.runner.default_database.clone(),
        default_queue: (!cfg.dli.queue.is_empty()).then(|| cfg.dli.queue.clone()),
        default_timeout_ms: cfg.runner.statement_timeout_ms,
        default_idle_timeout_ms: cfg.server.idle_session_timeout_ms,
        allow_truncated_results: cfg.runner.allow_truncated_results,
        progress_notices: cfg.runner.progress_notices,
        result_reuse_max_age_ms: cfg.runner.result_reuse_max_age_ms,
        standard_conforming_strings: cfg.runner.standard_conforming_strings,
        database_name: cfg.catalog.database_name.clone(),
    }
}

impl Gateway {
    /// Start everything the config asks for.
    pub async fn start(mut cfg: Config) -> Result<Gateway, StartError> {
        let local = start_embedded(&mut cfg).await?;
        let client = DliClient::new(cfg.dli.clone())?;
        let aksk = (!cfg.dli.auth.ak.is_empty())
            .then(|| (cfg.dli.auth.ak.clone(), cfg.dli.auth.sk.clone()));
        let results = FullResults::new(cfg.results.clone(), aksk);
        let backend: Arc<dyn crate::gateway::runner::JobBackend> = Arc::new(client.clone());
        let cluster = Cluster::new(&cfg.cluster, backend.clone());
        let mut router = Router::new(
            Runner::new(backend, cfg.runner.clone())
                .with_results(results)
                .with_cluster(cluster.clone()),
            server_facts(&cfg),
        );
        let mut catalog_cache = None;
        if cfg.catalog.enabled {
            let catalog = DliCatalog::with_flink(
                client.clone(),
                &cfg.catalog,
                &cfg.flink,
                &cfg.server.server_version,
            )?;
            catalog_cache = Some(catalog.cache().clone());
            router = router.with_catalog(catalog);
            if cfg.server.auth_method == AuthMethod::DliPassthrough {
                router = router.with_identity_catalogs(Arc::new(PerIdentity::new(
                    &cfg.catalog,
                    &cfg.flink,
                    &cfg.server.server_version,
                )));
            }
        }
        let metrics = match cfg.metrics.enabled() {
            true => {
                let (id, incarnation) = cluster.as_ref().map_or_else(Default::default, |c| {
                    (c.replica_id().to_string(), c.incarnation().to_string())
                });
                let health = Health::new(id, incarnation, client, catalog_cache);
                let routes = health::routes(Arc::new(health));
                Some(MetricsServer::start_with(&cfg.metrics, routes).await?)
            }
            false => None,
        };
        let mut sweeps = None;
        if let Some(c) = &cluster {
            let own = c.clone();
            tokio::spawn(async move {
                own.sweep_own_orphans().await;
            });
            sweeps = sweep::spawn_peer_sweeps(c.clone(), Arc::new(HttpProbe::new()?));
        }
        let server = GatewayServer::start_with_dli(&cfg.server, Some(&cfg.dli), router).await?;
        Ok(Gateway {
            server,
            local,
            dli_endpoint: cfg.dli.endpoint,
            metrics,
            sweeps,
        })
    }

    /// The Postgres listener's address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The Prometheus endpoint's address, when `[metrics] listen` is set.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(MetricsServer::addr)
    }

    /// The DLI endpoint in use (the embedded service's when embedded).
    pub fn dli_endpoint(&self) -> &str {
        &self.dli_endpoint
    }

    /// Stop the listener (closing every session, see [`GatewayServer::shutdown`]), then
    /// the metrics endpoint and the embedded service.
    pub async fn shutdown(self) {
        if let Some(sweeps) = &self.sweeps {
            sweeps.abort();
        }
        self.server.shutdown().await;
        if let Some(metrics) = self.metrics {
            metrics.shutdown().await;
        }
        if let Some((local, runtime)) = self.local {
            if let Some(handle) = runtime.handle() {
                let _ = handle.spawn(local.shutdown()).await;
            }
            drop(runtime);
        }
    }
}
