//! dli-pg-gateway: a PostgreSQL wire-protocol front end for Huawei Cloud Data Lake Insight.
//!
//! Module map (each module owns one thing; see README "Module map"):
//! - [`app`]      — the composition root: config → running gateway (and embedded DLI).
//! - [`catalog`]  — pg_catalog / information_schema answered from cached DLI metadata.
//! - [`config`]   — configuration file, environment overrides, validation.
//! - [`dli`]      — the DLI REST client (DTOs, auth, signing, retries). Never sees pgwire.
//! - [`localdli`] — the embedded DLI-compatible service (axum + DataFusion + warehouse).
//! - [`gateway`]  — the Postgres front end (pgwire handlers, sessions, job runner). Never sees HTTP.
//! - [`pgsql`]    — client SQL text with Postgres lexical rules; translation to Spark.
//! - [`pgtypes`]  — the one type module: Spark types, the Spark ↔ Postgres tables, Spark ↔ Arrow.
//! - [`settings`] — the one settings table (startup ParameterStatus, SHOW, current_setting, pg_settings).
//! - [`errors`]   — the one place that chooses SQLSTATEs, severities and log levels.
//! - [`metrics`]  — the Prometheus registry and its HTTP endpoint (a leaf: plain labels only).
//! - [`sqldepth`] — how deeply a statement nests, from its tokens (bounded before parsing).
//! - [`translate`] — Postgres → Spark SQL with Postgres' meaning (or 0A000).

pub mod app;
pub mod catalog;
pub mod config;
pub mod dli;
pub mod errors;
pub mod gateway;
pub mod health;
pub mod localdli;
pub mod metrics;
pub mod pgsql;
pub mod pgtypes;
pub mod results;
pub mod settings;
pub mod sparknames;
pub mod sparksql;
pub mod sqldepth;
pub mod translate;
