//! Spellings of values: decimals without exponents at their column's scale (Spark writes
//! `0E-10` for a zero of scale 10; Postgres clients expect `0.0000000000`), and text cut
//! short for messages on a character boundary.

use super::spark::SparkType;

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
    fn shortened_on_a_character_boundary() {
        assert_eq!(shorten("ééé", 3), "é…");
        assert_eq!(shorten("abc", 3), "abc");
    }
}
