//! The reference's shapes for the catalog and the IAM token request, held with a mock
//! server: the IAM scope as both of the reference's examples write it
//! (`scope.project.name`, §3.1/§3.2) and its configurable variants; the table list of
//! §7.2.3 (Table 7-31: no columns, no comment) read without describing anything, and the
//! describes of §7.2.4 made only for the databases asked for, a table dropped in between
//! left out.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use dli_pg_gateway::catalog::cache::MetadataCache;
use dli_pg_gateway::catalog::source::DliSource;
use dli_pg_gateway::dli::*;
use serde_json::{Value, json};
use wiremock::matchers::{any, body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const P: &str = "0123456789abcdef0123456789abcdef";

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

fn config(s: &MockServer, auth: DliAuthConfig) -> DliClientConfig {
    DliClientConfig {
        endpoint: s.uri(),
        project_id: P.into(),
        region: "ae-ad-1".into(),
        auth,
        max_read_retries: 0,
        request_timeout_secs: 5,
        ..Default::default()
    }
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

fn token_auth(scope: ProjectScope, name: &str) -> DliAuthConfig {
    DliAuthConfig {
        mode: AuthMode::Token,
        domain_name: "domainname".into(),
        user_name: "username".into(),
        password: "pw-not-logged".into(),
        project_scope: scope,
        project_name: name.into(),
        ..Default::default()
    }
}

/// The token request body of the reference's example, with `project` as given.
fn reference_token_body(project: Value) -> Value {
    json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "username", "password": "pw-not-logged", "domain": {"name": "domainname"}}}},
        "scope": {"project": project}
    }})
}

async fn token_request_carries(auth: DliAuthConfig, project: Value) {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path("/v3/auth/tokens"))
        .and(body_json(reference_token_body(project)))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("X-Subject-Token", "tok")
                .set_body_json(json!({"token": {"expires_at":
                    (chrono::Utc::now() + chrono::Duration::hours(24)).to_rfc3339()}})),
        )
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/{P}/databases")))
        .and(header("x-auth-token", "tok"))
        .respond_with(ok(
            json!({"is_success": true, "message": "", "database_count": 0, "databases": []}),
        ))
        .expect(1)
        .mount(&s)
        .await;
    let c = DliClient::new(config(&s, auth)).unwrap();
    c.list_all_databases(None)
        .await
        .expect("listed with the token");
}

#[tokio::test]
async fn iam_scope_names_the_project_as_the_reference_does() {
    // No project name configured: IAM would match `name` against the project's name,
    // not its ID, so the ID goes as `id`.
    token_request_carries(token_auth(ProjectScope::Name, ""), json!({"id": P})).await;
    // A configured project name (what real IAM matches `name` against).
    token_request_carries(
        token_auth(ProjectScope::Name, "ae-ad-1"),
        json!({"name": "ae-ad-1"}),
    )
    .await;
    // By id, which IAM also accepts.
    token_request_carries(token_auth(ProjectScope::Id, "ignored"), json!({"id": P})).await;
}

#[test]
fn project_scope_is_read_from_the_config() {
    let cfg: DliAuthConfig = toml::from_str("project_scope = \"id\"").unwrap();
    assert_eq!(cfg.project_scope, ProjectScope::Id);
    assert_eq!(DliAuthConfig::default().project_scope, ProjectScope::Name);
    assert!(toml::from_str::<DliAuthConfig>("project_scope = \"domain\"").is_err());
}

/// Table 7-31's example entry (an OBS table with `partition_columns` as an array) and a
/// DLI table without OBS fields: no columns, no comment.
fn db1_tables() -> Value {
    json!({"is_success": true, "message": "", "table_count": 3, "tables": [
        {"create_time": 1517364268000i64, "data_location": "OBS", "data_type": "csv",
         "last_access_time": 1517364268000i64, "location": "obs://DLI/sqldata/data.txt",
         "owner": "test", "partition_columns": ["a0"], "table_name": "obs_t",
         "table_size": 0, "table_type": "EXTERNAL"},
        {"create_time": 1517364268000i64, "data_location": "DLI",
         "last_access_time": 1517364268000i64, "owner": "test", "table_name": "dropped",
         "table_size": 10, "table_type": "MANAGED"},
        {"create_time": 1517364268000i64, "data_location": "DLI",
         "last_access_time": 1517364268000i64, "owner": "test", "table_name": "v1",
         "table_size": 0, "table_type": "VIEW"}
    ]})
}

