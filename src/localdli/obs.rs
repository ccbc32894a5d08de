//! The S3-compatible endpoint over the OBS emulation folder (`<warehouse>/.obs`, one
//! sub-folder per bucket), so clients read exports and result files with a real S3/OBS
//! client. Built with `s3s` (protocol, SigV4 verification) and `s3s-fs` (objects are
//! plain files: `<bucket>/<key>`). s3s-fs keeps optional sidecar metadata as hidden
//! files directly under the root (`.bucket-….metadata.json`), never inside a bucket,
//! so files the service writes itself list, head and get like any object.
//!
//! Owns: binding and serving that endpoint; the folder layout is [`super::warehouse`]'s.

use std::net::SocketAddr;
use std::path::Path;

use axum::Router;
use axum::error_handling::HandleError;
use axum::http::StatusCode;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::error::LocalDliError;

/// The bucket holding the `result_path` files of `report_result_path = true`.
pub const RESULTS_BUCKET: &str = "dli-job-results";

/// A running S3 endpoint.
#[derive(Debug)]
pub struct ObsEndpoint {
    pub addr: SocketAddr,
    pub stop: oneshot::Sender<()>,
    pub server: JoinHandle<Result<(), std::io::Error>>,
}

/// Serves `root` over S3 on `listen`. With `credentials`, every request must carry a valid
/// SigV4 signature of that access key (anything else is 403 AccessDenied).
pub async fn serve(
    root: &Path,
    listen: &str,
    credentials: Option<(&str, &str)>,
) -> Result<ObsEndpoint, LocalDliError> {
    std::fs::create_dir_all(root.join(RESULTS_BUCKET)).map_err(|source| {
        LocalDliError::Warehouse {
            path: root.display().to_string(),
            source,
        }
    })?;
    let fs = s3s_fs::FileSystem::new(root).map_err(|e| LocalDliError::Warehouse {
        path: root.display().to_string(),
        source: std::io::Error::other(format!("{e:?}")),
    })?;
    let mut builder = S3ServiceBuilder::new(fs);
    if let Some((ak, sk)) = credentials {
        builder.set_auth(SimpleAuth::from_single(ak, sk));
    }
    let s3 = HandleError::new(builder.build(), |e: s3s::HttpError| async move {
        tracing::warn!("local OBS endpoint: {e:?}");
        StatusCode::INTERNAL_SERVER_ERROR
    });
    let app = Router::new().fallback_service(s3);
    let bind_err = |source| LocalDliError::Bind {
        addr: listen.to_string(),
        source,
    };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(bind_err)?;
    let addr = listener.local_addr().map_err(bind_err)?;
    let (stop, server) = super::serve::until_stopped(listener, app);
    tracing::info!(%addr, "local OBS (S3) endpoint listening");
    Ok(ObsEndpoint { addr, stop, server })
}
