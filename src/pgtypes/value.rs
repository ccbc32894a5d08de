//! Values of DLI results, typed for the wire.
//!
//! Owns: [`PgValue`], reading a DLI JSON value as its column's Spark type
//! ([`PgValue::from_json`]), and writing it in Postgres text and binary formats
//! (`ToSql`/`ToSqlText`, binary NUMERIC of any precision, array quoting). Must not choose
//! types: a column's Postgres type comes from [`super::table`].

use std::error::Error;
use std::fmt;

use bytes::BytesMut;
use chrono::{NaiveDate, NaiveDateTime};
use pgwire::api::Type;
use pgwire::types::ToSqlText;
use pgwire::types::format::FormatOptions;
use postgres_types::{IsNull, ToSql, to_sql_checked};
use rust_decimal::Decimal;
use serde_json::Value;

use super::spark::SparkType;
use super::table::pg_element_entry;

/// A typed value ready for the wire, in text or binary format.
#[derive(Debug, Clone, PartialEq)]
pub enum PgValue {
    Null,
    Bool(bool),
    I16(i16),
    I32(i32),
    I64(i64),
    F32(f32),
    F64(f64),
    /// Exact decimal text (kept as text so precision beyond 28 digits survives).
    Numeric(String),
    Text(String),
    Date(NaiveDate),
    Timestamp(NaiveDateTime),
    Bytes(Vec<u8>),
    Json(Value),
    Array(Vec<PgValue>),
    /// Postgres' one-byte `"char"` (catalog columns such as `pg_type.typtype`); 0 is ''.
    Char(u8),
}

/// Why a DLI value could not be read as its declared type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversionError(pub String);

impl fmt::Display for ConversionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Error for ConversionError {}

fn bad(v: &Value, t: &SparkType) -> ConversionError {
    ConversionError(format!(
        "cannot read {} as {}",
        super::spelling::shorten(&v.to_string(), 64),
        t.spark_name()
    ))
}

fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.trim() {
            "NaN" => Some(f64::NAN),
            "Infinity" | "+Infinity" | "inf" => Some(f64::INFINITY),
            "-Infinity" | "-inf" => Some(f64::NEG_INFINITY),
            other => other.parse().ok(),
        },
        _ => None,
    }
}

fn parse_timestamp(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    for fmt in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t);
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .or_else(|| {
            chrono::DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|t| t.naive_utc())
        })
}

