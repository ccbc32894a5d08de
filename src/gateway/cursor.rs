//! SQL cursors: `DECLARE name CURSOR FOR query`, `FETCH`/`MOVE` forward, `CLOSE`.
//!
//! Owns: reading the cursor statements from their parse ([`CursorCmd`]), the session's
//! open cursors ([`Cursors`]: each the rows stream of its query, read as far as fetched),
//! and fetching from them. The gateway answers cursors itself (psycopg2 named cursors and
//! psqlODBC's declare/fetch mode send exactly these); they never reach DLI. Cursors are
//! forward-only: a backward or absolute move is refused (55000), as Postgres refuses it
//! for a cursor declared without SCROLL. Protocol-neutral.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use sqlparser::ast::{Declare, FetchDirection, Value};

use super::output::{Batch, Field, RowStream, Rows};
use crate::errors::{ErrorKind, GatewayError, Notice};
use crate::pgtypes::PgValue;

/// How many rows a FETCH or MOVE asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    Rows(u64),
    All,
}

/// A cursor statement, read from its parse.
#[derive(Debug, Clone, PartialEq)]
pub enum CursorCmd {
    Fetch { name: String, count: Count },
    Move { name: String, count: Count },
}

/// The cursor name of a `DECLARE` (its first name), checked: SCROLL is refused.
pub fn declared_name(d: &Declare) -> Result<String, GatewayError> {
    if d.scroll == Some(true) {
        return Err(GatewayError::new(
            ErrorKind::NotSupported,
            "SCROLL cursors are not supported: the gateway's cursors read forward only",
        ));
    }
    d.names
        .first()
        .map(|n| n.value.clone())
        .ok_or_else(|| GatewayError::new(ErrorKind::Syntax, "DECLARE needs a cursor name"))
}

/// What a FETCH/MOVE direction asks for (forward only).
pub fn count(direction: &FetchDirection) -> Result<Count, GatewayError> {
    let number = |v: &sqlparser::ast::ValueWithSpan| match &v.value {
        Value::Number(n, _) => n.parse::<u64>().map(Count::Rows).map_err(|_| backward()),
        _ => Err(GatewayError::new(
            ErrorKind::Syntax,
            format!("FETCH count {} is not a number", v.value),
        )),
    };
    match direction {
        FetchDirection::Next | FetchDirection::Forward { limit: None } => Ok(Count::Rows(1)),
        FetchDirection::Count { limit } | FetchDirection::Forward { limit: Some(limit) } => {
            number(limit)
        }
        FetchDirection::All | FetchDirection::ForwardAll => Ok(Count::All),
        _ => Err(backward()),
    }
}

fn backward() -> GatewayError {
    GatewayError::new(ErrorKind::CursorForwardOnly, "cursor can only scan forward")
        .with_hint("Declare it again to read it from the start.")
}

/// An open cursor: its columns, rows read but not yet fetched, and the rest of the stream.
pub struct Cursor {
    fields: Arc<Vec<Field>>,
    buffer: VecDeque<Vec<PgValue>>,
    rest: Option<RowStream>,
    /// Warnings of the query (a truncated result), sent with the first FETCH.
    notices: Vec<Notice>,
    /// `WITH HOLD`: survives the end of its transaction.
    hold: bool,
    /// The `DECLARE` statement (`pg_cursors.statement`).
    statement: String,
}

impl Cursor {
    pub fn new(rows: Rows, hold: bool, statement: String) -> Cursor {
        Cursor {
            hold,
            statement,
            fields: rows.fields,
            buffer: VecDeque::new(),
            rest: Some(rows.batches),
            notices: rows.notices,
        }
    }

    /// Up to `count` rows, reading the stream only as far as needed.
    async fn take(&mut self, count: Count) -> Result<Batch, GatewayError> {
        let want = match count {
            Count::Rows(n) => usize::try_from(n).unwrap_or(usize::MAX),
            Count::All => usize::MAX,
        };
        while self.buffer.len() < want {
            let Some(rest) = self.rest.as_mut() else {
                break;
            };
            match rest.next().await {
                Some(batch) => self.buffer.extend(batch?),
                None => self.rest = None,
            }
        }
        let n = want.min(self.buffer.len());
        Ok(self.buffer.drain(..n).collect())
    }
}

