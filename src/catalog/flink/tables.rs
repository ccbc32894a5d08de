//! The DataFusion side of the schema: table providers for the views (filters pushed to
//! the list API, `Inexact` so DataFusion re-applies them) and the internal table
//! functions. Every DLI call happens when the plan *executes* (a
//! [`StreamingTableExec`] partition), never when it is planned: Describe, `EXPLAIN`,
//! `LIMIT 0` and `WHERE false` call nothing.
//!
//! Owns: the result columns of the functions and the dispatch to
//! [`super::reads`] / [`super::control`] / [`super::writes`].

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{MemTable, Session, TableFunctionImpl, TableProvider};
use datafusion::common::ScalarValue;
use datafusion::datasource::TableType;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{BinaryExpr, Expr, Operator, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};

use super::args::{Args, Function};
use super::cols::{self, Col, Ty, Val, col};
use super::control::{self, Action};
use super::reads::{self, Pushdown};
use super::run::FlinkRun;
use super::views;
use super::writes;
use crate::errors::GatewayError;

/// `execution_plan()` columns.
pub const EXEC_PLAN: &[Col] = &[
    col("flink_job_id", Ty::Text, "Flink's own job ID (jid)"),
    col("name", Ty::Text, "Job name"),
    col("is_stoppable", Ty::Bool, "Whether the job can be stopped"),
    col("state", Ty::Text, "Flink job state"),
    col("start_time", Ty::Ts, "Start (UTC)"),
    col("end_time", Ty::Ts, "End (UTC); NULL while running"),
    col("duration_ms", Ty::Int8, "Running time in milliseconds"),
];

/// `stream_graph()` columns.
pub const GRAPH: &[Col] = &[
    col("node_id", Ty::Int4, "Node ID"),
    col("operator_id", Ty::Text, "Operator ID"),
    col("type", Ty::Text, "Source, Sink or the operator kind"),
    col("contents", Ty::Text, "What the node does"),
    col("parallelism", Ty::Int4, "Parallelism"),
    col(
        "predecessor_ids",
        Ty::Int4Array,
        "IDs of the nodes feeding this one",
    ),
];

/// Columns of every control function: one row per job.
pub const OUTCOME: &[Col] = &[
    col("job_id", Ty::Int8, "Requested job ID"),
    col(
        "name",
        Ty::Text,
        "Job name (NULL if the job does not exist)",
    ),
    col(
        "ok",
        Ty::Bool,
        "true: DLI accepted; false: refused or no such job; NULL: outcome unknown",
    ),
    col(
        "message",
        Ty::Text,
        "DLI's message or the gateway's explanation",
    ),
    col(
        "sqlstate",
        Ty::Text,
        "The SQLSTATE of the refusal, NULL when ok",
    ),
    col(
        "dli_error_code",
        Ty::Text,
        "DLI's error code, when it gave one",
    ),
    col("status_before", Ty::Text, "Status before the call"),
    col(
        "status_after",
        Ty::Text,
        "Status read back after the call (and the wait)",
    ),
];

/// The result columns of a function.
pub fn result_cols(f: &Function) -> &'static [Col] {
    match f.name {
        "execution_plan" => EXEC_PLAN,
        "stream_graph" => GRAPH,
        _ => OUTCOME,
    }
}

fn gw(e: GatewayError) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

/// What a partition does when executed.
#[derive(Clone)]
enum Work {
    List {
        detail: bool,
        pushdown: Pushdown,
    },
    Call {
        f: &'static Function,
        args: Args,
        done: Arc<AtomicBool>,
    },
}

struct Part {
    schema: SchemaRef,
    cols: &'static [Col],
    run: Arc<FlinkRun>,
    work: Work,
}

impl fmt::Debug for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DliFlinkCall")
    }
}

