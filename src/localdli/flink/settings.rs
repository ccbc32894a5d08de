//! Which fields each write API takes and how they land on a job: create and update of
//! Flink SQL jobs (003 §9.2/§9.3) and Flink Jar jobs (§9.4, seed 001 = §9.5), with the
//! documented defaults, ranges and cross-field rules.
//!
//! On update, an omitted field with a documented default falls back to that default
//! (`[local] flink_update_omitted = "reset"`, the pessimistic reading of the pages'
//! "default value is …") or keeps its value (`"keep"`). Fields without a default
//! (name, description, queue, SQL, main class …) always keep their value.
//!
//! Owns: the field lists and the checks that need more than one field.

use super::body::{Body, check_name};
use super::model::{JOB_TYPES, JobConfig, JobRecord, RUN_MODES};
use crate::localdli::error::ApiError;

/// 003 §9.2: "up to 1024 x 1024 characters".
const MAX_SQL: usize = 1024 * 1024;

/// What a write is: SQL or Jar, create or update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    CreateSql,
    UpdateSql,
    CreateJar,
    UpdateJar,
}

impl Write {
    fn is_jar(self) -> bool {
        matches!(self, Write::CreateJar | Write::UpdateJar)
    }

    fn is_update(self) -> bool {
        matches!(self, Write::UpdateSql | Write::UpdateJar)
    }
}

/// Applies `body` to `job` (a fresh record on create). `reset` = omitted defaulted
/// fields fall back to their defaults.
pub fn apply(job: &mut JobRecord, body: &Body, kind: Write, reset: bool) -> Result<(), ApiError> {
    if let Some(name) = body.text("name", 0, 57)? {
        if !(kind.is_update() && name.is_empty()) {
            check_name(&name)?;
            job.name = name;
        }
    } else if !kind.is_update() {
        return Err(ApiError::param("The parameter name is mandatory."));
    }
    if let Some(d) = body.text("desc", 0, 512)? {
        job.desc = d;
    }
    let queue_min = usize::from(kind == Write::UpdateJar);
    if let Some(q) = body.text("queue_name", queue_min, 128)? {
        job.queue_name = q;
    }
    let mut cfg = if kind.is_update() && reset {
        reset_config(&job.config)
    } else {
        job.config.clone()
    };
    let slots_given = common(&mut cfg, body)?;
    if kind.is_jar() {
        jar_fields(job, &mut cfg, body)?;
        if kind == Write::CreateJar {
            job.tags = body.tags()?;
        }
    } else {
        sql_fields(job, &mut cfg, body, kind)?;
    }
    if !slots_given && (reset || !kind.is_update()) {
        cfg.tm_slot_num = cfg.default_slots();
    }
    check_resources(&cfg)?;
    job.config = cfg;
    Ok(())
}

/// Defaults for every defaulted field; identity and history fields are kept.
fn reset_config(old: &JobConfig) -> JobConfig {
    JobConfig {
        root_id: old.root_id,
        edge_group_ids: old.edge_group_ids.clone(),
        graph_editor_enabled: old.graph_editor_enabled,
        graph_editor_data: old.graph_editor_data.clone(),
        executor_number: old.executor_number,
        executor_cu_number: old.executor_cu_number,
        config_url: old.config_url.clone(),
        obs_bucket: old.obs_bucket.clone(),
        smn_topic: old.smn_topic.clone(),
        udf_jar_url: old.udf_jar_url.clone(),
        entrypoint: old.entrypoint.clone(),
        dependency_jars: old.dependency_jars.clone(),
        dependency_files: old.dependency_files.clone(),
        checkpoint_path: old.checkpoint_path.clone(),
        image: old.image.clone(),
        feature: old.feature.clone(),
        flink_version: old.flink_version.clone(),
        operator_config: old.operator_config.clone(),
        static_estimator_config: old.static_estimator_config.clone(),
        runtime_config: old.runtime_config.clone(),
        ..JobConfig::default()
    }
}

/// Fields every write takes. Returns whether `tm_slot_num` was given.
fn common(cfg: &mut JobConfig, body: &Body) -> Result<bool, ApiError> {
    if let Some(n) = body.int("cu_number", 2, 400)? {
        cfg.cu_number = n;
    }
    // 003 §9.2 spells it `manager_cunumber`; every other API `manager_cu_number` (D10).
    let a = body.int("manager_cu_number", 1, 400)?;
    let b = body.int("manager_cunumber", 1, 400)?;
    if let (Some(a), Some(b)) = (a, b)
        && a != b
    {
        return Err(ApiError::param(
            "The parameter manager_cu_number is invalid: manager_cunumber gives another value.",
        ));
    }
    if let Some(n) = a.or(b) {
        cfg.manager_cu_number = n;
    }
    if let Some(n) = body.int("parallel_number", 1, 2000)? {
        cfg.parallel_number = n;
    }
    if let Some(b) = body.boolean("log_enabled")? {
        cfg.log_enabled = b;
    }
    if let Some(s) = body.text("obs_bucket", 0, 1024)? {
        cfg.obs_bucket = Some(s);
    }
    if let Some(s) = body.text("smn_topic", 0, 256)? {
        cfg.smn_topic = Some(s);
    }
    if let Some(b) = body.boolean("restart_when_exception")? {
        cfg.restart_when_exception = b;
    }
    if let Some(n) = body.int("tm_cus", 1, 400)? {
        cfg.tm_cus = n;
    }
    let slots = body.int("tm_slot_num", 1, 2000)?;
    if let Some(n) = slots {
        cfg.tm_slot_num = n;
    }
    if let Some(b) = body.boolean("resume_checkpoint")? {
        cfg.resume_checkpoint = b;
    }
    if let Some(n) = body.int("resume_max_num", -1, 100_000)? {
        if n == 0 {
            return Err(ApiError::param(
                "The parameter resume_max_num is invalid: it must be -1 (no limit) or greater than 0.",
            ));
        }
        cfg.resume_max_num = n;
    }
    if let Some(s) = body.text("runtime_config", 0, 1024 * 1024)? {
        cfg.runtime_config = Some(s);
    }
    Ok(slots.is_some())
}