async fn mount_catalog(s: &MockServer) {
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/{P}/databases")))
        .respond_with(ok(
            json!({"is_success": true, "message": "", "database_count": 2,
            "databases": [
                {"database_name": "db1", "owner": "test", "table_number": 3, "description": ""},
                {"database_name": "db2", "owner": "test", "table_number": 1, "description": ""}
            ]}),
        ))
        .expect(1)
        .mount(s)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/{P}/databases/db1/tables")))
        .and(query_param("with-detail", "true"))
        .respond_with(ok(db1_tables()))
        .expect(1)
        .mount(s)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/{P}/databases/db2/tables")))
        .and(query_param("with-detail", "true"))
        .respond_with(ok(
            json!({"is_success": true, "message": "", "table_count": 1,
            "tables": [{"create_time": 1, "data_location": "DLI", "last_access_time": 1,
                "owner": "test", "table_name": "never_described", "table_size": 0,
                "table_type": "MANAGED"}]}),
        ))
        .expect(1)
        .mount(s)
        .await;
    // §7.2.4's example shape.
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/{P}/databases/db1/tables/obs_t")))
        .respond_with(ok(json!({"is_success": true, "message": "", "column_count": 2,
            "columns": [
                {"column_name": "id", "description": "the id", "type": "int", "is_partition_column": false},
                {"column_name": "a0", "description": "", "type": "string", "is_partition_column": false}
            ],
            "table_type": "EXTERNAL", "data_type": "csv", "data_location": "obs://DLI/sqldata/data.txt",
            "storage_properties": [{"key": "delimiter", "value": ","}],
            "table_comment": "an OBS table", "create_table_sql": "CREATE TABLE obs_t (id int, a0 string)"})))
        .expect(1)
        .mount(s)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/{P}/databases/db1/tables/dropped")))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"is_success": false, "error_code": "DLI.0002", "error_msg": "The object does not exist."}),
        ))
        .expect(1)
        .mount(s)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/{P}/databases/db1/tables/v1")))
        .respond_with(ok(json!({"is_success": true, "message": "", "column_count": 1,
            "columns": [{"column_name": "id", "description": "", "type": "int", "is_partition_column": false}],
            "table_type": "VIEW", "create_table_sql": "CREATE VIEW v1 AS SELECT id FROM obs_t"})))
        .expect(1)
        .mount(s)
        .await;
}

/// Requests for one table (`/v1.0/{p}/databases/{db}/tables/{t}`).
async fn describe_calls(s: &MockServer) -> usize {
    s.received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path().matches('/').count() == 6)
        .count()
}

#[tokio::test]
async fn reference_shaped_catalog_is_listed_without_describes_and_described_on_demand() {
    let s = server().await;
    mount_catalog(&s).await;
    let client = DliClient::new(config(
        &s,
        DliAuthConfig {
            mode: AuthMode::None,
            ..Default::default()
        },
    ))
    .unwrap();
    let cache = MetadataCache::new(
        Arc::new(DliSource::new(client)),
        Duration::from_secs(600),
        Duration::from_secs(60),
    )
    .describing(4, true);

    let snap = cache.snapshot().await.expect("lists load");
    assert_eq!(snap.table_count(), 4);
    assert_eq!(describe_calls(&s).await, 0, "listing needs no describe");
    let obs = snap.table(snap.find("db1", "obs_t").unwrap());
    assert_eq!(
        (obs.owner.as_str(), obs.dli_type.as_str()),
        ("test", "EXTERNAL")
    );
    assert!(obs.columns.is_empty() && obs.description.is_none());

    let wanted: BTreeSet<String> = ["db1".to_string()].into();
    let snap = cache
        .with_columns(snap, Some(&wanted))
        .await
        .expect("db1 described");
    assert_eq!(describe_calls(&s).await, 3);
    let obs = snap.table(snap.find("db1", "obs_t").unwrap());
    let cols: Vec<(&str, &str, bool)> = obs
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.spark_type.as_str(), c.partition))
        .collect();
    // `a0` is a partition column by the list's `partition_columns`.
    assert_eq!(cols, [("id", "int", false), ("a0", "string", true)]);
    assert_eq!(obs.description.as_deref(), Some("an OBS table"));
    let v1 = snap.table(snap.find("db1", "v1").unwrap());
    assert_eq!(
        v1.definition.as_deref(),
        Some("CREATE VIEW v1 AS SELECT id FROM obs_t")
    );
    assert!(
        snap.find("db1", "dropped").is_none(),
        "dropped before its describe"
    );
    assert!(!snap.database("db2").unwrap().described);
    let status = cache.status();
    assert_eq!((status.described_databases, status.describes), (1, 3));
}
