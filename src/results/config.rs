//! The `[results]` section: where complete results (beyond DLI's 1000-row preview) are
//! read from, and how. Owns only the data, its validation and secret redaction.

use std::fmt;

use serde::Deserialize;

/// How exported result files are compressed (export-result's `compress`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    #[default]
    None,
    Gzip,
    Deflate,
}

impl Compression {
    /// The value export-result expects.
    pub fn dli_name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Deflate => "deflate",
        }
    }
}

/// The object-storage protocol used for `obs://` locations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ObsProtocol {
    /// OBS's own API (OpenDAL's `obs` service, OBS signatures).
    #[default]
    Obs,
    /// OBS's S3-compatible API (OpenDAL's `s3` service, SigV4), also any S3 endpoint.
    S3,
}

/// `[results]`.
#[derive(Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ResultsConfig {
    /// OBS folder export-result writes into, `obs://bucket/folder`; each job gets its own
    /// sub-folder. Empty: a result larger than the preview can be read only when DLI
    /// reports its `result_path`.
    pub export_path: String,
    /// Compression requested from export-result.
    pub compress: Compression,
    /// Keep exported files after they have been read (default: delete them).
    pub keep_exported: bool,
    /// How a NULL appears in result CSV files. Spark writes NULL as an empty unquoted
    /// field and an empty string as `""` (checked with pyspark 3.5, README "Full
    /// results"); the reference does not say, hence a setting.
    pub csv_null: String,
    /// Protocol for `obs://` locations.
    pub protocol: ObsProtocol,
    /// Object-storage endpoint, e.g. `https://obs.ap-southeast-1.myhuaweicloud.com`.
    /// Empty in embedded mode: the embedded service's S3 endpoint.
    pub endpoint: String,
    /// Region (S3 signing). OBS ignores it.
    pub region: String,
    /// Credentials; empty = `[dli.auth]` ak/sk.
    pub access_key: String,
    pub secret_key: String,
    /// Rows per batch handed to the protocol layer.
    pub batch_rows: usize,
}

impl Default for ResultsConfig {
    fn default() -> Self {
        Self {
            export_path: String::new(),
            compress: Compression::None,
            keep_exported: false,
            csv_null: String::new(),
            protocol: ObsProtocol::Obs,
            endpoint: String::new(),
            region: "default".into(),
            access_key: String::new(),
            secret_key: String::new(),
            batch_rows: 1024,
        }
    }
}

impl fmt::Debug for ResultsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResultsConfig")
            .field("export_path", &self.export_path)
            .field("compress", &self.compress)
            .field("keep_exported", &self.keep_exported)
            .field("csv_null", &self.csv_null)
            .field("protocol", &self.protocol)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field("batch_rows", &self.batch_rows)
            .finish()
    }
}

impl ResultsConfig {
    pub fn validate(&self) -> Result<(), String> {
        let p = self.export_path.trim();
        if !p.is_empty() {
            let Some(rest) = p.strip_prefix("obs://") else {
                return Err(format!(
                    "results.export_path must be an OBS folder obs://bucket/folder (export-result writes only to OBS), got {p:?}"
                ));
            };
            if rest.split('/').next().unwrap_or_default().is_empty() {
                return Err("results.export_path names no bucket".into());
            }
            if p.contains(',') {
                return Err("results.export_path cannot contain commas (DLI refuses them)".into());
            }
        }
        if !(1..=65_536).contains(&self.batch_rows) {
            return Err("results.batch_rows must be between 1 and 65536".into());
        }
        if self.access_key.is_empty() != self.secret_key.is_empty() {
            return Err("results.access_key and results.secret_key go together".into());
        }
        Ok(())
    }

    /// Where the export of `job_id` goes.
    pub fn export_folder(&self, job_id: &str) -> Option<String> {
        let base = self.export_path.trim().trim_end_matches('/');
        (!base.is_empty()).then(|| format!("{base}/{job_id}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_path_must_be_obs() {
        let mut c = ResultsConfig::default();
        assert!(c.validate().is_ok());
        c.export_path = "s3://b/x".into();
        assert!(c.validate().unwrap_err().contains("obs://"));
        c.export_path = "obs:///x".into();
        assert!(c.validate().unwrap_err().contains("bucket"));
        c.export_path = "obs://b/x/".into();
        assert!(c.validate().is_ok());
        assert_eq!(c.export_folder("j1").as_deref(), Some("obs://b/x/j1"));
    }

    #[test]
    fn secret_is_redacted() {
        let c = ResultsConfig {
            secret_key: "TOPSECRET".into(),
            ..Default::default()
        };
        assert!(!format!("{c:?}").contains("TOPSECRET"));
    }
}
