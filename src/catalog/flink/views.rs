//! The relations of the `dli_flink` schema: their columns with comments (the field
//! meanings of 003 §9 and seed 004), the static reference rows (job statuses with
//! their meanings translated from seed 004's Chinese list, job types), and the schema as
//! a catalog [`Database`] so psql, JDBC and information_schema list it like any other.
//!
//! Owns: the one declaration of every column of the surface. Must not call DLI.

use super::cols::{Col, Ty, Val, col, spark_name};
use crate::catalog::model::{Column, Database, RelKind, Table};

// Columns both job views have.
const JOB_ID: Col = col("job_id", Ty::Int8, "Job ID");
const NAME: Col = col("name", Ty::Text, "Job name");
const DESCRIPTION: Col = col("description", Ty::Text, "Job description (DLI's desc)");
const STATUS: Col = col(
    "status",
    Ty::Text,
    "Status code, see dli_flink.job_statuses",
);
const STATUS_DESC: Col = col("status_desc", Ty::Text, "Status description given by DLI");
const USERNAME: Col = col("username", Ty::Text, "User who created the job");
const QUEUE_NAME: Col = col("queue_name", Ty::Text, "Queue the job runs on");
const CREATE_TIME: Col = col("create_time", Ty::Ts, "When the job was created (UTC)");
const UPDATE_TIME: Col = col("update_time", Ty::Ts, "When the job was last updated (UTC)");

/// `dli_flink.jobs`: the job list (`GET …/streaming/jobs`).
pub const JOBS: &[Col] = &[
    JOB_ID,
    NAME,
    DESCRIPTION,
    col(
        "job_type",
        Ty::Text,
        "flink_sql_job, flink_opensource_sql_job, flink_sql_edge_job or flink_jar_job",
    ),
    STATUS,
    STATUS_DESC,
    USERNAME,
    QUEUE_NAME,
    CREATE_TIME,
    col(
        "start_time",
        Ty::Ts,
        "When the job last started (UTC); NULL if it never started",
    ),
    UPDATE_TIME,
    col("duration_ms", Ty::Int8, "Running time in milliseconds"),
    col(
        "root_id",
        Ty::Int8,
        "Parent job ID of an edge child job; NULL for none",
    ),
    col(
        "has_savepoint",
        Ty::Bool,
        "Whether a savepoint exists (older API versions only)",
    ),
    col(
        "graph_editor_enabled",
        Ty::Bool,
        "Whether the flow graph can be edited (older API versions only)",
    ),
];

/// `dli_flink.job_details`: the details (`GET …/streaming/jobs/{id}`), configuration
/// flattened.
pub const JOB_DETAILS: &[Col] = &[
    JOB_ID,
    NAME,
    DESCRIPTION,
    col("job_type", Ty::Text, "Job type"),
    STATUS,
    STATUS_DESC,
    USERNAME,
    QUEUE_NAME,
    col("user_id", Ty::Text, "ID of the user who created the job"),
    col("project_id", Ty::Text, "Project the job belongs to"),
    col(
        "run_mode",
        Ty::Text,
        "shared_cluster, exclusive_cluster or edge_node",
    ),
    CREATE_TIME,
    col("start_time", Ty::Ts, "When the job last started (UTC)"),
    UPDATE_TIME,
    col("sql_body", Ty::Text, "Flink SQL statements of a SQL job"),
    col("main_class", Ty::Text, "Main class of a Jar job"),
    col(
        "entrypoint_args",
        Ty::Text,
        "Arguments of a Jar job's main class",
    ),
    col("execution_graph", Ty::Text, "Execution graph of the job"),
    col("savepoint_path", Ty::Text, "OBS path of the last savepoint"),
    col(
        "checkpoint_enabled",
        Ty::Bool,
        "Whether checkpoints are taken",
    ),
    col("checkpoint_mode", Ty::Text, "exactly_once or at_least_once"),
    col(
        "checkpoint_interval_s",
        Ty::Int4,
        "Checkpoint interval in seconds",
    ),
    col("log_enabled", Ty::Bool, "Whether job logs are saved to OBS"),
    col(
        "obs_bucket",
        Ty::Text,
        "OBS bucket for logs and checkpoints",
    ),
    col(
        "smn_topic",
        Ty::Text,
        "SMN topic notified when the job fails",
    ),
    col("edge_group_ids", Ty::TextArray, "Edge computing group IDs"),
    col(
        "dependency_jars",
        Ty::TextArray,
        "Extra Jar packages (OBS paths or package names)",
    ),
    col(
        "dependency_files",
        Ty::TextArray,
        "Extra files (OBS paths or package names)",
    ),
    col("manager_cu_number", Ty::Int4, "CUs of the JobManager"),
    col("cu_number", Ty::Int4, "CUs of the job"),
    col("parallel_number", Ty::Int4, "Parallelism of the job"),
    col("tm_cus", Ty::Int4, "CUs per TaskManager"),
    col("tm_slot_num", Ty::Int4, "Slots per TaskManager"),
    col(
        "restart_when_exception",
        Ty::Bool,
        "Whether the job restarts after an exception",
    ),
    col(
        "resume_checkpoint",
        Ty::Bool,
        "Whether a restart resumes from the last checkpoint",
    ),
    col(
        "graph_editor_enabled",
        Ty::Bool,
        "Whether the flow graph can be edited",
    ),
    col(
        "resume_max_num",
        Ty::Int4,
        "Most restarts after an exception; -1 = unlimited",
    ),
    col(
        "checkpoint_path",
        Ty::Text,
        "OBS path of checkpoints (Jar jobs)",
    ),
    col("config_url", Ty::Text, "OBS path of the user configuration"),
    col("udf_jar_url", Ty::Text, "UDF Jar package"),
    col(
        "dirty_data_strategy",
        Ty::Text,
        "0 ignore, 1 raise, 2:<obs dir> save",
    ),
    col("entrypoint", Ty::Text, "Main Jar package of a Jar job"),
    col(
        "idle_state_retention_s",
        Ty::Int4,
        "Idle state retention (seconds)",
    ),
    col("executor_number", Ty::Int4, "Compute nodes of the job"),
    col("executor_cu_number", Ty::Int4, "CUs per compute node"),
    col(
        "operator_config",
        Ty::Text,
        "Operator parallelism settings (JSON)",
    ),
    col(
        "static_estimator_config",
        Ty::Text,
        "Traffic and hit ratio of each operator (JSON)",
    ),
    col(
        "runtime_config",
        Ty::Text,
        "Custom optimization parameters (JSON)",
    ),
    col("flink_version", Ty::Text, "Flink version"),
    col("image", Ty::Text, "Custom image"),
    col("feature", Ty::Text, "Custom job feature"),
];

