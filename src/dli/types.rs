//! Request and response DTOs of the DLI SQL-job APIs (reference §7.3): one
//! type per JSON shape, parsed leniently (see [`super::lenient`]).
//!
//! Catalog and queue DTOs live in [`super::catalog`].

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::lenient;
use super::schema::{Column, deserialize_schema, parse_struct_type};

/// Job status (§7.3.7). Parsed case-insensitively; unknown values are kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum JobState {
    Launching,
    Running,
    Scaling,
    Finished,
    Failed,
    Cancelled,
    Other(String),
}

impl JobState {
    pub fn parse(s: &str) -> Self {
        match s.trim().to_ascii_uppercase().as_str() {
            "LAUNCHING" => Self::Launching,
            "RUNNING" => Self::Running,
            "SCALING" => Self::Scaling,
            "FINISHED" => Self::Finished,
            "FAILED" => Self::Failed,
            "CANCELLED" | "CANCELED" => Self::Cancelled,
            _ => Self::Other(s.trim().to_owned()),
        }
    }

    /// Finished, failed or cancelled: the job will not change any more.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Finished | Self::Failed | Self::Cancelled)
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Launching => "LAUNCHING",
            Self::Running => "RUNNING",
            Self::Scaling => "SCALING",
            Self::Finished => "FINISHED",
            Self::Failed => "FAILED",
            Self::Cancelled => "CANCELLED",
            Self::Other(s) => s,
        }
    }
}

impl Default for JobState {
    fn default() -> Self {
        Self::Other(String::new())
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for JobState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self::parse(&lenient::string(d)?))
    }
}

/// Job type (§7.3.3). Parsed case-insensitively; unknown values are kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum JobType {
    Ddl,
    Dcl,
    Import,
    Export,
    Query,
    Insert,
    Other(String),
}

impl JobType {
    pub fn parse(s: &str) -> Self {
        match s.trim().to_ascii_uppercase().as_str() {
            "DDL" => Self::Ddl,
            "DCL" => Self::Dcl,
            "IMPORT" => Self::Import,
            "EXPORT" => Self::Export,
            "QUERY" => Self::Query,
            "INSERT" => Self::Insert,
            _ => Self::Other(s.trim().to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Ddl => "DDL",
            Self::Dcl => "DCL",
            Self::Import => "IMPORT",
            Self::Export => "EXPORT",
            Self::Query => "QUERY",
            Self::Insert => "INSERT",
            Self::Other(s) => s,
        }
    }
}

impl Default for JobType {
    fn default() -> Self {
        Self::Other(String::new())
    }
}

impl fmt::Display for JobType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for JobType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self::parse(&lenient::string(d)?))
    }
}

/// A job tag `{key, value}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct JobTag {
    #[serde(deserialize_with = "lenient::string")]
    pub key: String,
    #[serde(deserialize_with = "lenient::string")]
    pub value: String,
}

impl JobTag {
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// `POST /v1.0/{p}/jobs/submit-job` body (§7.3.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct SubmitJobRequest {
    pub sql: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currentdb: Option<String>,
    /// Falls back to the configured queue when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_name: Option<String>,
    /// `"key=value"` items, e.g. `"dli.sql.job.timeout=60000"`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conf: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<JobTag>,
}

/// Answer to submit-job.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(default)]
pub struct SubmitJobResponse {
    #[serde(deserialize_with = "lenient::string")]
    pub job_id: String,
    pub job_type: JobType,
    /// `sync` or `async`.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub job_mode: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub message: String,
    /// Inline result schema of a synchronous job (e.g. `desc t`).
    #[serde(deserialize_with = "deserialize_schema")]
    pub schema: Vec<Column>,
    #[serde(deserialize_with = "lenient::rows")]
    pub rows: Vec<Vec<Value>>,
}

impl SubmitJobResponse {
    /// The job already ran (`job_mode = sync`); its result, if any, is inline.
    /// A synchronous answer: `job_mode` says so, or — `job_mode` being optional (Table
    /// 7-59) — the answer carries its rows (`desc`, `show tables`), or it is a DCL job,
    /// which the reference says always runs synchronously.
    pub fn is_sync(&self) -> bool {
        match self.job_mode.as_deref() {
            Some(m) if m.eq_ignore_ascii_case("sync") => true,
            Some(m) if m.eq_ignore_ascii_case("async") => false,
            _ => !self.schema.is_empty() || !self.rows.is_empty() || self.job_type == JobType::Dcl,
        }
    }
}

/// check-sql body (§7.3.9): the table names the field `current_db`, the
/// example `currentdb`, so both are sent.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CheckSqlRequest<'a> {
    pub sql: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currentdb: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_db: Option<&'a str>,
}

