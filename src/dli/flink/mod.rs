//! DLI's Flink job APIs (003 §9, seeds 000/001/002/004): typed, leniently read
//! requests and answers, and the [`crate::dli::DliClient`] calls in `calls.rs`.

mod batch;
mod bodies;
mod calls;
mod fields;
mod graph;
mod jobs;

pub use batch::{JobOutcome, OutcomeStatus};
pub use bodies::{
    CreateJarJobRequest, CreateSqlJobRequest, CreatedFlinkJob, CreatedJobInfo, JarJobSettings,
    SqlJobSettings, UpdateJarJobRequest, UpdateSqlJobRequest, UpdatedFlinkJob, UpdatedJobInfo,
};
pub use fields::CheckpointMode;
pub use graph::{ExecuteGraph, GenGraphRequest, GenGraphResponse, StreamGraph, StreamNode};
pub use jobs::{
    FlinkJob, FlinkJobConfig, FlinkJobDetailResponse, FlinkJobList, FlinkJobPage,
    ListFlinkJobsQuery,
};
