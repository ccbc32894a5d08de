//! Result files as typed rows, incrementally: bytes go in as they arrive, rows come out.
//!
//! Owns: the dialect of DLI's result files and its reading — CSV as Spark writes it
//! (RFC 4180 quoting, `\` escaping inside quotes, NULL as an empty unquoted field, `""`
//! as the empty string; parsed by `csv-core`) and JSON lines (one object per row, NULL
//! fields omitted) — each value read as its column's Spark type through the one type
//! table ([`PgValue::from_text`], [`PgValue::from_json`]). A file that does not match the
//! schema is an error naming the file and line; never a wrong row.

use std::collections::HashMap;
use std::sync::Arc;

use csv_core::{ReadFieldResult, Reader, ReaderBuilder};
use serde_json::value::RawValue;

use crate::errors::{ErrorKind, GatewayError};
use crate::pgtypes::{PgValue, SparkType, spelling::shorten};

/// The layout of a result file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// Spark-dialect CSV; `header`: the first line of each file names the columns.
    Csv { header: bool },
    /// One JSON object per line.
    JsonLines,
}

/// A result column: its name and Spark type.
pub type ColumnTypes = Arc<Vec<(String, SparkType)>>;

/// Rows decoded so far, each value typed for the wire.
pub type TypedRow = Vec<PgValue>;

/// Reads one file.
pub struct Decoder {
    file: String,
    columns: ColumnTypes,
    format: FileFormat,
    null: Vec<u8>,
    csv: Reader,
    /// Bytes of the current record's fields, and where each field ends (+ quoted).
    buf: Vec<u8>,
    len: usize,
    ends: Vec<(usize, bool)>,
    quoted: bool,
    /// Newlines consumed so far; the line the current record starts on.
    newlines: u64,
    record_line: u64,
    /// Between records (in the run of line ends before the next one).
    in_run: bool,
    /// Newlines consumed up to the last content byte of the previous record.
    content_nl: u64,
    records: u64,
    /// A JSON line not yet complete.
    line: Vec<u8>,
}

impl Decoder {
    pub fn new(file: String, columns: ColumnTypes, format: FileFormat, null: &str) -> Decoder {
        Decoder {
            file,
            columns,
            format,
            null: null.as_bytes().to_vec(),
            csv: ReaderBuilder::new().escape(Some(b'\\')).build(),
            buf: vec![0; 4096],
            len: 0,
            ends: Vec::new(),
            quoted: false,
            newlines: 0,
            record_line: 1,
            in_run: true,
            content_nl: 0,
            records: 0,
            line: Vec::new(),
        }
    }

    fn error(&self, line: u64, what: impl std::fmt::Display) -> GatewayError {
        GatewayError::new(
            ErrorKind::Upstream,
            format!("result file {} line {line}: {what}", self.file),
        )
        .with_hint("The result files do not match the job's schema; check [results] csv_null and the export settings.")
    }

    /// Decode `input`, appending complete rows to `rows`.
    pub fn feed(&mut self, input: &[u8], rows: &mut Vec<TypedRow>) -> Result<(), GatewayError> {
        match self.format {
            FileFormat::Csv { .. } => self.feed_csv(input, rows),
            FileFormat::JsonLines => self.feed_json(input, rows),
        }
    }

    /// End of the file: flush the last record.
    pub fn finish(&mut self, rows: &mut Vec<TypedRow>) -> Result<(), GatewayError> {
        match self.format {
            FileFormat::Csv { .. } => {
                self.feed_csv(&[], rows)?;
                // Blank lines after the last record are rows of one NULL column.
                if self.in_run {
                    self.blank_lines(self.blank_before(), rows)?;
                    self.in_run = false;
                }
                Ok(())
            }
            FileFormat::JsonLines => {
                let line = std::mem::take(&mut self.line);
                self.json_line(&line, rows)
            }
        }
    }

    fn feed_csv(&mut self, mut input: &[u8], rows: &mut Vec<TypedRow>) -> Result<(), GatewayError> {
        let at_eof = input.is_empty();
        loop {
            let (res, nin, nout) = self.csv.read_field(input, &mut self.buf[self.len..]);
            let consumed = &input[..nin];
            self.scan(consumed, rows)?;
            input = &input[nin..];
            self.len += nout;
            match res {
                ReadFieldResult::InputEmpty => {
                    if at_eof {
                        continue;
                    }
                    return Ok(());
                }
                ReadFieldResult::OutputFull => {
                    let grown = self.buf.len() * 2;
                    self.buf.resize(grown, 0);
                }
                ReadFieldResult::Field { record_end } => {
                    self.ends.push((self.len, self.quoted));
                    self.quoted = false;
                    if record_end {
                        // csv-core consumes the record's line end with it.
                        let ends = consumed
                            .iter()
                            .rev()
                            .take_while(|&&b| matches!(b, b'\n' | b'\r'));
                        self.content_nl =
                            self.newlines - ends.filter(|&&b| b == b'\n').count() as u64;
                        self.end_record(rows)?;
                    }
                    // csv-core reads empty input as the end of the file.
                    if input.is_empty() && !at_eof {
                        return Ok(());
                    }
                }
                ReadFieldResult::End => return Ok(()),
            }
        }
    }