impl PgValue {
    /// Read one JSON value from a DLI result row as the column's Spark type. DLI renders
    /// numbers either as JSON numbers or strings, decimals as strings, binary as base64.
    pub fn from_json(v: &Value, t: &SparkType) -> Result<PgValue, ConversionError> {
        use base64::Engine as _;
        if v.is_null() {
            return Ok(PgValue::Null);
        }
        let int = |min: i64, max: i64| as_i64(v).filter(|n| (min..=max).contains(n));
        Ok(match t {
            SparkType::TinyInt | SparkType::SmallInt => PgValue::I16(
                int(i64::from(i16::MIN), i64::from(i16::MAX))
                    .and_then(|n| i16::try_from(n).ok())
                    .ok_or_else(|| bad(v, t))?,
            ),
            SparkType::Int => PgValue::I32(
                int(i64::from(i32::MIN), i64::from(i32::MAX))
                    .and_then(|n| i32::try_from(n).ok())
                    .ok_or_else(|| bad(v, t))?,
            ),
            SparkType::BigInt => PgValue::I64(as_i64(v).ok_or_else(|| bad(v, t))?),
            #[allow(clippy::cast_possible_truncation)]
            SparkType::Float => PgValue::F32(as_f64(v).ok_or_else(|| bad(v, t))? as f32),
            SparkType::Double => PgValue::F64(as_f64(v).ok_or_else(|| bad(v, t))?),
            SparkType::Boolean => PgValue::Bool(match v {
                Value::Bool(b) => *b,
                Value::String(s) if s.eq_ignore_ascii_case("true") => true,
                Value::String(s) if s.eq_ignore_ascii_case("false") => false,
                _ => return Err(bad(v, t)),
            }),
            SparkType::Decimal(..) => {
                let text = match v {
                    Value::Number(n) => n.to_string(),
                    Value::String(s) => s.trim().to_string(),
                    _ => return Err(bad(v, t)),
                };
                PgValue::Numeric(super::spelling::plain_decimal(&text, t).ok_or_else(|| bad(v, t))?)
            }
            SparkType::Date => PgValue::Date(
                v.as_str()
                    .and_then(|s| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok())
                    .ok_or_else(|| bad(v, t))?,
            ),
            SparkType::Timestamp => PgValue::Timestamp(
                v.as_str()
                    .and_then(parse_timestamp)
                    .ok_or_else(|| bad(v, t))?,
            ),
            SparkType::Binary => PgValue::Bytes(match v {
                Value::String(s) => base64::engine::general_purpose::STANDARD
                    .decode(s.trim())
                    .map_err(|_| bad(v, t))?,
                Value::Array(items) => items
                    .iter()
                    .map(|b| as_i64(b).and_then(|n| u8::try_from(n).ok()))
                    .collect::<Option<Vec<u8>>>()
                    .ok_or_else(|| bad(v, t))?,
                _ => return Err(bad(v, t)),
            }),
            SparkType::Array(inner) if inner.is_array_element() => {
                let items = match v {
                    Value::Array(items) => items.clone(),
                    Value::String(s) => match serde_json::from_str::<Value>(s) {
                        Ok(Value::Array(items)) => items,
                        _ => return Err(bad(v, t)),
                    },
                    _ => return Err(bad(v, t)),
                };
                PgValue::Array(
                    items
                        .iter()
                        .map(|i| PgValue::from_json(i, inner))
                        .collect::<Result<_, _>>()?,
                )
            }
            SparkType::Array(_) | SparkType::Map(..) | SparkType::Struct(_) => match v {
                Value::String(s) => {
                    PgValue::Json(serde_json::from_str(s).unwrap_or_else(|_| v.clone()))
                }
                other => PgValue::Json(other.clone()),
            },
            SparkType::String
            | SparkType::Varchar(_)
            | SparkType::Char(_)
            | SparkType::Void
            | SparkType::Other(_) => PgValue::Text(match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            }),
        })
    }

    fn numeric_decimal(text: &str) -> Option<Decimal> {
        Decimal::from_str_exact(text)
            .ok()
            .or_else(|| Decimal::from_scientific(text).ok())
    }
}

type BoxError = Box<dyn Error + Sync + Send>;

