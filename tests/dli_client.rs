//! DLI REST client against a wiremock server: one JSON fixture per documented
//! shape (tests/fixtures/dli/, from the DLI API reference examples), error
//! families, retries, the never-blindly-retried submit, token and AK/SK auth.
//! Every server has a catch-all that fails the test on an unexpected request.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use dli_pg_gateway::dli::signer;
use dli_pg_gateway::dli::*;
use serde_json::{Value, json};
use wiremock::matchers::{
    any, body_partial_json, header, method, path, query_param, query_param_contains,
};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const P: &str = "p1";

fn fixture(name: &str) -> Value {
    let file = format!("{}/tests/fixtures/dli/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn ok(name: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(fixture(name))
}

/// A mock server whose lowest-priority catch-all answers 500 and must never be hit.
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

fn config(s: &MockServer) -> DliClientConfig {
    DliClientConfig {
        endpoint: s.uri(),
        project_id: P.into(),
        region: "cn-north-4".into(),
        queue: "default".into(),
        auth: DliAuthConfig {
            mode: AuthMode::None,
            ..Default::default()
        },
        max_read_retries: 3,
        retry_base_ms: 5,
        retry_max_ms: 40,
        request_timeout_secs: 5,
        submit_lookup_wait_ms: 300,
        ..Default::default()
    }
}

fn client(s: &MockServer) -> DliClient {
    DliClient::new(config(s)).unwrap()
}

fn jobs(rest: &str) -> String {
    format!("/v1.0/{P}/jobs{rest}")
}

#[tokio::test]
async fn job_status_one_fixture_per_state() {
    let s = server().await;
    let cases = [
        ("job_status_launching.json", JobState::Launching),
        ("job_status_running.json", JobState::Running),
        ("job_status_scaling.json", JobState::Scaling),
        ("job_status_finished.json", JobState::Finished),
        ("job_status_failed.json", JobState::Failed),
        ("job_status_cancelled.json", JobState::Cancelled),
    ];
    for (i, (file, _)) in cases.iter().enumerate() {
        Mock::given(method("GET"))
            .and(path(jobs(&format!("/job-{i}/status"))))
            .respond_with(ok(file))
            .expect(1)
            .mount(&s)
            .await;
    }
    let c = client(&s);
    for (i, (file, state)) in cases.iter().enumerate() {
        let st = c.job_status(&format!("job-{i}")).await.unwrap();
        assert_eq!(&st.status, state, "{file}");
        assert_eq!(st.status.is_terminal(), i >= 3, "{file}");
        assert_eq!(st.job_type, JobType::Query);
        assert_eq!(st.queue_name.as_deref(), Some("default"));
    }
}

#[tokio::test]
async fn finished_status_fields_and_detail_schema() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path(jobs("/208b08d4-0dc2-4dd7-8879-ddd4c020d7aa/status")))
        .respond_with(ok("job_status_finished.json"))
        .expect(1)
        .mount(&s)
        .await;
    let st = client(&s)
        .job_status("208b08d4-0dc2-4dd7-8879-ddd4c020d7aa")
        .await
        .unwrap();
    assert_eq!(st.job_id, "208b08d4-0dc2-4dd7-8879-ddd4c020d7aa");
    assert_eq!(st.job_mode.as_deref(), Some("async"));
    assert_eq!(
        (st.result_count, st.duration, st.input_size),
        (Some(4), Some(2523), Some(22))
    );
    assert_eq!(st.start_time, Some(1509335108918));
    assert_eq!(st.database_name.as_deref(), Some("dbtest"));
    assert_eq!(st.statement.as_deref(), Some("select * from t1"));
    assert_eq!(st.result_path, None);
    let cols = st.result_columns().unwrap();
    assert_eq!(
        cols,
        [Column::new("id", "int"), Column::new("name", "string")]
    );
    let detail = st.detail.as_deref().unwrap();
    assert_eq!(parse_struct_type(detail).unwrap().len(), 2);
}

#[tokio::test]
async fn failed_status_carries_message() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path(jobs("/f/status")))
        .respond_with(ok("job_status_failed.json"))
        .mount(&s)
        .await;
    let st = client(&s).job_status("f").await.unwrap();
    assert_eq!(st.status, JobState::Failed);
    assert!(
        st.message.contains("Table or view not found"),
        "{}",
        st.message
    );
    assert_eq!(st.result_columns(), None);
}

