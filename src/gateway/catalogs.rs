//! Which catalog answers a session.
//!
//! Owns: the choice between the gateway's own catalog and the catalog of a session's
//! DLI identity (`dli-passthrough` logins carry one, [`IdentityCatalogs`]), and which
//! catalogs forget what a DDL statement changed: all of them, since one identity's
//! `DROP TABLE` changes what every identity that could see the table sees.

use std::sync::Arc;

use super::catalog_hook::{CatalogContext, CatalogService, IdentityCatalogs, Touched};
use super::session::Session;
use crate::errors::GatewayError;

/// The gateway's catalog and its identities' catalogs.
#[derive(Default)]
pub struct Catalogs {
    pub shared: Option<Arc<dyn CatalogService>>,
    pub identities: Option<Arc<dyn IdentityCatalogs>>,
}

impl Catalogs {
    /// The catalog that answers `session` (none: the gateway answers no catalog query).
    pub fn of<'a>(&'a self, session: &'a Session) -> Option<&'a Arc<dyn CatalogService>> {
        session.catalog.as_ref().or(self.shared.as_ref())
    }

    /// [`Self::of`], for a statement that was planned as a catalog query.
    pub fn required<'a>(
        &'a self,
        session: &'a Session,
    ) -> Result<&'a Arc<dyn CatalogService>, GatewayError> {
        self.of(session).ok_or_else(|| {
            GatewayError::internal("a catalog statement was planned without a catalog")
        })
    }

    /// A DDL statement ran: every catalog drops what it may have changed (`ctx` is the
    /// session's, whose current database resolves the statement's names).
    pub async fn invalidate(&self, session: &Session, touched: &[Touched], ctx: &CatalogContext) {
        let mut all: Vec<Arc<dyn CatalogService>> = self.shared.iter().cloned().collect();
        all.extend(session.catalog.iter().cloned());
        if let Some(ids) = &self.identities {
            all.extend(ids.kept());
        }
        let mut done: Vec<&Arc<dyn CatalogService>> = Vec::new();
        for c in &all {
            if done.iter().any(|d| Arc::ptr_eq(d, c)) {
                continue;
            }
            c.invalidate(touched, ctx).await;
            done.push(c);
        }
    }
}
