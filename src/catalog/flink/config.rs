//! The `[flink]` configuration section: the gateway-owned schema that exposes DLI's
//! Flink jobs to SQL clients.
//!
//! Owns: [`FlinkConfig`] with its defaults and validation. Must not read files or the
//! environment itself (that is [`crate::config`]'s job).

use serde::Deserialize;

/// `[flink]`: the `dli_flink` schema (views and functions over DLI's Flink job APIs).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FlinkConfig {
    /// Expose the schema at all.
    pub enabled: bool,
    /// Its name. A DLI database of the same name is hidden behind it.
    pub schema: String,
    /// `false`: run/stop/delete/create/update are refused (25006).
    pub allow_control: bool,
    /// Rows per list request (DLI's maximum is 100).
    pub list_page_size: u32,
    /// A listing stops here, with a warning naming the total.
    pub max_list_rows: usize,
    /// Longest `wait_ms` a control function may ask for.
    pub max_wait_ms: u64,
}

impl Default for FlinkConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            schema: "dli_flink".to_string(),
            allow_control: true,
            list_page_size: 100,
            max_list_rows: 10_000,
            max_wait_ms: 600_000,
        }
    }
}

impl FlinkConfig {
    /// A message naming the bad key, or `Ok`.
    pub fn validate(&self) -> Result<(), String> {
        let s = &self.schema;
        if s.is_empty()
            || s.starts_with("pg_")
            || s == "information_schema"
            || !s
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(
                "[flink] schema must be a lower-case identifier other than pg_* and information_schema"
                    .into(),
            );
        }
        if self.list_page_size == 0 || self.list_page_size > 100 {
            return Err("[flink] list_page_size must be between 1 and 100".into());
        }
        if self.max_list_rows == 0 {
            return Err("[flink] max_list_rows must be positive".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_values_are_named() {
        assert!(FlinkConfig::default().validate().is_ok());
        for bad in ["", "pg_flink", "Flink", "a-b", "information_schema"] {
            let cfg = FlinkConfig {
                schema: bad.into(),
                ..FlinkConfig::default()
            };
            assert!(cfg.validate().unwrap_err().contains("schema"), "{bad}");
        }
        let cfg = FlinkConfig {
            list_page_size: 101,
            ..FlinkConfig::default()
        };
        assert!(cfg.validate().unwrap_err().contains("list_page_size"));
    }
}
