//! The Flink job record kept by the registry: the job's definition (the fields of
//! 003 §9.2–§9.5, with their documented defaults), its `job_config` (Table 9-42), its
//! place in the state machine and its run history. Serialized as is into
//! `<warehouse>/.flink/registry.json`.
//!
//! Owns: the record types, the 14 status values (seed 004) and the 4 job types.

use serde::{Deserialize, Serialize};

/// The job types of seed 004 (003 has only the first and the last).
pub const JOB_TYPES: [&str; 4] = [
    "flink_sql_job",
    "flink_opensource_sql_job",
    "flink_sql_edge_job",
    "flink_jar_job",
];

/// The 14 status values of seed 004 (003 §9.7 has 12: no `job_arrearage_*`).
pub const STATUSES: [&str; 14] = [
    "job_init",
    "job_submitting",
    "job_submit_fail",
    "job_running",
    "job_running_exception",
    "job_downloading",
    "job_idle",
    "job_canceling",
    "job_cancel_success",
    "job_cancel_fail",
    "job_savepointing",
    "job_arrearage_stopped",
    "job_arrearage_recovering",
    "job_finish",
];

/// States from which a run is accepted (the job is not running nor being processed).
pub const RUNNABLE: [&str; 7] = [
    "job_init",
    "job_submit_fail",
    "job_cancel_success",
    "job_cancel_fail",
    "job_running_exception",
    "job_finish",
    "job_arrearage_stopped",
];

/// States in which an update is refused (the job is being processed).
pub const BUSY: [&str; 5] = [
    "job_submitting",
    "job_canceling",
    "job_savepointing",
    "job_downloading",
    "job_arrearage_recovering",
];

/// `run_mode` values (003 §9.2).
pub const RUN_MODES: [&str; 3] = ["shared_cluster", "exclusive_cluster", "edge_node"];

/// `job_config` as the details API shows it (003 §9.8 Table 9-42; every field is
/// emitted, `null` when unset, as the examples do).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct JobConfig {
    pub checkpoint_enabled: bool,
    pub checkpoint_interval: i64,
    /// `exactly_once` or `at_least_once` (the details' spelling, D9).
    pub checkpoint_mode: String,
    pub log_enabled: bool,
    pub obs_bucket: Option<String>,
    pub root_id: i64,
    pub edge_group_ids: Option<Vec<String>>,
    pub graph_editor_enabled: bool,
    pub graph_editor_data: Option<String>,
    pub manager_cu_number: i64,
    pub executor_number: Option<i64>,
    pub executor_cu_number: Option<i64>,
    pub cu_number: i64,
    pub parallel_number: i64,
    pub smn_topic: Option<String>,
    pub restart_when_exception: bool,
    pub resume_checkpoint: bool,
    pub resume_max_num: i64,
    pub checkpoint_path: Option<String>,
    /// Seconds (003 §9.3/§9.8; §9.2 says hours, D11).
    pub idle_state_retention: i64,
    pub config_url: Option<String>,
    pub udf_jar_url: Option<String>,
    pub dirty_data_strategy: String,
    pub entrypoint: Option<String>,
    pub dependency_jars: Option<Vec<String>>,
    pub dependency_files: Option<Vec<String>>,
    pub tm_cus: i64,
    pub tm_slot_num: i64,
    pub image: Option<String>,
    pub feature: Option<String>,
    pub flink_version: Option<String>,
    pub operator_config: Option<String>,
    pub static_estimator_config: Option<String>,
    pub runtime_config: Option<String>,
}

impl Default for JobConfig {
    /// The documented defaults (003 §9.2–§9.5).
    fn default() -> Self {
        Self {
            checkpoint_enabled: false,
            checkpoint_interval: 10,
            checkpoint_mode: "exactly_once".into(),
            log_enabled: false,
            obs_bucket: None,
            root_id: -1,
            edge_group_ids: None,
            graph_editor_enabled: false,
            graph_editor_data: None,
            manager_cu_number: 1,
            executor_number: None,
            executor_cu_number: None,
            cu_number: 2,
            parallel_number: 1,
            smn_topic: None,
            restart_when_exception: false,
            resume_checkpoint: false,
            resume_max_num: -1,
            checkpoint_path: None,
            idle_state_retention: 3600,
            config_url: None,
            udf_jar_url: None,
            dirty_data_strategy: "0".into(),
            entrypoint: None,
            dependency_jars: None,
            dependency_files: None,
            tm_cus: 1,
            tm_slot_num: 1,
            image: None,
            feature: None,
            flink_version: None,
            operator_config: None,
            static_estimator_config: None,
            runtime_config: None,
        }
    }
}

