//! Values of DLI results given as text (result files), typed by their Spark type.
//!
//! Owns: [`PgValue::from_text`] — one field of a CSV result file read as its column's
//! Spark type, with fast paths for the common scalar types — and decimal spelling
//! (Spark writes `0E-10` for a zero of scale 10; Postgres clients expect `0.0000000000`).

use serde_json::Value;

use super::spark::SparkType;
use super::value::{ConversionError, PgValue};

/// At most `max` bytes of `s`, cut on a character boundary, with `…` when cut.
pub fn shorten(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

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

/// A decimal's plain spelling (no exponent), with at least the column's scale:
/// `0E-10` → `0.0000000000`, `1.5` in `decimal(10,2)` → `1.50`, `-1.2E+3` → `-1200`.
/// `None` when `text` is not a number.
pub fn plain_decimal(text: &str, t: &SparkType) -> Option<String> {
    let scale = match t {
        SparkType::Decimal(_, s) => usize::from(*s),
        _ => 0,
    };
    let text = text.trim();
    let (negative, body) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], body[i + 1..].parse::<i32>().ok()?),
        None => (body, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty() && frac_part.is_empty()
        || !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
        || exponent.unsigned_abs() > 1000
    {
        return None;
    }
    // digits × 10^(point - digits.len()): place the decimal point `exponent` further right.
    let digits = format!("{int_part}{frac_part}");
    let point = i64::try_from(int_part.len()).ok()? + i64::from(exponent);
    let len = i64::try_from(digits.len()).ok()?;
    let (int_digits, frac_digits) = if point <= 0 {
        let zeros = usize::try_from(-point).ok()?;
        (String::new(), format!("{}{digits}", "0".repeat(zeros)))
    } else if point >= len {
        let zeros = usize::try_from(point - len).ok()?;
        (format!("{digits}{}", "0".repeat(zeros)), String::new())
    } else {
        let at = usize::try_from(point).ok()?;
        (digits[..at].to_string(), digits[at..].to_string())
    };
    let int_digits = int_digits.trim_start_matches('0');
    let int_digits = if int_digits.is_empty() {
        "0"
    } else {
        int_digits
    };
    let mut frac = frac_digits;
    // Keep the column's scale; trailing zeros beyond it carry nothing.
    while frac.len() > scale && frac.ends_with('0') {
        frac.pop();
    }
    while frac.len() < scale {
        frac.push('0');
    }
    let zero = int_digits == "0" && frac.bytes().all(|b| b == b'0');
    let sign = if negative && !zero { "-" } else { "" };
    Some(if frac.is_empty() {
        format!("{sign}{int_digits}")
    } else {
        format!("{sign}{int_digits}.{frac}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_spelled_plainly_with_their_scale() {
        let d = |p, s| SparkType::Decimal(p, s);
        assert_eq!(plain_decimal("0E-10", &d(20, 10)).unwrap(), "0.0000000000");
        assert_eq!(plain_decimal("1.5", &d(10, 2)).unwrap(), "1.50");
        assert_eq!(plain_decimal("-1.2E+3", &d(10, 0)).unwrap(), "-1200");
        assert_eq!(plain_decimal("1.23E-3", &d(10, 5)).unwrap(), "0.00123");
        assert_eq!(plain_decimal("-0.00", &d(10, 2)).unwrap(), "0.00");
        assert_eq!(
            plain_decimal("12345678901234567890123456789012.5", &d(38, 1)).unwrap(),
            "12345678901234567890123456789012.5"
        );
        assert!(plain_decimal("abc", &d(10, 2)).is_none());
        assert!(plain_decimal("1e99999", &d(10, 2)).is_none());
        assert!(plain_decimal("", &d(10, 2)).is_none());
        assert!(plain_decimal("-", &d(10, 2)).is_none());
    }

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
        assert_eq!(shorten("ééé", 3), "é…");
    }
}
