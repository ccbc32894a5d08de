//! Postgres → Spark translation of statements read one per line on stdin: prints
//! `ok<TAB>spark text` or `refused<TAB>reason` per line. Column types for integer
//! division may be given as `PG_TO_SPARK_COLUMNS=table.column:type,…`
//! (e.g. `t.n:int,t.id:bigint`). For checking the translation against real Spark.

use std::io::BufRead;

use dli_pg_gateway::pgtypes::SparkType;
use dli_pg_gateway::translate::{ColumnTypes, to_spark_with};

struct Env(Vec<(String, String, SparkType)>);

impl ColumnTypes for Env {
    fn column_type(&self, _db: Option<&str>, table: &str, column: &str) -> Option<SparkType> {
        self.0
            .iter()
            .find(|(t, c, _)| t == table && c == column)
            .map(|(_, _, ty)| ty.clone())
    }
}

fn main() {
    let spec = std::env::var("PG_TO_SPARK_COLUMNS").unwrap_or_default();
    let cols = Env(spec
        .split(',')
        .filter_map(|item| {
            let (name, ty) = item.split_once(':')?;
            let (t, c) = name.split_once('.')?;
            Some((t.to_string(), c.to_string(), SparkType::parse(ty)))
        })
        .collect());
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        if line.trim().is_empty() {
            continue;
        }
        match to_spark_with(&line, &cols) {
            Ok(spark) => println!("ok\t{spark}"),
            Err(e) => println!("refused\t{e}"),
        }
    }
}
