//! Embedded DLI-compatible service: the same REST API as Huawei Cloud DLI (IAM tokens,
//! AK/SK signatures, SQL jobs, catalog, queues), served by axum over a real SQL engine
//! (DataFusion) and a local warehouse directory, so the gateway runs without a cloud
//! account and tests exercise the real HTTP path.
//!
//! Owns: starting and stopping the service ([`start`], [`LocalDli::shutdown`],
//! [`run_forever`]). The parts:
//! - [`config`] — the `[local]` configuration section;
//! - [`http`] — routes, JSON shapes, tokens and signatures;
//! - [`engine`], [`exec`], [`stmt`], [`ddl`], [`ddlexec`], [`sparkerr`], [`sparkcompat`],
//!   [`sparklit`] — Spark SQL on DataFusion; [`sparkstrict`] — what Spark 3.3 refuses;
//! - [`catalog`], [`warehouse`] — databases and tables, in memory and on disk;
//! - [`jobs`] — job states, cancel, timeouts; [`results`] — value rendering, result files;
//!   [`export`], [`sparktext`] — export-result and `result_path` files in Spark's CSV/JSON;
//! - [`obs`] — the S3-compatible endpoint over the OBS emulation folder;
//! - [`flink`] — DLI's Flink job APIs: a persistent job registry with a timed state
//!   machine, stream graphs from Flink SQL, demo jobs;
//! - [`demo`] — the TPC-H demo database. Spark types (and their Arrow mapping) are
//!   [`crate::pgtypes`]', shared with the gateway and the catalog.
//!
//! Test hooks: an artificial delay while a job is RUNNING comes from `job_delay_ms`, the
//! conf item `dli.local.job.delay_ms=<ms>`, or any SQL comment containing
//! `dli_local_delay_ms=<ms>` (also `/*+ DLI_LOCAL_DELAY_MS(<ms>) */`); cancel interrupts it.
//!
//! Must not use the DLI client ([`crate::dli`]) except its signer and its config type (for
//! [`LocalDli::client_config`]), nor anything of pgwire.

pub mod catalog;
pub mod config;
pub mod ddl;
pub mod ddlexec;
pub mod demo;
pub mod depth;
pub mod engine;
pub mod error;
pub mod exec;
pub mod export;
pub mod flink;
mod fromjson;
pub mod grants;
pub mod http;
pub mod jobs;
pub mod obs;
pub mod results;
pub mod seed;
mod serve;
pub mod sparkcast;
pub mod sparkcompat;
pub mod sparkdates;
pub mod sparkerr;
pub mod sparkfuncs;
pub mod sparkgen;
pub mod sparkhex;
pub mod sparklateral;
pub mod sparklit;
pub mod sparkops;
pub mod sparkpattern;
pub mod sparkreader;
pub mod sparkseq;
pub mod sparkstack;
pub mod sparkstrict;
pub mod sparktable;
pub mod sparktext;
pub mod sparkunix;
pub mod sparkzip;
pub mod stmt;
pub mod warehouse;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::dli::{AuthMode, DliClientConfig};

pub use config::{LocalDliConfig, PREVIEW_LIMIT};
pub use error::LocalDliError;

use engine::Engine;
use http::AppState;
use jobs::Jobs;
use warehouse::Warehouse;

/// A running local DLI service.
#[derive(Debug)]
pub struct LocalDli {
    addr: SocketAddr,
    project_id: String,
    jobs: Arc<Jobs>,
    stop: Option<oneshot::Sender<()>>,
    server: JoinHandle<Result<(), std::io::Error>>,
    obs: Option<obs::ObsEndpoint>,
    obs_addr: SocketAddr,
}

impl LocalDli {
    /// The address the service listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, the DLI (and IAM) endpoint to configure.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT`, the S3-compatible endpoint over the OBS emulation folder
    /// (path-style; each bucket is a folder of `<warehouse>/.obs`; SigV4 with the
    /// `[local]` access_key/secret_key when `auth_required`).
    pub fn obs_endpoint(&self) -> String {
        format!("http://{}", self.obs_addr)
    }

    /// The project id the service answers to.
    pub fn project_id(&self) -> &str {
        &self.project_id
    }