/// Postgres' binary NUMERIC (base-10000 digits, weight, sign, display scale) for a plain
/// decimal string such as `-123.4500`; any precision. `None` for other spellings
/// (exponents), which the caller reads through `Decimal` instead.
pub fn numeric_binary(text: &str) -> Option<Vec<u8>> {
    let t = text.trim();
    let (negative, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (int_part, frac_part) = body.split_once('.').unwrap_or((body, ""));
    if int_part.is_empty() && frac_part.is_empty()
        || !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let dscale = u16::try_from(frac_part.len()).ok()?;
    let int_trimmed = int_part.trim_start_matches('0');
    let int_pad = (4 - int_trimmed.len() % 4) % 4;
    let frac_pad = (4 - frac_part.len() % 4) % 4;
    let int_digits = format!("{}{}", "0".repeat(int_pad), int_trimmed);
    let frac_digits = format!("{}{}", frac_part, "0".repeat(frac_pad));
    let group = |s: &str| -> Vec<i16> {
        s.as_bytes()
            .chunks(4)
            .map(|c| c.iter().fold(0i16, |acc, d| acc * 10 + i16::from(d - b'0')))
            .collect()
    };
    let mut digits = group(&int_digits);
    let mut weight = i32::try_from(digits.len()).ok()? - 1;
    digits.extend(group(&frac_digits));
    while digits.first() == Some(&0) {
        digits.remove(0);
        weight -= 1;
    }
    while digits.last() == Some(&0) {
        digits.pop();
    }
    if digits.is_empty() {
        weight = 0;
    }
    let sign: u16 = if negative && !digits.is_empty() {
        0x4000
    } else {
        0
    };
    let mut out = Vec::with_capacity(8 + 2 * digits.len());
    out.extend_from_slice(&i16::try_from(digits.len()).ok()?.to_be_bytes());
    out.extend_from_slice(&i16::try_from(weight).ok()?.to_be_bytes());
    out.extend_from_slice(&sign.to_be_bytes());
    out.extend_from_slice(&dscale.to_be_bytes());
    for d in digits {
        out.extend_from_slice(&d.to_be_bytes());
    }
    Some(out)
}

impl ToSql for PgValue {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        match self {
            PgValue::Null => Ok(IsNull::Yes),
            PgValue::Bool(b) => b.to_sql(ty, out),
            PgValue::I16(n) => n.to_sql(ty, out),
            PgValue::I32(n) => n.to_sql(ty, out),
            PgValue::I64(n) => n.to_sql(ty, out),
            PgValue::F32(n) => n.to_sql(ty, out),
            PgValue::F64(n) => n.to_sql(ty, out),
            PgValue::Numeric(s) => match numeric_binary(s) {
                Some(bytes) => {
                    out.extend_from_slice(&bytes);
                    Ok(IsNull::No)
                }
                None => match PgValue::numeric_decimal(s) {
                    Some(d) => d.to_sql(ty, out),
                    None => Err(Box::new(ConversionError(format!(
                        "not a numeric value: {s}"
                    )))),
                },
            },
            PgValue::Text(s) => s.as_str().to_sql(ty, out),
            PgValue::Date(d) => d.to_sql(ty, out),
            PgValue::Timestamp(t) => t.to_sql(ty, out),
            PgValue::Bytes(b) => b.as_slice().to_sql(ty, out),
            PgValue::Json(v) => v.to_sql(ty, out),
            PgValue::Array(items) => items.to_sql(ty, out),
            PgValue::Char(b) => {
                out.extend_from_slice(&[*b]);
                Ok(IsNull::No)
            }
        }
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl ToSqlText for PgValue {
    fn to_sql_text(
        &self,
        ty: &Type,
        out: &mut BytesMut,
        opts: &FormatOptions,
    ) -> Result<IsNull, BoxError> {
        match self {
            PgValue::Null => Ok(IsNull::Yes),
            PgValue::Bool(b) => b.to_sql_text(ty, out, opts),
            PgValue::I16(n) => n.to_sql_text(ty, out, opts),
            PgValue::I32(n) => n.to_sql_text(ty, out, opts),
            PgValue::I64(n) => n.to_sql_text(ty, out, opts),
            PgValue::F32(n) => n.to_sql_text(ty, out, opts),
            PgValue::F64(n) => n.to_sql_text(ty, out, opts),
            PgValue::Numeric(s) | PgValue::Text(s) => {
                out.extend_from_slice(s.as_bytes());
                Ok(IsNull::No)
            }
            PgValue::Date(d) => d.to_sql_text(ty, out, opts),
            // Postgres prints the fraction without trailing zeros (`05.5`, none for `.0`).
            PgValue::Timestamp(t) => {
                let text = t.format("%Y-%m-%d %H:%M:%S%.6f").to_string();
                let text = text.trim_end_matches('0').trim_end_matches('.');
                out.extend_from_slice(text.as_bytes());
                Ok(IsNull::No)
            }
            PgValue::Bytes(b) => b.to_sql_text(ty, out, opts),
            PgValue::Json(v) => {
                out.extend_from_slice(v.to_string().as_bytes());
                Ok(IsNull::No)
            }
            PgValue::Char(b) => {
                if *b != 0 {
                    out.extend_from_slice(&[*b]);
                }
                Ok(IsNull::No)
            }
            PgValue::Array(items) => {
                let elem = array_element_type(ty);
                out.extend_from_slice(b"{");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(b",");
                    }
                    let mut one = BytesMut::new();
                    match item.to_sql_text(&elem, &mut one, opts)? {
                        IsNull::Yes => out.extend_from_slice(b"NULL"),
                        IsNull::No => write_array_element(&one, out),
                    }
                }
                out.extend_from_slice(b"}");
                Ok(IsNull::No)
            }
        }
    }
}

/// One element of a text-format array, quoted the way Postgres' `array_out` does when it
/// is empty, spells NULL, or holds braces, commas, quotes, backslashes or white space.
fn write_array_element(text: &[u8], out: &mut BytesMut) {
    let needs_quotes = text.is_empty()
        || text.eq_ignore_ascii_case(b"NULL")
        || text
            .iter()
            .any(|b| matches!(b, b'{' | b'}' | b',' | b'"' | b'\\') || b.is_ascii_whitespace());
    if !needs_quotes {
        out.extend_from_slice(text);
        return;
    }
    out.extend_from_slice(b"\"");
    for &b in text {
        if b == b'"' || b == b'\\' {
            out.extend_from_slice(b"\\");
        }
        out.extend_from_slice(&[b]);
    }
    out.extend_from_slice(b"\"");
}

