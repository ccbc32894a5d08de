//! DTOs for managing SQL jobs after submission: listing (§7.3.5), import/export
//! details (§7.3.8), result export (§7.3.10), and answers carrying only a
//! message. Parsed leniently (see [`super::lenient`]).

use serde::{Deserialize, Serialize};

use super::lenient;
use super::types::{JobStatus, JobTag};

/// export-result body (§7.3.10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct ExportResultRequest {
    /// OBS folder, e.g. `obs://bucket/path`.
    pub data_path: String,
    /// `csv` or `json`.
    pub data_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compress: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_name: Option<String>,
    /// `ErrorIfExists` or `Overwrite`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub with_column_header: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_num: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding_type: Option<String>,
}

/// Answer to export-result (and other "started an async job" answers).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(default)]
pub struct AsyncJobResponse {
    #[serde(deserialize_with = "lenient::opt_string")]
    pub job_id: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub job_mode: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub job_type: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub message: String,
}

/// Filters and paging of `GET /v1.0/{p}/jobs` (§7.3.5).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListJobsQuery {
    /// 1..=100 (DLI default 50).
    pub page_size: Option<u32>,
    pub current_page: Option<u32>,
    /// Epoch milliseconds.
    pub start: Option<i64>,
    pub end: Option<i64>,
    pub job_type: Option<String>,
    pub job_status: Option<String>,
    pub job_id: Option<String>,
    pub queue_name: Option<String>,
    pub sql_pattern: Option<String>,
    pub order: Option<String>,
    pub engine_type: Option<String>,
    pub owner: Option<String>,
    /// Sent as `tags=k1=v1,k2=v2` (percent-encoded).
    pub tags: Vec<JobTag>,
}

impl ListJobsQuery {
    pub(crate) fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut p = Vec::new();
        push(&mut p, "page-size", self.page_size);
        push(&mut p, "current-page", self.current_page);
        push(&mut p, "start", self.start);
        push(&mut p, "end", self.end);
        push(&mut p, "job-type", self.job_type.as_ref());
        push(&mut p, "job-status", self.job_status.as_ref());
        push(&mut p, "job-id", self.job_id.as_ref());
        push(&mut p, "queue_name", self.queue_name.as_ref());
        push(&mut p, "sql_pattern", self.sql_pattern.as_ref());
        push(&mut p, "order", self.order.as_ref());
        push(&mut p, "engine-type", self.engine_type.as_ref());
        push(&mut p, "owner", self.owner.as_ref());
        if !self.tags.is_empty() {
            let tags: Vec<String> = self
                .tags
                .iter()
                .map(|t| format!("{}={}", t.key, t.value))
                .collect();
            p.push(("tags", tags.join(",")));
        }
        p
    }
}

/// Adds `name=value` to a query when the value is present.
pub(crate) fn push<T: ToString>(
    pairs: &mut Vec<(&'static str, String)>,
    name: &'static str,
    value: Option<T>,
) {
    if let Some(v) = value {
        pairs.push((name, v.to_string()));
    }
}

/// Answer to list jobs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(default)]
pub struct JobList {
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub job_count: Option<i64>,
    #[serde(deserialize_with = "lenient::list")]
    pub jobs: Vec<JobStatus>,
}

/// Import/export details of a job (§7.3.8).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(default)]
pub struct JobDetail {
    #[serde(deserialize_with = "lenient::string")]
    pub job_id: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub owner: Option<String>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub start_time: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub duration: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub export_mode: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub data_path: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub data_type: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub database_name: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub table_name: Option<String>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub with_column_header: Option<bool>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub delimiter: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub quote_char: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub escape_char: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub date_format: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub timestamp_format: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub compress: Option<String>,
    #[serde(deserialize_with = "lenient::list")]
    pub tags: Vec<JobTag>,
}

/// An answer whose only payload is `message` (cancel, create database, ...).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(default)]
pub struct MessageResponse {
    #[serde(deserialize_with = "lenient::string")]
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_jobs_query_pairs() {
        let q = ListJobsQuery {
            page_size: Some(10),
            job_status: Some("RUNNING".into()),
            tags: vec![JobTag::new("k1", "v1"), JobTag::new("k2", "v2")],
            ..Default::default()
        };
        assert_eq!(
            q.to_pairs(),
            [
                ("page-size", "10".to_owned()),
                ("job-status", "RUNNING".into()),
                ("tags", "k1=v1,k2=v2".into())
            ]
        );
    }
}
