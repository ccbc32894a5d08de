//! The read side: listing (filters pushed down, paging done here, capped with a
//! warning), details, execution plan and stream graph, as rows of the declared columns.
//!
//! Owns: the mapping of DLI's Flink job objects to the columns of [`super::views`].
//! Reaches DLI only through [`DliClient`]'s public Flink calls.

use std::collections::HashSet;

use crate::dli::flink::{FlinkJob, GenGraphRequest, ListFlinkJobsQuery};
use crate::dli::{DliClient, DliError, DliErrorKind};
use crate::errors::{ErrorKind, GatewayError, Notice};

use super::args::Args;
use super::cols::Val;
use super::run::FlinkRun;

/// The filters a scan passes to the list API (`None`: not pinned).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pushdown {
    /// `job_id = c` / `job_id IN (…)`: details GETs instead of a listing.
    pub job_ids: Option<Vec<i64>>,
    pub status: Option<String>,
    pub job_type: Option<String>,
    pub queue_name: Option<String>,
    pub name: Option<String>,
    pub username: Option<String>,
    pub root_id: Option<i64>,
}

/// A DLI failure as the Postgres error of the surface (DLI code in DETAIL).
pub fn dli_error(e: &DliError) -> GatewayError {
    GatewayError::from(e)
}

/// Whether DLI said "no such job".
pub fn is_missing(e: &DliError) -> bool {
    e.kind == DliErrorKind::NotFound
        || matches!(e.code.as_deref(), Some("DLI.0002" | "DLI.0023"))
        || GatewayError::from(e).kind == ErrorKind::UndefinedObject
}

/// Details of one job; `None` when it does not exist.
pub async fn details(client: &DliClient, id: i64) -> Result<Option<FlinkJob>, GatewayError> {
    match client.flink_job(id).await {
        Ok(j) => Ok(Some(j)),
        Err(e) if is_missing(&e) => Ok(None),
        Err(e) => Err(dli_error(&e)),
    }
}

/// Every job the pushdown selects (details when `detail`).
pub async fn jobs(
    run: &FlinkRun,
    p: &Pushdown,
    detail: bool,
) -> Result<Vec<FlinkJob>, GatewayError> {
    if let Some(ids) = &p.job_ids {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        for id in ids {
            if seen.insert(*id)
                && let Some(j) = details(&run.client, *id).await?
            {
                out.push(j);
            }
        }
        return Ok(out);
    }
    let page = run.cfg.list_page_size;
    let cap = run.cfg.max_list_rows;
    let mut out: Vec<FlinkJob> = Vec::new();
    let mut seen = HashSet::new();
    let mut total = None;
    loop {
        let query = ListFlinkJobsQuery {
            name: p.name.clone(),
            status: p.status.clone(),
            job_type: p.job_type.clone(),
            queue_name: p.queue_name.clone(),
            user_name: p.username.clone(),
            root_job_id: p.root_id,
            show_detail: detail.then_some(true),
            order: Some("desc".into()),
            limit: Some(page),
            offset: Some(u32::try_from(out.len()).unwrap_or(u32::MAX)),
            ..ListFlinkJobsQuery::default()
        };
        let list = run
            .client
            .list_flink_jobs(&query)
            .await
            .map_err(|e| dli_error(&e))?
            .job_list
            .unwrap_or_default();
        total = list.total_count.or(total);
        let got = list.jobs.len();
        let mut new = 0;
        for mut j in list.jobs {
            if out.len() >= cap {
                run.notice(Notice::warning(
                    format!(
                        "{}.jobs: listing truncated at {cap} of {} rows",
                        run.cfg.schema,
                        total.map_or("more".to_string(), |t| t.to_string())
                    ),
                    "narrow it with WHERE status / job_type / queue_name / name, or raise [flink] max_list_rows",
                ));
                return Ok(out);
            }
            if seen.insert(j.job_id) {
                if j.queue_name.is_none() {
                    j.queue_name = p.queue_name.clone();
                }
                out.push(j);
                new += 1;
            }
        }
        let done = got < page as usize || new == 0 || total.is_some_and(|t| out.len() as i64 >= t);
        if done {
            return Ok(out);
        }
    }
}

