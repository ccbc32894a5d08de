//! Execution plan (`GET /v1.0/{p}/streaming/jobs/{job_id}/execute-graph`, 003
//! §9.9) and static stream graph (`POST /v3/{p}/streaming/jobs/{job_id}/gen-graph`,
//! seed 000). gen-graph's `stream_graph` is a JSON document inside a string:
//! `{"nodes":[{id, operator_id, type, contents, parallelism, predecessors:[{id}]}]}`.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::fields::{opt_epoch_ms, opt_object};
use crate::dli::error::{DliError, DliErrorKind};
use crate::dli::lenient::{self, value_as_i64};

/// Answer of execute-graph.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct ExecuteGraphResponse {
    #[serde(deserialize_with = "lenient::string")]
    pub message: String,
    #[serde(deserialize_with = "opt_object")]
    pub execute_graph: Option<ExecuteGraph>,
}

/// `execute_graph`: Flink's own job summary (camel- and kebab-case keys).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct ExecuteGraph {
    /// Flink's job id (32 hex characters).
    #[serde(deserialize_with = "lenient::string")]
    pub jid: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    #[serde(rename = "isStoppable", deserialize_with = "lenient::opt_bool")]
    pub is_stoppable: Option<bool>,
    /// Flink `JobStatus`: RUNNING, FINISHED, CANCELED, FAILED, …
    #[serde(deserialize_with = "lenient::opt_string")]
    pub state: Option<String>,
    #[serde(rename = "start-time", deserialize_with = "opt_epoch_ms")]
    pub start_time: Option<i64>,
    /// `None` while running (DLI sends `-1`).
    #[serde(rename = "end-time", deserialize_with = "opt_epoch_ms")]
    pub end_time: Option<i64>,
    /// Milliseconds.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub duration: Option<i64>,
}

/// gen-graph body (seed 000). Send the job's SQL in `sql_body` (the seed marks it
/// mandatory although its example sends `""`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct GenGraphRequest {
    pub sql_body: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cu_number: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager_cu_number: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallel_number: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tm_cus: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tm_slot_num: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator_config: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub static_estimator: Option<bool>,
    /// Only `flink_opensource_sql_job` is supported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_type: Option<String>,
    /// `simple_graph` or `job_graph`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub graph_type: Option<String>,
    /// JSON text: traffic or hit ratio per operator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub static_estimator_config: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flink_version: Option<String>,
}

/// Raw answer of gen-graph; see [`GenGraphResponse::graph`].
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct GenGraphResponse {
    #[serde(deserialize_with = "lenient::string")]
    pub message: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub error_code: Option<String>,
    /// Kept as sent: a JSON string (documented) or an object (tolerated).
    pub stream_graph: Value,
}

impl GenGraphResponse {
    /// Decodes `stream_graph`; kind `Decode` when it is not a graph.
    pub fn graph(&self) -> Result<StreamGraph, DliError> {
        let decode = |e: serde_json::Error| {
            DliError::new(
                DliErrorKind::Decode,
                format!("gen-graph answered a stream_graph that is not a graph: {e}"),
            )
        };
        match &self.stream_graph {
            Value::String(text) => serde_json::from_str(text).map_err(decode),
            Value::Null => Err(DliError::new(
                DliErrorKind::Decode,
                "gen-graph answered without a stream_graph",
            )),
            other => serde_json::from_value(other.clone()).map_err(decode),
        }
    }
}

/// A static stream graph.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct StreamGraph {
    #[serde(deserialize_with = "lenient::list")]
    pub nodes: Vec<StreamNode>,
}

/// One operator of the graph. Ids are unique but not contiguous; edges are
/// implied by `predecessors` (absent on sources).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct StreamNode {
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    #[serde(deserialize_with = "lenient::string")]
    pub operator_id: String,
    /// `Source`, `Sink`, or an operator kind such as `select`.
    #[serde(rename = "type", deserialize_with = "lenient::string")]
    pub node_type: String,
    #[serde(deserialize_with = "lenient::string")]
    pub contents: String,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub parallelism: Option<i64>,
    /// Ids of the predecessor nodes (from `[{"id":n}]`, or bare ids).
    #[serde(deserialize_with = "predecessor_ids")]
    pub predecessors: Vec<i64>,
}

fn predecessor_ids<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<i64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items
            .iter()
            .filter_map(|p| value_as_i64(p.get("id").unwrap_or(p)))
            .collect(),
        _ => Vec::new(),
    })
}
