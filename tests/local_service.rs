//! The embedded DLI-compatible service driven over real HTTP, with JSON written by hand
//! from the DLI API reference (independent of the `dli` client module).

use std::path::Path;
use std::time::{Duration, Instant};

use dli_pg_gateway::localdli::{self, LocalDli, LocalDliConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tempfile::TempDir;

struct Svc {
    dli: Option<LocalDli>,
    http: reqwest::Client,
    base: String,
    project: String,
    token: String,
}

fn config(dir: &Path, demo: bool) -> LocalDliConfig {
    LocalDliConfig {
        warehouse: dir.to_path_buf(),
        demo,
        demo_scale_factor: 0.001,
        ..LocalDliConfig::default()
    }
}

async fn token_for(
    http: &reqwest::Client,
    base: &str,
    user: &str,
    password: &str,
) -> reqwest::Response {
    let body = json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user, "password": password, "domain": {"name": "local"}}}},
        "scope": {"project": {"name": LocalDliConfig::default().project_id}}
    }});
    http.post(format!("{base}/v3/auth/tokens"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

impl Svc {
    async fn start(dir: &Path, demo: bool) -> Svc {
        let dli = localdli::start(config(dir, demo)).await.unwrap();
        let http = reqwest::Client::new();
        let base = dli.endpoint();
        let resp = token_for(&http, &base, "dli", "dli-local-password").await;
        assert_eq!(resp.status(), StatusCode::CREATED);
        let token = resp.headers()["x-subject-token"]
            .to_str()
            .unwrap()
            .to_string();
        let project = dli.project_id().to_string();
        Svc {
            dli: Some(dli),
            http,
            base,
            project,
            token,
        }
    }

    async fn stop(mut self) {
        if let Some(dli) = self.dli.take() {
            dli.shutdown().await;
        }
    }

    fn url(&self, path: &str) -> String {
        if let Some(rest) = path.strip_prefix("v1:") {
            format!("{}/v1/{}/{rest}", self.base, self.project)
        } else {
            format!("{}/v1.0/{}/{path}", self.base, self.project)
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let resp = req
            .header("X-Auth-Token", &self.token)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, body)
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.http.get(self.url(path))).await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(self.http.post(self.url(path)).json(&body)).await
    }

    async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.http.delete(self.url(path))).await
    }

    /// submit-job, expecting success.
    async fn submit(&self, sql: &str, extra: Value) -> Value {
        let mut body = json!({"sql": sql, "currentdb": "default", "queue_name": "default"});
        if let (Value::Object(b), Value::Object(e)) = (&mut body, extra) {
            b.extend(e);
        }
        let (status, v) = self.post("jobs/submit-job", body).await;
        assert_eq!(status, StatusCode::OK, "{sql}: {v}");
        assert_eq!(v["is_success"], json!(true));
        v
    }

    /// A synchronous statement; returns the submit answer.
    async fn sync(&self, sql: &str) -> Value {
        let v = self.submit(sql, json!({})).await;
        assert_eq!(v["job_mode"], "sync", "{sql}: {v}");
        v
    }

    async fn status(&self, job_id: &str) -> Value {
        let (status, v) = self.get(&format!("jobs/{job_id}/status")).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        v
    }

    async fn wait(&self, job_id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let v = self.status(job_id).await;
            let s = v["status"].as_str().unwrap().to_string();
            if ["FINISHED", "FAILED", "CANCELLED"].contains(&s.as_str()) {
                return v;
            }
            assert!(Instant::now() < deadline, "job {job_id} stuck in {s}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// An asynchronous statement run to its end; returns (job_id, final status).
    async fn run(&self, sql: &str) -> (String, Value) {
        let v = self.submit(sql, json!({})).await;
        assert_eq!(v["job_mode"], "async", "{sql}: {v}");
        let id = v["job_id"].as_str().unwrap().to_string();
        (id.clone(), self.wait(&id).await)
    }

    /// Runs a query that must finish; returns its preview rows.
    async fn rows(&self, sql: &str) -> Vec<Value> {
        let (id, st) = self.run(sql).await;
        assert_eq!(st["status"], "FINISHED", "{sql}: {st}");
        let (code, v) = self.get(&format!("jobs/{id}/preview")).await;
        assert_eq!(code, StatusCode::OK, "{v}");
        v["rows"].as_array().unwrap().clone()
    }

    async fn exec(&self, sql: &str) {
        let (_, st) = self.run(sql).await;
        assert_eq!(st["status"], "FINISHED", "{sql}: {st}");
    }
}

fn error_code(v: &Value) -> &str {
    v["error_code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn token_flow_and_authentication() {
    let dir = TempDir::new().unwrap();
    let svc = Svc::start(dir.path(), false).await;

    let resp = token_for(&svc.http, &svc.base, "dli", "dli-local-password").await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert!(resp.headers().contains_key("x-subject-token"));
    let body: Value = resp.json().await.unwrap();
    let expires = body["token"]["expires_at"].as_str().unwrap();
    let expires = chrono::DateTime::parse_from_rfc3339(expires).unwrap();
    assert!(expires > chrono::Utc::now() + chrono::Duration::hours(23));

    let resp = token_for(&svc.http, &svc.base, "dli", "wrong").await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    // A project scope is required (by name, as the reference shows, or by id), and it
    // must be this service's project.
    let identity = json!({"methods": ["password"], "password": {"user": {
        "name": "dli", "password": "dli-local-password", "domain": {"name": "local"}}}});
    let project = LocalDliConfig::default().project_id;
    for (scope, status) in [
        (json!(null), StatusCode::BAD_REQUEST),
        (
            json!({"domain": {"name": "local"}}),
            StatusCode::BAD_REQUEST,
        ),
        (json!({"project": {"id": project}}), StatusCode::CREATED),
        (json!({"project": {"name": project}}), StatusCode::CREATED),
        (
            json!({"project": {"id": "someone-elses"}}),
            StatusCode::UNAUTHORIZED,
        ),
        (
            json!({"project": {"name": "cn-north-4"}}),
            StatusCode::UNAUTHORIZED,
        ),
    ] {
        let mut auth = json!({"identity": identity});
        if !scope.is_null() {
            auth["scope"] = scope.clone();
        }
        let resp = svc
            .http
            .post(format!("{}/v3/auth/tokens", svc.base))
            .json(&json!({ "auth": auth }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), status, "scope {scope}");
    }

    // No token, a bad token, then the issued one.
    let url = svc.url("databases");
    let resp = svc.http.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(error_code(&v), "DLI.0013");
    let resp = svc
        .http
        .get(&url)
        .header("X-Auth-Token", "forged")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let (code, v) = svc.get("databases").await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(v["is_success"], json!(true));
    assert_eq!(v["databases"][0]["database_name"], "default");

    // Wrong project id, unknown path, malformed JSON.
    let resp = svc
        .http
        .get(format!("{}/v1.0/other-project/databases", svc.base))
        .header("X-Auth-Token", &svc.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(error_code(&v), "DLI.0001");
    let (code, v) = svc.get("no/such/thing").await;
    assert_eq!((code, error_code(&v)), (StatusCode::NOT_FOUND, "DLI.0023"));
    let resp = svc
        .http
        .post(svc.url("jobs/submit-job"))
        .header("X-Auth-Token", &svc.token)
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(error_code(&v), "DLI.0001");

    // AK/SK: a request signed by hand as the APIG signer does.
    let path = format!("/v1.0/{}/databases", svc.project);
    let host = svc.base.trim_start_matches("http://").to_string();
    let date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let sig = sign(
        "LOCALSECRETKEY",
        "GET",
        &path,
        "keyword=def",
        &host,
        &date,
        b"",
    );
    let auth = format!(
        "SDK-HMAC-SHA256 Access=LOCALACCESSKEY, SignedHeaders=host;x-sdk-date, Signature={sig}"
    );
    let url = format!("{}{path}?keyword=def", svc.base);
    let resp = svc
        .http
        .get(&url)
        .header("X-Sdk-Date", &date)
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["database_count"], 1);
    let bad = auth.replace(&sig[..4], "0000");
    let resp = svc
        .http
        .get(&url)
        .header("X-Sdk-Date", &date)
        .header("Authorization", bad)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    svc.stop().await;
}

/// The APIG "SDK-HMAC-SHA256" signature, written from the algorithm's description.
fn sign(
    sk: &str,
    method: &str,
    path: &str,
    query: &str,
    host: &str,
    date: &str,
    body: &[u8],
) -> String {
    use hmac::{KeyInit, Mac};
    use sha2::{Digest, Sha256};
    let canonical_uri = if path.ends_with('/') {
        path.to_string()
    } else {
        format!("{path}/")
    };
    let canonical = format!(
        "{method}\n{canonical_uri}\n{query}\nhost:{host}\nx-sdk-date:{date}\n\nhost;x-sdk-date\n{}",
        hex::encode(Sha256::digest(body))
    );
    let to_sign = format!(
        "SDK-HMAC-SHA256\n{date}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(sk.as_bytes()).unwrap();
    mac.update(to_sign.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[tokio::test]
async fn scalar_types_round_trip() {
    let dir = TempDir::new().unwrap();
    let svc = Svc::start(dir.path(), false).await;
    svc.sync("CREATE DATABASE IF NOT EXISTS shop COMMENT 'test db'")
        .await;
    let v = svc
        .sync(
            "CREATE TABLE shop.all_types (c_tiny tinyint, c_small smallint, c_int int COMMENT 'the int', \
             c_big bigint, c_float float, c_double double, c_bool boolean, c_str string, \
             c_vc varchar(10), c_ch char(3), c_dec decimal(10,2), c_date date, c_ts timestamp, \
             c_bin binary) USING parquet COMMENT 'all types'",
        )
        .await;
    assert_eq!(v["job_type"], "DDL");
    let (id, st) = svc
        .run(
            "INSERT INTO shop.all_types VALUES \
             (1, 2, 3, 4, 1.5, 2.25, true, 'it\\'s', 'héllo', 'abc', 12.3, DATE '2024-01-02', \
              TIMESTAMP '2024-01-02 03:04:05.123456', X'CAFE'), \
             (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL), \
             (-128, -32768, -2147483648, -9223372036854775807, -0.25, 1e300, false, '数据 ✓ 😀', \
              '', 'x', -0.05, DATE '1970-01-01', TIMESTAMP '2000-02-29 23:59:59', X'')",
        )
        .await;
    assert_eq!(st["status"], "FINISHED", "{st}");
    assert_eq!(st["job_type"], "INSERT");
    assert_eq!(st["result_count"], 3);
    let _ = id;

    let (id, st) = svc
        .run("SELECT * FROM shop.all_types ORDER BY c_int NULLS LAST")
        .await;
    let st = st.clone();
    assert_eq!(st["status"], "FINISHED", "{st}");
    assert_eq!(st["job_type"], "QUERY");
    assert_eq!(st["result_count"], 3);
    // report_result_path = false (default): the reference's status has neither field.
    assert!(st.get("result_format").is_none() && st.get("result_path").is_none());
    let detail: Value = serde_json::from_str(st["detail"].as_str().unwrap()).unwrap();
    assert_eq!(detail["type"], "struct");
    let types: Vec<(String, Value)> = detail["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["name"].as_str().unwrap().to_string(), f["type"].clone()))
        .collect();
    let expected = [
        ("c_tiny", "byte"),
        ("c_small", "short"),
        ("c_int", "integer"),
        ("c_big", "long"),
        ("c_float", "float"),
        ("c_double", "double"),
        ("c_bool", "boolean"),
        ("c_str", "string"),
        ("c_vc", "string"),
        ("c_ch", "string"),
        ("c_dec", "decimal(10,2)"),
        ("c_date", "date"),
        ("c_ts", "timestamp"),
        ("c_bin", "binary"),
    ];
    assert_eq!(
        types,
        expected
            .iter()
            .map(|(n, t)| (n.to_string(), json!(t)))
            .collect::<Vec<_>>()
    );

    let (code, v) = svc.get(&format!("jobs/{id}/preview")).await;
    assert_eq!(code, StatusCode::OK, "{v}");
    assert_eq!(v["row_count"], 3);
    assert_eq!(
        v["schema"],
        json!([{"c_tiny":"tinyint"},{"c_small":"smallint"},{"c_int":"int"},{"c_big":"bigint"},
               {"c_float":"float"},{"c_double":"double"},{"c_bool":"boolean"},{"c_str":"string"},
               {"c_vc":"string"},{"c_ch":"string"},{"c_dec":"decimal(10,2)"},{"c_date":"date"},
               {"c_ts":"timestamp"},{"c_bin":"binary"}])
    );
    assert_eq!(
        v["rows"],
        json!([
            [
                -128,
                -32768,
                -2147483648i64,
                -9223372036854775807i64,
                -0.25,
                1e300,
                false,
                "数据 ✓ 😀",
                "",
                "x",
                "-0.05",
                "1970-01-01",
                "2000-02-29 23:59:59",
                ""
            ],
            [
                1,
                2,
                3,
                4,
                1.5,
                2.25,
                true,
                "it's",
                "héllo",
                "abc",
                "12.30",
                "2024-01-02",
                "2024-01-02 03:04:05.123456",
                "yv4="
            ],
            [
                null, null, null, null, null, null, null, null, null, null, null, null, null, null
            ]
        ])
    );

    // The full result as JSON lines in the job's result folder.
    let path = dir.path().join(".results").join(&id);
    let text = std::fs::read_to_string(path.join("part-00000.json")).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(Value::Array(lines), v["rows"]);

    // Float specials and arithmetic stay Spark-like.
    let rows = svc
        .rows("SELECT CAST('NaN' AS double), CAST('-Infinity' AS double), 7 % 3")
        .await;
    assert_eq!(rows, vec![json!(["NaN", "-Infinity", 1])]);

    // DESC keeps the declared Spark types and comments.
    let v = svc.sync("DESC shop.all_types").await;
    assert_eq!(
        v["schema"],
        json!([{"col_name":"string"},{"data_type":"string"},{"comment":"string"}])
    );
    assert_eq!(v["rows"][2], json!(["c_int", "int", "the int"]));
    assert_eq!(v["rows"][8], json!(["c_vc", "varchar(10)", null]));
    assert_eq!(v["rows"][10], json!(["c_dec", "decimal(10,2)", null]));
    svc.stop().await;
}

#[tokio::test]
async fn nested_types_and_csv_tables() {
    let dir = TempDir::new().unwrap();
    let svc = Svc::start(dir.path(), false).await;
    svc.sync("CREATE TABLE nested (id int, tags array<string>, pt struct<x:int,y:string>)")
        .await;
    svc.exec("INSERT INTO nested SELECT 1, array('a', 'b'), named_struct('x', 5, 'y', 'z')")
        .await;
    svc.exec("INSERT INTO nested (id) VALUES (2)").await;
    let rows = svc
        .rows("SELECT id, tags, pt FROM nested ORDER BY id")
        .await;
    assert_eq!(rows[0], json!([1, ["a", "b"], {"x": 5, "y": "z"}]));
    assert_eq!(rows[1][0], 2);
    assert_eq!(rows[1][1], Value::Null);
    let v = svc.sync("DESCRIBE nested").await;
    assert_eq!(v["rows"][1], json!(["tags", "array<string>", null]));
    assert_eq!(v["rows"][2], json!(["pt", "struct<x:int,y:string>", null]));

    svc.sync("CREATE TABLE people (name string, age int) USING csv")
        .await;
    svc.exec("INSERT INTO people VALUES ('ann, the first', 31), ('bob \"b\"', 42)")
        .await;
    svc.exec("INSERT INTO people VALUES ('cy', NULL)").await;
    let rows = svc.rows("SELECT name, age FROM people ORDER BY name").await;
    assert_eq!(
        rows,
        vec![
            json!(["ann, the first", 31]),
            json!(["bob \"b\"", 42]),
            json!(["cy", null])
        ]
    );
    svc.stop().await;
}

#[tokio::test]
async fn preview_cap_and_export() {
    let dir = TempDir::new().unwrap();
    let svc = Svc::start(dir.path(), false).await;
    let tens: Vec<String> = (0..15).map(|i| format!("({i})")).collect();
    let ones: Vec<String> = (0..100).map(|i| format!("({i})")).collect();
    let sql = format!(
        "SELECT a.x * 100 + b.y AS n, concat('row', CAST(a.x * 100 + b.y AS string)) AS label \
         FROM (VALUES {}) AS a(x) CROSS JOIN (VALUES {}) AS b(y) ORDER BY n",
        tens.join(","),
        ones.join(",")
    );
    let (id, st) = svc.run(&sql).await;
    assert_eq!(st["status"], "FINISHED", "{st}");
    assert_eq!(st["result_count"], 1500);
    let (_, v) = svc.get(&format!("jobs/{id}/preview")).await;
    assert_eq!(v["rows"].as_array().unwrap().len(), 1000);
    assert_eq!(v["row_count"], 1500);
    assert_eq!(v["rows"][999], json!([999, "row999"]));
    let (_, v) = svc.get(&format!("jobs/{id}/preview?page-size=10")).await;
    assert_eq!(v["rows"].as_array().unwrap().len(), 10);
    let (code, v) = svc.get(&format!("jobs/{id}/preview?page-size=0")).await;
    assert_eq!(
        (code, error_code(&v)),
        (StatusCode::BAD_REQUEST, "DLI.0001")
    );
    let (code, v) = svc.get(&format!("jobs/{id}/preview?page-size=1001")).await;
    assert_eq!(
        (code, error_code(&v)),
        (StatusCode::BAD_REQUEST, "DLI.0001")
    );
    // Only finished QUERY jobs have a preview (§7.3.6): a DDL job's is refused.
    let (_, v) = svc
        .post("jobs/submit-job", json!({"sql": "SHOW DATABASES"}))
        .await;
    let ddl = v["job_id"].as_str().unwrap().to_string();
    let (code, v) = svc.get(&format!("jobs/{ddl}/preview")).await;
    assert_eq!(
        (code, error_code(&v)),
        (StatusCode::BAD_REQUEST, "DLI.0007")
    );
    let path = dir.path().join(".results").join(&id);
    let text = std::fs::read_to_string(path.join("part-00000.json")).unwrap();
    assert_eq!(text.lines().count(), 1500);
    assert_eq!(text.lines().last().unwrap(), "[1499,\"row1499\"]");

    // Export as CSV with a header and a limit, then as JSON over it.
    let export = |body: Value| {
        let svc = &svc;
        let id = id.clone();
        async move {
            let (code, v) = svc.post(&format!("jobs/{id}/export-result"), body).await;
            assert_eq!(code, StatusCode::OK, "{v}");
            assert_eq!(v["job_mode"], "async");
            svc.wait(v["job_id"].as_str().unwrap()).await
        }
    };
    let st = export(json!({"data_path": "obs://bucket/out", "data_type": "csv",
        "with_column_header": "true", "limit_num": 3}))
    .await;
    assert_eq!(st["status"], "FINISHED", "{st}");
    assert_eq!(st["job_type"], "EXPORT");
    let out = dir.path().join(".obs/bucket/out");
    let files: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1);
    assert_eq!(
        std::fs::read_to_string(&files[0]).unwrap(),
        "n,label\n0,row0\n1,row1\n2,row2\n"
    );
    let (code, v) = svc
        .post(
            &format!("jobs/{id}/export-result"),
            json!({"data_path": "obs://bucket/out", "data_type": "json"}),
        )
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{v}");
    assert!(
        v["error_msg"]
            .as_str()
            .unwrap()
            .contains("obs://bucket/out"),
        "{v}"
    );
    let st = export(json!({"data_path": "obs://bucket/out", "data_type": "json",
        "export_mode": "Overwrite"}))
    .await;
    assert_eq!(st["status"], "FINISHED", "{st}");
    let files: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert_eq!(text.lines().count(), 1500);
    assert_eq!(text.lines().next().unwrap(), "{\"n\":0,\"label\":\"row0\"}");
    let (code, v) = svc
        .get(&format!("jobs/{}/detail", st["job_id"].as_str().unwrap()))
        .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(v["export_mode"], "Overwrite");
    assert_eq!(v["data_path"], "obs://bucket/out");
    let (code, v) = svc
        .post(
            &format!("jobs/{id}/export-result"),
            json!({"data_path": "obs://b/../x", "data_type": "csv"}),
        )
        .await;
    assert_eq!(
        (code, error_code(&v)),
        (StatusCode::BAD_REQUEST, "DLI.0001")
    );
    svc.stop().await;
}

#[tokio::test]
async fn check_sql_and_errors() {
    let dir = TempDir::new().unwrap();
    let svc = Svc::start(dir.path(), false).await;
    svc.sync("CREATE TABLE t (a int, b string)").await;
    for (sql, kind) in [
        ("select a from t", "QUERY"),
        ("WITH x AS (SELECT 1 AS a) SELECT * FROM x", "QUERY"),
        ("insert into t values (1, 'x')", "INSERT"),
        ("create table u (a int) using parquet", "DDL"),
        ("create table u2 as select * from t", "DDL"),
        ("show tables", "DDL"),
        ("desc t", "DDL"),
        ("drop table if exists nothing_here", "DDL"),
        ("grant select on table t to user u", "DCL"),
    ] {
        let (code, v) = svc
            .post(
                "jobs/check-sql",
                json!({"sql": sql, "currentdb": "default"}),
            )
            .await;
        assert_eq!(code, StatusCode::OK, "{sql}: {v}");
        assert_eq!(v["job_type"], kind, "{sql}");
        assert_eq!(v["is_success"], json!(true));
    }
    let (code, v) = svc
        .post(
            "jobs/check-sql",
            json!({"sql": "select b from t", "current_db": "default"}),
        )
        .await;
    assert_eq!(
        (code, v["job_type"].as_str()),
        (StatusCode::OK, Some("QUERY"))
    );
    let (code, v) = svc
        .post("jobs/check-sql", json!({"sql": "selec a from t"}))
        .await;
    assert_eq!(
        (code, error_code(&v)),
        (StatusCode::BAD_REQUEST, "DLI.0004")
    );
    assert!(
        v["error_msg"]
            .as_str()
            .unwrap()
            .starts_with("[PARSE_SYNTAX_ERROR]"),
        "{v}"
    );
    let (code, v) = svc
        .post("jobs/check-sql", json!({"sql": "select * from missing"}))
        .await;
    assert_eq!(
        (code, error_code(&v)),
        (StatusCode::BAD_REQUEST, "DLI.0005")
    );
    let (code, v) = svc
        .post("jobs/check-sql", json!({"sql": "select nope from t"}))
        .await;
    assert_eq!(
        (code, error_code(&v)),
        (StatusCode::BAD_REQUEST, "DLI.0005")
    );
    assert!(
        v["error_msg"]
            .as_str()
            .unwrap()
            .starts_with("[UNRESOLVED_COLUMN"),
        "{v}"
    );

    // submit-job: syntax errors are synchronous, analysis errors fail the job.
    let (code, v) = svc.post("jobs/submit-job", json!({"sql": "SELEC 1"})).await;
    assert_eq!(
        (code, error_code(&v)),
        (StatusCode::BAD_REQUEST, "DLI.0004")
    );
    let (_, st) = svc.run("SELECT * FROM nodb.nosuch").await;
    assert_eq!(st["status"], "FAILED");
    assert!(
        st["message"].as_str().unwrap().starts_with(
            "[TABLE_OR_VIEW_NOT_FOUND] The table or view `nodb`.`nosuch` cannot be found."
        ),
        "{st}"
    );
    let (_, st) = svc.run("SELECT zzz FROM t").await;
    assert!(st["message"].as_str().unwrap().starts_with("[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column or function parameter with name `zzz` cannot be resolved."), "{st}");
    let rows = svc
        .rows("SELECT 7 / 2, 1 / 0, 7.0 / 2, count(*) / 4, 1.5, 2e1 FROM t")
        .await;
    // Integer division is a double (NULL for a zero divisor); literals with a decimal
    // point are decimals (rendered as strings), exponent literals doubles.
    let row = rows[0].as_array().unwrap();
    assert_eq!(row[..2], [json!(3.5), json!(null)]);
    assert!(row[2].as_str().unwrap().starts_with("3.5"), "{rows:?}");
    assert_eq!(row[3..], [json!(0.0), json!("1.5"), json!(20.0)]);
    // Spark 3.3 without ANSI mode (DLI's default): a zero modulus is NULL.
    let rows = svc.rows("SELECT 7 % 0").await;
    assert_eq!(rows, vec![json!([null])]);
    // Spark allows an output name twice, also through a derived table.
    for sql in [
        "SELECT 1 AS a, 2 AS a",
        "SELECT * FROM (SELECT 1 AS a, 2 AS A) AS d LIMIT 5",
    ] {
        assert_eq!(svc.rows(sql).await, vec![json!([1, 2])], "{sql}");
    }
    // Casts are non-ANSI too (pyspark 3.3.4): malformed input is NULL, not an error.
    let rows = svc
        .rows("SELECT CAST('abc' AS int), CAST(' 7 ' AS int)")
        .await;
    assert_eq!(rows, vec![json!([null, 7])]);
    let (_, st) = svc.run("SELECT * FROM t").await;
    assert_eq!(st["status"], "FINISHED");
    assert_eq!(st["result_count"], 0);

    // Synchronous DDL errors.
    let cases = [
        (
            "CREATE DATABASE default",
            "DLI.0006",
            "[SCHEMA_ALREADY_EXISTS]",
        ),
        (
            "CREATE TABLE t (x int)",
            "DLI.0006",
            "[TABLE_OR_VIEW_ALREADY_EXISTS]",
        ),
        ("DROP TABLE nosuch", "DLI.0002", "[TABLE_OR_VIEW_NOT_FOUND]"),
        (
            "CREATE TABLE nodb.x (a int)",
            "DLI.0002",
            "[SCHEMA_NOT_FOUND]",
        ),
        ("DESC nosuch", "DLI.0002", "[TABLE_OR_VIEW_NOT_FOUND]"),
        (
            "CREATE TABLE bad (a foo)",
            "DLI.0004",
            "[PARSE_SYNTAX_ERROR]",
        ),
        ("DROP DATABASE default", "DLI.0007", "[UNSUPPORTED_FEATURE"),
    ];
    for (sql, code_want, class) in cases {
        let (code, v) = svc
            .post(
                "jobs/submit-job",
                json!({"sql": sql, "currentdb": "default"}),
            )
            .await;
        assert_eq!(
            (code, error_code(&v)),
            (StatusCode::BAD_REQUEST, code_want),
            "{sql}: {v}"
        );
        assert!(
            v["error_msg"].as_str().unwrap().starts_with(class),
            "{sql}: {v}"
        );
    }
    svc.sync("CREATE DATABASE full_db").await;
    svc.sync("CREATE TABLE full_db.x (a int)").await;
    let (code, v) = svc
        .post("jobs/submit-job", json!({"sql": "DROP DATABASE full_db"}))
        .await;
    assert_eq!(
        (code, error_code(&v)),
        (StatusCode::BAD_REQUEST, "DLI.0005")
    );
    assert!(
        v["error_msg"]
            .as_str()
            .unwrap()
            .starts_with("[SCHEMA_NOT_EMPTY]")
    );
    svc.sync("DROP DATABASE full_db CASCADE").await;
    let (code, v) = svc
        .post(
            "jobs/submit-job",
            json!({"sql": "select 1", "queue_name": "other"}),
        )
        .await;
    assert_eq!(
        (code, error_code(&v)),
        (StatusCode::BAD_REQUEST, "DLI.0002")
    );
    let (code, v) = svc
        .get("jobs/00000000-0000-0000-0000-000000000000/status")
        .await;
    assert_eq!(
        (code, error_code(&v)),
        (StatusCode::BAD_REQUEST, "DLI.0002")
    );
    svc.stop().await;
}

#[tokio::test]
async fn cancel_timeout_progress_and_listing() {
    let dir = TempDir::new().unwrap();
    let svc = Svc::start(dir.path(), false).await;
    // A slow job (comment hint), cancelled while RUNNING.
    let v = svc
        .submit(
            "SELECT 42 /* dli_local_delay_ms=5000 */",
            json!({"tags": [{"key": "team", "value": "blue"}]}),
        )
        .await;
    let slow = v["job_id"].as_str().unwrap().to_string();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let st = svc.status(&slow).await;
    assert_eq!(st["status"], "RUNNING");
    let (code, p) = svc.get(&format!("v1:jobs/{slow}/progress")).await;
    assert_eq!(code, StatusCode::OK, "{p}");
    let progress = p["progress"].as_f64().unwrap();
    assert!(progress > 0.0 && progress < 1.0, "{p}");
    assert_eq!(p["status"], "RUNNING");
    let (code, v) = svc.delete(&format!("jobs/{slow}")).await;
    assert_eq!(code, StatusCode::OK, "{v}");
    assert_eq!(v["is_success"], json!(true));
    let st = svc.status(&slow).await;
    assert_eq!(st["status"], "CANCELLED");
    let (code, v) = svc.delete(&format!("jobs/{slow}")).await;
    assert_eq!(
        (code, error_code(&v)),
        (StatusCode::BAD_REQUEST, "DLI.0007")
    );

    // A finished job cannot be cancelled; progress is 1.
    let (done, st) = svc.run("SELECT 1 AS one").await;
    assert_eq!(st["status"], "FINISHED");
    let (code, v) = svc.delete(&format!("jobs/{done}")).await;
    assert_eq!(
        (code, error_code(&v)),
        (StatusCode::BAD_REQUEST, "DLI.0007")
    );
    let (_, p) = svc.get(&format!("v1:jobs/{done}/progress")).await;
    assert_eq!(p["progress"], json!(1.0));

    // dli.sql.job.timeout cancels a job that runs too long; conf sets the delay.
    let v = svc
        .submit(
            "SELECT 2",
            json!({"conf": ["dli.sql.job.timeout=150", "dli.local.job.delay_ms = 5000"]}),
        )
        .await;
    let st = svc.wait(v["job_id"].as_str().unwrap()).await;
    assert_eq!(st["status"], "CANCELLED", "{st}");
    assert!(
        st["message"]
            .as_str()
            .unwrap()
            .contains("dli.sql.job.timeout"),
        "{st}"
    );
    let v = svc
        .submit("SELECT 3", json!({"conf": ["dli.sql.job.timeout=10000"]}))
        .await;
    let st = svc.wait(v["job_id"].as_str().unwrap()).await;
    assert_eq!(st["status"], "FINISHED");

    // Async DDL on request.
    let v = svc
        .submit(
            "CREATE DATABASE later",
            json!({"conf": ["dli.sql.sqlasync.enabled=true"]}),
        )
        .await;
    assert_eq!(v["job_mode"], "async");
    assert_eq!(v["job_type"], "DDL");
    let st = svc.wait(v["job_id"].as_str().unwrap()).await;
    assert_eq!(st["status"], "FINISHED");
    assert_eq!(st["job_mode"], "async");

    // Listing with filters and paging.
    let (_, v) = svc.get("jobs?tags=team%3Dblue").await;
    assert_eq!(v["job_count"], 1);
    assert_eq!(v["jobs"][0]["job_id"], slow.as_str());
    assert_eq!(
        v["jobs"][0]["tags"],
        json!([{"key": "team", "value": "blue"}])
    );
    let (_, v) = svc.get("jobs?job-status=CANCELLED").await;
    assert_eq!(v["job_count"], 2);
    let (_, v) = svc.get("jobs?job-type=DDL").await;
    assert_eq!(v["job_count"], 1);
    let (_, v) = svc.get("jobs?sql_pattern=ONE").await;
    assert_eq!(v["job_count"], 1);
    assert_eq!(v["jobs"][0]["job_id"], done.as_str());
    let (_, v) = svc.get("jobs?page-size=2&current-page=2").await;
    assert_eq!(v["job_count"], 5);
    assert_eq!(v["jobs"].as_array().unwrap().len(), 2);
    let (code, v) = svc.get("jobs?page-size=101").await;
    assert_eq!(
        (code, error_code(&v)),
        (StatusCode::BAD_REQUEST, "DLI.0001")
    );
    svc.stop().await;
}

#[tokio::test]
async fn show_describe_and_catalog_endpoints() {
    let dir = TempDir::new().unwrap();
    let svc = Svc::start(dir.path(), false).await;
    let (code, v) = svc
        .post(
            "databases",
            json!({"database_name": "Sales", "description": "money"}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{v}");
    let (code, v) = svc
        .post("databases", json!({"database_name": "sales"}))
        .await;
    assert_eq!(
        (code, error_code(&v)),
        (StatusCode::BAD_REQUEST, "DLI.0006")
    );
    let (code, v) = svc
        .post("databases", json!({"database_name": "../x"}))
        .await;
    assert_eq!(
        (code, error_code(&v)),
        (StatusCode::BAD_REQUEST, "DLI.0001")
    );
    svc.sync("CREATE SCHEMA other").await;

    let v = svc.sync("SHOW DATABASES").await;
    assert_eq!(v["schema"], json!([{"namespace": "string"}]));
    assert_eq!(v["rows"], json!([["default"], ["other"], ["sales"]]));
    let v = svc.sync("SHOW SCHEMAS LIKE 's*'").await;
    assert_eq!(v["rows"], json!([["sales"]]));

    for i in 0..7 {
        svc.sync(&format!(
            "CREATE TABLE sales.t{i} (id bigint, amount decimal(12,2))"
        ))
        .await;
    }
    svc.sync(
        "CREATE TABLE sales.events (day string, id int COMMENT 'event id', kind string) \
         USING parquet PARTITIONED BY (day) COMMENT 'partitioned'",
    )
    .await;
    let v = svc.submit("SHOW TABLES IN sales", json!({})).await;
    assert_eq!(
        v["schema"],
        json!([{"namespace":"string"},{"tableName":"string"},{"isTemporary":"boolean"}])
    );
    assert_eq!(v["rows"][0], json!(["sales", "events", false]));
    assert_eq!(v["rows"].as_array().unwrap().len(), 8);
    let v = svc
        .submit("SHOW TABLES", json!({"currentdb": "sales"}))
        .await;
    assert_eq!(v["rows"].as_array().unwrap().len(), 8);
    let v = svc.sync("DESC TABLE sales.events").await;
    assert_eq!(
        v["rows"],
        json!([
            ["id", "int", "event id"],
            ["kind", "string", null],
            ["day", "string", null],
            ["# Partition Information", "", ""],
            ["# col_name", "data_type", "comment"],
            ["day", "string", null]
        ])
    );

    // Databases: keyword, offset, limit.
    let (_, v) = svc.get("databases?keyword=al").await;
    assert_eq!(v["database_count"], 1);
    assert_eq!(
        v["databases"][0],
        json!({"database_name": "sales", "owner": "dli", "table_number": 8,
        "description": "money", "enterprise_project_id": "0"})
    );
    let (_, v) = svc.get("databases?offset=1&limit=1").await;
    assert_eq!(v["database_count"], 3);
    assert_eq!(v["databases"][0]["database_name"], "other");

    // Tables: paging, keyword, detail.
    let (_, v) = svc
        .get("databases/sales/tables?page-size=3&current-page=3")
        .await;
    assert_eq!(v["table_count"], 8);
    let names: Vec<&str> = v["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["table_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["t5", "t6"]);
    assert_eq!(
        v["tables"][0],
        json!({"table_name": "t5", "table_type": "MANAGED", "data_location": "DLI"})
    );
    let (_, v) = svc
        .get("databases/sales/tables?keyword=event&with-detail=true")
        .await;
    assert_eq!(v["table_count"], 1);
    let t = &v["tables"][0];
    assert_eq!(t["owner"].as_str(), Some("dli"));
    // Table 7-31 and no more: no columns nor comment (describe gives them), and no
    // OBS-only fields for a DLI table.
    let mut keys: Vec<&str> = t.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "create_time",
            "data_location",
            "last_access_time",
            "owner",
            "table_name",
            "table_size",
            "table_type"
        ]
    );
    let (_, same) = svc
        .get("databases/sales/tables?keyword=event&with-detail=true&without-tablemeta=false")
        .await;
    assert_eq!(same["tables"][0], *t);
    let (code, v) = svc.get("databases/sales/tables?page-size=101").await;
    assert_eq!(
        (code, error_code(&v)),
        (StatusCode::BAD_REQUEST, "DLI.0001")
    );
    let (code, v) = svc.get("databases/nope/tables").await;
    assert_eq!(
        (code, error_code(&v)),
        (StatusCode::BAD_REQUEST, "DLI.0002")
    );

    // Describe and preview.
    let (_, v) = svc.get("databases/sales/tables/events").await;
    assert_eq!(v["column_count"], 3);
    assert_eq!(v["table_type"], "MANAGED");
    assert_eq!(v["data_type"], "parquet");
    assert_eq!(
        v["columns"][2],
        json!({"column_name": "day", "type": "string", "description": "",
        "is_partition_column": true})
    );
    assert_eq!(v["table_comment"], "partitioned");
    svc.exec(
        "INSERT INTO sales.events VALUES (1, 'click', '2024-01-01'), (2, 'view', '2024-01-02')",
    )
    .await;
    let (_, v) = svc.get("databases/sales/tables/events/preview").await;
    assert_eq!(
        v["schema"],
        json!([{"id": "int"}, {"kind": "string"}, {"day": "string"}])
    );
    let mut rows = v["rows"].as_array().unwrap().clone();
    rows.sort_by_key(|r| r[0].as_i64());
    assert_eq!(
        rows,
        vec![
            json!([1, "click", "2024-01-01"]),
            json!([2, "view", "2024-01-02"])
        ]
    );
    let (code, v) = svc.get("databases/sales/tables/nope").await;
    assert_eq!(
        (code, error_code(&v)),
        (StatusCode::BAD_REQUEST, "DLI.0002")
    );

    // Queues, then dropping through the API.
    let (_, v) = svc.get("queues").await;
    assert_eq!(v["queues"][0]["queue_name"], "default");
    assert_eq!(v["queues"][0]["queue_type"], "sql");
    let (code, v) = svc.delete("databases/sales/tables/t0").await;
    assert_eq!(code, StatusCode::OK, "{v}");
    let (code, v) = svc.delete("databases/sales").await;
    assert_eq!(
        (code, error_code(&v)),
        (StatusCode::BAD_REQUEST, "DLI.0005")
    );
    let (code, _) = svc.delete("databases/sales?cascade=true").await;
    assert_eq!(code, StatusCode::OK);
    assert!(!dir.path().join("sales").exists());
    svc.stop().await;
}

#[tokio::test]
async fn queries_ctas_and_restart() {
    let dir = TempDir::new().unwrap();
    let svc = Svc::start(dir.path(), false).await;
    svc.sync("CREATE DATABASE hr").await;
    svc.sync("CREATE TABLE hr.emp (id int, name string, dept string, salary decimal(10,2))")
        .await;
    svc.sync("CREATE TABLE hr.dept (code string, title string)")
        .await;
    svc.exec(
        "INSERT INTO hr.emp VALUES (1, 'ann', 'eng', 100.50), (2, 'bob', 'eng', 90), \
         (3, 'cy', 'ops', 70.25), (4, 'dee', 'ops', 80), (5, 'eve', 'hr', 60)",
    )
    .await;
    svc.exec("INSERT INTO TABLE hr.dept VALUES ('eng', 'Engineering'), ('ops', 'Operations')")
        .await;

    let rows = svc
        .rows(
            "SELECT d.title, count(*) AS n, sum(e.salary) AS total, max(e.name) AS last \
             FROM hr.emp e JOIN hr.dept d ON e.dept = d.code GROUP BY d.title ORDER BY d.title",
        )
        .await;
    assert_eq!(
        rows,
        vec![
            json!(["Engineering", 2, "190.50", "bob"]),
            json!(["Operations", 2, "150.25", "dee"])
        ]
    );
    let rows = svc
        .rows(
            "SELECT name, rank() OVER (PARTITION BY dept ORDER BY salary DESC) AS r, \
             sum(salary) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running \
             FROM hr.emp ORDER BY id",
        )
        .await;
    assert_eq!(
        rows,
        vec![
            json!(["ann", 1, "100.50"]),
            json!(["bob", 2, "190.50"]),
            json!(["cy", 2, "260.75"]),
            json!(["dee", 1, "340.75"]),
            json!(["eve", 1, "400.75"])
        ]
    );
    let rows = svc
        .rows(
            "WITH top AS (SELECT dept, max(salary) AS m FROM hr.emp GROUP BY dept) \
             SELECT e.name FROM hr.emp e LEFT JOIN top ON e.dept = top.dept AND e.salary = top.m \
             WHERE top.m IS NOT NULL ORDER BY e.name",
        )
        .await;
    assert_eq!(rows, vec![json!(["ann"]), json!(["dee"]), json!(["eve"])]);

    // Output names follow the SQL text, as Spark names them; ORDER BY/GROUP BY still
    // match the expressions; repeated names are allowed.
    let (id, _) = svc
        .run("SELECT upper(dept), count(*), 1, id, id FROM hr.emp GROUP BY upper(dept), id ORDER BY upper(dept), id LIMIT 2")
        .await;
    let (_, v) = svc.get(&format!("jobs/{id}/preview")).await;
    assert_eq!(
        v["schema"],
        json!([{"upper(dept)": "string"}, {"count(*)": "bigint"}, {"1": "int"}, {"id": "int"}, {"id": "int"}])
    );
    assert_eq!(v["rows"], json!([["ENG", 1, 1, 1, 1], ["ENG", 1, 1, 2, 2]]));

    // CTAS is an asynchronous DDL job reporting the rows written.
    let v = svc.submit("CREATE TABLE hr.rich USING parquet AS SELECT id, upper(name) AS Name FROM hr.emp WHERE salary > 75", json!({})).await;
    assert_eq!(
        (v["job_type"].as_str(), v["job_mode"].as_str()),
        (Some("DDL"), Some("async"))
    );
    let st = svc.wait(v["job_id"].as_str().unwrap()).await;
    assert_eq!(st["status"], "FINISHED", "{st}");
    assert_eq!(st["result_count"], 3);
    let v = svc.sync("DESC hr.rich").await;
    assert_eq!(
        v["rows"],
        json!([["id", "int", null], ["name", "string", null]])
    );
    svc.exec("INSERT OVERWRITE TABLE hr.dept VALUES ('hr', 'People')")
        .await;
    assert_eq!(
        svc.rows("SELECT * FROM hr.dept").await,
        vec![json!(["hr", "People"])]
    );
    let (old_job, _) = svc.run("SELECT count(*) FROM hr.emp").await;
    svc.stop().await;

    // Restart on the same warehouse: data stays, jobs are forgotten.
    let svc = Svc::start(dir.path(), false).await;
    let rows = svc.rows("SELECT count(*), sum(salary) FROM hr.emp").await;
    assert_eq!(rows, vec![json!([5, "400.75"])]);
    assert_eq!(
        svc.rows("SELECT name FROM hr.rich ORDER BY id").await,
        vec![json!(["ANN"]), json!(["BOB"]), json!(["DEE"])]
    );
    let (code, v) = svc.get(&format!("jobs/{old_job}/status")).await;
    assert_eq!(
        (code, error_code(&v)),
        (StatusCode::BAD_REQUEST, "DLI.0002")
    );
    let v = svc.sync("SHOW TABLES IN hr").await;
    assert_eq!(v["rows"].as_array().unwrap().len(), 3);
    svc.stop().await;
}

#[tokio::test]
async fn tpch_demo_database() {
    let dir = TempDir::new().unwrap();
    let svc = Svc::start(dir.path(), true).await;
    let v = svc.sync("SHOW TABLES IN tpch").await;
    let names: Vec<&str> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[1].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![
            "customer", "lineitem", "nation", "orders", "part", "partsupp", "region", "supplier"
        ]
    );
    let (id, _) = svc
        .run("SELECT (SELECT count(*) FROM tpch.region), (SELECT count(*) FROM tpch.nation), 7, 7")
        .await;
    let (_, v) = svc.get(&format!("jobs/{id}/preview")).await;
    assert_eq!(v["rows"], json!([[5, 25, 7, 7]]));
    assert_eq!(
        v["schema"][0],
        json!({"(SELECT count(*) FROM tpch.region)": "bigint"})
    );
    assert_eq!(v["schema"][3], json!({"7": "int"}));
    let rows = svc
        .rows(
            "SELECT r.r_name, count(*) FROM tpch.nation n JOIN tpch.region r \
             ON n.n_regionkey = r.r_regionkey GROUP BY r.r_name ORDER BY r.r_name",
        )
        .await;
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[0], json!(["AFRICA", 5]));
    let (_, v) = svc.get("databases/tpch/tables/lineitem").await;
    let types: Vec<(&str, &str)> = v["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["column_name"].as_str().unwrap(),
                c["type"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        types.contains(&("l_extendedprice", "decimal(15,2)")),
        "{types:?}"
    );
    assert!(types.contains(&("l_shipdate", "date")), "{types:?}");
    assert!(types.contains(&("l_comment", "string")), "{types:?}");
    let rows = svc.rows("SELECT count(*) > 5000 FROM tpch.lineitem").await;
    assert_eq!(rows, vec![json!([true])]);
    svc.stop().await;
}
