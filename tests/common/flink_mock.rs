//! A wiremock DLI that answers the Flink job APIs from a small stateful registry (list
//! with filters and paging, details, run/stop/delete in batches, create and update —
//! where an omitted field falls back to its default, the pessimistic reading of the
//! documents —, execute-graph and gen-graph), an empty catalog, and a catch-all that
//! counts anything else (a Spark SQL job submission would land there). Used until the
//! embedded service emulates the Flink APIs.

use std::sync::{Arc, Mutex};

use serde_json::{Map, Value, json};
use wiremock::matchers::{any, method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const P: &str = "p1";

/// One fake Flink job.
#[derive(Clone, Debug)]
pub struct Job {
    pub id: i64,
    pub name: String,
    pub job_type: String,
    pub status: String,
    pub queue: String,
    pub user: String,
    pub sql_body: String,
    /// The job's `job_config` (and Jar fields kept at top level: main_class …).
    pub config: Map<String, Value>,
    pub top: Map<String, Value>,
}

#[derive(Default)]
pub struct State {
    pub jobs: Vec<Job>,
    pub next_id: i64,
    /// Bodies of every write received (method, path, body).
    pub writes: Vec<(String, String, Value)>,
}

pub type Shared = Arc<Mutex<State>>;

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

fn missing() -> ResponseTemplate {
    ResponseTemplate::new(400).set_body_json(
        json!({"is_success": "false", "error_code": "DLI.0002", "error_msg": "The job does not exist."}),
    )
}

fn job_json(j: &Job, detail: bool) -> Value {
    let mut v = json!({
        "job_id": j.id, "name": j.name, "desc": "", "user_name": j.user, "job_type": j.job_type,
        "status": j.status, "status_desc": "", "create_time": 1_700_000_000_000i64 + j.id,
        "start_time": if j.status == "job_running" { json!(1_700_000_100_000i64) } else { json!(0) },
        "update_time": 1_700_000_000_000i64, "duration": 0, "root_id": -1,
        "queue_name": j.queue,
    });
    if detail {
        v["sql_body"] = json!(j.sql_body);
        v["job_config"] = Value::Object(j.config.clone());
        for (k, x) in &j.top {
            v[k] = x.clone();
        }
    }
    v
}

struct Flink(Shared);

fn id_of(path: &str, after: &str) -> Option<i64> {
    let rest = path.split(after).nth(1)?;
    rest.split('/').next()?.parse().ok()
}

const SQL_CONFIG: &[&str] = &[
    "cu_number",
    "parallel_number",
    "checkpoint_enabled",
    "checkpoint_mode",
    "checkpoint_interval",
    "obs_bucket",
    "log_enabled",
    "smn_topic",
    "restart_when_exception",
    "idle_state_retention",
    "dirty_data_strategy",
    "udf_jar_url",
    "manager_cu_number",
    "tm_cus",
    "tm_slot_num",
    "resume_checkpoint",
    "resume_max_num",
    "runtime_config",
];
const JAR_CONFIG: &[&str] = &[
    "cu_number",
    "manager_cu_number",
    "parallel_number",
    "log_enabled",
    "obs_bucket",
    "smn_topic",
    "restart_when_exception",
    "entrypoint",
    "dependency_jars",
    "dependency_files",
    "tm_cus",
    "tm_slot_num",
    "resume_checkpoint",
    "resume_max_num",
    "checkpoint_path",
    "runtime_config",
];

/// A PUT/POST body applied to a job: every documented field is replaced, omitted ones
/// reset (null) — DLI's "default" for an omitted field.
fn apply(j: &mut Job, body: &Value, jar: bool) {
    let fields = if jar { JAR_CONFIG } else { SQL_CONFIG };
    for f in fields {
        j.config
            .insert((*f).into(), body.get(*f).cloned().unwrap_or(Value::Null));
    }
    if let Some(n) = body.get("name").and_then(Value::as_str) {
        j.name = n.into();
    }
    j.queue = body
        .get("queue_name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .into();
    if jar {
        for f in ["main_class", "entrypoint_args"] {
            j.top
                .insert(f.into(), body.get(f).cloned().unwrap_or(Value::Null));
        }
    } else {
        j.sql_body = body
            .get("sql_body")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .into();
    }
}

impl Respond for Flink {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let Ok(mut st) = self.0.lock() else {
            return ResponseTemplate::new(500);
        };
        let p = req.url.path().to_string();
        let m = req.method.to_string();
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        if m != "GET" {
            st.writes.push((m.clone(), p.clone(), body.clone()));
        }
        let q = |k: &str| {
            req.url
                .query_pairs()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.into_owned())
        };
        let base = format!("/v1.0/{P}/streaming");
        if m == "GET" && p == format!("{base}/jobs") {
            let mut jobs: Vec<&Job> = st
                .jobs
                .iter()
                .filter(|j| q("status").is_none_or(|s| j.status == s))
                .filter(|j| q("job_type").is_none_or(|s| j.job_type == s))
                .filter(|j| q("queue_name").is_none_or(|s| j.queue == s))
                .filter(|j| q("name").is_none_or(|s| j.name == s))
                .filter(|j| q("user_name").is_none_or(|s| j.user == s))
                .collect();
            jobs.sort_by_key(|j| -j.id);
            let limit: usize = q("limit")
                .and_then(|l| l.parse().ok())
                .unwrap_or(10)
                .min(100);
            let offset: usize = q("offset").and_then(|l| l.parse().ok()).unwrap_or(0);
            let detail = q("show_detail").as_deref() == Some("true");
            let page: Vec<Value> = jobs
                .iter()
                .skip(offset)
                .take(limit)
                .map(|j| job_json(j, detail))
                .collect();
            return ok(json!({"is_success": "true", "message": "",
                "job_list": {"total_count": jobs.len(), "jobs": page}}));
        }
        if m == "GET" && p.ends_with("/execute-graph") {
            let id = id_of(&p, "/jobs/");
            return match st.jobs.iter().find(|j| Some(j.id) == id) {
                Some(j) => ok(
                    json!({"is_success": "true", "message": "", "execute_graph": {
                    "jid": format!("jid-{}", j.id), "name": j.name, "isStoppable": true,
                    "state": "RUNNING", "start-time": 1578904488436i64, "end-time": -1, "duration": 5}}),
                ),
                None => missing(),
            };
        }
        if m == "GET" && p.starts_with(&format!("{base}/jobs/")) {
            let id = id_of(&p, "/jobs/");
            return match st.jobs.iter().find(|j| Some(j.id) == id) {
                Some(j) => ok(
                    json!({"is_success": "true", "message": "", "job_detail": job_json(j, true)}),
                ),
                None => missing(),
            };
        }
        if m == "POST" && (p.ends_with("/jobs/run") || p.ends_with("/jobs/stop")) {
            let run = p.ends_with("/run");
            let ids: Vec<i64> = body["job_ids"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_i64).collect())
                .unwrap_or_default();
            let mut out = Vec::new();
            for id in ids {
                let Some(j) = st.jobs.iter_mut().find(|j| j.id == id) else {
                    out.push(
                        json!({"is_success": "false", "message": format!("job {id} not found")}),
                    );
                    continue;
                };
                if run && j.status == "job_running" {
                    out.push(
                        json!({"is_success": "false", "message": "The job is already running."}),
                    );
                } else if !run && j.status != "job_running" {
                    out.push(json!({"is_success": "false", "message": "The job is not running."}));
                } else {
                    j.status = if run {
                        "job_running"
                    } else {
                        "job_cancel_success"
                    }
                    .into();
                    out.push(json!({"is_success": "true", "message": "The request for submitting DLI jobs is delivered successfully."}));
                }
            }
            return ok(Value::Array(out));
        }
        if m == "PUT" && (p.contains("/flink-jobs/") || p.contains("/sql-jobs/")) {
            let jar = p.contains("/flink-jobs/");
            let id = id_of(&p, if jar { "/flink-jobs/" } else { "/sql-jobs/" });
            return match st.jobs.iter_mut().find(|j| Some(j.id) == id) {
                Some(j) => {
                    apply(j, &body, jar);
                    ok(
                        json!({"is_success": "true", "message": "The job is updated successfully.",
                        "job": {"update_time": 1_700_000_500_000i64}}),
                    )
                }
                None => missing(),
            };
        }
        if m == "POST" && (p == format!("{base}/sql-jobs") || p == format!("{base}/flink-jobs")) {
            let jar = p.ends_with("flink-jobs");
            let name = body["name"].as_str().unwrap_or_default().to_string();
            if st.jobs.iter().any(|j| j.name == name) {
                return ResponseTemplate::new(400).set_body_json(
                    json!({"error_code": "DLI.0006", "error_msg": "The job name already exists."}),
                );
            }
            st.next_id += 1;
            let mut j = Job {
                id: st.next_id,
                name,
                job_type: if jar {
                    "flink_jar_job".into()
                } else {
                    body["job_type"].as_str().unwrap_or("flink_sql_job").into()
                },
                status: "job_init".into(),
                queue: String::new(),
                user: "dli".into(),
                sql_body: String::new(),
                config: Map::new(),
                top: Map::new(),
            };
            apply(&mut j, &body, jar);
            let id = j.id;
            st.jobs.push(j);
            return ok(
                json!({"is_success": "true", "message": "A DLI job is created successfully.",
                "job": {"job_id": id, "status_name": "job_init", "status_desc": ""}}),
            );
        }
        if m == "POST" && p.ends_with("/gen-graph") {
            let id = id_of(&p, "/jobs/");
            if !st.jobs.iter().any(|j| Some(j.id) == id) {
                return missing();
            }
            let graph = json!({"nodes": [
                {"id": 1, "operator_id": "a1", "type": "Source", "contents": "kafkaSource", "parallelism": 1},
                {"id": 2, "operator_id": "b2", "type": "select", "contents": "car_id", "parallelism": 1, "predecessors": [{"id": 1}]},
                {"id": 4, "operator_id": "c4", "type": "Sink", "contents": "kafkaSink", "parallelism": 1, "predecessors": [{"id": 2}]}
            ]});
            return ok(json!({"is_success": true, "message": "", "error_code": "",
                "stream_graph": graph.to_string()}));
        }
        ResponseTemplate::new(500).set_body_string("unexpected Flink request")
    }
}