/// `dli_flink.job_statuses` (static).
pub const JOB_STATUSES: &[Col] = &[
    col("status", Ty::Text, "Status code"),
    col("label_en", Ty::Text, "Status in English"),
    col(
        "label_zh",
        Ty::Text,
        "Status as DLI's Chinese console shows it",
    ),
    col(
        "meaning",
        Ty::Text,
        "What the status means (translated from DLI's documentation)",
    ),
    col("is_transient", Ty::Bool, "The job is moving between states"),
    col(
        "is_terminal",
        Ty::Bool,
        "The job is not running and will not move by itself",
    ),
    col(
        "billing",
        Ty::Text,
        "What the status means for billing, where DLI documents it",
    ),
];

/// `dli_flink.job_types` (static).
pub const JOB_TYPES: &[Col] = &[
    col("job_type", Ty::Text, "Job type code"),
    col("label_en", Ty::Text, "Job type in English"),
    col(
        "label_zh",
        Ty::Text,
        "Job type as DLI's Chinese documentation names it",
    ),
    col(
        "supports_stream_graph",
        Ty::Bool,
        "dli_flink.stream_graph() works for it",
    ),
    col(
        "create_function",
        Ty::Text,
        "The function that creates such a job",
    ),
];

/// (code, English, Chinese, meaning, transient, terminal, billing) — seed 004.
pub const STATUSES: &[(&str, &str, &str, &str, bool, bool, &str)] = &[
    (
        "job_init",
        "Draft",
        "草稿",
        "Created or edited, never submitted",
        false,
        true,
        "",
    ),
    (
        "job_submitting",
        "Submitting",
        "提交中",
        "Being submitted to the queue",
        true,
        false,
        "",
    ),
    (
        "job_submit_fail",
        "Submission failed",
        "提交失败",
        "The submission failed",
        false,
        true,
        "",
    ),
    (
        "job_running",
        "Running",
        "运行中",
        "Submitted and running normally",
        false,
        false,
        "billing starts",
    ),
    (
        "job_running_exception",
        "Running exception",
        "运行异常",
        "A runtime exception stopped the job",
        false,
        true,
        "billing stops",
    ),
    (
        "job_downloading",
        "Downloading",
        "下载中",
        "Downloading its packages",
        true,
        false,
        "",
    ),
    ("job_idle", "Idle", "空闲", "Idle", false, true, ""),
    (
        "job_canceling",
        "Stopping",
        "停止中",
        "Being stopped",
        true,
        false,
        "",
    ),
    (
        "job_cancel_success",
        "Stopped",
        "已停止",
        "Stopped",
        false,
        true,
        "",
    ),
    (
        "job_cancel_fail",
        "Stop failed",
        "停止失败",
        "Stopping the job failed",
        false,
        false,
        "",
    ),
    (
        "job_savepointing",
        "Creating savepoint",
        "保存点创建中",
        "A savepoint is being taken",
        true,
        false,
        "",
    ),
    (
        "job_arrearage_stopped",
        "Stopped for arrears",
        "因欠费被停止",
        "The account is in arrears: the job was stopped",
        false,
        true,
        "billing ends",
    ),
    (
        "job_arrearage_recovering",
        "Recovering from arrears",
        "欠费作业恢复中",
        "The account was topped up after arrears: the job is recovering",
        true,
        false,
        "",
    ),
    (
        "job_finish",
        "Finished",
        "已完成",
        "Finished",
        false,
        true,
        "",
    ),
];

