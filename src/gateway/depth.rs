//! The gateway's bound on statement nesting: 54001 "statement too complex" before a tree
//! too deep for its stacks is built.
//!
//! Owns: [`MAX_NESTING`] and the error. The measure is [`crate::sqldepth`]'s, taken on
//! the client's tokens ([`Lexed::nesting`]) before the Postgres and Spark parses. The
//! limit is above what Spark 3.5 itself parses (a sum of 1,000 terms overflows its
//! stack; README "Bad input"), so a statement refused here would fail on DLI too; below
//! it every step the gateway runs on a statement (parses, analysis, clone, drop) fits in
//! a 2 MiB thread stack, unoptimised build included (`tests/malformed.rs`).

use crate::errors::{ErrorKind, GatewayError};
use crate::pgsql::Lexed;

/// The deepest statement the gateway reads (see [`crate::sqldepth::nesting`]).
pub const MAX_NESTING: usize = 1500;

/// Nesting above which the Postgres → Spark rewrite runs on a thread of its own with
/// [`DEEP_STACK_BYTES`] of stack ([`crate::translate`] walks the tree recursively).
pub const INLINE_NESTING: usize = 96;

/// The stack of that thread: room for [`MAX_NESTING`] levels, unoptimised build included.
pub const DEEP_STACK_BYTES: usize = 256 << 20;

/// The error for a statement nested deeper than [`MAX_NESTING`].
pub fn too_complex(lexed: &Lexed) -> Option<GatewayError> {
    let depth = lexed.nesting();
    (depth > MAX_NESTING).then(|| {
        GatewayError::new(ErrorKind::StatementTooComplex, "statement too complex")
            .with_detail(format!(
                "The statement nests {depth} levels deep (operator chains, brackets, set operations); the gateway reads at most {MAX_NESTING}."
            ))
            .with_hint("Split the statement, or write long chains as lists (IN (…), a VALUES list).")
    })
}
