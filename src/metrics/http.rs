//! The `[metrics]` section and the HTTP endpoint that serves [`super::render`].
//!
//! Owns: `[metrics] listen` (empty: no endpoint), and a small axum server answering
//! `GET /metrics` and the routes it is given (`/live`, `/ready`: [`crate::health`]; any
//! other path: 404). Started and stopped by [`crate::app`].

use std::net::SocketAddr;

use axum::http::header::CONTENT_TYPE;
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// The `[metrics]` section.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Address of the Prometheus endpoint (`127.0.0.1:9187`); empty = no endpoint.
    pub listen: String,
}

impl MetricsConfig {
    pub fn enabled(&self) -> bool {
        !self.listen.trim().is_empty()
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.enabled() && self.listen.trim().parse::<SocketAddr>().is_err() {
            return Err(format!(
                "[metrics] listen = {:?} is not host:port",
                self.listen
            ));
        }
        Ok(())
    }
}

/// A running metrics endpoint.
pub struct MetricsServer {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl MetricsServer {
    /// Bind `cfg.listen` and serve `GET /metrics` in the background.
    pub async fn start(cfg: &MetricsConfig) -> std::io::Result<MetricsServer> {
        Self::start_with(cfg, axum::Router::new()).await
    }

    /// [`MetricsServer::start`], also serving `extra`'s routes (the health endpoints).
    pub async fn start_with(
        cfg: &MetricsConfig,
        extra: axum::Router,
    ) -> std::io::Result<MetricsServer> {
        let listener = TcpListener::bind(cfg.listen.trim()).await?;
        let addr = listener.local_addr()?;
        let app = extra.route(
            "/metrics",
            axum::routing::get(|| async {
                ([(CONTENT_TYPE, super::CONTENT_TYPE)], super::render())
            }),
        );
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            if let Err(e) = served {
                tracing::warn!(error = %e, "the metrics endpoint stopped");
            }
        });
        tracing::info!(%addr, "Prometheus metrics endpoint ready (GET /metrics)");
        Ok(MetricsServer { addr, stop, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}
