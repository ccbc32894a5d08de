//! The embedded DLI service over real HTTP for the Spark comparison tests
//! (`spark_functions`, `spark_strict`): start it, run one statement through submit-job,
//! status and preview (check-sql for the error code of a failure), and print values as
//! Spark's SQL CLI prints them.
#![allow(dead_code)]

use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine as _;
use dli_pg_gateway::localdli::sparktext::java_double;
use dli_pg_gateway::localdli::{self, LocalDliConfig};
use serde_json::{Value, json};

pub struct Svc {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Svc {
    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base)
    }

    pub async fn post(&self, path: &str, body: Value) -> Value {
        let resp = self
            .http
            .post(self.url(path))
            .header("X-Auth-Token", &self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let text = resp.text().await.unwrap();
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    }

    pub async fn get(&self, path: &str) -> Value {
        let resp = self
            .http
            .get(self.url(path))
            .header("X-Auth-Token", &self.token)
            .send()
            .await
            .unwrap();
        resp.json().await.unwrap()
    }
}

/// What one statement did.
#[derive(Debug, PartialEq)]
pub enum Seen {
    Rows(Vec<String>),
    Failed { code: String, message: String },
}

pub async fn run(svc: &Svc, sql: &str) -> Seen {
    run_named(svc, sql).await.1
}

/// [`run`], with the result's columns (name, Spark type) when it has rows.
pub async fn run_named(svc: &Svc, sql: &str) -> (Vec<(String, String)>, Seen) {
    let body = json!({"sql": sql, "currentdb": "default", "queue_name": "default"});
    let v = svc.post("jobs/submit-job", body.clone()).await;
    if v["is_success"] != json!(true) {
        let failed = Seen::Failed {
            code: v["error_code"].as_str().unwrap_or("?").to_string(),
            message: v["error_msg"].as_str().unwrap_or_default().to_string(),
        };
        return (Vec::new(), failed);
    }
    let id = v["job_id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        let st = svc.get(&format!("jobs/{id}/status")).await;
        let s = st["status"].as_str().unwrap_or_default().to_string();
        if ["FINISHED", "FAILED", "CANCELLED"].contains(&s.as_str()) {
            break st;
        }
        assert!(Instant::now() < deadline, "{sql}: job stuck in {s}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    if status["status"] != "FINISHED" {
        let message = status["message"].as_str().unwrap_or_default().to_string();
        let check = svc.post("jobs/check-sql", body).await;
        let code = if check["is_success"] == json!(true) {
            "runtime".to_string()
        } else {
            check["error_code"].as_str().unwrap_or("?").to_string()
        };
        return (Vec::new(), Seen::Failed { code, message });
    }
    let preview = svc.get(&format!("jobs/{id}/preview?page-size=10")).await;
    let columns: Vec<(String, String)> = preview["schema"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let (n, t) = c.as_object().unwrap().iter().next().unwrap();
            (n.clone(), t.as_str().unwrap().to_string())
        })
        .collect();
    let types: Vec<Type> = columns.iter().map(|(_, t)| Type::parse(t)).collect();
    let rows = preview["rows"].as_array().unwrap();
    let seen = Seen::Rows(
        rows.iter()
            .map(|r| {
                let cells: Vec<String> = r
                    .as_array()
                    .unwrap()
                    .iter()
                    .zip(&types)
                    .map(|(v, t)| hive(v, t, false))
                    .collect();
                cells.join("\t")
            })
            .collect(),
    );
    (columns, seen)
}

/// A Spark type as the service names it (`array<int>`, `struct<a:int,b:string>`).
#[derive(Debug, Clone)]
pub enum Type {
    Scalar(String),
    Array(Box<Type>),
    Map(Box<Type>, Box<Type>),
    Struct(Vec<(String, Type)>),
}

impl Type {
    pub fn parse(text: &str) -> Type {
        let mut chars = text.trim().chars().peekable();
        Self::read(&mut chars)
    }

