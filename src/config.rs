//! Configuration: the TOML file, environment overrides and validation.
//!
//! Owns: the top-level [`Config`] with its `[server]` and `[runner]` sections (the `[dli]`
//! and `[local]` sections belong to [`crate::dli`] and [`crate::localdli`]), loading from
//! a file, overriding any key from `DLIGW__SECTION__KEY` environment variables, and
//! clear error messages for bad input. It never panics and never prints secrets.

use std::path::Path;

use serde::Deserialize;

use crate::catalog::CatalogConfig;
use crate::dli::DliClientConfig;
use crate::gateway::passthrough::PassthroughConfig;
use crate::gateway::throttle::ThrottleConfig;
use crate::gateway::tls::TlsConfig;
use crate::localdli::LocalDliConfig;

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
}

/// How Postgres clients log in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMethod {
    /// SCRAM-SHA-256 (what psql and every modern driver use).
    #[serde(rename = "scram-sha-256", alias = "scram-sha256")]
    ScramSha256,
    /// MD5 challenge (old drivers).
    Md5,
    /// Cleartext password (use only over TLS).
    Password,
    /// No password at all (local experiments only).
    Trust,
    /// The password carries the user's own DLI credentials (IAM password or
    /// `ak:<AK>:<SK>`), verified with DLI; the session runs as that user. TLS only.
    DliPassthrough,
}

/// A Postgres login accepted by the gateway.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    pub name: String,
    pub password: String,
}

impl std::fmt::Debug for UserConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserConfig")
            .field("name", &self.name)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// The `[server]` section: the Postgres side.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address the Postgres listener binds.
    pub listen: String,
    pub auth_method: AuthMethod,
    /// Accepted logins. Default: one user `dli` with password `dli`.
    pub users: Vec<UserConfig>,
    /// Connections served at once; more wait for a free slot.
    pub max_connections: usize,
    /// Reported as `server_version` and in `version()`.
    pub server_version: String,
    /// `[server.tls]`: certificate, key, and whether TLS is optional or required.
    pub tls: TlsConfig,
    /// `[server.throttle]`: delays after consecutive failed logins.
    pub throttle: ThrottleConfig,
    /// `[server.passthrough]`: settings of `auth_method = "dli-passthrough"`.
    pub passthrough: PassthroughConfig,
}

impl ServerConfig {
    /// Checks the TLS / authentication settings that need no files (the certificate and
    /// key are loaded by [`TlsConfig::validate`]).
    pub fn validate_security(&self) -> Result<(), String> {
        if self.auth_method == AuthMethod::DliPassthrough && !self.tls.enabled() {
            return Err(
                "[server] auth_method = \"dli-passthrough\" sends DLI credentials and \
                 needs [server.tls] mode = \"optional\" or \"required\" (plaintext logins \
                 are refused either way)"
                    .into(),
            );
        }
        self.throttle.validate()?;
        self.passthrough.validate()
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:15432".to_string(),
            auth_method: AuthMethod::ScramSha256,
            users: vec![UserConfig {
                name: "dli".to_string(),
                password: "dli".to_string(),
            }],
            max_connections: 256,
            server_version: "15.0".to_string(),
            tls: TlsConfig::default(),
            throttle: ThrottleConfig::default(),
            passthrough: PassthroughConfig::default(),
        }
    }
}

/// The `[runner]` section: how statements become DLI jobs.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunnerConfig {
    /// First wait between two status polls.
    pub poll_initial_ms: u64,
    /// Longest wait between two status polls.
    pub poll_max_ms: u64,
    /// Growth factor of the wait after each poll.
    pub poll_multiplier: f64,
    /// Give up (and cancel the job) after this long; 0 = no limit.
    pub statement_timeout_ms: u64,
    /// Database used when a session has not chosen one.
    pub default_database: String,
    /// Rows asked from `preview` (DLI's maximum is 1000).
    pub preview_rows: u32,
    /// Extra `conf` items (`key=value`) sent with every job.
    pub job_conf: Vec<String>,
    /// While a statement runs, check this often that the client is still connected;
    /// a client that went away has its DLI job cancelled.
    pub heartbeat_ms: u64,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        Self {
            poll_initial_ms: 50,
            poll_max_ms: 2000,
            poll_multiplier: 1.6,
            statement_timeout_ms: 0,
            default_database: "default".to_string(),
            preview_rows: 1000,
            job_conf: Vec::new(),
            heartbeat_ms: 1000,
        }
    }
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

    pub fn validate(&self) -> Result<(), ConfigError> {
        let s = &self.server;
        s.listen.parse::<std::net::SocketAddr>().map_err(|_| {
            ConfigError(format!("[server] listen = {:?} is not host:port", s.listen))
        })?;
        s.validate_security().map_err(ConfigError)?;
        s.tls.validate().map_err(ConfigError)?;
        let needs_users = !matches!(
            s.auth_method,
            AuthMethod::Trust | AuthMethod::DliPassthrough
        );
        if needs_users && s.users.is_empty() {
            return Err(ConfigError(
                "[server] users is empty: nobody could log in".into(),
            ));
        }
        if s.users.iter().any(|u| u.name.is_empty()) {
            return Err(ConfigError(
                "[server] users: a user has an empty name".into(),
            ));
        }
        if s.max_connections == 0 {
            return Err(ConfigError(
                "[server] max_connections must be at least 1".into(),
            ));
        }
        let r = &self.runner;
        if r.poll_initial_ms == 0 || r.poll_max_ms < r.poll_initial_ms {
            return Err(ConfigError(
                "[runner] needs 0 < poll_initial_ms <= poll_max_ms".into(),
            ));
        }
        if !(1.0..=10.0).contains(&r.poll_multiplier) {
            return Err(ConfigError(
                "[runner] poll_multiplier must be within 1.0..=10.0".into(),
            ));
        }
        if !(1..=1000).contains(&r.preview_rows) {
            return Err(ConfigError(
                "[runner] preview_rows must be within 1..=1000".into(),
            ));
        }
        if let Some(bad) = r.job_conf.iter().find(|c| !c.contains('=')) {
            return Err(ConfigError(format!(
                "[runner] job_conf item {bad:?} is not key=value"
            )));
        }
        self.catalog.validate().map_err(ConfigError)?;
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
