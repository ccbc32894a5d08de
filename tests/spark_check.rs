//! The gateway's Spark text checked by real Spark 3.3 against real PostgreSQL (issue 10).
//!
//! The corpus, `tests/fixtures/bi/corpus.jsonl`, holds the SQL shapes BI tools generate
//! for everyday charts and filters (Superset, Metabase, Tableau, Grafana, Looker-style,
//! Power BI-style; each entry cites the public source its shape was learned from), written
//! against the small fixture of `tests/fixtures/bi/` (orders, customers, and events dated
//! relative to today). Each statement goes through the gateway's translator
//! ([`translate::to_spark`], bound values rendered as the gateway renders them) and then,
//! by `scripts/spark_check.py` (one JVM for the whole corpus), through pyspark 3.3.4 — the
//! real Spark parser, analyzer and executor — while the original Postgres text runs on a
//! private PostgreSQL 15 cluster loaded with the same rows. Both sessions in UTC.
//!
//! Outcomes, measured and recorded per entry (`outcome`):
//! - `same`: Spark's column names and rows equal PostgreSQL's (in order when the statement
//!   has a top-level ORDER BY; values compared by meaning, see the script);
//! - `refused`: the translator refused it (the gateway answers 0A000) — a clear refusal;
//! - `different`: Spark ran it and answered otherwise (`detail` says how) — a silent
//!   wrong answer;
//! - `spark_error`: Spark rejected the translation (`detail`: Spark's error).
//!
//! `expect` is what the tool needs from the gateway (`same`, or `refused` where Spark has
//! no equivalent). Any change of a recorded outcome fails the test, better or worse, so a
//! regression cannot pass silently; `SPARK_CHECK_UPDATE=1` rewrites the outcomes with what
//! the translator does now (then review the diff). A statement PostgreSQL itself rejects
//! is a corpus defect and always fails.
//!
//! Needs pyspark 3.3.4 (`/opt/pyspark33/bin/python`, or `SPARK_CHECK_PYTHON`), Java 17 and
//! PostgreSQL 15's server binaries (`scripts/install-test-deps.sh` installs all three);
//! without them the test is skipped locally and fails under CI (`CI` set).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use dli_pg_gateway::sparksql;
use dli_pg_gateway::translate;
use serde_json::{Map, Value, json};

const CORPUS: &str = "tests/fixtures/bi/corpus.jsonl";
const TOOLS: [&str; 6] = [
    "superset", "metabase", "tableau", "grafana", "looker", "powerbi",
];

type Entry = BTreeMap<String, Value>;

/// The pyspark 3.3 interpreter, when this machine has it and PostgreSQL's server.
fn spark_python() -> Option<PathBuf> {
    let python = std::env::var_os("SPARK_CHECK_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/pyspark33/bin/python"));
    let pg_bin = std::env::var_os("PG_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/lib/postgresql/15/bin"));
    let found = python.exists() && pg_bin.join("initdb").exists();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the real-Spark check: {} or {}/initdb missing \
             (scripts/install-test-deps.sh installs them)",
            python.display(),
            pg_bin.display()
        );
        eprintln!(
            "spark_check skipped: {} or {}/initdb missing",
            python.display(),
            pg_bin.display()
        );
        return None;
    }
    Some(python)
}

/// A bound value as the gateway renders it into Spark text (src/gateway/params.rs):
/// timestamps and dates as typed literals, numbers as written, text quoted for Spark.
fn spark_value(param: &Value) -> String {
    let ty = param["type"].as_str().unwrap_or("text");
    let value = param["value"].as_str().unwrap_or_default();
    match ty {
        "timestamp" | "timestamptz" => format!("TIMESTAMP '{value}'"),
        "date" => format!("DATE '{value}'"),
        "int4" | "int8" | "integer" | "bigint" => value.to_string(),
        _ => sparksql::quote_string(value),
    }
}

/// `$n` replaced by the n-th bound value (highest first, so `$1` never eats `$10`).
fn bind(spark: &str, params: &[Value]) -> String {
    let mut out = spark.to_string();
    for (i, p) in params.iter().enumerate().rev() {
        out = out.replace(&format!("${}", i + 1), &spark_value(p));
    }
    out
}

