//! The wire side of `COPY … TO STDOUT`: rows as COPY text or CSV lines.
//!
//! Owns: writing each value in its Postgres text form (the same as the text result
//! format) with COPY's escaping — text format: `\\`, `\n`, `\r`, `\t`, the delimiter and
//! other control characters escaped, NULL as `\N`; CSV: quoted when a value holds the
//! delimiter, the quote, a line break, equals the NULL string or is `\.` — one CopyData
//! message per row (the header line travels with the first row, so the `COPY n` count
//! is the number of rows), streamed batch by batch.

use bytes::{BufMut, BytesMut};
use futures::StreamExt;
use pgwire::api::results::CopyResponse;
use pgwire::error::PgWireResult;
use pgwire::messages::copy::CopyData;
use pgwire::types::ToSqlText;
use pgwire::types::format::FormatOptions;
use postgres_types::IsNull;

use super::copy::CopyFormat;
use super::output::{Field, Rows};
use crate::errors::GatewayError;
use crate::pgtypes::PgValue;

/// A `CopyOutResponse` streaming `rows` in `format`.
pub fn response(rows: Rows, format: CopyFormat) -> CopyResponse {
    let fields = rows.fields.clone();
    let mut header = if format.header {
        header_line(&fields, &format)
    } else {
        Vec::new()
    };
    let lines = rows
        .batches
        .map(move |batch| match batch {
            Ok(b) => b
                .iter()
                .map(|row| {
                    let mut line = BytesMut::from(std::mem::take(&mut header).as_slice());
                    write_row(&mut line, row, &fields, &format)?;
                    Ok(CopyData::new(line.freeze()))
                })
                .collect::<Vec<PgWireResult<CopyData>>>(),
            Err(e) => vec![Err(e.into_pgwire())],
        })
        .flat_map(futures::stream::iter);
    CopyResponse::new(0, rows.fields.len(), lines)
}

fn header_line(fields: &[Field], f: &CopyFormat) -> Vec<u8> {
    let mut out = BytesMut::new();
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            push_char(&mut out, f.delimiter);
        }
        write_text(&mut out, &field.name, f);
    }
    out.put_u8(b'\n');
    out.to_vec()
}

fn write_row(
    out: &mut BytesMut,
    row: &[PgValue],
    fields: &[Field],
    f: &CopyFormat,
) -> PgWireResult<()> {
    let opts = FormatOptions::default();
    let mut buf = BytesMut::new();
    for (i, (v, field)) in row.iter().zip(fields).enumerate() {
        if i > 0 {
            push_char(out, f.delimiter);
        }
        buf.clear();
        let ty = field.pg_type().pg;
        let null = v
            .to_sql_text(&ty, &mut buf, &opts)
            .map_err(|e| GatewayError::internal(format!("COPY column {i}: {e}")).into_pgwire())?;
        match null {
            IsNull::Yes => out.extend_from_slice(f.null.as_bytes()),
            IsNull::No => {
                let text = String::from_utf8_lossy(&buf);
                write_text(out, &text, f);
            }
        }
    }
    out.put_u8(b'\n');
    Ok(())
}

fn push_char(out: &mut BytesMut, c: char) {
    let mut b = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
}

/// One non-NULL value (or a header name), escaped for the format.
fn write_text(out: &mut BytesMut, text: &str, f: &CopyFormat) {
    if f.csv {
        let needs_quotes = text.is_empty() && f.null.is_empty()
            || text == f.null
            || text == "\\."
            || text
                .chars()
                .any(|c| c == f.delimiter || c == f.quote || c == '\n' || c == '\r');
        if !needs_quotes {
            out.extend_from_slice(text.as_bytes());
            return;
        }
        push_char(out, f.quote);
        for c in text.chars() {
            if c == f.quote || c == f.escape {
                push_char(out, f.escape);
            }
            push_char(out, c);
        }
        push_char(out, f.quote);
        return;
    }
    for c in text.chars() {
        match c {
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' if f.delimiter == '\t' => out.extend_from_slice(b"\\t"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            '\u{b}' => out.extend_from_slice(b"\\v"),
            c if c == f.delimiter => {
                out.put_u8(b'\\');
                push_char(out, c);
            }
            c => push_char(out, c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str, f: &CopyFormat) -> String {
        let mut out = BytesMut::new();
        write_text(&mut out, s, f);
        String::from_utf8(out.to_vec()).unwrap()
    }

    #[test]
    fn values_are_escaped_as_postgres_does() {
        let t = CopyFormat::text();
        assert_eq!(text("a\tb\\c\nd", &t), "a\\tb\\\\c\\nd");
        let csv = CopyFormat {
            csv: true,
            delimiter: ',',
            null: String::new(),
            ..t
        };
        assert_eq!(text("plain", &csv), "plain");
        assert_eq!(text("a,b", &csv), "\"a,b\"");
        assert_eq!(text("say \"hi\"", &csv), "\"say \"\"hi\"\"\"");
        assert_eq!(text("", &csv), "\"\"");
        assert_eq!(text("two\nlines", &csv), "\"two\nlines\"");
        assert_eq!(text("\\.", &csv), "\"\\.\"");
    }
}
