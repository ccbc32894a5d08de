//! Result-schema shapes DLI uses, normalised into one ordered `Vec<Column>`:
//! - `schema` lists of one-key objects, `[{"c1":"int"},{"c2":"string"}]`;
//! - `detail`, a JSON *string* holding a Spark `StructType`, whose type names
//!   (`integer`, `long`, nested `{"type":"array",...}`) are turned into Spark SQL
//!   DDL names (`int`, `bigint`, `array<int>`).
//!
//! Mapping Spark types to Postgres types is `crate::pgtypes`' job, not this one's.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// A result column: its name and Spark SQL type name (`int`, `decimal(10,2)`, `array<string>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    pub name: String,
    pub spark_type: String,
}

impl Column {
    pub fn new(name: impl Into<String>, spark_type: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            spark_type: spark_type.into(),
        }
    }
}

/// Normalises a `schema` value into columns, preserving order.
///
/// Accepts one-key objects (`{"c1":"int"}`), `{"name":..,"type":..}` objects,
/// and type values given as Spark JSON (`{"c1":{"type":"array",...}}`).
pub fn columns_from_schema(value: &Value) -> Vec<Column> {
    let Value::Array(items) = value else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let Value::Object(map) = item else { continue };
        let is_name_type = map.len() == 2
            && map.get("name").is_some_and(Value::is_string)
            && map.contains_key("type");
        if is_name_type {
            if let (Some(Value::String(name)), Some(ty)) = (map.get("name"), map.get("type")) {
                out.push(Column::new(name.clone(), type_value_to_ddl(ty)));
            }
            continue;
        }
        for (name, ty) in map {
            out.push(Column::new(name.clone(), type_value_to_ddl(ty)));
        }
    }
    out
}

fn type_value_to_ddl(ty: &Value) -> String {
    match ty {
        Value::String(s) => s.clone(),
        other => spark_json_type_to_ddl(other).unwrap_or_else(|| other.to_string()),
    }
}

/// serde adapter: `schema` field → `Vec<Column>`.
pub fn deserialize_schema<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Column>, D::Error> {
    Ok(columns_from_schema(&Value::deserialize(d)?))
}

/// Parses the `detail` string of a job (a Spark `StructType` as JSON) into
/// columns. `None` when it is empty or not a struct.
pub fn parse_struct_type(detail: &str) -> Option<Vec<Column>> {
    let value: Value = serde_json::from_str(detail.trim()).ok()?;
    if value.get("type").and_then(Value::as_str) != Some("struct") {
        return None;
    }
    struct_fields(&value).map(|fields| {
        fields
            .into_iter()
            .map(|(name, ty)| Column::new(name, ty))
            .collect()
    })
}

fn struct_fields(value: &Value) -> Option<Vec<(String, String)>> {
    let fields = value.get("fields")?.as_array()?;
    fields
        .iter()
        .map(|f| {
            let name = f.get("name")?.as_str()?.to_owned();
            let ty = spark_json_type_to_ddl(f.get("type")?)?;
            Some((name, ty))
        })
        .collect()
}

/// One Spark JSON data type (a name string or a nested object) → DDL name.
pub fn spark_json_type_to_ddl(ty: &Value) -> Option<String> {
    match ty {
        Value::String(name) => Some(simple_type_to_ddl(name)),
        Value::Object(obj) => match obj.get("type")?.as_str()? {
            "array" => Some(format!(
                "array<{}>",
                spark_json_type_to_ddl(obj.get("elementType")?)?
            )),
            "map" => Some(format!(
                "map<{},{}>",
                spark_json_type_to_ddl(obj.get("keyType")?)?,
                spark_json_type_to_ddl(obj.get("valueType")?)?
            )),
            "struct" => {
                let fields = struct_fields(ty)?;
                let inner: Vec<String> = fields
                    .into_iter()
                    .map(|(n, t)| format!("{n}:{t}"))
                    .collect();
                Some(format!("struct<{}>", inner.join(",")))
            }
            // User-defined types carry their SQL type.
            "udt" => obj.get("sqlType").and_then(spark_json_type_to_ddl),
            other => Some(simple_type_to_ddl(other)),
        },
        _ => None,
    }
}

/// Spark JSON atomic type name → Spark SQL DDL name (`integer` → `int`).
pub fn simple_type_to_ddl(name: &str) -> String {
    let lower = name.trim().to_ascii_lowercase();
    let mapped = match lower.as_str() {
        "integer" => "int",
        "long" => "bigint",
        "short" => "smallint",
        "byte" => "tinyint",
        "null" => "void",
        _ => return lower,
    };
    mapped.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_key_objects_keep_order() {
        let cols =
            columns_from_schema(&json!([{"zeta":"int"},{"alpha":"string"},{"m":"decimal(10,2)"}]));
        let names: Vec<_> = cols
            .iter()
            .map(|c| (c.name.as_str(), c.spark_type.as_str()))
            .collect();
        assert_eq!(
            names,
            [("zeta", "int"), ("alpha", "string"), ("m", "decimal(10,2)")]
        );
    }

    #[test]
    fn name_type_objects() {
        let cols = columns_from_schema(&json!([{"name":"a","type":"long"}]));
        assert_eq!(cols, [Column::new("a", "long")]);
    }

    #[test]
    fn struct_type_detail() {
        let detail = r#"{"type":"struct","fields":[
            {"name":"i","type":"integer","nullable":true,"metadata":{}},
            {"name":"l","type":"long"},{"name":"s","type":"short"},{"name":"b","type":"byte"},
            {"name":"str","type":"string"},{"name":"bo","type":"boolean"},{"name":"f","type":"float"},
            {"name":"d","type":"double"},{"name":"dec","type":"decimal(10,2)"},{"name":"dt","type":"date"},
            {"name":"ts","type":"timestamp"},{"name":"bin","type":"binary"},
            {"name":"arr","type":{"type":"array","elementType":"integer","containsNull":true}},
            {"name":"mp","type":{"type":"map","keyType":"string","valueType":"integer","valueContainsNull":true}},
            {"name":"st","type":{"type":"struct","fields":[{"name":"a","type":"integer"},{"name":"b","type":"string"}]}},
            {"name":"nested","type":{"type":"array","elementType":{"type":"map","keyType":"string","valueType":{"type":"array","elementType":"long"}}}}
        ]}"#;
        let cols = parse_struct_type(detail).unwrap();
        let types: Vec<_> = cols.iter().map(|c| c.spark_type.as_str()).collect();
        assert_eq!(
            types,
            [
                "int",
                "bigint",
                "smallint",
                "tinyint",
                "string",
                "boolean",
                "float",
                "double",
                "decimal(10,2)",
                "date",
                "timestamp",
                "binary",
                "array<int>",
                "map<string,int>",
                "struct<a:int,b:string>",
                "array<map<string,array<bigint>>>"
            ]
        );
        assert_eq!(cols[0].name, "i");
        assert_eq!(cols[15].name, "nested");
    }

    #[test]
    fn not_a_struct() {
        assert_eq!(parse_struct_type(""), None);
        assert_eq!(parse_struct_type("{\"type\":\"string\"}"), None);
        assert_eq!(parse_struct_type("not json"), None);
        assert_eq!(
            parse_struct_type(r#"{"type":"struct","fields":[]}"#),
            Some(vec![])
        );
    }
}
