//! `POST jobs/{job_id}/export-result` (§7.3.10): validates the Table 7-88 parameters and
//! starts an asynchronous EXPORT job. The files are [`crate::localdli::export`]'s.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::jobs::{find_job, queue_of};
use super::state::{ApiResult, AppState, Params, json_body, lenient_bool, ok, str_field};
use crate::localdli::error::ApiError;
use crate::localdli::export::{Compress, DataFormat, ExportSpec, has_files, path_exists_message};
use crate::localdli::jobs::{self, ExportInfo, Job, JobStatus};
use crate::localdli::stmt::JobType;

/// `POST jobs/{job_id}/export-result` (§7.3.10): an asynchronous EXPORT job.
pub async fn export_result(
    State(st): State<Arc<AppState>>,
    Path(p): Path<Params>,
    body: Bytes,
) -> ApiResult {
    let body = json_body(&body)?;
    let source = find_job(&st, p.get("job_id").map(String::as_str).unwrap_or_default())?;
    let req = export_request(&body)?;
    let queue = queue_of(&body, "queue_name")?;
    if source.job_type != JobType::Query {
        return Err(unsupported(format!(
            "Only the results of QUERY jobs can be exported; job {} is a {} job.",
            source.id,
            source.job_type.as_str()
        )));
    }
    if source.status != JobStatus::Finished || source.result_dir.is_none() {
        return Err(unsupported(format!(
            "The result of job {} can not be exported: the job is {}.",
            source.id,
            source.status.as_str()
        )));
    }
    let target = st
        .engine
        .warehouse
        .obs_dir(&req.data_path)
        .map_err(ApiError::param)?;
    if !req.overwrite && has_files(&target) {
        return Err(ApiError::param(path_exists_message(&req.data_path)));
    }
    let spec = ExportSpec {
        target,
        tmp_dir: st.engine.warehouse.tmp_dir(),
        format: req.format,
        compress: req.compress,
        with_header: req.with_header,
        limit: req.limit,
        overwrite: req.overwrite,
    };
    let mut job = Job::new(JobType::Export, &source.statement, &st.cfg.iam_user);
    job.database_name = source.database_name.clone();
    job.queue_name = queue;
    job.export = Some(ExportInfo {
        data_path: req.data_path.clone(),
        data_type: req.data_type,
        export_mode: if req.overwrite {
            "Overwrite"
        } else {
            "ErrorIfExists"
        }
        .into(),
        compress: req.compress_name,
        with_column_header: req.with_header,
    });
    let id = job.id.clone();
    st.jobs.insert(job);
    jobs::spawn_export(
        Arc::clone(&st.jobs),
        id.clone(),
        source,
        spec,
        req.data_path,
    );
    ok(json!({"job_id": id, "job_mode": "async"}))
}

fn unsupported(msg: String) -> ApiError {
    ApiError::new(axum::http::StatusCode::BAD_REQUEST, "DLI.0007", msg)
}

/// The Table 7-88 parameters, validated.
struct ExportRequest {
    data_path: String,
    data_type: String,
    format: DataFormat,
    compress: Compress,
    compress_name: String,
    overwrite: bool,
    with_header: bool,
    limit: u64,
}

fn export_request(body: &serde_json::Map<String, Value>) -> Result<ExportRequest, ApiError> {
    let data_path = str_field(body, "data_path")?
        .ok_or_else(|| ApiError::param("Parameter data_path is required."))?;
    let data_type = str_field(body, "data_type")?
        .unwrap_or_default()
        .to_lowercase();
    let format = match data_type.as_str() {
        "csv" => DataFormat::Csv,
        "json" => DataFormat::Json,
        _ => return Err(ApiError::param("Parameter data_type must be csv or json.")),
    };
    let compress_name = str_field(body, "compress")?
        .filter(|c| !c.trim().is_empty())
        .unwrap_or_else(|| "none".into())
        .trim()
        .to_lowercase();
    let compress = match compress_name.as_str() {
        "none" => Compress::None,
        "gzip" => Compress::Gzip,
        "deflate" => Compress::Deflate,
        // The reference also lists bzip2. Refusing it is stricter than DLI (allowed);
        // accepting something DLI refuses would not be.
        "bzip2" => {
            return Err(unsupported(
                "Compression bzip2 is not supported by the local DLI service; use gzip, \
                 deflate or none."
                    .into(),
            ));
        }
        other => {
            return Err(ApiError::param(format!(
                "Parameter compress must be none, gzip, bzip2 or deflate, not {other}."
            )));
        }
    };
    let mode = str_field(body, "export_mode")?.unwrap_or_else(|| "ErrorIfExists".into());
    let overwrite = match mode.trim().to_lowercase().as_str() {
        "overwrite" => true,
        "errorifexists" | "" => false,
        _ => {
            return Err(ApiError::param(
                "Parameter export_mode must be ErrorIfExists or Overwrite.",
            ));
        }
    };
    let with_header = match body.get("with_column_header") {
        None | Some(Value::Null) => false,
        v => lenient_bool(v).ok_or_else(|| {
            ApiError::param("Parameter with_column_header must be true or false.")
        })?,
    };
    let limit = match body.get("limit_num") {
        None | Some(Value::Null) => 0,
        Some(v) => v
            .as_u64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            .ok_or_else(|| {
                ApiError::param("Parameter limit_num must be a non-negative integer.")
            })?,
    };
    let encoding = str_field(body, "encoding_type")?.unwrap_or_default();
    match encoding.trim().to_lowercase().as_str() {
        "" | "utf-8" | "utf8" => {}
        "gb2312" | "gbk" => {
            return Err(unsupported(format!(
                "Encoding {encoding} is not supported by the local DLI service; use utf-8."
            )));
        }
        _ => {
            return Err(ApiError::param(
                "Parameter encoding_type must be utf-8, gb2312 or gbk.",
            ));
        }
    }
    Ok(ExportRequest {
        data_path,
        data_type,
        format,
        compress,
        compress_name,
        overwrite,
        with_header,
        limit,
    })
}
