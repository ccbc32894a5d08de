//! The `[local]` section of the gateway configuration: how the embedded DLI-compatible
//! service listens, where its warehouse lives, the demo data, and the credentials it
//! accepts. Owns only the data and its validation; secrets are redacted from `Debug`.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

use super::grants::LocalUser;

/// Rows a job preview returns at most (DLI's documented limit).
pub const PREVIEW_LIMIT: usize = 1000;

/// Settings of the embedded service.
#[derive(Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LocalDliConfig {
    /// Listen address; port 0 picks an ephemeral port.
    pub listen: String,
    /// Directory holding databases, tables, results and exports (created if missing).
    pub warehouse: PathBuf,
    /// The only project id the service answers to.
    pub project_id: String,
    /// Artificial delay, in milliseconds, added to every asynchronous job while RUNNING.
    pub job_delay_ms: u64,
    /// A finished job's result expires this long after the job ended: its preview then
    /// answers DLI.0100 "The result expires." (0: results never expire).
    pub result_ttl_ms: u64,
    /// Create the `tpch` demo database on first start.
    pub demo: bool,
    /// TPC-H scale factor of the demo data (0.01 → lineitem ≈ 60k rows).
    pub demo_scale_factor: f64,
    /// IAM password identity accepted by `POST /v3/auth/tokens`.
    pub iam_domain: String,
    pub iam_user: String,
    pub iam_password: String,
    /// AK/SK pair accepted for "SDK-HMAC-SHA256" signed requests.
    pub access_key: String,
    pub secret_key: String,
    /// Other IAM users of the account, each granted some databases only
    /// (`[[local.users]]`, see [`super::grants`]).
    pub users: Vec<LocalUser>,
    /// Lifetime of issued tokens.
    pub token_ttl_secs: u64,
    /// When false, DLI calls are served without any authentication.
    pub auth_required: bool,
    /// Listen address of the S3-compatible endpoint over the OBS emulation folder
    /// (`<warehouse>/.obs`, one sub-folder per bucket); port 0 picks an ephemeral port.
    pub obs_listen: String,
    /// true = like newer DLI: every FINISHED QUERY job also writes its full result as CSV
    /// to `obs://dli-job-results/jobs/<job_id>` and its status carries `result_path` and
    /// `result_format`. false (default) = like the API reference, whose status has neither.
    pub report_result_path: bool,
    /// Flink jobs: time of each transient step of the state machine (submitting,
    /// savepointing, canceling, restarting), in milliseconds.
    pub flink_step_ms: u64,
    /// Flink jobs: create the demo jobs when the registry is first created.
    pub flink_demo_jobs: bool,
    /// Flink jobs: the general-purpose queues Flink jobs may name (003 §6.1).
    pub flink_queues: Vec<String>,
    /// Flink batch stop answer (notes D12): "array" (the table, the current Chinese
    /// page; default) or "object" (003 §9.10's example).
    pub flink_stop_reply: String,
    /// Flink `is_success` spelling: "examples" (default: as each API's example, the
    /// string "true" except the Jar create/update and gen-graph booleans), "string" or
    /// "boolean" everywhere.
    pub flink_is_success: String,
    /// Fields an update (PUT) omits: "reset" to their documented defaults (default,
    /// the pessimistic reading of 003 §9.3/§9.5) or "keep" their values.
    pub flink_update_omitted: String,
    /// Flink job list shape: "004" (seed 004, newer; default) or "003" (adds
    /// `graph_editor_enabled` and `has_savepoint`, English message).
    pub flink_list_style: String,
}

impl Default for LocalDliConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:0".into(),
            warehouse: PathBuf::from("./warehouse"),
            project_id: "local-project".into(),
            job_delay_ms: 0,
            result_ttl_ms: 0,
            demo: true,
            demo_scale_factor: 0.01,
            iam_domain: "local".into(),
            iam_user: "dli".into(),
            iam_password: "dli-local-password".into(),
            access_key: "LOCALACCESSKEY".into(),
            secret_key: "LOCALSECRETKEY".into(),
            users: Vec::new(),
            token_ttl_secs: 86_400,
            auth_required: true,
            obs_listen: "127.0.0.1:0".into(),
            report_result_path: false,
            flink_step_ms: 200,
            flink_demo_jobs: true,
            flink_queues: vec!["flink_general".into()],
            flink_stop_reply: "array".into(),
            flink_is_success: "examples".into(),
            flink_update_omitted: "reset".into(),
            flink_list_style: "004".into(),
        }
    }
}

