//! Arrow results of catalog queries as Postgres rows.
//!
//! Owns: typing each result column through the one type table (Arrow → Spark name →
//! Postgres type, the same path Describe reports) and converting values to [`PgValue`].
//! Must not run queries.

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float32Array, Float64Array, Int8Array, Int16Array,
    Int32Array, Int64Array, UInt8Array, UInt16Array, UInt32Array, UInt64Array,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use pgwire::api::Type;

use crate::gateway::catalog_hook::LocalRows;
use crate::pgtypes::PgValue;

use super::types::field_pg_type;

/// The (name, type) of each result column.
pub fn fields(schema: &Schema) -> Vec<(String, Type)> {
    schema
        .fields()
        .iter()
        .map(|f| (f.name().clone(), field_pg_type(f)))
        .collect()
}

/// All batches as rows.
pub fn local_rows(schema: &Schema, batches: &[RecordBatch]) -> Result<LocalRows, String> {
    let fields = fields(schema);
    let mut rows = Vec::new();
    for batch in batches {
        let cols: Vec<Vec<PgValue>> = batch
            .columns()
            .iter()
            .zip(&fields)
            .map(|(a, (_, ty))| values(a, ty))
            .collect::<Result<_, _>>()?;
        for r in 0..batch.num_rows() {
            rows.push(cols.iter().map(|c| c[r].clone()).collect());
        }
    }
    Ok(LocalRows {
        fields,
        rows,
        tag: None,
        notices: Vec::new(),
    })
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

macro_rules! prim {
    ($a:expr, $t:ty, $variant:ident, $conv:expr) => {{
        let arr = $a
            .as_any()
            .downcast_ref::<$t>()
            .ok_or_else(|| format!("unexpected array for {}", stringify!($t)))?;
        (0..arr.len())
            .map(|i| {
                if arr.is_null(i) {
                    PgValue::Null
                } else {
                    PgValue::$variant($conv(arr.value(i)))
                }
            })
            .collect()
    }};
}

/// One column's values as `ty`.
fn values(a: &ArrayRef, ty: &Type) -> Result<Vec<PgValue>, String> {
    Ok(match a.data_type() {
        DataType::Null => vec![PgValue::Null; a.len()],
        DataType::Boolean => prim!(a, BooleanArray, Bool, std::convert::identity),
        DataType::Int8 => prim!(a, Int8Array, I16, i16::from),
        DataType::UInt8 => prim!(a, UInt8Array, I16, i16::from),
        DataType::Int16 => prim!(a, Int16Array, I16, std::convert::identity),
        DataType::UInt16 => prim!(a, UInt16Array, I32, i32::from),
        DataType::Int32 => prim!(a, Int32Array, I32, std::convert::identity),
        DataType::UInt32 => prim!(a, UInt32Array, I64, i64::from),
        DataType::Int64 => prim!(a, Int64Array, I64, std::convert::identity),
        DataType::UInt64 => prim!(a, UInt64Array, Numeric, |v: u64| v.to_string()),
        DataType::Float32 => prim!(a, Float32Array, F32, std::convert::identity),
        DataType::Float64 => prim!(a, Float64Array, F64, std::convert::identity),
        DataType::List(_) | DataType::LargeList(_) => {
            let elem = array_element(ty);
            let list = cast(a, &DataType::List(element_field(a.data_type()))).map_err(err)?;
            let list = list.as_list::<i32>();
            (0..list.len())
                .map(|i| {
                    if list.is_null(i) {
                        Ok(PgValue::Null)
                    } else {
                        values(&list.value(i), &elem).map(PgValue::Array)
                    }
                })
                .collect::<Result<_, String>>()?
        }
        _ if *ty == Type::CHAR => texts(a)?
            .into_iter()
            .map(|v| match v {
                PgValue::Text(s) => PgValue::Char(s.bytes().next().unwrap_or(0)),
                other => other,
            })
            .collect(),
        _ if *ty == Type::TEXT || *ty == Type::VARCHAR || *ty == Type::BPCHAR => texts(a)?,
        _ => {
            // Dates, timestamps, decimals…: through their text form.
            texts(a)?
                .into_iter()
                .map(|v| match v {
                    PgValue::Text(s) if *ty == Type::NUMERIC => PgValue::Numeric(s),
                    PgValue::Text(s) if *ty == Type::DATE => {
                        chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                            .map_or(PgValue::Text(s), PgValue::Date)
                    }
                    PgValue::Text(s) if *ty == Type::TIMESTAMP => {
                        let t = s.trim_end_matches('Z');
                        chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f")
                            .map_or(PgValue::Text(s), PgValue::Timestamp)
                    }
                    other => other,
                })
                .collect()
        }
    })
}

fn element_field(dt: &DataType) -> std::sync::Arc<datafusion::arrow::datatypes::Field> {
    match dt {
        DataType::List(f) | DataType::LargeList(f) => f.clone(),
        _ => std::sync::Arc::new(datafusion::arrow::datatypes::Field::new(
            "item",
            DataType::Utf8,
            true,
        )),
    }
}

fn array_element(ty: &Type) -> Type {
    match ty.kind() {
        postgres_types::Kind::Array(e) => e.clone(),
        _ => Type::TEXT,
    }
}

fn texts(a: &ArrayRef) -> Result<Vec<PgValue>, String> {
    let opts = FormatOptions::default();
    let f = ArrayFormatter::try_new(a.as_ref(), &opts).map_err(err)?;
    Ok((0..a.len())
        .map(|i| {
            if a.is_null(i) {
                PgValue::Null
            } else {
                PgValue::Text(f.value(i).to_string())
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{ListBuilder, StringArray, StringBuilder};
    use datafusion::arrow::datatypes::Field;
    use std::sync::Arc;

    #[test]
    fn converts_common_columns() {
        let mut lb = ListBuilder::new(StringBuilder::new());
        lb.values().append_value("a");
        lb.append(true);
        lb.append(false);
        let list = lb.finish();
        let schema = Arc::new(Schema::new(vec![
            Field::new("n", DataType::Int32, true),
            Field::new("s", DataType::Utf8, true),
            Field::new("l", list.data_type().clone(), true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int32Array::from(vec![Some(1), None])),
                Arc::new(StringArray::from(vec![Some("x"), None])),
                Arc::new(list),
            ],
        )
        .unwrap();
        let rows = local_rows(&schema, &[batch]).unwrap();
        assert_eq!(rows.fields[0].1, Type::INT4);
        assert_eq!(rows.fields[2].1, Type::TEXT_ARRAY);
        assert_eq!(rows.rows[0][0], PgValue::I32(1));
        assert_eq!(rows.rows[1][1], PgValue::Null);
        assert_eq!(
            rows.rows[0][2],
            PgValue::Array(vec![PgValue::Text("a".into())])
        );
        assert_eq!(rows.rows[1][2], PgValue::Null);
    }
}