impl JobConfig {
    /// 003 §9.2's default slot count: (parallel_number × tm_cus) / (cu_number −
    /// manager_cu_number), at least 1.
    pub fn default_slots(&self) -> i64 {
        let workers = (self.cu_number - self.manager_cu_number).max(1);
        ((self.parallel_number * self.tm_cus) / workers).max(1)
    }
}

/// A transition the state machine will apply at `at_ms` (epoch milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub at_ms: i64,
    pub event: Event,
}

/// The timed events of the state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// `job_submitting` → `job_running` (or `job_submit_fail` with the marker).
    Submitted,
    /// `job_savepointing` → `job_canceling`.
    SavepointDone,
    /// `job_canceling` → `job_cancel_success` (or `job_cancel_fail`).
    Canceled,
    /// A runtime exception of a running job: restart or `job_running_exception`.
    RuntimeException,
    /// The restart after an exception is done: back to plain running.
    Restarted,
    /// A bounded job ends: `job_finish`.
    Finished,
}

/// One Flink job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct JobRecord {
    pub job_id: i64,
    pub name: String,
    pub desc: String,
    pub job_type: String,
    pub queue_name: String,
    pub sql_body: String,
    pub run_mode: String,
    pub main_class: Option<String>,
    pub entrypoint_args: Option<String>,
    pub config: JobConfig,
    pub tags: Vec<(String, String)>,
    pub owner: String,
    pub status: String,
    pub status_desc: String,
    pub create_time: i64,
    pub update_time: i64,
    /// 0 = never started.
    pub start_time: i64,
    /// Epoch ms the last run ended; -1 while running or never run.
    pub end_time: i64,
    pub savepoint_path: Option<String>,
    pub has_savepoint: bool,
    /// Flink's job id of the current or last run (32 hex characters).
    pub jid: Option<String>,
    pub run_count: i64,
    pub restart_count: i64,
    /// Restarts of the last hour (epoch ms), for `resume_max_num`.
    pub restarts: Vec<i64>,
    /// Asked to take a savepoint by the stop in progress.
    pub savepoint_requested: bool,
    /// A tombstone: deleted jobs are kept ("the job records will not be deleted",
    /// 003 §9.11) but hidden from every API.
    pub deleted: bool,
    pub pending: Option<Pending>,
}

impl Default for JobRecord {
    fn default() -> Self {
        Self {
            job_id: 0,
            name: String::new(),
            desc: String::new(),
            job_type: "flink_sql_job".into(),
            queue_name: String::new(),
            sql_body: String::new(),
            run_mode: "shared_cluster".into(),
            main_class: None,
            entrypoint_args: None,
            config: JobConfig::default(),
            tags: Vec::new(),
            owner: String::new(),
            status: "job_init".into(),
            status_desc: String::new(),
            create_time: 0,
            update_time: 0,
            start_time: 0,
            end_time: -1,
            savepoint_path: None,
            has_savepoint: false,
            jid: None,
            run_count: 0,
            restart_count: 0,
            restarts: Vec::new(),
            savepoint_requested: false,
            deleted: false,
            pending: None,
        }
    }
}

impl JobRecord {
    pub fn is_jar(&self) -> bool {
        self.job_type == "flink_jar_job"
    }

    /// Running time in ms: up to now while running, up to the end once stopped.
    pub fn duration(&self, now: i64) -> i64 {
        if self.start_time <= 0 {
            return 0;
        }
        let end = if self.end_time >= self.start_time {
            self.end_time
        } else {
            now
        };
        (end - self.start_time).max(0)
    }
}
