//! Casts and type names in Spark's words: `x::type` and `CAST(x AS type)` become
//! `CAST(x AS <Spark type>)` through the one type table ([`crate::pgtypes`]);
//! `varchar(n)`/`char(n)` keep Postgres' truncation (and `char`'s padding); a bare
//! `numeric` keeps the fraction (Spark's bare `DECIMAL` is `decimal(10,0)`); typed
//! literals Spark lacks (`int4 '5'`) become casts. Types Spark has no equivalent of
//! (`regclass`, `time`) are refused.

use sqlparser::ast::{CastKind, DataType, Expr, Ident, ObjectName, Value};

use super::build::{call, number};
use super::error::Untranslatable;

/// The Spark spelling of a Postgres type, with the wrapping a length needs.
enum Spark {
    Type(String),
    /// `varchar(n)`: the string cut to n characters.
    Varchar(String),
    /// `char(n)`: cut and padded to n characters.
    Char(String),
}

/// Rewrite a cast or typed literal; `Ok(false)` when `e` is neither or already Spark's.
pub fn rewrite(e: &mut Expr) -> Result<bool, Untranslatable> {
    match e {
        Expr::Cast {
            kind,
            expr,
            data_type,
            format: None,
            ..
        } if matches!(kind, CastKind::Cast | CastKind::DoubleColon) => {
            let Some(spark) = spark_type(data_type, literal_decimal(expr))? else {
                return Ok(std::mem::replace(kind, CastKind::Cast) != CastKind::Cast);
            };
            let before = data_type.to_string();
            let was_colon = *kind == CastKind::DoubleColon;
            *kind = CastKind::Cast;
            let pad = matches!(spark, Spark::Char(_));
            match spark {
                Spark::Type(t) => {
                    *data_type = custom(&t);
                    Ok(was_colon || before != t)
                }
                Spark::Varchar(n) | Spark::Char(n) => {
                    *data_type = custom("STRING");
                    let cast = e.clone();
                    let len = number(&n);
                    *e = if pad {
                        call(
                            "rpad",
                            vec![
                                cast,
                                len,
                                Expr::Value(Value::SingleQuotedString(" ".into()).into()),
                            ],
                        )
                    } else {
                        call("substr", vec![cast, number("1"), len])
                    };
                    Ok(true)
                }
            }
        }
        Expr::TypedString(t) => {
            let text = t.data_type.to_string().to_ascii_lowercase();
            if text.starts_with("date") || text.starts_with("timestamp") {
                // Spark reads `DATE '…'` and `TIMESTAMP '…'`; a zone offset in the text
                // is honoured, as Postgres' timestamptz does.
                let spark = if text.starts_with("date") {
                    "DATE"
                } else {
                    "TIMESTAMP"
                };
                let changed = text != spark.to_ascii_lowercase();
                t.data_type = custom(spark);
                return Ok(changed);
            }
            if matches!(t.data_type, DataType::Interval { .. }) {
                return Ok(false);
            }
            let value = Expr::Value(t.value.clone());
            let mut cast = Expr::Cast {
                kind: CastKind::Cast,
                expr: Box::new(value),
                data_type: t.data_type.clone(),
                array: false,
                format: None,
            };
            rewrite(&mut cast)?;
            *e = cast;
            Ok(true)
        }
        _ => Ok(false),
    }
}

fn custom(name: &str) -> DataType {
    DataType::Custom(ObjectName::from(vec![Ident::new(name)]), vec![])
}

/// `DECIMAL(p,s)` for a numeric string literal, so `'1.25'::numeric` keeps its digits.
fn literal_decimal(e: &Expr) -> Option<String> {
    let Expr::Value(v) = e else { return None };
    let (Value::SingleQuotedString(s) | Value::Number(s, _)) = &v.value else {
        return None;
    };
    let t = s.trim().trim_start_matches(['-', '+']);
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let scale = frac.len();
    let precision = (int.trim_start_matches('0').len() + scale)
        .max(scale)
        .max(1);
    (precision <= 38).then(|| format!("DECIMAL({precision},{scale})"))
}

/// The Spark type for a Postgres type; `Ok(None)` for a type left as written (an
/// interval, which [`super::datetime`] owns, or a name the type table does not know,
/// such as Spark's own `STRING`).
fn spark_type(t: &DataType, literal: Option<String>) -> Result<Option<Spark>, Untranslatable> {
    if let DataType::Array(elem) = t {
        let inner = match elem {
            sqlparser::ast::ArrayElemTypeDef::AngleBracket(d)
            | sqlparser::ast::ArrayElemTypeDef::SquareBracket(d, _)
            | sqlparser::ast::ArrayElemTypeDef::Parenthesis(d) => d,
            sqlparser::ast::ArrayElemTypeDef::None => return Ok(None),
        };
        return Ok(match spark_type(inner, None)? {
            Some(Spark::Type(s) | Spark::Varchar(s) | Spark::Char(s))
                if s.parse::<u32>().is_err() =>
            {
                Some(Spark::Type(format!("ARRAY<{s}>")))
            }
            _ => Some(Spark::Type("ARRAY<STRING>".into())),
        });
    }
    if matches!(t, DataType::Interval { .. }) {
        return Ok(None);
    }
    let text = t.to_string();
    let lower = text.to_ascii_lowercase();
    let bare = lower.split('(').next().unwrap_or_default().trim();
    if bare.starts_with("time") && !bare.starts_with("timestamp") {
        return Err(Untranslatable::new(format!("type {lower}"))
            .with_hint("Spark has no time-of-day type; use a timestamp or a string"));
    }
    let Some(pg) = crate::pgtypes::postgres_type(&text) else {
        return Ok(None);
    };
    let Some(kw) = crate::pgtypes::spark_keyword(&pg) else {
        return Err(Untranslatable::new(format!("type {lower}")));
    };
    let modifier = lower
        .split_once('(')
        .and_then(|(_, m)| m.split_once(')'))
        .map(|(m, _)| m.replace(' ', ""));
    Ok(Some(match (kw, modifier) {
        ("DECIMAL", Some(m)) if m.contains(',') => Spark::Type(format!("DECIMAL({m})")),
        ("DECIMAL", Some(m)) => Spark::Type(format!("DECIMAL({m},0)")),
        ("DECIMAL", None) => Spark::Type(literal.unwrap_or_else(|| "DECIMAL(38,18)".into())),
        ("STRING", Some(n)) if bare.starts_with("char") || bare.starts_with("bpchar") => {
            Spark::Char(n)
        }
        ("STRING", None) if bare == "char" || bare == "character" => Spark::Char("1".into()),
        ("STRING", Some(n)) if n.bytes().all(|b| b.is_ascii_digit()) => Spark::Varchar(n),
        (kw, _) => Spark::Type(kw.to_string()),
    }))
}
