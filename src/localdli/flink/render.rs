//! The JSON shapes of the Flink answers, as the seeds and 003 show them: the list
//! item of seed 004 (or 003 §9.7 with `[local] flink_list_style = "003"`), the details
//! object of 003 §9.8, the execution plan of §9.9, and `is_success` spelled as each
//! API's example spells it (`[local] flink_is_success`).
//!
//! Owns: rendering only; the records are `model.rs`', the states `machine.rs`'.

use serde_json::{Value, json};

use super::machine::flink_state;
use super::model::JobRecord;

/// How `is_success` and the list are spelled (from `[local]`).
#[derive(Debug, Clone)]
pub struct Style {
    /// "examples", "string" or "boolean".
    pub is_success: String,
    /// "004" or "003".
    pub list: String,
    /// Batch stop answers an object instead of an array (D12).
    pub stop_object: bool,
}

impl Style {
    /// `is_success: true`; `example_string` = the API's example sends `"true"`.
    pub fn success(&self, example_string: bool) -> Value {
        self.flag(true, example_string)
    }

    pub fn flag(&self, value: bool, example_string: bool) -> Value {
        let string = match self.is_success.as_str() {
            "string" => true,
            "boolean" => false,
            _ => example_string,
        };
        if string {
            Value::String(value.to_string())
        } else {
            Value::Bool(value)
        }
    }

    pub fn list_003(&self) -> bool {
        self.list == "003"
    }
}

/// A job as the list shows it with `show_detail=false` (seed 004 Table 5; the
/// example's `user_name` spelling, D5).
pub fn list_item(job: &JobRecord, now: i64, style: &Style) -> Value {
    let mut v = json!({
        "job_id": job.job_id,
        "name": job.name,
        "desc": job.desc,
        "user_name": job.owner,
        "job_type": job.job_type,
        "status": job.status,
        "status_desc": job.status_desc,
        "create_time": job.create_time,
        "start_time": job.start_time,
        "duration": job.duration(now),
        "root_id": job.config.root_id,
        "update_time": job.update_time,
    });
    if style.list_003()
        && let Value::Object(map) = &mut v
    {
        map.insert(
            "graph_editor_enabled".into(),
            Value::Bool(job.config.graph_editor_enabled),
        );
        map.insert("has_savepoint".into(), Value::Bool(job.has_savepoint));
    }
    v
}

/// The details object (003 §9.8; also each job of the list with `show_detail=true`).
pub fn detail(job: &JobRecord, user_id: &str, project_id: &str) -> Value {
    let start = (job.start_time > 0).then_some(job.start_time);
    json!({
        "job_id": job.job_id,
        "user_id": user_id,
        "queue_name": job.queue_name,
        "project_id": project_id,
        "name": job.name,
        "desc": job.desc,
        "sql_body": job.sql_body,
        "run_mode": job.run_mode,
        "job_type": job.job_type,
        "job_config": job.config,
        "main_class": job.main_class,
        "entrypoint_args": job.entrypoint_args,
        "execution_graph": execution_graph_text(job),
        "status": job.status,
        "status_desc": job.status_desc,
        "create_time": job.create_time,
        "update_time": job.update_time,
        "start_time": start,
        "savepoint_path": job.savepoint_path,
    })
}

/// `execution_graph` of the details: the plan as text, once the job has run.
fn execution_graph_text(job: &JobRecord) -> Option<String> {
    job.jid
        .as_ref()
        .map(|jid| format!("{{\"jid\":\"{jid}\",\"state\":\"{}\"}}", flink_state(job)))
}

/// `execute_graph` (003 §9.9): Flink's job summary, camel- and kebab-case keys.
pub fn execute_graph(job: &JobRecord, jid: &str, now: i64) -> Value {
    let end = if job.end_time >= job.start_time && job.start_time > 0 {
        job.end_time
    } else {
        -1
    };
    json!({
        "jid": jid,
        "name": job.name,
        "isStoppable": false,
        "state": flink_state(job),
        "start-time": job.start_time,
        "end-time": end,
        "duration": job.duration(now),
    })
}