/// A session's open cursors, by name.
#[derive(Default)]
pub struct Cursors {
    open: Mutex<HashMap<String, Cursor>>,
}

impl Cursors {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Cursor>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn declare(&self, name: &str, cursor: Cursor) -> Result<(), GatewayError> {
        let mut open = self.lock();
        if open.contains_key(name) {
            return Err(GatewayError::new(
                ErrorKind::DuplicateCursor,
                format!("cursor \"{name}\" already exists"),
            ));
        }
        open.insert(name.to_string(), cursor);
        Ok(())
    }

    /// The open cursors, by name (`pg_cursors`).
    pub fn open(&self) -> Vec<super::catalog_hook::OpenCursor> {
        let mut open: Vec<_> = self
            .lock()
            .iter()
            .map(|(name, c)| super::catalog_hook::OpenCursor {
                name: name.clone(),
                statement: c.statement.clone(),
                holdable: c.hold,
            })
            .collect();
        open.sort_by(|a, b| a.name.cmp(&b.name));
        open
    }

    /// The columns of an open cursor.
    pub fn fields(&self, name: &str) -> Result<Arc<Vec<Field>>, GatewayError> {
        self.lock()
            .get(name)
            .map(|c| c.fields.clone())
            .ok_or_else(|| unknown(name))
    }

    /// `FETCH`: the next rows, with the query's warnings the first time. `MOVE`: the same
    /// without the rows (their count only).
    pub async fn fetch(&self, name: &str, count: Count) -> Result<(Rows, usize), GatewayError> {
        // Taken out while it reads, so no lock is held across the stream.
        let mut cursor = self.lock().remove(name).ok_or_else(|| unknown(name))?;
        let taken = cursor.take(count).await;
        let notices = std::mem::take(&mut cursor.notices);
        let fields = cursor.fields.clone();
        self.lock().insert(name.to_string(), cursor);
        let batch = taken?;
        let n = batch.len();
        let rows = Rows {
            fields,
            batches: Box::pin(futures::stream::once(async move { Ok(batch) })),
            tag: Some("FETCH".into()),
            notices,
        };
        Ok((rows, n))
    }

    /// `FETCH ALL`: the rest of the rows as a stream, read as the client takes them (any
    /// size in bounded memory); the cursor stays open, at its end.
    pub fn fetch_all(&self, name: &str) -> Result<Rows, GatewayError> {
        let mut open = self.lock();
        let cursor = open.get_mut(name).ok_or_else(|| unknown(name))?;
        let buffered: Batch = cursor.buffer.drain(..).collect();
        let first = futures::stream::once(async move { Ok(buffered) });
        let batches: RowStream = match cursor.rest.take() {
            Some(rest) => Box::pin(first.chain(rest)),
            None => Box::pin(first),
        };
        Ok(Rows {
            fields: cursor.fields.clone(),
            batches,
            tag: Some("FETCH".into()),
            notices: std::mem::take(&mut cursor.notices),
        })
    }

    /// `COMMIT` / `ROLLBACK`: cursors declared without `WITH HOLD` end with their
    /// transaction, as in Postgres.
    pub fn end_transaction(&self) {
        self.lock().retain(|_, c| c.hold);
    }

    /// `CLOSE name` (`None`: `CLOSE ALL`).
    pub fn close(&self, name: Option<&str>) -> Result<(), GatewayError> {
        let mut open = self.lock();
        match name {
            None => open.clear(),
            Some(n) => {
                open.remove(n).ok_or_else(|| unknown(n))?;
            }
        }
        Ok(())
    }
}

fn unknown(name: &str) -> GatewayError {
    GatewayError::new(
        ErrorKind::UnknownCursor,
        format!("cursor \"{name}\" does not exist"),
    )
}
