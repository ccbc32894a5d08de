//! Date and time constructs in Spark's words with Postgres' meaning: EXTRACT/date_part
//! fields, date_trunc, intervals and date arithmetic, to_char/to_timestamp/to_date.

use sqlparser::ast::Expr;

use super::Untranslatable;

/// Rewrite one expression node in place when it is a date/time construct whose Spark
/// spelling or meaning differs from Postgres'. `Ok(true)`: the node was rewritten (its
/// children are still to be visited by the caller); `Ok(false)`: not a date/time
/// construct, or already the same on Spark.
pub fn rewrite(_expr: &mut Expr) -> Result<bool, Untranslatable> {
    Ok(false)
}
