//! A result larger than what was read of it: DLI's status or preview says there are more
//! rows than the preview gave. Owns the check and the error or warning that says so.

use crate::dli::{JobStatus, PreviewResponse};
use crate::errors::{ErrorKind, GatewayError, Notice};

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
