//! Field types and lenient readers shared by the Flink DTOs: the checkpoint mode
//! (Integer `1|2` in the request tables, `"exactly_once"` in the examples and in
//! the details, 003 §9.2/§9.3/§9.8) and epoch-millisecond times where `null`, `0`
//! ("not started yet", seed 004) and `-1` ("still running", §9.9) mean "none".

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::dli::lenient::{value_as_i64, value_as_string};

/// Checkpoint mode of a Flink job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointMode {
    /// `1` / `"exactly_once"` (DLI's default).
    ExactlyOnce,
    /// `2` / `"at_least_once"`.
    AtLeastOnce,
    /// Any other value DLI sends, kept as text.
    Other(String),
}

impl CheckpointMode {
    /// The textual form used by the details API.
    pub fn as_str(&self) -> &str {
        match self {
            CheckpointMode::ExactlyOnce => "exactly_once",
            CheckpointMode::AtLeastOnce => "at_least_once",
            CheckpointMode::Other(s) => s,
        }
    }

    fn from_value(v: &Value) -> Option<Self> {
        if let Value::Number(_) = v {
            return match value_as_i64(v) {
                Some(1) => Some(CheckpointMode::ExactlyOnce),
                Some(2) => Some(CheckpointMode::AtLeastOnce),
                _ => value_as_string(v).map(CheckpointMode::Other),
            };
        }
        let text = value_as_string(v)?;
        let norm = text.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Some(match norm.as_str() {
            "" => return None,
            "1" | "exactly_once" | "exactlyonce" => CheckpointMode::ExactlyOnce,
            "2" | "at_least_once" | "atleastonce" => CheckpointMode::AtLeastOnce,
            _ => CheckpointMode::Other(text),
        })
    }
}

/// Sent as the Integer the request tables of 003 §9.2/§9.3 define (`1`/`2`);
/// an unknown mode is sent as its text.
impl Serialize for CheckpointMode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            CheckpointMode::ExactlyOnce => s.serialize_i64(1),
            CheckpointMode::AtLeastOnce => s.serialize_i64(2),
            CheckpointMode::Other(text) => s.serialize_str(text),
        }
    }
}

impl<'de> Deserialize<'de> for CheckpointMode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        Ok(Self::from_value(&v).unwrap_or_else(|| CheckpointMode::Other(String::new())))
    }
}

/// `Option<CheckpointMode>`: null, "" and absent are `None`.
pub fn opt_checkpoint_mode<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<CheckpointMode>, D::Error> {
    Ok(CheckpointMode::from_value(&Value::deserialize(d)?))
}

/// Epoch milliseconds; `null`, `0`, negative values and unreadable text are `None`.
pub fn opt_epoch_ms<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(value_as_i64(&Value::deserialize(d)?).filter(|t| *t > 0))
}

/// `Option<T>` where null or a wrong shape means `None` rather than an error.
pub fn opt_object<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    match Value::deserialize(d)? {
        v @ Value::Object(_) => serde_json::from_value(v)
            .map(Some)
            .map_err(serde::de::Error::custom),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn checkpoint_mode_both_spellings() {
        let read = |v: Value| CheckpointMode::from_value(&v);
        assert_eq!(read(json!(1)), Some(CheckpointMode::ExactlyOnce));
        assert_eq!(
            read(json!("exactly_once")),
            Some(CheckpointMode::ExactlyOnce)
        );
        assert_eq!(read(json!(2)), Some(CheckpointMode::AtLeastOnce));
        assert_eq!(
            read(json!("AT_LEAST_ONCE")),
            Some(CheckpointMode::AtLeastOnce)
        );
        assert_eq!(read(json!("2")), Some(CheckpointMode::AtLeastOnce));
        assert_eq!(read(json!(null)), None);
        assert_eq!(
            read(json!("weird")),
            Some(CheckpointMode::Other("weird".into()))
        );
        assert_eq!(
            serde_json::to_value(CheckpointMode::AtLeastOnce).unwrap(),
            json!(2)
        );
    }
}
