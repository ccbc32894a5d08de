//! `to_char(number, pattern)` for the patterns Spark's `format_number` prints exactly:
//! digits (`9`, `0`), group separators (`,`, `G`) every three digits, one decimal point
//! (`.`, `D`) and the FM prefix. Signs (`S`, `MI`, `PR`, `PL`, `SG`), `L`, `V`, `EEEE`,
//! `RN`, `TH` are refused.

use super::tokens::refuse;
use crate::translate::error::Untranslatable;

/// What the number pattern asks for, in `format_number`'s terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberFormat {
    /// The `java.text.DecimalFormat` pattern (`#,##0.00`).
    pub decimal_format: String,
    /// Digits after the point (the value is rounded half away from zero first).
    pub scale: usize,
    /// Digit positions before the point: a larger value prints `#`s in Postgres.
    pub int_digits: usize,
    /// What Postgres prints for a value too large for the pattern.
    pub overflow: String,
    /// Without FM, the result is padded with spaces on the left to this width.
    pub width: Option<usize>,
}

/// Whether `pattern` reads as a number pattern (and not a datetime one).
pub fn is_number_pattern(pattern: &str) -> bool {
    let body = strip_fm(pattern).0;
    body.chars().any(|c| c == '9' || c == '0')
        && body
            .chars()
            .all(|c| "90.,DGSLVEIMPRTHN ".contains(c.to_ascii_uppercase()))
}

fn strip_fm(pattern: &str) -> (&str, bool) {
    match pattern
        .strip_prefix("FM")
        .or_else(|| pattern.strip_prefix("fm"))
    {
        Some(rest) => (rest, true),
        None => (pattern, false),
    }
}

/// The `format_number` recipe for a Postgres number pattern.
pub fn number_format(pattern: &str) -> Result<NumberFormat, Untranslatable> {
    let (body, fm) = strip_fm(pattern);
    let (int, frac) = match body.find(['.', 'D', 'd']) {
        Some(p) => (&body[..p], Some(&body[p + 1..])),
        None => (body, None),
    };
    let bad = |what: &str| Err(refuse(pattern, what));
    if let Some(c) = int
        .chars()
        .chain(frac.unwrap_or("").chars())
        .find(|c| !matches!(c, '9' | '0' | ',' | 'G' | 'g'))
    {
        return bad(&c.to_string());
    }
    if frac.is_some_and(|f| f.contains([',', 'G', 'g'])) {
        return bad("a group separator after the decimal point");
    }
    // Group separators every three digits from the point.
    let groups: Vec<&str> = int.split([',', 'G', 'g']).collect();
    if groups.len() > 1
        && (groups[1..].iter().any(|g| g.len() != 3) || groups[0].is_empty() || groups[0].len() > 3)
    {
        return bad("an irregular digit grouping");
    }
    let digits: String = int.chars().filter(|c| *c == '9' || *c == '0').collect();
    // DecimalFormat: optional digits (#) then required ones (0) from the first 0 on.
    let mut decimal_format = String::new();
    let mut zero = false;
    for c in int.chars() {
        match c {
            '0' => {
                zero = true;
                decimal_format.push('0');
            }
            '9' if zero => decimal_format.push('0'),
            '9' => decimal_format.push('#'),
            _ => decimal_format.push(','),
        }
    }
    if !decimal_format.contains('0') {
        // Postgres prints 0 for zero with FM, and nothing before the point otherwise …
        // … only when there are fraction digits; `format_number` with `#` alone prints "".
        if frac.is_none() {
            decimal_format.pop();
            decimal_format.push('0');
        }
    }
    let scale = frac.map(str::len).unwrap_or(0);
    if let Some(f) = frac {
        decimal_format.push('.');
        let last_zero = f.rfind('0').map(|p| p + 1).unwrap_or(0);
        for (i, _) in f.chars().enumerate() {
            decimal_format.push(if !fm || i < last_zero { '0' } else { '#' });
        }
    }
    let overflow: String = body
        .chars()
        .map(|c| match c {
            '9' | '0' => '#',
            'G' | 'g' => ',',
            'D' | 'd' => '.',
            c => c,
        })
        .collect();
    let width = (!fm).then(|| body.chars().count() + 1);
    Ok(NumberFormat {
        decimal_format,
        scale,
        int_digits: digits.len(),
        overflow: if fm { overflow } else { format!(" {overflow}") },
        width,
    })
}
