//! Bound parameters rendered as Spark SQL literals.
//!
//! DLI has no bind parameters, so `$n` placeholders are replaced by literals of the
//! parameter's type. Strings go through [`sparksql::quote_string`], which escapes `\`
//! and `'` the way Spark reads them, so no value can end its literal early. Placeholders
//! are found with the Spark tokenizer: a `$1` inside a string literal or comment is text.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use pgwire::api::Type;
use pgwire::api::portal::Portal;
use rust_decimal::Decimal;
use sqlparser::tokenizer::{Token, Tokenizer};

use super::extended::Prepared;
use crate::errors::{ErrorKind, GatewayError};
use crate::sparksql::{self, SparkDialect};

/// The placeholders of `sql`: (byte start, byte end, 1-based index).
fn placeholders(sql: &str) -> Vec<(usize, usize, usize)> {
    let Ok(tokens) = Tokenizer::new(&SparkDialect, sql).tokenize_with_location() else {
        return Vec::new();
    };
    let offsets = sparksql::LineOffsets::new(sql);
    tokens
        .iter()
        .filter_map(|t| match &t.token {
            Token::Placeholder(p) => {
                let n: usize = p.strip_prefix('$')?.parse().ok()?;
                let start = offsets.byte_offset(t.span.start.line, t.span.start.column);
                let end = offsets.byte_offset(t.span.end.line, t.span.end.column);
                (n >= 1).then_some((start, end, n))
            }
            _ => None,
        })
        .collect()
}

/// How many parameters a statement takes (its highest `$n`).
pub fn placeholder_count(sql: &str) -> usize {
    placeholders(sql).iter().map(|p| p.2).max().unwrap_or(0)
}

fn bad_param(i: usize, e: impl std::fmt::Display) -> GatewayError {
    GatewayError::new(
        ErrorKind::InvalidTextRepresentation,
        format!("invalid value for parameter ${}: {e}", i + 1),
    )
}

/// One bound value as a Spark SQL literal.
fn literal(portal: &Portal<Prepared>, i: usize, ty: &Type) -> Result<String, GatewayError> {
    macro_rules! get {
        ($t:ty) => {
            portal.parameter::<$t>(i, ty).map_err(|e| bad_param(i, e))?
        };
    }
    let lit = match *ty {
        Type::BOOL => get!(bool).map(|b| {
            if b {
                "TRUE".to_string()
            } else {
                "FALSE".to_string()
            }
        }),
        Type::INT2 => get!(i16).map(|n| format!("CAST({n} AS SMALLINT)")),
        Type::INT4 => get!(i32).map(|n| n.to_string()),
        Type::INT8 => get!(i64).map(|n| format!("CAST({n} AS BIGINT)")),
        Type::OID => get!(u32).map(|n| format!("CAST({n} AS BIGINT)")),
        Type::FLOAT4 => get!(f32).map(|f| float_literal(f64::from(f), "FLOAT")),
        Type::FLOAT8 => get!(f64).map(|f| float_literal(f, "DOUBLE")),
        Type::NUMERIC => get!(Decimal).map(|d| decimal_literal(&d)),
        Type::JSON | Type::JSONB => {
            get!(serde_json::Value).map(|v| sparksql::quote_string(&v.to_string()))
        }
        Type::INT2_ARRAY => get!(Vec<Option<i16>>).map(|v| array_literal(v, |n| n.to_string())),
        Type::INT4_ARRAY => get!(Vec<Option<i32>>).map(|v| array_literal(v, |n| n.to_string())),
        Type::INT8_ARRAY => {
            get!(Vec<Option<i64>>).map(|v| array_literal(v, |n| format!("CAST({n} AS BIGINT)")))
        }
        Type::FLOAT8_ARRAY => {
            get!(Vec<Option<f64>>).map(|v| array_literal(v, |f| float_literal(f, "DOUBLE")))
        }
        Type::BOOL_ARRAY => get!(Vec<Option<bool>>)
            .map(|v| array_literal(v, |b| if b { "TRUE".into() } else { "FALSE".into() })),
        Type::TEXT_ARRAY | Type::VARCHAR_ARRAY => {
            get!(Vec<Option<String>>).map(|v| array_literal(v, |s| sparksql::quote_string(&s)))
        }
        Type::DATE => get!(NaiveDate).map(|d| format!("DATE '{}'", d.format("%Y-%m-%d"))),
        Type::TIMESTAMP => get!(NaiveDateTime)
            .map(|t| format!("TIMESTAMP '{}'", t.format("%Y-%m-%d %H:%M:%S%.6f"))),
        Type::TIMESTAMPTZ => get!(DateTime<FixedOffset>).map(|t| {
            format!(
                "TIMESTAMP '{}'",
                t.naive_utc().format("%Y-%m-%d %H:%M:%S%.6f")
            )
        }),
        Type::BYTEA => get!(Vec<u8>).map(|b| format!("X'{}'", hex::encode_upper(b))),
        _ => get!(String).map(|s| sparksql::quote_string(&s)),
    };
    Ok(lit.unwrap_or_else(|| "NULL".to_string()))
}

