//! The wire side of results: protocol-neutral outputs to pgwire responses.
//!
//! Owns: building `RowDescription` fields from result columns (through the one type table
//! in [`crate::pgtypes`]), encoding each batch of rows as data rows in the format each
//! column asks for, command tags, and errors as `ErrorResponse`s. The only place results
//! meet pgwire.

use std::sync::Arc;

use futures::StreamExt;
use pgwire::api::portal::Format;
use pgwire::api::results::{DataRowEncoder, FieldFormat, FieldInfo, QueryResponse, Response, Tag};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::data::DataRow;
use pgwire::messages::response::NoticeResponse;

use super::output::{Batch, CommandTag, Counted, Field, FieldType, Output, Transaction};
use crate::errors::{ErrorKind, GatewayError};

/// The format Bind asked for column `i`: one code for all, one per column, or text. A
/// Bind with fewer codes than columns gets text for the rest rather than pgwire's
/// out-of-bounds panic ([`check_result_formats`] refuses it where the columns are known).
pub fn result_format(format: &Format, i: usize) -> FieldFormat {
    match format {
        Format::Individual(codes) => codes
            .get(i)
            .map_or(FieldFormat::Text, |&c| FieldFormat::from(c)),
        other => other.format_for(i),
    }
}

/// Postgres' check of a Bind's result formats against the statement's columns.
pub fn check_result_formats(format: &Format, columns: usize) -> Result<(), GatewayError> {
    match format {
        Format::Individual(codes) if codes.len() != columns => Err(GatewayError::new(
            ErrorKind::Protocol,
            format!(
                "bind message has {} result formats but query has {columns} columns",
                codes.len()
            ),
        )),
        _ => Ok(()),
    }
}

/// pgwire fields for result columns, each in the format the client asked for.
pub fn fields(columns: &[Field], format_for: impl Fn(usize) -> FieldFormat) -> Vec<FieldInfo> {
    columns
        .iter()
        .enumerate()
        .map(|(i, col)| {
            let info = FieldInfo::new(
                col.name.clone(),
                None,
                None,
                col.pg_type().pg,
                format_for(i),
            );
            match &col.ty {
                FieldType::Spark(s) => {
                    let pg = s.pg_type();
                    info.with_type_size(pg.len).with_type_modifier(pg.typmod)
                }
                FieldType::Pg(_) => info,
            }
        })
        .collect()
}

/// A statement's output as the notices to send first and a pgwire response. Rows stay a
/// stream: each batch is encoded as it arrives.
pub fn response(
    output: Output,
    format_for: impl Fn(usize) -> FieldFormat,
) -> (Vec<NoticeResponse>, Response) {
    let (notices, output) = notices(output);
    (notices, body(output, format_for))
}

/// The notices to send before a statement's response, taken out of its output.
pub fn notices(mut output: Output) -> (Vec<NoticeResponse>, Output) {
    let notices = match &mut output {
        Output::Rows(rows) | Output::Copy(rows, _) => std::mem::take(&mut rows.notices)
            .into_iter()
            .map(|n| NoticeResponse::from(n.into_notice_info()))
            .collect(),
        Output::Command { .. } => Vec::new(),
    };
    (notices, output)
}

/// A statement's response; rows stay a stream.
pub fn body(output: Output, format_for: impl Fn(usize) -> FieldFormat) -> Response {
    match output {
        Output::Copy(rows, format) => Response::CopyOut(super::copy_out::response(rows, format)),
        Output::Rows(rows) => {
            let fields = Arc::new(fields(&rows.fields, format_for));
            let enc_fields = fields.clone();
            let data = rows
                .batches
                .map(move |batch| match batch {
                    Ok(b) => encode_batch(&enc_fields, b),
                    Err(e) => vec![Err(into_pgwire(e))],
                })
                .flat_map(futures::stream::iter);
            let mut resp = QueryResponse::new(fields, data);
            if let Some(tag) = rows.tag {
                // pgwire appends the row count.
                resp.set_command_tag(&tag);
            }
            Response::Query(resp)
        }
        Output::Command {
            tag,
            rows,
            transaction,
        } => {
            let tag = command_tag(&tag, rows);
            match transaction {
                Transaction::None => Response::Execution(tag),
                Transaction::Start => Response::TransactionStart(tag),
                Transaction::End => Response::TransactionEnd(tag),
            }
        }
    }
}

fn command_tag(tag: &CommandTag, rows: Option<u64>) -> Tag {
    let n = rows.and_then(|r| usize::try_from(r).ok()).unwrap_or(0);
    let t = Tag::new(&tag.name);
    match tag.counted {
        Counted::No => t,
        Counted::Rows => t.with_rows(n),
        Counted::OidAndRows => t.with_oid(0).with_rows(n),
    }
}

fn encode_batch(fields: &Arc<Vec<FieldInfo>>, batch: Batch) -> Vec<PgWireResult<DataRow>> {
    let mut encoder = DataRowEncoder::new(fields.clone());
    let mut out = Vec::with_capacity(batch.len());
    for (r, row) in batch.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if let Err(e) = encoder.encode_field(v) {
                let e = GatewayError::internal(format!("encoding row {r} column {c}: {e}"));
                out.push(Err(into_pgwire(e)));
                return out;
            }
        }
        out.push(Ok(encoder.take_row()));
    }
    crate::metrics::rows_sent(out.len());
    out
}

/// Send an Execute's rows as they arrive, then answer `SELECT n` (or the rows' own
/// tag) for pgwire to complete. pgwire would buffer every row of a portal run without a
/// row limit before sending the first; this keeps memory bounded by a batch, and the
/// rows flow while pgwire's cancel signal still covers the statement.
pub async fn send_rows<C>(
    client: &mut C,
    rows: super::output::Rows,
    format_for: impl Fn(usize) -> FieldFormat,
) -> PgWireResult<Response>
where
    C: futures::Sink<PgWireBackendMessage> + Unpin + Send,
    C::Error: std::fmt::Debug,
    PgWireError: From<<C as futures::Sink<PgWireBackendMessage>>::Error>,
{
    use futures::SinkExt;
    let fields = Arc::new(fields(&rows.fields, format_for));
    let mut count = 0usize;
    let mut batches = rows.batches;
    while let Some(batch) = batches.next().await {
        for row in encode_batch(&fields, batch.map_err(into_pgwire)?) {
            client.feed(PgWireBackendMessage::DataRow(row?)).await?;
            count += 1;
        }
    }
    let tag = rows.tag.unwrap_or_else(|| "SELECT".to_string());
    Ok(Response::Execution(Tag::new(&tag).with_rows(count)))
}

/// An error as pgwire raises it.
pub fn into_pgwire(e: GatewayError) -> PgWireError {
    e.into_pgwire()
}

/// An error as an `ErrorResponse` among a simple query's responses.
pub fn error_response(e: GatewayError) -> Response {
    Response::Error(Box::new(e.into_error_info()))
}
