//! Result encoding: DLI columns and JSON rows to pgwire fields and data rows.
//!
//! Owns: building `RowDescription` fields from Spark column types (through the one type
//! table in [`crate::pgtypes`]) and encoding rows in the format each column asks for.

use std::sync::Arc;

use pgwire::api::results::{DataRowEncoder, FieldFormat, FieldInfo};
use pgwire::messages::data::DataRow;
use serde_json::Value;

use crate::dli::Column;
use crate::errors::{ErrorKind, GatewayError};
use crate::pgtypes::{PgValue, SparkType};

/// Fields for a result, with the Spark type of each column.
pub fn fields(
    columns: &[Column],
    format_for: impl Fn(usize) -> FieldFormat,
) -> (Arc<Vec<FieldInfo>>, Vec<SparkType>) {
    let mut infos = Vec::with_capacity(columns.len());
    let mut types = Vec::with_capacity(columns.len());
    for (i, col) in columns.iter().enumerate() {
        let spark = SparkType::parse(&col.spark_type);
        let pg = spark.pg_type();
        infos.push(
            FieldInfo::new(col.name.clone(), None, None, pg.pg, format_for(i))
                .with_type_size(pg.len)
                .with_type_modifier(pg.typmod),
        );
        types.push(spark);
    }
    (Arc::new(infos), types)
}

/// Encode JSON rows. A value DLI sent that does not match its own declared type is an
/// upstream fault and ends the statement with a clear error.
pub fn rows(
    fields: &Arc<Vec<FieldInfo>>,
    types: &[SparkType],
    rows: &[Vec<Value>],
) -> Result<Vec<DataRow>, GatewayError> {
    let mut encoder = DataRowEncoder::new(fields.clone());
    let mut out = Vec::with_capacity(rows.len());
    for (r, row) in rows.iter().enumerate() {
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
        for (c, (value, ty)) in row.iter().zip(types).enumerate() {
            let v = PgValue::from_json(value, ty).map_err(|e| {
                GatewayError::new(
                    ErrorKind::Upstream,
                    format!("DLI result row {r} column {c}: {e}"),
                )
            })?;
            encoder.encode_field(&v).map_err(|e| {
                GatewayError::new(
                    ErrorKind::Internal,
                    format!("encoding row {r} column {c}: {e}"),
                )
            })?;
        }
        out.push(encoder.take_row());
    }
    Ok(out)
}
