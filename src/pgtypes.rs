//! The one Spark ↔ Postgres type table, and the conversion of DLI result values.
//!
//! Owns: parsing Spark SQL type names (`int`, `decimal(10,2)`, `array<struct<a:int>>` …),
//! the declarative [`TYPE_TABLE`] mapping each Spark scalar to a Postgres type (OID,
//! length, array type), and [`PgValue`], the typed value every encoder writes (text and
//! binary). Result encoding and any future `pg_type`/`pg_attribute` emulation read the
//! same table so they cannot disagree. Must not know about HTTP or sessions.

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

/// A Spark SQL data type, as DLI names it in schemas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SparkType {
    TinyInt,
    SmallInt,
    Int,
    BigInt,
    Float,
    Double,
    Boolean,
    String,
    Varchar(u32),
    Char(u32),
    Decimal(u8, u8),
    Date,
    Timestamp,
    Binary,
    Array(Box<SparkType>),
    Map(Box<SparkType>, Box<SparkType>),
    Struct(Vec<(String, SparkType)>),
    /// Anything else (interval, void, user types): shown as text.
    Other(String),
}

/// Not a Spark type: the name under which catalog answers (Describe of a pg_catalog query)
/// report Postgres' one-byte `"char"` columns, so they are typed `"char"` (OID 18) as
/// drivers such as asyncpg expect.
pub const PG_CHAR: &str = "pg_catalog.char";

/// Not a Spark type either: catalog columns holding lists of OIDs (`attrtypoids`), typed
/// `oid[]` (OID 1028) as Postgres does; asyncpg's own type introspection needs it.
pub const PG_OID_ARRAY: &str = "pg_catalog.oid[]";

/// The scalar kinds of [`TYPE_TABLE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    TinyInt,
    SmallInt,
    Int,
    BigInt,
    Float,
    Double,
    Boolean,
    String,
    Varchar,
    Char,
    Decimal,
    Date,
    Timestamp,
    Binary,
    /// map, struct and arrays of non-scalars: JSON text.
    Json,
    Other,
}

/// One row of the type table.
#[derive(Debug)]
pub struct TypeEntry {
    pub scalar: Scalar,
    /// Canonical Spark SQL name.
    pub spark: &'static str,
    pub pg: Type,
    /// `pg_type.typlen` (-1 = variable).
    pub len: i16,
    /// The Postgres array type whose elements are `pg`.
    pub array: Type,
}

#[rustfmt::skip]
/// The one mapping table. Spark `tinyint` has no 1-byte Postgres twin and widens to int2.
pub static TYPE_TABLE: &[TypeEntry] = &[
    TypeEntry { scalar: Scalar::TinyInt, spark: "tinyint", pg: Type::INT2, len: 2, array: Type::INT2_ARRAY },
    TypeEntry { scalar: Scalar::SmallInt, spark: "smallint", pg: Type::INT2, len: 2, array: Type::INT2_ARRAY },
    TypeEntry { scalar: Scalar::Int, spark: "int", pg: Type::INT4, len: 4, array: Type::INT4_ARRAY },
    TypeEntry { scalar: Scalar::BigInt, spark: "bigint", pg: Type::INT8, len: 8, array: Type::INT8_ARRAY },
    TypeEntry { scalar: Scalar::Float, spark: "float", pg: Type::FLOAT4, len: 4, array: Type::FLOAT4_ARRAY },
    TypeEntry { scalar: Scalar::Double, spark: "double", pg: Type::FLOAT8, len: 8, array: Type::FLOAT8_ARRAY },
    TypeEntry { scalar: Scalar::Boolean, spark: "boolean", pg: Type::BOOL, len: 1, array: Type::BOOL_ARRAY },
    TypeEntry { scalar: Scalar::String, spark: "string", pg: Type::TEXT, len: -1, array: Type::TEXT_ARRAY },
    TypeEntry { scalar: Scalar::Varchar, spark: "varchar", pg: Type::VARCHAR, len: -1, array: Type::VARCHAR_ARRAY },
    TypeEntry { scalar: Scalar::Char, spark: "char", pg: Type::BPCHAR, len: -1, array: Type::BPCHAR_ARRAY },
    TypeEntry { scalar: Scalar::Decimal, spark: "decimal", pg: Type::NUMERIC, len: -1, array: Type::NUMERIC_ARRAY },
    TypeEntry { scalar: Scalar::Date, spark: "date", pg: Type::DATE, len: 4, array: Type::DATE_ARRAY },
    TypeEntry { scalar: Scalar::Timestamp, spark: "timestamp", pg: Type::TIMESTAMP, len: 8, array: Type::TIMESTAMP_ARRAY },
    TypeEntry { scalar: Scalar::Binary, spark: "binary", pg: Type::BYTEA, len: -1, array: Type::BYTEA_ARRAY },
    TypeEntry { scalar: Scalar::Json, spark: "struct", pg: Type::JSON, len: -1, array: Type::JSON_ARRAY },
    TypeEntry { scalar: Scalar::Other, spark: "string", pg: Type::TEXT, len: -1, array: Type::TEXT_ARRAY },
];

