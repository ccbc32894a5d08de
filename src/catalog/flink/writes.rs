//! Create and update (SQL and Jar jobs). Updates are read-modify-write: the job's
//! current settings, overlaid with the arguments the call names, are sent in full, so
//! a setting the user did not name is never reset to DLI's default.
//!
//! Owns: argument validation of create/update and the outcome row. Reaches DLI only
//! through [`crate::dli::DliClient`]'s public Flink calls.

use crate::dli::flink::{
    CheckpointMode, CreateJarJobRequest, CreateSqlJobRequest, FlinkJob, JarJobSettings,
    SqlJobSettings, UpdateJarJobRequest, UpdateSqlJobRequest,
};
use crate::dli::types::JobTag;
use crate::errors::{ErrorKind, GatewayError, Notice};

use super::args::Args;
use super::control::{Action, Row, allowed, batch};
use super::reads::{details, dli_error, required};
use super::run::FlinkRun;

fn invalid(msg: impl Into<String>) -> GatewayError {
    GatewayError::new(ErrorKind::InvalidParameter, msg)
}

fn checkpoint_mode(a: &Args) -> Result<Option<CheckpointMode>, GatewayError> {
    Ok(match a.text("checkpoint_mode").as_deref() {
        None => None,
        Some("exactly_once" | "1") => Some(CheckpointMode::ExactlyOnce),
        Some("at_least_once" | "2") => Some(CheckpointMode::AtLeastOnce),
        Some(other) => {
            return Err(invalid(format!(
                "checkpoint_mode must be exactly_once or at_least_once, not \"{other}\""
            )));
        }
    })
}

fn check(a: &Args) -> Result<(), GatewayError> {
    if let Some(n) = a.text("name")
        && (n.is_empty() || n.chars().count() > 57)
    {
        return Err(invalid("name must have 1 to 57 characters"));
    }
    if a.text("description")
        .is_some_and(|d| d.chars().count() > 512)
    {
        return Err(invalid("description may have at most 512 characters"));
    }
    if a.text("sql_body").is_some_and(|s| s.len() > 1_048_576) {
        return Err(invalid("sql_body may have at most 1048576 bytes"));
    }
    if let Some(c) = a.int("cu_number")
        && !(2..=400).contains(&c)
    {
        return Err(invalid(format!(
            "cu_number must be between 2 and 400, not {c}"
        )));
    }
    if let Some(p) = a.int("parallel_number")
        && !(1..=2000).contains(&p)
    {
        return Err(invalid(format!(
            "parallel_number must be between 1 and 2000, not {p}"
        )));
    }
    if let Some(r) = a.int("resume_max_num")
        && r != -1
        && r <= 0
    {
        return Err(invalid("resume_max_num must be -1 (unlimited) or positive"));
    }
    if let Some(m) = a.text("run_mode")
        && !matches!(
            m.as_str(),
            "shared_cluster" | "exclusive_cluster" | "edge_node"
        )
    {
        return Err(invalid(format!(
            "run_mode must be shared_cluster, exclusive_cluster or edge_node, not \"{m}\""
        )));
    }
    if let Some(d) = a.text("dirty_data_strategy")
        && !(d == "0" || d == "1" || d.starts_with("2:"))
    {
        return Err(invalid("dirty_data_strategy must be 0, 1 or 2:<obs path>"));
    }
    checkpoint_mode(a)?;
    Ok(())
}

fn tags(a: &Args) -> Result<Vec<JobTag>, GatewayError> {
    a.texts("tags")
        .unwrap_or_default()
        .iter()
        .map(|t| match t.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok(JobTag {
                key: k.to_string(),
                value: v.to_string(),
            }),
            _ => Err(invalid(format!("tag \"{t}\" must be key=value"))),
        })
        .collect()
}

