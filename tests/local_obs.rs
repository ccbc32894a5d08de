//! The embedded service's OBS side, read with a real S3 client (OpenDAL `services-s3`):
//! export-result files in Spark's CSV/JSON dialect (plain, gzip, deflate), export modes,
//! unsupported CSV column types, SigV4 enforcement on the S3 endpoint, and the
//! `report_result_path` switch.

use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use dli_pg_gateway::localdli::{self, LocalDli, LocalDliConfig};
use opendal::{ErrorKind, Operator, services::S3};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tempfile::TempDir;

struct Svc {
    dli: Option<LocalDli>,
    cfg: LocalDliConfig,
    http: reqwest::Client,
    base: String,
    project: String,
    token: String,
}

impl Svc {
    async fn start(dir: &Path, report_result_path: bool) -> Svc {
        let cfg = LocalDliConfig {
            warehouse: dir.to_path_buf(),
            demo: false,
            report_result_path,
            ..LocalDliConfig::default()
        };
        let dli = localdli::start(cfg.clone()).await.unwrap();
        let http = reqwest::Client::new();
        let base = dli.endpoint();
        let body = json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": cfg.iam_user, "password": cfg.iam_password,
                "domain": {"name": cfg.iam_domain}}}},
            "scope": {"project": {"name": cfg.project_id}}
        }});
        let resp = http
            .post(format!("{base}/v3/auth/tokens"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::CREATED);
        let token = resp.headers()["x-subject-token"]
            .to_str()
            .unwrap()
            .to_string();
        let project = dli.project_id().to_string();
        Svc {
            dli: Some(dli),
            cfg,
            http,
            base,
            project,
            token,
        }
    }

    fn dli(&self) -> &LocalDli {
        self.dli.as_ref().unwrap()
    }

    async fn stop(mut self) {
        if let Some(dli) = self.dli.take() {
            dli.shutdown().await;
        }
    }

    /// An S3 client on `bucket` with the configured AK/SK (or the given ones).
    fn bucket(&self, bucket: &str) -> Operator {
        self.bucket_as(bucket, &self.cfg.access_key, &self.cfg.secret_key)
    }

    fn bucket_as(&self, bucket: &str, ak: &str, sk: &str) -> Operator {
        // default-features = false: the reqwest transport must be installed explicitly
        // (first call wins; later calls are no-ops).
        opendal::install_default();
        let builder = S3::default()
            .endpoint(&self.dli().obs_endpoint())
            .region("local")
            .bucket(bucket)
            .access_key_id(ak)
            .secret_access_key(sk)
            .disable_config_load()
            .disable_ec2_metadata();
        Operator::new(builder).unwrap()
    }

    async fn call(&self, req: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let resp = req
            .header("X-Auth-Token", &self.token)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let url = format!("{}/v1.0/{}/{path}", self.base, self.project);
        self.call(self.http.get(url)).await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let url = format!("{}/v1.0/{}/{path}", self.base, self.project);
        self.call(self.http.post(url).json(&body)).await
    }

    async fn wait(&self, job_id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (code, v) = self.get(&format!("jobs/{job_id}/status")).await;
            assert_eq!(code, StatusCode::OK, "{v}");
            if ["FINISHED", "FAILED", "CANCELLED"].contains(&v["status"].as_str().unwrap()) {
                return v;
            }
            assert!(Instant::now() < deadline, "job {job_id} stuck: {v}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Runs a statement to its end (sync or async); returns (job_id, final status).
    async fn run(&self, sql: &str) -> (String, Value) {
        let body = json!({"sql": sql, "currentdb": "default"});
        let (code, v) = self.post("jobs/submit-job", body).await;
        assert_eq!(code, StatusCode::OK, "{sql}: {v}");
        let id = v["job_id"].as_str().unwrap().to_string();
        let st = self.wait(&id).await;
        assert_eq!(st["status"], "FINISHED", "{sql}: {st}");
        (id, st)
    }

    /// export-result that must be accepted; returns the EXPORT job's final status.
    async fn export(&self, job_id: &str, body: Value) -> Value {
        let (code, v) = self
            .post(&format!("jobs/{job_id}/export-result"), body)
            .await;
        assert_eq!(code, StatusCode::OK, "{v}");
        assert_eq!(
            (&v["is_success"], &v["job_mode"]),
            (&json!(true), &json!("async"))
        );
        let st = self.wait(v["job_id"].as_str().unwrap()).await;
        assert_eq!(st["job_type"], "EXPORT");
        st
    }
}

/// Every object under `prefix`: (key, bytes), listed and read over S3.
async fn objects(op: &Operator, prefix: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in op.list_with(prefix).recursive(true).await.unwrap() {
        if e.metadata().is_file() {
            let bytes = op.read(e.path()).await.unwrap().to_vec();
            out.push((e.path().to_string(), bytes));
        }
    }
    out
}

/// The single part file under `prefix`, decompressed according to its extension.
async fn single_part(op: &Operator, prefix: &str, ext: &str) -> String {
    let files = objects(op, prefix).await;
    assert_eq!(files.len(), 1, "{files:?}");
    let (key, bytes) = &files[0];
    let name = key.rsplit('/').next().unwrap();
    assert!(
        name.starts_with("part-00000-") && name.ends_with(ext),
        "{key}"
    );
    let mut text = String::new();
    if ext.ends_with(".gz") {
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .unwrap();
    } else if ext.ends_with(".deflate") {
        flate2::read::ZlibDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .unwrap();
    } else {
        text = String::from_utf8(bytes.clone()).unwrap();
    }
    text
}

const TRICKY: &str = r#"INSERT INTO tricky
    SELECT 1, CAST(NULL AS STRING), CAST(1.5 AS DECIMAL(10,2)), CAST(0 AS DECIMAL(20,10)),
           TIMESTAMP '2024-01-02 03:04:05.123', DATE '2024-01-02', CAST(1e10 AS DOUBLE), true
    UNION ALL SELECT 2, '', CAST(-3 AS DECIMAL(10,2)), NULL, NULL, NULL, CAST('NaN' AS DOUBLE), false
    UNION ALL SELECT 3, 'a,b', NULL, NULL, NULL, NULL, CAST(-0.0001 AS DOUBLE), NULL
    UNION ALL SELECT 4, 'say "hi"', NULL, NULL, NULL, NULL, CAST(1234567.5 AS DOUBLE), NULL
    UNION ALL SELECT 5, 'back\\slash', NULL, NULL, NULL, NULL, NULL, NULL
    UNION ALL SELECT 6, 'line1\nline2', NULL, NULL, NULL, NULL, NULL, NULL
    UNION ALL SELECT 7, '中文', NULL, NULL, NULL, NULL, NULL, NULL
    UNION ALL SELECT 8, ' pad ', NULL, NULL, NULL, NULL, NULL, NULL
    UNION ALL SELECT 9, 'a,\\b', NULL, NULL, NULL, NULL, NULL, NULL"#;

/// What Spark 3.5's DataFrameWriter.csv writes for TRICKY (scripts/spark_csv_probe.py),
/// except: microsecond timestamps and untrimmed strings (see sparktext.rs).
const TRICKY_CSV: &str = "1,,1.50,0E-10,2024-01-02T03:04:05.123000Z,2024-01-02,1.0E10,true\n\
2,\"\",-3.00,,,,NaN,false\n\
3,\"a,b\",,,,,-1.0E-4,\n\
4,\"say \\\"hi\\\"\",,,,,1234567.5,\n\
5,back\\slash,,,,,,\n\
6,\"line1\nline2\",,,,,,\n\
7,中文,,,,,,\n\
8, pad ,,,,,,\n\
9,\"a,\\\\b\",,,,,,\n";

#[tokio::test]
async fn export_files_read_over_s3() {
    let dir = TempDir::new().unwrap();
    let svc = Svc::start(dir.path(), false).await;
    svc.run(
        "CREATE TABLE tricky (id int, s string, d decimal(10,2), z decimal(20,10), \
         ts timestamp, dt date, dbl double, b boolean)",
    )
    .await;
    svc.run(TRICKY).await;
    let (id, _) = svc.run("SELECT * FROM tricky ORDER BY id").await;
    let op = svc.bucket("exports");

    for (compress, folder, ext) in [
        ("none", "plain", ".csv"),
        ("gzip", "gz", ".csv.gz"),
        ("deflate", "zz", ".csv.deflate"),
    ] {
        let st = svc
            .export(
                &id,
                json!({"data_path": format!("obs://exports/{folder}"), "data_type": "CSV",
                       "compress": compress, "queue_name": "default"}),
            )
            .await;
        assert_eq!(st["status"], "FINISHED", "{st}");
        assert_eq!(
            single_part(&op, &format!("{folder}/"), ext).await,
            TRICKY_CSV
        );
        let (_, detail) = svc
            .get(&format!("jobs/{}/detail", st["job_id"].as_str().unwrap()))
            .await;
        assert_eq!(detail["compress"], compress);
        assert_eq!(detail["export_mode"], "ErrorIfExists");
        assert_eq!(detail["data_type"], "csv");
    }

    // Header and limit; ErrorIfExists on a non-empty folder; Overwrite replaces.
    let body = json!({"data_path": "obs://exports/plain", "data_type": "csv",
        "with_column_header": "true", "limit_num": 2});
    let (code, v) = svc
        .post(&format!("jobs/{id}/export-result"), body.clone())
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error_code"], "DLI.0001");
    assert!(
        v["error_msg"]
            .as_str()
            .unwrap()
            .contains("obs://exports/plain"),
        "{v}"
    );
    let mut body = body;
    body["export_mode"] = json!("overwrite");
    let st = svc.export(&id, body).await;
    assert_eq!(st["status"], "FINISHED", "{st}");
    let head = "id,s,d,z,ts,dt,dbl,b\n";
    let first_two: String = TRICKY_CSV.split_inclusive('\n').take(2).collect();
    assert_eq!(
        single_part(&op, "plain/", ".csv").await,
        format!("{head}{first_two}")
    );

    // JSON lines, Spark style (NULL fields left out).
    let st = svc
        .export(
            &id,
            json!({"data_path": "obs://exports/js", "data_type": "json",
            "with_column_header": true}),
        )
        .await;
    assert_eq!(st["status"], "FINISHED", "{st}");
    let text = single_part(&op, "js/", ".json").await;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 9);
    assert_eq!(
        lines[0],
        r#"{"id":1,"d":1.50,"z":0E-10,"ts":"2024-01-02T03:04:05.123000Z","dt":"2024-01-02","dbl":1.0E10,"b":true}"#
    );
    assert_eq!(
        lines[1],
        r#"{"id":2,"s":"","d":-3.00,"dbl":"NaN","b":false}"#
    );
    assert_eq!(lines[5], r#"{"id":6,"s":"line1\nline2"}"#);

    // Refusals: bzip2, gbk, unknown queue, a non-QUERY job.
    for (extra, code) in [
        (json!({"compress": "bzip2"}), "DLI.0007"),
        (json!({"encoding_type": "gbk"}), "DLI.0007"),
        (json!({"queue_name": "nope"}), "DLI.0002"),
    ] {
        let mut body = json!({"data_path": "obs://exports/x", "data_type": "csv"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let (status, v) = svc.post(&format!("jobs/{id}/export-result"), body).await;
        assert_eq!(
            (status, v["error_code"].as_str()),
            (StatusCode::BAD_REQUEST, Some(code)),
            "{v}"
        );
    }
    let export_id = st["job_id"].as_str().unwrap();
    let (status, v) = svc
        .post(
            &format!("jobs/{export_id}/export-result"),
            json!({"data_path": "obs://exports/x", "data_type": "csv"}),
        )
        .await;
    assert_eq!(
        (status, v["error_code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("DLI.0007"))
    );
    svc.stop().await;
}

#[tokio::test]
async fn csv_refuses_complex_columns_json_takes_them() {
    let dir = TempDir::new().unwrap();
    let svc = Svc::start(dir.path(), false).await;
    let (id, _) = svc
        .run("SELECT 1 AS id, X'0102' AS bin, array(1, NULL) AS arr")
        .await;
    let st = svc
        .export(
            &id,
            json!({"data_path": "obs://exports/c", "data_type": "csv"}),
        )
        .await;
    assert_eq!(st["status"], "FAILED");
    assert_eq!(
        st["message"],
        "[UNSUPPORTED_DATA_TYPE_FOR_DATASOURCE] The CSV datasource doesn't support the column \
         `bin` of the type \"BINARY\"."
    );
    let st = svc
        .export(
            &id,
            json!({"data_path": "obs://exports/j", "data_type": "json"}),
        )
        .await;
    assert_eq!(st["status"], "FINISHED", "{st}");
    let text = single_part(&svc.bucket("exports"), "j/", ".json").await;
    assert_eq!(text, "{\"id\":1,\"bin\":\"AQI=\",\"arr\":[1,null]}\n");
    svc.stop().await;
}

#[tokio::test]
async fn s3_endpoint_requires_signatures_and_serves_plain_files() {
    let dir = TempDir::new().unwrap();
    let svc = Svc::start(dir.path(), false).await;
    // A file written directly into the folder, as the service writes its own.
    let folder = dir.path().join(".obs/plainbucket/some/dir");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("data.csv"), "0123456789").unwrap();
    let op = svc.bucket("plainbucket");
    assert_eq!(
        objects(&op, "some/").await,
        vec![("some/dir/data.csv".to_string(), b"0123456789".to_vec())]
    );
    let part = op.read_with("some/dir/data.csv").range(2..5).await.unwrap();
    assert_eq!(part.to_vec(), b"234");
    assert_eq!(
        op.stat("some/dir/data.csv").await.unwrap().content_length(),
        10
    );
    op.write("new/obj.txt", "hello").await.unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".obs/plainbucket/new/obj.txt")).unwrap(),
        "hello"
    );
    op.delete("new/obj.txt").await.unwrap();
    op.delete_iter(vec!["some/dir/data.csv".to_string()])
        .await
        .unwrap();
    assert!(objects(&op, "").await.is_empty());
    // The results bucket exists without the demo data.
    assert!(svc.bucket("dli-job-results").list("").await.is_ok());

    let wrong = svc.bucket_as("plainbucket", &svc.cfg.access_key, "WRONGSECRET");
    let err = wrong.list("").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    let wrong = svc.bucket_as("plainbucket", "OTHERKEY", &svc.cfg.secret_key);
    assert_eq!(
        wrong.list("").await.unwrap_err().kind(),
        ErrorKind::PermissionDenied
    );
    let unsigned = reqwest::get(format!(
        "{}/plainbucket?list-type=2",
        svc.dli().obs_endpoint()
    ))
    .await
    .unwrap();
    assert_eq!(unsigned.status(), StatusCode::FORBIDDEN);
    svc.stop().await;
}

#[tokio::test]
async fn result_path_switch() {
    let dir = TempDir::new().unwrap();
    let svc = Svc::start(dir.path(), false).await;
    let (_, st) = svc.run("SELECT 1 AS a").await;
    assert!(
        st.get("result_path").is_none() && st.get("result_format").is_none(),
        "{st}"
    );
    svc.stop().await;

    let svc = Svc::start(dir.path(), true).await;
    let (id, st) = svc
        .run(
            "SELECT id, concat('v,', CAST(id AS string)) AS s FROM (VALUES (1), (2), (3)) AS t(id)",
        )
        .await;
    assert_eq!(
        st["result_path"],
        format!("obs://dli-job-results/jobs/{id}")
    );
    assert_eq!(st["result_format"], "csv");
    let op = svc.bucket("dli-job-results");
    let text = single_part(&op, &format!("jobs/{id}/"), ".csv").await;
    let (_, preview) = svc.get(&format!("jobs/{id}/preview")).await;
    let expected: String = preview["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{},\"{}\"\n", r[0], r[1].as_str().unwrap()))
        .collect();
    assert_eq!(text, expected);
    assert_eq!(text, "1,\"v,1\"\n2,\"v,2\"\n3,\"v,3\"\n");

    // Over the preview cap: the file has every row.
    let fifty: Vec<String> = (0..50).map(|i| format!("({i})")).collect();
    let fifty = fifty.join(",");
    svc.run(&format!(
        "CREATE TABLE big AS SELECT a.x * 50 + b.y AS id, (a.x * 50 + b.y) * 2 AS twice \
         FROM (VALUES {fifty}) AS a(x) CROSS JOIN (VALUES {fifty}) AS b(y)"
    ))
    .await;
    let (id, st) = svc.run("SELECT * FROM big ORDER BY id").await;
    assert_eq!(st["result_count"], 2500);
    let text = single_part(&op, &format!("jobs/{id}/"), ".csv").await;
    let expected: String = (0..2500).map(|i| format!("{i},{}\n", i * 2)).collect();
    assert_eq!(text, expected);

    // Complex columns: their JSON text, binary as base64 (only in result_path files).
    let (id, _) = svc
        .run("SELECT X'0102' AS bin, array(1, NULL) AS arr, named_struct('a', 1, 'b', 'x') AS st")
        .await;
    let text = single_part(&op, &format!("jobs/{id}/"), ".csv").await;
    assert_eq!(
        text,
        "AQI=,\"[1,null]\",\"{\\\"a\\\":1,\\\"b\\\":\\\"x\\\"}\"\n"
    );
    svc.stop().await;
}