fn ts(v: Option<i64>) -> Val {
    Val::opt_i64(v.filter(|t| *t > 0))
}

fn desc(j: &FlinkJob) -> Val {
    Val::opt_text(j.desc.as_deref())
}

/// A row of `dli_flink.jobs`.
pub fn job_row(j: &FlinkJob) -> Vec<Val> {
    vec![
        Val::I64(j.job_id),
        Val::text(&j.name),
        desc(j),
        Val::opt_text(j.job_type.as_deref()),
        Val::opt_text(j.status.as_deref()),
        Val::opt_text(j.status_desc.as_deref()),
        Val::opt_text(j.user()),
        Val::opt_text(j.queue_name.as_deref()),
        ts(j.create_time),
        ts(j.start_time),
        ts(j.update_time),
        Val::opt_i64(j.duration),
        Val::opt_i64(j.root_id.filter(|r| *r > 0)),
        Val::opt_bool(j.has_savepoint),
        Val::opt_bool(j.graph_editor_enabled),
    ]
}

/// A row of `dli_flink.job_details`.
pub fn detail_row(j: &FlinkJob) -> Vec<Val> {
    let c = j.job_config.clone().unwrap_or_default();
    let list = |v: &Vec<String>| Val::List(v.clone());
    vec![
        Val::I64(j.job_id),
        Val::text(&j.name),
        desc(j),
        Val::opt_text(j.job_type.as_deref()),
        Val::opt_text(j.status.as_deref()),
        Val::opt_text(j.status_desc.as_deref()),
        Val::opt_text(j.user()),
        Val::opt_text(j.queue_name.as_deref()),
        Val::opt_text(j.user_id.as_deref()),
        Val::opt_text(j.project_id.as_deref()),
        Val::opt_text(j.run_mode.as_deref()),
        ts(j.create_time),
        ts(j.start_time),
        ts(j.update_time),
        Val::opt_text(j.sql_body.as_deref()),
        Val::opt_text(j.main_class.as_deref()),
        Val::opt_text(j.entrypoint_args.as_deref()),
        Val::opt_text(j.execution_graph.as_deref()),
        Val::opt_text(j.savepoint_path.as_deref()),
        Val::opt_bool(c.checkpoint_enabled),
        Val::opt_text(c.checkpoint_mode.as_ref().map(|m| m.as_str())),
        Val::opt_i64(c.checkpoint_interval),
        Val::opt_bool(c.log_enabled),
        Val::opt_text(c.obs_bucket.as_deref()),
        Val::opt_text(c.smn_topic.as_deref()),
        list(&c.edge_group_ids),
        list(&c.dependency_jars),
        list(&c.dependency_files),
        Val::opt_i64(c.manager_cus()),
        Val::opt_i64(c.cu_number),
        Val::opt_i64(c.parallel_number),
        Val::opt_i64(c.tm_cus),
        Val::opt_i64(c.tm_slot_num),
        Val::opt_bool(c.restart_when_exception),
        Val::opt_bool(c.resume_checkpoint),
        Val::opt_bool(c.graph_editor_enabled.or(j.graph_editor_enabled)),
        Val::opt_i64(c.resume_max_num),
        Val::opt_text(c.checkpoint_path.as_deref()),
        Val::opt_text(c.config_url.as_deref()),
        Val::opt_text(c.udf_jar_url.as_deref()),
        Val::opt_text(c.dirty_data_strategy.as_deref()),
        Val::opt_text(c.entrypoint.as_deref()),
        Val::opt_i64(c.idle_state_retention),
        Val::opt_i64(c.executor_number),
        Val::opt_i64(c.executor_cus()),
        Val::opt_text(c.operator_config.as_deref()),
        Val::opt_text(c.static_estimator_config.as_deref()),
        Val::opt_text(c.runtime_config.as_deref()),
        Val::opt_text(c.flink_version.as_deref()),
        Val::opt_text(c.image.as_deref()),
        Val::opt_text(c.feature.as_deref()),
    ]
}

