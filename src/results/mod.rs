//! Complete results beyond DLI's 1000-row preview, read from object storage.
//!
//! Owns: the `[results]` settings ([`config`]), the object-store reader for `obs://`,
//! `s3://` and `file://` ([`store`], OpenDAL), the result-file dialects and their typed
//! decoding ([`decode`]), and the streaming read of a result's files ([`reader`]).
//! Knows DLI only as column names and Spark type names; never sees pgwire or HTTP types.
//! Deciding *when* to read a full result, and asking DLI to export one, is the runner's.

pub mod config;
pub mod decode;
pub mod reader;
pub mod store;

use std::sync::Arc;

pub use config::{Compression, ObsProtocol, ResultsConfig};
pub use decode::{FileFormat, TypedRow};
pub use reader::TypedRows;
pub use store::{Location, ResultStore};

use crate::errors::{ErrorKind, GatewayError};
use crate::pgtypes::SparkType;

/// Reads complete results.
#[derive(Debug, Clone)]
pub struct FullResults {
    cfg: ResultsConfig,
    store: Arc<ResultStore>,
}

impl FullResults {
    /// `fallback` is `[dli.auth]`'s AK/SK, used when `[results]` names none.
    pub fn new(cfg: ResultsConfig, fallback: Option<(String, String)>) -> FullResults {
        let store = ResultStore::new(&cfg, fallback);
        FullResults { cfg, store }
    }

    pub fn config(&self) -> &ResultsConfig {
        &self.cfg
    }

    /// Open the result in the folder `location`: its files are listed now (so a location
    /// that cannot be read fails the statement before any row is sent); their rows
    /// stream as they download once [`reader::ResultRead::stream`] is called.
    pub async fn open(
        &self,
        job_id: &str,
        location: &str,
        format: FileFormat,
        columns: &[(String, String)],
        expected_rows: Option<u64>,
        remove_after: bool,
    ) -> Result<reader::ResultRead, GatewayError> {
        let unreadable = |e: String| {
            GatewayError::new(
                ErrorKind::Upstream,
                format!("cannot read the result of DLI job {job_id}: {e}"),
            )
            .with_hint(
                "Check the [results] object-storage settings (endpoint, protocol, credentials).",
            )
        };
        let loc = Location::parse(location).map_err(unreadable)?;
        // From here on an export of ours is removed whatever happens.
        let cleanup = remove_after.then(|| reader::Cleanup::new(self.store.clone(), loc.clone()));
        let files = self.store.list(&loc).await.map_err(unreadable)?;
        if files.is_empty() && expected_rows.unwrap_or(0) > 0 {
            return Err(unreadable(format!("{location} holds no result files")));
        }
        let columns = Arc::new(
            columns
                .iter()
                .map(|(name, ty)| (name.clone(), SparkType::parse(ty)))
                .collect(),
        );
        Ok(reader::ResultRead {
            files,
            columns,
            format,
            csv_null: self.cfg.csv_null.clone(),
            batch_rows: self.cfg.batch_rows,
            expected_rows,
            cleanup,
            job_id: job_id.to_string(),
        })
    }
}