    /// `base` (a `[dli]` section) pointed at this service: its endpoint, its project and a
    /// token login as the `[local]` IAM user. Everything else of `base` is kept.
    pub fn client_config(&self, local: &LocalDliConfig, base: &DliClientConfig) -> DliClientConfig {
        let mut cfg = base.clone();
        cfg.endpoint = self.endpoint();
        cfg.project_id = self.project_id.clone();
        cfg.auth.mode = AuthMode::Token;
        cfg.auth.iam_endpoint = String::new();
        cfg.auth.domain_name = local.iam_domain.clone();
        cfg.auth.user_name = local.iam_user.clone();
        cfg.auth.password = local.iam_password.clone();
        // This service's project is named by its id (a configured name is for real IAM).
        cfg.auth.project_name = String::new();
        cfg
    }

    /// Stops accepting requests, cancels running jobs and waits for the server to end.
    pub async fn shutdown(mut self) {
        self.jobs.cancel_all();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match (&mut self.server).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!("local DLI server ended with an error: {e}"),
            Err(e) => tracing::warn!("local DLI server task failed: {e}"),
        }
        if let Some(obs) = self.obs.take() {
            let _ = obs.stop.send(());
            match obs.server.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!("local OBS endpoint ended with an error: {e}"),
                Err(e) => tracing::warn!("local OBS endpoint task failed: {e}"),
            }
        }
    }
}

/// Opens the warehouse, creates the demo data if asked, binds and serves in the background.
pub async fn start(cfg: LocalDliConfig) -> Result<LocalDli, LocalDliError> {
    cfg.validate().map_err(LocalDliError::Config)?;
    let wh_path = cfg.warehouse.clone();
    let owner = cfg.iam_user.clone();
    let (demo, sf) = (cfg.demo, cfg.demo_scale_factor);
    let flink_cfg = cfg.clone();
    let (engine, flink) = tokio::task::spawn_blocking(move || -> Result<_, LocalDliError> {
        let wh = Warehouse::open(&wh_path).map_err(|source| LocalDliError::Warehouse {
            path: wh_path.display().to_string(),
            source,
        })?;
        let engine = Engine::open(wh, &owner).map_err(|e| LocalDliError::Warehouse {
            path: wh_path.display().to_string(),
            source: std::io::Error::other(e),
        })?;
        if demo && !engine.registry.has_database(demo::DEMO_DB) {
            demo::create(&engine.warehouse, &engine.registry, sf, &owner)
                .map_err(LocalDliError::Demo)?;
        }
        let flink =
            flink::FlinkService::open(engine.warehouse.root(), &flink_cfg).map_err(|source| {
                LocalDliError::Warehouse {
                    path: wh_path.display().to_string(),
                    source,
                }
            })?;
        Ok((engine, flink))
    })
    .await
    .map_err(|e| LocalDliError::Serve(format!("startup task failed: {e}")))??;

    let listener = tokio::net::TcpListener::bind(&cfg.listen)
        .await
        .map_err(|source| LocalDliError::Bind {
            addr: cfg.listen.clone(),
            source,
        })?;
    let addr = listener
        .local_addr()
        .map_err(|source| LocalDliError::Bind {
            addr: cfg.listen.clone(),
            source,
        })?;
    let credentials = cfg
        .auth_required
        .then_some((cfg.access_key.as_str(), cfg.secret_key.as_str()));
    let obs = obs::serve(&engine.warehouse.obs_root(), &cfg.obs_listen, credentials).await?;
    let obs_addr = obs.addr;
    let jobs = Arc::new(Jobs::default());
    let project_id = cfg.project_id.clone();
    let state = Arc::new(AppState {
        cfg,
        engine: Arc::new(engine),
        jobs: Arc::clone(&jobs),
        flink: Arc::new(flink),
        tokens: http::state::TokenStore::default(),
    });
    let (stop, server) = serve::until_stopped(listener, http::router(state));
    tracing::info!(%addr, project_id = %project_id, "local DLI service listening");
    Ok(LocalDli {
        addr,
        project_id,
        jobs,
        stop: Some(stop),
        server,
        obs: Some(obs),
        obs_addr,
    })
}

/// Runs the service until ctrl-c (the standalone subcommand).
pub async fn run_forever(cfg: LocalDliConfig) -> Result<(), LocalDliError> {
    let service = start(cfg).await?;
    println!(
        "local DLI service: endpoint {} project_id {} OBS (S3) endpoint {}",
        service.endpoint(),
        service.project_id(),
        service.obs_endpoint()
    );
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| LocalDliError::Serve(format!("cannot wait for ctrl-c: {e}")))?;
    service.shutdown().await;
    Ok(())
}
