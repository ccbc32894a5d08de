//! `dli_catalog_status()`: the metadata cache's state as a one-row table function.
//!
//! Owns: that row (load time, age, counts, staleness, last error, loads, databases whose
//! columns are loaded, describe calls made). Read-only.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::catalog::{MemTable, TableFunctionImpl, TableProvider};
use datafusion::error::Result;
use datafusion::prelude::Expr;

use super::batch::{TableBuilder, V};
use super::cache::CacheStatus;

/// The table function's one table.
#[derive(Debug)]
pub struct StatusTable(Arc<MemTable>);

impl TableFunctionImpl for StatusTable {
    fn call(&self, _args: &[Expr]) -> Result<Arc<dyn TableProvider>> {
        Ok(self.0.clone())
    }
}

pub fn status_table(s: &CacheStatus) -> Result<StatusTable> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("loaded_at", DataType::Utf8, true),
        Field::new("age_seconds", DataType::Int64, true),
        Field::new("databases", DataType::Int64, false),
        Field::new("tables", DataType::Int64, false),
        Field::new("stale", DataType::Boolean, false),
        Field::new("last_error", DataType::Utf8, true),
        Field::new("loads", DataType::Int64, false),
        Field::new("described_databases", DataType::Int64, false),
        Field::new("describes", DataType::Int64, false),
    ]));
    let mut b = TableBuilder::new(schema);
    let loaded = s
        .loaded_at
        .map(|t| chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339());
    let age = s
        .loaded_at
        .and_then(|t| t.elapsed().ok())
        .map(|d| V::from(d.as_secs() as usize));
    b.row([
        ("loaded_at", loaded.into()),
        ("age_seconds", age.unwrap_or(V::Null)),
        ("databases", s.databases.into()),
        ("tables", s.tables.into()),
        ("stale", s.stale.into()),
        ("last_error", s.last_error.clone().into()),
        ("loads", V::Int(i64::try_from(s.loads).unwrap_or(i64::MAX))),
        ("described_databases", s.described_databases.into()),
        (
            "describes",
            V::Int(i64::try_from(s.describes).unwrap_or(i64::MAX)),
        ),
    ]);
    Ok(StatusTable(b.into_table()?))
}