/// Does the statement end in an ORDER BY of its own (outside parentheses and quotes)?
fn top_level_order_by(sql: &str) -> bool {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut words = Vec::new();
    let mut word = String::new();
    for c in sql.chars() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        if c.is_alphanumeric() || c == '_' {
            word.push(c.to_ascii_lowercase());
        } else if !word.is_empty() {
            words.push((std::mem::take(&mut word), depth));
        }
    }
    if !word.is_empty() {
        words.push((word, depth));
    }
    words
        .windows(2)
        .any(|w| w[0].0 == "order" && w[1].0 == "by" && w[0].1 == 0)
}

/// A row as one comparable text.
fn row_text(row: &Value) -> String {
    serde_json::to_string(row).unwrap_or_default()
}

/// What happened to one entry: (outcome, detail).
fn judge(entry: &Entry, answer: &Value, refused: Option<String>) -> (String, String) {
    if let Some(construct) = refused {
        return ("refused".into(), construct);
    }
    let spark = &answer["spark"];
    if let Some(err) = spark["error"].as_str() {
        return ("spark_error".into(), err.to_string());
    }
    let pg = &answer["pg"];
    let (pcols, scols) = (&pg["columns"], &spark["columns"]);
    let rows = |v: &Value| -> Vec<String> {
        v["rows"]
            .as_array()
            .map(|r| r.iter().map(row_text).collect())
            .unwrap_or_default()
    };
    let (mut prows, mut srows) = (rows(pg), rows(spark));
    let sql = entry.get("sql").and_then(Value::as_str).unwrap_or_default();
    if !top_level_order_by(sql) {
        prows.sort();
        srows.sort();
    }
    let mut why = Vec::new();
    if pcols != scols {
        why.push(format!("columns: postgres {pcols}, spark {scols}"));
    }
    if prows.len() != srows.len() {
        why.push(format!(
            "rows: postgres {}, spark {}",
            prows.len(),
            srows.len()
        ));
    }
    if let Some(i) = (0..prows.len().min(srows.len())).find(|&i| prows[i] != srows[i]) {
        why.push(format!(
            "row {}: postgres {}, spark {}",
            i + 1,
            prows[i],
            srows[i]
        ));
    }
    if why.is_empty() {
        ("same".into(), String::new())
    } else {
        ("different".into(), why.join("; "))
    }
}

/// Runs the requests through scripts/spark_check.py; one answer per id.
fn run_script(python: &Path, requests: &[Value]) -> BTreeMap<String, Value> {
    let mut child = Command::new(python)
        .arg("scripts/spark_check.py")
        .arg("compare")
        .env("TZ", "UTC")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start scripts/spark_check.py");
    {
        let mut stdin = child.stdin.take().expect("stdin");
        for r in requests {
            writeln!(stdin, "{r}").expect("write a request");
        }
    }
    let out = child.wait_with_output().expect("spark_check.py output");
    assert!(
        out.status.success(),
        "spark_check.py failed: {}",
        out.status
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| Some((v["id"].as_str()?.to_string(), v)))
        .collect()
}

/// The fixture's column types (from `spark_check.py tables`), as the gateway's catalog
/// knows a table's columns: what the translator reads to divide integers as Postgres.
struct FixtureColumns(BTreeMap<(String, String), dli_pg_gateway::pgtypes::SparkType>);

impl FixtureColumns {
    fn load(python: &Path) -> Self {
        let out = Command::new(python)
            .args(["scripts/spark_check.py", "tables"])
            .output()
            .expect("spark_check.py tables");
        assert!(out.status.success(), "spark_check.py tables failed");
        let tables: BTreeMap<String, Vec<(String, String)>> =
            serde_json::from_slice(&out.stdout).expect("tables as JSON");
        let mut map = BTreeMap::new();
        for (table, cols) in tables {
            for (col, ty) in cols {
                let ty = dli_pg_gateway::pgtypes::SparkType::parse(&ty);
                map.insert((table.clone(), col), ty);
            }
        }
        FixtureColumns(map)
    }
}

impl translate::ColumnTypes for FixtureColumns {
    fn column_type(
        &self,
        _db: Option<&str>,
        table: &str,
        column: &str,
    ) -> Option<dli_pg_gateway::pgtypes::SparkType> {
        self.0
            .get(&(table.to_ascii_lowercase(), column.to_ascii_lowercase()))
            .cloned()
    }
}

