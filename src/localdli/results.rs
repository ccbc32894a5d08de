//! Query results: rendering Arrow values to DLI's JSON (preview `rows`, sync `rows`,
//! result files), writing the full result of a job as JSON lines under
//! `<warehouse>/.results/<job_id>/` (exports of it are [`super::export`]'s).
//!
//! Value rendering: integers and floats as numbers (NaN/±Infinity as the strings
//! "NaN", "Infinity", "-Infinity"), decimals as strings keeping their scale, dates
//! `YYYY-MM-DD`, timestamps `YYYY-MM-DD HH:MM:SS[.ffffff]` (trailing zeros trimmed, as
//! Spark prints them), binary as base64, arrays as JSON arrays, maps and structs as
//! JSON objects, NULL as null. Owns no SQL and no HTTP.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use chrono::{NaiveDateTime, Timelike};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, MapArray, StructArray};
use datafusion::arrow::datatypes::*;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use serde_json::{Number, Value};

use super::config::PREVIEW_LIMIT;

/// Name of the single result file of a job.
pub const RESULT_FILE: &str = "part-00000.json";

/// Renders every row of a batch.
pub fn render_batch(batch: &RecordBatch) -> Vec<Vec<Value>> {
    (0..batch.num_rows())
        .map(|row| {
            batch
                .columns()
                .iter()
                .map(|col| render_value(col.as_ref(), row))
                .collect()
        })
        .collect()
}

/// Renders one value of an array as DLI JSON.
pub fn render_value(array: &dyn Array, row: usize) -> Value {
    // A NullArray (Spark `void`) has no validity bitmap: every value is NULL.
    if row >= array.len() || array.is_null(row) || *array.data_type() == DataType::Null {
        return Value::Null;
    }
    render_non_null(array, row).unwrap_or_else(|| fallback(array, row))
}

fn render_non_null(a: &dyn Array, row: usize) -> Option<Value> {
    Some(match a.data_type() {
        DataType::Boolean => Value::Bool(a.as_boolean_opt()?.value(row)),
        DataType::Int8 => Value::from(a.as_primitive_opt::<Int8Type>()?.value(row)),
        DataType::Int16 => Value::from(a.as_primitive_opt::<Int16Type>()?.value(row)),
        DataType::Int32 => Value::from(a.as_primitive_opt::<Int32Type>()?.value(row)),
        DataType::Int64 => Value::from(a.as_primitive_opt::<Int64Type>()?.value(row)),
        DataType::UInt8 => Value::from(a.as_primitive_opt::<UInt8Type>()?.value(row)),
        DataType::UInt16 => Value::from(a.as_primitive_opt::<UInt16Type>()?.value(row)),
        DataType::UInt32 => Value::from(a.as_primitive_opt::<UInt32Type>()?.value(row)),
        DataType::UInt64 => Value::from(a.as_primitive_opt::<UInt64Type>()?.value(row)),
        DataType::Float32 => {
            let v = a.as_primitive_opt::<Float32Type>()?.value(row);
            float(v.to_string().parse::<f64>().unwrap_or(f64::from(v)))
        }
        DataType::Float64 => float(a.as_primitive_opt::<Float64Type>()?.value(row)),
        DataType::Decimal128(_, _) => {
            Value::String(a.as_primitive_opt::<Decimal128Type>()?.value_as_string(row))
        }
        DataType::Decimal256(_, _) => {
            Value::String(a.as_primitive_opt::<Decimal256Type>()?.value_as_string(row))
        }
        DataType::Utf8 => Value::String(a.as_string_opt::<i32>()?.value(row).to_string()),
        DataType::LargeUtf8 => Value::String(a.as_string_opt::<i64>()?.value(row).to_string()),
        DataType::Utf8View => Value::String(a.as_string_view_opt()?.value(row).to_string()),
        DataType::Binary => base64(a.as_binary_opt::<i32>()?.value(row)),
        DataType::LargeBinary => base64(a.as_binary_opt::<i64>()?.value(row)),
        DataType::BinaryView => base64(a.as_binary_view_opt()?.value(row)),
        DataType::FixedSizeBinary(_) => base64(a.as_fixed_size_binary_opt()?.value(row)),
        DataType::Date32 => {
            let d = a.as_primitive_opt::<Date32Type>()?.value_as_date(row)?;
            Value::String(d.format("%Y-%m-%d").to_string())
        }
        DataType::Date64 => {
            let d = a.as_primitive_opt::<Date64Type>()?.value_as_date(row)?;
            Value::String(d.format("%Y-%m-%d").to_string())
        }
        DataType::Timestamp(unit, _) => Value::String(timestamp_text(timestamp(a, *unit, row)?)),
        DataType::List(_) => list(a.as_list_opt::<i32>()?.value(row)),
        DataType::LargeList(_) => list(a.as_list_opt::<i64>()?.value(row)),
        DataType::FixedSizeList(_, _) => list(a.as_fixed_size_list_opt()?.value(row)),
        DataType::Struct(_) => structure(a.as_struct_opt()?, row),
        DataType::Map(_, _) => map(a.as_map_opt()?, row),
        DataType::Interval(IntervalUnit::MonthDayNano) => {
            let v = a.as_primitive_opt::<IntervalMonthDayNanoType>()?.value(row);
            Value::String(calendar_interval_text(
                v.months,
                v.days,
                v.nanoseconds / 1000,
            ))
        }
        DataType::Duration(unit) => {
            let nanos = match unit {
                TimeUnit::Second => a
                    .as_primitive_opt::<DurationSecondType>()?
                    .value(row)
                    .checked_mul(1_000_000_000)?,
                TimeUnit::Millisecond => a
                    .as_primitive_opt::<DurationMillisecondType>()?
                    .value(row)
                    .checked_mul(1_000_000)?,
                TimeUnit::Microsecond => a
                    .as_primitive_opt::<DurationMicrosecondType>()?
                    .value(row)
                    .checked_mul(1000)?,
                TimeUnit::Nanosecond => a.as_primitive_opt::<DurationNanosecondType>()?.value(row),
            };
            Value::String(day_time_interval_text(nanos))
        }
        _ => return None,
    })
}