/// The table row for a scalar kind.
pub fn entry(scalar: Scalar) -> &'static TypeEntry {
    TYPE_TABLE
        .iter()
        .find(|e| e.scalar == scalar)
        .unwrap_or(&TYPE_TABLE[TYPE_TABLE.len() - 1])
}

/// How a Spark type appears on the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct PgTypeInfo {
    pub pg: Type,
    pub len: i16,
    /// `atttypmod`: -1, or varchar/char length + 4, or numeric `((p << 16) | s) + 4`.
    pub typmod: i32,
}

impl SparkType {
    /// Parse a Spark SQL (or Spark JSON) type name. Unknown names become [`SparkType::Other`].
    pub fn parse(name: &str) -> SparkType {
        let mut p = TypeParser {
            s: name.trim(),
            pos: 0,
        };
        match p.parse_type() {
            Some(t) if p.rest().trim().is_empty() => t,
            _ => SparkType::Other(name.trim().to_string()),
        }
    }

    /// The scalar kind used to look up [`TYPE_TABLE`].
    pub fn scalar(&self) -> Scalar {
        match self {
            SparkType::TinyInt => Scalar::TinyInt,
            SparkType::SmallInt => Scalar::SmallInt,
            SparkType::Int => Scalar::Int,
            SparkType::BigInt => Scalar::BigInt,
            SparkType::Float => Scalar::Float,
            SparkType::Double => Scalar::Double,
            SparkType::Boolean => Scalar::Boolean,
            SparkType::String => Scalar::String,
            SparkType::Varchar(_) => Scalar::Varchar,
            SparkType::Char(_) => Scalar::Char,
            SparkType::Decimal(..) => Scalar::Decimal,
            SparkType::Date => Scalar::Date,
            SparkType::Timestamp => Scalar::Timestamp,
            SparkType::Binary => Scalar::Binary,
            SparkType::Array(_) | SparkType::Map(..) | SparkType::Struct(_) => Scalar::Json,
            SparkType::Other(_) => Scalar::Other,
        }
    }

    /// The Postgres type, length and modifier of a column of this type. Arrays of a
    /// mapped scalar become that scalar's Postgres array; every other nested type is JSON.
    pub fn pg_type(&self) -> PgTypeInfo {
        match self {
            SparkType::Other(name) if name == PG_OID_ARRAY => PgTypeInfo {
                pg: Type::OID_ARRAY,
                len: -1,
                typmod: -1,
            },
            SparkType::Other(name) if name == PG_CHAR => PgTypeInfo {
                pg: Type::CHAR,
                len: 1,
                typmod: -1,
            },
            SparkType::Array(inner) if inner.is_array_element() => PgTypeInfo {
                pg: entry(inner.scalar()).array.clone(),
                len: -1,
                typmod: -1,
            },
            _ => {
                let e = entry(self.scalar());
                PgTypeInfo {
                    pg: e.pg.clone(),
                    len: e.len,
                    typmod: self.typmod(),
                }
            }
        }
    }

    fn is_array_element(&self) -> bool {
        !matches!(self.scalar(), Scalar::Json | Scalar::Other | Scalar::Binary)
    }

    fn typmod(&self) -> i32 {
        match self {
            SparkType::Varchar(n) | SparkType::Char(n) => i32::try_from(*n).map_or(-1, |n| n + 4),
            SparkType::Decimal(p, s) => ((i32::from(*p) << 16) | i32::from(*s)) + 4,
            _ => -1,
        }
    }

    /// The canonical Spark SQL name (`decimal(10,2)`, `array<int>` …).
    pub fn spark_name(&self) -> String {
        match self {
            SparkType::Varchar(n) => format!("varchar({n})"),
            SparkType::Char(n) => format!("char({n})"),
            SparkType::Decimal(p, s) => format!("decimal({p},{s})"),
            SparkType::Array(t) => format!("array<{}>", t.spark_name()),
            SparkType::Map(k, v) => format!("map<{},{}>", k.spark_name(), v.spark_name()),
            SparkType::Struct(fields) => {
                let inner: Vec<String> = fields
                    .iter()
                    .map(|(n, t)| format!("{n}:{}", t.spark_name()))
                    .collect();
                format!("struct<{}>", inner.join(","))
            }
            SparkType::Other(s) => s.clone(),
            other => entry(other.scalar()).spark.to_string(),
        }
    }
}

