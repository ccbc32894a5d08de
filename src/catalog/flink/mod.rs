//! The `dli_flink` schema: DLI's Flink jobs as Postgres views and functions, answered
//! by the gateway from DLI's Flink job APIs — never by a Spark SQL job.
//!
//! - [`views`] declares the relations (with comments) and the static reference rows; the
//!   schema joins the catalog snapshot as a described database of views
//!   ([`FlinkSurface::augment`]) so psql `\d`, JDBC and information_schema list it;
//! - [`sql`] recognises statements touching the schema, refuses writes and DDL on it, and
//!   rewrites `dli_flink.f(…)` calls to internal table functions ([`args`]);
//! - [`tables`] is the DataFusion side (pushdown, lazy execution); [`reads`],
//!   [`control`] and [`writes`] call DLI through the client's public Flink API.
//!
//! Catalog introspection never calls a Flink API: only executing a query over a view or
//! function does.

pub mod args;
pub mod cols;
pub mod config;
pub mod control;
pub mod reads;
pub mod run;
pub mod sql;
pub mod tables;
pub mod views;
pub mod writes;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use datafusion::catalog::TableProvider;
use datafusion::error::Result;
use datafusion::prelude::SessionContext;

use crate::dli::DliClient;

pub use config::FlinkConfig;
pub use run::FlinkRun;

use super::model::Snapshot;

/// The schema of one gateway.
pub struct FlinkSurface {
    client: DliClient,
    cfg: FlinkConfig,
    /// The last snapshot augmented, by generation.
    augmented: Mutex<Option<(u64, Arc<Snapshot>)>>,
}

impl FlinkSurface {
    pub fn new(client: DliClient, cfg: FlinkConfig) -> FlinkSurface {
        FlinkSurface {
            client,
            cfg,
            augmented: Mutex::new(None),
        }
    }

    pub fn schema(&self) -> &str {
        &self.cfg.schema
    }

    /// A fresh context for one query.
    pub fn run(&self) -> Arc<FlinkRun> {
        Arc::new(FlinkRun {
            client: self.client.clone(),
            cfg: self.cfg.clone(),
            notices: Mutex::new(Vec::new()),
        })
    }

    /// `snap` with the schema as one more described database (a DLI database of the
    /// same name is hidden behind it). Kept per generation.
    pub fn augment(&self, snap: Arc<Snapshot>) -> Arc<Snapshot> {
        let mut guard = self.augmented.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((g, s)) = guard.as_ref()
            && *g == snap.generation
        {
            return s.clone();
        }
        let schema = self.schema();
        if snap.database(schema).is_some() {
            tracing::warn!(
                schema,
                "a DLI database has the name of the Flink schema; the gateway's schema hides it"
            );
        }
        let mut dbs: Vec<_> = snap
            .databases
            .iter()
            .filter(|d| d.name != schema)
            .cloned()
            .collect();
        dbs.push(views::database(schema));
        let out = Arc::new(Snapshot::new(dbs, snap.generation));
        *guard = Some((snap.generation, out.clone()));
        out
    }

    /// The schema's relations for one query.
    pub fn relations(run: &Arc<FlinkRun>) -> Result<HashMap<String, Arc<dyn TableProvider>>> {
        tables::relations(run)
    }

    /// Registers the schema's functions in a query's session.
    pub fn register(run: &Arc<FlinkRun>, ctx: &SessionContext) {
        for f in args::FUNCTIONS {
            ctx.register_udtf(
                &format!("{}{}", args::INTERNAL_PREFIX, f.name),
                Arc::new(tables::FlinkFn {
                    f,
                    run: run.clone(),
                }),
            );
        }
    }
}
