//! The Postgres listener: accept loop, pgwire handler wiring, startup parameters, shutdown.
//!
//! Owns: binding the port, accepting (the connection limit and the shutdown phases are
//! [`super::lifecycle`]'s, applied per connection by [`super::conn`]), TLS negotiation (the acceptor from
//! [`super::tls`]), building the startup (auth) handler ([`super::auth`]) once, the startup
//! parameters drivers need, cancel-request routing (across replicas: [`super::cancel`]), installing the error hook
//! ([`ErrorLog`]), and graceful shutdown (stop accepting, then [`Lifecycle::shutdown`]). Each connection is served by [`super::conn`]. Query semantics live in [`super::handler`].

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use pgwire::api::auth::{ServerParameterProvider, StartupHandler};
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::{
    ClientInfo, ConnectionManager, ErrorHandler, METADATA_APPLICATION_NAME, METADATA_USER,
    PgWireServerHandlers,
};
use pgwire::tokio::TlsAcceptor;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::auth::{AuthSettings, GatewayStartup};
use super::cancel::{ClusterPids, GatewayCancel};
use super::config::{AuthMethod, ServerConfig};
use super::lifecycle::Lifecycle;
use super::local::ServerFacts;
use super::passthrough::Passthrough;
use super::pg_handlers::QueryHandler;
use super::router::Router;
use super::throttle::Throttle;
use crate::dli::DliClientConfig;
use crate::errors::wire::ErrorLog;
use crate::settings::{self, SessionValues};

/// The startup `ParameterStatus` messages: the settings table's reported settings
/// ([`crate::settings`]) with the server's defaults, the login user and the client's
/// `application_name` (pgjdbc needs client_encoding = UTF8, pgx needs
/// standard_conforming_strings = on, …).
#[derive(Debug)]
struct Parameters {
    defaults: SessionValues,
}

impl Parameters {
    fn new(facts: &ServerFacts) -> Self {
        let defaults = SessionValues {
            server_version: facts.server_version.clone(),
            user: facts.user.clone(),
            currentdb: facts.default_database.clone(),
            queue: facts.default_queue.clone(),
            statement_timeout_ms: facts.default_timeout_ms,
            idle_session_timeout_ms: facts.default_idle_timeout_ms,
            allow_truncated_results: facts.allow_truncated_results,
            progress_notices: facts.progress_notices,
            result_reuse_max_age_ms: facts.result_reuse_max_age_ms,
            variables: Default::default(),
        };
        let mut defaults = defaults;
        if !facts.standard_conforming_strings {
            defaults
                .variables
                .insert("standard_conforming_strings".into(), "off".into());
        }
        Self { defaults }
    }
}

impl ServerParameterProvider for Parameters {
    fn server_parameters<C: ClientInfo>(&self, client: &C) -> Option<HashMap<String, String>> {
        let mut values = self.defaults.clone();
        let meta = client.metadata();
        if let Some(user) = meta.get(METADATA_USER) {
            values.user = user.clone();
        }
        if let Some(app) = meta.get(METADATA_APPLICATION_NAME) {
            values
                .variables
                .insert("application_name".into(), app.clone());
        }
        // What the session will start with (`-c standard_conforming_strings=off` …), so
        // drivers that quote values themselves are told the rules the gateway will use.
        for (name, value) in super::local::startup_pairs(meta) {
            if let Some(shown) = settings::startup_value(&name, &value) {
                values.variables.insert(settings::canonical(&name), shown);
            }
        }
        Some(
            settings::reported(&values)
                .map(|(name, value)| (name.to_string(), value))
                .collect(),
        )
    }
}

/// Builds handlers for each connection.
struct Factory {
    query: Arc<QueryHandler>,
    startup: Arc<GatewayStartup<Parameters>>,
    cancel: Arc<GatewayCancel>,
}

impl PgWireServerHandlers for Factory {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        self.query.clone()
    }

    fn extended_query_handler(&self) -> Arc<impl ExtendedQueryHandler> {
        self.query.clone()
    }

    fn startup_handler(&self) -> Arc<impl StartupHandler> {
        self.startup.clone()
    }

    fn cancel_handler(&self) -> Arc<impl pgwire::api::cancel::CancelHandler> {
        self.cancel.clone()
    }

    /// Logs the errors pgwire raises itself, through the gateway's one error chokepoint.
    fn error_handler(&self) -> Arc<impl ErrorHandler> {
        Arc::new(ErrorLog)
    }
}