/// `CAST('12.30' AS DECIMAL(4,2))`: exact in Spark and in the embedded engine alike.
fn decimal_literal(d: &Decimal) -> String {
    let text = d.to_string();
    let digits = text
        .chars()
        .filter(char::is_ascii_digit)
        .count()
        .clamp(1, 38);
    let scale = (d.scale() as usize).min(digits);
    format!(
        "CAST('{text}' AS DECIMAL({}, {scale}))",
        digits.max(scale).max(1)
    )
}

/// `array(1, NULL, 3)`.
fn array_literal<T>(items: Vec<Option<T>>, f: impl Fn(T) -> String) -> String {
    let parts: Vec<String> = items
        .into_iter()
        .map(|i| i.map_or_else(|| "NULL".to_string(), &f))
        .collect();
    format!("array({})", parts.join(", "))
}

fn float_literal(f: f64, spark_type: &str) -> String {
    if f.is_finite() {
        format!("CAST({f:?} AS {spark_type})")
    } else {
        let word = if f.is_nan() {
            "NaN"
        } else if f > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        };
        format!("CAST('{word}' AS {spark_type})")
    }
}

/// `sql` with every placeholder replaced by NULL (to learn a query's columns).
pub fn render_with_nulls(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut at = 0;
    for (start, end, _) in placeholders(sql) {
        out.push_str(&sql[at..start]);
        out.push_str("NULL");
        at = end;
    }
    out.push_str(&sql[at..]);
    out
}

/// The portal's SQL with every placeholder replaced by its bound value.
pub fn render(portal: &Portal<Prepared>) -> Result<String, GatewayError> {
    let stmt = &portal.statement.statement;
    let sql = &stmt.sql;
    if stmt.params == 0 {
        return Ok(sql.clone());
    }
    if portal.parameter_len() < stmt.params {
        return Err(GatewayError::new(
            ErrorKind::Protocol,
            format!(
                "bind message supplies {} parameters, but prepared statement requires {}",
                portal.parameter_len(),
                stmt.params
            ),
        ));
    }
    let mut out = String::with_capacity(sql.len() + 16 * stmt.params);
    let mut at = 0;
    for (start, end, n) in placeholders(sql) {
        let ty = stmt.param_type(&portal.statement.parameter_types, n - 1);
        out.push_str(&sql[at..start]);
        out.push_str(&literal(portal, n - 1, &ty)?);
        at = end;
    }
    out.push_str(&sql[at..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_placeholders_outside_literals() {
        let sql = "select $1, '$2', `$3` -- $4\n, $2";
        let found: Vec<usize> = placeholders(sql).iter().map(|p| p.2).collect();
        assert_eq!(found, vec![1, 2]);
        assert_eq!(placeholder_count(sql), 2);
        let (s, e, _) = placeholders(sql)[0];
        assert_eq!(&sql[s..e], "$1");
    }

    #[test]
    fn decimal_and_array_literals() {
        assert_eq!(
            decimal_literal(&Decimal::new(1230, 2)),
            "CAST('12.30' AS DECIMAL(4, 2))"
        );
        assert_eq!(
            decimal_literal(&Decimal::new(-5, 3)),
            "CAST('-0.005' AS DECIMAL(4, 3))"
        );
        assert_eq!(
            array_literal(vec![Some(1), None], |n: i32| n.to_string()),
            "array(1, NULL)"
        );
    }

    #[test]
    fn float_literals() {
        assert_eq!(float_literal(1.5, "DOUBLE"), "CAST(1.5 AS DOUBLE)");
        assert_eq!(float_literal(f64::NAN, "DOUBLE"), "CAST('NaN' AS DOUBLE)");
    }
}
