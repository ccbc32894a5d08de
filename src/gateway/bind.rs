//! The wire side of parameters: a Bind message's values, decoded.
//!
//! Owns: reading each bound value (text or binary, as Bind said) as the parameter's type
//! into a protocol-neutral [`Param`]. For statements the gateway answers itself (catalog
//! queries), a text-format value is kept exactly as sent and typed by its context, as
//! Postgres does; for DLI every value is decoded by its type.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use pgwire::api::Type;
use pgwire::api::portal::Portal;
use pgwire::api::results::FieldFormat;
use rust_decimal::Decimal;

use super::params::{Param, bad_param, check_count};
use super::plan::{Kind, Plan};
use crate::errors::GatewayError;

/// The portal's parameter values.
pub fn values(portal: &Portal<Plan>) -> Result<Vec<Param>, GatewayError> {
    let plan = &portal.statement.statement;
    check_count(plan, portal.parameter_len())?;
    let local = !matches!(plan.kind, Kind::Dli { .. });
    (0..plan.params)
        .map(|i| {
            let text_format = portal.parameter_format.format_for(i) == FieldFormat::Text;
            match portal.parameters.get(i) {
                Some(None) => Ok(Param::Null),
                Some(Some(raw)) if local && text_format => std::str::from_utf8(raw)
                    .map(|t| Param::Untyped(t.to_string()))
                    .map_err(|e| bad_param(i, e)),
                _ => {
                    let ty = plan.param_type(&portal.statement.parameter_types, i);
                    decode(portal, i, &ty)
                }
            }
        })
        .collect()
}

/// An `interval` value: binary as Postgres sends it (microseconds, days, months); text
/// as written (Spark casts `'1 day'`-style text).
fn interval(portal: &Portal<Plan>, i: usize) -> Result<Option<Param>, GatewayError> {
    let Some(Some(raw)) = portal.parameters.get(i) else {
        return Ok(None);
    };
    if !portal.parameter_format.is_binary(i) {
        return std::str::from_utf8(raw)
            .map(|t| Some(Param::Text(t.to_string())))
            .map_err(|e| bad_param(i, e));
    }
    let bytes: &[u8] = raw;
    let (Some(us), Some(d), Some(m)) = (bytes.get(0..8), bytes.get(8..12), bytes.get(12..16))
    else {
        return Err(bad_param(i, "an interval is 16 bytes"));
    };
    let (Ok(micros), Ok(days), Ok(months)) = (
        <[u8; 8]>::try_from(us).map(i64::from_be_bytes),
        <[u8; 4]>::try_from(d).map(i32::from_be_bytes),
        <[u8; 4]>::try_from(m).map(i32::from_be_bytes),
    ) else {
        return Err(bad_param(i, "an interval is 16 bytes"));
    };
    Ok(Some(Param::Interval {
        months,
        days,
        micros,
    }))
}

fn opt_vec<T>(v: Option<Vec<Option<T>>>, f: impl Fn(T) -> Param) -> Option<Param> {
    v.map(|items| {
        Param::Array(
            items
                .into_iter()
                .map(|i| i.map_or(Param::Null, &f))
                .collect(),
        )
    })
}

/// Decode parameter `i` as `ty`.
fn decode(portal: &Portal<Plan>, i: usize, ty: &Type) -> Result<Param, GatewayError> {
    macro_rules! get {
        ($t:ty) => {
            portal.parameter::<$t>(i, ty).map_err(|e| bad_param(i, e))?
        };
    }
    // The Spark type a value of `ty` (an array's: of its elements) is written as.
    let spark = crate::pgtypes::spark_keyword(ty).unwrap_or("STRING");
    let int = |n: i64| Param::Int(n, spark);
    let float = |f: f64| Param::Float(f, spark);
    let b = match *ty {
        Type::BOOL => get!(bool).map(Param::Bool),
        Type::INT2 => get!(i16).map(|n| int(n.into())),
        Type::INT4 => get!(i32).map(|n| int(n.into())),
        Type::INT8 => get!(i64).map(int),
        Type::OID => get!(u32).map(|n| int(n.into())),
        Type::FLOAT4 => get!(f32).map(|f| float(f.into())),
        Type::FLOAT8 => get!(f64).map(float),
        Type::NUMERIC => get!(Decimal).map(Param::Decimal),
        Type::DATE => get!(NaiveDate).map(Param::Date),
        Type::TIMESTAMP => get!(NaiveDateTime).map(Param::Timestamp),
        Type::TIMESTAMPTZ => get!(DateTime<FixedOffset>).map(Param::TimestampTz),
        Type::INTERVAL => interval(portal, i)?,
        Type::BYTEA => get!(Vec<u8>).map(Param::Bytes),
        Type::JSON | Type::JSONB => get!(serde_json::Value).map(|v| Param::Text(v.to_string())),
        Type::INT2_ARRAY => opt_vec(get!(Vec<Option<i16>>), |n| int(n.into())),
        Type::INT4_ARRAY => opt_vec(get!(Vec<Option<i32>>), |n| int(n.into())),
        Type::INT8_ARRAY => opt_vec(get!(Vec<Option<i64>>), int),
        Type::OID_ARRAY => opt_vec(get!(Vec<Option<u32>>), |n| int(n.into())),
        Type::FLOAT8_ARRAY => opt_vec(get!(Vec<Option<f64>>), float),
        Type::BOOL_ARRAY => opt_vec(get!(Vec<Option<bool>>), Param::Bool),
        Type::TEXT_ARRAY | Type::VARCHAR_ARRAY => opt_vec(get!(Vec<Option<String>>), Param::Text),
        _ => get!(String).map(Param::Text),
    };
    Ok(b.unwrap_or(Param::Null))
}
