//! A scripted [`JobBackend`]: answers the runner from queued job statuses and counts
//! what it was asked, so the job lifecycle can be tested under `tokio::time::pause()`.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use dli_pg_gateway::dli::{
    AsyncJobResponse, CheckSqlResponse, Column, DliError, DliErrorKind, ExportResultRequest,
    JobState, JobStatus, JobType, PreviewResponse, SubmitJobRequest, SubmitJobResponse,
};
use dli_pg_gateway::gateway::runner::JobBackend;
use serde_json::Value;
use tokio::time::Instant;

/// What `job_status` answers, in order; the last one repeats.
pub enum Step {
    State(JobState),
    /// An error from the status endpoint.
    Fail(DliErrorKind),
}

pub struct FakeJobs {
    steps: Mutex<VecDeque<Step>>,
    /// When each status poll happened.
    pub polls: Mutex<Vec<Instant>>,
    pub cancels: AtomicUsize,
    pub submits: AtomicUsize,
    /// check-sql calls, and the job type they answer.
    pub checks: AtomicUsize,
    pub check_type: Mutex<JobType>,
    pub result: Mutex<(Vec<Column>, Vec<Vec<Value>>)>,
    /// The `result_count` a finished job reports (`None`: not reported).
    pub total: Mutex<Option<i64>>,
    /// The `result_path` a finished job reports.
    pub result_path: Mutex<Option<String>>,
    /// export-result requests received.
    pub exports: Mutex<Vec<ExportResultRequest>>,
}

impl FakeJobs {
    pub fn new(steps: Vec<Step>) -> FakeJobs {
        FakeJobs {
            steps: Mutex::new(steps.into()),
            polls: Mutex::new(Vec::new()),
            cancels: AtomicUsize::new(0),
            submits: AtomicUsize::new(0),
            checks: AtomicUsize::new(0),
            check_type: Mutex::new(JobType::Query),
            result: Mutex::new((Vec::new(), Vec::new())),
            total: Mutex::new(None),
            result_path: Mutex::new(None),
            exports: Mutex::new(Vec::new()),
        }
    }

    /// A job that stays in `state` for ever.
    pub fn stuck(state: JobState) -> FakeJobs {
        FakeJobs::new(vec![Step::State(state)])
    }

    pub fn with_result(self, columns: Vec<Column>, rows: Vec<Vec<Value>>) -> FakeJobs {
        *self.result.lock().unwrap() = (columns, rows);
        self
    }

    /// The job's result has `total` rows (more than the preview gives, say).
    pub fn with_total(self, total: i64) -> FakeJobs {
        *self.total.lock().unwrap() = Some(total);
        self
    }

    /// A finished job reports its full result at `path` (newer DLI).
    pub fn with_result_path(self, path: &str) -> FakeJobs {
        *self.result_path.lock().unwrap() = Some(path.to_string());
        self
    }

    pub fn cancel_count(&self) -> usize {
        self.cancels.load(Ordering::SeqCst)
    }

    pub fn poll_times(&self) -> Vec<Instant> {
        self.polls.lock().unwrap().clone()
    }
}

#[async_trait]
impl JobBackend for FakeJobs {
    async fn check_sql(&self, _sql: &str, _db: &str) -> Result<CheckSqlResponse, DliError> {
        self.checks.fetch_add(1, Ordering::SeqCst);
        Ok(CheckSqlResponse {
            job_type: self.check_type.lock().unwrap().clone(),
            message: String::new(),
        })
    }

    async fn submit_job(&self, _req: &SubmitJobRequest) -> Result<SubmitJobResponse, DliError> {
        self.submits.fetch_add(1, Ordering::SeqCst);
        Ok(SubmitJobResponse {
            job_id: "job-1".into(),
            job_type: JobType::Query,
            job_mode: Some("async".into()),
            ..Default::default()
        })
    }

    async fn job_status(&self, job_id: &str) -> Result<JobStatus, DliError> {
        self.polls.lock().unwrap().push(Instant::now());
        let mut steps = self.steps.lock().unwrap();
        let step = if steps.len() > 1 {
            steps.pop_front()
        } else {
            None
        };
        let current = step.as_ref().or(steps.front());
        match current {
            Some(Step::State(state)) => Ok(JobStatus {
                job_id: job_id.into(),
                job_type: JobType::Query,
                status: state.clone(),
                result_count: *self.total.lock().unwrap(),
                result_path: self.result_path.lock().unwrap().clone(),
                result_format: Some("csv".into()),
                ..Default::default()
            }),
            Some(Step::Fail(kind)) => Err(DliError::new(*kind, "status endpoint refused")),
            None => Err(DliError::new(DliErrorKind::Server, "no step scripted")),
        }
    }

    async fn preview(
        &self,
        job_id: &str,
        _rows: u32,
        _queue: Option<&str>,
    ) -> Result<PreviewResponse, DliError> {
        let (schema, rows) = self.result.lock().unwrap().clone();
        Ok(PreviewResponse {
            job_id: job_id.into(),
            job_type: JobType::Query,
            row_count: None,
            schema,
            rows,
            ..Default::default()
        })
    }

    async fn cancel_job(&self, _job_id: &str) -> Result<(), DliError> {
        self.cancels.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    async fn export_result(
        &self,
        _job_id: &str,
        req: &ExportResultRequest,
    ) -> Result<AsyncJobResponse, DliError> {
        self.exports.lock().unwrap().push(req.clone());
        Ok(AsyncJobResponse {
            job_id: Some("export-1".into()),
            job_mode: Some("async".into()),
            ..Default::default()
        })
    }
}
