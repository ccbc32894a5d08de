//! Reading a string with a Spark 3 datetime pattern (`yyyy-MM-dd HH:mm:ss`), as Spark
//! 3.3's parser reads it, for [`super::sparkunix`]: [`tokens`] splits the pattern,
//! [`strict`] reads a string as Spark 3 does (the whole string, fixed widths, real
//! dates), [`lenient`] says whether Spark 2's parser would have read it (numbers of any
//! width, leading blanks and trailing text ignored, but a real date) — the strings Spark 3.3 fails on
//! rather than answering NULL.
//!
//! Owns the pattern reader only; letters it does not read are reported, never guessed.

/// One element of a Spark datetime pattern.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Lit(char),
    Field(char, usize),
}

impl Tok {
    fn numeric(&self) -> bool {
        matches!(self, Tok::Field(c, n) if !(matches!(c, 'M' | 'L') && *n >= 3) && *c != 'a')
    }
}

/// The elements of `pattern`; an error names a letter this reader does not read.
pub fn tokens(pattern: &str) -> std::result::Result<Vec<Tok>, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            if chars.get(i + 1) == Some(&'\'') {
                out.push(Tok::Lit('\''));
                i += 2;
                continue;
            }
            let mut j = i + 1;
            loop {
                match chars.get(j) {
                    None => return Err("an unterminated quote".into()),
                    Some('\'') if chars.get(j + 1) == Some(&'\'') => {
                        out.push(Tok::Lit('\''));
                        j += 2;
                    }
                    Some('\'') => break,
                    Some(ch) => {
                        out.push(Tok::Lit(*ch));
                        j += 1;
                    }
                }
            }
            i = j + 1;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            if matches!(c, '[' | ']' | '{' | '}' | '#') {
                return Err(format!("'{c}'"));
            }
            out.push(Tok::Lit(c));
            i += 1;
            continue;
        }
        let run = chars[i..].iter().take_while(|&&x| x == c).count();
        let known = match c {
            'y' => true,
            'M' | 'L' => run <= 4,
            'd' | 'H' | 'h' | 'm' | 's' => run <= 2,
            'S' => run <= 9,
            'a' => run == 1,
            _ => false,
        };
        if !known {
            return Err(format!("the letter '{c}' repeated {run} time(s)"));
        }
        out.push(Tok::Field(c, run));
        i += run;
    }
    let has = |l: char| out.iter().any(|t| matches!(t, Tok::Field(c, _) if *c == l));
    if has('h') != has('a') {
        return Err("'h' without 'a' or 'a' without 'h'".into());
    }
    Ok(out)
}

