//! Postgres' reading of a datetime format pattern: fields (`YYYY`, `Month`, `HH24` …)
//! with their FM/TM/FX prefixes and TH suffix, quoted text and other characters.

use crate::translate::error::Untranslatable;

/// A Postgres datetime pattern field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    YCommaYyy,
    Yyyy,
    Yyy,
    Yy,
    Y,
    Iyyy,
    Iyy,
    Iy,
    I,
    Mm,
    Month,
    Mon,
    Dd,
    Ddd,
    Iddd,
    D,
    Id,
    Day,
    Dy,
    Hh24,
    Hh12,
    Hh,
    Mi,
    Ss,
    Sssss,
    Ms,
    Us,
    Ff(u8),
    Am,
    Pm,
    AmDots,
    PmDots,
    Ad,
    Bc,
    AdDots,
    BcDots,
    Q,
    Iw,
    Ww,
    W,
    Cc,
    J,
    Rm,
    Tz,
    Tzh,
    Tzm,
    Of,
}

/// Upper (`MONTH`), capitalised (`Month`) or lower (`month`) as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    Upper,
    Capital,
    Lower,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Literal(String),
    Field {
        field: Field,
        case: Case,
        /// FM: no padding.
        fm: bool,
        /// TH/th suffix (ordinal).
        th: bool,
    },
}

/// The fields, longest spelling first (Postgres matches the first that fits).
const FIELDS: &[(&str, Field)] = &[
    ("Y,YYY", Field::YCommaYyy),
    ("YYYY", Field::Yyyy),
    ("YYY", Field::Yyy),
    ("YY", Field::Yy),
    ("Y", Field::Y),
    ("IYYY", Field::Iyyy),
    ("IYY", Field::Iyy),
    ("IY", Field::Iy),
    ("IDDD", Field::Iddd),
    ("ID", Field::Id),
    ("IW", Field::Iw),
    ("I", Field::I),
    ("MONTH", Field::Month),
    ("MON", Field::Mon),
    ("MM", Field::Mm),
    ("MS", Field::Ms),
    ("MI", Field::Mi),
    ("DDD", Field::Ddd),
    ("DD", Field::Dd),
    ("DAY", Field::Day),
    ("DY", Field::Dy),
    ("D", Field::D),
    ("HH24", Field::Hh24),
    ("HH12", Field::Hh12),
    ("HH", Field::Hh),
    ("SSSSS", Field::Sssss),
    ("SSSS", Field::Sssss),
    ("SS", Field::Ss),
    ("US", Field::Us),
    ("FF1", Field::Ff(1)),
    ("FF2", Field::Ff(2)),
    ("FF3", Field::Ff(3)),
    ("FF4", Field::Ff(4)),
    ("FF5", Field::Ff(5)),
    ("FF6", Field::Ff(6)),
    ("A.M.", Field::AmDots),
    ("P.M.", Field::PmDots),
    ("AM", Field::Am),
    ("PM", Field::Pm),
    ("A.D.", Field::AdDots),
    ("B.C.", Field::BcDots),
    ("AD", Field::Ad),
    ("BC", Field::Bc),
    ("CC", Field::Cc),
    ("Q", Field::Q),
    ("WW", Field::Ww),
    ("W", Field::W),
    ("J", Field::J),
    ("RM", Field::Rm),
    ("TZH", Field::Tzh),
    ("TZM", Field::Tzm),
    ("TZ", Field::Tz),
    ("OF", Field::Of),
];

impl Field {
    /// The field as Postgres' documentation spells it.
    pub fn name(self) -> String {
        FIELDS
            .iter()
            .find(|(_, f)| *f == self)
            .map(|(n, _)| n.to_string())
            .unwrap_or_default()
    }

    /// Digits (as opposed to names and markers) when parsed.
    pub fn numeric(self) -> bool {
        !matches!(
            self,
            Field::Month
                | Field::Mon
                | Field::Day
                | Field::Dy
                | Field::Am
                | Field::Pm
                | Field::AmDots
                | Field::PmDots
                | Field::Ad
                | Field::Bc
                | Field::AdDots
                | Field::BcDots
                | Field::Rm
                | Field::Tz
        )
    }
}

fn starts_with_ci(s: &[char], word: &str) -> bool {
    let w: Vec<char> = word.chars().collect();
    s.len() >= w.len() && s.iter().zip(&w).all(|(a, b)| a.eq_ignore_ascii_case(b))
}

fn case_of(text: &[char]) -> Case {
    let letters: Vec<&char> = text.iter().filter(|c| c.is_ascii_alphabetic()).collect();
    match letters.first() {
        Some(c) if c.is_ascii_lowercase() => Case::Lower,
        _ if letters.iter().skip(1).all(|c| c.is_ascii_uppercase()) => Case::Upper,
        _ => Case::Capital,
    }
}

/// The tokens of a Postgres format pattern.
pub fn tokenize(pattern: &str) -> Result<Vec<Token>, Untranslatable> {
    let s: Vec<char> = pattern.chars().collect();
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut i = 0;
    while i < s.len() {
        if s[i] == '"' {
            // quoted text; `\"` is a quote and `\\` a backslash inside
            let mut j = i + 1;
            while j < s.len() && s[j] != '"' {
                if s[j] == '\\' && j + 1 < s.len() {
                    j += 1;
                }
                lit.push(s[j]);
                j += 1;
            }
            i = j + 1;
            continue;
        }
        if s[i] == '\\' && i + 1 < s.len() && s[i + 1] == '"' {
            lit.push('"');
            i += 2;
            continue;
        }
        // prefixes: FM fill mode, TM translation (English here), FX exact (parse only)
        let mut fm = false;
        let mut j = i;
        loop {
            let rest = &s[j..];
            if starts_with_ci(rest, "FM") {
                fm = true;
            } else if !(starts_with_ci(rest, "TM") || starts_with_ci(rest, "FX")) {
                break;
            }
            j += 2;
        }
        let found = FIELDS
            .iter()
            .find(|(name, _)| starts_with_ci(&s[j..], name));
        match found {
            Some((name, field)) => {
                if !lit.is_empty() {
                    out.push(Token::Literal(std::mem::take(&mut lit)));
                }
                let len = name.chars().count();
                let case = case_of(&s[j..j + len]);
                let mut k = j + len;
                let th = starts_with_ci(&s[k..], "TH");
                if th {
                    k += 2;
                }
                if starts_with_ci(&s[k..], "SP") {
                    return Err(refuse(pattern, "SP"));
                }
                out.push(Token::Field {
                    field: *field,
                    case,
                    fm,
                    th,
                });
                i = k;
            }
            None if j > i => {
                // a prefix with no field after it is ignored, as Postgres does
                i = j;
            }
            None => {
                lit.push(s[i]);
                i += 1;
            }
        }
    }
    if !lit.is_empty() {
        out.push(Token::Literal(lit));
    }
    Ok(out)
}

/// The error for a pattern field Spark cannot express.
pub fn refuse(pattern: &str, what: &str) -> Untranslatable {
    Untranslatable::new(format!("the format pattern field {what} (in '{pattern}')"))
}