/// A DLI with `jobs` and an empty catalog.
pub async fn start(jobs: Vec<Job>) -> (MockServer, Shared) {
    let server = MockServer::start().await;
    let next_id = jobs.iter().map(|j| j.id).max().unwrap_or(0);
    let state: Shared = Arc::new(Mutex::new(State {
        jobs,
        next_id,
        writes: Vec::new(),
    }));
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/{P}/databases")))
        .respond_with(ok(
            json!({"is_success": true, "message": "", "database_count": 0, "databases": []}),
        ))
        .mount(&server)
        .await;
    Mock::given(path_regex(format!(r"^/(v1\.0|v3)/{P}/streaming/")))
        .respond_with(Flink(state.clone()))
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500).set_body_string("not a Flink API"))
        .with_priority(u8::MAX)
        .mount(&server)
        .await;
    (server, state)
}

/// A job for the registry.
pub fn job(id: i64, name: &str, job_type: &str, status: &str, queue: &str) -> Job {
    Job {
        id,
        name: name.into(),
        job_type: job_type.into(),
        status: status.into(),
        queue: queue.into(),
        user: if id % 2 == 0 { "alice" } else { "bob" }.into(),
        sql_body: "CREATE TABLE src (a INT) WITH ('connector' = 'kafka', 'password' = 'x''y');"
            .into(),
        config: Map::new(),
        top: Map::new(),
    }
}

/// Requests received that are not catalog or Flink calls (e.g. a Spark SQL job).
pub async fn foreign_requests(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| r.url.path().to_string())
        .filter(|p| !p.contains("/streaming/") && !p.ends_with("/databases"))
        .collect()
}

/// Flink API calls received so far, as `METHOD path?query`.
pub async fn flink_calls(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path().contains("/streaming/"))
        .map(|r| {
            format!(
                "{} {}{}",
                r.method,
                r.url.path(),
                r.url.query().map(|q| format!("?{q}")).unwrap_or_default()
            )
        })
        .collect()
}
