//! The `[dli]` section of the gateway configuration: where DLI lives, how to
//! authenticate, and the timeout/retry knobs of the REST client.
//!
//! Owns only the data and its validation; it never opens a connection. Secrets
//! (password, AK, SK, security token) are redacted from `Debug` output.

use std::fmt;

use serde::Deserialize;

/// How the client authenticates to DLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// IAM user token (`POST /v3/auth/tokens`), sent as `X-Auth-Token`.
    #[default]
    Token,
    /// Every request signed with AK/SK ("SDK-HMAC-SHA256").
    Aksk,
    /// No authentication headers (embedded service, tests).
    None,
}

/// How the IAM token request names the project (`auth.scope.project`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProjectScope {
    /// `{"name": …}`, as both of the reference's token request examples.
    #[default]
    Name,
    /// `{"id": …}` (IAM accepts either).
    Id,
}

/// Authentication settings (`[dli.auth]`).
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct DliAuthConfig {
    pub mode: AuthMode,
    /// IAM endpoint, e.g. `https://iam.cn-north-4.myhuaweicloud.com`; empty means
    /// the DLI endpoint itself (what the embedded service expects).
    pub iam_endpoint: String,
    pub domain_name: String,
    pub user_name: String,
    pub password: String,
    pub ak: String,
    pub sk: String,
    /// Temporary AK/SK session token, sent as `X-Security-Token`.
    pub security_token: Option<String>,
    /// Token mode: the project scope is sent as `scope.project.name` (default, the
    /// reference's shape) or `scope.project.id` (the project ID).
    pub project_scope: ProjectScope,
    /// The project's name for `project_scope = "name"` (IAM's project name, e.g.
    /// `cn-north-4`); empty sends `dli.project_id` as `scope.project.id` instead.
    pub project_name: String,
}

/// DLI REST client settings (`[dli]`).
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct DliClientConfig {
    /// e.g. `https://dli.cn-north-4.myhuaweicloud.com`.
    pub endpoint: String,
    pub project_id: String,
    pub region: String,
    /// Queue used when a submission names none.
    pub queue: String,
    pub auth: DliAuthConfig,
    pub request_timeout_secs: u64,
    pub connect_timeout_secs: u64,
    /// Retries of side-effect-free calls (reads, check-sql, cancel).
    pub max_read_retries: u32,
    pub retry_base_ms: u64,
    pub retry_max_ms: u64,
    /// Renew an IAM token this long before it expires.
    pub token_refresh_margin_secs: u64,
    /// After a submit-job whose answer was lost, how long to keep looking the job up by
    /// its request tag before giving up (it is never submitted a second time).
    pub submit_lookup_wait_ms: u64,
    /// Idle HTTP connections to DLI kept open for reuse (more are opened when more calls
    /// run at once, and closed when they are done).
    pub max_idle_connections: usize,
    /// Calls to DLI in flight at once (each holds a connection); more wait their turn.
    pub max_concurrent_calls: usize,
}

impl Default for DliClientConfig {
    fn default() -> Self {
        Self {
            endpoint: String::new(),
            project_id: String::new(),
            region: String::new(),
            queue: "default".to_owned(),
            auth: DliAuthConfig::default(),
            request_timeout_secs: 30,
            connect_timeout_secs: 10,
            max_read_retries: 4,
            retry_base_ms: 200,
            retry_max_ms: 5000,
            token_refresh_margin_secs: 3600,
            submit_lookup_wait_ms: 30_000,
            max_idle_connections: 32,
            max_concurrent_calls: 256,
        }
    }
}

fn redact(s: &str) -> &'static str {
    if s.is_empty() { "" } else { "<redacted>" }
}

impl fmt::Debug for DliAuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DliAuthConfig")
            .field("mode", &self.mode)
            .field("iam_endpoint", &self.iam_endpoint)
            .field("domain_name", &self.domain_name)
            .field("user_name", &self.user_name)
            .field("password", &redact(&self.password))
            .field("ak", &redact(&self.ak))
            .field("sk", &redact(&self.sk))
            .field(
                "security_token",
                &self.security_token.as_deref().map(redact),
            )
            .field("project_scope", &self.project_scope)
            .field("project_name", &self.project_name)
            .finish()
    }
}

impl fmt::Debug for DliClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DliClientConfig")
            .field("endpoint", &self.endpoint)
            .field("project_id", &self.project_id)
            .field("region", &self.region)
            .field("queue", &self.queue)
            .field("auth", &self.auth)
            .field("request_timeout_secs", &self.request_timeout_secs)
            .field("connect_timeout_secs", &self.connect_timeout_secs)
            .field("max_read_retries", &self.max_read_retries)
            .field("retry_base_ms", &self.retry_base_ms)
            .field("retry_max_ms", &self.retry_max_ms)
            .field("token_refresh_margin_secs", &self.token_refresh_margin_secs)
            .field("submit_lookup_wait_ms", &self.submit_lookup_wait_ms)
            .field("max_idle_connections", &self.max_idle_connections)
            .field("max_concurrent_calls", &self.max_concurrent_calls)
            .finish()
    }
}

fn check_url(field: &str, value: &str) -> Result<(), String> {
    let parsed =
        url::Url::parse(value).map_err(|e| format!("dli.{field} {value:?} is not a URL: {e}"))?;
    match parsed.scheme() {
        "http" | "https" => Ok(()),
        other => Err(format!("dli.{field} must use http or https, not {other:?}")),
    }
}

