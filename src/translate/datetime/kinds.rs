//! What an expression is (date, timestamp, interval …), read from its spelling alone: a
//! literal, a cast, a date/time function. A bare column is [`Kind::Unknown`].

use sqlparser::ast::{BinaryOperator, DataType, Expr, TimezoneInfo};

use super::build::{call, string, unnest};

/// What an expression is, read from its spelling alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Date,
    /// `timestamp without time zone` (and Spark's TIMESTAMP, as the gateway reports it).
    Timestamp,
    TimestampTz,
    Interval,
    Number,
    Text,
    Unknown,
}

/// The kind of `e` when its spelling tells it (see [`Kind`]).
pub fn kind(e: &Expr) -> Kind {
    match unnest(e) {
        Expr::Cast { data_type, .. } => kind_of_type(data_type),
        Expr::TypedString(ts) => kind_of_type(&ts.data_type),
        Expr::Interval(_) => Kind::Interval,
        Expr::Value(v) => match v.value {
            sqlparser::ast::Value::Number(..) => Kind::Number,
            _ if string(e).is_some() => Kind::Text,
            _ => Kind::Unknown,
        },
        Expr::Extract { .. } => Kind::Number,
        Expr::AtTimeZone { timestamp, .. } => match kind(timestamp) {
            Kind::TimestampTz => Kind::Timestamp,
            _ => Kind::TimestampTz,
        },
        Expr::BinaryOp { left, op, right } => {
            let (l, r) = (kind(left), kind(right));
            match (l, op, r) {
                (Kind::Date, BinaryOperator::Plus | BinaryOperator::Minus, Kind::Number)
                | (Kind::Number, BinaryOperator::Plus, Kind::Date) => Kind::Date,
                (Kind::Date, BinaryOperator::Minus, Kind::Date) => Kind::Number,
                (
                    Kind::Date | Kind::Timestamp,
                    BinaryOperator::Plus | BinaryOperator::Minus,
                    Kind::Interval,
                )
                | (Kind::Interval, BinaryOperator::Plus, Kind::Date | Kind::Timestamp) => {
                    Kind::Timestamp
                }
                (
                    Kind::TimestampTz,
                    BinaryOperator::Plus | BinaryOperator::Minus,
                    Kind::Interval,
                )
                | (Kind::Interval, BinaryOperator::Plus, Kind::TimestampTz) => Kind::TimestampTz,
                (
                    Kind::Timestamp | Kind::TimestampTz,
                    BinaryOperator::Minus,
                    Kind::Timestamp | Kind::TimestampTz,
                ) => Kind::Interval,
                (Kind::Interval, _, Kind::Number | Kind::Interval)
                | (Kind::Number, BinaryOperator::Multiply, Kind::Interval) => Kind::Interval,
                (Kind::Number, _, Kind::Number) => Kind::Number,
                _ => Kind::Unknown,
            }
        }
        Expr::Function(_) => call_kind(e),
        _ => Kind::Unknown,
    }
}

fn kind_of_type(t: &DataType) -> Kind {
    match t {
        DataType::Date => Kind::Date,
        DataType::Timestamp(_, TimezoneInfo::WithTimeZone | TimezoneInfo::Tz) => Kind::TimestampTz,
        DataType::Timestamp(..) | DataType::Datetime(_) => Kind::Timestamp,
        DataType::Interval { .. } => Kind::Interval,
        DataType::Int(_)
        | DataType::Integer(_)
        | DataType::BigInt(_)
        | DataType::SmallInt(_)
        | DataType::Numeric(_)
        | DataType::Decimal(_)
        | DataType::Real
        | DataType::Float(_)
        | DataType::Double(_)
        | DataType::DoublePrecision
        | DataType::Int2(_)
        | DataType::Int4(_)
        | DataType::Int8(_)
        | DataType::Float4
        | DataType::Float8 => Kind::Number,
        DataType::Text | DataType::Varchar(_) | DataType::String(_) | DataType::Char(_) => {
            Kind::Text
        }
        _ => Kind::Unknown,
    }
}

/// The kind of a call (see [`Kind`]).
fn call_kind(e: &Expr) -> Kind {
    let Some((name, args)) = call(e) else {
        return Kind::Unknown;
    };
    match name.as_str() {
        "now"
        | "current_timestamp"
        | "transaction_timestamp"
        | "statement_timestamp"
        | "to_timestamp"
        | "to_utc_timestamp"
        | "timestamp_seconds"
        | "timestamp_micros" => Kind::TimestampTz,
        "localtimestamp" | "make_timestamp" | "from_utc_timestamp" => Kind::Timestamp,
        "date_trunc" | "date_bin" => match args.last().map(|a| kind(a)) {
            Some(Kind::Date | Kind::TimestampTz) => Kind::TimestampTz,
            _ => Kind::Timestamp,
        },
        "current_date" | "to_date" | "make_date" => Kind::Date,
        "make_interval" | "age" => Kind::Interval,
        "date_part" | "datediff" | "extract" => Kind::Number,
        "to_char" | "date_format" => Kind::Text,
        _ => Kind::Unknown,
    }
}
