//! The Postgres listener: accept loop, authentication, pgwire handler wiring, shutdown.
//!
//! Owns: binding the port, the connection limit, choosing the startup (auth) handler from
//! the config, the startup parameters drivers need, cancel-request routing, and graceful
//! shutdown. Query semantics live in [`super::handler`].

use std::collections::HashMap;
use std::fmt::Debug;
use std::net::SocketAddr;
use std::sync::Arc;

use async_trait::async_trait;
use futures::Sink;
use pgwire::api::auth::cleartext::CleartextPasswordAuthStartupHandler;
use pgwire::api::auth::md5pass::{Md5PasswordAuthStartupHandler, hash_md5_password};
use pgwire::api::auth::noop::NoopStartupHandler;
use pgwire::api::auth::sasl::SASLAuthStartupHandler;
use pgwire::api::auth::sasl::scram::{ScramAuth, gen_salted_password};
use pgwire::api::auth::{
    AuthSource, DefaultServerParameterProvider, LoginInfo, Password, ServerParameterProvider,
    StartupHandler,
};
use pgwire::api::cancel::DefaultCancelHandler;
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::{ClientInfo, ConnectionManager, PgWireServerHandlers};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use super::handler::Router;
use super::pg_handlers::QueryHandler;
use crate::config::{AuthMethod, ServerConfig, UserConfig};
use crate::errors::sqlstate;

const SCRAM_ITERATIONS: usize = 4096;

/// Gateway users from the config.
#[derive(Clone)]
struct Users {
    users: Arc<Vec<UserConfig>>,
    method: AuthMethod,
}

impl Debug for Users {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Users")
            .field("count", &self.users.len())
            .finish()
    }
}

fn auth_failed(user: &str) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "FATAL".into(),
        sqlstate::INVALID_PASSWORD.into(),
        format!("password authentication failed for user \"{user}\""),
    )))
}

#[async_trait]
impl AuthSource for Users {
    async fn get_password(&self, login: &LoginInfo) -> PgWireResult<Password> {
        let name = login.user().unwrap_or_default();
        let Some(user) = self.users.iter().find(|u| u.name == name) else {
            tracing::info!(user = name, "login refused: unknown user");
            return Err(auth_failed(name));
        };
        Ok(match self.method {
            AuthMethod::ScramSha256 => {
                let salt: [u8; 16] = rand::random();
                Password::new(
                    Some(salt.to_vec()),
                    gen_salted_password(&user.password, &salt, SCRAM_ITERATIONS),
                )
            }
            AuthMethod::Md5 => {
                let salt: [u8; 4] = rand::random();
                Password::new(
                    Some(salt.to_vec()),
                    hash_md5_password(&user.name, &user.password, &salt).into_bytes(),
                )
            }
            AuthMethod::Password | AuthMethod::Trust => {
                Password::new(None, user.password.clone().into_bytes())
            }
        })
    }
}

/// Startup parameters drivers depend on (pgjdbc needs client_encoding = UTF8, pgx needs
/// standard_conforming_strings = on, …).
#[derive(Debug)]
struct Parameters {
    inner: DefaultServerParameterProvider,
}

impl Parameters {
    fn new(server_version: &str) -> Self {
        let mut inner = DefaultServerParameterProvider::default();
        inner.server_version = server_version.to_string();
        inner.date_style = "ISO, MDY".to_string();
        inner.time_zone = "UTC".to_string();
        inner.search_path = "default".to_string();
        inner.is_superuser = false;
        Self { inner }
    }
}

impl ServerParameterProvider for Parameters {
    fn server_parameters<C: ClientInfo>(&self, client: &C) -> Option<HashMap<String, String>> {
        let mut params = self.inner.server_parameters(client)?;
        params.insert("client_encoding".into(), "UTF8".into());
        params.insert("server_encoding".into(), "UTF8".into());
        params.entry("application_name".into()).or_default();
        Some(params)
    }
}

/// No-password startup for `auth_method = "trust"`.
struct TrustStartup {
    manager: Arc<ConnectionManager>,
    params: Arc<Parameters>,
}

#[async_trait]
impl NoopStartupHandler for TrustStartup {
    fn connection_manager(&self) -> Option<Arc<ConnectionManager>> {
        Some(self.manager.clone())
    }

