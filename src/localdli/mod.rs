//! Embedded DLI-compatible service (work in progress).

pub mod catalog;
pub mod config;
pub mod ddl;
pub mod error;
pub mod sparktypes;
pub mod warehouse;

pub use config::LocalDliConfig;
pub use error::LocalDliError;