/// Spark's `CalendarInterval` text: `100 years 11 months 8 days 12 hours 30 minutes
/// 1.001001 seconds`, zero units left out, `0 seconds` for a zero interval.
fn calendar_interval_text(months: i32, days: i32, micros: i64) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut unit = |v: i64, name: &str| {
        if v != 0 {
            parts.push(format!("{v} {name}"));
        }
    };
    unit(i64::from(months / 12), "years");
    unit(i64::from(months % 12), "months");
    unit(i64::from(days), "days");
    unit(micros / 3_600_000_000, "hours");
    unit(micros % 3_600_000_000 / 60_000_000, "minutes");
    let rest = micros % 60_000_000;
    if rest != 0 {
        let sign = if rest < 0 { "-" } else { "" };
        let abs = rest.unsigned_abs();
        let frac = format!("{:06}", abs % 1_000_000);
        let frac = frac.trim_end_matches('0');
        let whole = abs / 1_000_000;
        parts.push(if frac.is_empty() {
            format!("{sign}{whole} seconds")
        } else {
            format!("{sign}{whole}.{frac} seconds")
        });
    }
    if parts.is_empty() {
        "0 seconds".into()
    } else {
        parts.join(" ")
    }
}

/// Spark's day-time interval as its CLI prints it: `1 12:30:01.001001000`.
fn day_time_interval_text(nanos: i64) -> String {
    let sign = if nanos < 0 { "-" } else { "" };
    let n = nanos.unsigned_abs();
    let secs = n / 1_000_000_000;
    format!(
        "{sign}{} {:02}:{:02}:{:02}.{:09}",
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60,
        n % 1_000_000_000
    )
}

fn fallback(array: &dyn Array, row: usize) -> Value {
    match ArrayFormatter::try_new(array, &FormatOptions::default()) {
        Ok(f) => Value::String(f.value(row).to_string()),
        Err(_) => Value::Null,
    }
}

