//! `pg_cursors`: the session's open SQL cursors (`DECLARE … CURSOR`), as Postgres lists
//! them. psycopg 3 asks it whether a named cursor it did not describe still exists
//! before closing it.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::TableProvider;
use datafusion::error::Result;

use super::batch::TableBuilder;
use crate::gateway::catalog_hook::OpenCursor;

/// The schema of `pg_cursors`.
pub fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("name", DataType::Utf8, false),
        Field::new("statement", DataType::Utf8, false),
        Field::new("is_holdable", DataType::Boolean, false),
        Field::new("is_binary", DataType::Boolean, false),
        Field::new("is_scrollable", DataType::Boolean, false),
        Field::new("creation_time", DataType::Utf8, true),
    ]))
}

/// `pg_cursors` for a session.
pub fn table(open: &[OpenCursor]) -> Result<Arc<dyn TableProvider>> {
    let mut b = TableBuilder::new(schema());
    for c in open {
        b.row([
            ("name", c.name.as_str().into()),
            ("statement", c.statement.as_str().into()),
            ("is_holdable", c.holdable.into()),
            ("is_binary", false.into()),
            ("is_scrollable", false.into()),
        ]);
    }
    Ok(b.into_table()?)
}
