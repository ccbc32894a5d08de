//! Postgres → Spark SQL: client SQL is parsed as Postgres and emitted as the Spark SQL
//! (DLI's Spark 3.3) that means the same, or refused with `0A000` naming the construct
//! that has no Spark equivalent. Never a silently different answer.
//!
//! Owns: the rewrite of a parsed Postgres statement into Spark's meaning. The lexical
//! layer (string quoting, identifiers, `$n` values) stays in [`crate::pgsql`].
//!
//! Layout (work in progress, session 6): `mod.rs` drives the rewrite; [`datetime`] owns
//! date/time constructs (EXTRACT/date_part fields, date_trunc, intervals and date
//! arithmetic, to_char/to_timestamp/to_date) with [`pgpattern`] for format patterns.

pub mod datetime;
mod error;
pub mod pgpattern;

pub use error::Untranslatable;

/// The Spark text for one Postgres statement, placeholders kept as `$n`.
/// Placeholder until the translator lands: the token-level translation.
pub fn to_spark(sql: &str) -> Result<String, Untranslatable> {
    Ok(crate::pgsql::Lexed::new(sql).to_spark())
}
