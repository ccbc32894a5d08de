//! Starting the embedded service for the Flink tests, the project's own DLI client on
//! it, a raw HTTP client for shapes the client hides, and bounded polling.

use std::path::Path;
use std::time::{Duration, Instant};

use dli_pg_gateway::dli::flink::*;
use dli_pg_gateway::dli::*;
use dli_pg_gateway::localdli::{self, LocalDli, LocalDliConfig};
use serde_json::{Value, json};

pub struct Svc {
    pub dli: Option<LocalDli>,
    pub client: DliClient,
    pub http: reqwest::Client,
    pub base: String,
    pub project: String,
    pub token: String,
}

/// Short steps so the state machine moves quickly; no demo data unless asked.
pub fn config(dir: &Path, demo_jobs: bool) -> LocalDliConfig {
    LocalDliConfig {
        warehouse: dir.to_path_buf(),
        demo: false,
        flink_demo_jobs: demo_jobs,
        flink_step_ms: 40,
        ..LocalDliConfig::default()
    }
}

impl Svc {
    pub async fn start(cfg: LocalDliConfig) -> Svc {
        let dli = localdli::start(cfg.clone())
            .await
            .expect("local DLI starts");
        let mut ccfg = dli.client_config(&cfg, &DliClientConfig::default());
        ccfg.max_read_retries = 0;
        ccfg.request_timeout_secs = 10;
        let client = DliClient::new(ccfg).expect("client");
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
        let token = resp.headers()["x-subject-token"]
            .to_str()
            .unwrap()
            .to_string();
        let project = dli.project_id().to_string();
        Svc {
            dli: Some(dli),
            client,
            http,
            base,
            project,
            token,
        }
    }

    pub async fn stop(mut self) {
        if let Some(dli) = self.dli.take() {
            dli.shutdown().await;
        }
    }

    /// A raw call (`path` after `/v1.0/{p}/`, or a full path starting with `/`).
    pub async fn raw(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = if path.starts_with('/') {
            format!("{}{path}", self.base)
        } else {
            format!("{}/v1.0/{}/{path}", self.base, self.project)
        };
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .http
            .request(m, url)
            .header("X-Auth-Token", &self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn status(&self, id: i64) -> String {
        self.client
            .flink_job(id)
            .await
            .expect("details")
            .status
            .unwrap_or_default()
    }

    /// Polls the details until the job is in `want` (bounded: 20 s).
    pub async fn wait_status(&self, id: i64, want: &str) -> FlinkJob {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let job = self.client.flink_job(id).await.expect("details");
            if job.status.as_deref() == Some(want) {
                return job;
            }
            assert!(
                Instant::now() < deadline,
                "job {id} never reached {want}; last {:?} ({:?})",
                job.status,
                job.status_desc
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn create_sql(&self, name: &str, sql: &str) -> i64 {
        let req = sql_job(name, sql);
        self.client
            .create_flink_sql_job(&req)
            .await
            .expect("create")
            .job
            .expect("job")
            .job_id
    }
}

pub fn sql_job(name: &str, sql: &str) -> CreateSqlJobRequest {
    CreateSqlJobRequest {
        name: name.into(),
        settings: SqlJobSettings {
            sql_body: Some(sql.into()),
            ..Default::default()
        },
        job_type: Some("flink_opensource_sql_job".into()),
        ..Default::default()
    }
}

/// The DLI code of a failed call.
pub fn code<T: std::fmt::Debug>(r: Result<T, DliError>) -> String {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.code.unwrap_or_else(|| format!("no code: {}", e.message)),
    }
}

pub const KAFKA_SQL: &str = "CREATE TABLE src (car_id STRING, car_owner STRING, car_brand STRING, car_speed INT) WITH ('connector' = 'kafka', 'topic' = 'in');\nCREATE TABLE snk (car_id STRING, car_owner STRING, car_brand STRING, car_speed INT) WITH ('connector' = 'kafka', 'topic' = 'out');\nINSERT INTO snk SELECT car_id, car_owner, car_brand, car_speed FROM src;";
