//! Spark SQL data types as the local service speaks them.
//!
//! Owns: parsing Spark DDL type text (`decimal(10,2)`, `array<map<string,int>>`,
//! `struct<a:int,b:string>`), printing the canonical Spark name (`int`, `bigint`, …),
//! the Spark `StructType` JSON used in a job's `detail`, and the mapping to and from
//! Arrow types. Must not know about HTTP, jobs or the warehouse.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Fields, Schema, TimeUnit};
use serde_json::{Value, json};

/// A Spark SQL data type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SparkType {
    Byte,
    Short,
    Int,
    Long,
    Float,
    Double,
    Boolean,
    String,
    Varchar(u32),
    Char(u32),
    Decimal(u8, i8),
    Date,
    Timestamp,
    Binary,
    Void,
    Array(Box<SparkType>),
    Map(Box<SparkType>, Box<SparkType>),
    Struct(Vec<(String, SparkType)>),
}

/// Largest decimal precision Spark accepts.
const MAX_PRECISION: u8 = 38;

impl SparkType {
    /// Parses Spark DDL type text, case-insensitively.
    pub fn parse(text: &str) -> Result<SparkType, String> {
        let mut p = TypeParser {
            chars: text.chars().collect(),
            pos: 0,
        };
        let ty = p.parse_type()?;
        p.skip_ws();
        if p.pos != p.chars.len() {
            return Err(format!("unexpected text after data type in '{text}'"));
        }
        Ok(ty)
    }

    /// The canonical Spark SQL name, as `DESCRIBE` prints it.
    pub fn sql_name(&self) -> String {
        match self {
            SparkType::Byte => "tinyint".into(),
            SparkType::Short => "smallint".into(),
            SparkType::Int => "int".into(),
            SparkType::Long => "bigint".into(),
            SparkType::Float => "float".into(),
            SparkType::Double => "double".into(),
            SparkType::Boolean => "boolean".into(),
            SparkType::String => "string".into(),
            SparkType::Varchar(n) => format!("varchar({n})"),
            SparkType::Char(n) => format!("char({n})"),
            SparkType::Decimal(p, s) => format!("decimal({p},{s})"),
            SparkType::Date => "date".into(),
            SparkType::Timestamp => "timestamp".into(),
            SparkType::Binary => "binary".into(),
            SparkType::Void => "void".into(),
            SparkType::Array(e) => format!("array<{}>", e.sql_name()),
            SparkType::Map(k, v) => format!("map<{},{}>", k.sql_name(), v.sql_name()),
            SparkType::Struct(fields) => {
                let inner: Vec<String> = fields
                    .iter()
                    .map(|(n, t)| format!("{n}:{}", t.sql_name()))
                    .collect();
                format!("struct<{}>", inner.join(","))
            }
        }
    }

    /// The type as it appears in Spark's `StructType` JSON (`integer`, nested objects).
    pub fn json(&self) -> Value {
        match self {
            SparkType::Byte => json!("byte"),
            SparkType::Short => json!("short"),
            SparkType::Int => json!("integer"),
            SparkType::Long => json!("long"),
            SparkType::Float => json!("float"),
            SparkType::Double => json!("double"),
            SparkType::Boolean => json!("boolean"),
            SparkType::String | SparkType::Varchar(_) | SparkType::Char(_) => json!("string"),
            SparkType::Decimal(p, s) => json!(format!("decimal({p},{s})")),
            SparkType::Date => json!("date"),
            SparkType::Timestamp => json!("timestamp"),
            SparkType::Binary => json!("binary"),
            SparkType::Void => json!("void"),
            SparkType::Array(e) => {
                json!({"type": "array", "elementType": e.json(), "containsNull": true})
            }
            SparkType::Map(k, v) => json!({
                "type": "map", "keyType": k.json(), "valueType": v.json(),
                "valueContainsNull": true
            }),
            SparkType::Struct(fields) => struct_json(fields.iter().map(|(n, t)| (n.as_str(), t))),
        }
    }

