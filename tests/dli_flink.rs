//! Flink job APIs of the DLI client, reads: the job list (seed 004, 003 §9.7) with
//! every filter and paging, details (§9.8), execution plan (§9.9), static stream
//! graph (seed 000), the documented error answers and the lenient variants. One
//! fixture per documented example under tests/fixtures/flink/ (the file name says
//! where it comes from). Every server has a catch-all that must never be hit.

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

/// The query pairs of every request received, decoded and sorted.
async fn queries(s: &MockServer) -> Vec<Vec<(String, String)>> {
    let reqs = s.received_requests().await.unwrap_or_default();
    reqs.iter()
        .map(|r| {
            let mut q: Vec<(String, String)> = r.url.query_pairs().into_owned().collect();
            q.sort();
            q
        })
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn list_sends_every_filter_and_reads_both_documented_examples() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path(streaming("/jobs")))
        .respond_with(ok(fixture("list_004.json")))
        .expect(2)
        .mount(&s)
        .await;
    let c = client(&s);
    let q = ListFlinkJobsQuery {
        name: Some("my job".into()),
        status: Some("job_running".into()),
        job_type: Some("flink_opensource_sql_job".into()),
        queue_name: Some("general_q".into()),
        user_name: Some("alice".into()),
        tags: vec![JobTag::new("team", "bi"), JobTag::new("env", "prod")],
        sys_enterprise_project_name: Some("default".into()),
        root_job_id: Some(77),
        show_detail: Some(true),
        order: Some("asc".into()),
        limit: Some(20),
        offset: Some(40),
    };
    let list = c.list_flink_jobs(&q).await.unwrap();
    assert_eq!(list.message, "作业列表查询成功");
    let page = list.job_list.unwrap();
    assert_eq!(page.total_count, Some(26));
    let j = &page.jobs[0];
    assert_eq!((j.job_id, j.name.as_str()), (146, "aaaaa"));
    assert_eq!(j.job_type.as_deref(), Some("flink_sql_job"));
    assert_eq!(j.status.as_deref(), Some("job_init"));
    assert_eq!(j.create_time, Some(1578892414688));
    assert_eq!(
        (j.duration, j.root_id, j.start_time),
        (Some(0), Some(-1), None)
    );
    assert_eq!((j.desc.as_deref(), j.user()), (None, None));
    // No filter at all: no query string.
    c.list_flink_jobs(&ListFlinkJobsQuery::default())
        .await
        .unwrap();
    let got = queries(&s).await;
    assert_eq!(
        got[0],
        pairs(&[
            ("name", "my job"),
            ("status", "job_running"),
            ("job_type", "flink_opensource_sql_job"),
            ("queue_name", "general_q"),
            ("user_name", "alice"),
            ("tags", "team=bi,env=prod"),
            ("sys_enterprise_project_name", "default"),
            ("root_job_id", "77"),
            ("show_detail", "true"),
            ("order", "asc"),
            ("limit", "20"),
            ("offset", "40"),
        ])
    );
    assert!(got[1].is_empty(), "{:?}", got[1]);

    // 003 §9.7's English example adds graph_editor_enabled / has_savepoint.
    let s = server().await;
    Mock::given(method("GET"))
        .and(path(streaming("/jobs")))
        .respond_with(ok(fixture("list_003.json")))
        .mount(&s)
        .await;
    let list = client(&s)
        .list_flink_jobs(&ListFlinkJobsQuery::default())
        .await
        .unwrap();
    let j = &list.job_list.unwrap().jobs[0];
    assert_eq!(
        (j.graph_editor_enabled, j.has_savepoint),
        (Some(false), Some(false))
    );
}

fn job(id: i64) -> Value {
    json!({"job_id": id, "name": format!("j{id}"), "status": "job_running"})
}

#[tokio::test]
async fn list_all_pages_through_total_count_and_short_pages() {
    let s = server().await;
    let page1: Vec<Value> = (0..100).map(job).collect();
    let page2: Vec<Value> = (100..130).map(job).collect();
    for (offset, jobs) in [("0", page1), ("100", page2)] {
        Mock::given(method("GET"))
            .and(path(streaming("/jobs")))
            .and(wiremock::matchers::query_param("offset", offset))
            .respond_with(ok(json!({"is_success": true, "message": "",
                "job_list": {"total_count": 130, "jobs": jobs}})))
            .expect(1)
            .mount(&s)
            .await;
    }
    let filter = ListFlinkJobsQuery {
        status: Some("job_running".into()),
        limit: Some(5),
        ..Default::default()
    };
    let all = client(&s).list_all_flink_jobs(&filter).await.unwrap();
    let ids: Vec<i64> = all.iter().map(|j| j.job_id).collect();
    assert_eq!(ids, (0..130).collect::<Vec<_>>());
    for q in queries(&s).await {
        assert!(q.contains(&("limit".into(), "100".into())), "{q:?}");
        assert!(
            q.contains(&("status".into(), "job_running".into())),
            "{q:?}"
        );
    }

    // No total_count: a short page ends the listing.
    let s = server().await;
    Mock::given(method("GET"))
        .and(path(streaming("/jobs")))
        .respond_with(ok(json!({"job_list": {"jobs": [job(1), job(2)]}})))
        .expect(1)
        .mount(&s)
        .await;
    let all = client(&s)
        .list_all_flink_jobs(&ListFlinkJobsQuery::default())
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
}

