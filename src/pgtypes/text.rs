//! Values of DLI results given as text (result files), typed by their Spark type.
//!
//! Owns: [`PgValue::from_text`] — one field of a CSV result file read as its column's
//! Spark type, with fast paths for the common scalar types.

use serde_json::Value;

use super::spark::SparkType;
use super::spelling::{plain_decimal, shorten};
use super::value::{ConversionError, PgValue};

fn bad_text(s: &str, t: &SparkType) -> ConversionError {
    ConversionError(format!(
        "cannot read {:?} as {}",
        shorten(s, 64),
        t.spark_name()
    ))
}

impl PgValue {
    /// Read one non-NULL text field of a result file as the column's Spark type.
    /// Complex types (arrays, maps, structs) are JSON text; binary is base64.
    pub fn from_text(s: &str, t: &SparkType) -> Result<PgValue, ConversionError> {
        let int = |min: i64, max: i64| {
            s.parse::<i64>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| bad_text(s, t))
        };
        Ok(match t {
            SparkType::BigInt => PgValue::I64(int(i64::MIN, i64::MAX)?),
            SparkType::Int => PgValue::I32(
                i32::try_from(int(i64::from(i32::MIN), i64::from(i32::MAX))?)
                    .map_err(|_| bad_text(s, t))?,
            ),
            SparkType::TinyInt | SparkType::SmallInt => PgValue::I16(
                i16::try_from(int(i64::from(i16::MIN), i64::from(i16::MAX))?)
                    .map_err(|_| bad_text(s, t))?,
            ),
            SparkType::Boolean => match s {
                "true" => PgValue::Bool(true),
                "false" => PgValue::Bool(false),
                _ => return Err(bad_text(s, t)),
            },
            SparkType::Decimal(..) => {
                PgValue::Numeric(plain_decimal(s, t).ok_or_else(|| bad_text(s, t))?)
            }
            SparkType::String
            | SparkType::Varchar(_)
            | SparkType::Char(_)
            | SparkType::Void
            | SparkType::Other(_) => PgValue::Text(s.to_string()),
            SparkType::Array(_) | SparkType::Map(..) | SparkType::Struct(_) => {
                let v: Value = serde_json::from_str(s).map_err(|_| bad_text(s, t))?;
                PgValue::from_json(&v, t)?
            }
            SparkType::Float
            | SparkType::Double
            | SparkType::Date
            | SparkType::Timestamp
            | SparkType::Binary => PgValue::from_json(&Value::String(s.to_string()), t)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_fields_read_as_their_type() {
        assert_eq!(
            PgValue::from_text("42", &SparkType::BigInt).unwrap(),
            PgValue::I64(42)
        );
        assert!(PgValue::from_text("4x", &SparkType::BigInt).is_err());
        assert!(PgValue::from_text("70000", &SparkType::SmallInt).is_err());
        assert_eq!(
            PgValue::from_text("true", &SparkType::Boolean).unwrap(),
            PgValue::Bool(true)
        );
        let ts = PgValue::from_text("2024-01-02T03:04:05.123456Z", &SparkType::Timestamp).unwrap();
        assert_eq!(format!("{ts:?}"), "Timestamp(2024-01-02T03:04:05.123456)");
        let arr = SparkType::parse("array<int>");
        assert_eq!(
            PgValue::from_text("[1,null]", &arr).unwrap(),
            PgValue::Array(vec![PgValue::I32(1), PgValue::Null])
        );
        assert!(PgValue::from_text("[1,", &arr).is_err());
    }
}
