//! The Postgres front end.
//!
//! Owns: wiring a [`Config`] into a running gateway — the embedded local DLI service when
//! no endpoint is configured, the DLI client, the statement runner, the router and the
//! listener. Submodules: [`server`] (listener, pgwire wiring), [`auth`], [`tls`],
//! [`throttle`] and [`passthrough`] (connection security); the protocol-neutral core —
//! [`plan`] (one statement read once), [`classify`], [`router`], [`local`] (session
//! commands), [`params`], [`runner`] (statement → DLI job), [`convert`], [`output`],
//! [`session`]; and the pgwire side — [`pg_handlers`], [`extended`], [`bind`],
//! [`encode`].
//! Never sees HTTP types: DLI is reached only through [`runner::JobBackend`].

pub mod auth;
pub mod bind;
pub mod catalog_hook;
pub mod classify;
pub mod convert;
pub mod encode;
pub mod extended;
pub mod infer;
pub mod local;
pub mod output;
pub mod params;
pub mod passthrough;
pub mod pg_handlers;
pub mod plan;
pub mod router;
pub mod runner;
pub mod server;
pub mod session;
pub mod throttle;
pub mod tls;

use std::net::SocketAddr;
use std::sync::Arc;

use crate::config::Config;
use crate::dli::{AuthMode, DliClient};
use crate::localdli::{self, LocalDli};

use local::ServerFacts;
use router::Router;
use runner::Runner;
use server::GatewayServer;

/// A running gateway (and, in embedded mode, its local DLI service).
pub struct Gateway {
    server: GatewayServer,
    local: Option<(LocalDli, ServiceRuntime)>,
    dli_endpoint: String,
}

/// The embedded service's own runtime: its SQL engine does CPU-heavy work, which must not
/// starve the gateway's listener (a cancel request has to be accepted at once).
struct ServiceRuntime(Option<tokio::runtime::Runtime>);

impl ServiceRuntime {
    fn new() -> std::io::Result<Self> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .thread_name("local-dli")
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

impl Gateway {
    /// Start everything the config asks for.
    pub async fn start(
        mut cfg: Config,
    ) -> Result<Gateway, Box<dyn std::error::Error + Send + Sync>> {
        let local = if cfg.is_embedded() {
            let runtime = ServiceRuntime::new()?;
            let handle = runtime
                .handle()
                .ok_or("the embedded service's runtime is gone")?;
            let svc = handle.spawn(localdli::start(cfg.local.clone())).await??;
            cfg.dli.endpoint = svc.endpoint();
            cfg.dli.project_id = svc.project_id().to_string();
            cfg.dli.auth.mode = AuthMode::Token;
            cfg.dli.auth.iam_endpoint = String::new();
            cfg.dli.auth.domain_name = cfg.local.iam_domain.clone();
            cfg.dli.auth.user_name = cfg.local.iam_user.clone();
            cfg.dli.auth.password = cfg.local.iam_password.clone();
            tracing::info!(endpoint = %svc.endpoint(), warehouse = %cfg.local.warehouse.display(), "embedded local DLI service ready");
            Some((svc, runtime))
        } else {
            None
        };
        let client = DliClient::new(cfg.dli.clone())?;
        let catalog = crate::catalog::DliCatalog::new(
            client.clone(),
            &cfg.catalog,
            &cfg.server.server_version,
        )?;
        let runner = Runner::new(Arc::new(client), cfg.runner.clone());
        let queue = (!cfg.dli.queue.is_empty()).then(|| cfg.dli.queue.clone());
        let facts = ServerFacts {
            server_version: cfg.server.server_version.clone(),
            user: cfg
                .server
                .users
                .first()
                .map(|u| u.name.clone())
                .unwrap_or_default(),
            default_database: cfg.runner.default_database.clone(),
            default_queue: queue,
            default_timeout_ms: cfg.runner.statement_timeout_ms,
            database_name: cfg.catalog.database_name.clone(),
        };
        let mut router = Router::new(runner, facts);
        if cfg.catalog.enabled {
            router = router.with_catalog(catalog);
        }
        let server = GatewayServer::start_with_dli(&cfg.server, Some(&cfg.dli), router).await?;
        Ok(Gateway {
            server,
            local,
            dli_endpoint: cfg.dli.endpoint,
        })
    }

    /// The Postgres listener's address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The DLI endpoint in use (the embedded service's when embedded).
    pub fn dli_endpoint(&self) -> &str {
        &self.dli_endpoint
    }

    /// Stop the listener and the embedded service.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
        if let Some((local, runtime)) = self.local {
            if let Some(handle) = runtime.handle() {
                let _ = handle.spawn(local.shutdown()).await;
            }
            drop(runtime);
        }
    }
}