#[tokio::test]
async fn lenient_variants_of_the_job_object() {
    let s = server().await;
    // Table spelling `username`, `job_id` as text, start_time 0, is_success a real
    // boolean, checkpoint_mode as the Integer of the request tables, 003 §9.7's
    // `executor_cpu_number`, null lists, a null job_config.
    let body = json!({"is_success": true, "job_list": {"total_count": "2", "jobs": [
        {"job_id": "7", "name": "a", "username": "bob", "start_time": 0,
         "job_config": {"checkpoint_mode": 2, "executor_cpu_number": 4,
                        "dependency_jars": null, "cu_number": "3", "log_enabled": "true"}},
        {"job_id": 8, "name": "b", "user_name": "carol", "start_time": null, "job_config": null}
    ]}});
    Mock::given(method("GET"))
        .and(path(streaming("/jobs")))
        .respond_with(ok(body))
        .mount(&s)
        .await;
    let page = client(&s)
        .list_flink_jobs(&ListFlinkJobsQuery::default())
        .await
        .unwrap()
        .job_list
        .unwrap();
    assert_eq!(page.total_count, Some(2));
    let (a, b) = (&page.jobs[0], &page.jobs[1]);
    assert_eq!((a.job_id, a.user(), a.start_time), (7, Some("bob"), None));
    let cfg = a.job_config.as_ref().unwrap();
    assert_eq!(cfg.checkpoint_mode, Some(CheckpointMode::AtLeastOnce));
    assert_eq!(
        (cfg.executor_cus(), cfg.cu_number, cfg.log_enabled),
        (Some(4), Some(3), Some(true))
    );
    assert!(cfg.dependency_jars.is_empty());
    assert_eq!(
        (b.job_id, b.user(), &b.job_config),
        (8, Some("carol"), &None)
    );
}

#[tokio::test]
async fn details_of_a_jar_job_and_an_opensource_sql_job() {
    let s = server().await;
    for (id, name) in [
        (104, "details_jar_003.json"),
        (90634, "details_opensource_003.json"),
    ] {
        Mock::given(method("GET"))
            .and(path(streaming(&format!("/jobs/{id}"))))
            .respond_with(ok(fixture(name)))
            .expect(1)
            .mount(&s)
            .await;
    }
    let c = client(&s);
    let jar = c.flink_job(104).await.unwrap();
    assert_eq!((jar.job_id, jar.name.as_str()), (104, "jptest"));
    assert_eq!(jar.job_type.as_deref(), Some("flink_jar_job"));
    assert_eq!(jar.run_mode.as_deref(), Some("exclusive_cluster"));
    assert_eq!(
        (jar.start_time, jar.update_time),
        (None, Some(1578467395713))
    );
    assert_eq!(
        (jar.sql_body.as_deref(), jar.main_class.as_deref()),
        (None, None)
    );
    let cfg = jar.job_config.unwrap();
    assert_eq!(cfg.checkpoint_mode, Some(CheckpointMode::ExactlyOnce));
    assert_eq!(
        (cfg.checkpoint_interval, cfg.idle_state_retention),
        (Some(10), Some(3600))
    );
    assert_eq!(cfg.entrypoint.as_deref(), Some("FemaleInfoCollection.jar"));
    assert_eq!(
        cfg.dependency_jars,
        ["FemaleInfoCollection.jar", "ObsBatchTest.jar"]
    );
    assert_eq!(cfg.dependency_files.len(), 2);
    assert_eq!((cfg.executor_cus(), cfg.manager_cus()), (None, Some(1)));

    let sql = c.flink_job(90634).await.unwrap();
    assert_eq!(sql.job_type.as_deref(), Some("flink_opensource_sql_job"));
    assert_eq!(sql.status.as_deref(), Some("job_cancel_success"));
    assert_eq!(sql.start_time, Some(1638433497621));
    let cfg = sql.job_config.unwrap();
    assert_eq!(
        (cfg.checkpoint_enabled, cfg.parallel_number, cfg.tm_slot_num),
        (Some(true), Some(3), Some(3))
    );
    assert_eq!(cfg.dirty_data_strategy.as_deref(), Some("0"));
    assert_eq!(cfg.resume_max_num, Some(-1));
    assert_eq!(cfg.flink_version, None);
}