#[tokio::test]
async fn string_booleans_and_numbers_are_tolerated() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path(jobs("/quirk-1/status")))
        .respond_with(ok("job_status_string_quirks.json"))
        .mount(&s)
        .await;
    let st = client(&s).job_status("quirk-1").await.unwrap();
    assert_eq!(st.status, JobState::Finished);
    assert_eq!(st.job_type, JobType::Query);
    assert_eq!(
        (st.result_count, st.duration, st.start_time),
        (Some(12), Some(2523), Some(1509335108918))
    );
    assert_eq!(st.input_row_count, Some(12));
    assert_eq!(
        st.result_path.as_deref(),
        Some("file:///var/lib/dli/results/quirk-1")
    );
    assert_eq!(st.result_format.as_deref(), Some("parquet"));
}

#[tokio::test]
async fn preview_with_page_size() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path(jobs("/ead0b276/preview")))
        .and(query_param("page-size", "500"))
        .and(query_param("queue-name", "q1"))
        .respond_with(ok("preview.json"))
        .expect(1)
        .mount(&s)
        .await;
    let p = client(&s)
        .preview("ead0b276", Some(500), Some("q1"))
        .await
        .unwrap();
    assert_eq!(p.job_id, "ead0b276-8ed4-4eb5-b520-58f1511e7033");
    assert_eq!(
        (p.job_type, p.row_count, p.input_size),
        (JobType::Query, Some(1), Some(74))
    );
    assert_eq!(
        p.schema,
        [Column::new("c1", "int"), Column::new("c2", "string")]
    );
    assert_eq!(p.rows, vec![vec![json!(23), json!("sda")]]);
}

#[tokio::test]
async fn submit_sync_ddl_with_inline_schema_and_tags() {
    let s = server().await;
    let expected = fixture("submit_request_desc.json");
    Mock::given(method("POST"))
        .and(path(jobs("/submit-job")))
        .and(body_partial_json(
            json!({"sql": "desc table1", "currentdb": "db1", "queue_name": "default",
            "conf": ["dli.sql.shuffle.partitions = 200"]}),
        ))
        .and(header("content-type", "application/json"))
        .respond_with(ok("submit_sync_ddl.json"))
        .expect(1)
        .mount(&s)
        .await;
    let req = SubmitJobRequest {
        sql: expected["sql"].as_str().unwrap().into(),
        currentdb: Some("db1".into()),
        queue_name: None, // the configured queue ("default") is used
        conf: vec!["dli.sql.shuffle.partitions = 200".into()],
        tags: vec![
            JobTag::new("workspace", "space1"),
            JobTag::new("jobName", "name1"),
        ],
    };
    let r = client(&s).submit_job(&req).await.unwrap();
    assert!(r.is_sync());
    assert_eq!(
        (r.job_id.as_str(), r.job_type.clone()),
        ("8ecb0777-9c70-4529-9935-29ea0946039c", JobType::Ddl)
    );
    let names: Vec<_> = r.schema.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["col_name", "data_type", "comment"]);
    assert_eq!(
        r.rows,
        vec![
            vec![json!("c1"), json!("int"), Value::Null],
            vec![json!("c2"), json!("string"), Value::Null]
        ]
    );
    let sent: Value = s.received_requests().await.unwrap()[0].body_json().unwrap();
    let tags = sent["tags"].as_array().unwrap();
    assert_eq!(&tags[..2], expected["tags"].as_array().unwrap().as_slice());
    assert_eq!(tags[2]["key"], REQUEST_TAG);
    assert_eq!(tags[2]["value"].as_str().unwrap().len(), 36, "a uuid");
}

#[tokio::test]
async fn check_sql_sends_both_database_keys() {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path(jobs("/check-sql")))
        .and(body_partial_json(
            json!({"sql": "select * from t1", "currentdb": "db1", "current_db": "db1"}),
        ))
        .respond_with(ok("check_sql.json"))
        .expect(1)
        .mount(&s)
        .await;
    let r = client(&s)
        .check_sql("select * from t1", Some("db1"))
        .await
        .unwrap();
    assert_eq!(
        (r.job_type, r.message.as_str()),
        (JobType::Query, "the sql is ok")
    );
}

