//! The gateway's configuration sections: `[server]` (listener, logins, TLS, throttle,
//! passthrough) and `[runner]` (how statements become DLI jobs).
//!
//! Owns: the section structs (also `[server.passthrough]`, whose settings
//! [`super::passthrough`] reads), their defaults and their `validate()` checks (messages
//! name the key). The sub-sections `[server.tls]` and `[server.throttle]` are owned by
//! [`super::tls`] and [`super::throttle`]. Imports no other gateway module but those two
//! leaves, so every component can read its settings from here. Must not read files or the
//! environment (that is [`crate::config`]'s job) and never prints a password.

use serde::Deserialize;

use super::throttle::ThrottleConfig;
use super::tls::TlsConfig;

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
    /// Sessions served at once. A login past it waits `connection_wait_ms` for a free
    /// slot, then gets FATAL 53300 (a CancelRequest is always served).
    pub max_connections: usize,
    /// How long a login over `max_connections` waits for a free slot; 0 = refused at once.
    pub connection_wait_ms: u64,
    /// A session idle (between statements) this long is closed with FATAL 57P05, as
    /// Postgres' `idle_session_timeout` (also `SET idle_session_timeout`); 0 = never.
    pub idle_session_timeout_ms: u64,
    /// On SIGTERM / Ctrl-C: how long running statements may go on before their DLI jobs
    /// are cancelled and their sessions closed with FATAL 57P01.
    pub shutdown_grace_ms: u64,
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
    /// Every `[server]` check: listen address, TLS and authentication, users, limits.
    pub fn validate(&self) -> Result<(), String> {
        self.listen
            .parse::<std::net::SocketAddr>()
            .map_err(|_| format!("[server] listen = {:?} is not host:port", self.listen))?;
        self.validate_security()?;
        self.tls.validate()?;
        let needs_users = !matches!(
            self.auth_method,
            AuthMethod::Trust | AuthMethod::DliPassthrough
        );
        if needs_users && self.users.is_empty() {
            return Err("[server] users is empty: nobody could log in".into());
        }
        if self.users.iter().any(|u| u.name.is_empty()) {
            return Err("[server] users: a user has an empty name".into());
        }
        if self.max_connections == 0 {
            return Err("[server] max_connections must be at least 1".into());
        }
        Ok(())
    }

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
            connection_wait_ms: 0,
            idle_session_timeout_ms: 0,
            shutdown_grace_ms: 30_000,
            server_version: "15.0".to_string(),
            tls: TlsConfig::default(),
            throttle: ThrottleConfig::default(),
            passthrough: PassthroughConfig::default(),
        }
    }
}

/// Which polling schedule `[runner]` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PollScheduleKind {
    /// Wait `poll_initial_ms + poll_fraction × elapsed` between status calls.
    Proportional,
    /// The former exponential backoff (`poll_initial_ms × poll_multiplier^n`, capped).
    Backoff,
}

/// The `[runner]` section: how statements become DLI jobs.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunnerConfig {
    /// `proportional` (default) or `backoff` (the former schedule, for comparison).
    pub poll_schedule: PollScheduleKind,
    /// First and shortest wait between two status polls.
    pub poll_initial_ms: u64,
    /// Longest wait between two status polls.
    pub poll_max_ms: u64,
    /// `proportional`: the wait grows by this fraction of the time the job has run.
    pub poll_fraction: f64,
    /// `backoff`: growth factor of the wait after each poll.
    pub poll_multiplier: f64,
    /// Status, list and progress calls per second for the whole gateway (bursts of as
    /// many); keep it under DLI's flow control for the account.
    pub status_calls_per_second: u32,
    /// With at least this many jobs waiting at once, one shared poller lists the
    /// gateway's jobs (a call per 100 jobs) instead of asking for each job's status.
    pub batch_poll_min_jobs: usize,
    /// Send NOTICEs about a waiting statement's DLI job (sessions change it with
    /// `SET dli.progress_notices`).
    pub progress_notices: bool,
    /// A statement's first progress NOTICE comes after this long, then one this often
    /// and one at each state change of its job.
    pub progress_interval_ms: u64,
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
    /// A result larger than what the gateway can read (DLI's preview) is sent truncated
    /// with a WARNING instead of failing; sessions change it with
    /// `SET dli.allow_truncated_results`.
    pub allow_truncated_results: bool,
    /// Sessions start with `standard_conforming_strings` on (Postgres' default: `'…'`
    /// reads backslashes literally); off makes plain literals read backslash escapes.
    pub standard_conforming_strings: bool,
    /// The Spark session time zone of the DLI queue (an IANA name such as
    /// `Asia/Shanghai`). When set, `now()`, `current_timestamp`, `current_date` and
    /// `current_timezone()` in a constant query are answered by the gateway, as DLI
    /// would answer them, without a job; unset, they run on DLI. Embedded mode sets it to
    /// the embedded service's zone (UTC).
    pub spark_time_zone: Option<String>,
    /// A read-only query identical to one already running (same Spark text, database,
    /// queue, conf and DLI identity) waits for that job instead of submitting another.
    pub share_jobs: bool,
    /// Sessions reuse the result of an identical query finished at most this long ago
    /// (0: off; sessions change it with `SET dli.result_reuse_max_age`).
    pub result_reuse_max_age_ms: u64,
    /// A query check-sql passed is submitted without asking again for this long (same
    /// database and Spark text; DDL run by the gateway forgets every pass; 0: always ask).
    pub check_sql_memo_ms: u64,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        Self {
            poll_schedule: PollScheduleKind::Proportional,
            poll_initial_ms: 5,
            poll_max_ms: 60_000,
            poll_fraction: 0.04,
            poll_multiplier: 1.6,
            status_calls_per_second: 50,
            batch_poll_min_jobs: 8,
            progress_notices: true,
            progress_interval_ms: 10_000,
            statement_timeout_ms: 0,
            default_database: "default".to_string(),
            preview_rows: 1000,
            job_conf: Vec::new(),
            heartbeat_ms: 1000,
            allow_truncated_results: false,
            standard_conforming_strings: true,
            spark_time_zone: None,
            share_jobs: true,
            result_reuse_max_age_ms: 0,
            check_sql_memo_ms: 600_000,
        }
    }
}

