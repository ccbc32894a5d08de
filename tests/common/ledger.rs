//! What a run cost in DLI jobs: the jobs a service knows, counted by job type, and the
//! statements among them that should never have become a job (connection probes,
//! constant SELECTs, transaction and prepared-statement commands the gateway answers).

use std::collections::BTreeMap;

use dli_pg_gateway::dli::JobStatus;

/// Jobs by type, and the avoidable ones.
pub struct Ledger {
    by_type: BTreeMap<String, usize>,
    avoidable: Vec<String>,
    lines: Vec<String>,
}

impl Ledger {
    pub fn of(jobs: &[JobStatus]) -> Ledger {
        let mut by_type = BTreeMap::new();
        let mut avoidable = Vec::new();
        let mut lines = Vec::new();
        for j in jobs {
            let kind = j.job_type.as_str().to_string();
            *by_type.entry(kind.clone()).or_insert(0) += 1;
            let sql = j.statement.clone().unwrap_or_default();
            let short: String = sql.chars().take(160).collect();
            lines.push(format!("{kind:7} {:?} {short}", j.status));
            if avoidable_statement(&sql) {
                avoidable.push(short);
            }
        }
        Ledger {
            by_type,
            avoidable,
            lines,
        }
    }

    /// `DDL 3, INSERT 2, QUERY 10`: types in name order, each with its count.
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self
            .by_type
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        parts.join(", ")
    }

    pub fn total(&self) -> usize {
        self.by_type.values().sum()
    }

    /// Statements that the gateway should have answered itself.
    pub fn avoidable(&self) -> &[String] {
        &self.avoidable
    }

    /// One line per job, for a failure message.
    pub fn listing(&self) -> String {
        self.lines.join("\n")
    }
}

/// A statement no DLI job is needed for: a session or transaction command, or a SELECT
/// of constants (no FROM, no function call).
pub fn avoidable_statement(sql: &str) -> bool {
    let text = without_strings(sql).to_ascii_lowercase();
    let words: Vec<&str> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    let Some(first) = words.first() else {
        return true;
    };
    const SESSION: [&str; 12] = [
        "deallocate",
        "begin",
        "start",
        "commit",
        "rollback",
        "end",
        "discard",
        "savepoint",
        "release",
        "listen",
        "unlisten",
        "reset",
    ];
    if SESSION.contains(first) {
        return true;
    }
    *first == "select" && !words.contains(&"from") && !text.contains('(')
}

/// The (Spark) text with every string literal emptied, so that words inside strings do
/// not count: '…' and "…", with backslash escapes.
fn without_strings(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let mut chars = sql.chars();
    while let Some(c) = chars.next() {
        match quote {
            Some(_) if c == '\\' => {
                chars.next();
            }
            Some(q) if c == q => {
                quote = None;
                out.push(c);
            }
            Some(_) => {}
            None => {
                if c == '\'' || c == '"' {
                    quote = Some(c);
                }
                out.push(c);
            }
        }
    }
    out
}

#[test]
fn avoidable_statements() {
    for sql in [
        "SELECT 1",
        "select 'from x' AS v",
        "DEALLOCATE \"_PLAN1\"",
        "BEGIN",
        "  ",
    ] {
        assert!(avoidable_statement(sql), "{sql}");
    }
    for sql in [
        "SELECT a FROM t",
        "SELECT count(*) FROM t",
        "SELECT current_date()",
        "INSERT INTO t VALUES (1)",
        "CREATE DATABASE d",
        "SHOW TABLES",
        "SELECT 'it\\'s' AS v FROM t LIMIT 1",
        "SELECT  '\\\\\\' OR 1=1 --' AS v FROM t LIMIT 1",
        "SELECT \"a'b\" FROM t",
    ] {
        assert!(!avoidable_statement(sql), "{sql}");
    }
}