#[tokio::test]
async fn progress_uses_v1_path() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/{P}/jobs/85798b38/progress")))
        .respond_with(ok("progress.json"))
        .expect(1)
        .mount(&s)
        .await;
    let p = client(&s).job_progress("85798b38").await.unwrap();
    assert_eq!(
        (p.status, p.progress, p.sub_job_id),
        (JobState::Running, Some(0.0), Some(0))
    );
    assert_eq!(p.sub_jobs.len(), 1);
    let sj = &p.sub_jobs[0];
    assert_eq!(
        (sj.num_tasks, sj.num_active_tasks, sj.stage_ids.clone()),
        (1, 1, vec![0])
    );
    assert_eq!(sj.name, "runJob at FileFormatWriter.scala:266");
}

#[tokio::test]
async fn cancel_export_detail_and_list() {
    let s = server().await;
    Mock::given(method("DELETE"))
        .and(path(jobs("/j1")))
        .respond_with(ok("cancel.json"))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path(jobs("/j1/export-result")))
        .and(body_partial_json(
            json!({"data_path": "obs://obs-bucket1/path", "data_type": "json", "compress": "gzip"}),
        ))
        .respond_with(ok("export_result.json"))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path(jobs("/b89f/detail")))
        .respond_with(ok("job_detail_export.json"))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path(jobs("")))
        .and(query_param("job-status", "FINISHED"))
        .and(query_param("page-size", "10"))
        .and(query_param("tags", "k1=v1"))
        .and(query_param("queue_name", "queue1"))
        .respond_with(ok("job_list.json"))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s);
    assert_eq!(c.cancel_job("j1").await.unwrap().message, "");
    let export = ExportResultRequest {
        data_path: "obs://obs-bucket1/path".into(),
        data_type: "json".into(),
        compress: Some("gzip".into()),
        ..Default::default()
    };
    let e = c.export_result("j1", &export).await.unwrap();
    assert_eq!(
        (e.job_id.as_deref(), e.job_mode.as_deref()),
        (Some("37a40ef9-86f5-42e6-b4c6-8febec89cc20"), Some("async"))
    );
    let d = c.job_detail("b89f").await.unwrap();
    assert_eq!(
        (d.export_mode.as_deref(), d.data_path.as_deref()),
        (Some("Overwrite"), Some("obs://xxx/dli/path6"))
    );
    assert_eq!(
        (d.duration, d.table_name.as_deref()),
        (Some(4142), Some("autotest"))
    );
    let q = ListJobsQuery {
        page_size: Some(10),
        job_status: Some("FINISHED".into()),
        queue_name: Some("queue1".into()),
        tags: vec![JobTag::new("k1", "v1")],
        ..Default::default()
    };
    let list = c.list_jobs(&q).await.unwrap();
    assert_eq!(list.job_count, Some(1));
    let job = &list.jobs[0];
    assert_eq!(
        (job.status.clone(), job.result_count, job.end_time),
        (JobState::Finished, Some(3), Some(1502349821460))
    );
    assert_eq!(
        job.result_columns().unwrap(),
        [Column::new("name", "string"), Column::new("age", "int")]
    );
}

#[tokio::test]
async fn databases_all_pages() {
    let s = server().await;
    let db = format!("/v1.0/{P}/databases");
    Mock::given(method("GET"))
        .and(path(&db))
        .and(query_param("offset", "0"))
        .and(query_param("limit", "100"))
        .and(query_param("keyword", "a"))
        .respond_with(ok("databases_page1.json"))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path(&db))
        .and(query_param("offset", "2"))
        .and(query_param("limit", "100"))
        .respond_with(ok("databases_page2.json"))
        .expect(1)
        .mount(&s)
        .await;
    let all = client(&s).list_all_databases(Some("a")).await.unwrap();
    let names: Vec<_> = all.iter().map(|d| d.database_name.as_str()).collect();
    assert_eq!(names, ["db2", "default", "sales"]);
    assert_eq!(
        (all[0].table_number, all[1].table_number),
        (Some(15), Some(2))
    );
    assert_eq!(all[0].owner.as_deref(), Some("tenant1"));
}