fn sql_fields(
    job: &mut JobRecord,
    cfg: &mut JobConfig,
    body: &Body,
    kind: Write,
) -> Result<(), ApiError> {
    if let Some(sql) = body.text("sql_body", 0, MAX_SQL)? {
        job.sql_body = sql;
    }
    if let Some(m) = body.choice("run_mode", &RUN_MODES)? {
        job.run_mode = m;
    }
    if let Some(b) = body.boolean("checkpoint_enabled")? {
        cfg.checkpoint_enabled = b;
    }
    if let Some(m) = body.checkpoint_mode()? {
        cfg.checkpoint_mode = m;
    }
    if let Some(n) = body.int("checkpoint_interval", 1, 86_400)? {
        cfg.checkpoint_interval = n;
    }
    if let Some(n) = body.int("idle_state_retention", 1, i64::from(i32::MAX))? {
        cfg.idle_state_retention = n;
    }
    if let Some(d) = body.text("dirty_data_strategy", 1, 1024)? {
        let ok = d == "0" || d == "1" || d.strip_prefix("2:").is_some_and(|p| !p.is_empty());
        if !ok {
            return Err(ApiError::param(
                "The parameter dirty_data_strategy is invalid: it must be \"0\", \"1\" or \"2:<obsDir>\".",
            ));
        }
        cfg.dirty_data_strategy = d;
    }
    if let Some(s) = body.text("udf_jar_url", 0, 1024)? {
        cfg.udf_jar_url = Some(s);
    }
    match kind {
        Write::CreateSql => {
            let sql_types = &JOB_TYPES[..3];
            if let Some(t) = body.choice("job_type", sql_types)? {
                job.job_type = t;
            }
            if job.job_type == "flink_sql_edge_job" {
                job.run_mode = "edge_node".into();
            }
            job.tags = body.tags()?;
            if let Some(id) = body.int("template_id", 1, i64::MAX)?
                && !body.has("sql_body")
            {
                return Err(ApiError::missing(format!(
                    "The template {id} does not exist."
                )));
            }
        }
        _ => {
            if let Some(ids) = body.texts("edge_group_ids")? {
                cfg.edge_group_ids = Some(ids);
            }
            if let Some(s) = body.json_text("operator_config")? {
                cfg.operator_config = Some(s);
            }
            if let Some(s) = body.json_text("static_estimator_config")? {
                cfg.static_estimator_config = Some(s);
            }
        }
    }
    Ok(())
}

fn jar_fields(job: &mut JobRecord, cfg: &mut JobConfig, body: &Body) -> Result<(), ApiError> {
    if let Some(s) = body.text("main_class", 0, 1024)? {
        job.main_class = Some(s);
    }
    if let Some(s) = body.text("entrypoint_args", 0, 64 * 1024)? {
        job.entrypoint_args = Some(s);
    }
    if let Some(s) = body.text("entrypoint", 0, 1024)? {
        cfg.entrypoint = Some(s);
    }
    if let Some(v) = body.texts("dependency_jars")? {
        cfg.dependency_jars = Some(v);
    }
    if let Some(v) = body.texts("dependency_files")? {
        cfg.dependency_files = Some(v);
    }
    if let Some(s) = body.text("checkpoint_path", 0, 1024)? {
        cfg.checkpoint_path = Some(s);
    }
    // Only the update has a job type (D19); it can only be the Jar type.
    body.choice("job_type", &["flink_jar_job"])?;
    job.job_type = "flink_jar_job".into();
    job.run_mode = "exclusive_cluster".into();
    Ok(())
}

/// 003 §9.2: the JobManager takes part of the CUs, and "parallel_number must be at
/// most 4 × (cu_number − manager_cu_number)".
fn check_resources(cfg: &JobConfig) -> Result<(), ApiError> {
    if cfg.manager_cu_number >= cfg.cu_number {
        return Err(ApiError::param(format!(
            "The parameter manager_cu_number is invalid: {} must be less than cu_number {}.",
            cfg.manager_cu_number, cfg.cu_number
        )));
    }
    let max = 4 * (cfg.cu_number - cfg.manager_cu_number);
    if cfg.parallel_number > max {
        return Err(ApiError::param(format!(
            "The parameter parallel_number is invalid: {} is more than 4 x (cu_number - manager_cu_number) = {max}.",
            cfg.parallel_number
        )));
    }
    Ok(())
}
