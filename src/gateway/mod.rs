//! The Postgres front end.
//!
//! Owns: everything between a Postgres client and the DLI job seam. Submodules:
//! - connection: [`config`] (the `[server]` and `[runner]` sections), [`server`]
//!   (listener, pgwire wiring), `conn` and `guarded` (one connection's loop and byte
//!   stream), `trim` (memory given back after sessions close), [`auth`], [`tls`],
//!   [`throttle`], [`passthrough`] and [`login`] (connection security);
//! - the protocol-neutral core: [`plan`] (one statement read once), [`classify`],
//!   [`router`], [`catalogs`] (whose catalog answers a session), [`local`] (session commands), [`params`], [`infer`], [`runner`]
//!   (statement → DLI job), [`convert`], [`output`], [`session`], [`copy`] (COPY TO
//!   STDOUT), [`cursor`] (DECLARE, FETCH, MOVE, CLOSE);
//! - several replicas: [`cluster`] (job tags, cancel by tag), [`sweep`] (orphaned jobs),
//!   [`cancel`] (pgwire's cancel handler and cancel keys);
//! - the pgwire side: [`pg_handlers`], [`extended`], [`client`], [`bind`], [`encode`],
//!   [`copy_out`].
//!
//! Never sees HTTP types: DLI is reached only through [`runner::JobBackend`], the catalog
//! only through [`catalog_hook::CatalogService`]. Must not import `localdli` or `catalog`:
//! the wiring lives in [`crate::app`].

mod answer;
pub mod auth;
pub mod backend;
pub mod bind;
pub mod cancel;
pub mod catalog_hook;
pub mod catalogs;
pub mod checked;
pub mod classify;
pub mod client;
pub mod clock;
pub mod cluster;
pub mod config;
mod conn;
pub mod constant;
pub mod convert;
pub mod copy;
pub mod copy_out;
pub mod cursor;
mod depth;
pub mod encode;
pub mod extended;
mod frames;
mod fullresult;
mod guarded;
mod incomplete;
pub mod infer;
pub mod lifecycle;
pub mod local;
pub mod login;
pub mod output;
pub mod params;
pub mod passthrough;
pub mod pg_handlers;
pub mod plan;
pub mod poll;
pub mod poller;
pub mod progress;
pub mod reuse;
pub mod router;
pub mod runner;
mod saslcheck;
pub mod server;
pub mod session;
pub mod share;
pub mod sharing;
pub mod stmtlog;
pub mod sweep;
pub mod throttle;
pub mod tls;
mod trim;
mod wait;