/// The element type of a Postgres array type from the table (TEXT when unknown).
fn array_element_type(array: &Type) -> Type {
    pg_element_entry(array).map_or(Type::TEXT, |e| e.ty.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn converts_json_values() {
        let t = |s: &str| SparkType::parse(s);
        assert_eq!(
            PgValue::from_json(&json!("42"), &t("int")),
            Ok(PgValue::I32(42))
        );
        assert_eq!(
            PgValue::from_json(&json!(7), &t("tinyint")),
            Ok(PgValue::I16(7))
        );
        assert!(PgValue::from_json(&json!(1u64 << 40), &t("int")).is_err());
        assert_eq!(
            PgValue::from_json(&json!("12.30"), &t("decimal(5,2)")),
            Ok(PgValue::Numeric("12.30".into()))
        );
        assert_eq!(
            PgValue::from_json(&json!("NaN"), &t("double"))
                .map(|v| matches!(v, PgValue::F64(f) if f.is_nan())),
            Ok(true)
        );
        assert_eq!(
            PgValue::from_json(&json!("true"), &t("boolean")),
            Ok(PgValue::Bool(true))
        );
        assert_eq!(
            PgValue::from_json(&json!("AAEC"), &t("binary")),
            Ok(PgValue::Bytes(vec![0, 1, 2]))
        );
        assert_eq!(
            PgValue::from_json(&json!("2024-02-29 12:34:56.5"), &t("timestamp"))
                .map(|v| matches!(v, PgValue::Timestamp(_))),
            Ok(true)
        );
        assert_eq!(
            PgValue::from_json(&json!(null), &t("date")),
            Ok(PgValue::Null)
        );
        assert!(PgValue::from_json(&json!("x"), &t("date")).is_err());
    }

    #[test]
    fn numeric_binary_matches_postgres() {
        // Decoded by rust_decimal's (independent) Postgres decoder, the value and the
        // scale survive.
        use postgres_types::FromSql;
        for v in [
            "0",
            "1",
            "-1",
            "12.34",
            "-0.5",
            "10000",
            "0.0001",
            "123456789.000100",
            "-999999.99",
        ] {
            let bytes = numeric_binary(v).unwrap();
            let back = Decimal::from_sql(&Type::NUMERIC, &bytes).unwrap();
            assert_eq!(
                back.to_string(),
                Decimal::from_str_exact(v).unwrap().to_string(),
                "{v}"
            );
        }
        // Beyond rust_decimal's 28 digits: 38 digits, decoded by hand.
        let big = numeric_binary("12345678901234567890123456789012345678").unwrap();
        assert_eq!(&big[0..8], &[0, 10, 0, 9, 0, 0, 0, 0]);
        assert_eq!(&big[8..10], &12i16.to_be_bytes());
        assert!(numeric_binary("1e5").is_none());
    }

    #[test]
    fn text_encoding_of_arrays_and_numeric() {
        let opts = FormatOptions::default();
        let mut out = BytesMut::new();
        PgValue::Array(vec![PgValue::I32(1), PgValue::Null, PgValue::I32(3)])
            .to_sql_text(&Type::INT4_ARRAY, &mut out, &opts)
            .unwrap();
        assert_eq!(&out[..], b"{1,NULL,3}");
        let mut out = BytesMut::new();
        PgValue::Array(vec![
            PgValue::Text("x".into()),
            PgValue::Text("y z".into()),
            PgValue::Text("q\"uote\\".into()),
            PgValue::Text("".into()),
            PgValue::Text("null".into()),
            PgValue::Null,
        ])
        .to_sql_text(&Type::TEXT_ARRAY, &mut out, &opts)
        .unwrap();
        assert_eq!(&out[..], br#"{x,"y z","q\"uote\\","","null",NULL}"#);
        let mut out = BytesMut::new();
        PgValue::Numeric("123456789012345678901234567890.5".into())
            .to_sql_text(&Type::NUMERIC, &mut out, &opts)
            .unwrap();
        assert_eq!(&out[..], b"123456789012345678901234567890.5");
    }
}