/// Digits (min, max) a numeric field reads when not followed by another number.
fn width(c: char, n: usize) -> (usize, usize) {
    match (c, n) {
        ('y', 2) => (2, 2),
        ('y', 1) => (1, 9),
        ('y', n) => (n, n),
        ('S', n) => (1, n),
        (_, 1) => (1, 2),
        (_, n) => (n, n),
    }
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// The month (1–12) whose name (`full`) or three-letter abbreviation starts `s`, and
/// the length read.
fn month_name(s: &str, full: bool) -> Option<(u32, usize)> {
    let lower = s.to_ascii_lowercase();
    MONTHS.iter().enumerate().find_map(|(i, m)| {
        let name = if full { m } else { &m[..3] };
        lower
            .starts_with(name)
            .then(|| (u32::try_from(i + 1).unwrap_or(1), name.len()))
    })
}

/// Microseconds since the epoch of `text` read strictly with `toks` (Spark 3's parser).
pub fn strict(toks: &[Tok], text: &str) -> Option<i64> {
    let s = text.as_bytes();
    let mut pos = 0;
    let mut f = Fields::default();
    for (k, tok) in toks.iter().enumerate() {
        match tok {
            Tok::Lit(c) => {
                let mut buf = [0u8; 4];
                let lit = c.encode_utf8(&mut buf).as_bytes();
                if !s.get(pos..)?.starts_with(lit) {
                    return None;
                }
                pos += lit.len();
            }
            Tok::Field('M' | 'L', n @ 3..) => {
                let (m, len) = month_name(text.get(pos..)?, *n == 4)?;
                f.month = m;
                pos += len;
            }
            Tok::Field('a', _) => {
                let rest = text.get(pos..pos + 2)?.to_ascii_uppercase();
                f.pm = Some(match rest.as_str() {
                    "AM" => false,
                    "PM" => true,
                    _ => return None,
                });
                pos += 2;
            }
            Tok::Field(c, n) => {
                let digits = s[pos..].iter().take_while(|b| b.is_ascii_digit()).count();
                // Adjacent numbers: the following fixed-width fields keep their digits.
                let reserved: usize = toks[k + 1..]
                    .iter()
                    .take_while(|t| t.numeric())
                    .map(|t| match t {
                        Tok::Field(c, n) => width(*c, *n).0,
                        Tok::Lit(_) => 0,
                    })
                    .sum();
                let (min, max) = width(*c, *n);
                let take = digits.saturating_sub(reserved).min(max);
                if take < min {
                    return None;
                }
                f.set(*c, *n, std::str::from_utf8(&s[pos..pos + take]).ok()?)?;
                pos += take;
            }
        }
    }
    if pos != s.len() {
        return None;
    }
    f.micros()
}

/// The fields read so far (1970-01-01 00:00:00 where unset).
struct Fields {
    year: i32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    micros: u32,
    pm: Option<bool>,
}

impl Default for Fields {
    fn default() -> Self {
        Fields {
            year: 1970,
            month: 1,
            day: 1,
            hour: 0,
            minute: 0,
            second: 0,
            micros: 0,
            pm: None,
        }
    }
}

impl Fields {
    /// Sets the field of letter `c` (repeated `n` times) from its digits.
    fn set(&mut self, c: char, n: usize, digits: &str) -> Option<()> {
        let v: u32 = digits.parse().ok()?;
        match c {
            'y' if n == 2 && digits.len() == 2 => self.year = 2000 + i32::try_from(v).ok()?,
            'y' => self.year = i32::try_from(v).ok()?,
            'M' | 'L' => self.month = v,
            'd' => self.day = v,
            'H' => self.hour = v,
            'h' => {
                if !(1..=12).contains(&v) {
                    return None;
                }
                self.hour = v % 12;
            }
            'm' => self.minute = v,
            's' => self.second = v,
            'S' => {
                // the fraction's first six digits, as microseconds
                let six: String = digits
                    .chars()
                    .chain(std::iter::repeat('0'))
                    .take(6)
                    .collect();
                self.micros = six.parse().ok()?;
            }
            _ => return None,
        }
        Some(())
    }

    /// Microseconds since the epoch; `None` for a date or time that does not exist.
    fn micros(&self) -> Option<i64> {
        let hour = if self.pm == Some(true) {
            self.hour + 12
        } else {
            self.hour
        };
        let date = chrono::NaiveDate::from_ymd_opt(self.year, self.month, self.day)?;
        let time =
            chrono::NaiveTime::from_hms_micro_opt(hour, self.minute, self.second, self.micros)?;
        Some(date.and_time(time).and_utc().timestamp_micros())
    }
}

/// Whether Spark 2's lenient parser would read `text` with `toks`: numbers of any width
/// (a fixed width only between two numbers), names, literal text, trailing text ignored.
pub fn lenient(toks: &[Tok], text: &str) -> bool {
    let s = text.as_bytes();
    let mut pos = 0;
    let mut f = Fields::default();
    for (k, tok) in toks.iter().enumerate() {
        match tok {
            Tok::Lit(c) => {
                let mut buf = [0u8; 4];
                let lit = c.encode_utf8(&mut buf).as_bytes();
                if !s[pos..].starts_with(lit) {
                    return false;
                }
                pos += lit.len();
            }
            Tok::Field('M' | 'L', 3..) => {
                let Some((m, len)) = text
                    .get(pos..)
                    .and_then(|r| month_name(r, true).or_else(|| month_name(r, false)))
                else {
                    return false;
                };
                f.month = m;
                pos += len;
            }
            Tok::Field('a', _) => {
                let word = text.get(pos..pos + 2).map(str::to_ascii_uppercase);
                match word.as_deref() {
                    Some("AM") => f.pm = Some(false),
                    Some("PM") => f.pm = Some(true),
                    _ => return false,
                }
                pos += 2;
            }
            Tok::Field(c, n) => {
                pos += s[pos..]
                    .iter()
                    .take_while(|b| b.is_ascii_whitespace())
                    .count();
                let digits = s[pos..].iter().take_while(|b| b.is_ascii_digit()).count();
                let next_numeric = toks.get(k + 1).is_some_and(Tok::numeric);
                let take = if next_numeric { *n } else { digits };
                if take == 0 || digits < take {
                    return false;
                }
                // Spark 2 read milliseconds here; any count of them is a valid time
                let value = std::str::from_utf8(&s[pos..pos + take]).unwrap_or("");
                if *c != 'S' && f.set(*c, *n, value).is_none() {
                    return false;
                }
                pos += take;
            }
        }
    }
    // Spark 2's parser refused dates that do not exist (`2024-02-30`) too
    f.micros().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pattern: &str, text: &str) -> Option<i64> {
        strict(&tokens(pattern).unwrap(), text).map(|m| m / 1_000_000)
    }

    #[test]
    fn reads_like_spark_33() {
        // pyspark 3.3.4, UTC
        assert_eq!(
            read("yyyy-MM-dd HH:mm:ss", "2024-01-07 10:00:00"),
            Some(1704621600)
        );
        assert_eq!(read("yyyy-MM-dd", "2024-01-07"), Some(1704585600));
        assert_eq!(
            read("dd/MM/yyyy HH:mm", "07/01/2024 10:11"),
            Some(1704622260)
        );
        assert_eq!(read("yyyyMMdd", "20240107"), Some(1704585600));
        assert_eq!(read("yyyyMMdd", "2024"), None);
        assert_eq!(read("yyyy-MM-dd HH:mm:ss", "garbage"), None);
        assert_eq!(read("yyyy-MM-dd HH:mm:ss", "2024-01-07"), None);
        assert_eq!(read("yyyy-MM-dd HH:mm:ss", "2024-02-30 10:00:00"), None);
        let toks = tokens("yyyy-MM-dd HH:mm:ss").unwrap();
        for upgrade in [
            "2024-1-7 1:2:3",
            "2024-01-07 10:00:00.5",
            " 2024-01-07 10:00:00",
        ] {
            assert!(strict(&toks, upgrade).is_none() && lenient(&toks, upgrade));
        }
        assert!(!lenient(&toks, "2024-01-07"));
        assert!(!lenient(&toks, "2024-02-30 10:00:00"));
        assert!(tokens("yyyy-ww").is_err());
    }
}
