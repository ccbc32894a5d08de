//! Values as Spark 3.5's default `DataFrameWriter.csv` / `.json` write them, starting
//! from the JSON values of a result file (see [`super::results`]) and the Spark type of
//! each column. Measured with `scripts/spark_csv_probe.py` (pyspark 3.5.9, UTC):
//!
//! - CSV: NULL is an empty unquoted field, `""` is an empty string; a field is quoted
//!   when it contains `,`, `"`, CR or LF (or is empty); inside a quoted field `"` is
//!   written `\"` and `\` is written `\\`; outside, backslashes are kept as they are.
//! - Decimals as Java's `BigDecimal.toString` (`1.50`, `0E-10`), doubles and floats as
//!   Java's `Double.toString` (`1.0E10`, `-1.0E-4`, `NaN`, `Infinity`), booleans
//!   `true`/`false`, dates `yyyy-MM-dd`.
//! - Timestamps `yyyy-MM-dd'T'HH:mm:ss.SSSSSS` + `Z`. Spark writes only milliseconds
//!   (`.SSS`); we keep microseconds so that no value is lost.
//! - Spark trims leading and trailing whitespace of CSV strings by default; we do not,
//!   so that no value is changed.
//! - JSON: one object per row, NULL fields omitted (also inside structs), binary as
//!   base64, arrays/maps/structs as JSON, decimals as JSON numbers with their scale.
//!
//! Owns the text of one value; files are [`super::export`]'s.

use std::fmt::Write as _;

use chrono::NaiveDateTime;
use serde_json::Value;

use crate::pgtypes::SparkType;

/// Whether Spark's CSV writer refuses columns of this type.
pub fn csv_unsupported(t: &SparkType) -> bool {
    matches!(
        t,
        SparkType::Binary | SparkType::Array(_) | SparkType::Map(_, _) | SparkType::Struct(_)
    )
}

/// Spark's message for a CSV export of such a column.
pub fn csv_unsupported_message(column: &str, t: &SparkType) -> String {
    format!(
        "[UNSUPPORTED_DATA_TYPE_FOR_DATASOURCE] The CSV datasource doesn't support the \
         column `{column}` of the type \"{}\".",
        sql_type_name(t)
    )
}

/// Spark's `toSQLType` spelling: `BINARY`, `ARRAY<INT>`, `MAP<STRING, INT>`,
/// `STRUCT<a: INT, b: STRING>`.
fn sql_type_name(t: &SparkType) -> String {
    match t {
        SparkType::Array(e) => format!("ARRAY<{}>", sql_type_name(e)),
        SparkType::Map(k, v) => format!("MAP<{}, {}>", sql_type_name(k), sql_type_name(v)),
        SparkType::Struct(fields) => {
            let inner: Vec<String> = fields
                .iter()
                .map(|(n, t)| format!("{n}: {}", sql_type_name(t)))
                .collect();
            format!("STRUCT<{}>", inner.join(", "))
        }
        other => other.spark_name().to_ascii_uppercase(),
    }
}

/// Appends one CSV field (no delimiter) for a value of type `t`.
pub fn csv_field(out: &mut String, v: &Value, t: &SparkType) {
    match v {
        Value::Null => {}
        _ if matches!(t, SparkType::Void) => {}
        _ => {
            let text = match t {
                SparkType::Array(_) | SparkType::Map(_, _) | SparkType::Struct(_) => {
                    let mut s = String::new();
                    json_value(&mut s, v, t);
                    s
                }
                _ => scalar_text(v, t),
            };
            csv_quote(out, &text);
        }
    }
}

/// Appends `s` as a CSV field, quoted and escaped when Spark would quote it.
pub fn csv_quote(out: &mut String, s: &str) {
    if !s.is_empty() && !s.contains([',', '"', '\n', '\r']) {
        out.push_str(s);
        return;
    }
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The text of a non-null scalar (binary: base64, as stored).
fn scalar_text(v: &Value, t: &SparkType) -> String {
    match (t, v) {
        (SparkType::Float | SparkType::Double, Value::Number(n)) => {
            n.as_f64().map(java_double).unwrap_or_else(|| n.to_string())
        }
        (SparkType::Decimal(_, scale), Value::String(s)) => java_decimal(s, *scale),
        (SparkType::Timestamp, Value::String(s)) => iso_timestamp(s),
        (_, Value::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}

/// Appends a Spark-style JSON value (the caller handles a top-level NULL).
pub fn json_value(out: &mut String, v: &Value, t: &SparkType) {
    match (t, v) {
        (_, Value::Null) | (SparkType::Void, _) => out.push_str("null"),
        (SparkType::Array(e), Value::Array(items)) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_value(out, item, e);
            }
            out.push(']');
        }
        (SparkType::Map(_, vt), Value::Object(entries)) => {
            out.push('{');
            for (i, (k, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(out, k);
                out.push(':');
                json_value(out, item, vt);
            }
            out.push('}');
        }
        (SparkType::Struct(fields), Value::Object(obj)) => {
            let pairs = fields
                .iter()
                .filter_map(|(n, ft)| obj.get(n).map(|fv| (n.as_str(), fv, ft)));
            json_object(out, pairs);
        }
        (SparkType::Float | SparkType::Double, Value::Number(n)) => match n.as_f64() {
            Some(f) => out.push_str(&java_double(f)),
            None => out.push_str(&n.to_string()),
        },
        (SparkType::Decimal(_, scale), Value::String(s)) => out.push_str(&java_decimal(s, *scale)),
        (SparkType::Timestamp, Value::String(s)) => json_string(out, &iso_timestamp(s)),
        (_, Value::String(s)) => json_string(out, s),
        (_, other) => out.push_str(&other.to_string()),
    }
}

/// Appends `{"name":value,…}`, leaving out NULL values as Spark does.
pub fn json_object<'a>(
    out: &mut String,
    pairs: impl Iterator<Item = (&'a str, &'a Value, &'a SparkType)>,
) {
    out.push('{');
    let mut first = true;
    for (name, v, t) in pairs {
        if v.is_null() || matches!(t, SparkType::Void) {
            continue;
        }
        if !first {
            out.push(',');
        }
        first = false;
        json_string(out, name);
        out.push(':');
        json_value(out, v, t);
    }
    out.push('}');
}

fn json_string(out: &mut String, s: &str) {
    out.push_str(&Value::String(s.to_string()).to_string());
}

/// `YYYY-MM-DD HH:MM:SS[.f]` (the result files' text) → `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
pub fn iso_timestamp(s: &str) -> String {
    match NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f") {
        Ok(ts) => ts.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        Err(_) => s.to_string(),
    }
}

/// Java's `BigDecimal.toString` of a plain decimal string with `scale` digits after the
/// point: plain unless the adjusted exponent is below -6 (`0E-10`, `1.2E-7`).
pub fn java_decimal(s: &str, scale: u8) -> String {
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    if !body.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return s.to_string();
    }
    let digits: String = body.chars().filter(|c| *c != '.').collect();
    let digits = digits.trim_start_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let adjusted = digits.len() as i64 - 1 - i64::from(scale);
    if adjusted >= -6 {
        return s.to_string();
    }
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    out.push_str(&digits[..1]);
    if digits.len() > 1 {
        out.push('.');
        out.push_str(&digits[1..]);
    }
    let _ = write!(out, "E{adjusted}");
    out
}

