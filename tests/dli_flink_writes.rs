//! Flink job APIs of the DLI client, writes: create/update SQL jobs (003 §9.2/§9.3)
//! and Jar jobs (§9.4, seed 001), run (seed 002), stop (§9.10) and delete (§9.11,
//! §9.12) with one outcome per job matched by position, and the retry rule: a write
//! is repeated only after a 429 (never after a 5xx), while a read is retried.
//! Bodies are compared exactly (absent options are not sent).

use dli_pg_gateway::dli::flink::*;
use dli_pg_gateway::dli::*;
use serde_json::{Value, json};
use wiremock::matchers::{any, body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const P: &str = "p1";

fn fixture(name: &str) -> Value {
    let file = format!("{}/tests/fixtures/flink/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

async fn server() -> MockServer {
    let s = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500).set_body_string("unexpected request"))
        .with_priority(u8::MAX)
        .expect(0)
        .named("catch-all")
        .mount(&s)
        .await;
    s
}

fn client(s: &MockServer) -> DliClient {
    DliClient::new(DliClientConfig {
        endpoint: s.uri(),
        project_id: P.into(),
        region: "cn-north-4".into(),
        auth: DliAuthConfig {
            mode: AuthMode::None,
            ..Default::default()
        },
        max_read_retries: 3,
        retry_base_ms: 5,
        retry_max_ms: 40,
        request_timeout_secs: 5,
        ..Default::default()
    })
    .unwrap()
}

fn streaming(rest: &str) -> String {
    format!("/v1.0/{P}/streaming{rest}")
}

async fn expect(
    s: &MockServer,
    verb: &str,
    p: &str,
    body: Option<Value>,
    answer: ResponseTemplate,
) {
    let m = Mock::given(method(verb)).and(path(streaming(p)));
    let m = match body {
        Some(b) => m.and(body_json(b)),
        None => m,
    };
    m.respond_with(answer).expect(1).mount(s).await;
}

#[tokio::test]
async fn create_and_update_sql_jobs() {
    let s = server().await;
    // 003 §9.2's example request, checkpoint_mode sent as the table's Integer and
    // the JobManager CUs under both spellings.
    let create = json!({"name": "myjob", "desc": "This is a job used for counting characters.",
        "template_id": 100000, "queue_name": "testQueue", "sql_body": "select * from source_table",
        "run_mode": "exclusive_cluster", "cu_number": 2, "parallel_number": 1,
        "checkpoint_enabled": false, "checkpoint_mode": 1, "checkpoint_interval": 0,
        "obs_bucket": "my_obs_bucket", "log_enabled": false, "restart_when_exception": false,
        "idle_state_retention": 3600, "job_type": "flink_sql_job", "dirty_data_strategy": "0",
        "udf_jar_url": "group/test.jar", "manager_cu_number": 1, "manager_cunumber": 1,
        "tags": [{"key": "team", "value": "bi"}]});
    expect(
        &s,
        "POST",
        "/sql-jobs",
        Some(create),
        ok(fixture("create_sql_003.json")),
    )
    .await;
    // 003 §9.3: only what is given is sent; no create-only spelling.
    let update = json!({"name": "myjob2", "sql_body": "select 1", "checkpoint_mode": 2,
        "manager_cu_number": 1, "edge_group_ids": ["62de1e1c-066e-48a8-a79d-f461a31b2ee1"],
        "static_estimator_config": "{\"operator_list\":[]}"});
    expect(
        &s,
        "PUT",
        "/sql-jobs/148",
        Some(update),
        ok(fixture("update_sql_003.json")),
    )
    .await;
    let c = client(&s);
    let req = CreateSqlJobRequest {
        name: "myjob".into(),
        template_id: Some(100000),
        job_type: Some("flink_sql_job".into()),
        tags: vec![JobTag::new("team", "bi")],
        settings: SqlJobSettings {
            desc: Some("This is a job used for counting characters.".into()),
            queue_name: Some("testQueue".into()),
            sql_body: Some("select * from source_table".into()),
            run_mode: Some("exclusive_cluster".into()),
            cu_number: Some(2),
            parallel_number: Some(1),
            checkpoint_enabled: Some(false),
            checkpoint_mode: Some(CheckpointMode::ExactlyOnce),
            checkpoint_interval: Some(0),
            obs_bucket: Some("my_obs_bucket".into()),
            log_enabled: Some(false),
            restart_when_exception: Some(false),
            idle_state_retention: Some(3600),
            dirty_data_strategy: Some("0".into()),
            udf_jar_url: Some("group/test.jar".into()),
            manager_cu_number: Some(1),
            ..Default::default()
        },
    };
    let created = c.create_flink_sql_job(&req).await.unwrap();
    assert_eq!(created.message, "A DLI job is created successfully.");
    let job = created.job.unwrap();
    assert_eq!(
        (job.job_id, job.status_name.as_deref()),
        (148, Some("job_init"))
    );
    let req = UpdateSqlJobRequest {
        name: Some("myjob2".into()),
        edge_group_ids: vec!["62de1e1c-066e-48a8-a79d-f461a31b2ee1".into()],
        static_estimator_config: Some("{\"operator_list\":[]}".into()),
        settings: SqlJobSettings {
            sql_body: Some("select 1".into()),
            checkpoint_mode: Some(CheckpointMode::AtLeastOnce),
            manager_cu_number: Some(1),
            ..Default::default()
        },
        ..Default::default()
    };
    let updated = c.update_flink_sql_job(148, &req).await.unwrap();
    assert_eq!(updated.job.unwrap().update_time, Some(1578905682534));
}

fn jar_settings() -> JarJobSettings {
    JarJobSettings {
        desc: Some("job for test".into()),
        queue_name: Some("testQueue".into()),
        manager_cu_number: Some(1),
        cu_number: Some(2),
        parallel_number: Some(1),
        log_enabled: Some(false),
        main_class: Some("org.apache.flink.examples.streaming.JavaQueueStream".into()),
        restart_when_exception: Some(false),
        entrypoint: Some("FemaleInfoCollec.jar".into()),
        dependency_jars: Some(vec!["myGroup/test.jar".into(), "myGroup/test1.jar".into()]),
        dependency_files: Some(vec!["myGroup/test.csv".into(), "myGroup/test1.csv".into()]),
        ..Default::default()
    }
}

#[tokio::test]
async fn create_and_update_jar_jobs() {
    let s = server().await;
    // Seed 001's example request (job_type added by the client when not given).
    let mut update = json!({"name": "test1", "desc": "job for test", "job_type": "flink_jar_job",
        "queue_name": "testQueue", "manager_cu_number": 1, "cu_number": 2, "parallel_number": 1,
        "log_enabled": false, "main_class": "org.apache.flink.examples.streaming.JavaQueueStream",
        "restart_when_exception": false, "entrypoint": "FemaleInfoCollec.jar",
        "dependency_jars": ["myGroup/test.jar", "myGroup/test1.jar"],
        "dependency_files": ["myGroup/test.csv", "myGroup/test1.csv"]});
    expect(
        &s,
        "PUT",
        "/flink-jobs/138",
        Some(update.clone()),
        ok(fixture("update_jar_001.json")),
    )
    .await;
    // 003 §9.4 has no job_type.
    let obj = update.as_object_mut().unwrap();
    obj.remove("job_type");
    obj.insert("entrypoint_args".into(), json!("-windowSize 2000 -rate3"));
    expect(
        &s,
        "POST",
        "/flink-jobs",
        Some(update),
        ok(fixture("create_jar_003.json")),
    )
    .await;
    let c = client(&s);
    let req = UpdateJarJobRequest {
        name: Some("test1".into()),
        settings: jar_settings(),
        job_type: None,
    };
    let updated = c.update_flink_jar_job(138, &req).await.unwrap();
    assert_eq!(updated.message, "The Flink job is updated successfully.");
    assert_eq!(updated.job.unwrap().update_time, Some(1516952770835));
    let req = CreateJarJobRequest {
        name: "test1".into(),
        settings: JarJobSettings {
            entrypoint_args: Some("-windowSize 2000 -rate3".into()),
            ..jar_settings()
        },
        tags: vec![],
    };
    let created = c.create_flink_jar_job(&req).await.unwrap();
    assert_eq!(created.job.unwrap().job_id, 138);
}

fn summary(o: &[JobOutcome]) -> Vec<(i64, OutcomeStatus, bool)> {
    o.iter()
        .map(|o| (o.job_id, o.status, o.shared_answer))
        .collect()
}

#[tokio::test]
async fn run_stop_delete_outcomes_by_position() {
    use OutcomeStatus::*;
    let s = server().await;
    // Seed 002: an array, one element per job.
    let run = json!({"job_ids": [131, 130, 138, 137], "resume_savepoint": true});
    expect(
        &s,
        "POST",
        "/jobs/run",
        Some(run),
        ok(fixture("run_002.json")),
    )
    .await;
    // 003 §9.10: one object for the whole batch.
    let stop = json!({"job_ids": [128, 137], "trigger_savepoint": false});
    expect(
        &s,
        "POST",
        "/jobs/stop",
        Some(stop),
        ok(fixture("stop_003.json")),
    )
    .await;
    // 003 §9.12: one object; §9.11: DELETE of one job.
    let del = json!({"job_ids": [12, 232]});
    expect(
        &s,
        "POST",
        "/jobs/delete",
        Some(del),
        ok(fixture("delete_batch_003.json")),
    )
    .await;
    expect(
        &s,
        "DELETE",
        "/jobs/12",
        None,
        ok(fixture("delete_003.json")),
    )
    .await;
    let c = client(&s);
    let o = c
        .run_flink_jobs(&[131, 130, 138, 137], Some(true))
        .await
        .unwrap();
    assert_eq!(
        summary(&o),
        [
            (131, Accepted, false),
            (130, Accepted, false),
            (138, Accepted, false),
            (137, Accepted, false)
        ]
    );
    assert_eq!(
        o[0].message,
        "The request for submitting DLI jobs is delivered successfully."
    );
    let o = c.stop_flink_jobs(&[128, 137], Some(false)).await.unwrap();
    assert_eq!(summary(&o), [(128, Accepted, true), (137, Accepted, true)]);
    let o = c.delete_flink_jobs(&[12, 232]).await.unwrap();
    assert_eq!(summary(&o), [(12, Accepted, true), (232, Accepted, true)]);
    let m = c.delete_flink_job(12).await.unwrap();
    assert_eq!(m.message, "The job is deleted successfully.");
}

#[tokio::test]
async fn batch_variants_array_short_array_and_refusals() {
    use OutcomeStatus::*;
    let s = server().await;
    // The current Chinese stop page answers an array; one element for two jobs
    // leaves the second Unknown. A mixed run array keeps each job's own message.
    expect(
        &s,
        "POST",
        "/jobs/stop",
        None,
        ok(fixture("stop_array_cn.json")),
    )
    .await;
    let mixed = json!([{"is_success": true, "message": "ok"},
                       {"is_success": "false", "message": "job 9 is running"}]);
    expect(
        &s,
        "POST",
        "/jobs/run",
        Some(json!({"job_ids": [8, 9]})),
        ok(mixed),
    )
    .await;
    let refused = json!({"is_success": false, "error_code": "DLI.0002", "message": "no such job"});
    expect(&s, "POST", "/jobs/delete", None, ok(refused)).await;
    let c = client(&s);
    let o = c.stop_flink_jobs(&[1, 2], None).await.unwrap();
    assert_eq!(summary(&o), [(1, Accepted, false), (2, Unknown, false)]);
    assert_eq!(o[0].message, "作业停止请求下发成功");
    let o = c.run_flink_jobs(&[8, 9], None).await.unwrap();
    assert_eq!(summary(&o), [(8, Accepted, false), (9, Refused, false)]);
    assert_eq!(o[1].message, "job 9 is running");
    let o = c.delete_flink_jobs(&[3, 4]).await.unwrap();
    assert_eq!(summary(&o), [(3, Refused, true), (4, Refused, true)]);
    assert_eq!(
        (o[0].error_code.as_deref(), o[0].message.as_str()),
        (Some("DLI.0002"), "no such job")
    );
}

#[tokio::test]
async fn writes_are_not_retried_after_5xx_but_reads_are() {
    let s = server().await;
    for (verb, p) in [
        ("POST", "/jobs/run"),
        ("POST", "/sql-jobs"),
        ("PUT", "/flink-jobs/5"),
        ("DELETE", "/jobs/5"),
    ] {
        expect(&s, verb, p, None, ResponseTemplate::new(503)).await;
    }
    // A read: one 503, then the answer.
    Mock::given(method("GET"))
        .and(path(streaming("/jobs/5/execute-graph")))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .expect(1)
        .mount(&s)
        .await;
    expect(
        &s,
        "GET",
        "/jobs/5/execute-graph",
        None,
        ok(fixture("execute_graph_003.json")),
    )
    .await;
    let c = client(&s);
    let e = c.run_flink_jobs(&[5], None).await.unwrap_err();
    assert_eq!((e.kind, e.http_status), (DliErrorKind::Server, Some(503)));
    let req = CreateSqlJobRequest {
        name: "x".into(),
        ..Default::default()
    };
    assert_eq!(
        c.create_flink_sql_job(&req).await.unwrap_err().kind,
        DliErrorKind::Server
    );
    let req = UpdateJarJobRequest::default();
    let e = c.update_flink_jar_job(5, &req).await.unwrap_err();
    assert_eq!(
        (e.kind, e.job_id.as_deref()),
        (DliErrorKind::Server, Some("5"))
    );
    assert_eq!(
        c.delete_flink_job(5).await.unwrap_err().kind,
        DliErrorKind::Server
    );
    assert_eq!(
        c.flink_execute_graph(5).await.unwrap().state.as_deref(),
        Some("RUNNING")
    );
}

#[tokio::test]
async fn writes_are_retried_after_429_honouring_retry_after() {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path(streaming("/jobs/stop")))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&s)
        .await;
    expect(&s, "POST", "/jobs/stop", None, ok(fixture("stop_003.json"))).await;
    let o = client(&s).stop_flink_jobs(&[1], None).await.unwrap();
    assert!(o[0].is_accepted());
}
