//! The catalog: pg_catalog and information_schema answered by the gateway from cached DLI
//! metadata, never by a DLI job.
//!
//! Owns: everything behind [`crate::gateway::catalog_hook::CatalogService`]:
//! - [`config`] — the `[catalog]` section;
//! - [`source`] — reading DLI's catalog endpoints (all pages); [`cache`] — the shared
//!   metadata cache (TTL, refresh, invalidation after DDL, stale-on-error);
//!   [`needs`] / [`columns`] — which databases a query needs described, and describing
//!   them (bounded concurrency);
//! - [`model`] — DLI databases/tables/columns as Postgres schemas/relations/attributes,
//!   with stable name-derived [`oids`];
//! - [`route`] — deciding, on the parsed AST, whether a statement is a catalog query;
//! - [`identities`] — one catalog per `dli-passthrough` identity, bounded.
//!
//! Must not submit DLI jobs, and must not know pgwire beyond the types of the seam.

pub mod answers;
pub mod batch;
pub mod cache;
pub mod columns;
mod condterms;
pub mod config;
pub mod cursors;
pub mod describe;
pub mod engine;
pub mod fixups;
pub mod flink;
pub mod functions;
pub mod identities;
pub mod infoschema;
pub mod invalidate;
pub mod model;
mod namematch;
pub mod needs;
pub mod oids;
pub mod pgfuncs;
pub mod pgtables;
pub mod rewrite;
pub mod route;
pub mod rows;
pub mod schemas;
pub mod service;
pub mod source;
pub mod status;
pub mod system;
pub mod types;

pub use config::CatalogConfig;
pub use service::DliCatalog;
