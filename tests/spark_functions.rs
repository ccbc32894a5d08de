//! Spark's own function examples run on the embedded DLI service over real HTTP
//! (submit-job, status, preview; check-sql for the error code of a failure).
//!
//! The corpus, `tests/fixtures/spark_functions.jsonl`, holds the single-row examples of
//! Spark 3.5's built-in function documentation (the `Examples:` of each function's
//! `ExpressionInfo`, which Spark's SQL API docs are generated from), each checked to give
//! its documented result on pyspark 3.5.9 with `spark.sql.session.timeZone=UTC`
//! (`scripts/spark_functions_corpus.py`). Each entry pins what the embedded engine does:
//! - `ok`: the documented result, rendered as Spark's SQL CLI prints it;
//! - `differs`: a result other than the documented one (recorded in `actual`);
//! - `unsupported`: a failure with a Spark-style message (`[ERROR_CLASS] …`, class in
//!   `error`) and DLI.0005/DLI.0007 from check-sql (`code`; `runtime` when the statement
//!   passes check-sql and fails while running).
//!
//! Any change of outcome fails the test, better or worse; `SPARK_CORPUS_UPDATE=1` rewrites
//! the fixture with what the engine does now. Never acceptable, whatever the fixture says:
//! an internal error (DLI.0999), DataFusion's or Arrow's own wording, a panic.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine as _;
use dli_pg_gateway::localdli::sparktext::java_double;
use dli_pg_gateway::localdli::{self, LocalDliConfig};
use futures::StreamExt;
use serde_json::{Value, json};
use tempfile::TempDir;

const FIXTURE: &str = "tests/fixtures/spark_functions.jsonl";

