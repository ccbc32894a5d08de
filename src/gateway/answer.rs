//! What each kind of statement produced, as an [`Output`]: a session command's answer,
//! a constant row, catalog rows, a finished DLI job (read as the columns the client was
//! told at Describe). Protocol-neutral.

use postgres_types::Type;

use super::catalog_hook::LocalRows;
use super::classify::{DliKind, insert_tag};
use super::local::LocalAnswer;
use super::output::{CommandTag, Field, FieldType, Output, Transaction};
use super::plan::Plan;
use super::runner::{Finished, Outcome};
use crate::dli::JobType;
use crate::errors::{ErrorKind, GatewayError};
use crate::pgtypes::PgValue;

pub(super) fn spark_fields(columns: &[crate::dli::Column]) -> Vec<Field> {
    columns
        .iter()
        .map(|c| Field::spark(c.name.clone(), &c.spark_type))
        .collect()
}

pub(super) fn constant_fields(row: &[super::constant::ConstColumn]) -> Vec<Field> {
    row.iter()
        .map(|c| Field {
            name: c.name.clone(),
            ty: FieldType::Spark(c.ty.clone()),
        })
        .collect()
}

pub(super) fn local_output(answer: LocalAnswer) -> Output {
    let tx = |name: &str, transaction| Output::Command {
        tag: CommandTag::plain(name),
        rows: None,
        transaction,
    };
    match answer {
        LocalAnswer::Begin => tx("BEGIN", Transaction::Start),
        LocalAnswer::Commit => tx("COMMIT", Transaction::End),
        LocalAnswer::Rollback => tx("ROLLBACK", Transaction::End),
        LocalAnswer::Tag(t) => Output::command(CommandTag::plain(t), None),
        LocalAnswer::Row(names, values) => Output::rows(
            names
                .into_iter()
                .map(|n| Field::pg(n, Type::TEXT))
                .collect(),
            vec![
                values
                    .into_iter()
                    .map(|v| v.map_or(PgValue::Null, PgValue::Text))
                    .collect(),
            ],
            None,
        ),
    }
}

pub(super) fn rows_output(rows: LocalRows) -> Output {
    let fields = rows
        .fields
        .into_iter()
        .map(|(n, t)| Field::pg(n, t))
        .collect();
    let mut out = Output::rows(fields, rows.rows, rows.tag);
    if let Output::Rows(r) = &mut out {
        r.notices = rows.notices;
    }
    out
}

/// A finished DLI job as output. When the client was told the result's columns (at
/// Describe), values are read as those types so the bytes match what it expects; a
/// value that cannot be read as the described type is a clear error, never garbage.
pub(super) fn job_output(
    plan: &Plan,
    kind: &DliKind,
    finished: Finished,
) -> Result<Output, GatewayError> {
    match finished.outcome {
        Outcome::Rows {
            columns,
            rows,
            notices,
        } => {
            let fields = match plan.known_columns() {
                Some(d) if d.len() == columns.len() => d.to_vec(),
                Some(d) => {
                    return Err(GatewayError::new(
                        ErrorKind::DatatypeMismatch,
                        format!(
                            "the statement returned {} columns but was described with {}; prepare it again",
                            columns.len(),
                            d.len()
                        ),
                    ));
                }
                None => spark_fields(&columns),
            };
            Ok(super::convert::json_rows(fields, rows, notices))
        }
        Outcome::Command { job_type, rows } => {
            let tag = match job_type {
                JobType::Insert => insert_tag(),
                _ => kind.tag(),
            };
            Ok(Output::command(tag, rows))
        }
    }
}