#[tokio::test]
async fn tables_all_pages_and_single_page() {
    let s = server().await;
    let t = format!("/v1.0/{P}/databases/db1/tables");
    Mock::given(method("GET"))
        .and(path(&t))
        .and(query_param("current-page", "1"))
        .and(query_param("page-size", "100"))
        .respond_with(ok("tables_page1.json"))
        .expect(2)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path(&t))
        .and(query_param("current-page", "2"))
        .respond_with(ok("tables_page2.json"))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s);
    let all = c.list_all_tables("db1").await.unwrap();
    let names: Vec<_> = all
        .iter()
        .map(|t| (t.table_name.as_str(), t.table_type.as_deref()))
        .collect();
    assert_eq!(
        names,
        [
            ("obs_t", Some("EXTERNAL")),
            ("orders", Some("MANAGED")),
            ("v_orders", Some("VIEW"))
        ]
    );
    assert_eq!(all[0].partition_columns, ["a0"]);
    assert_eq!(
        all[0].location.as_deref(),
        Some("obs://DLI/sqldata/data.txt")
    );
    let q = ListTablesQuery {
        page_size: Some(100),
        current_page: Some(1),
        with_detail: Some(true),
        ..Default::default()
    };
    let page = c.list_tables("db1", &q).await.unwrap();
    assert_eq!((page.table_count, page.tables.len()), (Some(3), 2));
}

#[tokio::test]
async fn tables_with_detail_carry_comments_and_columns() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/{P}/databases/db1/tables")))
        .and(query_param("with-detail", "true"))
        .and(query_param("current-page", "1"))
        .and(query_param("page-size", "100"))
        .respond_with(ok("tables_detail.json"))
        .expect(1)
        .mount(&s)
        .await;
    let detailed = ListTablesQuery {
        with_detail: Some(true),
        ..Default::default()
    };
    let all = client(&s)
        .list_all_tables_with("db1", &detailed)
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    let items = &all[0];
    assert_eq!(items.table_comment.as_deref(), Some("things we sell"));
    assert_eq!(items.table_size, Some(2048));
    assert_eq!(items.partition_columns, ["dt"]);
    let cols: Vec<_> = items
        .columns
        .iter()
        .map(|c| {
            (
                c.column_name.as_str(),
                c.type_name.as_str(),
                c.is_partition_column,
            )
        })
        .collect();
    assert_eq!(
        cols,
        [
            ("id", "int", false),
            ("price", "decimal(10,2)", false),
            ("dt", "string", true)
        ]
    );
    assert_eq!(items.columns[0].description.as_deref(), Some("item id"));
    // an entry without detail fields: no comment, no columns (describe it instead)
    assert_eq!(all[1].table_name, "v_items");
    assert_eq!(all[1].table_comment, None);
    assert!(all[1].columns.is_empty());
}

#[tokio::test]
async fn describe_preview_and_path_encoding() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/{P}/databases/db1/tables/t1")))
        .respond_with(ok("describe_managed.json"))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/{P}/databases/my%20db/tables/we%2Fird")))
        .respond_with(ok("describe_external.json"))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/{P}/databases/db1/tables/t1/preview")))
        .respond_with(ok("table_preview.json"))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s);
    let d = c.describe_table("db1", "t1").await.unwrap();
    assert_eq!(
        (d.table_type.as_str(), d.column_count),
        ("MANAGED", Some(3))
    );
    let cols: Vec<_> = d
        .columns
        .iter()
        .map(|c| {
            (
                c.column_name.as_str(),
                c.type_name.as_str(),
                c.is_partition_column,
            )
        })
        .collect();
    assert_eq!(
        cols,
        [
            ("id", "int", false),
            ("name", "string", false),
            ("level", "string", true)
        ]
    );
    let e = c.describe_table("my db", "we/ird").await.unwrap();
    assert_eq!(
        (e.table_type.as_str(), e.data_type.as_deref()),
        ("EXTERNAL", Some("parquet"))
    );
    assert!(e.columns[1].is_partition_column, "\"true\" as a string");
    assert_eq!(e.storage_properties.len(), 6);
    assert_eq!(
        (
            e.storage_properties[5].key.as_str(),
            e.storage_properties[5].value.as_str()
        ),
        ("delimiter", ",")
    );
    let p = c.table_preview("db1", "t1").await.unwrap();
    let names: Vec<_> = p.schema.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["id", "name", "address"]);
    assert_eq!(p.rows[1], vec![json!("2"), json!("Lily"), json!("xxx")]);
}