#[tokio::test]
async fn execution_plan() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path(streaming("/jobs/146/execute-graph")))
        .respond_with(ok(fixture("execute_graph_003.json")))
        .expect(1)
        .mount(&s)
        .await;
    let g = client(&s).flink_execute_graph(146).await.unwrap();
    assert_eq!(g.jid, "4e966f43f2c90b0e1bf3188ecf55504b");
    assert_eq!(
        (g.state.as_deref(), g.is_stoppable),
        (Some("RUNNING"), Some(false))
    );
    assert_eq!(
        (g.start_time, g.end_time, g.duration),
        (Some(1578904488436), None, Some(516274))
    );
}

#[tokio::test]
async fn stream_graph_from_gen_graph() {
    let s = server().await;
    // Seed 000's example request, with the job's SQL instead of "".
    let sent = json!({"cu_number": 4, "manager_cu_number": 1, "parallel_number": 4, "tm_cus": 1,
        "tm_slot_num": 1, "sql_body": "insert into k select * from s", "operator_config": "",
        "static_estimator": true, "job_type": "flink_opensource_sql_job", "graph_type": "job_graph"});
    Mock::given(method("POST"))
        .and(path(format!("/v3/{P}/streaming/jobs/90634/gen-graph")))
        .and(body_json(&sent))
        .respond_with(ok(fixture("gen_graph_000.json")))
        .expect(1)
        .mount(&s)
        .await;
    let req = GenGraphRequest {
        sql_body: "insert into k select * from s".into(),
        cu_number: Some(4),
        manager_cu_number: Some(1),
        parallel_number: Some(4),
        tm_cus: Some(1),
        tm_slot_num: Some(1),
        operator_config: Some(String::new()),
        static_estimator: Some(true),
        job_type: Some("flink_opensource_sql_job".into()),
        graph_type: Some("job_graph".into()),
        ..Default::default()
    };
    let c = client(&s);
    let g = c.flink_stream_graph(90634, &req).await.unwrap();
    let shape: Vec<(i64, &str, &str, Vec<i64>)> = g
        .nodes
        .iter()
        .map(|n| {
            (
                n.id,
                n.node_type.as_str(),
                n.contents.as_str(),
                n.predecessors.clone(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            (1, "Source", "kafkaSource", vec![]),
            (
                2,
                "select",
                "car_id, car_owner, car_brand, car_speed",
                vec![1]
            ),
            (4, "Sink", "kafkaSink", vec![2]),
        ]
    );
    assert_eq!(g.nodes[0].operator_id, "bc764cd8ddf7a0cff126f51c16239658");
    assert_eq!(g.nodes[2].parallelism, Some(1));

    // Tolerated: stream_graph as an object and bare predecessor ids; a string that
    // is not a graph is a Decode error.
    let s = server().await;
    Mock::given(method("POST"))
        .and(path(format!("/v3/{P}/streaming/jobs/1/gen-graph")))
        .respond_with(ok(json!({"is_success": "true", "error_code": "", "stream_graph":
            {"nodes": [{"id": 1, "type": "Source"}, {"id": "3", "type": "Sink", "predecessors": [1]}]}})))
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v3/{P}/streaming/jobs/2/gen-graph")))
        .respond_with(ok(json!({"is_success": true, "stream_graph": "not json"})))
        .mount(&s)
        .await;
    let c = client(&s);
    let g = c
        .flink_stream_graph(1, &GenGraphRequest::default())
        .await
        .unwrap();
    assert_eq!(g.nodes[1].id, 3);
    assert_eq!(g.nodes[1].predecessors, [1]);
    let e = c
        .flink_stream_graph(2, &GenGraphRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind, e.job_id.as_deref()),
        (DliErrorKind::Decode, Some("2"))
    );
}

#[tokio::test]
async fn documented_errors_map_to_kinds() {
    let cases = fixture("errors.json");
    for case in cases.as_array().unwrap() {
        let s = server().await;
        let status = case["status"].as_u64().unwrap() as u16;
        Mock::given(method("GET"))
            .and(path(streaming("/jobs/5")))
            .respond_with(ResponseTemplate::new(status).set_body_json(&case["body"]))
            .expect(1)
            .mount(&s)
            .await;
        let e = client(&s).flink_job(5).await.unwrap_err();
        let why = case["why"].as_str().unwrap();
        assert_eq!(e.kind.as_str(), case["kind"].as_str().unwrap(), "{why}");
        assert_eq!(
            e.code.as_deref(),
            case["body"]["error_code"].as_str(),
            "{why}"
        );
        assert_eq!(e.job_id.as_deref(), Some("5"), "{why}");
        let msg = case["body"]["error_msg"]
            .as_str()
            .or(case["body"]["message"].as_str());
        assert_eq!(Some(e.message.as_str()), msg, "{why}");
    }
}