/// SQL settings: the argument where given, else `base` (the job's current value).
fn sql_settings(a: &Args, base: &FlinkJob) -> Result<SqlJobSettings, GatewayError> {
    let c = base.job_config.clone().unwrap_or_default();
    Ok(SqlJobSettings {
        desc: a.text("description").or(base.desc.clone()),
        queue_name: a.text("queue_name").or(base.queue_name.clone()),
        sql_body: a.text("sql_body").or(base.sql_body.clone()),
        run_mode: a.text("run_mode").or(base.run_mode.clone()),
        cu_number: a.int("cu_number").or(c.cu_number),
        parallel_number: a.int("parallel_number").or(c.parallel_number),
        checkpoint_enabled: a.bool("checkpoint_enabled").or(c.checkpoint_enabled),
        checkpoint_mode: checkpoint_mode(a)?.or(c.checkpoint_mode.clone()),
        checkpoint_interval: a.int("checkpoint_interval_s").or(c.checkpoint_interval),
        obs_bucket: a.text("obs_bucket").or(c.obs_bucket.clone()),
        log_enabled: a.bool("log_enabled").or(c.log_enabled),
        smn_topic: a.text("smn_topic").or(c.smn_topic.clone()),
        restart_when_exception: a
            .bool("restart_when_exception")
            .or(c.restart_when_exception),
        idle_state_retention: a.int("idle_state_retention_s").or(c.idle_state_retention),
        dirty_data_strategy: a
            .text("dirty_data_strategy")
            .or(c.dirty_data_strategy.clone()),
        udf_jar_url: a.text("udf_jar_url").or(c.udf_jar_url.clone()),
        manager_cu_number: a.int("manager_cu_number").or(c.manager_cus()),
        tm_cus: a.int("tm_cus").or(c.tm_cus),
        tm_slot_num: a.int("tm_slot_num").or(c.tm_slot_num),
        resume_checkpoint: a.bool("resume_checkpoint").or(c.resume_checkpoint),
        resume_max_num: a.int("resume_max_num").or(c.resume_max_num),
        runtime_config: a.text("runtime_config").or(c.runtime_config.clone()),
    })
}

fn some_list(v: Vec<String>) -> Option<Vec<String>> {
    (!v.is_empty()).then_some(v)
}

fn jar_settings(a: &Args, base: &FlinkJob) -> JarJobSettings {
    let c = base.job_config.clone().unwrap_or_default();
    JarJobSettings {
        desc: a.text("description").or(base.desc.clone()),
        queue_name: a.text("queue_name").or(base.queue_name.clone()),
        cu_number: a.int("cu_number").or(c.cu_number),
        manager_cu_number: a.int("manager_cu_number").or(c.manager_cus()),
        parallel_number: a.int("parallel_number").or(c.parallel_number),
        log_enabled: a.bool("log_enabled").or(c.log_enabled),
        obs_bucket: a.text("obs_bucket").or(c.obs_bucket.clone()),
        smn_topic: a.text("smn_topic").or(c.smn_topic.clone()),
        main_class: a.text("main_class").or(base.main_class.clone()),
        entrypoint_args: a.text("entrypoint_args").or(base.entrypoint_args.clone()),
        restart_when_exception: a
            .bool("restart_when_exception")
            .or(c.restart_when_exception),
        entrypoint: a.text("entrypoint").or(c.entrypoint.clone()),
        dependency_jars: a
            .texts("dependency_jars")
            .or(some_list(c.dependency_jars.clone())),
        dependency_files: a
            .texts("dependency_files")
            .or(some_list(c.dependency_files.clone())),
        tm_cus: a.int("tm_cus").or(c.tm_cus),
        tm_slot_num: a.int("tm_slot_num").or(c.tm_slot_num),
        resume_checkpoint: a.bool("resume_checkpoint").or(c.resume_checkpoint),
        resume_max_num: a.int("resume_max_num").or(c.resume_max_num),
        checkpoint_path: a.text("checkpoint_path").or(c.checkpoint_path.clone()),
        runtime_config: a.text("runtime_config").or(c.runtime_config.clone()),
    }
}