#[test]
fn bi_corpus_on_real_spark_and_postgres() {
    let text = std::fs::read_to_string(CORPUS).expect("corpus");
    let entries: Vec<Entry> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("corpus line"))
        .collect();
    // The corpus covers every tool, each with its sources cited; ids are unique.
    for tool in TOOLS {
        let n = entries
            .iter()
            .filter(|e| e.get("tool").and_then(Value::as_str) == Some(tool))
            .count();
        assert!(n >= 8, "{tool}: {n} statements, want at least 8");
    }
    let mut ids = std::collections::BTreeSet::new();
    for e in &entries {
        let id = e.get("id").and_then(Value::as_str).expect("id");
        assert!(ids.insert(id.to_string()), "duplicate id {id}");
        assert!(
            e.get("source")
                .and_then(Value::as_str)
                .is_some_and(|s| s.starts_with("http")),
            "{id}: no source"
        );
        assert!(
            ["same", "refused"]
                .contains(&e.get("expect").and_then(Value::as_str).unwrap_or_default()),
            "{id}: expect must be same or refused"
        );
    }
    let Some(python) = spark_python() else {
        return;
    };

    let columns = FixtureColumns::load(&python);
    let mut refused = BTreeMap::new();
    let requests: Vec<Value> = entries
        .iter()
        .map(|e| {
            let id = e.get("id").and_then(Value::as_str).unwrap_or_default();
            let sql = e.get("sql").and_then(Value::as_str).unwrap_or_default();
            let params: Vec<Value> = e
                .get("params")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let spark = match translate::to_spark_with(sql, &columns) {
                Ok(s) => Value::String(bind(&s, &params)),
                Err(u) => {
                    refused.insert(id.to_string(), u.to_string());
                    Value::Null
                }
            };
            json!({"id": id, "pg": sql, "params": params, "spark": spark})
        })
        .collect();
    let answers = run_script(&python, &requests);

    let mut problems = Vec::new();
    let mut updated = Vec::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for (entry, req) in entries.iter().zip(&requests) {
        let id = entry.get("id").and_then(Value::as_str).unwrap_or_default();
        let Some(answer) = answers.get(id) else {
            problems.push(format!("{id}: no answer from spark_check.py"));
            updated.push(entry.clone());
            continue;
        };
        if let Some(err) = answer["pg"]["error"].as_str() {
            problems.push(format!("{id}: corpus defect, PostgreSQL rejects it: {err}"));
            updated.push(entry.clone());
            continue;
        }
        let (outcome, detail) = judge(entry, answer, refused.get(id).cloned());
        *counts.entry(outcome.clone()).or_default() += 1;
        let recorded = entry
            .get("outcome")
            .and_then(Value::as_str)
            .unwrap_or("unrecorded");
        if recorded != outcome {
            problems.push(format!(
                "{id}: recorded {recorded}, now {outcome} {detail}\n    spark text: {}",
                req["spark"].as_str().unwrap_or("(refused)")
            ));
        }
        let mut now = entry.clone();
        now.insert("outcome".into(), json!(outcome));
        now.remove("detail");
        if !detail.is_empty() {
            now.insert("detail".into(), json!(detail));
        }
        updated.push(now);
    }
    eprintln!("spark_check: {counts:?} of {}", entries.len());
    if std::env::var_os("SPARK_CHECK_UPDATE").is_some() {
        let mut out = String::new();
        for e in &updated {
            out.push_str(&serde_json::to_string(&Map::from_iter(e.clone())).expect("json"));
            out.push('\n');
        }
        std::fs::write(CORPUS, out).expect("rewrite corpus");
        problems.retain(|p| !p.contains(": recorded "));
    }
    assert!(
        problems.is_empty(),
        "{} of {} corpus entries changed or failed (SPARK_CHECK_UPDATE=1 re-records \
         outcomes):\n{}",
        problems.len(),
        entries.len(),
        problems.join("\n")
    );
}

#[test]
fn order_by_detection_and_binding() {
    assert!(top_level_order_by("SELECT a FROM t ORDER BY 1"));
    assert!(!top_level_order_by(
        "SELECT sum(x) OVER (ORDER BY d) FROM t"
    ));
    assert!(!top_level_order_by("SELECT 'order by' FROM t"));
    assert!(!top_level_order_by(
        "SELECT * FROM (SELECT a FROM t ORDER BY a LIMIT 3) s"
    ));
    let params = [
        json!({"type": "timestamptz", "value": "2024-01-01 00:00:00"}),
        json!({"type": "text", "value": "it's"}),
    ];
    assert_eq!(
        bind("SELECT $1, $2", &params),
        "SELECT TIMESTAMP '2024-01-01 00:00:00', 'it\\'s'"
    );
}
