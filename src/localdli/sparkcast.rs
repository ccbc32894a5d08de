//! `CAST` as Spark 3.3 runs it with `spark.sql.ansi.enabled=false` (DLI's default), where
//! DataFusion's cast fails or answers otherwise. Values below are pyspark 3.3.4's:
//!
//! - from a string (trimmed of whitespace and control characters first): NULL for input
//!   the target cannot read (`'abc'`, `''`, `'1e3'` as `int`, `'2024-13-01'` as `date`);
//!   an integer may have a fraction, which is dropped (`'12.7'` → 12), and is NULL out of
//!   the type's range (`'128'` as `tinyint`); booleans are `t`/`true`/`y`/`yes`/`1` and
//!   `f`/`false`/`n`/`no`/`0`; a date is `y[-m[-d]]` with anything after a space or `T`
//!   (`'2024'` → 2024-01-01, `'2024-1-5'` → 2024-01-05);
//! - an integer to a narrower integer keeps the low bits, as Java does (`300` → `44` as
//!   `tinyint`); a decimal to an integer too, after dropping its fraction;
//! - a float or double to `int` / `bigint` saturates (NaN is 0); to `smallint` /
//!   `tinyint` it goes through `int` first (`1e30` → `-1` as `smallint`);
//! - anything to a decimal it does not fit: NULL.
//!
//! [`rewrite`] turns such a `CAST` of a planned statement into a call of this module's
//! function (its second argument a typed NULL naming the target). Casts DataFusion adds
//! itself (comparisons, INSERT) are left alone. Owns these cast rules only.

use std::sync::{Arc, OnceLock};

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Date32Array, Int64Array, PrimitiveArray, StringArray,
};
use datafusion::arrow::compute::{CastOptions, cast, cast_with_options};
use datafusion::arrow::datatypes::{
    ArrowPrimitiveType, DataType, Decimal128Type, Float64Type, Int8Type, Int16Type, Int32Type,
    Int64Type,
};
use datafusion::common::tree_node::Transformed;
use datafusion::common::{DFSchema, ScalarValue, exec_err};
use datafusion::error::Result;
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ExprSchemable, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};

const NAME: &str = "spark_cast";

/// `CAST(e AS t)` → `spark_cast(e, NULL::t)` where Spark's non-ANSI cast differs.
pub fn rewrite(e: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    let Expr::Cast(c) = &e else {
        return Ok(Transformed::no(e));
    };
    let Ok(from) = c.expr.get_type(schema) else {
        return Ok(Transformed::no(e));
    };
    let to = c.field.data_type();
    if !handled(&from, to) {
        return Ok(Transformed::no(e));
    }
    let target = ScalarValue::try_from(to)?;
    let Expr::Cast(c) = e else {
        return exec_err!("{NAME}: not a cast");
    };
    Ok(Transformed::yes(Expr::ScalarFunction(
        ScalarFunction::new_udf(udf(), vec![*c.expr, Expr::Literal(target, None)]),
    )))
}

fn is_string(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

fn is_int(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64
    )
}

fn handled(from: &DataType, to: &DataType) -> bool {
    let readable = is_int(to)
        || to.is_floating()
        || matches!(
            to,
            DataType::Decimal128(..)
                | DataType::Boolean
                | DataType::Date32
                | DataType::Timestamp(..)
        );
    (is_string(from) && readable)
        || (is_int(to)
            && (from.is_integer()
                || from.is_floating()
                || matches!(from, DataType::Decimal128(..))))
        || (matches!(to, DataType::Decimal128(..)) && from != to && (from.is_numeric()))
}

fn udf() -> Arc<ScalarUDF> {
    static UDF: OnceLock<Arc<ScalarUDF>> = OnceLock::new();
    Arc::clone(UDF.get_or_init(|| {
        Arc::new(ScalarUDF::new_from_impl(SparkCast {
            signature: Signature::any(2, Volatility::Immutable),
        }))
    }))
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct SparkCast {
    signature: Signature,
}

impl ScalarUDFImpl for SparkCast {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, types: &[DataType]) -> Result<DataType> {
        match types.get(1) {
            Some(t) => Ok(t.clone()),
            None => exec_err!("{NAME}: a target type is needed"),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let to = args.return_field.data_type().clone();
        match &args.args[0] {
            ColumnarValue::Array(a) => Ok(ColumnarValue::Array(spark_cast(a, &to)?)),
            ColumnarValue::Scalar(s) => {
                let a = spark_cast(&s.to_array()?, &to)?;
                Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&a, 0)?))
            }
        }
    }
}

