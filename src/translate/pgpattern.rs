//! Postgres `to_char`/`to_timestamp`/`to_date` format patterns as Spark 3.3 datetime
//! patterns (`date_format`, `to_timestamp(s, fmt)`), with Spark expressions for the
//! Postgres fields Spark has no pattern letter for (`D`, `ID`, `IW`, `IYYY`, `WW`, `J` …;
//! Spark 3 refuses its week-based letters). What neither can express is refused, naming
//! the pattern field. The reverse table (Spark letters → the embedded engine's format) is
//! `crate::localdli::sparkpattern`.

mod number;
mod tokens;

pub use number::{NumberFormat, is_number_pattern, number_format};

use self::tokens::{Case, Field, Token, refuse, tokenize};
use super::error::Untranslatable;

/// One part of a `to_char` result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Spark `date_format` pattern text.
    Pattern(String),
    /// A Spark expression of `$1` (the value being formatted) giving a string.
    Expr(String),
}

/// `to_char(ts, pattern)` as pieces: Spark patterns and expressions, concatenated.
pub fn format(pattern: &str) -> Result<Vec<Piece>, Untranslatable> {
    let mut out: Vec<Piece> = Vec::new();
    let mut push = |p: Piece| match (out.last_mut(), p) {
        (Some(Piece::Pattern(a)), Piece::Pattern(b)) => a.push_str(&b),
        (_, p) => out.push(p),
    };
    for t in tokenize(pattern)? {
        match t {
            Token::Literal(text) => push(Piece::Pattern(quote(&text))),
            Token::Field {
                field,
                case,
                fm,
                th,
            } => {
                if th {
                    return Err(refuse(pattern, &format!("{}TH", field.name())));
                }
                push(format_field(pattern, field, case, fm)?);
            }
        }
    }
    if out.is_empty() {
        out.push(Piece::Pattern(String::new()));
    }
    Ok(out)
}

fn format_field(
    pattern: &str,
    field: Field,
    case: Case,
    fm: bool,
) -> Result<Piece, Untranslatable> {
    use Field::*;
    let p = |s: &str| Ok(Piece::Pattern(s.to_string()));
    let e = |s: String| Ok(Piece::Expr(s));
    // A zero-padded number (`lpad`) or, with FM, as it is.
    let num = |expr: &str, width: usize| {
        if fm {
            e(format!("CAST({expr} AS STRING)"))
        } else {
            e(format!("lpad(CAST({expr} AS STRING), {width}, '0')"))
        }
    };
    // A name: Spark prints it capitalised; Postgres pads the long forms to 9 unless FM.
    let name = |letters: &str, pad: bool| {
        let inner = format!("date_format($1, '{letters}')");
        let cased = match case {
            Case::Upper => format!("upper({inner})"),
            Case::Lower => format!("lower({inner})"),
            Case::Capital => inner,
        };
        if pad && !fm {
            e(format!("rpad({cased}, 9, ' ')"))
        } else if case == Case::Capital {
            p(letters)
        } else {
            e(cased)
        }
    };
    match field {
        Yyyy => p(if fm { "y" } else { "yyyy" }),
        Yy if !fm => p("yy"),
        Mm => p(if fm { "M" } else { "MM" }),
        Dd => p(if fm { "d" } else { "dd" }),
        Ddd => p(if fm { "D" } else { "DDD" }),
        Hh24 => p(if fm { "H" } else { "HH" }),
        Hh12 | Hh => p(if fm { "h" } else { "hh" }),
        Mi => p(if fm { "m" } else { "mm" }),
        Ss => p(if fm { "s" } else { "ss" }),
        Ms if !fm => p("SSS"),
        Us if !fm => p("SSSSSS"),
        Ff(n) if !fm => p(&"S".repeat(n as usize)),
        Am | Pm => match case {
            Case::Lower => e("lower(date_format($1, 'a'))".into()),
            _ => p("a"),
        },
        Month => name("MMMM", true),
        Mon => name("MMM", false),
        Day => name("EEEE", true),
        Dy => name("EEE", false),
        Q => p("Q"),
        Ad | Bc if case == Case::Upper => p("G"),
        D => e("CAST(dayofweek($1) AS STRING)".into()),
        Id => e("CAST(weekday($1) + 1 AS STRING)".into()),
        Iw => num("weekofyear($1)", 2),
        Ww => num("floor((dayofyear($1) - 1) / 7) + 1", 2),
        W => e("CAST(floor((dayofmonth($1) - 1) / 7) + 1 AS STRING)".into()),
        Iyyy => num("extract(YEAROFWEEK FROM $1)", 4),
        Cc => num("floor((year($1) + 99) / 100)", 2),
        J => e("CAST(unix_date(CAST($1 AS DATE)) + 2440588 AS STRING)".into()),
        Sssss => e("CAST(hour($1) * 3600 + minute($1) * 60 + second($1) AS STRING)".into()),
        _ => Err(refuse(pattern, &field_text(field, fm))),
    }
}