    /// Track lines, quoting and skipped blank lines in the bytes just consumed.
    fn scan(&mut self, consumed: &[u8], rows: &mut Vec<TypedRow>) -> Result<(), GatewayError> {
        let mut rest = consumed;
        if self.in_run {
            let i = rest
                .iter()
                .position(|b| !matches!(b, b'\n' | b'\r'))
                .unwrap_or(rest.len());
            self.newlines += count_newlines(&rest[..i]);
            if i == rest.len() {
                return Ok(());
            }
            // The record starts here; line ends before it, beyond the previous record's
            // own, were blank lines (csv-core skips them).
            self.in_run = false;
            self.record_line = self.newlines + 1;
            self.blank_lines(self.blank_before(), rows)?;
            rest = &rest[i..];
        }
        self.newlines += count_newlines(rest);
        if rest.contains(&b'"') {
            self.quoted = true;
        }
        Ok(())
    }

    /// Blank lines between the previous record (or the file's start) and here.
    fn blank_before(&self) -> u64 {
        if self.records == 0 {
            self.newlines
        } else {
            (self.newlines - self.content_nl).saturating_sub(1)
        }
    }

    /// Spark writes a row whose only column is NULL as an empty line.
    fn blank_lines(&mut self, n: u64, rows: &mut Vec<TypedRow>) -> Result<(), GatewayError> {
        if n == 0 {
            return Ok(());
        }
        if self.columns.len() != 1 || !self.null.is_empty() {
            return Err(self.error(self.newlines + 1 - n, "empty line"));
        }
        for _ in 0..n {
            rows.push(vec![PgValue::Null]);
        }
        Ok(())
    }

    fn end_record(&mut self, rows: &mut Vec<TypedRow>) -> Result<(), GatewayError> {
        let line = self.record_line;
        let first = self.records == 0;
        self.records += 1;
        self.in_run = true;
        let ends = std::mem::take(&mut self.ends);
        let len = std::mem::replace(&mut self.len, 0);
        let fields = &self.buf[..len];
        if ends.len() != self.columns.len() {
            return Err(self.error(
                line,
                format!(
                    "{} fields, but the result has {} columns",
                    ends.len(),
                    self.columns.len()
                ),
            ));
        }
        let mut start = 0;
        let mut row = Vec::with_capacity(ends.len());
        for (&(end, quoted), (name, ty)) in ends.iter().zip(self.columns.iter()) {
            let raw = &fields[start..end];
            start = end;
            let text = std::str::from_utf8(raw)
                .map_err(|_| self.error(line, format!("column {name}: not UTF-8")))?;
            if first && matches!(self.format, FileFormat::Csv { header: true }) {
                if text != name {
                    return Err(self.error(
                        line,
                        format!(
                            "header names column {:?} where the result has {name:?}",
                            shorten(text, 64)
                        ),
                    ));
                }
                continue;
            }
            if !quoted && raw == self.null.as_slice() {
                row.push(PgValue::Null);
                continue;
            }
            row.push(
                PgValue::from_text(text, ty)
                    .map_err(|e| self.error(line, format!("column {name}: {e}")))?,
            );
        }
        if !row.is_empty() || self.columns.is_empty() {
            rows.push(row);
        }
        Ok(())
    }

    fn feed_json(&mut self, input: &[u8], rows: &mut Vec<TypedRow>) -> Result<(), GatewayError> {
        let mut rest = input;
        while let Some(i) = rest.iter().position(|&b| b == b'\n') {
            let line = if self.line.is_empty() {
                self.json_line(&rest[..i], rows)?;
                None
            } else {
                self.line.extend_from_slice(&rest[..i]);
                Some(std::mem::take(&mut self.line))
            };
            if let Some(line) = line {
                self.json_line(&line, rows)?;
            }
            rest = &rest[i + 1..];
        }
        self.line.extend_from_slice(rest);
        Ok(())
    }

    fn json_line(&mut self, line: &[u8], rows: &mut Vec<TypedRow>) -> Result<(), GatewayError> {
        self.newlines += 1;
        let at = self.newlines;
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        let object: HashMap<String, &RawValue> = serde_json::from_slice(line)
            .map_err(|e| self.error(at, format!("not a JSON object: {e}")))?;
        let mut row = Vec::with_capacity(self.columns.len());
        for (name, ty) in self.columns.iter() {
            let value = match object.get(name.as_str()) {
                None => PgValue::Null,
                Some(raw) => json_value(raw, ty)
                    .map_err(|e| self.error(at, format!("column {name}: {e}")))?,
            };
            row.push(value);
        }
        if let Some(extra) = object
            .keys()
            .find(|k| !self.columns.iter().any(|(n, _)| n == *k))
        {
            return Err(self.error(at, format!("unknown column {:?}", shorten(extra, 64))));
        }
        rows.push(row);
        Ok(())
    }
}

fn count_newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

/// One JSON value of a result line; decimals keep every digit (read from the raw text).
fn json_value(raw: &RawValue, ty: &SparkType) -> Result<PgValue, String> {
    let text = raw.get();
    if text == "null" {
        return Ok(PgValue::Null);
    }
    if matches!(ty, SparkType::Decimal(..)) {
        let digits = text.trim_matches('"');
        return PgValue::from_text(digits, ty).map_err(|e| e.to_string());
    }
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    PgValue::from_json(&v, ty).map_err(|e| e.to_string())
}

#[cfg(test)]
#[path = "decode_tests.rs"]
mod tests;
