//! A catalog per DLI identity, for `dli-passthrough` logins.
//!
//! Owns: the bounded map from an identity's key (the passthrough login's HMAC of its
//! credentials) to that identity's [`DliCatalog`], built over the identity's own DLI
//! client so that every list and describe call runs with its permissions; the least
//! recently used identity's catalog is dropped when `[catalog] identities_max` are kept
//! (its sessions keep their catalog until they close; the next login builds a new one).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::config::CatalogConfig;
use super::flink::FlinkConfig;
use super::service::DliCatalog;
use crate::dli::DliClient;
use crate::errors::GatewayError;
use crate::gateway::catalog_hook::{CatalogService, IdentityCatalogs};

type Key = [u8; 32];

/// The catalogs of the identities that logged in recently.
pub struct PerIdentity {
    cfg: CatalogConfig,
    flink: FlinkConfig,
    server_version: String,
    kept: Mutex<HashMap<Key, (Arc<DliCatalog>, Instant)>>,
}

impl PerIdentity {
    /// Catalogs configured as the gateway's own (`cfg`, `flink`), one per identity.
    pub fn new(cfg: &CatalogConfig, flink: &FlinkConfig, server_version: &str) -> Self {
        Self {
            cfg: CatalogConfig {
                answer_cache_mb: cfg.identity_answer_cache_mb,
                preload: false,
                ..cfg.clone()
            },
            flink: flink.clone(),
            server_version: server_version.to_string(),
            kept: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, (Arc<DliCatalog>, Instant)>> {
        self.kept.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl IdentityCatalogs for PerIdentity {
    fn catalog_for(
        &self,
        key: &Key,
        client: &DliClient,
    ) -> Result<Arc<dyn CatalogService>, GatewayError> {
        let now = Instant::now();
        if let Some((catalog, used)) = self.lock().get_mut(key) {
            *used = now;
            return Ok(catalog.clone());
        }
        // Built outside the lock (an engine takes milliseconds); a concurrent first
        // login of the same identity keeps whichever was stored first.
        let built =
            DliCatalog::with_flink(client.clone(), &self.cfg, &self.flink, &self.server_version)?;
        let mut kept = self.lock();
        if let Some((catalog, used)) = kept.get_mut(key) {
            *used = now;
            return Ok(catalog.clone());
        }
        if kept.len() >= self.cfg.identities_max
            && let Some(oldest) = kept
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| *k)
        {
            kept.remove(&oldest);
        }
        kept.insert(*key, (built.clone(), now));
        Ok(built)
    }

    fn kept(&self) -> Vec<Arc<dyn CatalogService>> {
        self.lock()
            .values()
            .map(|(c, _)| c.clone() as Arc<dyn CatalogService>)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dli::DliClientConfig;

    #[test]
    fn one_catalog_per_identity_and_at_most_identities_max() {
        let cfg = CatalogConfig {
            identities_max: 2,
            ..CatalogConfig::default()
        };
        let ids = PerIdentity::new(&cfg, &FlinkConfig::default(), "15.0");
        let mut dli = DliClientConfig {
            endpoint: "http://127.0.0.1:9".into(),
            project_id: "p".into(),
            ..DliClientConfig::default()
        };
        dli.auth.mode = crate::dli::AuthMode::None;
        let client = DliClient::new(dli).unwrap();
        let a1 = ids.catalog_for(&[1; 32], &client).unwrap();
        let a2 = ids.catalog_for(&[1; 32], &client).unwrap();
        assert!(Arc::ptr_eq(&a1, &a2));
        let b = ids.catalog_for(&[2; 32], &client).unwrap();
        assert!(!Arc::ptr_eq(&a1, &b));
        assert_eq!(ids.kept().len(), 2);
        // A third identity drops the least recently used (the first).
        ids.catalog_for(&[2; 32], &client).unwrap();
        ids.catalog_for(&[3; 32], &client).unwrap();
        assert_eq!(ids.kept().len(), 2);
        let a3 = ids.catalog_for(&[1; 32], &client).unwrap();
        assert!(!Arc::ptr_eq(&a1, &a3));
    }
}
