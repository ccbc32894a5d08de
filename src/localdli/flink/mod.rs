//! DLI's Flink job APIs, emulated: a persistent job registry in the warehouse with a
//! timed state machine, every endpoint the DLI client calls, and a deterministic
//! static stream graph derived from the job's Flink SQL. Simulated jobs process no
//! data; they move through the documented states on timers.
//!
//! Endpoints (all behind the same IAM/project checks as the SQL-job endpoints):
//!
//! | method, path | reference |
//! |---|---|
//! | `GET /v1.0/{p}/streaming/jobs` | seed 004 (003 §9.7) |
//! | `GET /v1.0/{p}/streaming/jobs/{id}` | 003 §9.8 |
//! | `POST /v1.0/{p}/streaming/sql-jobs`, `PUT …/sql-jobs/{id}` | 003 §9.2, §9.3 |
//! | `POST /v1.0/{p}/streaming/flink-jobs`, `PUT …/flink-jobs/{id}` | 003 §9.4, seed 001 |
//! | `POST /v1.0/{p}/streaming/jobs/run` | seed 002 |
//! | `POST /v1.0/{p}/streaming/jobs/stop` | 003 §9.10 |
//! | `DELETE /v1.0/{p}/streaming/jobs/{id}`, `POST …/jobs/delete` | 003 §9.11, §9.12 |
//! | `GET /v1.0/{p}/streaming/jobs/{id}/execute-graph` | 003 §9.9 |
//! | `POST /v3/{p}/streaming/jobs/{id}/gen-graph` | seed 000 |
//!
//! Quirks kept (and where the documents disagree, the `[local]` switch):
//! - `is_success` is the string `"true"` where the example has it, a boolean for the
//!   Jar create/update (003 §9.4, seed 001) and gen-graph (seed 000);
//!   `flink_is_success = "string" | "boolean"` forces one spelling;
//! - the list emits `user_name` (the examples; the tables say `username`, D5) and
//!   `root_id: -1`, hides edge child jobs unless `root_job_id` is given (seed 004);
//!   `flink_list_style = "003"` adds `graph_editor_enabled`/`has_savepoint`;
//! - batch run answers one `{is_success, message}` per job, by position, no job id;
//!   batch stop likewise (`flink_stop_reply = "object"`: 003's single object, D12);
//!   batch delete one object (D13);
//! - `checkpoint_mode` is read as 1/2 or text, shown as text (D9); create accepts
//!   `manager_cunumber` and `manager_cu_number` (D10);
//! - update resets omitted defaulted fields (`flink_update_omitted = "keep"` keeps
//!   them);
//! - gen-graph with `sql_body: ""` uses the job's stored SQL (seed 000's example, D14);
//!   `flink_version` only 1.10 or 1.12 (D15).
//!
//! Errors (400 unless said; body `{is_success:false, error_code, error_msg}`): a bad
//! field DLI.0001; an unknown job or queue DLI.0002 (run/stop/delete batches are
//! refused whole when one id is unknown); a name in use DLI.0006; an API that does not
//! apply to the job's type (Jar update of a SQL job, gen-graph of a Jar job) or an
//! update while the job is being processed DLI.0007. A run of a job that is already
//! running, or a stop of a job that is not, is a per-job `is_success "false"`.
//!
//! State machine and fault markers: [`machine`]. Persistence: [`registry`]. Graph:
//! [`graph`]. Demo jobs: [`demo`].

mod body;
pub mod demo;
pub mod graph;
mod http_batch;
mod http_read;
mod http_write;
pub mod machine;
pub mod model;
pub mod registry;
mod render;
mod service;
mod settings;

use axum::Router;
use axum::routing::{get, post, put};

pub use service::{FlinkError, FlinkService, USER_ID};

/// Adds the Flink routes to `router` (the caller adds the auth layer after, and the
/// [`FlinkService`] as an `Extension` layer).
pub fn routes<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    let s = "/v1.0/{project_id}/streaming";
    router
        .route(&format!("{s}/jobs"), get(http_read::list_jobs))
        .route(
            &format!("{s}/jobs/{{job_id}}"),
            get(http_read::job_detail).delete(http_batch::delete_job),
        )
        .route(
            &format!("{s}/jobs/{{job_id}}/execute-graph"),
            get(http_read::execute_graph),
        )
        .route(&format!("{s}/jobs/run"), post(http_batch::run_jobs))
        .route(&format!("{s}/jobs/stop"), post(http_batch::stop_jobs))
        .route(&format!("{s}/jobs/delete"), post(http_batch::delete_jobs))
        .route(&format!("{s}/sql-jobs"), post(http_write::create_sql_job))
        .route(
            &format!("{s}/sql-jobs/{{job_id}}"),
            put(http_write::update_sql_job),
        )
        .route(&format!("{s}/flink-jobs"), post(http_write::create_jar_job))
        .route(
            &format!("{s}/flink-jobs/{{job_id}}"),
            put(http_write::update_jar_job),
        )
        .route(
            "/v3/{project_id}/streaming/jobs/{job_id}/gen-graph",
            post(http_read::gen_graph),
        )
}