fn float(v: f64) -> Value {
    if v.is_nan() {
        Value::String("NaN".into())
    } else if v.is_infinite() {
        Value::String(if v > 0.0 { "Infinity" } else { "-Infinity" }.into())
    } else {
        Number::from_f64(v)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

fn base64(bytes: &[u8]) -> Value {
    Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
}

fn timestamp(a: &dyn Array, unit: TimeUnit, row: usize) -> Option<NaiveDateTime> {
    match unit {
        TimeUnit::Second => a
            .as_primitive_opt::<TimestampSecondType>()?
            .value_as_datetime(row),
        TimeUnit::Millisecond => a
            .as_primitive_opt::<TimestampMillisecondType>()?
            .value_as_datetime(row),
        TimeUnit::Microsecond => a
            .as_primitive_opt::<TimestampMicrosecondType>()?
            .value_as_datetime(row),
        TimeUnit::Nanosecond => a
            .as_primitive_opt::<TimestampNanosecondType>()?
            .value_as_datetime(row),
    }
}

/// `YYYY-MM-DD HH:MM:SS[.ffffff]`, fraction at microsecond precision, zeros trimmed.
pub fn timestamp_text(ts: NaiveDateTime) -> String {
    let base = ts.format("%Y-%m-%d %H:%M:%S").to_string();
    let micros = ts.nanosecond() / 1000;
    if micros == 0 {
        return base;
    }
    let frac = format!("{micros:06}");
    format!("{base}.{}", frac.trim_end_matches('0'))
}

fn list(values: ArrayRef) -> Value {
    Value::Array(
        (0..values.len())
            .map(|i| render_value(values.as_ref(), i))
            .collect(),
    )
}

fn structure(s: &StructArray, row: usize) -> Value {
    let mut obj = serde_json::Map::new();
    for (field, col) in s.fields().iter().zip(s.columns()) {
        obj.insert(field.name().clone(), render_value(col.as_ref(), row));
    }
    Value::Object(obj)
}

fn map(m: &MapArray, row: usize) -> Value {
    let entries = m.value(row);
    let mut obj = serde_json::Map::new();
    if entries.num_columns() < 2 {
        return Value::Object(obj);
    }
    let (keys, values) = (entries.column(0), entries.column(1));
    for i in 0..entries.len() {
        let key = match render_value(keys.as_ref(), i) {
            Value::String(s) => s,
            other => other.to_string(),
        };
        obj.insert(key, render_value(values.as_ref(), i));
    }
    Value::Object(obj)
}

/// Collects a job's full result into a JSON-lines file and keeps the preview rows.
pub struct ResultSink {
    dir: PathBuf,
    tmp: PathBuf,
    out: BufWriter<File>,
    pub preview: Vec<Vec<Value>>,
    pub rows: u64,
}

impl ResultSink {
    pub fn create(dir: &Path) -> io::Result<ResultSink> {
        fs::create_dir_all(dir)?;
        let tmp = dir.join(format!(".{RESULT_FILE}.tmp"));
        let out = BufWriter::new(File::create(&tmp)?);
        Ok(ResultSink {
            dir: dir.to_path_buf(),
            tmp,
            out,
            preview: Vec::new(),
            rows: 0,
        })
    }

    pub fn write(&mut self, batch: &RecordBatch) -> io::Result<()> {
        for row in render_batch(batch) {
            serde_json::to_writer(&mut self.out, &row).map_err(io::Error::other)?;
            self.out.write_all(b"\n")?;
            if self.preview.len() < PREVIEW_LIMIT {
                self.preview.push(row);
            }
            self.rows += 1;
        }
        Ok(())
    }

    /// Flushes and renames the file into place; returns the result folder.
    pub fn finish(mut self) -> io::Result<(PathBuf, Vec<Vec<Value>>, u64)> {
        self.out.flush()?;
        fs::rename(&self.tmp, self.dir.join(RESULT_FILE))?;
        Ok((self.dir, self.preview, self.rows))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Decimal128Array, Float64Array, TimestampMicrosecondArray};
    use std::sync::Arc;

    #[test]
    fn renders_spark_text() {
        let d = Decimal128Array::from(vec![Some(1230), None])
            .with_precision_and_scale(10, 2)
            .unwrap();
        assert_eq!(render_value(&d, 0), Value::String("12.30".into()));
        assert_eq!(render_value(&d, 1), Value::Null);
        let f = Float64Array::from(vec![f64::NAN, f64::NEG_INFINITY, 1.5]);
        assert_eq!(render_value(&f, 0), Value::String("NaN".into()));
        assert_eq!(render_value(&f, 1), Value::String("-Infinity".into()));
        assert_eq!(render_value(&f, 2), serde_json::json!(1.5));
        let t = TimestampMicrosecondArray::from(vec![1_700_000_000_120_000, 1_700_000_000_000_000]);
        assert_eq!(
            render_value(&t, 0),
            Value::String("2023-11-14 22:13:20.12".into())
        );
        assert_eq!(
            render_value(&t, 1),
            Value::String("2023-11-14 22:13:20".into())
        );
        let _keep: ArrayRef = Arc::new(t);
    }

    #[test]
    fn intervals_read_as_spark_prints_them() {
        assert_eq!(
            calendar_interval_text(1211, 8, 45_001_001_001),
            "100 years 11 months 8 days 12 hours 30 minutes 1.001001 seconds"
        );
        assert_eq!(calendar_interval_text(0, 0, 0), "0 seconds");
        assert_eq!(
            calendar_interval_text(-14, 0, -1_500_000),
            "-1 years -2 months -1.5 seconds"
        );
        assert_eq!(
            day_time_interval_text(131_401_001_001_000),
            "1 12:30:01.001001000"
        );
        assert_eq!(
            day_time_interval_text(-1_000_000_000),
            "-0 00:00:01.000000000"
        );
    }
}
