//! The one Spark SQL data type and the one parser of Spark type names.
//!
//! Owns: [`SparkType`], reading type text (`int`, `decimal(10,2)`, `array<struct<a:int>>`)
//! in two policies that share one grammar — lenient ([`SparkType::parse`], for names DLI
//! reports: whatever it does not know becomes [`SparkType::Other`]) and strict
//! ([`SparkType::try_parse`], for the embedded service, which refuses what Spark refuses) —
//! the canonical Spark name and Spark's `StructType` JSON. Must not know Postgres (that is
//! [`super::table`]) or Arrow (that is [`super::arrow`]).

use std::fmt;

use serde_json::{Value, json};

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
    /// Precision and scale (Spark keeps `0 <= scale <= precision <= 38`).
    Decimal(u8, u8),
    Date,
    Timestamp,
    Binary,
    /// The type of an untyped NULL.
    Void,
    Array(Box<SparkType>),
    Map(Box<SparkType>, Box<SparkType>),
    Struct(Vec<(String, SparkType)>),
    /// Anything else (interval, user types): shown as text. Only the lenient parser
    /// makes it.
    Other(String),
}

/// The scalar kinds of Spark types: what the Spark → Postgres table is keyed by.
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
    Void,
    /// map, struct and arrays of non-scalars: JSON text.
    Json,
    Other,
}

impl Scalar {
    /// The Spark SQL keyword (`INT`, `BIGINT` …); a type's canonical name is its lower
    /// case. Nested types are written as JSON-able `STRUCT`, unknown ones as `STRING`.
    pub fn keyword(self) -> &'static str {
        match self {
            Scalar::TinyInt => "TINYINT",
            Scalar::SmallInt => "SMALLINT",
            Scalar::Int => "INT",
            Scalar::BigInt => "BIGINT",
            Scalar::Float => "FLOAT",
            Scalar::Double => "DOUBLE",
            Scalar::Boolean => "BOOLEAN",
            Scalar::String | Scalar::Other => "STRING",
            Scalar::Varchar => "VARCHAR",
            Scalar::Char => "CHAR",
            Scalar::Decimal => "DECIMAL",
            Scalar::Date => "DATE",
            Scalar::Timestamp => "TIMESTAMP",
            Scalar::Binary => "BINARY",
            Scalar::Void => "VOID",
            Scalar::Json => "STRUCT",
        }
    }
}

/// Why Spark would refuse a type name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeError(pub String);

impl fmt::Display for TypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TypeError {}

/// Largest decimal precision Spark accepts.
pub const MAX_PRECISION: u8 = 38;

/// The length the lenient parser gives `varchar`/`char` written without one.
const UNBOUNDED: u32 = 65535;

impl SparkType {
    /// Parse a Spark SQL (or Spark JSON) type name, case-insensitively. Names outside
    /// Spark's grammar become [`SparkType::Other`]; nothing is refused.
    pub fn parse(name: &str) -> SparkType {
        let text = name.trim();
        match TypeParser::new(text, false).whole() {
            Ok(t) => t,
            Err(_) => SparkType::Other(text.to_string()),
        }
    }

    /// Parse Spark DDL type text the way Spark does: unknown names, missing lengths and
    /// out-of-range decimals are errors.
    pub fn try_parse(text: &str) -> Result<SparkType, TypeError> {
        TypeParser::new(text, true).whole().map_err(|e| match e {
            ParseError::Refused(m) => TypeError(m),
            ParseError::Trailing => {
                TypeError(format!("unexpected text after data type in '{text}'"))
            }
        })
    }

    /// The scalar kind used to look up the type tables.
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
            SparkType::Void => Scalar::Void,
            SparkType::Array(_) | SparkType::Map(..) | SparkType::Struct(_) => Scalar::Json,
            SparkType::Other(_) => Scalar::Other,
        }
    }

    /// The canonical Spark SQL name (`int`, `decimal(10,2)`, `array<int>` …), as
    /// `DESCRIBE` prints it.
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
            other => other.scalar().keyword().to_ascii_lowercase(),
        }
    }

    /// The type as it appears in Spark's `StructType` JSON (`integer`, nested objects).
    pub fn json(&self) -> Value {
        match self {
            SparkType::TinyInt => json!("byte"),
            SparkType::SmallInt => json!("short"),
            SparkType::Int => json!("integer"),
            SparkType::BigInt => json!("long"),
            SparkType::String | SparkType::Varchar(_) | SparkType::Char(_) => json!("string"),
            SparkType::Array(e) => {
                json!({"type": "array", "elementType": e.json(), "containsNull": true})
            }
            SparkType::Map(k, v) => json!({
                "type": "map", "keyType": k.json(), "valueType": v.json(),
                "valueContainsNull": true
            }),
            SparkType::Struct(fields) => struct_json(fields.iter().map(|(n, t)| (n.as_str(), t))),
            other => json!(other.spark_name()),
        }
    }
}

/// Spark `StructType` JSON of named fields.
pub fn struct_json<'a>(fields: impl Iterator<Item = (&'a str, &'a SparkType)>) -> Value {
    let fields: Vec<Value> = fields
        .map(
            |(name, ty)| json!({"name": name, "type": ty.json(), "nullable": true, "metadata": {}}),
        )
        .collect();
    json!({"type": "struct", "fields": fields})
}

enum ParseError {
    /// Spark would refuse the type (the message says why).
    Refused(String),
    /// A whole type was read, and text follows it.
    Trailing,
}

type Parsed<T> = Result<T, ParseError>;

fn refuse<T>(message: impl Into<String>) -> Parsed<T> {
    Err(ParseError::Refused(message.into()))
}