/// `create_sql_job` / `create_jar_job`: one row for the new job.
pub async fn create(run: &FlinkRun, a: &Args, jar: bool) -> Result<Vec<Row>, GatewayError> {
    check(a)?;
    let what = if jar {
        "create_jar_job"
    } else {
        "create_sql_job"
    };
    allowed(run, what)?;
    let name = a.text("name").unwrap_or_default();
    let blank = FlinkJob::default();
    let sent = if jar {
        let req = CreateJarJobRequest {
            name: name.clone(),
            settings: jar_settings(a, &blank),
            tags: tags(a)?,
        };
        run.client.create_flink_jar_job(&req).await
    } else {
        let req = CreateSqlJobRequest {
            name: name.clone(),
            settings: sql_settings(a, &blank)?,
            template_id: None,
            job_type: a.text("job_type"),
            tags: tags(a)?,
        };
        run.client.create_flink_sql_job(&req).await
    };
    let created = match sent {
        Ok(c) => c,
        Err(e)
            if matches!(
                e.kind,
                crate::dli::DliErrorKind::Transport | crate::dli::DliErrorKind::Server
            ) =>
        {
            return Ok(vec![Row {
                job_id: 0,
                name: Some(name),
                ok: None,
                message: format!("outcome unknown: request sent, no answer ({})", e.message),
                sqlstate: None,
                code: e.code,
                before: None,
                after: None,
            }]);
        }
        Err(e) => return Err(dli_error(&e)),
    };
    let info = created.job.unwrap_or_default();
    let mut row = Row {
        job_id: info.job_id,
        name: Some(name),
        ok: Some(true),
        message: created.message,
        sqlstate: None,
        code: None,
        before: None,
        after: info.status_name,
    };
    if a.bool("start") == Some(true) && info.job_id > 0 {
        let mut run_args = Args::default();
        run_args.values.insert(
            "job_ids".into(),
            super::args::ArgVal::Ints(vec![info.job_id]),
        );
        if let Some(w) = a.int("wait_ms") {
            run_args
                .values
                .insert("wait_ms".into(), super::args::ArgVal::Int(w));
        }
        let started = batch(run, Action::Run, &run_args).await?;
        if let Some(s) = started.into_iter().next() {
            row.ok = s.ok;
            row.message = format!("created; run: {}", s.message);
            row.sqlstate = s.sqlstate;
            row.code = s.code;
            row.after = s.after;
        }
    }
    Ok(vec![row])
}

const SQL_TYPES: &[&str] = &[
    "flink_sql_job",
    "flink_opensource_sql_job",
    "flink_sql_edge_job",
];

/// `update_sql_job` / `update_jar_job`: read the job, overlay, send the full set.
pub async fn update(run: &FlinkRun, a: &Args, jar: bool) -> Result<Vec<Row>, GatewayError> {
    check(a)?;
    let what = if jar {
        "update_jar_job"
    } else {
        "update_sql_job"
    };
    allowed(run, what)?;
    let id = a.int("job_id").unwrap_or_default();
    let job = required(&run.client, id).await?;
    let job_type = job.job_type.clone().unwrap_or_default();
    let fits = if jar {
        job_type == "flink_jar_job"
    } else {
        SQL_TYPES.contains(&job_type.as_str())
    };
    if !job_type.is_empty() && !fits {
        let other = if jar {
            "update_sql_job"
        } else {
            "update_jar_job"
        };
        return Err(GatewayError::new(
            ErrorKind::WrongObjectType,
            format!(
                "Flink job {id} is a {job_type}, not a {} job",
                if jar { "Jar" } else { "SQL" }
            ),
        )
        .with_hint(format!("use {}.{other}()", run.cfg.schema)));
    }
    let sent = if jar {
        let req = UpdateJarJobRequest {
            name: a.text("name").or(Some(job.name.clone())),
            settings: jar_settings(a, &job),
            job_type: Some("flink_jar_job".into()),
        };
        run.client.update_flink_jar_job(id, &req).await
    } else {
        let c = job.job_config.clone().unwrap_or_default();
        let req = UpdateSqlJobRequest {
            name: a.text("name").or(Some(job.name.clone())),
            settings: sql_settings(a, &job)?,
            edge_group_ids: c.edge_group_ids.clone(),
            operator_config: c.operator_config.clone(),
            static_estimator_config: c.static_estimator_config.clone(),
        };
        run.client.update_flink_sql_job(id, &req).await
    };
    let before = job.status.clone();
    let (ok, message, code) = match sent {
        Ok(u) => (Some(true), u.message, None),
        Err(e)
            if matches!(
                e.kind,
                crate::dli::DliErrorKind::Transport | crate::dli::DliErrorKind::Server
            ) =>
        {
            (
                None,
                format!("outcome unknown: request sent, no answer ({})", e.message),
                e.code,
            )
        }
        Err(e) => return Err(dli_error(&e)),
    };
    if before.as_deref() == Some("job_running") {
        run.notice(Notice {
            message: format!(
                "Flink job {id} is running: the changes take effect the next time it runs"
            ),
            detail: None,
            informational: false,
        });
    }
    let after = details(&run.client, id).await?.and_then(|j| j.status);
    Ok(vec![Row {
        job_id: id,
        name: Some(a.text("name").unwrap_or(job.name)),
        ok,
        message,
        sqlstate: None,
        code,
        before,
        after,
    }])
}