#[tokio::test]
async fn queues_with_string_boolean() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/{P}/queues")))
        .and(query_param("queue_type", "all"))
        .respond_with(ok("queues.json"))
        .expect(1)
        .mount(&s)
        .await;
    let q = client(&s).list_queues(Some("all")).await.unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(
        (q[0].queue_name.as_str(), q[0].cu_count, q[0].resource_mode),
        ("test", Some(16), Some(1))
    );
    assert!(!q[0].is_restarting);
    assert_eq!(q[0].labels, ["multi_az=2"]);
}

#[tokio::test]
async fn error_code_families() {
    let cases = [
        ("0001", 400, DliErrorKind::BadRequest),
        ("0002", 400, DliErrorKind::BadRequest),
        ("0004", 400, DliErrorKind::BadRequest),
        ("0005", 400, DliErrorKind::BadRequest),
        ("0006", 400, DliErrorKind::BadRequest),
        ("0013", 401, DliErrorKind::Auth),
        ("0014", 401, DliErrorKind::Auth),
        ("0023", 404, DliErrorKind::NotFound),
        ("0999", 400, DliErrorKind::Server),
    ];
    let s = server().await;
    for (code, status, _) in cases {
        Mock::given(method("GET"))
            .and(path(jobs(&format!("/e{code}/status"))))
            .respond_with(
                ResponseTemplate::new(status).set_body_json(fixture(&format!("error_{code}.json"))),
            )
            .expect(1) // 4xx are never retried
            .mount(&s)
            .await;
    }
    let c = client(&s);
    for (code, status, kind) in cases {
        let e = c.job_status(&format!("e{code}")).await.unwrap_err();
        assert_eq!((e.kind, e.http_status), (kind, Some(status)), "{code}");
        assert_eq!(e.code.as_deref(), Some(format!("DLI.{code}").as_str()));
        assert_eq!(
            e.message,
            fixture(&format!("error_{code}.json"))["error_msg"]
        );
        assert_eq!(e.job_id.as_deref(), Some(format!("e{code}").as_str()));
    }
}

#[tokio::test]
async fn success_false_and_non_json_errors() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/{P}/queues")))
        .respond_with(ok("is_success_false.json"))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path(jobs("/gw/status")))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>"))
        .expect(4)
        .mount(&s)
        .await; // 1 + max_read_retries
    let c = client(&s);
    let e = c.list_queues(None).await.unwrap_err();
    assert_eq!(
        (e.kind, e.code.as_deref(), e.message.as_str()),
        (
            DliErrorKind::BadRequest,
            Some("DLI.0012"),
            "Queue default is not available"
        )
    );
    let e = c.job_status("gw").await.unwrap_err();
    assert_eq!(
        (e.kind, e.http_status, e.code.clone()),
        (DliErrorKind::Server, Some(502), None)
    );
    assert_eq!(e.message, "HTTP 502 Bad Gateway");
}

#[tokio::test]
async fn throttled_read_honours_retry_after() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path(jobs("/t/status")))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path(jobs("/t/status")))
        .respond_with(ok("job_status_running.json"))
        .expect(1)
        .mount(&s)
        .await;
    let mut cfg = config(&s);
    cfg.retry_max_ms = 3000;
    let started = Instant::now();
    let st = DliClient::new(cfg).unwrap().job_status("t").await.unwrap();
    assert_eq!(st.status, JobState::Running);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(950),
        "waited only {waited:?}"
    );
}

#[tokio::test]
async fn server_error_then_success_and_retries_exhausted() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path(jobs("/x/status")))
        .respond_with(ResponseTemplate::new(503).set_body_json(fixture("error_0999.json")))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path(jobs("/x/status")))
        .respond_with(ok("job_status_finished.json"))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/{P}/databases")))
        .respond_with(ResponseTemplate::new(500))
        .expect(4)
        .mount(&s)
        .await;
    let c = client(&s);
    assert_eq!(c.job_status("x").await.unwrap().status, JobState::Finished);
    let e = c
        .list_databases(&ListDatabasesQuery::default())
        .await
        .unwrap_err();
    assert_eq!((e.kind, e.http_status), (DliErrorKind::Server, Some(500)));
}