struct Svc {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Svc {
    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base)
    }

    async fn post(&self, path: &str, body: Value) -> Value {
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

    async fn get(&self, path: &str) -> Value {
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
enum Seen {
    Rows(Vec<String>),
    Failed { code: String, message: String },
}

async fn run(svc: &Svc, sql: &str) -> Seen {
    let body = json!({"sql": sql, "currentdb": "default", "queue_name": "default"});
    let v = svc.post("jobs/submit-job", body.clone()).await;
    if v["is_success"] != json!(true) {
        return Seen::Failed {
            code: v["error_code"].as_str().unwrap_or("?").to_string(),
            message: v["error_msg"].as_str().unwrap_or_default().to_string(),
        };
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
        return Seen::Failed { code, message };
    }
    let preview = svc.get(&format!("jobs/{id}/preview?page-size=10")).await;
    let types: Vec<Type> = preview["schema"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let (_, t) = c.as_object().unwrap().iter().next().unwrap();
            Type::parse(t.as_str().unwrap())
        })
        .collect();
    let rows = preview["rows"].as_array().unwrap();
    Seen::Rows(
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
    )
}

/// A Spark type as the service names it (`array<int>`, `struct<a:int,b:string>`).
#[derive(Debug, Clone)]
enum Type {
    Scalar(String),
    Array(Box<Type>),
    Map(Box<Type>, Box<Type>),
    Struct(Vec<(String, Type)>),
}

impl Type {
    fn parse(text: &str) -> Type {
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
fn hive(v: &Value, t: &Type, nested: bool) -> String {
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
fn spark_style(message: &str) -> Option<String> {
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

async fn start(dir: &Path) -> (localdli::LocalDli, Svc) {
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

/// Spark's typed literals: values, types and column names as pyspark 3.5.9 gives them;
/// out-of-range values fail as Spark's parser fails.
#[tokio::test]
async fn numeric_literal_suffixes_like_spark() {
    let dir = TempDir::new().unwrap();
    let (dli, svc) = start(dir.path()).await;
    let sql = "SELECT 10L, 3S, 2Y, 1.5D, 1E2D, 2.5F, 1.5BD, 1E2BD, -128Y, .5d, 10L + 1";
    let v = svc
        .post(
            "jobs/submit-job",
            json!({"sql": sql, "currentdb": "default"}),
        )
        .await;
    let id = v["job_id"].as_str().unwrap().to_string();
    assert_eq!(
        run(&svc, sql).await,
        Seen::Rows(vec![
            "10\t3\t2\t1.5\t100.0\t2.5\t1.5\t100\t-128\t0.5\t11".into()
        ])
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while svc.get(&format!("jobs/{id}/status")).await["status"] != "FINISHED" {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let preview = svc.get(&format!("jobs/{id}/preview")).await;
    let schema: Vec<(String, String)> = preview["schema"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let (n, t) = c.as_object().unwrap().iter().next().unwrap();
            (n.clone(), t.as_str().unwrap().to_string())
        })
        .collect();
    let expected = [
        ("10", "bigint"),
        ("3", "smallint"),
        ("2", "tinyint"),
        ("1.5", "double"),
        ("100.0", "double"),
        ("2.5", "float"),
        ("1.5", "decimal(2,1)"),
        ("100", "decimal(3,0)"),
        ("-128", "tinyint"),
        ("0.5", "double"),
        ("10 + 1", "bigint"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    assert_eq!(schema, expected);

    // Not literals: strings, quoted identifiers, comments, identifiers with digits.
    assert_eq!(
        run(
            &svc,
            "SELECT '10L', x10L /* 2Y */ FROM (SELECT 1 AS x10L) -- 3S"
        )
        .await,
        Seen::Rows(vec!["10L\t1".into()])
    );
    for (sql, msg) in [
        (
            "SELECT 200Y",
            "[INVALID_NUMERIC_LITERAL_RANGE] Numeric literal 200 is outside the valid range for \
             tinyint with minimum value of -128 and maximum value of 127. Please adjust the value \
             accordingly.(line 1, pos 7)",
        ),
        (
            "SELECT 1, -40000S",
            "[INVALID_NUMERIC_LITERAL_RANGE] Numeric literal -40000 is outside the valid range for \
             smallint with minimum value of -32768 and maximum value of 32767. Please adjust the \
             value accordingly.(line 1, pos 10)",
        ),
    ] {
        let v = svc
            .post(
                "jobs/check-sql",
                json!({"sql": sql, "currentdb": "default"}),
            )
            .await;
        assert_eq!(v["error_code"], "DLI.0004", "{sql}: {v}");
        assert_eq!(v["error_msg"], msg, "{sql}");
    }
    // now(), current_date and current_timestamp run (one value each, the same instant).
    let Seen::Rows(rows) = run(
        &svc,
        "SELECT now() = current_timestamp(), current_date IS NOT NULL, \
         current_timestamp IS NOT NULL",
    )
    .await
    else {
        panic!("now() failed")
    };
    assert_eq!(rows, vec!["true\ttrue\ttrue".to_string()]);
    dli.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spark_documented_examples() {
    let text = std::fs::read_to_string(FIXTURE).unwrap();
    let entries: Vec<BTreeMap<String, Value>> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(entries.len() >= 150, "corpus too small: {}", entries.len());

    let dir = TempDir::new().unwrap();
    let (dli, svc) = start(dir.path()).await;

    let seen: Vec<Seen> = futures::stream::iter(entries.iter())
        .map(|e| run(&svc, e["sql"].as_str().unwrap()))
        .buffered(6)
        .collect()
        .await;

    let mut problems = Vec::new();
    let mut updated = Vec::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for (entry, seen) in entries.iter().zip(seen) {
        let sql = entry["sql"].as_str().unwrap();
        let documented = entry["result"].as_str().unwrap();
        let mut now = entry.clone();
        for k in ["outcome", "actual", "code", "error"] {
            now.remove(k);
        }
        match &seen {
            Seen::Rows(rows) if rows.len() == 1 && same_result(entry, documented, &rows[0]) => {
                now.insert("outcome".into(), json!("ok"));
            }
            Seen::Rows(rows) => {
                now.insert("outcome".into(), json!("differs"));
                now.insert("actual".into(), json!(rows.join("\n")));
            }
            Seen::Failed { code, message } => match spark_style(message) {
                Some(class)
                    if ["DLI.0005", "DLI.0007", "DLI.0004", "runtime"].contains(&code.as_str()) =>
                {
                    now.insert("outcome".into(), json!("unsupported"));
                    now.insert("code".into(), json!(code));
                    now.insert("error".into(), json!(class));
                }
                _ => problems.push(format!("{sql}: never acceptable: {code} {message}")),
            },
        }
        let outcome = now
            .get("outcome")
            .and_then(Value::as_str)
            .unwrap_or("never")
            .to_string();
        *counts.entry(outcome).or_default() += 1;
        if &now != entry {
            problems.push(format!(
                "{sql}: fixture says {}, engine now {}",
                Value::from(serde_json::Map::from_iter(entry.clone())),
                Value::from(serde_json::Map::from_iter(now.clone()))
            ));
        }
        updated.push(now);
    }
    eprintln!("spark function corpus: {counts:?} of {}", entries.len());
    // Never a silently different answer: a function runs as Spark documents it or fails.
    if let Some(n) = counts.get("differs") {
        problems.push(format!("{n} examples answer other than Spark documents"));
    }
    dli.shutdown().await;

    if std::env::var_os("SPARK_CORPUS_UPDATE").is_some() {
        let mut out = String::new();
        for e in &updated {
            out.push_str(&serde_json::to_string(&serde_json::Map::from_iter(e.clone())).unwrap());
            out.push('\n');
        }
        std::fs::write(Path::new(FIXTURE), out).unwrap();
        problems.retain(|p| p.contains("never acceptable"));
    }
    assert!(
        problems.is_empty(),
        "{} of {} examples changed or failed badly:\n{}",
        problems.len(),
        entries.len(),
        problems.join("\n")
    );
}

/// Spark's documented result and the engine's are the same: equal text, or
/// - for a `double` computed by an aggregate, equal up to rounding (Spark's own result
///   of such an aggregate depends on how its rows are partitioned: it sums partial
///   results in whatever order the tasks finish);
/// - for `collect_set`, the same elements (Spark documents its order as
///   non-deterministic).
fn same_result(entry: &BTreeMap<String, Value>, documented: &str, actual: &str) -> bool {
    if documented == actual {
        return true;
    }
    let class = entry
        .get("class")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if class.contains(".aggregate.")
        && let (Ok(d), Ok(a)) = (documented.parse::<f64>(), actual.parse::<f64>())
    {
        return documented.contains('.') && (d - a).abs() <= 1e-12 * d.abs().max(1.0);
    }
    if entry.get("fn").and_then(Value::as_str) == Some("collect_set") {
        let sorted = |t: &str| {
            let mut v: Vec<String> = t
                .trim_matches(['[', ']'])
                .split(',')
                .map(str::to_string)
                .collect();
            v.sort();
            v
        };
        return sorted(documented) == sorted(actual);
    }
    false
}
