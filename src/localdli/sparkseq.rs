//! Spark's `sequence(start, stop[, step])` for the embedded engine (datafusion-spark has
//! none). The bounds are integers (the result keeps their width: `sequence(1, 5)` is an
//! `array<int>`), or dates / timestamps stepped by an interval (one day when no step is
//! given). As Spark 3.3: without a step it counts down when `start > stop`; a step
//! pointing away from `stop`, or a zero step between different bounds, fails with
//! `Illegal sequence boundaries` (a zero step between equal bounds gives `[start]`); a
//! NULL argument gives NULL. Integer sequences are built here; temporal ones by
//! DataFusion's `generate_series` once the bounds are checked.
//!
//! Owns this one function.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Builder, ListBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Field, Int64Type, IntervalMonthDayNano, IntervalMonthDayNanoType,
    IntervalUnit, TimeUnit,
};
use datafusion::common::{ScalarValue, exec_err, plan_err};
use datafusion::error::Result;
use datafusion::functions_nested::range::gen_series_udf;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

/// Spark's limit on an array's length (`ByteArrayMethods.MAX_ROUNDED_ARRAY_LENGTH`).
const MAX_LENGTH: u64 = 2_147_483_632;
const MICROS_PER_DAY: i64 = 86_400_000_000;

#[derive(Debug, PartialEq, Eq, Hash)]
struct Sequence {
    signature: Signature,
}

/// The `sequence` function.
pub fn udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(Sequence {
        signature: Signature::user_defined(Volatility::Immutable),
    })
}

fn is_int(t: &DataType) -> bool {
    t.is_integer() || t.is_null()
}

fn is_temporal(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Date32 | DataType::Date64 | DataType::Timestamp(..)
    ) || t.is_null()
}

fn list_of(t: DataType) -> DataType {
    DataType::List(Arc::new(Field::new_list_field(t, true)))
}

impl ScalarUDFImpl for Sequence {
    fn name(&self) -> &str {
        "sequence"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        if !(2..=3).contains(&types.len()) {
            return plan_err!(
                "Invalid number of arguments for function sequence. Expected: 2 or 3; Found: {}",
                types.len()
            );
        }
        let (bounds, step) = types.split_at(2);
        if types.iter().all(is_int) {
            let wide = types
                .iter()
                .any(|t| matches!(t, DataType::Int64 | DataType::UInt32 | DataType::UInt64));
            let t = if wide {
                DataType::Int64
            } else {
                DataType::Int32
            };
            return Ok(vec![t; types.len()]);
        }
        let step_ok = step
            .iter()
            .all(|t| matches!(t, DataType::Interval(_) | DataType::Null));
        if bounds.iter().all(is_temporal) && step_ok {
            let ts = bounds
                .iter()
                .find(|t| matches!(t, DataType::Timestamp(..)))
                .cloned();
            let bound = ts.unwrap_or(DataType::Date32);
            let mut out = vec![bound.clone(), bound];
            out.extend(
                step.iter()
                    .map(|_| DataType::Interval(IntervalUnit::MonthDayNano)),
            );
            return Ok(out);
        }
        let shown: Vec<String> = types.iter().map(|t| t.to_string()).collect();
        plan_err!(
            "[DATATYPE_MISMATCH.SEQUENCE_WRONG_INPUT_TYPES] Cannot resolve \"sequence\" due to \
             data type mismatch: sequence uses the wrong parameter type. The parameter type must \
             conform to: the start and stop expressions must resolve to the same type (integral, \
             date or timestamp), and a step of a date or timestamp sequence must be an interval; \
             found ({}).",
            shown.join(", ")
        )
    }

    fn return_type(&self, types: &[DataType]) -> Result<DataType> {
        Ok(match types.first() {
            Some(DataType::Date64) => list_of(DataType::Date32),
            Some(t @ (DataType::Int32 | DataType::Int64 | DataType::Date32)) => list_of(t.clone()),
            Some(DataType::Timestamp(_, tz)) => {
                list_of(DataType::Timestamp(TimeUnit::Microsecond, tz.clone()))
            }
            _ => list_of(DataType::Int32),
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let scalar = args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let out = match arrays[0].data_type() {
            DataType::Int32 | DataType::Int64 | DataType::Null => integers(&arrays)?,
            _ => temporal(&args, &arrays)?,
        };
        let out = cast(&out, args.return_field.data_type())?;
        if scalar {
            Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?))
        } else {
            Ok(ColumnarValue::Array(out))
        }
    }
}

/// The error Spark's `require` raises for bounds the step cannot reach. Spark 3.3 gives
/// it no error class (a Java `IllegalArgumentException`); the class here names that.
fn illegal<T>(
    start: impl std::fmt::Display,
    stop: impl std::fmt::Display,
    step: &str,
) -> Result<T> {
    exec_err!(
        "[ILLEGAL_ARGUMENT] requirement failed: Illegal sequence boundaries: {start} to {stop} \
         by {step}"
    )
}

/// Spark's direction rule for a step of sign `step` (its estimate for intervals).
fn legal(start: i64, stop: i64, step: i128) -> bool {
    (step > 0 && start <= stop) || (step < 0 && start >= stop) || (step == 0 && start == stop)
}