async fn rows(run: &FlinkRun, work: &Work) -> std::result::Result<Vec<Vec<Val>>, GatewayError> {
    match work {
        Work::List { detail, pushdown } => {
            let jobs = reads::jobs(run, pushdown, *detail).await?;
            Ok(jobs
                .iter()
                .map(|j| {
                    if *detail {
                        reads::detail_row(j)
                    } else {
                        reads::job_row(j)
                    }
                })
                .collect())
        }
        Work::Call { f, args, done } => {
            args.require(f)?;
            if f.control && done.swap(true, Ordering::SeqCst) {
                return Err(GatewayError::internal(
                    "a Flink control call was about to run twice",
                ));
            }
            let out = match f.name {
                "execution_plan" => return reads::execution_plan(run, args).await,
                "stream_graph" => return reads::stream_graph(run, args).await,
                "run_jobs" => control::batch(run, Action::Run, args).await?,
                "stop_jobs" => control::batch(run, Action::Stop, args).await?,
                "delete_jobs" => control::batch(run, Action::Delete, args).await?,
                "create_sql_job" => writes::create(run, args, false).await?,
                "create_jar_job" => writes::create(run, args, true).await?,
                "update_sql_job" => writes::update(run, args, false).await?,
                "update_jar_job" => writes::update(run, args, true).await?,
                other => {
                    return Err(GatewayError::internal(format!("no Flink function {other}")));
                }
            };
            Ok(out.iter().map(control::Row::vals).collect())
        }
    }
}

impl PartitionStream for Part {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let (schema, cols, run, work) = (
            self.schema.clone(),
            self.cols,
            self.run.clone(),
            self.work.clone(),
        );
        let out = schema.clone();
        let fut = async move {
            let rows = rows(&run, &work).await.map_err(gw)?;
            cols::batch(cols, &schema, &rows)
        };
        Box::pin(RecordBatchStreamAdapter::new(
            out,
            futures::stream::once(fut),
        ))
    }
}

fn exec(
    part: Part,
    projection: Option<&Vec<usize>>,
    limit: Option<usize>,
) -> Result<Arc<dyn ExecutionPlan>> {
    let schema = part.schema.clone();
    Ok(Arc::new(StreamingTableExec::try_new(
        schema,
        vec![Arc::new(part)],
        projection,
        Vec::new(),
        false,
        limit,
    )?))
}

/// `dli_flink.jobs` / `dli_flink.job_details`.
#[derive(Debug)]
pub struct JobsTable {
    detail: bool,
    schema: SchemaRef,
    run: Arc<FlinkRun>,
}

const PUSHED: &[&str] = &[
    "job_id",
    "status",
    "job_type",
    "queue_name",
    "name",
    "username",
    "root_id",
];

fn literal(e: &Expr) -> Option<&ScalarValue> {
    match e {
        Expr::Literal(v, _) => Some(v),
        Expr::Cast(c) => literal(&c.expr),
        _ => None,
    }
}

fn scalar_text(v: &ScalarValue) -> Option<String> {
    match v {
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => Some(s.clone()),
        _ => None,
    }
}

fn scalar_int(v: &ScalarValue) -> Option<i64> {
    match v {
        ScalarValue::Int64(Some(i)) => Some(*i),
        ScalarValue::Int32(Some(i)) => Some(i64::from(*i)),
        ScalarValue::Int16(Some(i)) => Some(i64::from(*i)),
        ScalarValue::Int8(Some(i)) => Some(i64::from(*i)),
        other => scalar_text(other).and_then(|s| s.parse().ok()),
    }
}

/// `(column, value)` of `column = literal`, either way round.
fn equality(e: &Expr) -> Option<(&str, &ScalarValue)> {
    let Expr::BinaryExpr(BinaryExpr {
        left,
        op: Operator::Eq,
        right,
    }) = e
    else {
        return None;
    };
    match (left.as_ref(), right.as_ref()) {
        (Expr::Column(c), other) | (other, Expr::Column(c)) => {
            literal(other).map(|v| (c.name.as_str(), v))
        }
        _ => None,
    }
}

/// The ids of `job_id IN (literals)` (at most 50).
fn id_list(e: &Expr) -> Option<Vec<i64>> {
    let Expr::InList(l) = e else { return None };
    let Expr::Column(c) = l.expr.as_ref() else {
        return None;
    };
    if l.negated || c.name != "job_id" || l.list.len() > 50 {
        return None;
    }
    l.list
        .iter()
        .map(|x| literal(x).and_then(scalar_int))
        .collect()
}

fn pushable(e: &Expr) -> bool {
    id_list(e).is_some()
        || equality(e).is_some_and(|(c, v)| {
            PUSHED.contains(&c)
                && if matches!(c, "job_id" | "root_id") {
                    scalar_int(v).is_some()
                } else {
                    scalar_text(v).is_some()
                }
        })
}