/// The job a single-target function names: 42704 when it does not exist.
pub async fn required(client: &DliClient, id: i64) -> Result<FlinkJob, GatewayError> {
    match client.flink_job(id).await {
        Ok(j) => Ok(j),
        Err(e) if is_missing(&e) => Err(GatewayError::new(
            ErrorKind::UndefinedObject,
            format!("Flink job {id} does not exist"),
        )
        .with_detail(dli_error(&e).detail.unwrap_or_default())),
        Err(e) => Err(dli_error(&e)),
    }
}

/// `execution_plan(job_id)`: one row, or none when the job has no plan.
pub async fn execution_plan(run: &FlinkRun, a: &Args) -> Result<Vec<Vec<Val>>, GatewayError> {
    let id = a.int("job_id").unwrap_or_default();
    match run.client.flink_execute_graph(id).await {
        Ok(g) => Ok(vec![vec![
            Val::text(&g.jid),
            Val::opt_text(g.name.as_deref()),
            Val::opt_bool(g.is_stoppable),
            Val::opt_text(g.state.as_deref()),
            ts(g.start_time),
            ts(g.end_time),
            Val::opt_i64(g.duration),
        ]]),
        Err(e) if is_missing(&e) => {
            // No such job (42704) or a job without a plan (no rows).
            required(&run.client, id).await?;
            Ok(Vec::new())
        }
        Err(e) if e.kind == DliErrorKind::Decode => Ok(Vec::new()),
        Err(e) => Err(dli_error(&e)),
    }
}

/// `stream_graph(job_id, …)`: one row per node, with its predecessors. The job's own
/// SQL and settings fill what the call does not give.
pub async fn stream_graph(run: &FlinkRun, a: &Args) -> Result<Vec<Vec<Val>>, GatewayError> {
    let id = a.int("job_id").unwrap_or_default();
    let job = required(&run.client, id).await?;
    let job_type = job.job_type.clone().unwrap_or_default();
    if !job_type.is_empty() && job_type != "flink_opensource_sql_job" {
        return Err(GatewayError::new(
            ErrorKind::NotSupported,
            format!(
                "Flink job {id} is a {job_type}: DLI draws stream graphs of flink_opensource_sql_job jobs only"
            ),
        ));
    }
    if let Some(g) = a.text("graph_type")
        && g != "simple_graph"
        && g != "job_graph"
    {
        return Err(GatewayError::new(
            ErrorKind::InvalidParameter,
            format!("graph_type must be simple_graph or job_graph, not \"{g}\""),
        ));
    }
    let c = job.job_config.clone().unwrap_or_default();
    let req = GenGraphRequest {
        sql_body: a
            .text("sql_body")
            .or(job.sql_body.clone())
            .unwrap_or_default(),
        cu_number: a.int("cu_number").or(c.cu_number),
        manager_cu_number: a.int("manager_cu_number").or(c.manager_cus()),
        parallel_number: a.int("parallel_number").or(c.parallel_number),
        tm_cus: a.int("tm_cus").or(c.tm_cus),
        tm_slot_num: a.int("tm_slot_num").or(c.tm_slot_num),
        operator_config: a.text("operator_config").or(c.operator_config.clone()),
        static_estimator: a.bool("static_estimator"),
        job_type: Some("flink_opensource_sql_job".into()),
        graph_type: Some(a.text("graph_type").unwrap_or_else(|| "job_graph".into())),
        static_estimator_config: a
            .text("static_estimator_config")
            .or(c.static_estimator_config.clone()),
        flink_version: a.text("flink_version").or(c.flink_version.clone()),
    };
    let graph = run
        .client
        .flink_stream_graph(id, &req)
        .await
        .map_err(|e| dli_error(&e))?;
    Ok(graph
        .nodes
        .iter()
        .map(|n| {
            vec![
                Val::I64(n.id),
                Val::text(&n.operator_id),
                Val::text(&n.node_type),
                Val::text(&n.contents),
                Val::opt_i64(n.parallelism),
                Val::Ints(n.predecessors.clone()),
            ]
        })
        .collect())
}
