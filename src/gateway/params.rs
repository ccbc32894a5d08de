//! Bound parameters rendered as SQL literals.
//!
//! DLI has no bind parameters, so `$n` placeholders are replaced by literals of the
//! parameter's type. Each value is decoded once ([`Bound`]) and rendered two ways:
//! - for DLI, into the statement's Spark translation: strings go through
//!   [`sparksql::quote_string`], which escapes `\` and `'` the way Spark reads them, so no
//!   value can end its literal early;
//! - for the gateway's own answers (session commands, catalog queries), into the original
//!   Postgres text, with Postgres quoting.
//!
//! Placeholders are found with the tokenizer: a `$1` inside a string or comment is text.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use pgwire::api::Type;
use pgwire::api::portal::Portal;
use pgwire::api::results::FieldFormat;
use rust_decimal::Decimal;

use super::extended::Prepared;
use crate::errors::{ErrorKind, GatewayError};
use crate::{pgsql, sparksql};

/// How many parameters a statement takes (its highest `$n`).
pub fn placeholder_count(pg_sql: &str) -> usize {
    pgsql::placeholders(pg_sql)
        .iter()
        .map(|p| p.2)
        .max()
        .unwrap_or(0)
}

/// A decoded parameter value.
#[derive(Debug, Clone, PartialEq)]
enum Bound {
    Null,
    Bool(bool),
    /// An integer and the Spark type it was bound as.
    Int(i64, &'static str),
    Float(f64, &'static str),
    Decimal(Decimal),
    Text(String),
    Date(NaiveDate),
    Timestamp(NaiveDateTime),
    Bytes(Vec<u8>),
    Array(Vec<Bound>),
}

fn bad_param(i: usize, e: impl std::fmt::Display) -> GatewayError {
    GatewayError::new(
        ErrorKind::InvalidTextRepresentation,
        format!("invalid value for parameter ${}: {e}", i + 1),
    )
}

fn opt_vec<T>(v: Option<Vec<Option<T>>>, f: impl Fn(T) -> Bound) -> Option<Bound> {
    v.map(|items| {
        Bound::Array(
            items
                .into_iter()
                .map(|i| i.map_or(Bound::Null, &f))
                .collect(),
        )
    })
}

/// Decode parameter `i` as `ty` (text or binary, as Bind said).
fn decode(portal: &Portal<Prepared>, i: usize, ty: &Type) -> Result<Bound, GatewayError> {
    macro_rules! get {
        ($t:ty) => {
            portal.parameter::<$t>(i, ty).map_err(|e| bad_param(i, e))?
        };
    }
    // The Spark type a value of `ty` (an array's: of its elements) is written as.
    let spark = crate::pgtypes::spark_keyword(ty).unwrap_or("STRING");
    let int = |n: i64| Bound::Int(n, spark);
    let float = |f: f64| Bound::Float(f, spark);
    let b = match *ty {
        Type::BOOL => get!(bool).map(Bound::Bool),
        Type::INT2 => get!(i16).map(|n| int(n.into())),
        Type::INT4 => get!(i32).map(|n| int(n.into())),
        Type::INT8 => get!(i64).map(int),
        Type::OID => get!(u32).map(|n| int(n.into())),
        Type::FLOAT4 => get!(f32).map(|f| float(f.into())),
        Type::FLOAT8 => get!(f64).map(float),
        Type::NUMERIC => get!(Decimal).map(Bound::Decimal),
        Type::DATE => get!(NaiveDate).map(Bound::Date),
        Type::TIMESTAMP => get!(NaiveDateTime).map(Bound::Timestamp),
        Type::TIMESTAMPTZ => get!(DateTime<FixedOffset>).map(|t| Bound::Timestamp(t.naive_utc())),
        Type::BYTEA => get!(Vec<u8>).map(Bound::Bytes),
        Type::JSON | Type::JSONB => get!(serde_json::Value).map(|v| Bound::Text(v.to_string())),
        Type::INT2_ARRAY => opt_vec(get!(Vec<Option<i16>>), |n| int(n.into())),
        Type::INT4_ARRAY => opt_vec(get!(Vec<Option<i32>>), |n| int(n.into())),
        Type::INT8_ARRAY => opt_vec(get!(Vec<Option<i64>>), int),
        Type::OID_ARRAY => opt_vec(get!(Vec<Option<u32>>), |n| int(n.into())),
        Type::FLOAT8_ARRAY => opt_vec(get!(Vec<Option<f64>>), float),
        Type::BOOL_ARRAY => opt_vec(get!(Vec<Option<bool>>), Bound::Bool),
        Type::TEXT_ARRAY | Type::VARCHAR_ARRAY => opt_vec(get!(Vec<Option<String>>), Bound::Text),
        _ => get!(String).map(Bound::Text),
    };
    Ok(b.unwrap_or(Bound::Null))
}

/// `12.30` as `CAST('12.30' AS DECIMAL(4,2))`: exact in Spark and the embedded engine.
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

fn float_word(f: f64) -> Option<&'static str> {
    if f.is_nan() {
        Some("NaN")
    } else if f.is_infinite() {
        Some(if f > 0.0 { "Infinity" } else { "-Infinity" })
    } else {
        None
    }
}

/// The value as a Spark SQL literal.
fn spark(b: &Bound) -> String {
    match b {
        Bound::Null => "NULL".into(),
        Bound::Bool(v) => if *v { "TRUE" } else { "FALSE" }.into(),
        Bound::Int(n, "INT") => n.to_string(),
        Bound::Int(n, ty) => format!("CAST({n} AS {ty})"),
        Bound::Float(f, ty) => match float_word(*f) {
            Some(w) => format!("CAST('{w}' AS {ty})"),
            None => format!("CAST({f:?} AS {ty})"),
        },
        Bound::Decimal(d) => decimal_literal(d),
        Bound::Text(s) => sparksql::quote_string(s),
        Bound::Date(d) => format!("DATE '{}'", d.format("%Y-%m-%d")),
        Bound::Timestamp(t) => format!("TIMESTAMP '{}'", t.format("%Y-%m-%d %H:%M:%S%.6f")),
        Bound::Bytes(b) => format!("X'{}'", hex::encode_upper(b)),
        Bound::Array(items) => {
            format!(
                "array({})",
                items.iter().map(spark).collect::<Vec<_>>().join(", ")
            )
        }
    }
}

/// The value as a Postgres literal (for statements the gateway answers itself).
fn postgres(b: &Bound) -> String {
    match b {
        Bound::Null => "NULL".into(),
        Bound::Bool(v) => if *v { "true" } else { "false" }.into(),
        Bound::Int(n, _) => n.to_string(),
        Bound::Float(f, _) => match float_word(*f) {
            Some(w) => format!("'{w}'::float8"),
            None => format!("{f:?}"),
        },
        Bound::Decimal(d) => d.to_string(),
        Bound::Text(s) => pgsql::quote_string(s),
        Bound::Date(d) => format!("'{}'::date", d.format("%Y-%m-%d")),
        Bound::Timestamp(t) => format!("'{}'::timestamp", t.format("%Y-%m-%d %H:%M:%S%.6f")),
        Bound::Bytes(b) => format!("'\\x{}'::bytea", hex::encode(b)),
        Bound::Array(items) => {
            format!(
                "ARRAY[{}]",
                items.iter().map(postgres).collect::<Vec<_>>().join(", ")
            )
        }
    }
}

/// Spark text with every placeholder replaced by NULL (to learn a query's columns).
pub fn spark_with_nulls(spark_sql: &str) -> String {
    let places = sparksql::placeholders(spark_sql);
    replace(spark_sql, &places, |_| Ok("NULL".to_string()))
        .unwrap_or_else(|_| spark_sql.to_string())
}

fn replace(
    sql: &str,
    places: &[(usize, usize, usize)],
    mut lit: impl FnMut(usize) -> Result<String, GatewayError>,
) -> Result<String, GatewayError> {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut at = 0;
    for &(start, end, n) in places {
        out.push_str(&sql[at..start]);
        out.push_str(&lit(n - 1)?);
        at = end;
    }
    out.push_str(&sql[at..]);
    Ok(out)
}

fn check_count(portal: &Portal<Prepared>) -> Result<(), GatewayError> {
    let want = portal.statement.statement.params;
    if portal.parameter_len() < want {
        return Err(GatewayError::new(
            ErrorKind::Protocol,
            format!(
                "bind message supplies {} parameters, but prepared statement requires {want}",
                portal.parameter_len()
            ),
        ));
    }
    Ok(())
}

fn bound(portal: &Portal<Prepared>, i: usize) -> Result<Bound, GatewayError> {
    let ty = portal
        .statement
        .statement
        .param_type(&portal.statement.parameter_types, i);
    decode(portal, i, &ty)
}

/// The statement's Spark translation with every placeholder replaced by its value.
pub fn render_spark(portal: &Portal<Prepared>) -> Result<String, GatewayError> {
    let stmt = &portal.statement.statement;
    if stmt.params == 0 {
        return Ok(stmt.spark.clone());
    }
    check_count(portal)?;
    let places = sparksql::placeholders(&stmt.spark);
    replace(&stmt.spark, &places, |i| {
        bound(portal, i).map(|b| spark(&b))
    })
}

/// The statement's original Postgres text with every placeholder replaced by its value.
/// A text-format value is passed on as a quoted literal, exactly as sent, and the
/// context types it (as Postgres does with `'catcli.items'` in `$2::regclass`).
pub fn render_postgres(portal: &Portal<Prepared>) -> Result<String, GatewayError> {
    let stmt = &portal.statement.statement;
    if stmt.params == 0 {
        return Ok(stmt.sql.clone());
    }
    check_count(portal)?;
    let places = pgsql::placeholders(&stmt.sql);
    replace(&stmt.sql, &places, |i| {
        let text_format = portal.parameter_format.format_for(i) == FieldFormat::Text;
        match portal.parameters.get(i) {
            Some(None) => Ok("NULL".to_string()),
            Some(Some(raw)) if text_format => {
                let text = std::str::from_utf8(raw).map_err(|e| bad_param(i, e))?;
                Ok(pgsql::quote_string(text))
            }
            _ => bound(portal, i).map(|b| postgres(&b)),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spark_literals() {
        assert_eq!(
            decimal_literal(&Decimal::new(1230, 2)),
            "CAST('12.30' AS DECIMAL(4, 2))"
        );
        assert_eq!(
            decimal_literal(&Decimal::new(-5, 3)),
            "CAST('-0.005' AS DECIMAL(4, 3))"
        );
        let arr = Bound::Array(vec![Bound::Int(1, "INT"), Bound::Null]);
        assert_eq!(spark(&arr), "array(1, NULL)");
        assert_eq!(spark(&Bound::Float(1.5, "DOUBLE")), "CAST(1.5 AS DOUBLE)");
        assert_eq!(
            spark(&Bound::Float(f64::NAN, "DOUBLE")),
            "CAST('NaN' AS DOUBLE)"
        );
        assert_eq!(
            spark(&Bound::Text(r"\' OR 1=1 --".into())),
            r"'\\\' OR 1=1 --'"
        );
        assert_eq!(spark(&Bound::Int(7, "BIGINT")), "CAST(7 AS BIGINT)");
    }

    #[test]
    fn postgres_literals() {
        assert_eq!(postgres(&Bound::Text(r"it's \".into())), r"'it''s \'");
        assert_eq!(postgres(&Bound::Bytes(vec![0, 255])), r"'\x00ff'::bytea");
        assert_eq!(
            postgres(&Bound::Array(vec![Bound::Int(1, "INT")])),
            "ARRAY[1]"
        );
    }

    #[test]
    fn placeholders_replaced_outside_literals() {
        let sql = "select $1, '$2', `$3` -- $4\n, $2";
        let out = replace(sql, &sparksql::placeholders(sql), |i| Ok(format!("<{i}>"))).unwrap();
        assert_eq!(out, "select <0>, '$2', `$3` -- $4\n, <1>");
        let pg = "select $1, '$2', \"$3\" -- $4\n, $2";
        assert_eq!(placeholder_count(pg), 2);
        assert_eq!(spark_with_nulls("select $1 + $2"), "select NULL + NULL");
    }
}