fn pushdown(filters: &[Expr]) -> Pushdown {
    let mut p = Pushdown::default();
    for f in filters {
        if let Some(ids) = id_list(f) {
            p.job_ids.get_or_insert(ids);
            continue;
        }
        let Some((c, v)) = equality(f) else { continue };
        let text = || scalar_text(v);
        match c {
            "job_id" => {
                if let Some(i) = scalar_int(v) {
                    p.job_ids.get_or_insert(vec![i]);
                }
            }
            "root_id" => p.root_id = p.root_id.or(scalar_int(v).filter(|r| *r > 0)),
            "status" => p.status = p.status.take().or_else(text),
            "job_type" => p.job_type = p.job_type.take().or_else(text),
            "queue_name" => p.queue_name = p.queue_name.take().or_else(text),
            "name" => p.name = p.name.take().or_else(text),
            "username" => p.username = p.username.take().or_else(text),
            _ => {}
        }
    }
    p
}

#[async_trait]
impl TableProvider for JobsTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(filters
            .iter()
            .map(|f| {
                if pushable(f) {
                    TableProviderFilterPushDown::Inexact
                } else {
                    TableProviderFilterPushDown::Unsupported
                }
            })
            .collect())
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let cols = if self.detail {
            views::JOB_DETAILS
        } else {
            views::JOBS
        };
        let part = Part {
            schema: self.schema.clone(),
            cols,
            run: self.run.clone(),
            work: Work::List {
                detail: self.detail,
                pushdown: pushdown(filters),
            },
        };
        exec(part, projection, limit)
    }
}

/// A call of a function, run when executed.
#[derive(Debug)]
struct CallTable {
    schema: SchemaRef,
    cols: &'static [Col],
    f: &'static Function,
    args: Args,
    run: Arc<FlinkRun>,
    done: Arc<AtomicBool>,
}

#[async_trait]
impl TableProvider for CallTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Temporary
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let part = Part {
            schema: self.schema.clone(),
            cols: self.cols,
            run: self.run.clone(),
            work: Work::Call {
                f: self.f,
                args: self.args.clone(),
                done: self.done.clone(),
            },
        };
        // A control call produces all its rows whatever the LIMIT.
        exec(part, projection, if self.f.control { None } else { limit })
    }
}

/// The internal table function behind `dli_flink.<f>(…)`.
#[derive(Debug)]
pub struct FlinkFn {
    pub f: &'static Function,
    pub run: Arc<FlinkRun>,
}

impl TableFunctionImpl for FlinkFn {
    fn call(&self, exprs: &[Expr]) -> Result<Arc<dyn TableProvider>> {
        let json = match exprs {
            [e] => literal(e).and_then(scalar_text),
            _ => None,
        }
        .ok_or_else(|| {
            DataFusionError::Plan(format!(
                "{} takes its arguments from the gateway",
                self.f.name
            ))
        })?;
        let args: Args = serde_json::from_str(&json)
            .map_err(|e| DataFusionError::Plan(format!("{}: {e}", self.f.name)))?;
        let cols = result_cols(self.f);
        Ok(Arc::new(CallTable {
            schema: cols::schema(cols),
            cols,
            f: self.f,
            args,
            run: self.run.clone(),
            done: Arc::new(AtomicBool::new(false)),
        }))
    }
}

/// The schema's relations for one query.
pub fn relations(run: &Arc<FlinkRun>) -> Result<HashMap<String, Arc<dyn TableProvider>>> {
    let mut out: HashMap<String, Arc<dyn TableProvider>> = HashMap::new();
    for (name, detail, c) in [
        ("jobs", false, views::JOBS),
        ("job_details", true, views::JOB_DETAILS),
    ] {
        out.insert(
            name.into(),
            Arc::new(JobsTable {
                detail,
                schema: cols::schema(c),
                run: run.clone(),
            }),
        );
    }
    for (name, c, rows) in [
        ("job_statuses", views::JOB_STATUSES, views::status_rows()),
        ("job_types", views::JOB_TYPES, views::type_rows()),
    ] {
        let schema = cols::schema(c);
        let batch = cols::batch(c, &schema, &rows)?;
        out.insert(
            name.into(),
            Arc::new(MemTable::try_new(schema, vec![vec![batch]])?),
        );
    }
    Ok(out)
}