fn integers(arrays: &[ArrayRef]) -> Result<ArrayRef> {
    let longs: Vec<ArrayRef> = arrays
        .iter()
        .map(|a| cast(a, &DataType::Int64))
        .collect::<std::result::Result<_, _>>()?;
    let cols: Vec<&datafusion::arrow::array::PrimitiveArray<Int64Type>> = longs
        .iter()
        .map(|a| a.as_primitive::<Int64Type>())
        .collect();
    let rows = cols.first().map_or(0, |c| c.len());
    let mut out = ListBuilder::new(Int64Builder::new());
    for row in 0..rows {
        if cols.iter().any(|c| c.is_null(row)) {
            out.append_null();
            continue;
        }
        let (start, stop) = (cols[0].value(row), cols[1].value(row));
        let step = match cols.get(2) {
            Some(c) => c.value(row),
            None if start <= stop => 1,
            None => -1,
        };
        if !legal(start, stop, i128::from(step)) {
            return illegal(start, stop, &step.to_string());
        }
        let count = match step {
            0 => 1,
            s => start.abs_diff(stop) / s.unsigned_abs() + 1,
        };
        if count > MAX_LENGTH {
            return exec_err!(
                "[ILLEGAL_ARGUMENT] Too long sequence: {count}. Should be <= {MAX_LENGTH}"
            );
        }
        let mut v = start;
        for _ in 0..count {
            out.values().append_value(v);
            v = v.wrapping_add(step);
        }
        out.append(true);
    }
    Ok(Arc::new(out.finish()))
}

/// A bound in microseconds since the epoch.
fn micros(a: &ArrayRef, row: usize) -> Result<i64> {
    Ok(match a.data_type() {
        DataType::Date32 => i64::from(a.as_primitive::<Date32Type>().value(row)) * MICROS_PER_DAY,
        DataType::Timestamp(unit, _) => {
            let v = cast(&a.slice(row, 1), &DataType::Int64)?;
            let v = v.as_primitive::<Int64Type>().value(0);
            match unit {
                TimeUnit::Second => v.saturating_mul(1_000_000),
                TimeUnit::Millisecond => v.saturating_mul(1_000),
                TimeUnit::Microsecond => v,
                TimeUnit::Nanosecond => v / 1_000,
            }
        }
        other => return exec_err!("sequence: unexpected bound type {other}"),
    })
}

fn temporal(args: &ScalarFunctionArgs, arrays: &[ArrayRef]) -> Result<ArrayRef> {
    let (start, stop) = (&arrays[0], &arrays[1]);
    let rows = start.len();
    let day = IntervalMonthDayNanoType::make_value(0, 1, 0);
    let mut steps: Vec<Option<IntervalMonthDayNano>> = Vec::with_capacity(rows);
    for row in 0..rows {
        let given = arrays
            .get(2)
            .map(|s| s.as_primitive::<IntervalMonthDayNanoType>());
        if start.is_null(row) || stop.is_null(row) || given.is_some_and(|g| g.is_null(row)) {
            steps.push(None);
            continue;
        }
        let (a, b) = (micros(start, row)?, micros(stop, row)?);
        let step = match given {
            Some(g) => g.value(row),
            None if a <= b => day,
            None => IntervalMonthDayNanoType::make_value(0, -1, 0),
        };
        let (months, days, nanos) = IntervalMonthDayNanoType::to_parts(step);
        // Spark's estimate of a step's length: a month counted as 28 days.
        let estimate = i128::from(nanos / 1_000)
            + i128::from(days) * i128::from(MICROS_PER_DAY)
            + i128::from(months) * 28 * i128::from(MICROS_PER_DAY);
        if !legal(a, b, estimate) {
            // As Spark shows them: dates in days, timestamps in microseconds.
            if start.data_type() == &DataType::Date32 && months == 0 && nanos == 0 {
                let day = MICROS_PER_DAY;
                return illegal(a / day, b / day, &days.to_string());
            }
            let shown = format!("{months} months {days} days {} microseconds", nanos / 1_000);
            return illegal(a, b, &shown);
        }
        // A zero step between equal bounds is `[start]`, which any step gives.
        steps.push(Some(if estimate == 0 { day } else { step }));
    }
    let steps: ArrayRef = Arc::new(
        steps
            .into_iter()
            .collect::<datafusion::arrow::array::IntervalMonthDayNanoArray>(),
    );
    let inner = gen_series_udf();
    let values = vec![
        ColumnarValue::Array(Arc::clone(start)),
        ColumnarValue::Array(Arc::clone(stop)),
        ColumnarValue::Array(Arc::clone(&steps)),
    ];
    let types: Vec<DataType> = values.iter().map(|v| v.data_type()).collect();
    let arg_fields = types
        .iter()
        .map(|t| Arc::new(Field::new("a", t.clone(), true)))
        .collect();
    let ret = inner.return_type(&types)?;
    let out = inner.invoke_with_args(ScalarFunctionArgs {
        args: values,
        arg_fields,
        number_rows: rows,
        return_field: Arc::new(Field::new("generate_series", ret, true)),
        config_options: Arc::clone(&args.config_options),
    })?;
    out.to_array(rows)
}
