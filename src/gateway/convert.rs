//! DLI's JSON result values as Postgres values.
//!
//! Owns: reading each batch of a DLI result (JSON rows, as the runner streams them) as
//! Postgres values of the result's columns, through the one type table
//! ([`crate::pgtypes`]). A value DLI sent that does not match its declared type is an
//! upstream fault and ends the stream with a clear error. Protocol-neutral.

use std::sync::Arc;

use futures::StreamExt;
use serde_json::Value;

use super::output::{Batch, Field, FieldType, Output, Rows};
use super::runner::ResultRows;
use crate::errors::{ErrorKind, GatewayError, Notice};
use crate::pgtypes::{PgValue, SparkType};

/// Rows of a DLI result, converted batch by batch as they arrive. Result files are
/// decoded straight to the described column types.
pub fn json_rows(fields: Vec<Field>, rows: ResultRows, notices: Vec<Notice>) -> Output {
    let rows = match rows {
        ResultRows::Json(rows) => rows,
        ResultRows::Files(mut read) => {
            let typed: Option<Vec<(String, SparkType)>> = read
                .columns
                .iter()
                .zip(fields.iter())
                .map(|((name, _), f)| match &f.ty {
                    FieldType::Spark(t) => Some((name.clone(), t.clone())),
                    FieldType::Pg(_) => None,
                })
                .collect();
            let batches: super::output::RowStream = match typed {
                Some(t) => {
                    read.columns = Arc::new(t);
                    read.stream()
                }
                None => Box::pin(futures::stream::once(async {
                    Err(GatewayError::internal(
                        "a DLI result column was described with a Postgres type",
                    ))
                })),
            };
            return Output::Rows(Rows {
                fields: Arc::new(fields),
                batches,
                tag: None,
                notices,
            });
        }
    };
    let types: Arc<Vec<Option<SparkType>>> = Arc::new(
        fields
            .iter()
            .map(|f| match &f.ty {
                FieldType::Spark(t) => Some(t.clone()),
                FieldType::Pg(_) => None,
            })
            .collect(),
    );
    let mut seen = 0usize;
    let batches = rows.map(move |batch| {
        let batch = batch?;
        let first = seen;
        seen += batch.len();
        convert(&types, first, batch)
    });
    Output::Rows(Rows {
        fields: Arc::new(fields),
        batches: Box::pin(batches),
        tag: None,
        notices,
    })
}

fn convert(
    types: &[Option<SparkType>],
    first_row: usize,
    batch: Vec<Vec<Value>>,
) -> Result<Batch, GatewayError> {
    let mut out = Vec::with_capacity(batch.len());
    for (i, row) in batch.into_iter().enumerate() {
        let r = first_row + i;
        if row.len() != types.len() {
            return Err(GatewayError::new(
                ErrorKind::Upstream,
                format!(
                    "DLI result row {r} has {} values for {} columns",
                    row.len(),
                    types.len()
                ),
            ));
        }
        let mut values = Vec::with_capacity(row.len());
        for (c, (value, ty)) in row.iter().zip(types).enumerate() {
            let Some(ty) = ty else {
                return Err(GatewayError::internal(format!(
                    "DLI result column {c} was described with a Postgres type"
                )));
            };
            values.push(PgValue::from_json(value, ty).map_err(|e| {
                GatewayError::new(
                    ErrorKind::Upstream,
                    format!("DLI result row {r} column {c}: {e}"),
                )
            })?);
        }
        out.push(values);
    }
    Ok(out)
}
