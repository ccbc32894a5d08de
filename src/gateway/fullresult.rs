//! A result larger than DLI's preview, read in full from object storage.
//!
//! Owns: choosing where a finished query's complete result is — the `result_path` newer
//! DLI versions report in the job status, else an `export-result` (§7.3.10) of the job
//! into the configured OBS folder, polled to its end like any job and cancelled with the
//! statement — and handing its files to [`crate::results`] to stream.

use tokio::time::Instant;

use super::runner::{CancelOnDrop, JobContext, Runner};
use crate::dli::{Column, ExportResultRequest, JobState, JobStatus};
use crate::errors::{ErrorKind, GatewayError};
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
        // A folder of this read's own: clients attached to one shared job (and other
        // replicas) export the same job at once, each reads and removes only its copy.
        let reader = uuid::Uuid::new_v4().simple().to_string();
        let name = format!("{job_id}-{}", reader.get(..12).unwrap_or(&reader));
        let Some(folder) = results.config().export_folder(&name) else {
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
        let done = self
            .wait(&export_id, tokio::time::Instant::now(), deadline, None)
            .await?;
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
