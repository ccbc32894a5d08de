//! Per-job outcomes of the batch writes: run (003 §9.6 = seed 002), stop (§9.10)
//! and delete (§9.12). DLI answers one `{is_success, message}` per job **without a
//! job id**, so outcomes are matched to the requested ids by position. The shapes
//! disagree (notes D12/D13): run answers an array, stop's table says array but its
//! example is one object, delete answers one object. A single object applies to
//! every requested job; a short array leaves the remaining jobs `Unknown`.

use serde::Serialize;
use serde_json::Value;

use crate::dli::error::DliError;
use crate::dli::lenient::{value_as_bool, value_as_string};

/// `{"job_ids": [...], ...}` of the batch calls.
#[derive(Debug, Serialize)]
pub(crate) struct BatchBody<'a> {
    pub job_ids: &'a [i64],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resume_savepoint: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger_savepoint: Option<bool>,
}

/// What DLI said about one job of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeStatus {
    /// `is_success` true: the request was delivered (asynchronous: not yet done).
    Accepted,
    /// `is_success` false, or the whole request was refused.
    Refused,
    /// No answer for this job (short array, unreadable element).
    Unknown,
}

/// Outcome for one requested job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobOutcome {
    pub job_id: i64,
    pub status: OutcomeStatus,
    pub message: String,
    /// DLI error code, when the request as a whole was refused with one.
    pub error_code: Option<String>,
    /// The answer was one object shared by every job of the batch.
    pub shared_answer: bool,
}

impl JobOutcome {
    pub fn is_accepted(&self) -> bool {
        self.status == OutcomeStatus::Accepted
    }
}

/// Matches a 2xx answer (array or object) to `job_ids` by position.
pub(crate) fn outcomes(job_ids: &[i64], answer: &Value) -> Vec<JobOutcome> {
    match answer {
        Value::Array(items) => job_ids
            .iter()
            .enumerate()
            .map(|(i, &id)| match items.get(i) {
                Some(item) => outcome(id, item, false),
                None => JobOutcome {
                    job_id: id,
                    status: OutcomeStatus::Unknown,
                    message: format!(
                        "DLI answered {} outcome(s) for {} job(s); none for this one",
                        items.len(),
                        job_ids.len()
                    ),
                    error_code: None,
                    shared_answer: false,
                },
            })
            .collect(),
        other => job_ids.iter().map(|&id| outcome(id, other, true)).collect(),
    }
}

fn outcome(job_id: i64, item: &Value, shared_answer: bool) -> JobOutcome {
    let text = |k: &str| item.get(k).and_then(value_as_string).unwrap_or_default();
    let status = match item.get("is_success").and_then(value_as_bool) {
        Some(true) => OutcomeStatus::Accepted,
        Some(false) => OutcomeStatus::Refused,
        None => OutcomeStatus::Unknown,
    };
    let code = text("error_code");
    JobOutcome {
        job_id,
        status,
        message: text("message"),
        error_code: (!code.is_empty()).then_some(code),
        shared_answer,
    }
}

/// Every job refused by one 2xx answer carrying `is_success: false`.
pub(crate) fn refused_by(job_ids: &[i64], err: &DliError) -> Vec<JobOutcome> {
    job_ids
        .iter()
        .map(|&id| JobOutcome {
            job_id: id,
            status: OutcomeStatus::Refused,
            message: err.message.clone(),
            error_code: err.code.clone(),
            shared_answer: true,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn array_object_and_short_array() {
        let ids = [1, 2, 3];
        let got = outcomes(
            &ids,
            &json!([{"is_success":"true","message":"a"},{"is_success":false,"message":"b"}]),
        );
        let st: Vec<_> = got.iter().map(|o| (o.job_id, o.status)).collect();
        assert_eq!(
            st,
            [
                (1, OutcomeStatus::Accepted),
                (2, OutcomeStatus::Refused),
                (3, OutcomeStatus::Unknown)
            ]
        );
        let got = outcomes(&ids, &json!({"is_success":"true","message":"m"}));
        assert!(
            got.iter()
                .all(|o| o.is_accepted() && o.shared_answer && o.message == "m")
        );
    }
}