/// A small recursive-descent parser for Spark type names.
struct TypeParser<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> TypeParser<'a> {
    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }
    fn skip_ws(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.s.len() - trimmed.len();
    }
    fn eat(&mut self, c: char) -> bool {
        self.skip_ws();
        if self.rest().starts_with(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }
    fn word(&mut self) -> String {
        self.skip_ws();
        let rest = self.rest();
        if let Some(stripped) = rest.strip_prefix('`') {
            let end = stripped.find('`').unwrap_or(stripped.len());
            self.pos += end + 2;
            return stripped[..end].to_string();
        }
        let len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        self.pos += len;
        rest[..len].to_string()
    }
    fn number(&mut self) -> Option<u32> {
        self.skip_ws();
        let rest = self.rest();
        let len = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        self.pos += len;
        rest[..len].parse().ok()
    }
    fn parse_type(&mut self) -> Option<SparkType> {
        let name = self.word().to_ascii_lowercase();
        Some(match name.as_str() {
            "tinyint" | "byte" => SparkType::TinyInt,
            "smallint" | "short" => SparkType::SmallInt,
            "int" | "integer" => SparkType::Int,
            "bigint" | "long" => SparkType::BigInt,
            "float" | "real" => SparkType::Float,
            "double" => SparkType::Double,
            "boolean" | "bool" => SparkType::Boolean,
            "string" | "text" => SparkType::String,
            "date" => SparkType::Date,
            "timestamp" | "timestamp_ntz" | "timestamp_ltz" => SparkType::Timestamp,
            "binary" => SparkType::Binary,
            "varchar" | "char" => {
                let n = if self.eat('(') {
                    let n = self.number()?;
                    self.eat(')').then_some(n)?
                } else {
                    65535
                };
                if name == "varchar" {
                    SparkType::Varchar(n)
                } else {
                    SparkType::Char(n)
                }
            }
            "decimal" | "dec" | "numeric" => {
                if self.eat('(') {
                    let p = u8::try_from(self.number()?).ok()?;
                    let s = if self.eat(',') {
                        u8::try_from(self.number()?).ok()?
                    } else {
                        0
                    };
                    self.eat(')').then_some(SparkType::Decimal(p, s))?
                } else {
                    SparkType::Decimal(10, 0)
                }
            }
            "array" => {
                if !self.eat('<') {
                    return None;
                }
                let inner = self.parse_type()?;
                self.eat('>').then(|| SparkType::Array(Box::new(inner)))?
            }
            "map" => {
                if !self.eat('<') {
                    return None;
                }
                let k = self.parse_type()?;
                if !self.eat(',') {
                    return None;
                }
                let v = self.parse_type()?;
                self.eat('>')
                    .then(|| SparkType::Map(Box::new(k), Box::new(v)))?
            }
            "struct" => {
                if !self.eat('<') {
                    return None;
                }
                let mut fields = Vec::new();
                if !self.eat('>') {
                    loop {
                        let fname = self.word();
                        self.eat(':');
                        fields.push((fname, self.parse_type()?));
                        if self.eat('>') {
                            break;
                        }
                        if !self.eat(',') {
                            return None;
                        }
                    }
                }
                SparkType::Struct(fields)
            }
            "" => return None,
            _ => SparkType::Other(name),
        })
    }
}

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
    let mut shown = v.to_string();
    shown.truncate(64);
    ConversionError(format!("cannot read {shown} as {}", t.spark_name()))
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
                if text.parse::<f64>().is_err() {
                    return Err(bad(v, t));
                }
                PgValue::Numeric(text)
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
            PgValue::Timestamp(t) => t.to_sql_text(ty, out, opts),
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
    TYPE_TABLE
        .iter()
        .find(|e| &e.array == array)
        .map_or(Type::TEXT, |e| e.pg.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_spark_type_names() {
        assert_eq!(SparkType::parse("INT"), SparkType::Int);
        assert_eq!(SparkType::parse("integer"), SparkType::Int);
        assert_eq!(
            SparkType::parse("decimal(10, 2)"),
            SparkType::Decimal(10, 2)
        );
        assert_eq!(
            SparkType::parse("array<struct<a:int,b:map<string,double>>>"),
            SparkType::Array(Box::new(SparkType::Struct(vec![
                ("a".into(), SparkType::Int),
                (
                    "b".into(),
                    SparkType::Map(Box::new(SparkType::String), Box::new(SparkType::Double))
                )
            ])))
        );
        assert_eq!(
            SparkType::parse("interval day"),
            SparkType::Other("interval day".into())
        );
        assert_eq!(SparkType::parse("array<int").scalar(), Scalar::Other);
    }

    #[test]
    fn maps_to_postgres_types() {
        assert_eq!(SparkType::parse("tinyint").pg_type().pg, Type::INT2);
        assert_eq!(SparkType::parse("bigint").pg_type().pg, Type::INT8);
        let d = SparkType::parse("decimal(12,3)").pg_type();
        assert_eq!((d.pg, d.typmod), (Type::NUMERIC, (12 << 16 | 3) + 4));
        assert_eq!(
            SparkType::parse("array<string>").pg_type().pg,
            Type::TEXT_ARRAY
        );
        assert_eq!(SparkType::parse("map<string,int>").pg_type().pg, Type::JSON);
        assert_eq!(
            SparkType::parse("array<map<string,int>>").pg_type().pg,
            Type::JSON
        );
    }

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
