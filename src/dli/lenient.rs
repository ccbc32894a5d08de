//! Lenient serde helpers for DLI payloads, whose documented examples send
//! booleans and numbers as strings (`"is_success": "true"`, `"12"`), `null`
//! for strings, and omit fields the tables call mandatory.
//!
//! Use as `#[serde(default, deserialize_with = "lenient::...")]`.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Interprets a JSON value as a boolean: `true`, `"true"`, `"TRUE"`, `1`, `"1"`.
pub fn value_as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_f64().map(|f| f != 0.0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Interprets a JSON value as an integer: `12`, `12.0`, `"12"`.
pub fn value_as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>()
                .ok()
                .or_else(|| s.parse::<f64>().ok().map(|f| f as i64))
        }
        _ => None,
    }
}

/// Interprets a JSON value as a float: `0.5`, `"0.5"`.
pub fn value_as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
}

/// Interprets a JSON value as a string: strings as is, numbers/booleans printed.
pub fn value_as_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// `bool`, false when absent, null or unreadable.
pub fn bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(value_as_bool(&Value::deserialize(d)?).unwrap_or(false))
}

/// `Option<bool>`.
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(value_as_bool(&Value::deserialize(d)?))
}

/// `Option<i64>` from a number or a numeric string.
pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(value_as_i64(&Value::deserialize(d)?))
}

/// `i64`, 0 when absent or unreadable.
pub fn i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(value_as_i64(&Value::deserialize(d)?).unwrap_or(0))
}

/// `Option<f64>` from a number or a numeric string.
pub fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(value_as_f64(&Value::deserialize(d)?))
}

/// `String`, empty when absent or null; numbers are printed.
pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(value_as_string(&Value::deserialize(d)?).unwrap_or_default())
}

/// `Option<String>`; null and "" become `None`.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(value_as_string(&Value::deserialize(d)?).filter(|s| !s.is_empty()))
}

/// `Vec<String>`: accepts a list (items printed leniently), a single string
/// (split on commas), or null.
pub fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items.iter().filter_map(value_as_string).collect(),
        Value::String(s) if s.trim().is_empty() => Vec::new(),
        Value::String(s) => s.split(',').map(|p| p.trim().to_owned()).collect(),
        _ => Vec::new(),
    })
}

/// `Vec<Vec<Value>>` for result rows; null/absent → empty, non-array rows wrapped.
pub fn rows<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<Value>>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(rows) => rows
            .into_iter()
            .map(|r| match r {
                Value::Array(cells) => cells,
                // The reference types `rows` as "Array of Strings": a row may come as
                // the JSON text of its array.
                Value::String(text) => match serde_json::from_str::<Value>(&text) {
                    Ok(Value::Array(cells)) => cells,
                    _ => vec![Value::String(text)],
                },
                other => vec![other],
            })
            .collect(),
        _ => Vec::new(),
    })
}

/// `Vec<T>` where null or a wrong shape means "empty" rather than an error.
pub fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    match Value::deserialize(d)? {
        Value::Array(items) => items
            .into_iter()
            .map(|v| serde_json::from_value(v).map_err(serde::de::Error::custom))
            .collect(),
        _ => Ok(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values() {
        assert_eq!(value_as_bool(&json!("true")), Some(true));
        assert_eq!(value_as_bool(&json!("FALSE")), Some(false));
        assert_eq!(value_as_bool(&json!(1)), Some(true));
        assert_eq!(value_as_bool(&json!(null)), None);
        assert_eq!(value_as_i64(&json!("12")), Some(12));
        assert_eq!(value_as_i64(&json!(12.0)), Some(12));
        assert_eq!(value_as_i64(&json!("x")), None);
        assert_eq!(value_as_f64(&json!("0.25")), Some(0.25));
        assert_eq!(value_as_string(&json!(7)), Some("7".into()));
    }
}
