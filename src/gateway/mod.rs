//! The Postgres front end.
//!
//! Owns: everything between a Postgres client and the DLI job seam. Submodules:
//! [`config`] (the `[server]` and `[runner]` sections), [`server`] (listener, pgwire
//! wiring), [`auth`], [`tls`], [`throttle`], [`passthrough`] and [`login`] (connection security),
//! [`handler`] (routing), [`extended`] and [`params`] (extended protocol), [`local`] (session
//! commands), [`runner`] (statement → DLI job), [`encode`] (rows), [`session`].
//! Never sees HTTP types: DLI is reached only through [`runner::JobBackend`], the catalog
//! only through [`catalog_hook::CatalogService`]. Must not import `localdli` or `catalog`:
//! the wiring lives in [`crate::app`].

pub mod auth;
pub mod catalog_hook;
pub mod config;
pub mod encode;
pub mod extended;
pub mod handler;
pub mod infer;
pub mod local;
pub mod login;
pub mod params;
pub mod passthrough;
pub mod pg_handlers;
pub mod runner;
pub mod server;
pub mod session;
pub mod throttle;
pub mod tls;
