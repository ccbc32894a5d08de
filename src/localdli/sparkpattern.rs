//! Spark's datetime pattern letters (`yyyy-MM-dd HH:mm:ss`, Spark 3's "Datetime patterns
//! for formatting and parsing") as the strftime-style format DataFusion's `to_char` reads.
//!
//! Owns the letter table only. Text in single quotes and every character that is not a
//! letter is copied literally (`''` is a quote). A letter or a run length the engine
//! cannot print exactly as Spark does (eras, quarters, zones, offsets, optional sections,
//! 1–2 digit fractions …) is refused with Spark's `UNSUPPORTED_FEATURE` wording, never
//! printed differently.

use super::error::SqlError;

/// The strftime format that prints `pattern` as Spark prints it.
pub fn to_chrono(pattern: &str) -> Result<String, SqlError> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() * 2);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // quoted literal text; `''` is one quote
            let mut j = i + 1;
            if chars.get(j) == Some(&'\'') {
                out.push('\'');
                i = j + 1;
                continue;
            }
            loop {
                match chars.get(j) {
                    None => return Err(refused(pattern, "an unterminated quote")),
                    Some('\'') if chars.get(j + 1) == Some(&'\'') => {
                        out.push('\'');
                        j += 2;
                    }
                    Some('\'') => break,
                    Some(ch) => {
                        literal(&mut out, *ch);
                        j += 1;
                    }
                }
            }
            i = j + 1;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            if c == '[' || c == ']' || c == '{' || c == '}' || c == '#' {
                return Err(refused(pattern, &format!("'{c}'")));
            }
            literal(&mut out, c);
            i += 1;
            continue;
        }
        let run = chars[i..].iter().take_while(|&&x| x == c).count();
        let spec = match (c, run) {
            ('y', 2) => "%y",
            ('y', _) => "%Y",
            ('M' | 'L', 1) => "%-m",
            ('M' | 'L', 2) => "%m",
            ('M' | 'L', 3) => "%b",
            ('M' | 'L', 4) => "%B",
            ('d', 1) => "%-d",
            ('d', 2) => "%d",
            ('D', 1) => "%-j",
            ('D', 3) => "%j",
            ('E', 1..=3) => "%a",
            ('E', 4) => "%A",
            ('a', 1) => "%p",
            ('h', 1) => "%-I",
            ('h', 2) => "%I",
            ('H', 1) => "%-H",
            ('H', 2) => "%H",
            ('m', 1) => "%-M",
            ('m', 2) => "%M",
            ('s', 1) => "%-S",
            ('s', 2) => "%S",
            ('S', 3) => "%3f",
            ('S', 6) => "%6f",
            ('S', 9) => "%9f",
            _ => {
                return Err(refused(
                    pattern,
                    &format!("the letter '{c}' repeated {run} time(s)"),
                ));
            }
        };
        out.push_str(spec);
        i += run;
    }
    Ok(out)
}

fn literal(out: &mut String, c: char) {
    if c == '%' {
        out.push_str("%%");
    } else {
        out.push(c);
    }
}

fn refused(pattern: &str, what: &str) -> SqlError {
    SqlError::unsupported(format!(
        "the datetime pattern '{pattern}' ({what}) in the embedded engine"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spark_patterns_become_strftime() {
        assert_eq!(to_chrono("y").unwrap(), "%Y");
        assert_eq!(
            to_chrono("yyyy-MM-dd HH:mm:ss").unwrap(),
            "%Y-%m-%d %H:%M:%S"
        );
        assert_eq!(to_chrono("yy/M/d h:m a").unwrap(), "%y/%-m/%-d %-I:%-M %p");
        assert_eq!(to_chrono("EEEE, MMMM d").unwrap(), "%A, %B %-d");
        assert_eq!(to_chrono("HH:mm:ss.SSS").unwrap(), "%H:%M:%S.%3f");
        assert_eq!(to_chrono("'week' D, 100%").unwrap(), "week %-j, 100%%");
        assert_eq!(to_chrono("'It''s' yyyy").unwrap(), "It's %Y");
        for bad in [
            "QQ",
            "G",
            "yyyy-MM-dd'T'HH:mm:ssXXX",
            "[yyyy]",
            "'open",
            "SS",
        ] {
            let e = to_chrono(bad).unwrap_err();
            assert!(e.message.starts_with("[UNSUPPORTED_FEATURE]"), "{bad}: {e}");
        }
    }
}
