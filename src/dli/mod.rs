//! DLI REST client: typed requests/responses for the DLI endpoints the gateway
//! uses, IAM-token and AK/SK authentication, error classification, and a retry
//! policy that never blindly repeats a job submission (see [`client`]).
//!
//! This module never sees pgwire; the gateway reaches DLI only through
//! [`DliClient`].

mod auth;
pub mod catalog;
pub mod client;
mod client_catalog;
pub mod config;
pub mod error;
pub mod flink;
pub mod jobs;
pub mod lenient;
pub mod schema;
pub mod signer;
mod submit;
pub mod tags;
mod transport;
pub mod types;

pub use catalog::{
    CreateDatabaseRequest, DatabaseInfo, DatabaseList, ListDatabasesQuery, ListTablesQuery,
    QueueInfo, StorageProperty, TableColumn, TableDescription, TableInfo, TableList, TablePreview,
};
pub use client::DliClient;
pub use config::{AuthMode, DliAuthConfig, DliClientConfig, ProjectScope};
pub use error::{DliError, DliErrorKind};
pub use jobs::{
    AsyncJobResponse, ExportResultRequest, JobDetail, JobList, ListJobsQuery, MessageResponse,
};
pub use schema::{Column, parse_struct_type};
pub use submit::REQUEST_TAG;
pub use tags::tag_problem;
pub use types::{
    CheckSqlResponse, JobProgress, JobState, JobStatus, JobTag, JobType, PreviewResponse, SubJob,
    SubmitJobRequest, SubmitJobResponse,
};