/// Answer to check-sql.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(default)]
pub struct CheckSqlResponse {
    pub job_type: JobType,
    #[serde(deserialize_with = "lenient::string")]
    pub message: String,
}

/// Job status (§7.3.7); also the item type of the job list (§7.3.5).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(default)]
pub struct JobStatus {
    #[serde(deserialize_with = "lenient::string")]
    pub job_id: String,
    pub job_type: JobType,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub job_mode: Option<String>,
    pub status: JobState,
    /// Explains a failure.
    #[serde(deserialize_with = "lenient::string")]
    pub message: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub queue_name: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub owner: Option<String>,
    /// Milliseconds since the epoch.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub start_time: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub end_time: Option<i64>,
    /// Milliseconds.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub duration: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub input_size: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub input_row_count: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub bad_row_count: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub result_count: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub database_name: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub table_name: Option<String>,
    /// JSON string holding the Spark StructType of the result; see [`JobStatus::result_columns`].
    #[serde(deserialize_with = "lenient::opt_string")]
    pub detail: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub statement: Option<String>,
    /// Where the full result lives (newer DLI versions and the embedded service).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub result_path: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub result_format: Option<String>,
    #[serde(deserialize_with = "lenient::list")]
    pub tags: Vec<JobTag>,
}

impl JobStatus {
    /// Result columns parsed from `detail`, when it holds a StructType.
    pub fn result_columns(&self) -> Option<Vec<Column>> {
        self.detail.as_deref().and_then(parse_struct_type)
    }
}

/// One Spark job of a running SQL job (§7.3.11, Table 7-93).
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(default)]
pub struct SubJob {
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub id: Option<i64>,
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub description: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub submission_time: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub completion_time: Option<String>,
    #[serde(deserialize_with = "lenient::list")]
    pub stage_ids: Vec<i64>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub job_group: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub status: String,
    #[serde(deserialize_with = "lenient::i64")]
    pub num_tasks: i64,
    #[serde(deserialize_with = "lenient::i64")]
    pub num_active_tasks: i64,
    #[serde(deserialize_with = "lenient::i64")]
    pub num_completed_tasks: i64,
    #[serde(deserialize_with = "lenient::i64")]
    pub num_skipped_tasks: i64,
    #[serde(deserialize_with = "lenient::i64")]
    pub num_failed_tasks: i64,
    #[serde(deserialize_with = "lenient::i64")]
    pub num_killed_tasks: i64,
    #[serde(deserialize_with = "lenient::i64")]
    pub num_completed_indices: i64,
    #[serde(deserialize_with = "lenient::i64")]
    pub num_active_stages: i64,
    #[serde(deserialize_with = "lenient::i64")]
    pub num_completed_stages: i64,
    #[serde(deserialize_with = "lenient::i64")]
    pub num_skipped_stages: i64,
    #[serde(deserialize_with = "lenient::i64")]
    pub num_failed_stages: i64,
}

/// Job progress (`GET /v1/{p}/jobs/{id}/progress`, §7.3.11).
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(default)]
pub struct JobProgress {
    #[serde(deserialize_with = "lenient::string")]
    pub job_id: String,
    pub status: JobState,
    #[serde(deserialize_with = "lenient::string")]
    pub message: String,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub sub_job_id: Option<i64>,
    /// 0..1, of the running sub-job or of the whole job.
    #[serde(deserialize_with = "lenient::opt_f64")]
    pub progress: Option<f64>,
    #[serde(deserialize_with = "lenient::list")]
    pub sub_jobs: Vec<SubJob>,
}

/// Result preview of a QUERY job (§7.3.6): at most 1000 rows.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(default)]
pub struct PreviewResponse {
    #[serde(deserialize_with = "lenient::string")]
    pub job_id: String,
    pub job_type: JobType,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub row_count: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub input_size: Option<i64>,
    #[serde(deserialize_with = "deserialize_schema")]
    pub schema: Vec<Column>,
    #[serde(deserialize_with = "lenient::rows")]
    pub rows: Vec<Vec<Value>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_parse_case_insensitively() {
        assert_eq!(JobState::parse("finished"), JobState::Finished);
        assert_eq!(JobState::parse("Canceled"), JobState::Cancelled);
        assert_eq!(
            JobState::parse("WAITING"),
            JobState::Other("WAITING".into())
        );
        assert!(JobState::Failed.is_terminal() && !JobState::Scaling.is_terminal());
        assert_eq!(JobType::parse("query"), JobType::Query);
        assert_eq!(JobType::parse("UPDATE").as_str(), "UPDATE");
    }
}
