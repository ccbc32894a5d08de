//! Typed, strict reading of a Flink request body: each documented field with its
//! JSON type, length or range (003 §9.2–§9.6, §9.10, §9.12, seeds 000/001/002). A
//! field of the wrong type or out of range is 400 DLI.0001 naming the field; `null`
//! is the same as absent; fields the APIs do not document are ignored.
//!
//! Owns: the field readers only; which fields an API takes is `settings.rs`'.

use serde_json::{Map, Value};

use crate::localdli::error::ApiError;

/// A JSON object body.
#[derive(Debug)]
pub struct Body(pub Map<String, Value>);

fn bad(key: &str, what: &str) -> ApiError {
    ApiError::param(format!("The parameter {key} is invalid: {what}."))
}

impl Body {
    /// A JSON object body, or DLI.0001.
    pub fn parse(bytes: &[u8]) -> Result<Body, ApiError> {
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => Ok(Body(map)),
            Ok(_) => Err(ApiError::param("The request body must be a JSON object.")),
            Err(e) => Err(ApiError::param(format!(
                "The request body is not valid JSON: {e}"
            ))),
        }
    }

    fn field(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    pub fn has(&self, key: &str) -> bool {
        self.field(key).is_some()
    }

    /// A string of `min..=max` characters.
    pub fn text(&self, key: &str, min: usize, max: usize) -> Result<Option<String>, ApiError> {
        match self.field(key) {
            None => Ok(None),
            Some(Value::String(s)) => {
                let n = s.chars().count();
                if n < min || n > max {
                    Err(bad(key, &format!("it must have {min} to {max} characters")))
                } else {
                    Ok(Some(s.clone()))
                }
            }
            Some(_) => Err(bad(key, "it must be a string")),
        }
    }

    /// One of `allowed`.
    pub fn choice(&self, key: &str, allowed: &[&str]) -> Result<Option<String>, ApiError> {
        match self.text(key, 0, 256)? {
            Some(v) if !allowed.contains(&v.as_str()) => Err(bad(
                key,
                &format!("'{v}' is not one of {}", allowed.join(", ")),
            )),
            other => Ok(other),
        }
    }

    /// An integer in `min..=max` (a JSON number without fraction).
    pub fn int(&self, key: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        match self.field(key) {
            None => Ok(None),
            Some(v) => match v.as_i64() {
                Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
                Some(_) => Err(bad(key, &format!("it must be between {min} and {max}"))),
                None => Err(bad(key, "it must be an integer")),
            },
        }
    }

    pub fn boolean(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.field(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(bad(key, "it must be a boolean")),
        }
    }

    /// An array of strings.
    pub fn texts(&self, key: &str) -> Result<Option<Vec<String>>, ApiError> {
        match self.field(key) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| bad(key, "it must be an array of strings"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(bad(key, "it must be an array of strings")),
        }
    }

    /// `job_ids`: mandatory, a non-empty array of job ids (Long).
    pub fn job_ids(&self) -> Result<Vec<i64>, ApiError> {
        let Some(v) = self.field("job_ids") else {
            return Err(ApiError::param("The parameter job_ids is mandatory."));
        };
        let items = v
            .as_array()
            .filter(|a| !a.is_empty())
            .ok_or_else(|| bad("job_ids", "it must be a non-empty array of job IDs"))?;
        items
            .iter()
            .map(|i| {
                i.as_i64()
                    .ok_or_else(|| bad("job_ids", &format!("{i} is not a job ID")))
            })
            .collect()
    }

    /// `checkpoint_mode`: the tables' Integer 1|2 or the examples' text (D9); stored
    /// in the details' spelling.
    pub fn checkpoint_mode(&self) -> Result<Option<String>, ApiError> {
        let Some(v) = self.field("checkpoint_mode") else {
            return Ok(None);
        };
        let mode = match v {
            Value::Number(n) => match n.as_i64() {
                Some(1) => "exactly_once",
                Some(2) => "at_least_once",
                _ => "",
            },
            Value::String(s) => match s.as_str() {
                "exactly_once" => "exactly_once",
                "at_least_once" => "at_least_once",
                _ => "",
            },
            _ => "",
        };
        if mode.is_empty() {
            return Err(bad(
                "checkpoint_mode",
                "it must be 1 (exactly_once) or 2 (at_least_once)",
            ));
        }
        Ok(Some(mode.to_string()))
    }

    /// `tags`: an array of `{key, value}` (both mandatory strings).
    pub fn tags(&self) -> Result<Vec<(String, String)>, ApiError> {
        let Some(v) = self.field("tags") else {
            return Ok(Vec::new());
        };
        let err = || bad("tags", "it must be an array of {\"key\",\"value\"} objects");
        let items = v.as_array().ok_or_else(err)?;
        items
            .iter()
            .map(|t| {
                let k = t
                    .get("key")
                    .and_then(Value::as_str)
                    .filter(|k| !k.is_empty());
                let v = t.get("value").and_then(Value::as_str);
                match (k, v) {
                    (Some(k), Some(v)) => Ok((k.to_string(), v.to_string())),
                    _ => Err(err()),
                }
            })
            .collect()
    }

    /// A string that must hold JSON (operator and estimator configurations).
    pub fn json_text(&self, key: &str) -> Result<Option<String>, ApiError> {
        let text = self.text(key, 0, 1024 * 1024)?;
        if let Some(t) = text.as_deref().filter(|t| !t.trim().is_empty())
            && serde_json::from_str::<Value>(t).is_err()
        {
            return Err(bad(key, "it must be a JSON document in a string"));
        }
        Ok(text)
    }
}

/// Job names: 1–57 letters, digits, `-` or `_` (003 §9.2; the console's character rule).
pub fn check_name(name: &str) -> Result<(), ApiError> {
    let n = name.chars().count();
    let chars_ok = name
        .chars()
        .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
    if !(1..=57).contains(&n) || !chars_ok {
        return Err(bad(
            "name",
            "it must have 1 to 57 characters: letters, digits, '-' and '_'",
        ));
    }
    Ok(())
}
