// Reads JSON lines {"id", "sql"} and writes {"id", "spark"} or {"id", "error"}:
// polyglot-sql's Postgres -> Spark transpilation of each statement.
use std::io::BufRead;

fn main() {
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let line = line.expect("line");
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(&line).expect("json");
        let sql = v["sql"].as_str().unwrap_or_default();
        let t = std::time::Instant::now();
        let out = polyglot_sql::transpile_by_name(sql, "postgres", "spark");
        let us = t.elapsed().as_micros();
        let ans = match out {
            Ok(mut stmts) if stmts.len() == 1 => {
                serde_json::json!({"id": v["id"], "spark": stmts.remove(0), "us": us})
            }
            Ok(stmts) => {
                serde_json::json!({"id": v["id"], "error": format!("{} statements", stmts.len()), "us": us})
            }
            Err(e) => serde_json::json!({"id": v["id"], "error": e.to_string(), "us": us}),
        };
        println!("{ans}");
    }
}