    async fn post_startup<C>(
        &self,
        _client: &mut C,
        _message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let _ = &self.params;
        Ok(())
    }
}

/// The startup handler chosen by the config.
enum Startup {
    Scram(SASLAuthStartupHandler<Parameters>),
    Md5(Md5PasswordAuthStartupHandler<Users, Parameters>),
    Cleartext(CleartextPasswordAuthStartupHandler<Users, Arc<Parameters>>),
    Trust(TrustStartup),
}

#[async_trait]
impl StartupHandler for Startup {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        match self {
            Startup::Scram(h) => h.on_startup(client, message).await,
            Startup::Md5(h) => h.on_startup(client, message).await,
            Startup::Cleartext(h) => h.on_startup(client, message).await,
            Startup::Trust(h) => h.on_startup(client, message).await,
        }
    }
}

/// Builds handlers for each connection.
struct Factory {
    query: Arc<QueryHandler>,
    users: Users,
    params: Arc<Parameters>,
    manager: Arc<ConnectionManager>,
    cancel: Arc<DefaultCancelHandler>,
}

impl PgWireServerHandlers for Factory {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        self.query.clone()
    }

    fn extended_query_handler(&self) -> Arc<impl ExtendedQueryHandler> {
        self.query.clone()
    }

    fn startup_handler(&self) -> Arc<impl StartupHandler> {
        let m = self.manager.clone();
        Arc::new(match self.users.method {
            AuthMethod::ScramSha256 => {
                let mut scram = ScramAuth::new(Arc::new(self.users.clone()));
                scram.set_iterations(SCRAM_ITERATIONS);
                Startup::Scram(
                    SASLAuthStartupHandler::new(self.params.clone())
                        .with_scram(scram)
                        .with_connection_manager(m),
                )
            }
            AuthMethod::Md5 => Startup::Md5(
                Md5PasswordAuthStartupHandler::new(
                    Arc::new(self.users.clone()),
                    self.params.clone(),
                )
                .with_connection_manager(m),
            ),
            AuthMethod::Password => Startup::Cleartext(
                CleartextPasswordAuthStartupHandler::new(self.users.clone(), self.params.clone())
                    .with_connection_manager(m),
            ),
            AuthMethod::Trust => Startup::Trust(TrustStartup {
                manager: m,
                params: self.params.clone(),
            }),
        })
    }

    fn cancel_handler(&self) -> Arc<impl pgwire::api::cancel::CancelHandler> {
        self.cancel.clone()
    }
}

/// A running gateway listener.
pub struct GatewayServer {
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl GatewayServer {
    /// Bind the listener and start accepting connections in the background.
    pub async fn start(cfg: &ServerConfig, router: Router) -> std::io::Result<GatewayServer> {
        let listener = TcpListener::bind(&cfg.listen).await?;
        let addr = listener.local_addr()?;
        let manager = Arc::new(ConnectionManager::new());
        let router = Arc::new(router);
        let factory = Arc::new(Factory {
            query: Arc::new(QueryHandler::new(router)),
            users: Users {
                users: Arc::new(cfg.users.clone()),
                method: cfg.auth_method,
            },
            params: Arc::new(Parameters::new(&cfg.server_version)),
            manager: manager.clone(),
            cancel: Arc::new(DefaultCancelHandler::new(manager)),
        });
        let limit = Arc::new(Semaphore::new(cfg.max_connections));
        let (tx, mut rx) = watch::channel(false);
        let task = tokio::spawn(async move {
            loop {
                let permit = tokio::select! {
                    _ = rx.changed() => break,
                    p = limit.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
                };
                let accepted = tokio::select! {
                    _ = rx.changed() => break,
                    a = listener.accept() => a,
                };
                match accepted {
                    Ok((socket, peer)) => {
                        let factory = factory.clone();
                        tokio::spawn(async move {
                            if let Err(e) =
                                pgwire::tokio::process_socket(socket, None, factory).await
                            {
                                tracing::debug!(%peer, error = %e, "connection ended with an error");
                            }
                            drop(permit);
                        });
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                }
            }
        });
        tracing::info!(%addr, "Postgres listener ready");
        Ok(GatewayServer {
            addr,
            shutdown: tx,
            task,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stop accepting; open connections finish on their own.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}
