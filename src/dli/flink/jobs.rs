//! Flink job list (`GET /v1.0/{p}/streaming/jobs`, seed 004 = newer 003 §9.7) and
//! details (`GET …/streaming/jobs/{job_id}`, 003 §9.8): query, job object and job
//! configuration. Every field is optional and read leniently: the list's
//! "only when show_detail=…" notes are partly inverted (notes D6), the table says
//! `username` while the examples send `user_name` (D5), and 003 §9.7 spells
//! `executor_cpu_number` where §9.8 has `executor_cu_number` (D7).

use serde::Deserialize;

use super::fields::{CheckpointMode, opt_checkpoint_mode, opt_epoch_ms, opt_object};
use crate::dli::jobs::push;
use crate::dli::lenient;
use crate::dli::types::JobTag;

/// Filters and paging of the Flink job list (seed 004; 003 §9.7).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListFlinkJobsQuery {
    /// Job name (0–57 characters).
    pub name: Option<String>,
    /// One status code, e.g. `job_running`.
    pub status: Option<String>,
    /// `flink_sql_job`, `flink_opensource_sql_job`, `flink_sql_edge_job`, `flink_jar_job`.
    pub job_type: Option<String>,
    pub queue_name: Option<String>,
    pub user_name: Option<String>,
    /// Sent as `tags=k1=v1,k2=v2`.
    pub tags: Vec<JobTag>,
    pub sys_enterprise_project_name: Option<String>,
    /// Lists the child jobs of this edge parent job (seed 004).
    pub root_job_id: Option<i64>,
    /// With `true`, each job is the details object (§9.8).
    pub show_detail: Option<bool>,
    /// `asc` or `desc` (by time; DLI's default `desc`).
    pub order: Option<String>,
    /// Page size: DLI's default 10, maximum 100.
    pub limit: Option<u32>,
    /// Row offset of the page.
    pub offset: Option<u32>,
}

impl ListFlinkJobsQuery {
    pub(crate) fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut p = Vec::new();
        push(&mut p, "name", self.name.as_ref());
        push(&mut p, "status", self.status.as_ref());
        push(&mut p, "job_type", self.job_type.as_ref());
        push(&mut p, "queue_name", self.queue_name.as_ref());
        push(&mut p, "user_name", self.user_name.as_ref());
        if !self.tags.is_empty() {
            let tags: Vec<String> = self
                .tags
                .iter()
                .map(|t| format!("{}={}", t.key, t.value))
                .collect();
            p.push(("tags", tags.join(",")));
        }
        push(
            &mut p,
            "sys_enterprise_project_name",
            self.sys_enterprise_project_name.as_ref(),
        );
        push(&mut p, "root_job_id", self.root_job_id);
        push(&mut p, "show_detail", self.show_detail);
        push(&mut p, "order", self.order.as_ref());
        push(&mut p, "limit", self.limit);
        push(&mut p, "offset", self.offset);
        p
    }
}

/// Answer of the list: `job_list {total_count, jobs[]}`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct FlinkJobList {
    #[serde(deserialize_with = "lenient::string")]
    pub message: String,
    #[serde(deserialize_with = "opt_object")]
    pub job_list: Option<FlinkJobPage>,
}

/// `job_list`: the total before paging and this page's jobs.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct FlinkJobPage {
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub total_count: Option<i64>,
    #[serde(deserialize_with = "lenient::list")]
    pub jobs: Vec<FlinkJob>,
}