#[tokio::test]
async fn connection_refused_is_transport() {
    let s = server().await;
    let mut cfg = config(&s);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    cfg.endpoint = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    cfg.max_read_retries = 1;
    let e = DliClient::new(cfg)
        .unwrap()
        .job_status("j")
        .await
        .unwrap_err();
    assert_eq!((e.kind, e.http_status), (DliErrorKind::Transport, None));
    assert!(e.message.contains("/jobs/j/status"), "{}", e.message);
}

/// Answers a tag lookup with one job carrying exactly the requested tag.
fn echo_tagged_job(req: &Request) -> ResponseTemplate {
    let tags = req
        .url
        .query_pairs()
        .find(|(k, _)| k == "tags")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let (key, value) = tags.split_once('=').unwrap_or(("", ""));
    ResponseTemplate::new(200).set_body_json(
        json!({"is_success": true, "message": "", "job_count": 1, "jobs": [{
        "job_id": "recovered-1", "job_type": "QUERY", "status": "RUNNING", "statement": "select 1",
        "start_time": 1, "tags": [{"key": key, "value": value}]}]}),
    )
}

async fn mount_submit_500(s: &MockServer, times: u64) {
    Mock::given(method("POST"))
        .and(path(jobs("/submit-job")))
        .respond_with(ResponseTemplate::new(500).set_body_json(fixture("error_0999.json")))
        .up_to_n_times(times)
        .with_priority(1)
        .expect(times)
        .mount(s)
        .await;
}

fn lookup() -> wiremock::MockBuilder {
    Mock::given(method("GET"))
        .and(path(jobs("")))
        .and(query_param_contains("tags", "gateway_request_id="))
}

fn select_one() -> SubmitJobRequest {
    SubmitJobRequest {
        sql: "select 1".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn submit_500_is_not_resent_when_lookup_finds_the_job() {
    let s = server().await;
    mount_submit_500(&s, 1).await;
    lookup()
        .respond_with(echo_tagged_job)
        .expect(1)
        .mount(&s)
        .await;
    let r = client(&s).submit_job(&select_one()).await.unwrap();
    assert_eq!(
        (r.job_id.as_str(), &r.job_type, r.is_sync()),
        ("recovered-1", &JobType::Query, false)
    );
    assert!(r.message.contains("recovered"));
    let reqs = s.received_requests().await.unwrap();
    let submits = reqs
        .iter()
        .filter(|r| r.url.path().ends_with("/submit-job"))
        .count();
    assert_eq!(submits, 1, "exactly one submit");
    let sent: Value = reqs[0].body_json().unwrap();
    let lookup_tags = reqs[1]
        .url
        .query_pairs()
        .find(|(k, _)| k == "tags")
        .unwrap()
        .1
        .into_owned();
    assert_eq!(
        lookup_tags,
        format!(
            "{REQUEST_TAG}={}",
            sent["tags"][0]["value"].as_str().unwrap()
        )
    );
}

#[tokio::test]
async fn submit_500_is_never_resent_while_its_job_cannot_be_found() {
    // The lookups find nothing until the bounded wait ends: an error naming the request
    // tag, and still exactly one submit (the job may yet appear on DLI).
    let s = server().await;
    mount_submit_500(&s, 1).await;
    lookup()
        .respond_with(ok("job_list_empty.json"))
        .expect(1..)
        .mount(&s)
        .await;
    let e = client(&s).submit_job(&select_one()).await.unwrap_err();
    assert_eq!(e.kind, DliErrorKind::Transport);
    assert!(
        e.message
            .contains("outcome of the job submission is unknown")
            && e.message.contains(REQUEST_TAG),
        "{}",
        e.message
    );
    let reqs = s.received_requests().await.unwrap();
    let submits = reqs
        .iter()
        .filter(|r| r.url.path().ends_with("/submit-job"))
        .count();
    assert_eq!(
        submits, 1,
        "never a second submit while the outcome is unknown"
    );

    // The lookup itself fails: the same, no resubmission.
    let s = server().await;
    mount_submit_500(&s, 1).await;
    lookup()
        .respond_with(ResponseTemplate::new(503))
        .expect(1..)
        .mount(&s)
        .await;
    let e = client(&s).submit_job(&select_one()).await.unwrap_err();
    assert_eq!(e.kind, DliErrorKind::Transport);
    assert!(
        e.message.contains("job lookup failed") && e.message.contains(REQUEST_TAG),
        "{}",
        e.message
    );
}

#[tokio::test]
async fn a_job_created_late_is_found_by_a_later_lookup() {
    // The answer to submit-job was lost and DLI lists the job only a while later.
    let s = server().await;
    mount_submit_500(&s, 1).await;
    lookup()
        .respond_with(ok("job_list_empty.json"))
        .up_to_n_times(2)
        .with_priority(1)
        .expect(2)
        .mount(&s)
        .await;
    lookup()
        .respond_with(echo_tagged_job)
        .expect(1)
        .mount(&s)
        .await;
    let r = client(&s).submit_job(&select_one()).await.unwrap();
    assert_eq!(r.job_id, "recovered-1");
    let reqs = s.received_requests().await.unwrap();
    let submits = reqs
        .iter()
        .filter(|r| r.url.path().ends_with("/submit-job"))
        .count();
    assert_eq!(submits, 1);
}

#[tokio::test]
async fn submit_429_retried_and_400_not() {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path(jobs("/submit-job")))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path(jobs("/submit-job")))
        .and(body_partial_json(json!({"sql": "select 1"})))
        .respond_with(ok("submit_async_query.json"))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path(jobs("/submit-job")))
        .and(body_partial_json(json!({"sql": "selec 1"})))
        .respond_with(ResponseTemplate::new(400).set_body_json(fixture("error_0004.json")))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s);
    let r = c.submit_job(&select_one()).await.unwrap();
    assert_eq!((&r.job_type, r.is_sync()), (&JobType::Query, false));
    let bad = SubmitJobRequest {
        sql: "selec 1".into(),
        ..Default::default()
    };
    let e = c.submit_job(&bad).await.unwrap_err();
    assert_eq!(
        (e.kind, e.code.as_deref()),
        (DliErrorKind::BadRequest, Some("DLI.0004"))
    );
}