/// NULL where the value cannot be cast (Spark's non-ANSI mode).
fn lenient() -> CastOptions<'static> {
    CastOptions {
        safe: true,
        ..Default::default()
    }
}

fn spark_cast(a: &ArrayRef, to: &DataType) -> Result<ArrayRef> {
    let from = a.data_type();
    if is_string(from) {
        return from_string(a, to);
    }
    if !is_int(to) {
        return Ok(cast_with_options(a, to, &lenient())?);
    }
    // Java's conversions to a 64-bit integer, then the low bits of the target.
    let longs: Int64Array = if from.is_floating() {
        let d = cast(a, &DataType::Float64)?;
        let narrow = !matches!(to, DataType::Int64);
        d.as_primitive::<Float64Type>().unary(|f| {
            if narrow {
                i64::from(f as i32)
            } else {
                f as i64
            }
        })
    } else if let DataType::Decimal128(_, scale) = from {
        let divisor = 10i128
            .checked_pow(u32::try_from(*scale).unwrap_or(0))
            .unwrap_or(1);
        a.as_primitive::<Decimal128Type>()
            .unary(|v| (v / divisor) as i64)
    } else {
        let l = cast_with_options(a, &DataType::Int64, &lenient())?;
        l.as_primitive::<Int64Type>().clone()
    };
    narrow(&longs, to)
}

fn narrow(longs: &Int64Array, to: &DataType) -> Result<ArrayRef> {
    Ok(match to {
        DataType::Int8 => Arc::new(longs.unary::<_, Int8Type>(|v| v as i8)),
        DataType::Int16 => Arc::new(longs.unary::<_, Int16Type>(|v| v as i16)),
        DataType::Int32 => Arc::new(longs.unary::<_, Int32Type>(|v| v as i32)),
        _ => Arc::new(longs.clone()),
    })
}

/// Spark's `UTF8String.trimAll`: whitespace and control characters at both ends.
fn trimmed(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

fn from_string(a: &ArrayRef, to: &DataType) -> Result<ArrayRef> {
    let texts = cast(a, &DataType::Utf8)?;
    let texts = texts.as_string::<i32>();
    let values = texts.iter().map(|s| s.map(trimmed));
    Ok(match to {
        DataType::Int8 => ints::<Int8Type>(values),
        DataType::Int16 => ints::<Int16Type>(values),
        DataType::Int32 => ints::<Int32Type>(values),
        DataType::Int64 => ints::<Int64Type>(values),
        DataType::Boolean => Arc::new(
            values
                .map(|s| s.and_then(boolean))
                .collect::<BooleanArray>(),
        ),
        DataType::Date32 => Arc::new(values.map(|s| s.and_then(date)).collect::<Date32Array>()),
        DataType::Timestamp(..) => {
            let trimmed: ArrayRef = Arc::new(values.clone().collect::<StringArray>());
            let parsed = cast_with_options(&trimmed, to, &lenient())?;
            // what the timestamp reader refuses may still be a date alone (`'2024'`)
            let dates: ArrayRef = Arc::new(
                values
                    .map(|s| s.filter(|s| !s.contains([' ', 'T'])).and_then(date))
                    .collect::<Date32Array>(),
            );
            let midnight = cast_with_options(&dates, to, &lenient())?;
            let use_date = datafusion::arrow::compute::is_null(&parsed)?;
            datafusion::arrow::compute::kernels::zip::zip(&use_date, &midnight, &parsed)?
        }
        _ => {
            let trimmed: ArrayRef = Arc::new(values.collect::<StringArray>());
            cast_with_options(&trimmed, to, &lenient())?
        }
    })
}

/// Spark's `UTF8String.toInt`/`toLong`: a sign, digits, an optional fraction (dropped);
/// NULL outside `T`'s range.
fn ints<'a, T>(values: impl Iterator<Item = Option<&'a str>>) -> ArrayRef
where
    T: ArrowPrimitiveType,
    T::Native: TryFrom<i64>,
{
    let parse = |s: &str| -> Option<T::Native> {
        let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
        if !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let digits = whole.strip_prefix(['+', '-']).unwrap_or(whole);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let v: i64 = whole.strip_prefix('+').unwrap_or(whole).parse().ok()?;
        T::Native::try_from(v).ok()
    };
    Arc::new(
        values
            .map(|s| s.and_then(parse))
            .collect::<PrimitiveArray<T>>(),
    )
}

