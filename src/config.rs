//! Configuration: the TOML file, environment overrides and validation.
//!
//! Owns: the top-level [`Config`], which only aggregates the sections each component owns
//! (`[server]` and `[runner]`: [`crate::gateway::config`]; `[cluster]`: [`crate::gateway::cluster`]; `[dli]`: [`crate::dli`];
//! `[local]`: [`crate::localdli`]; `[catalog]`: [`crate::catalog`]; `[metrics]`: [`crate::metrics`]), loading from a file,
//! overriding any key from `DLIGW__SECTION__KEY` environment variables, calling each
//! section's `validate()` plus the checks that span sections, and clear error messages for
//! bad input. It never panics and never prints secrets.

use std::path::Path;

use serde::Deserialize;

use crate::catalog::CatalogConfig;
use crate::catalog::flink::FlinkConfig;
use crate::dli::DliClientConfig;
use crate::gateway::cluster::ClusterConfig;
use crate::gateway::config::{RunnerConfig, ServerConfig};
use crate::localdli::LocalDliConfig;
use crate::metrics::http::MetricsConfig;
use crate::results::ResultsConfig;

/// Prefix of environment overrides: `DLIGW__DLI__PROJECT_ID=…` sets `[dli] project_id`.
pub const ENV_PREFIX: &str = "DLIGW__";

/// The whole gateway configuration. Every field has a default: no file at all runs the
/// gateway on the embedded local DLI service.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub runner: RunnerConfig,
    pub dli: DliClientConfig,
    pub local: LocalDliConfig,
    /// `[catalog]`: pg_catalog / information_schema answered from cached DLI metadata.
    pub catalog: CatalogConfig,
    /// `[results]`: complete results beyond the preview, from object storage.
    pub results: ResultsConfig,
    /// `[metrics]`: the Prometheus endpoint (off unless `listen` is set).
    pub metrics: MetricsConfig,
    /// `[flink]`: the `dli_flink` schema over DLI's Flink job APIs.
    pub flink: FlinkConfig,
    /// `[cluster]`: several replicas on one DLI project (off unless `secret` is set).
    pub cluster: ClusterConfig,
}

/// A configuration problem, with a message meant for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "configuration error: {}", self.0)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Load from an optional TOML file, then apply environment overrides, then validate.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let text = match path {
            Some(p) => std::fs::read_to_string(p)
                .map_err(|e| ConfigError(format!("cannot read {}: {e}", p.display())))?,
            None => String::new(),
        };
        let env: Vec<(String, String)> = std::env::vars().collect();
        Self::from_toml_and_env(&text, &env)
    }

    /// Parse TOML text, apply `DLIGW__…` overrides from `env`, validate.
    pub fn from_toml_and_env(text: &str, env: &[(String, String)]) -> Result<Config, ConfigError> {
        let mut doc: toml::Table =
            toml::from_str(text).map_err(|e| ConfigError(format!("invalid TOML: {e}")))?;
        for (key, value) in env {
            if let Some(path) = key.strip_prefix(ENV_PREFIX) {
                apply_override(&mut doc, path, value)?;
            }
        }
        let cfg: Config = toml::Value::Table(doc)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError(e.message().to_string()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// True when no DLI endpoint is configured: the embedded local service is used.
    pub fn is_embedded(&self) -> bool {
        self.dli.endpoint.trim().is_empty()
    }

    /// Each section checks itself; then the checks that span sections.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.server.validate().map_err(ConfigError)?;
        self.runner.validate().map_err(ConfigError)?;
        self.catalog.validate().map_err(ConfigError)?;
        self.results.validate().map_err(ConfigError)?;
        self.metrics.validate().map_err(ConfigError)?;
        self.flink.validate().map_err(ConfigError)?;
        self.cluster.validate().map_err(ConfigError)?;
        if self.cluster.enabled() && !self.cluster.peers.is_empty() && !self.metrics.enabled() {
            return Err(ConfigError(
                "[cluster] peers are probed on their health endpoint: set [metrics] listen on every replica".into(),
            ));
        }
        if self.is_embedded() {
            self.local.validate().map_err(ConfigError)?;
        } else {
            self.dli.validate().map_err(ConfigError)?;
        }
        Ok(())
    }
}

/// Set `a__b__c` (case-insensitive path) in the TOML document. The value is read as a
/// TOML value when it parses as one (numbers, booleans, arrays), else as a string.
fn apply_override(doc: &mut toml::Table, path: &str, value: &str) -> Result<(), ConfigError> {
    let keys: Vec<String> = path.split("__").map(|k| k.to_ascii_lowercase()).collect();
    let Some((last, parents)) = keys.split_last() else {
        return Err(ConfigError(format!(
            "empty override key {ENV_PREFIX}{path}"
        )));
    };
    let mut table = doc;
    for k in parents {
        let entry = table
            .entry(k.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        table = entry
            .as_table_mut()
            .ok_or_else(|| ConfigError(format!("{ENV_PREFIX}{path}: `{k}` is not a section")))?;
    }
    let parsed = toml::from_str::<toml::Table>(&format!("v = {value}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(value.to_string()));
    table.insert(last.clone(), parsed);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn empty_config_is_the_embedded_default() {
        let cfg = Config::from_toml_and_env("", &[]).unwrap();
        assert!(cfg.is_embedded());
        assert_eq!(cfg.server.listen, "127.0.0.1:15432");
        assert_eq!(cfg.server.users[0].name, "dli");
    }

    #[test]
    fn env_overrides_win() {
        let cfg = Config::from_toml_and_env(
            "[server]\nlisten = \"127.0.0.1:1\"\n",
            &env(&[
                ("DLIGW__SERVER__LISTEN", "0.0.0.0:6543"),
                ("DLIGW__RUNNER__POLL_MAX_MS", "900"),
                ("DLIGW__LOCAL__JOB_DELAY_MS", "5"),
                ("UNRELATED", "x"),
            ]),
        )
        .unwrap();
        assert_eq!(cfg.server.listen, "0.0.0.0:6543");
        assert_eq!(cfg.runner.poll_max_ms, 900);
        assert_eq!(cfg.local.job_delay_ms, 5);
    }

    #[test]
    fn bad_config_gives_clear_messages() {
        let e = Config::from_toml_and_env("[server]\nlisten = \"nope\"\n", &[]).unwrap_err();
        assert!(e.0.contains("listen"), "{e}");
        let e = Config::from_toml_and_env("[server]\nlisen = 1\n", &[]).unwrap_err();
        assert!(e.0.contains("lisen"), "{e}");
        let e = Config::from_toml_and_env("[runner]\npoll_multiplier = 0.5\n", &[]).unwrap_err();
        assert!(e.0.contains("poll_multiplier"), "{e}");
        let e = Config::from_toml_and_env("not toml [", &[]).unwrap_err();
        assert!(e.0.contains("invalid TOML"), "{e}");
    }
}
