//! The wire side of `COPY … TO STDOUT`: rows as COPY text or CSV lines.
//!
//! Owns: writing each value in its Postgres text form (the same as the text result
//! format) with COPY's escaping — text format: `\\`, `\n`, `\r`, `\t`, the delimiter and
//! other control characters escaped, NULL as `\N`; CSV: quoted when a value holds the
//! delimiter, the quote, a line break, equals the NULL string or is `\.` — and sending
//! them: one CopyData message per batch of rows, streamed as the batches arrive, then
//! CopyDone and `COPY n`. An error mid-stream ends the copy with an ErrorResponse, as
//! Postgres does (pgwire's own copy-out answers with CopyFail, a frontend-only message
//! clients reject).

use std::fmt::Debug;

use bytes::{BufMut, BytesMut};
use futures::{Sink, SinkExt, StreamExt};
use pgwire::api::results::{CopyResponse, Response, Tag};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::copy::{CopyData, CopyDone, CopyOutResponse};
use pgwire::types::ToSqlText;
use pgwire::types::format::FormatOptions;
use postgres_types::IsNull;

use super::copy::CopyFormat;
use super::output::{Field, Rows};
use crate::errors::GatewayError;
use crate::pgtypes::PgValue;

/// Send `rows` as a whole copy-out: CopyOutResponse, a CopyData per batch, CopyDone; the
/// `COPY n` completion is the returned response.
pub async fn send<C>(client: &mut C, rows: Rows, format: CopyFormat) -> PgWireResult<Response>
where
    C: Sink<PgWireBackendMessage> + Unpin + Send,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    let fields = rows.fields.clone();
    let columns = i16::try_from(fields.len()).unwrap_or(i16::MAX);
    let start = CopyOutResponse::new(0, columns, vec![0; fields.len()]);
    client
        .send(PgWireBackendMessage::CopyOutResponse(start))
        .await?;
    let mut data = BytesMut::new();
    if format.header {
        data.extend_from_slice(&header_line(&fields, &format));
    }
    let mut count = 0usize;
    let mut batches = rows.batches;
    while let Some(batch) = batches.next().await {
        let batch = batch.map_err(GatewayError::into_pgwire)?;
        for row in &batch {
            write_row(&mut data, row, &fields, &format)?;
        }
        count += batch.len();
        if !data.is_empty() {
            let chunk = data.split().freeze();
            client
                .feed(PgWireBackendMessage::CopyData(CopyData::new(chunk)))
                .await?;
        }
    }
    if !data.is_empty() {
        client
            .feed(PgWireBackendMessage::CopyData(CopyData::new(data.freeze())))
            .await?;
    }
    client
        .send(PgWireBackendMessage::CopyDone(CopyDone::new()))
        .await?;
    Ok(Response::Execution(Tag::new("COPY").with_rows(count)))
}

/// A `CopyOutResponse` streaming `rows` in `format`, for pgwire to send (a COPY that
/// follows other statements in one simple-query message).
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