fn token_config(s: &MockServer) -> DliClientConfig {
    let mut cfg = config(s);
    cfg.auth = DliAuthConfig {
        mode: AuthMode::Token,
        domain_name: "mydomain".into(),
        user_name: "alice".into(),
        password: "S3cret-pw".into(),
        ..Default::default()
    };
    cfg
}

fn iam_answer(token: &str) -> ResponseTemplate {
    let mut body = fixture("iam_token.json");
    body["token"]["expires_at"] =
        json!((chrono::Utc::now() + chrono::Duration::hours(24)).to_rfc3339());
    ResponseTemplate::new(201)
        .insert_header("X-Subject-Token", token)
        .set_body_json(body)
}

fn iam() -> wiremock::MockBuilder {
    Mock::given(method("POST")).and(path("/v3/auth/tokens")).and(body_partial_json(json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {"name": "alice", "password": "S3cret-pw",
            "domain": {"name": "mydomain"}}}},
        "scope": {"project": {"id": P}}}})))
}

#[tokio::test]
async fn token_is_fetched_once_and_cached() {
    let s = server().await;
    iam()
        .respond_with(iam_answer("tok-1").set_delay(Duration::from_millis(100)))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path(jobs("/j/status")))
        .and(header("x-auth-token", "tok-1"))
        .respond_with(ok("job_status_running.json"))
        .expect(6)
        .mount(&s)
        .await;
    let c = DliClient::new(token_config(&s)).unwrap();
    let calls = (0..5).map(|_| {
        let c = c.clone();
        tokio::spawn(async move { c.job_status("j").await })
    });
    for h in calls.collect::<Vec<_>>() {
        assert_eq!(h.await.unwrap().unwrap().status, JobState::Running);
    }
    assert_eq!(c.job_status("j").await.unwrap().status, JobState::Running);
    assert!(!format!("{c:?}").contains("S3cret-pw"));
}

#[tokio::test]
async fn token_renewed_once_on_401() {
    let s = server().await;
    iam()
        .respond_with(iam_answer("tok-1"))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&s)
        .await;
    iam()
        .respond_with(iam_answer("tok-2"))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path(jobs("/j/status")))
        .and(header("x-auth-token", "tok-1"))
        .respond_with(ResponseTemplate::new(401).set_body_json(fixture("error_0013.json")))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path(jobs("/j/status")))
        .and(header("x-auth-token", "tok-2"))
        .respond_with(ok("job_status_finished.json"))
        .expect(2)
        .mount(&s)
        .await;
    let c = DliClient::new(token_config(&s)).unwrap();
    assert_eq!(c.job_status("j").await.unwrap().status, JobState::Finished);
    assert_eq!(c.job_status("j").await.unwrap().status, JobState::Finished);
}