fn config_error(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, message)
}

/// A running gateway listener.
pub struct GatewayServer {
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    lifecycle: Lifecycle,
    grace: std::time::Duration,
}

impl GatewayServer {
    /// Bind the listener and start accepting connections in the background. Without a
    /// `[dli]` config `auth_method = "dli-passthrough"` is refused.
    pub async fn start(cfg: &ServerConfig, router: Router) -> std::io::Result<GatewayServer> {
        Self::start_with_dli(cfg, None, router).await
    }

    /// Like [`GatewayServer::start`]; `dli` (the gateway's effective `[dli]` config) is what
    /// passthrough logins build their per-user DLI clients from.
    pub async fn start_with_dli(
        cfg: &ServerConfig,
        dli: Option<&DliClientConfig>,
        router: Router,
    ) -> std::io::Result<GatewayServer> {
        cfg.validate_security().map_err(config_error)?;
        let tls = cfg.tls.load().map_err(config_error)?;
        let passthrough = match (cfg.auth_method, dli) {
            (AuthMethod::DliPassthrough, Some(dli)) => Some(Arc::new(
                Passthrough::new(dli.clone(), cfg.passthrough.clone())
                    .with_catalogs(router.identity_catalogs()),
            )),
            _ => None,
        };
        if cfg.auth_method == AuthMethod::Password && !cfg.tls.required() {
            tracing::warn!(
                "auth_method = \"password\" sends passwords in cleartext; set [server.tls] mode = \"required\""
            );
        }
        let listener = TcpListener::bind(&cfg.listen).await?;
        let addr = listener.local_addr()?;
        let manager = Arc::new(ConnectionManager::new());
        let router = Arc::new(router);
        let cluster = router.cluster();
        let settings = AuthSettings {
            method: cfg.auth_method,
            users: cfg.users.clone(),
            tls_required: cfg.tls.required(),
            cert_pem: tls.as_ref().map(|t| t.cert_pem.clone()),
            throttle: Arc::new(Throttle::new(cfg.throttle.clone())),
            passthrough,
            pids: cluster.as_ref().map(|c| {
                Arc::new(ClusterPids::new(c.replica_id()))
                    as Arc<dyn pgwire::api::PidSecretKeyGenerator>
            }),
        };
        let params = Arc::new(Parameters::new(router.facts()));
        let startup =
            GatewayStartup::new(settings, params, manager.clone()).map_err(config_error)?;
        let factory = Arc::new(Factory {
            query: Arc::new(QueryHandler::new(router)),
            startup: Arc::new(startup),
            cancel: Arc::new(GatewayCancel::new(manager, cluster)),
        });
        let acceptor: Option<TlsAcceptor> = tls.map(|t| t.acceptor);
        let (lifecycle, limits) = Lifecycle::new(
            cfg.max_connections,
            std::time::Duration::from_millis(cfg.connection_wait_ms),
            cfg.idle_session_timeout_ms,
        );
        let (tx, mut rx) = watch::channel(false);
        // Every connection is accepted at once: the connection limit is applied to its
        // startup packet, so a client over the limit hears 53300 instead of hanging and
        // a CancelRequest still gets through when every slot is taken.
        let task = tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = rx.changed() => break,
                    a = listener.accept() => a,
                };
                match accepted {
                    Ok((socket, peer)) => {
                        let factory = factory.clone();
                        let acceptor = acceptor.clone();
                        let limits = limits.clone();
                        tokio::spawn(async move {
                            if let Err(e) =
                                super::conn::serve(socket, acceptor, factory, limits).await
                            {
                                tracing::debug!(%peer, error = %e, "connection ended with an error");
                            }
                        });
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                }
            }
        });
        tracing::info!(%addr, tls = ?cfg.tls.mode, auth_method = ?cfg.auth_method, "Postgres listener ready");
        Ok(GatewayServer {
            addr,
            shutdown: tx,
            task,
            lifecycle,
            grace: std::time::Duration::from_millis(cfg.shutdown_grace_ms),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stop accepting; close idle sessions (FATAL 57P01) at once and the others when
    /// their statement ends or `[server] shutdown_grace_ms` has passed (their DLI jobs
    /// cancelled). Returns once they are all closed and the cancellations are done.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
        tracing::info!("listener closed; closing sessions");
        self.lifecycle.shutdown(self.grace).await;
    }
}