impl DliClientConfig {
    /// The IAM endpoint actually used: `auth.iam_endpoint`, or `endpoint` when empty.
    pub fn effective_iam_endpoint(&self) -> &str {
        if self.auth.iam_endpoint.trim().is_empty() {
            &self.endpoint
        } else {
            &self.auth.iam_endpoint
        }
    }

    /// The `auth.scope.project` object of the IAM token request.
    pub fn iam_project_scope(&self) -> (&'static str, &str) {
        match self.auth.project_scope {
            ProjectScope::Id => ("id", &self.project_id),
            // IAM matches a name against the project's name (e.g. `cn-north-4`), which is
            // not the ID: without a configured name, the ID is sent as an ID.
            ProjectScope::Name if self.auth.project_name.trim().is_empty() => {
                ("id", &self.project_id)
            }
            ProjectScope::Name => ("name", self.auth.project_name.trim()),
        }
    }

    /// Checks that the settings are usable; the message names the offending key.
    pub fn validate(&self) -> Result<(), String> {
        if self.endpoint.trim().is_empty() {
            return Err(
                "dli.endpoint is empty (e.g. https://dli.cn-north-4.myhuaweicloud.com)".into(),
            );
        }
        check_url("endpoint", &self.endpoint)?;
        if self.project_id.trim().is_empty() {
            return Err("dli.project_id is empty".into());
        }
        if self.request_timeout_secs == 0 {
            return Err("dli.request_timeout_secs must be greater than 0".into());
        }
        if self.connect_timeout_secs == 0 {
            return Err("dli.connect_timeout_secs must be greater than 0".into());
        }
        if self.max_concurrent_calls == 0 {
            return Err("dli.max_concurrent_calls must be greater than 0".into());
        }
        if self.retry_base_ms > self.retry_max_ms {
            return Err(format!(
                "dli.retry_base_ms ({}) must not exceed dli.retry_max_ms ({})",
                self.retry_base_ms, self.retry_max_ms
            ));
        }
        self.validate_auth()
    }

    fn validate_auth(&self) -> Result<(), String> {
        let a = &self.auth;
        match a.mode {
            AuthMode::None => Ok(()),
            AuthMode::Aksk => {
                if a.ak.trim().is_empty() || a.sk.trim().is_empty() {
                    Err("dli.auth.mode = \"aksk\" needs both dli.auth.ak and dli.auth.sk".into())
                } else {
                    Ok(())
                }
            }
            AuthMode::Token => {
                let missing: Vec<&str> = [
                    ("dli.auth.user_name", a.user_name.as_str()),
                    ("dli.auth.password", a.password.as_str()),
                    ("dli.auth.domain_name", a.domain_name.as_str()),
                ]
                .into_iter()
                .filter(|(_, v)| v.trim().is_empty())
                .map(|(k, _)| k)
                .collect();
                if !missing.is_empty() {
                    return Err(format!(
                        "dli.auth.mode = \"token\" needs {}",
                        missing.join(", ")
                    ));
                }
                check_url("auth.iam_endpoint", self.effective_iam_endpoint())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> DliClientConfig {
        DliClientConfig {
            endpoint: "https://dli.example.com".into(),
            project_id: "p1".into(),
            ..Default::default()
        }
    }

    #[test]
    fn defaults_and_toml_shape() {
        let cfg: DliClientConfig = serde_json::from_str(
            r#"{"endpoint":"http://x","project_id":"p","auth":{"mode":"aksk","ak":"A","sk":"S"}}"#,
        )
        .unwrap();
        assert_eq!(cfg.queue, "default");
        assert_eq!(cfg.max_read_retries, 4);
        assert_eq!(cfg.auth.mode, AuthMode::Aksk);
        assert!(cfg.validate().is_ok());
        let unknown = serde_json::from_str::<DliClientConfig>(r#"{"endpont":"x"}"#);
        assert!(unknown.is_err());
    }

    #[test]
    fn validate_messages() {
        let mut cfg = base();
        cfg.auth.mode = AuthMode::Aksk;
        cfg.auth.ak = "A".into();
        assert!(cfg.validate().unwrap_err().contains("dli.auth.sk"));
        cfg.auth.mode = AuthMode::Token;
        cfg.auth.user_name = "u".into();
        let err = cfg.validate().unwrap_err();
        assert!(
            err.contains("dli.auth.password") && err.contains("dli.auth.domain_name"),
            "{err}"
        );
        cfg.auth.mode = AuthMode::None;
        assert!(cfg.validate().is_ok());
        cfg.endpoint = "ftp://x".into();
        assert!(cfg.validate().unwrap_err().contains("http"));
    }

    #[test]
    fn debug_redacts_secrets() {
        let mut cfg = base();
        cfg.auth.password = "hunter2".into();
        cfg.auth.sk = "SECRETSK".into();
        cfg.auth.ak = "MYAK".into();
        cfg.auth.security_token = Some("STS".into());
        let dbg = format!("{cfg:?}");
        for secret in ["hunter2", "SECRETSK", "MYAK", "STS\""] {
            assert!(!dbg.contains(secret), "{dbg}");
        }
        assert!(dbg.contains("<redacted>"));
    }
}