#[tokio::test]
async fn persistent_401_and_iam_refusal_are_auth_errors() {
    let s = server().await;
    let counter = Arc::new(AtomicUsize::new(0));
    let n = counter.clone();
    iam()
        .respond_with(move |_: &Request| {
            iam_answer(&format!("tok-{}", n.fetch_add(1, Ordering::SeqCst)))
        })
        .expect(2)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path(jobs("/j/status")))
        .respond_with(ResponseTemplate::new(401).set_body_json(fixture("error_0014.json")))
        .expect(2)
        .mount(&s)
        .await;
    let e = DliClient::new(token_config(&s))
        .unwrap()
        .job_status("j")
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind, e.code.as_deref()),
        (DliErrorKind::Auth, Some("DLI.0014"))
    );

    let s = server().await;
    Mock::given(method("POST"))
        .and(path("/v3/auth/tokens"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"error": {"code": 401,
            "message": "The username or password is wrong.", "title": "Unauthorized"}})),
        )
        .expect(1)
        .mount(&s)
        .await;
    let e = DliClient::new(token_config(&s))
        .unwrap()
        .job_status("j")
        .await
        .unwrap_err();
    assert_eq!((e.kind, e.http_status), (DliErrorKind::Auth, Some(401)));
    assert!(
        e.message.contains("username or password is wrong"),
        "{}",
        e.message
    );
    assert!(!e.to_string().contains("S3cret-pw"));
}

#[tokio::test]
async fn aksk_requests_are_signed_and_verify() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path(jobs("")))
        .respond_with(ok("job_list.json"))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path(jobs("/submit-job")))
        .respond_with(ok("submit_async_query.json"))
        .expect(1)
        .mount(&s)
        .await;
    let mut cfg = config(&s);
    cfg.auth = DliAuthConfig {
        mode: AuthMode::Aksk,
        ak: "MYAK".into(),
        sk: "MYSK".into(),
        security_token: Some("sts-token".into()),
        ..Default::default()
    };
    let c = DliClient::new(cfg).unwrap();
    let q = ListJobsQuery {
        sql_pattern: Some("select * from t".into()),
        page_size: Some(5),
        ..Default::default()
    };
    c.list_jobs(&q).await.unwrap();
    c.submit_job(&SubmitJobRequest {
        sql: "select 'a b' + 1".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    let reqs = s.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 2);
    for r in &reqs {
        let headers: Vec<(String, String)> = r
            .headers
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
            .collect();
        let auth = r.headers.get("authorization").unwrap().to_str().unwrap();
        assert!(auth.starts_with("SDK-HMAC-SHA256 Access=MYAK, SignedHeaders=host;x-sdk-date;x-security-token, Signature="), "{auth}");
        let date = r.headers.get("x-sdk-date").unwrap().to_str().unwrap();
        assert!(
            chrono::NaiveDateTime::parse_from_str(date, signer::SDK_DATE_FORMAT).is_ok(),
            "{date}"
        );
        assert_eq!(r.headers.get("x-security-token").unwrap(), "sts-token");
        let verified = signer::verify(
            "MYSK",
            r.method.as_str(),
            r.url.path(),
            r.url.query(),
            &headers,
            &r.body,
        );
        assert_eq!(verified, Ok("MYAK".to_owned()), "{} {}", r.method, r.url);
        let wrong = signer::verify(
            "OTHER",
            r.method.as_str(),
            r.url.path(),
            r.url.query(),
            &headers,
            &r.body,
        );
        assert!(wrong.is_err());
    }
}

#[tokio::test]
async fn submit_timeout_is_not_resent_when_lookup_finds_the_job() {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path(jobs("/submit-job")))
        .respond_with(ok("submit_async_query.json").set_delay(Duration::from_millis(2500)))
        .expect(1)
        .mount(&s)
        .await;
    lookup()
        .respond_with(echo_tagged_job)
        .expect(1)
        .mount(&s)
        .await;
    let mut cfg = config(&s);
    cfg.request_timeout_secs = 1;
    let r = DliClient::new(cfg)
        .unwrap()
        .submit_job(&select_one())
        .await
        .unwrap();
    assert_eq!(r.job_id, "recovered-1");
}
