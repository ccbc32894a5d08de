//! A complete result as a stream of typed row batches, read from its files as they
//! download.
//!
//! Owns: walking a result's files in order, decompressing (gzip, deflate) and decoding
//! them a chunk at a time, batching rows, checking the row count against what DLI
//! reported (a short or long read is an error, never a silently different result), and
//! removing an exported folder once the stream ends or is dropped (client gone,
//! cancel). Memory is bounded by one chunk and one batch, whatever the result's size.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;

use async_compression::tokio::bufread::{GzipDecoder, ZlibDecoder};
use futures::stream::BoxStream;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio_util::io::StreamReader;

use super::decode::{ColumnTypes, Decoder, FileFormat, TypedRow};
use super::store::{Location, ResultFile, ResultStore};
use crate::errors::{ErrorKind, GatewayError};

/// Batches of typed rows, in order; an error ends the stream.
pub type TypedRows = BoxStream<'static, Result<Vec<TypedRow>, GatewayError>>;

const CHUNK: usize = 64 * 1024;

/// What to read and how.
pub struct ResultRead {
    pub files: Vec<ResultFile>,
    pub columns: ColumnTypes,
    pub format: FileFormat,
    pub csv_null: String,
    pub batch_rows: usize,
    /// Rows DLI says the result has.
    pub expected_rows: Option<u64>,
    /// Removes the folder (an export of ours) when the rows are no longer needed: the
    /// stream ended or was dropped, or it was never started.
    pub cleanup: Option<Cleanup>,
    /// Names the job in errors.
    pub job_id: String,
}

/// Removes an exported folder once its rows are no longer needed.
pub struct Cleanup {
    store: Arc<ResultStore>,
    folder: Location,
}

impl Cleanup {
    pub fn new(store: Arc<ResultStore>, folder: Location) -> Cleanup {
        Cleanup { store, folder }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let store = self.store.clone();
        let folder = self.folder.clone();
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                if let Err(e) = store.remove(&folder).await {
                    tracing::warn!(error = %e, "could not remove exported result files");
                }
            });
        }
    }
}

struct State {
    files: VecDeque<ResultFile>,
    current: Option<(Pin<Box<dyn AsyncRead + Send>>, Decoder)>,
    columns: ColumnTypes,
    format: FileFormat,
    csv_null: String,
    batch_rows: usize,
    expected: Option<u64>,
    job_id: String,
    pending: Vec<TypedRow>,
    read: u64,
    buf: Vec<u8>,
    done: bool,
    _cleanup: Option<Cleanup>,
}

impl ResultRead {
    /// The rows, decoded as the files download.
    pub fn stream(self) -> TypedRows {
        let state = State {
            files: self.files.into(),
            current: None,
            columns: self.columns,
            format: self.format,
            csv_null: self.csv_null,
            batch_rows: self.batch_rows.max(1),
            expected: self.expected_rows,
            job_id: self.job_id,
            pending: Vec::new(),
            read: 0,
            buf: vec![0; CHUNK],
            done: false,
            _cleanup: self.cleanup,
        };
        Box::pin(futures::stream::unfold(state, |mut st| async move {
            match st.next_batch().await {
                Ok(Some(batch)) => Some((Ok(batch), st)),
                Ok(None) => None,
                Err(e) => {
                    st.done = true;
                    st.pending.clear();
                    st.files.clear();
                    st.expected = None;
                    Some((Err(e), st))
                }
            }
        }))
    }
}

impl State {
    async fn next_batch(&mut self) -> Result<Option<Vec<TypedRow>>, GatewayError> {
        loop {
            if self.pending.len() >= self.batch_rows || (self.done && !self.pending.is_empty()) {
                let batch = std::mem::take(&mut self.pending);
                self.read += batch.len() as u64;
                return Ok(Some(batch));
            }
            if self.done {
                return match self.expected.take() {
                    Some(n) if n != self.read => Err(self.count_mismatch(n)),
                    _ => Ok(None),
                };
            }
            let Some((reader, decoder)) = self.current.as_mut() else {
                match self.files.pop_front() {
                    Some(file) => {
                        let decoder = Decoder::new(
                            file.url.clone(),
                            self.columns.clone(),
                            self.format,
                            &self.csv_null,
                        );
                        self.current = Some((open(&file).await?, decoder));
                    }
                    None => self.done = true,
                }
                continue;
            };
            let n = reader
                .read(&mut self.buf)
                .await
                .map_err(|e| read_error(&self.job_id, e))?;
            if n == 0 {
                decoder.finish(&mut self.pending)?;
                self.current = None;
            } else {
                decoder.feed(&self.buf[..n], &mut self.pending)?;
            }
        }
    }
}

/// A file's decompressed bytes.
async fn open(file: &ResultFile) -> Result<Pin<Box<dyn AsyncRead + Send>>, GatewayError> {
    let bytes = file
        .open()
        .await
        .map_err(|e| GatewayError::new(ErrorKind::Upstream, e))?;
    let raw = StreamReader::new(bytes);
    let name = file.url.rsplit('/').next().unwrap_or_default();
    let reader: Pin<Box<dyn AsyncRead + Send>> = if name.ends_with(".gz") {
        let mut gz = GzipDecoder::new(raw);
        gz.multiple_members(true);
        Box::pin(gz)
    } else if name.ends_with(".deflate") {
        Box::pin(ZlibDecoder::new(raw))
    } else if name.ends_with(".bz2") || name.ends_with(".snappy") || name.ends_with(".lz4") {
        return Err(GatewayError::new(
            ErrorKind::Upstream,
            format!(
                "result file {} uses a compression the gateway cannot read",
                file.url
            ),
        )
        .with_hint("Set [results] compress to none, gzip or deflate."));
    } else {
        Box::pin(raw)
    };
    Ok(reader)
}

impl State {
    fn count_mismatch(&self, expected: u64) -> GatewayError {
        GatewayError::new(
            ErrorKind::ResultIncomplete,
            format!(
                "the result files hold {} rows, but DLI reports {expected}",
                self.read
            ),
        )
        .with_detail(format!("DLI job {}", self.job_id))
    }
}

fn read_error(job_id: &str, e: std::io::Error) -> GatewayError {
    GatewayError::new(
        ErrorKind::Upstream,
        format!("reading the result of DLI job {job_id} failed: {e}"),
    )
}