    fn read(s: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Type {
        let mut name = String::new();
        while let Some(&c) = s.peek() {
            if c == '<' || c == ',' || c == '>' {
                break;
            }
            name.push(c);
            s.next();
            // decimal(10,2): keep the parenthesised part whole.
            if c == '(' {
                for c in s.by_ref() {
                    name.push(c);
                    if c == ')' {
                        break;
                    }
                }
            }
        }
        let name = name.trim().to_string();
        if s.peek() != Some(&'<') {
            return Type::Scalar(name);
        }
        s.next();
        let t = match name.as_str() {
            "array" => Type::Array(Box::new(Self::read(s))),
            "map" => {
                let k = Self::read(s);
                s.next();
                Type::Map(Box::new(k), Box::new(Self::read(s)))
            }
            _ => {
                let mut fields = Vec::new();
                loop {
                    let mut field = String::new();
                    while let Some(c) = s.next_if(|&c| c != ':') {
                        field.push(c);
                    }
                    s.next();
                    fields.push((field.trim().trim_matches('`').to_string(), Self::read(s)));
                    if s.peek() == Some(&',') {
                        s.next();
                    } else {
                        break;
                    }
                }
                Type::Struct(fields)
            }
        };
        s.next(); // '>'
        t
    }
}

/// A value as Spark's SQL CLI prints it (`HiveResult.toHiveString`).
pub fn hive(v: &Value, t: &Type, nested: bool) -> String {
    if v.is_null() {
        return if nested { "null" } else { "NULL" }.to_string();
    }
    match t {
        Type::Array(e) => {
            let items: Vec<String> = v
                .as_array()
                .map(|a| a.iter().map(|x| hive(x, e, true)).collect())
                .unwrap_or_default();
            format!("[{}]", items.join(","))
        }
        Type::Map(k, val) => {
            let mut entries: Vec<String> = v
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(key, x)| {
                            let key = serde_json::from_str::<Value>(key)
                                .ok()
                                .filter(|_| !matches!(**k, Type::Scalar(ref n) if n == "string"))
                                .unwrap_or(Value::String(key.clone()));
                            format!("{}:{}", hive(&key, k, true), hive(x, val, true))
                        })
                        .collect()
                })
                .unwrap_or_default();
            entries.sort();
            format!("{{{}}}", entries.join(","))
        }
        Type::Struct(fields) => {
            let items: Vec<String> = fields
                .iter()
                .map(|(name, ft)| {
                    format!(
                        "\"{name}\":{}",
                        hive(v.get(name).unwrap_or(&Value::Null), ft, true)
                    )
                })
                .collect();
            format!("{{{}}}", items.join(","))
        }
        Type::Scalar(name) => match (name.as_str(), v) {
            ("double" | "float", Value::Number(n)) => java_double(n.as_f64().unwrap()),
            ("binary", Value::String(s)) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(s)
                    .unwrap_or_else(|_| s.clone().into_bytes());
                String::from_utf8_lossy(&bytes).into_owned()
            }
            ("string", Value::String(s)) if nested => format!("\"{s}\""),
            (_, Value::String(s)) => s.clone(),
            (_, other) => other.to_string(),
        },
    }
}

/// A message in Spark's words: `[ERROR_CLASS] …`, nothing of the engine underneath.
pub fn spark_style(message: &str) -> Option<String> {
    let class = message.strip_prefix('[')?.split(']').next()?;
    let lower = message.to_lowercase();
    let leaks = [
        "internal error",
        "datafusion",
        "arrow",
        "panicked",
        "this issue was likely caused by a bug",
        "not implemented",
        "scalarvalue",
        "utf8",
        "int64",
        "float64",
    ];
    let clean = !class.is_empty()
        && class
            .chars()
            .all(|c| c.is_ascii_uppercase() || c == '_' || c == '.')
        && !leaks.iter().any(|l| lower.contains(l));
    clean.then(|| class.to_string())
}

pub async fn start(dir: &Path) -> (localdli::LocalDli, Svc) {
    let dli = localdli::start(LocalDliConfig {
        warehouse: dir.to_path_buf(),
        ..LocalDliConfig::default()
    })
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let resp = http
        .post(format!("{}/v3/auth/tokens", dli.endpoint()))
        .json(&json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": "dli", "password": "dli-local-password", "domain": {"name": "local"}}}},
            "scope": {"project": {"name": dli.project_id()}}}}))
        .send()
        .await
        .unwrap();
    let token = resp.headers()["x-subject-token"]
        .to_str()
        .unwrap()
        .to_string();
    let base = format!("{}/v1.0/{}", dli.endpoint(), dli.project_id());
    (dli, Svc { http, base, token })
}
