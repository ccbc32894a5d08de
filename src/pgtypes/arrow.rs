//! Spark types ↔ Arrow types.
//!
//! Owns: the Arrow type a Spark type is stored as ([`SparkType::to_arrow`]) and the
//! closest Spark type of an Arrow type ([`SparkType::from_arrow`]): the embedded service's
//! warehouse and query results, and the catalog's result columns and planning schemas,
//! all go through these two functions. Must not know Postgres; a column's Postgres type
//! is always its Spark type's row in [`super::table`].

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Fields, Schema, TimeUnit};

use super::spark::{MAX_PRECISION, SparkType};

impl SparkType {
    /// The Arrow type the warehouse stores this type as (text for [`SparkType::Other`]).
    pub fn to_arrow(&self) -> DataType {
        match self {
            SparkType::TinyInt => DataType::Int8,
            SparkType::SmallInt => DataType::Int16,
            SparkType::Int => DataType::Int32,
            SparkType::BigInt => DataType::Int64,
            SparkType::Float => DataType::Float32,
            SparkType::Double => DataType::Float64,
            SparkType::Boolean => DataType::Boolean,
            SparkType::String
            | SparkType::Varchar(_)
            | SparkType::Char(_)
            | SparkType::Other(_) => DataType::Utf8,
            SparkType::Decimal(p, s) => {
                DataType::Decimal128((*p).min(MAX_PRECISION), i8::try_from(*s).unwrap_or(i8::MAX))
            }
            SparkType::Date => DataType::Date32,
            SparkType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
            SparkType::Binary => DataType::Binary,
            SparkType::Void => DataType::Null,
            SparkType::Array(e) => {
                DataType::List(Arc::new(Field::new("element", e.to_arrow(), true)))
            }
            SparkType::Map(k, v) => {
                let entries = Fields::from(vec![
                    Field::new("key", k.to_arrow(), false),
                    Field::new("value", v.to_arrow(), true),
                ]);
                DataType::Map(
                    Arc::new(Field::new("entries", DataType::Struct(entries), false)),
                    false,
                )
            }
            SparkType::Struct(fields) => DataType::Struct(Fields::from(
                fields
                    .iter()
                    .map(|(n, t)| Field::new(n.as_str(), t.to_arrow(), true))
                    .collect::<Vec<_>>(),
            )),
        }
    }

    /// The closest Spark type of an Arrow type (results of arbitrary queries).
    pub fn from_arrow(dt: &DataType) -> SparkType {
        match dt {
            DataType::Int8 => SparkType::TinyInt,
            DataType::Int16 | DataType::UInt8 => SparkType::SmallInt,
            DataType::Int32 | DataType::UInt16 => SparkType::Int,
            DataType::Int64 | DataType::UInt32 => SparkType::BigInt,
            DataType::UInt64 => SparkType::Decimal(20, 0),
            DataType::Float16 | DataType::Float32 => SparkType::Float,
            DataType::Float64 => SparkType::Double,
            DataType::Boolean => SparkType::Boolean,
            DataType::Decimal32(p, s)
            | DataType::Decimal64(p, s)
            | DataType::Decimal128(p, s)
            | DataType::Decimal256(p, s) => {
                // Spark has no negative scale: such a value is a whole number.
                SparkType::Decimal((*p).min(MAX_PRECISION), u8::try_from(*s).unwrap_or(0))
            }
            DataType::Date32 | DataType::Date64 => SparkType::Date,
            DataType::Timestamp(_, _) => SparkType::Timestamp,
            DataType::Binary
            | DataType::LargeBinary
            | DataType::BinaryView
            | DataType::FixedSizeBinary(_) => SparkType::Binary,
            DataType::Null => SparkType::Void,
            DataType::List(f)
            | DataType::LargeList(f)
            | DataType::ListView(f)
            | DataType::LargeListView(f)
            | DataType::FixedSizeList(f, _) => {
                SparkType::Array(Box::new(SparkType::from_arrow(f.data_type())))
            }
            DataType::Map(entries, _) => match entries.data_type() {
                DataType::Struct(kv) if kv.len() == 2 => SparkType::Map(
                    Box::new(SparkType::from_arrow(kv[0].data_type())),
                    Box::new(SparkType::from_arrow(kv[1].data_type())),
                ),
                _ => SparkType::String,
            },
            DataType::Struct(fields) => SparkType::Struct(
                fields
                    .iter()
                    .map(|f| (f.name().clone(), SparkType::from_arrow(f.data_type())))
                    .collect(),
            ),
            DataType::Dictionary(_, v) => SparkType::from_arrow(v),
            DataType::RunEndEncoded(_, v) => SparkType::from_arrow(v.data_type()),
            // Strings, times, intervals, durations, unions: rendered as text.
            _ => SparkType::String,
        }
    }
}

/// Spark schema of an Arrow schema: `(name, type)` pairs.
pub fn spark_columns(schema: &Schema) -> Vec<(String, SparkType)> {
    schema
        .fields()
        .iter()
        .map(|f| (f.name().clone(), SparkType::from_arrow(f.data_type())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_arrow() {
        for text in [
            "tinyint",
            "int",
            "bigint",
            "decimal(10,2)",
            "array<array<int>>",
            "map<string,array<bigint>>",
            "struct<a:int,b c:string>",
            "void",
        ] {
            let ty = SparkType::try_parse(&text.replace("b c", "`b c`")).unwrap();
            assert_eq!(SparkType::from_arrow(&ty.to_arrow()), ty, "{text}");
        }
        // Lengths are not stored: varchar reads back as string.
        assert_eq!(
            SparkType::from_arrow(&SparkType::Varchar(12).to_arrow()),
            SparkType::String
        );
        assert_eq!(
            SparkType::from_arrow(&DataType::Decimal128(10, -2)),
            SparkType::Decimal(10, 0)
        );
        assert_eq!(
            SparkType::Other("interval".into()).to_arrow(),
            DataType::Utf8
        );
    }
}
