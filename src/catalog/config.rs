//! The `[catalog]` configuration section: the metadata cache and the Postgres names the
//! catalog emulation reports.
//!
//! Owns: [`CatalogConfig`] with its defaults and validation. Must not read files or the
//! environment itself (that is [`crate::config`]'s job).

use serde::Deserialize;

/// `[catalog]`: how the gateway answers pg_catalog / information_schema queries.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CatalogConfig {
    /// Answer catalog queries locally (false = send everything to DLI, as before).
    pub enabled: bool,
    /// Seconds a metadata snapshot is used before the next catalog query reloads it.
    pub ttl_secs: u64,
    /// After a failed reload with a snapshot in hand, keep serving it (stale) for this
    /// many seconds before trying DLI again.
    pub error_retry_secs: u64,
    /// Describe calls (§7.2.4, one per table: the table list has no columns) run at once,
    /// across all databases.
    pub describe_concurrency: usize,
    /// Load a database's columns the first time a query needs them (true), or describe
    /// every table at every load (false).
    pub lazy_columns: bool,
    /// The one Postgres database every connection sees (`pg_database`,
    /// `current_database()` in catalog queries). Any name is accepted at login.
    pub database_name: String,
    /// Load the metadata when the gateway starts instead of on the first catalog query.
    pub preload: bool,
    /// Megabytes of catalog answers (rows and Describe results) kept for the current
    /// metadata snapshot and reused for the same statement in the same session context
    /// (0: compute every answer).
    pub answer_cache_mb: usize,
    /// `dli-passthrough`: identities whose own catalog (their own metadata, read with
    /// their own credentials) is kept at once; the least recently used goes first.
    pub identities_max: usize,
    /// `dli-passthrough`: `answer_cache_mb` of each identity's catalog.
    pub identity_answer_cache_mb: usize,
}

impl Default for CatalogConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            ttl_secs: 300,
            error_retry_secs: 30,
            describe_concurrency: 8,
            lazy_columns: true,
            database_name: "dli".to_string(),
            preload: false,
            answer_cache_mb: 64,
            identities_max: 64,
            identity_answer_cache_mb: 4,
        }
    }
}

impl CatalogConfig {
    /// A message naming the bad key, or `Ok`.
    pub fn validate(&self) -> Result<(), String> {
        if self.describe_concurrency == 0 || self.describe_concurrency > 64 {
            return Err("[catalog] describe_concurrency must be between 1 and 64".into());
        }
        if self.database_name.trim().is_empty() {
            return Err("[catalog] database_name must not be empty".into());
        }
        if self.identities_max == 0 {
            return Err("[catalog] identities_max must be at least 1".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_values_are_named() {
        assert!(CatalogConfig::default().validate().is_ok());
        let bad = CatalogConfig {
            describe_concurrency: 0,
            ..CatalogConfig::default()
        };
        assert!(bad.validate().unwrap_err().contains("describe_concurrency"));
    }
}
