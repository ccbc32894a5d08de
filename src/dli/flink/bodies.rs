//! Bodies of the Flink job writes: create/update a Flink SQL job (003 §9.2/§9.3)
//! and a Flink Jar job (003 §9.4/§9.5 = seed 001), and their answers. Every
//! optional field is left out of the JSON when `None`.
//!
//! Quirks kept on purpose:
//! - create SQL: 003 §9.2 spells the JobManager CUs `manager_cunumber`, every
//!   other API `manager_cu_number`; the client sends both with the same value
//!   (notes D10);
//! - `checkpoint_mode` is sent as the Integer `1|2` of the tables (D9);
//! - only the Jar *update* has a `job_type` (D19): it defaults to `flink_jar_job`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::fields::{CheckpointMode, opt_epoch_ms, opt_object};
use crate::dli::lenient;
use crate::dli::types::JobTag;

/// `POST /v1.0/{p}/streaming/sql-jobs` body (003 §9.2).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CreateSqlJobRequest {
    /// Mandatory, 1–57 characters.
    pub name: String,
    #[serde(flatten)]
    pub settings: SqlJobSettings,
    /// 003 §9.2 also takes a template (its SQL is used when `sql_body` is absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_id: Option<i64>,
    /// `flink_sql_job` (default) or `flink_opensource_sql_job`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_type: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<JobTag>,
}

/// `PUT /v1.0/{p}/streaming/sql-jobs/{job_id}` body (003 §9.3): every field optional.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct UpdateSqlJobRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(flatten)]
    pub settings: SqlJobSettings,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub edge_group_ids: Vec<String>,
    /// Operator parallelism, JSON text (§9.3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator_config: Option<String>,
    /// `{"operator_list":[{"id":…,"rate_factor":…}]}` as JSON text (§9.3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub static_estimator_config: Option<String>,
}

/// Settings shared by the SQL-job create and update bodies.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct SqlJobSettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desc: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sql_body: Option<String>,
    /// `shared_cluster`, `exclusive_cluster` or `edge_node`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cu_number: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallel_number: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint_mode: Option<CheckpointMode>,
    /// Seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint_interval: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub obs_bucket: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smn_topic: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_when_exception: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_state_retention: Option<i64>,
    /// `"0"`, `"1"` or `"2:<obsDir>"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dirty_data_strategy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub udf_jar_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager_cu_number: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tm_cus: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tm_slot_num: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resume_checkpoint: Option<bool>,
    /// `-1` (unlimited) or > 0 per hour.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resume_max_num: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime_config: Option<String>,
}

impl CreateSqlJobRequest {
    /// The body as sent: `manager_cunumber` (003 §9.2's spelling) mirrors
    /// `manager_cu_number`.
    pub(crate) fn wire(&self) -> Result<Value, serde_json::Error> {
        let mut body = serde_json::to_value(self)?;
        if let (Value::Object(map), Some(n)) = (&mut body, self.settings.manager_cu_number) {
            map.insert("manager_cunumber".into(), Value::from(n));
        }
        Ok(body)
    }
}

/// `POST /v1.0/{p}/streaming/flink-jobs` body (003 §9.4).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CreateJarJobRequest {
    /// Mandatory, 1–57 characters.
    pub name: String,
    #[serde(flatten)]
    pub settings: JarJobSettings,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<JobTag>,
}

/// `PUT /v1.0/{p}/streaming/flink-jobs/{job_id}` body (seed 001 = 003 §9.5).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct UpdateJarJobRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(flatten)]
    pub settings: JarJobSettings,
    /// Sent as `flink_jar_job` when `None` (the seed's example).
    pub job_type: Option<String>,
}

impl UpdateJarJobRequest {
    pub(crate) fn wire(&self) -> Self {
        let mut body = self.clone();
        body.job_type.get_or_insert_with(|| "flink_jar_job".into());
        body
    }
}

/// Settings shared by the Jar-job create and update bodies.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct JarJobSettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desc: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cu_number: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager_cu_number: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallel_number: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub obs_bucket: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smn_topic: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub main_class: Option<String>,
    /// Space-separated arguments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entrypoint_args: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_when_exception: Option<bool>,
    /// Uploaded package holding the main class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dependency_jars: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dependency_files: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tm_cus: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tm_slot_num: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resume_checkpoint: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resume_max_num: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime_config: Option<String>,
}

/// Answer of a create: `job {job_id, status_name, status_desc}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct CreatedFlinkJob {
    #[serde(deserialize_with = "lenient::string")]
    pub message: String,
    #[serde(deserialize_with = "opt_object")]
    pub job: Option<CreatedJobInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct CreatedJobInfo {
    #[serde(deserialize_with = "lenient::i64")]
    pub job_id: i64,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub status_name: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub status_desc: Option<String>,
}

/// Answer of an update: `job {update_time}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct UpdatedFlinkJob {
    #[serde(deserialize_with = "lenient::string")]
    pub message: String,
    #[serde(deserialize_with = "opt_object")]
    pub job: Option<UpdatedJobInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct UpdatedJobInfo {
    #[serde(deserialize_with = "opt_epoch_ms")]
    pub update_time: Option<i64>,
}
