//! The DLI client holds the reference's shapes where our embedded service would let a
//! shortcut pass (issue 9): headers every request carries, a synchronous answer without
//! the optional `job_mode`, preview rows given as the JSON text of an array, and the
//! job's queue on preview. Against a mock server that receives nothing else.

use dli_pg_gateway::dli::*;
use serde_json::json;
use wiremock::matchers::{any, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const P: &str = "p1";

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
        queue: "default".into(),
        auth: DliAuthConfig {
            mode: AuthMode::None,
            ..Default::default()
        },
        max_read_retries: 0,
        request_timeout_secs: 5,
        ..Default::default()
    })
    .unwrap()
}

fn jobs(rest: &str) -> String {
    format!("/v1.0/{P}/jobs{rest}")
}

#[tokio::test]
async fn every_request_has_content_type_and_project_id_even_without_a_body() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path(jobs("/j1/status")))
        .and(header("content-type", "application/json"))
        .and(header("x-project-id", P))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "is_success": true, "message": "", "job_id": "j1", "job_type": "QUERY",
            "status": "FINISHED", "input_size": 0, "result_count": 1, "detail": "", "statement": "SELECT 1"
        })))
        .expect(1)
        .mount(&s)
        .await;
    let st = client(&s).job_status("j1").await.expect("status");
    assert_eq!(st.status, JobState::Finished);
}

#[tokio::test]
async fn a_submit_answer_with_rows_but_no_job_mode_is_synchronous() {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path(jobs("/submit-job")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "is_success": true, "message": "", "job_id": "j2", "job_type": "DDL",
            "schema": [{"col_name": "string"}, {"data_type": "string"}],
            "rows": [["c1", "int"]]
        })))
        .expect(1)
        .mount(&s)
        .await;
    let req = SubmitJobRequest {
        sql: "desc t".into(),
        ..Default::default()
    };
    let answer = client(&s).submit_job(&req).await.expect("submit");
    assert!(answer.is_sync(), "rows inline mean the job already ran");
    // An explicit job_mode still wins; a DCL job is synchronous by the reference.
    let dcl = SubmitJobResponse {
        job_type: JobType::Dcl,
        ..Default::default()
    };
    assert!(dcl.is_sync());
    let async_query = SubmitJobResponse {
        job_type: JobType::Query,
        job_mode: Some("async".into()),
        ..Default::default()
    };
    assert!(!async_query.is_sync());
}

#[tokio::test]
async fn preview_rows_as_strings_and_the_jobs_queue() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path(jobs("/j3/preview")))
        .and(query_param("queue-name", "etl_queue"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "job_id": "j3", "job_type": "QUERY", "row_count": 2,
            "schema": [{"c1": "int"}, {"c2": "string"}],
            "rows": ["[23, \"sda\"]", [24, "x"]]
        })))
        .expect(1)
        .mount(&s)
        .await;
    let p = client(&s)
        .preview("j3", Some(1000), Some("etl_queue"))
        .await
        .expect("preview");
    assert_eq!(
        p.rows,
        vec![vec![json!(23), json!("sda")], vec![json!(24), json!("x")]]
    );
}

fn iam_answer(token: &str) -> ResponseTemplate {
    ResponseTemplate::new(201)
        .insert_header("X-Subject-Token", token)
        .set_body_json(json!({"token": {
            "expires_at": (chrono::Utc::now() + chrono::Duration::hours(24)).to_rfc3339(),
            "issued_at": chrono::Utc::now().to_rfc3339()
        }}))
}

#[tokio::test]
async fn a_token_refused_with_dli_0015_is_renewed_once() {
    // Reference error table: 400 DLI.0015 "Token parsing error".
    let s = server().await;
    let iam = || Mock::given(method("POST")).and(path("/v3/auth/tokens"));
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
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "is_success": false, "error_code": "DLI.0015", "error_msg": "Token info for token is null, return."
        })))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path(jobs("/j/status")))
        .and(header("x-auth-token", "tok-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "is_success": true, "message": "", "job_id": "j", "job_type": "QUERY",
            "status": "RUNNING", "input_size": 0, "result_count": 0, "detail": "", "statement": "SELECT 1"
        })))
        .expect(1)
        .mount(&s)
        .await;
    let mut cfg = client(&s).config().clone();
    cfg.auth = DliAuthConfig {
        mode: AuthMode::Token,
        domain_name: "d".into(),
        user_name: "u".into(),
        password: "p".into(),
        ..Default::default()
    };
    let c = DliClient::new(cfg).unwrap();
    assert_eq!(c.job_status("j").await.unwrap().status, JobState::Running);
}