/// A Flink job as listed (both `show_detail` modes) or detailed (§9.8).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct FlinkJob {
    /// `Long` in every table (a String only in §9.8's URI); read from either.
    #[serde(deserialize_with = "lenient::i64")]
    pub job_id: i64,
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub desc: Option<String>,
    /// The tables' spelling; see [`FlinkJob::user`].
    #[serde(deserialize_with = "lenient::opt_string")]
    pub username: Option<String>,
    /// The examples' spelling.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub user_name: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub job_type: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub status: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub status_desc: Option<String>,
    #[serde(deserialize_with = "opt_epoch_ms")]
    pub create_time: Option<i64>,
    /// `None` when the job never started (`0` or `null`).
    #[serde(deserialize_with = "opt_epoch_ms")]
    pub start_time: Option<i64>,
    #[serde(deserialize_with = "opt_epoch_ms")]
    pub update_time: Option<i64>,
    /// Running time in ms.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub duration: Option<i64>,
    /// Parent job id; `-1` = none.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub root_id: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub user_id: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub project_id: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub queue_name: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub sql_body: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub savepoint_path: Option<String>,
    /// `shared_cluster`, `exclusive_cluster` or `edge_node`.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub run_mode: Option<String>,
    #[serde(deserialize_with = "opt_object")]
    pub job_config: Option<FlinkJobConfig>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub main_class: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub entrypoint_args: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub execution_graph: Option<String>,
    /// 003 §9.7 only.
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub graph_editor_enabled: Option<bool>,
    /// 003 §9.7 only.
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub has_savepoint: Option<bool>,
}

impl FlinkJob {
    /// The owner's user name, whichever spelling DLI sent.
    pub fn user(&self) -> Option<&str> {
        self.username.as_deref().or(self.user_name.as_deref())
    }
}

/// `job_config` (seed 004 Table 6; 003 Tables 9-37 and 9-42).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct FlinkJobConfig {
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub checkpoint_enabled: Option<bool>,
    #[serde(deserialize_with = "opt_checkpoint_mode")]
    pub checkpoint_mode: Option<CheckpointMode>,
    /// Seconds.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub checkpoint_interval: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub log_enabled: Option<bool>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub obs_bucket: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub smn_topic: Option<String>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub root_id: Option<i64>,
    #[serde(deserialize_with = "lenient::string_list")]
    pub edge_group_ids: Vec<String>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub manager_cu_number: Option<i64>,
    /// 003 §9.2's misspelling, should DLI ever echo it.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub manager_cunumber: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub cu_number: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub parallel_number: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub restart_when_exception: Option<bool>,
    /// Seconds per 003 §9.3/§9.8 (hours per §9.2; notes D11).
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub idle_state_retention: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub udf_jar_url: Option<String>,
    /// `"0"` ignore, `"1"` raise, `"2:<obsDir>"` save.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub dirty_data_strategy: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub entrypoint: Option<String>,
    #[serde(deserialize_with = "lenient::string_list")]
    pub dependency_jars: Vec<String>,
    #[serde(deserialize_with = "lenient::string_list")]
    pub dependency_files: Vec<String>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub executor_number: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub executor_cu_number: Option<i64>,
    /// 003 §9.7's spelling of `executor_cu_number`.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub executor_cpu_number: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub resume_checkpoint: Option<bool>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub resume_max_num: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub checkpoint_path: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub config_url: Option<String>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub graph_editor_enabled: Option<bool>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub graph_editor_data: Option<String>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub tm_cus: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub tm_slot_num: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub operator_config: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub static_estimator_config: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub runtime_config: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub image: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub feature: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub flink_version: Option<String>,
}

impl FlinkJobConfig {
    /// JobManager CUs, whichever spelling DLI sent.
    pub fn manager_cus(&self) -> Option<i64> {
        self.manager_cu_number.or(self.manager_cunumber)
    }

    /// CUs per compute node, whichever spelling DLI sent.
    pub fn executor_cus(&self) -> Option<i64> {
        self.executor_cu_number.or(self.executor_cpu_number)
    }
}

/// Answer of the details API: `{is_success, message, job_detail}`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct FlinkJobDetailResponse {
    #[serde(deserialize_with = "lenient::string")]
    pub message: String,
    #[serde(deserialize_with = "opt_object")]
    pub job_detail: Option<FlinkJob>,
}