impl RunnerConfig {
    /// Every `[runner]` check: polling, budget, preview size, job conf items.
    pub fn validate(&self) -> Result<(), String> {
        if self.poll_initial_ms == 0 || self.poll_max_ms < self.poll_initial_ms {
            return Err("[runner] needs 0 < poll_initial_ms <= poll_max_ms".into());
        }
        if let Some(zone) = &self.spark_time_zone
            && super::clock::SparkClock::parse(zone).is_none()
        {
            return Err(format!(
                "[runner] spark_time_zone {zone:?} is not an IANA time zone (e.g. \"Asia/Shanghai\", \"UTC\")"
            ));
        }
        if !(1.0..=10.0).contains(&self.poll_multiplier) {
            return Err("[runner] poll_multiplier must be within 1.0..=10.0".into());
        }
        if !(0.0..=1.0).contains(&self.poll_fraction) {
            return Err("[runner] poll_fraction must be within 0.0..=1.0".into());
        }
        if self.status_calls_per_second == 0 {
            return Err("[runner] status_calls_per_second must be at least 1".into());
        }
        if self.batch_poll_min_jobs == 0 {
            return Err("[runner] batch_poll_min_jobs must be at least 1".into());
        }
        if self.progress_interval_ms == 0 {
            return Err("[runner] progress_interval_ms must be at least 1".into());
        }
        if !(1..=1000).contains(&self.preview_rows) {
            return Err("[runner] preview_rows must be within 1..=1000".into());
        }
        if let Some(bad) = self.job_conf.iter().find(|c| !c.contains('=')) {
            return Err(format!("[runner] job_conf item {bad:?} is not key=value"));
        }
        Ok(())
    }
}

/// The `[server.passthrough]` section (used with `auth_method = "dli-passthrough"`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct PassthroughConfig {
    /// IAM account (domain) of users who log in without `@domain`; empty = `[dli.auth]
    /// domain_name`.
    pub domain_name: String,
    /// Accept `ak:<AK>:<SK>` passwords.
    pub allow_aksk: bool,
    /// How long verified credentials are reused without asking DLI/IAM again.
    pub cache_ttl_secs: u64,
    /// Most verified credentials cached at once.
    pub cache_max_entries: usize,
    /// Give up verifying (and refuse the login with 08006) after this long.
    pub verify_timeout_secs: u64,
}

impl Default for PassthroughConfig {
    fn default() -> Self {
        Self {
            domain_name: String::new(),
            allow_aksk: true,
            cache_ttl_secs: 300,
            cache_max_entries: 1000,
            verify_timeout_secs: 20,
        }
    }
}

impl PassthroughConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.cache_max_entries == 0 {
            return Err("[server.passthrough] cache_max_entries must be at least 1".into());
        }
        if !(1..=50).contains(&self.verify_timeout_secs) {
            return Err("[server.passthrough] verify_timeout_secs must be within 1..=50".into());
        }
        Ok(())
    }
}