/// The Spark pattern that parses what `pattern` parses in `to_timestamp`/`to_date`.
/// Postgres accepts input that stops early (`'2024-01-05'` for `'YYYY-MM-DD HH24:MI'`):
/// every separator after the first field opens an optional section.
pub fn parse(pattern: &str) -> Result<String, Untranslatable> {
    use Field::*;
    let toks = tokenize(pattern)?;
    let mut out = String::new();
    let mut open = 0usize;
    let mut seen_field = false;
    for (i, t) in toks.iter().enumerate() {
        match t {
            Token::Literal(text) => {
                let more_fields = toks[i + 1..]
                    .iter()
                    .any(|t| matches!(t, Token::Field { .. }));
                if seen_field && more_fields {
                    out.push('[');
                    open += 1;
                }
                out.push_str(&quote(text));
            }
            Token::Field { field, th, fm, .. } => {
                if *th {
                    return Err(refuse(pattern, &format!("{}TH", field.name())));
                }
                // A number followed by another number has a fixed width in Spark.
                let number = |t: Option<&Token>| matches!(t, Some(Token::Field { field: f, .. }) if f.numeric());
                let fixed = number(toks.get(i + 1)) || i > 0 && number(toks.get(i - 1));
                let letters: String = match field {
                    Yyyy => "yyyy".into(),
                    Mm => pick(fixed, "MM", "M"),
                    Dd => pick(fixed, "dd", "d"),
                    Ddd => pick(fixed, "DDD", "D"),
                    Hh24 => pick(fixed, "HH", "H"),
                    Hh12 | Hh => pick(fixed, "hh", "h"),
                    Mi => pick(fixed, "mm", "m"),
                    Ss => pick(fixed, "ss", "s"),
                    Ms => "SSS".into(),
                    Us => "SSSSSS".into(),
                    Ff(n) => "S".repeat(*n as usize),
                    Am | Pm => "a".into(),
                    Month => "MMMM".into(),
                    Mon => "MMM".into(),
                    _ => return Err(refuse(pattern, &field_text(*field, *fm))),
                };
                out.push_str(&letters);
                seen_field = true;
            }
        }
    }
    out.push_str(&"]".repeat(open));
    Ok(out)
}

fn pick(fixed: bool, long: &str, short: &str) -> String {
    if fixed { long } else { short }.to_string()
}

/// Literal text in a Spark pattern: quoted, `''` for a quote.
fn quote(text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    // Spark reads every other character as itself.
    if !text
        .chars()
        .any(|c| c.is_ascii_alphabetic() || "'[]{}#".contains(c))
    {
        return text.to_string();
    }
    if text == "'" {
        return "''".into();
    }
    format!("'{}'", text.replace('\'', "''"))
}

fn field_text(field: Field, fm: bool) -> String {
    format!("{}{}", if fm { "FM" } else { "" }, field.name())
}
