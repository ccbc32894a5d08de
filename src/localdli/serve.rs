//! Serving an axum app on a listener until told to stop (the DLI API and the S3 endpoint).

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Serve `app` on `listener` until the returned sender fires (or is dropped).
pub(crate) fn until_stopped(
    listener: tokio::net::TcpListener,
    app: axum::Router,
) -> (oneshot::Sender<()>, JoinHandle<Result<(), std::io::Error>>) {
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
    });
    (stop, server)
}