/// (code, English, Chinese, stream graph, create function) — seed 004.
pub const TYPES: &[(&str, &str, &str, bool, &str)] = &[
    (
        "flink_sql_job",
        "Flink SQL job",
        "flink sql作业",
        false,
        "create_sql_job",
    ),
    (
        "flink_opensource_sql_job",
        "Flink OpenSource SQL job",
        "flink opensource sql作业",
        true,
        "create_sql_job",
    ),
    (
        "flink_sql_edge_job",
        "Flink SQL edge job",
        "flink sql边缘作业",
        false,
        "create_sql_job",
    ),
    (
        "flink_jar_job",
        "Flink Jar (custom) job",
        "flink自定义作业",
        false,
        "create_jar_job",
    ),
];

pub fn status_rows() -> Vec<Vec<Val>> {
    STATUSES
        .iter()
        .map(|(code, en, zh, meaning, transient, terminal, billing)| {
            vec![
                Val::text(code),
                Val::text(en),
                Val::text(zh),
                Val::text(meaning),
                Val::Bool(*transient),
                Val::Bool(*terminal),
                Val::opt_text((!billing.is_empty()).then_some(*billing)),
            ]
        })
        .collect()
}

pub fn type_rows() -> Vec<Vec<Val>> {
    TYPES
        .iter()
        .map(|(code, en, zh, graph, create)| {
            vec![
                Val::text(code),
                Val::text(en),
                Val::text(zh),
                Val::Bool(*graph),
                Val::text(&format!("dli_flink.{create}")),
            ]
        })
        .collect()
}

/// Whether `status` is one a job passes through on its way elsewhere.
pub fn is_transient(status: &str) -> bool {
    STATUSES.iter().any(|s| s.0 == status && s.4)
}

/// The relations: (name, columns, comment, view text).
pub fn relations(schema: &str) -> Vec<(&'static str, &'static [Col], String, String)> {
    vec![
        (
            "jobs",
            JOBS,
            "DLI Flink jobs (GET /v1.0/{project_id}/streaming/jobs). WHERE on status, job_type, queue_name, name, username or root_id is sent to DLI; job_id = n reads the job's details.".into(),
            format!("SELECT * FROM {schema}.jobs -- answered by the gateway from DLI's Flink job list"),
        ),
        (
            "job_details",
            JOB_DETAILS,
            "DLI Flink jobs with their configuration (list with show_detail=true; job_id = n reads GET /v1.0/{project_id}/streaming/jobs/{job_id}).".into(),
            format!("SELECT * FROM {schema}.job_details -- answered by the gateway from DLI's Flink job details"),
        ),
        (
            "job_statuses",
            JOB_STATUSES,
            "Flink job status codes and their meanings (DLI documentation)".into(),
            format!("SELECT * FROM {schema}.job_statuses -- static"),
        ),
        (
            "job_types",
            JOB_TYPES,
            "Flink job types".into(),
            format!("SELECT * FROM {schema}.job_types -- static"),
        ),
    ]
}

/// The schema as a described catalog database of views.
pub fn database(schema: &str) -> Database {
    let tables = relations(schema)
        .into_iter()
        .map(|(name, cols, comment, definition)| Table {
            name: name.to_string(),
            kind: RelKind::View,
            dli_type: "VIEW".into(),
            owner: "dli_gateway".into(),
            description: Some(comment),
            columns: cols
                .iter()
                .map(|c| Column {
                    name: c.name.to_string(),
                    spark_type: spark_name(c.ty),
                    description: Some(c.comment.to_string()),
                    partition: false,
                })
                .collect(),
            definition: Some(definition),
            size: None,
            partition_keys: Vec::new(),
        })
        .collect();
    Database {
        name: schema.to_string(),
        owner: "dli_gateway".into(),
        description: Some(
            "DLI Flink jobs, answered by the gateway from DLI's Flink job APIs (never a Spark job)"
                .into(),
        ),
        tables,
        described: true,
    }
}
