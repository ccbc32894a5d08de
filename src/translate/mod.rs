//! Postgres → Spark SQL: client SQL is parsed as Postgres and emitted as the Spark SQL
//! (DLI's Spark 3.3) that means the same, or refused with `0A000` naming the construct
//! that has no Spark equivalent. Never a silently different answer.
//!
//! Owns: the rewrite of a parsed Postgres statement into Spark's meaning. The result is
//! printed back as Postgres-lexed text with `$n` kept; the lexical layer
//! ([`crate::pgsql::Lexed::spark_with`]) stays the one owner of quoting: string
//! literals, `"identifiers"` and bound values. A statement the rewrite leaves unchanged
//! keeps the client's own text (and its comments).
//!
//! Layout: [`visit`] walks the statement and calls every rewrite; [`types`] casts and
//! type names; [`exprs`] operators and functions; [`names`] Postgres' output column
//! names; [`paging`] NULL ordering, `OFFSET` and `FETCH`; [`datetime`] (engineer
//! `pgformat`) date/time constructs with [`pgpattern`] for format patterns.

mod build;
mod columns;
pub mod datetime;
mod error;
mod exprs;
pub mod names;
mod paging;
pub mod pgpattern;
mod quote;
mod scope;
mod series;
mod types;
mod typing;
mod visit;

use sqlparser::ast::Statement;

pub use columns::{ColumnTypes, NoColumns};
pub use error::Untranslatable;

/// The Spark text for one Postgres statement, placeholders kept as `$n`. Text that does
/// not parse as one Postgres statement (Spark-only DDL such as `CREATE TABLE … USING
/// parquet`) gets the token translation only, as before the translator.
pub fn to_spark(sql: &str) -> Result<String, Untranslatable> {
    to_spark_with(sql, &NoColumns)
}

/// [`to_spark`] with column types from cached metadata.
pub fn to_spark_with(sql: &str, columns: &dyn ColumnTypes) -> Result<String, Untranslatable> {
    let lexed = crate::pgsql::Lexed::new(sql);
    let parsed = lexed.parse().ok().filter(|v| v.len() == 1);
    match parsed.as_ref().and_then(|v| v.first()) {
        Some(stmt) => match statement(stmt, &lexed.comments(), columns)? {
            Some(printed) => Ok(crate::pgsql::Lexed::new(&printed).to_spark()),
            None => Ok(lexed.to_spark()),
        },
        None => Ok(lexed.to_spark()),
    }
}

/// The rewrite of one parsed Postgres statement, printed with Postgres' lexical rules
/// (`$n` kept) and the client's `comments` ([`crate::pgsql::Lexed::comments`]) for
/// [`crate::pgsql::Lexed`] to translate; `None` when nothing needed rewriting (the
/// client's text is then used as written).
pub fn statement(
    stmt: &Statement,
    comments: &[&str],
    columns: &dyn ColumnTypes,
) -> Result<Option<String>, Untranslatable> {
    let mut out = stmt.clone();
    let changed = visit::rewrite(&mut out, columns)?;
    Ok(changed.then(|| quote::with_comments(comments, quote::print(out))))
}

#[cfg(test)]
mod tests;
