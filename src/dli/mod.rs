//! DLI REST client: typed requests/responses for the DLI endpoints the gateway
//! uses, IAM-token and AK/SK authentication, error classification, and a retry
//! policy that never blindly repeats a job submission (see [`client`]).
//!
//! This module never sees pgwire; the gateway reaches DLI only through
//! [`DliClient`].

pub mod catalog;
pub mod config;
pub mod error;
pub mod lenient;
pub mod schema;
pub mod signer;
pub mod types;

pub use catalog::{
    CreateDatabaseRequest, DatabaseInfo, DatabaseList, ListDatabasesQuery, ListTablesQuery,
    QueueInfo, StorageProperty, TableColumn, TableDescription, TableInfo, TableList, TablePreview,
};
pub use config::{AuthMode, DliAuthConfig, DliClientConfig};
pub use error::{DliError, DliErrorKind};
pub use schema::{Column, parse_struct_type};
pub use types::{
    AsyncJobResponse, CheckSqlResponse, ExportResultRequest, JobDetail, JobList, JobProgress,
    JobState, JobStatus, JobTag, JobType, ListJobsQuery, MessageResponse, PreviewResponse,
    SubJob, SubmitJobRequest, SubmitJobResponse,
};
