//! The session behind a pgwire connection.
//!
//! Owns: opening a connection's [`Session`] on first use from what pgwire knows of the
//! client (startup parameters, the DLI backend its login carried) and keeping it in the
//! connection's extensions. Shared by the simple and the extended query handlers.

use std::sync::Arc;

use pgwire::api::ClientInfo;

use super::router::{Login, Router};
use super::session::{Session, SessionBackend};

/// The session of this connection, opened on first use from what the client said at
/// startup (and the DLI backend its login carried, if any).
pub fn session<C: ClientInfo>(router: &Router, client: &C) -> Arc<Session> {
    let extensions = client.session_extensions();
    if let Some(session) = extensions.get::<Session>() {
        return session;
    }
    // Read before `get_or_insert_with`, which holds the extensions' write lock.
    let own = extensions.get::<SessionBackend>();
    let backend = own.as_ref().map(|b| b.jobs.clone());
    let catalog = own.and_then(|b| b.catalog.clone());
    let meta = client.metadata();
    let (pid, secret) = client.pid_and_secret_key();
    let cancel_key = Some(super::cancel::cancel_key(pid, &secret));
    extensions.get_or_insert_with(|| {
        router.open_session(Login {
            user: meta.get("user").cloned(),
            database: meta.get("database").cloned(),
            params: meta.clone(),
            backend,
            catalog,
            cancel_key,
        })
    })
}