impl fmt::Debug for LocalDliConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalDliConfig")
            .field("listen", &self.listen)
            .field("warehouse", &self.warehouse)
            .field("project_id", &self.project_id)
            .field("job_delay_ms", &self.job_delay_ms)
            .field("result_ttl_ms", &self.result_ttl_ms)
            .field("demo", &self.demo)
            .field("demo_scale_factor", &self.demo_scale_factor)
            .field("iam_domain", &self.iam_domain)
            .field("iam_user", &self.iam_user)
            .field("iam_password", &"<redacted>")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field("users", &self.users)
            .field("token_ttl_secs", &self.token_ttl_secs)
            .field("auth_required", &self.auth_required)
            .field("obs_listen", &self.obs_listen)
            .field("report_result_path", &self.report_result_path)
            .field("flink_step_ms", &self.flink_step_ms)
            .field("flink_demo_jobs", &self.flink_demo_jobs)
            .field("flink_queues", &self.flink_queues)
            .field("flink_stop_reply", &self.flink_stop_reply)
            .field("flink_is_success", &self.flink_is_success)
            .field("flink_update_omitted", &self.flink_update_omitted)
            .field("flink_list_style", &self.flink_list_style)
            .finish()
    }
}

impl LocalDliConfig {
    /// Checks every field; the message names the offending key.
    pub fn validate(&self) -> Result<(), String> {
        self.listen.parse::<SocketAddr>().map_err(|e| {
            format!(
                "local.listen: '{}' is not an address like 127.0.0.1:0 ({e})",
                self.listen
            )
        })?;
        self.obs_listen.parse::<SocketAddr>().map_err(|e| {
            format!(
                "local.obs_listen: '{}' is not an address like 127.0.0.1:0 ({e})",
                self.obs_listen
            )
        })?;
        if self.warehouse.as_os_str().is_empty() {
            return Err("local.warehouse: must not be empty".into());
        }
        let pid_ok = !self.project_id.is_empty()
            && self.project_id.len() <= 64
            && self
                .project_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !pid_ok {
            return Err(format!(
                "local.project_id: '{}' must be 1-64 characters of letters, digits, '-' or '_'",
                self.project_id
            ));
        }
        if !(self.demo_scale_factor > 0.0 && self.demo_scale_factor <= 1.0) {
            return Err(format!(
                "local.demo_scale_factor: {} must be in (0, 1]",
                self.demo_scale_factor
            ));
        }
        if self.token_ttl_secs == 0 {
            return Err("local.token_ttl_secs: must be at least 1".into());
        }
        if self.job_delay_ms > 3_600_000 {
            return Err("local.job_delay_ms: must be at most 3600000 (one hour)".into());
        }
        self.validate_flink()?;
        if let Some(problem) = self.users.iter().find_map(|u| u.problem(&self.iam_user)) {
            return Err(problem);
        }
        if self.auth_required {
            for (key, value) in [
                ("local.iam_user", &self.iam_user),
                ("local.iam_password", &self.iam_password),
                ("local.access_key", &self.access_key),
                ("local.secret_key", &self.secret_key),
            ] {
                if value.is_empty() {
                    return Err(format!(
                        "{key}: must not be empty when auth_required = true"
                    ));
                }
            }
        }
        Ok(())
    }
}

impl LocalDliConfig {
    fn validate_flink(&self) -> Result<(), String> {
        if self.flink_step_ms > 3_600_000 {
            return Err("local.flink_step_ms: must be at most 3600000 (one hour)".into());
        }
        let choices: [(&str, &str, &[&str]); 4] = [
            (
                "flink_stop_reply",
                &self.flink_stop_reply,
                &["array", "object"],
            ),
            (
                "flink_is_success",
                &self.flink_is_success,
                &["examples", "string", "boolean"],
            ),
            (
                "flink_update_omitted",
                &self.flink_update_omitted,
                &["reset", "keep"],
            ),
            ("flink_list_style", &self.flink_list_style, &["004", "003"]),
        ];
        for (key, value, allowed) in choices {
            if !allowed.contains(&value) {
                return Err(format!(
                    "local.{key}: '{value}' must be one of {}",
                    allowed.join(", ")
                ));
            }
        }
        if let Some(q) = self
            .flink_queues
            .iter()
            .find(|q| q.is_empty() || q.len() > 128)
        {
            return Err(format!(
                "local.flink_queues: '{q}' must be 1-128 characters"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_debug_redacts() {
        let cfg = LocalDliConfig::default();
        assert!(cfg.validate().is_ok());
        let dbg = format!("{cfg:?}");
        assert!(!dbg.contains("dli-local-password") && !dbg.contains("LOCALSECRETKEY"));
    }

    #[test]
    fn bad_values_are_named() {
        let cfg = LocalDliConfig {
            listen: "nowhere".into(),
            ..Default::default()
        };
        assert!(cfg.validate().unwrap_err().contains("local.listen"));
        let cfg = LocalDliConfig {
            project_id: "a/b".into(),
            ..Default::default()
        };
        assert!(cfg.validate().unwrap_err().contains("local.project_id"));
        let cfg = LocalDliConfig {
            demo_scale_factor: 0.0,
            ..Default::default()
        };
        assert!(cfg.validate().unwrap_err().contains("demo_scale_factor"));
        let cfg = LocalDliConfig {
            flink_stop_reply: "list".into(),
            ..Default::default()
        };
        assert!(
            cfg.validate()
                .unwrap_err()
                .contains("local.flink_stop_reply")
        );
    }
}
