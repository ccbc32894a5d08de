//! What a statement produces, before any protocol sees it.
//!
//! Owns: the protocol-neutral result of a statement — rows as an asynchronous stream of
//! batches with their columns, or a command with its tag — and the result column type.
//! Only the pgwire layer ([`super::encode`]) turns these into wire messages; nothing here
//! knows pgwire, HTTP or DLI's JSON.

use std::sync::Arc;

use futures::stream::BoxStream;
use postgres_types::Type;

use super::copy::CopyFormat;
use crate::errors::{GatewayError, Notice};
use crate::pgtypes::{PgTypeInfo, PgValue, SparkType};

/// One result column.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub ty: FieldType,
}

/// A result column's type: a Spark type (DLI results, read through the one type table)
/// or a Postgres type (answers the gateway computes itself).
#[derive(Debug, Clone, PartialEq)]
pub enum FieldType {
    Spark(SparkType),
    Pg(Type),
}

impl Field {
    /// A column of a DLI result, from its Spark type name.
    pub fn spark(name: impl Into<String>, spark_type: &str) -> Field {
        Field {
            name: name.into(),
            ty: FieldType::Spark(SparkType::parse(spark_type)),
        }
    }

    /// A column the gateway answers itself.
    pub fn pg(name: impl Into<String>, ty: Type) -> Field {
        Field {
            name: name.into(),
            ty: FieldType::Pg(ty),
        }
    }

    /// How the column appears on the wire.
    pub fn pg_type(&self) -> PgTypeInfo {
        match &self.ty {
            FieldType::Spark(s) => s.pg_type(),
            FieldType::Pg(t) => PgTypeInfo {
                pg: t.clone(),
                len: -1,
                typmod: -1,
            },
        }
    }
}

/// A batch of rows, each value already a Postgres value of its column's type.
pub type Batch = Vec<Vec<PgValue>>;

/// Rows as they arrive: batches in order; an error ends the stream.
pub type RowStream = BoxStream<'static, Result<Batch, GatewayError>>;

/// A statement's rows.
pub struct Rows {
    pub fields: Arc<Vec<Field>>,
    pub batches: RowStream,
    /// Command tag without the row count; `None` = `SELECT`.
    pub tag: Option<String>,
    /// Warnings sent before the rows (a truncated result).
    pub notices: Vec<Notice>,
}

impl std::fmt::Debug for Rows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rows")
            .field("fields", &self.fields)
            .field("tag", &self.tag)
            .finish_non_exhaustive()
    }
}

/// A command's completion: `CREATE TABLE`, `INSERT 0 5`, `SELECT 5` (CTAS) …
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandTag {
    pub name: String,
    /// Whether the tag carries a row count, and whether an OID (always 0) precedes it.
    pub counted: Counted,
}

/// How a command tag reports rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    No,
    Rows,
    /// `INSERT 0 n`.
    OidAndRows,
}

impl CommandTag {
    pub fn plain(name: impl Into<String>) -> CommandTag {
        CommandTag {
            name: name.into(),
            counted: Counted::No,
        }
    }
}

/// How a statement changes the transaction state the client sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transaction {
    None,
    Start,
    End,
}

/// What a statement produced.
#[derive(Debug)]
pub enum Output {
    Rows(Rows),
    /// `COPY … TO STDOUT`: rows to write in a COPY format.
    Copy(Rows, CopyFormat),
    Command {
        tag: CommandTag,
        rows: Option<u64>,
        transaction: Transaction,
    },
}

/// A signal that the client asked to cancel: resolves `true` on a cancel request, `false`
/// when nothing can cancel any more (the signal was superseded).
pub type CancelSignal = futures::future::BoxFuture<'static, bool>;

impl Output {
    /// Rows stop with a query-canceled error when `cancel` fires while they stream: the
    /// stream (and any download behind it) is dropped at once.
    pub fn cancellable(self, cancel: CancelSignal) -> Output {
        match self {
            Output::Rows(mut rows) => {
                rows.batches = until_cancelled(rows.batches, cancel);
                Output::Rows(rows)
            }
            Output::Copy(mut rows, format) => {
                rows.batches = until_cancelled(rows.batches, cancel);
                Output::Copy(rows, format)
            }
            other => other,
        }
    }

    /// A command without rows that leaves the transaction state alone.
    pub fn command(tag: CommandTag, rows: Option<u64>) -> Output {
        Output::Command {
            tag,
            rows,
            transaction: Transaction::None,
        }
    }

    /// Rows known in full, as one batch.
    pub fn rows(fields: Vec<Field>, rows: Batch, tag: Option<String>) -> Output {
        Output::Rows(Rows {
            fields: Arc::new(fields),
            batches: Box::pin(futures::stream::once(async move { Ok(rows) })),
            tag,
            notices: Vec::new(),
        })
    }
}

fn until_cancelled(batches: RowStream, cancel: CancelSignal) -> RowStream {
    use futures::{FutureExt, StreamExt};
    let state = (batches, Some(cancel), false);
    Box::pin(futures::stream::unfold(
        state,
        |(mut rows, cancel, done)| async move {
            if done {
                return None;
            }
            let Some(mut cancel) = cancel else {
                let item = rows.next().await?;
                return Some((item, (rows, None, false)));
            };
            tokio::select! {
                biased;
                fired = &mut cancel => {
                    if fired {
                        let e = GatewayError::canceled("canceling statement due to user request");
                        return Some((Err(e), (rows, None, true)));
                    }
                    let item = rows.next().await?;
                    Some((item, (rows, None, false)))
                }
                item = rows.next() => {
                    let item = item?;
                    Some((item, (rows, Some(cancel.boxed()), false)))
                }
            }
        },
    ))
}