fn boolean(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "t" | "true" | "y" | "yes" | "1" => Some(true),
        "f" | "false" | "n" | "no" | "0" => Some(false),
        _ => None,
    }
}

/// Spark's `stringToDate`: `y[-m[-d]]` (a year of 4 to 7 digits, month and day of 1 or
/// 2), optionally followed by a space or `T` and anything; days since the epoch.
fn date(s: &str) -> Option<i32> {
    let head = s.split([' ', 'T']).next()?;
    let mut parts = head.split('-');
    let year = parts.next()?;
    let month = parts.next();
    let day = parts.next();
    if parts.next().is_some() {
        return None;
    }
    let digits = |p: &str, min: usize, max: usize| {
        (min..=max).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(year, 4, 7) {
        return None;
    }
    let field = |p: Option<&str>| match p {
        None => Some(1),
        Some(p) if digits(p, 1, 2) => p.parse::<u32>().ok(),
        Some(_) => None,
    };
    let d = chrono::NaiveDate::from_ymd_opt(year.parse().ok()?, field(month)?, field(day)?)?;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
    i32::try_from((d - epoch).num_days()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_reads_like_spark() {
        // pyspark 3.3.4 (spark.sql.ansi.enabled=false)
        let a: ArrayRef = Arc::new(StringArray::from(vec![
            Some("abc"),
            Some(" 12 "),
            Some("12.7"),
            Some("-12.7"),
            Some(""),
            Some("+5"),
            Some("2147483648"),
            Some("1e3"),
            None,
        ]));
        let out = spark_cast(&a, &DataType::Int32).unwrap();
        let got: Vec<Option<i32>> = out.as_primitive::<Int32Type>().iter().collect();
        assert_eq!(
            got,
            vec![
                None,
                Some(12),
                Some(12),
                Some(-12),
                None,
                Some(5),
                None,
                None,
                None
            ]
        );
        assert_eq!(date("2024"), date("2024-01-01"));
        assert_eq!(date("2024-1-5"), date("2024-01-05 10:00"));
        assert_eq!(date("2024-13-01"), None);
        assert_eq!(date("2024-02-30"), None);
        assert_eq!(boolean("YES"), Some(true));
        assert_eq!(boolean("2"), None);
    }

    #[test]
    fn numbers_narrow_like_java() {
        let a: ArrayRef = Arc::new(Int64Array::from(vec![300, -129, 70000]));
        let t = spark_cast(&a, &DataType::Int8).unwrap();
        let got: Vec<Option<i8>> = t.as_primitive::<Int8Type>().iter().collect();
        assert_eq!(got, vec![Some(44), Some(127), Some(112)]);
        let d: ArrayRef = Arc::new(datafusion::arrow::array::Float64Array::from(vec![
            2.5e9,
            f64::NAN,
            1e30,
            40000.9,
        ]));
        let i = spark_cast(&d, &DataType::Int32).unwrap();
        let got: Vec<Option<i32>> = i.as_primitive::<Int32Type>().iter().collect();
        assert_eq!(
            got,
            vec![Some(i32::MAX), Some(0), Some(i32::MAX), Some(40000)]
        );
        let s = spark_cast(&d, &DataType::Int16).unwrap();
        let got: Vec<Option<i16>> = s.as_primitive::<Int16Type>().iter().collect();
        assert_eq!(got, vec![Some(-1), Some(0), Some(-1), Some(-25536)]);
    }
}
