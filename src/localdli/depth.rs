//! The embedded service's bound on statement nesting, with Spark's own refusal.
//!
//! Owns: [`MAX_NESTING`] and [`check`], run on a job's SQL before it is parsed. Spark 4
//! refuses a statement its parser cannot hold with `[FAILED_TO_PARSE_TOO_COMPLEX]`
//! (SQLSTATE 54001); Spark 3.5 overflows its stack on the same statements (measured:
//! a `1 + 1 + …` sum of 1,000 terms, 400 nested brackets, 1,000 `UNION ALL`s). The
//! measure is [`crate::sqldepth`]'s; check-sql and jobs run on threads with
//! [`STACK_BYTES`] of stack, which every step (parse, planning, execution, drop) of a
//! statement within the limit fits in.

use sqlparser::tokenizer::Tokenizer;

use super::error::SqlError;
use super::sparkerr;
use crate::sparksql::SparkDialect;

/// The deepest statement the service reads (see [`crate::sqldepth::nesting`]): where
/// Spark 3.5 runs out of stack on a sum, a little above where it does on brackets.
pub const MAX_NESTING: usize = 1000;

/// Stack of the threads that plan and run statements (the service's runtime and the job
/// runtime): DataFusion evaluates expressions recursively, a few KiB per level in an
/// unoptimised build, so [`MAX_NESTING`] levels need more than tokio's 2 MiB default.
/// Address space only: pages are committed as they are touched.
pub const STACK_BYTES: usize = 32 << 20;

/// Refuse `sql` when it nests deeper than [`MAX_NESTING`]. Text that does not tokenise
/// is left to the parser, which reports it.
pub fn check(sql: &str) -> Result<(), SqlError> {
    let Ok(tokens) = Tokenizer::new(&SparkDialect, sql).tokenize() else {
        return Ok(());
    };
    if crate::sqldepth::nesting(&tokens) > MAX_NESTING {
        return Err(sparkerr::too_complex());
    }
    Ok(())
}
