//! Parameter types from the statement itself, as Postgres infers them from casts:
//! `CAST($1 AS BIGINT)` and `$1::date` make `$1` a bigint and a date.
//!
//! Owns this one rule; the catalog's planner infers the rest (comparisons with columns,
//! arithmetic). Reads a statement already parsed (Postgres rules, or Spark's when only
//! Spark could parse it); never parses text itself.

use std::ops::ControlFlow;

use postgres_types::Type;
use sqlparser::ast::{Expr, Statement, Value, visit_expressions};

use crate::pgtypes;

/// For each `$n` (index n-1) that appears directly inside a cast, the cast's type:
/// `$1::oid[]` (Postgres) or `CAST($1 AS ARRAY<INT>)` (Spark).
pub fn cast_parameter_types(stmts: &[Statement], params: usize) -> Vec<Option<Type>> {
    let mut out = vec![None; params];
    for stmt in stmts {
        let _ = visit_expressions(stmt, |e: &Expr| {
            if let Expr::Cast {
                expr, data_type, ..
            } = e
                && let Expr::Value(v) = expr.as_ref()
                && let Value::Placeholder(p) = &v.value
                && let Some(n) = p.strip_prefix('$').and_then(|n| n.parse::<usize>().ok())
                && (1..=params).contains(&n)
                && let Some(ty) = pgtypes::cast_type(&data_type.to_string())
            {
                out[n - 1].get_or_insert(ty);
            }
            ControlFlow::<()>::Continue(())
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types_of(sql: &str, params: usize) -> Vec<Option<Type>> {
        match crate::sparksql::parse(sql) {
            Ok(stmts) => cast_parameter_types(&stmts, params),
            Err(_) => vec![None; params],
        }
    }

    #[test]
    fn casts_type_their_parameters() {
        let spark = "SELECT CAST($1 AS BIGINT) + 1, $2 AND TRUE, CAST($3 AS DECIMAL(10,3)), $4::date, CAST($5 AS ARRAY<INT>)";
        let t = types_of(spark, 5);
        assert_eq!(
            t,
            vec![
                Some(Type::INT8),
                None,
                Some(Type::NUMERIC),
                Some(Type::DATE),
                Some(Type::INT4_ARRAY)
            ]
        );
        assert_eq!(types_of("not sql at all (", 1), vec![None]);
        let pg = "SELECT 1 FROM pg_type t WHERE t.oid = any($1::oid[]) AND t.typname = $2::name";
        let parsed = crate::pgsql::Lexed::new(pg).parse().unwrap();
        assert_eq!(
            cast_parameter_types(&parsed, 2),
            vec![Some(Type::OID_ARRAY), Some(Type::NAME)]
        );
    }
}
