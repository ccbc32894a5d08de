//! A result larger than DLI's preview, read in full from object storage.
//!
//! Owns: choosing where a finished query's complete result is — the `result_path` newer
//! DLI versions report in the job status, else an `export-result` (§7.3.10) of the job
//! into the configured OBS folder, polled to its end like any job and cancelled with the
//! statement — and handing its files to [`crate::results`] to stream.

use tokio::time::Instant;

use super::runner::{CancelOnDrop, JobContext, Runner};
use crate::dli::{Column, ExportResultRequest, JobState, JobStatus, PreviewResponse};
use crate::errors::{ErrorKind, GatewayError, Notice};
use crate::pgtypes::SparkType;
use crate::results::FileFormat;
use crate::results::reader::ResultRead;

impl Runner {
    /// The complete result of a finished query job, listed and ready to stream;
    /// `None` when there is no way to it (no `result_path`, no export folder).
    pub(super) async fn full_result(
        &self,
        job_id: &str,
        status: &JobStatus,
        columns: &[Column],
        total: u64,
        ctx: &JobContext,
        deadline: Option<Instant>,
    ) -> Result<Option<ResultRead>, GatewayError> {
        let Some(results) = &self.results else {
            return Ok(None);
        };
        let names: Vec<(String, String)> = columns
            .iter()
            .map(|c| (c.name.clone(), c.spark_type.clone()))
            .collect();
        if let Some(path) = status
            .result_path
            .as_deref()
            .filter(|p| !p.trim().is_empty())
        {
            let format = match status
                .result_format
                .as_deref()
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                None | Some("" | "csv") => FileFormat::Csv { header: false },
                Some("json") => FileFormat::JsonLines,
                Some(other) => {
                    return Err(GatewayError::new(
                        ErrorKind::Upstream,
                        format!(
                            "DLI job {job_id} reports its result as {other:?}, which the gateway cannot read"
                        ),
                    ));
                }
            };
            return results
                .open(job_id, path, format, &names, Some(total), false)
                .await
                .map(Some);
        }
        let Some(folder) = results.config().export_folder(job_id) else {
            return Ok(None);
        };
        // Spark's CSV writer refuses binary and nested columns; JSON carries every type.
        let csv = columns
            .iter()
            .all(|c| csv_writable(&SparkType::parse(&c.spark_type)));
        let req = ExportResultRequest {
            data_path: folder.clone(),
            data_type: if csv { "csv" } else { "json" }.into(),
            compress: Some(results.config().compress.dli_name().into()),
            queue_name: ctx.queue.clone().or_else(|| status.queue_name.clone()),
            export_mode: Some("Overwrite".into()),
            with_column_header: Some(csv),
            limit_num: None,
            encoding_type: None,
        };
        let export_id = self
            .backend
            .export_result(job_id, &req)
            .await
            .map_err(GatewayError::from)?
            .job_id
            .filter(|id| !id.is_empty())
            .ok_or_else(|| {
                GatewayError::new(
                    ErrorKind::Upstream,
                    format!("DLI accepted the export of job {job_id} but gave no export job id"),
                )
            })?;
        tracing::info!(
            job_id,
            export_id,
            data_type = req.data_type,
            "exporting the full result"
        );
        let guard = CancelOnDrop::new(self.backend.clone(), &export_id);
        let done = self.wait(&export_id, deadline).await?;
        guard.disarm();
        match done.status {
            JobState::Finished => {}
            JobState::Cancelled => {
                return Err(GatewayError::canceled(
                    "canceling statement: the DLI export job was cancelled",
                )
                .with_detail(format!("DLI export job {export_id} of job {job_id}")));
            }
            _ => {
                return Err(GatewayError::new(
                    ErrorKind::Upstream,
                    format!(
                        "exporting the result of DLI job {job_id} failed: {}",
                        done.message
                    ),
                )
                .with_detail(format!("DLI export job {export_id} into {folder}")));
            }
        }
        let format = if csv {
            FileFormat::Csv { header: true }
        } else {
            FileFormat::JsonLines
        };
        let keep = results.config().keep_exported;
        results
            .open(job_id, &folder, format, &names, Some(total), !keep)
            .await
            .map(Some)
    }
}

/// Whether Spark's CSV data source can write a column of this type.
fn csv_writable(t: &SparkType) -> bool {
    !matches!(
        t,
        SparkType::Binary | SparkType::Array(_) | SparkType::Map(..) | SparkType::Struct(_)
    )
}

/// A result larger than what was read of it: (rows it has, rows read).
#[derive(Debug, Clone, Copy)]
pub(super) struct Incomplete {
    pub(super) total: u64,
    read: u64,
}

/// DLI's job status (`result_count`) or the preview itself (`row_count`) says the result
/// has more rows than the preview gave.
pub(super) fn incomplete(status: &JobStatus, preview: &PreviewResponse) -> Option<Incomplete> {
    let read = preview.rows.len() as u64;
    let total = [status.result_count, preview.row_count]
        .into_iter()
        .flatten()
        .filter_map(|n| u64::try_from(n).ok())
        .max()?;
    (total > read).then_some(Incomplete { total, read })
}

impl Incomplete {
    fn what(&self) -> String {
        format!(
            "has {} rows, but only the first {} can be read (DLI's preview)",
            self.total, self.read
        )
    }

    pub(super) const NOT_CONFIGURED: &'static str = "DLI reports no result_path for it and no export folder is configured ([results] export_path)";

    fn detail(job_id: &str, why: &str) -> String {
        format!("DLI job {job_id}: {why}")
    }

    pub(super) fn error(&self, job_id: &str, why: &str) -> GatewayError {
        GatewayError::new(ErrorKind::ResultIncomplete, format!("the result {}", self.what()))
            .with_detail(Self::detail(job_id, why))
            .with_hint(
                "Configure [results] export_path (an OBS folder) and its object-storage access, add a LIMIT or an aggregate, or SET dli.allow_truncated_results = on to receive the first rows with a warning.",
            )
    }

    pub(super) fn warning(&self, job_id: &str, why: &str) -> Notice {
        Notice::warning(
            format!("result truncated: it {}", self.what()),
            Self::detail(job_id, why),
        )
    }
}