/// Java's `Double.toString`: `0.001` ≤ |v| < `1e7` plain with at least one decimal,
/// otherwise `d.dddE±n`; `NaN`, `Infinity`, `-Infinity`, `0.0`, `-0.0`.
pub fn java_double(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    let sign = if v < 0.0 { "-" } else { "" };
    // Shortest round-trip digits, e.g. "1.2345e6".
    let sci = format!("{:e}", v.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let abs = v.abs();
    if (1e-3..1e7).contains(&abs) {
        let point = exp + 1; // digits before the decimal point
        let text = if point <= 0 {
            format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
        } else {
            let point = point as usize;
            if digits.len() > point {
                format!("{}.{}", &digits[..point], &digits[point..])
            } else {
                format!("{digits}{}.0", "0".repeat(point - digits.len()))
            }
        };
        return format!("{sign}{text}");
    }
    let frac = if digits.len() > 1 { &digits[1..] } else { "0" };
    format!("{sign}{}.{frac}E{exp}", &digits[..1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn java_numbers() {
        for (v, want) in [
            (1e10, "1.0E10"),
            (1e7, "1.0E7"),
            (1234567.5, "1234567.5"),
            (0.001, "0.001"),
            (-0.0001, "-1.0E-4"),
            (1.5, "1.5"),
            (100.0, "100.0"),
            (0.0, "0.0"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
            (1.2345e-10, "1.2345E-10"),
        ] {
            assert_eq!(java_double(v), want, "{v}");
        }
        assert_eq!(java_decimal("1.50", 2), "1.50");
        assert_eq!(java_decimal("0.0000000000", 10), "0E-10");
        assert_eq!(java_decimal("-0.00000012", 8), "-1.2E-7");
        assert_eq!(java_decimal("0.000001", 6), "0.000001");
        assert_eq!(java_decimal("12", 0), "12");
    }

    #[test]
    fn csv_fields_like_spark() {
        let s = SparkType::String;
        let cases = [
            (json!(null), ""),
            (json!(""), "\"\""),
            (json!("a,b"), "\"a,b\""),
            (json!("say \"hi\""), "\"say \\\"hi\\\"\""),
            (json!("back\\slash"), "back\\slash"),
            (json!("a,\\b"), "\"a,\\\\b\""),
            (json!("line1\nline2"), "\"line1\nline2\""),
        ];
        for (v, want) in cases {
            let mut out = String::new();
            csv_field(&mut out, &v, &s);
            assert_eq!(out, want);
        }
        let mut out = String::new();
        csv_field(
            &mut out,
            &json!("2024-01-02 03:04:05.123"),
            &SparkType::Timestamp,
        );
        assert_eq!(out, "2024-01-02T03:04:05.123000Z");
    }

    #[test]
    fn json_objects_like_spark() {
        let st = SparkType::Struct(vec![
            ("a".into(), SparkType::Int),
            ("b".into(), SparkType::String),
        ]);
        let mut out = String::new();
        let (x, y, z) = (json!({"a": 1, "b": null}), json!(null), json!("1.50"));
        let (tz, dec) = (SparkType::String, SparkType::Decimal(10, 2));
        json_object(
            &mut out,
            [("s", &x, &st), ("n", &y, &tz), ("d", &z, &dec)].into_iter(),
        );
        assert_eq!(out, r#"{"s":{"a":1},"d":1.50}"#);
        assert_eq!(
            csv_unsupported_message("c", &SparkType::Binary),
            "[UNSUPPORTED_DATA_TYPE_FOR_DATASOURCE] The CSV datasource doesn't support the \
             column `c` of the type \"BINARY\"."
        );
    }
}