/// Recursive descent over Spark type text. `strict` refuses what Spark refuses; otherwise
/// unknown names are kept as [`SparkType::Other`] and lengths and ranges are not checked.
struct TypeParser {
    chars: Vec<char>,
    pos: usize,
    strict: bool,
}

impl TypeParser {
    fn new(text: &str, strict: bool) -> Self {
        TypeParser {
            chars: text.chars().collect(),
            pos: 0,
            strict,
        }
    }

    fn whole(&mut self) -> Parsed<SparkType> {
        let ty = self.parse_type()?;
        self.skip_ws();
        if self.pos == self.chars.len() {
            Ok(ty)
        } else {
            Err(ParseError::Trailing)
        }
    }

    fn skip_ws(&mut self) {
        while self.chars.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_ws();
        self.chars.get(self.pos).copied()
    }

    fn eat(&mut self, ch: char) -> bool {
        let found = self.peek() == Some(ch);
        if found {
            self.pos += 1;
        }
        found
    }

    fn require(&mut self, ch: char) -> Parsed<()> {
        if self.eat(ch) {
            Ok(())
        } else {
            refuse(format!("expected '{ch}' in data type"))
        }
    }

    fn word(&mut self) -> Parsed<String> {
        self.skip_ws();
        if self.chars.get(self.pos) == Some(&'`') {
            return self.quoted();
        }
        let start = self.pos;
        while self
            .chars
            .get(self.pos)
            .is_some_and(|c| c.is_alphanumeric() || *c == '_')
        {
            self.pos += 1;
        }
        if start == self.pos {
            return refuse("expected a data type name");
        }
        Ok(self.chars[start..self.pos].iter().collect())
    }

    /// A backquoted field name (a doubled backquote is one backquote).
    fn quoted(&mut self) -> Parsed<String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.chars.get(self.pos) {
                None => return refuse("unterminated quoted field name"),
                Some('`') if self.chars.get(self.pos + 1) == Some(&'`') => {
                    out.push('`');
                    self.pos += 2;
                }
                Some('`') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(c) => {
                    out.push(*c);
                    self.pos += 1;
                }
            }
        }
    }

    fn number(&mut self) -> Parsed<u32> {
        self.skip_ws();
        let start = self.pos;
        while self.chars.get(self.pos).is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        text.parse::<u32>()
            .or_else(|_| refuse("expected a number in data type"))
    }

    /// `(n)` after `varchar`/`char`: required and positive when strict.
    fn length(&mut self, name: &str) -> Parsed<u32> {
        if !self.strict && self.peek() != Some('(') {
            return Ok(UNBOUNDED);
        }
        self.require('(')?;
        let n = self.number()?;
        self.require(')')?;
        if n == 0 && self.strict {
            return refuse(format!("{name} length must be positive"));
        }
        Ok(n)
    }

    fn parse_type(&mut self) -> Parsed<SparkType> {
        let name = self.word()?.to_ascii_lowercase();
        Ok(match name.as_str() {
            "tinyint" | "byte" => SparkType::TinyInt,
            "smallint" | "short" => SparkType::SmallInt,
            "int" | "integer" => SparkType::Int,
            "bigint" | "long" => SparkType::BigInt,
            "float" | "real" => SparkType::Float,
            "double" => SparkType::Double,
            "boolean" | "bool" => SparkType::Boolean,
            "string" | "text" => SparkType::String,
            "varchar" => SparkType::Varchar(self.length("varchar")?),
            "char" | "character" => SparkType::Char(self.length("char")?),
            "decimal" | "dec" | "numeric" => self.decimal()?,
            "date" => SparkType::Date,
            "timestamp" | "timestamp_ntz" | "timestamp_ltz" => SparkType::Timestamp,
            "binary" => SparkType::Binary,
            "void" => SparkType::Void,
            "array" => {
                self.require('<')?;
                let e = self.parse_type()?;
                self.require('>')?;
                SparkType::Array(Box::new(e))
            }
            "map" => {
                self.require('<')?;
                let k = self.parse_type()?;
                self.require(',')?;
                let v = self.parse_type()?;
                self.require('>')?;
                SparkType::Map(Box::new(k), Box::new(v))
            }
            "struct" => self.struct_fields()?,
            other if self.strict => return refuse(format!("unsupported data type '{other}'")),
            _ => SparkType::Other(name),
        })
    }

    fn decimal(&mut self) -> Parsed<SparkType> {
        if !self.eat('(') {
            return Ok(SparkType::Decimal(10, 0));
        }
        let p = self.number()?;
        let s = if self.eat(',') { self.number()? } else { 0 };
        self.require(')')?;
        if self.strict && (p == 0 || p > u32::from(MAX_PRECISION) || s > p) {
            return refuse(format!(
                "decimal({p},{s}) is out of range (precision 1..38, scale <= precision)"
            ));
        }
        match (u8::try_from(p), u8::try_from(s)) {
            (Ok(p), Ok(s)) => Ok(SparkType::Decimal(p, s)),
            _ => refuse("decimal precision out of range"),
        }
    }

    fn struct_fields(&mut self) -> Parsed<SparkType> {
        self.require('<')?;
        let mut fields = Vec::new();
        if self.eat('>') {
            return Ok(SparkType::Struct(fields));
        }
        loop {
            let name = self.word()?;
            self.eat(':');
            let ty = self.parse_type()?;
            fields.push((name, ty));
            if self.eat('>') {
                return Ok(SparkType::Struct(fields));
            }
            if !self.eat(',') {
                return refuse("expected ',' or '>' in struct type");
            }
        }
    }
}