    /// The Arrow type the warehouse stores this type as.
    pub fn to_arrow(&self) -> DataType {
        match self {
            SparkType::Byte => DataType::Int8,
            SparkType::Short => DataType::Int16,
            SparkType::Int => DataType::Int32,
            SparkType::Long => DataType::Int64,
            SparkType::Float => DataType::Float32,
            SparkType::Double => DataType::Float64,
            SparkType::Boolean => DataType::Boolean,
            SparkType::String | SparkType::Varchar(_) | SparkType::Char(_) => DataType::Utf8,
            SparkType::Decimal(p, s) => DataType::Decimal128(*p, *s),
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
            DataType::Int8 => SparkType::Byte,
            DataType::Int16 | DataType::UInt8 => SparkType::Short,
            DataType::Int32 | DataType::UInt16 => SparkType::Int,
            DataType::Int64 | DataType::UInt32 => SparkType::Long,
            DataType::UInt64 => SparkType::Decimal(20, 0),
            DataType::Float16 | DataType::Float32 => SparkType::Float,
            DataType::Float64 => SparkType::Double,
            DataType::Boolean => SparkType::Boolean,
            DataType::Decimal32(p, s)
            | DataType::Decimal64(p, s)
            | DataType::Decimal128(p, s)
            | DataType::Decimal256(p, s) => SparkType::Decimal((*p).min(MAX_PRECISION), *s),
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

/// Spark `StructType` JSON of named fields.
pub fn struct_json<'a>(fields: impl Iterator<Item = (&'a str, &'a SparkType)>) -> Value {
    let fields: Vec<Value> = fields
        .map(
            |(name, ty)| json!({"name": name, "type": ty.json(), "nullable": true, "metadata": {}}),
        )
        .collect();
    json!({"type": "struct", "fields": fields})
}

/// Spark schema of an Arrow schema: `(name, type)` pairs.
pub fn spark_columns(schema: &Schema) -> Vec<(String, SparkType)> {
    schema
        .fields()
        .iter()
        .map(|f| (f.name().clone(), SparkType::from_arrow(f.data_type())))
        .collect()
}

/// Recursive-descent parser over Spark type text.
struct TypeParser {
    chars: Vec<char>,
    pos: usize,
}

impl TypeParser {
    fn skip_ws(&mut self) {
        while self.chars.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_ws();
        self.chars.get(self.pos).copied()
    }

    fn expect(&mut self, ch: char) -> Result<(), String> {
        if self.peek() == Some(ch) {
            self.pos += 1;
            Ok(())
        } else {
            Err(format!("expected '{ch}' in data type"))
        }
    }

    fn word(&mut self) -> Result<String, String> {
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
            return Err("expected a data type name".into());
        }
        Ok(self.chars[start..self.pos].iter().collect())
    }

    fn quoted(&mut self) -> Result<String, String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.chars.get(self.pos) {
                None => return Err("unterminated quoted field name".into()),
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

    fn number(&mut self) -> Result<u32, String> {
        self.skip_ws();
        let start = self.pos;
        while self.chars.get(self.pos).is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        text.parse::<u32>()
            .map_err(|_| "expected a number in data type".to_string())
    }

    fn length(&mut self, name: &str) -> Result<u32, String> {
        self.expect('(')?;
        let n = self.number()?;
        self.expect(')')?;
        if n == 0 {
            return Err(format!("{name} length must be positive"));
        }
        Ok(n)
    }

    fn parse_type(&mut self) -> Result<SparkType, String> {
        let name = self.word()?.to_ascii_lowercase();
        Ok(match name.as_str() {
            "tinyint" | "byte" => SparkType::Byte,
            "smallint" | "short" => SparkType::Short,
            "int" | "integer" => SparkType::Int,
            "bigint" | "long" => SparkType::Long,
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
                self.expect('<')?;
                let e = self.parse_type()?;
                self.expect('>')?;
                SparkType::Array(Box::new(e))
            }
            "map" => {
                self.expect('<')?;
                let k = self.parse_type()?;
                self.expect(',')?;
                let v = self.parse_type()?;
                self.expect('>')?;
                SparkType::Map(Box::new(k), Box::new(v))
            }
            "struct" => self.struct_fields()?,
            other => return Err(format!("unsupported data type '{other}'")),
        })
    }

    fn decimal(&mut self) -> Result<SparkType, String> {
        if self.peek() != Some('(') {
            return Ok(SparkType::Decimal(10, 0));
        }
        self.expect('(')?;
        let p = self.number()?;
        let s = if self.peek() == Some(',') {
            self.expect(',')?;
            self.number()?
        } else {
            0
        };
        self.expect(')')?;
        if p == 0 || p > u32::from(MAX_PRECISION) || s > p {
            return Err(format!(
                "decimal({p},{s}) is out of range (precision 1..38, scale <= precision)"
            ));
        }
        let p = u8::try_from(p).map_err(|_| "decimal precision out of range".to_string())?;
        let s = i8::try_from(s).map_err(|_| "decimal scale out of range".to_string())?;
        Ok(SparkType::Decimal(p, s))
    }

    fn struct_fields(&mut self) -> Result<SparkType, String> {
        self.expect('<')?;
        let mut fields = Vec::new();
        if self.peek() == Some('>') {
            self.pos += 1;
            return Ok(SparkType::Struct(fields));
        }
        loop {
            let name = self.word()?;
            if self.peek() == Some(':') {
                self.pos += 1;
            }
            let ty = self.parse_type()?;
            fields.push((name, ty));
            match self.peek() {
                Some(',') => self.pos += 1,
                Some('>') => {
                    self.pos += 1;
                    return Ok(SparkType::Struct(fields));
                }
                _ => return Err("expected ',' or '>' in struct type".into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_sql_names() {
        for (text, canonical) in [
            ("INT", "int"),
            ("integer", "int"),
            ("long", "bigint"),
            ("real", "float"),
            ("Decimal(10, 2)", "decimal(10,2)"),
            ("decimal", "decimal(10,0)"),
            ("varchar(12)", "varchar(12)"),
            ("array<array<int>>", "array<array<int>>"),
            ("map<string, array<bigint>>", "map<string,array<bigint>>"),
            ("struct<a:int, `b c`:string>", "struct<a:int,b c:string>"),
        ] {
            let ty = SparkType::parse(text).unwrap();
            assert_eq!(ty.sql_name(), canonical, "{text}");
            assert_eq!(
                SparkType::from_arrow(&ty.to_arrow())
                    .sql_name()
                    .replace("varchar(12)", "string"),
                canonical.replace("varchar(12)", "string")
            );
        }
        assert!(SparkType::parse("decimal(40,2)").is_err());
        assert!(SparkType::parse("int int").is_err());
        assert!(SparkType::parse("foo").is_err());
    }

    #[test]
    fn spark_json_names() {
        let ty = SparkType::parse("array<int>").unwrap();
        assert_eq!(
            ty.json(),
            json!({"type":"array","elementType":"integer","containsNull":true})
        );
        assert_eq!(SparkType::Long.json(), json!("long"));
    }
}
