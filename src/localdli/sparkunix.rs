//! Spark 3.3's `unix_timestamp([e[, pattern]])` and `to_unix_timestamp(e[, pattern])`
//! for the embedded engine (neither DataFusion nor datafusion-spark has them): seconds
//! since the epoch, a `bigint`, of
//!
//! - a timestamp: its microseconds divided by a million, truncated toward zero as Java
//!   divides (`1969-12-31 23:59:59.5` → 0; `unix_seconds` floors to -1);
//! - a date: its midnight (the session time zone is UTC);
//! - a string read with a Spark datetime pattern (`yyyy-MM-dd HH:mm:ss` by default), as
//!   Spark 3's parser reads it: `MM`, `dd`, `HH`, `mm`, `ss` are exactly two digits, `M`,
//!   `d`, `H`, `m`, `s` one or two, `yyyy` four, `yy` two (2000–2099), `S…S` a fraction of
//!   up to that many digits, `MMM`/`MMMM` month names and `a` AM/PM in any case; the whole
//!   string must match and the date must exist. Unset fields are 1970-01-01 00:00:00.
//!   A string that does not match is NULL, except one Spark 2's lenient parser would have
//!   read (digits of any width, trailing text ignored: `2024-1-7 1:2:3`,
//!   `2024-01-07 10:00:00.5`): Spark 3.3 then fails the statement with
//!   `INCONSISTENT_BEHAVIOR_CROSS_VERSION`, and so does this.
//!
//! `unix_seconds` and `unix_millis` are here too: datafusion-spark's truncate toward
//! zero where Spark floors.
//!
//! Pattern letters beyond these are refused (`UNSUPPORTED_FEATURE`) when the statement
//! is planned, never read differently. Owns these two functions and the pattern reader.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Builder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, TimeUnit, TimestampMicrosecondType};
use datafusion::common::{exec_err, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::sparkreader::{Tok, lenient, strict, tokens};

/// Spark's default pattern for `unix_timestamp` and `to_unix_timestamp`.
pub const DEFAULT_PATTERN: &str = "yyyy-MM-dd HH:mm:ss";

#[derive(Debug, PartialEq, Eq, Hash)]
struct UnixTimestamp {
    name: &'static str,
    signature: Signature,
}

/// `unix_timestamp` or `to_unix_timestamp` (the same function under Spark's two names).
pub fn udf(name: &'static str) -> ScalarUDF {
    ScalarUDF::new_from_impl(UnixTimestamp {
        name,
        signature: Signature::user_defined(Volatility::Immutable),
    })
}

fn is_string(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

impl ScalarUDFImpl for UnixTimestamp {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        let first = match types.first() {
            Some(t @ DataType::Timestamp(..)) => t.clone(),
            Some(DataType::Date32 | DataType::Date64) => DataType::Date32,
            Some(t) if is_string(t) || t.is_null() => DataType::Utf8,
            other => {
                let shown = other.map(|t| t.to_string()).unwrap_or_default();
                return plan_err!(
                    "Function '{}' requires (string or date or timestamp) type, not {shown}",
                    self.name
                );
            }
        };
        match types.get(1) {
            None if types.len() == 1 => Ok(vec![first]),
            Some(t) if types.len() == 2 && (is_string(t) || t.is_null()) => {
                Ok(vec![first, DataType::Utf8])
            }
            _ => plan_err!(
                "Function '{}' requires a string pattern as its second argument",
                self.name
            ),
        }
    }

    fn return_type(&self, _types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let Some(value) = arrays.first() else {
            return exec_err!("{}: an argument is required", self.name);
        };
        let seconds = match value.data_type() {
            DataType::Timestamp(_, tz) => {
                let micros = cast(
                    value,
                    &DataType::Timestamp(TimeUnit::Microsecond, tz.clone()),
                )?;
                let micros = micros.as_primitive::<TimestampMicrosecondType>();
                let out: datafusion::arrow::array::Int64Array = micros.unary(|v| v / 1_000_000);
                Arc::new(with_null_patterns(out, arrays.get(1))) as ArrayRef
            }
            DataType::Date32 => {
                let days = value.as_primitive::<datafusion::arrow::datatypes::Date32Type>();
                let out: datafusion::arrow::array::Int64Array =
                    days.unary(|d| i64::from(d) * 86_400);
                Arc::new(with_null_patterns(out, arrays.get(1))) as ArrayRef
            }
            _ => from_strings(value, arrays.get(1), rows)?,
        };
        Ok(ColumnarValue::Array(seconds))
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct UnixUnit {
    name: &'static str,
    micros: i64,
    signature: Signature,
}

/// `unix_seconds` (`micros` 1,000,000) or `unix_millis` (1,000): Spark floors
/// (`1969-12-31 23:59:59.5` → -1), where datafusion-spark's truncate toward zero.
pub fn unit_udf(name: &'static str, micros: i64) -> ScalarUDF {
    ScalarUDF::new_from_impl(UnixUnit {
        name,
        micros,
        signature: Signature::user_defined(Volatility::Immutable),
    })
}

impl ScalarUDFImpl for UnixUnit {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        match types {
            [t @ DataType::Timestamp(..)] => Ok(vec![t.clone()]),
            [DataType::Null] => Ok(vec![DataType::Timestamp(TimeUnit::Microsecond, None)]),
            _ => plan_err!(
                "Function '{}' requires timestamp type, not {types:?}",
                self.name
            ),
        }
    }

    fn return_type(&self, _types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let Some(DataType::Timestamp(_, tz)) = arrays.first().map(|a| a.data_type()) else {
            return exec_err!("{}: a timestamp is required", self.name);
        };
        let micros = cast(
            &arrays[0],
            &DataType::Timestamp(TimeUnit::Microsecond, tz.clone()),
        )?;
        let micros = micros.as_primitive::<TimestampMicrosecondType>();
        let per = self.micros.max(1);
        let out: datafusion::arrow::array::Int64Array = micros.unary(|v| v.div_euclid(per));
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
}

/// A NULL pattern makes the result NULL whatever the value is.
fn with_null_patterns(
    out: datafusion::arrow::array::Int64Array,
    patterns: Option<&ArrayRef>,
) -> datafusion::arrow::array::Int64Array {
    let Some(p) = patterns else {
        return out;
    };
    if p.null_count() == 0 {
        return out;
    }
    out.iter()
        .enumerate()
        .map(|(i, v)| if p.is_null(i) { None } else { v })
        .collect()
}

fn from_strings(value: &ArrayRef, patterns: Option<&ArrayRef>, rows: usize) -> Result<ArrayRef> {
    let values = cast(value, &DataType::Utf8)?;
    let values = values.as_string::<i32>();
    let patterns = match patterns {
        Some(p) => Some(cast(p, &DataType::Utf8)?),
        None => None,
    };
    let patterns = patterns.as_ref().map(|p| p.as_string::<i32>());
    let mut out = Int64Builder::with_capacity(rows);
    let mut parsed: Option<(String, Vec<Tok>)> = None;
    for i in 0..values.len() {
        let pattern = match patterns {
            None => DEFAULT_PATTERN,
            Some(p) if p.is_null(i) => {
                out.append_null();
                continue;
            }
            Some(p) => p.value(i),
        };
        if values.is_null(i) {
            out.append_null();
            continue;
        }
        if parsed.as_ref().is_none_or(|(p, _)| p != pattern) {
            match tokens(pattern) {
                Ok(t) => parsed = Some((pattern.to_string(), t)),
                Err(what) => {
                    return exec_err!(
                        "[UNSUPPORTED_FEATURE] The feature is not supported: the datetime \
                         pattern '{pattern}' ({what}) in the embedded engine."
                    );
                }
            }
        }
        let Some((_, toks)) = &parsed else {
            out.append_null();
            continue;
        };
        let text = values.value(i);
        match strict(toks, text) {
            Some(micros) => out.append_value(micros / 1_000_000),
            None if lenient(toks, text) => {
                return exec_err!(
                    "[INCONSISTENT_BEHAVIOR_CROSS_VERSION] You may get a different result due \
                     to the upgrading to Spark >= 3.0: Fail to parse '{text}' in the new \
                     parser. You can set spark.sql.legacy.timeParserPolicy to LEGACY to \
                     restore the behavior before Spark 3.0, or set to CORRECTED and treat it \
                     as an invalid datetime string."
                );
            }
            None => out.append_null(),
        }
    }
    Ok(Arc::new(out.finish()))
}
