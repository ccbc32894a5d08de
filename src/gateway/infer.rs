//! Parameter types from the statement itself, as Postgres infers them from casts:
//! `CAST($1 AS BIGINT)` and `$1::date` make `$1` a bigint and a date.
//!
//! Owns this one rule; the catalog's planner infers the rest (comparisons with columns,
//! arithmetic). Reads the Spark translation with the Spark dialect.

use std::ops::ControlFlow;

use pgwire::api::Type;
use sqlparser::ast::{Expr, Value, visit_expressions};

use crate::pgtypes::SparkType;
use crate::sparksql;

/// For each `$n` (index n-1) that appears directly inside a cast, the cast's type.
pub fn cast_parameter_types(spark_sql: &str, params: usize) -> Vec<Option<Type>> {
    let mut out = vec![None; params];
    let Ok(stmts) = sparksql::parse(spark_sql) else {
        return out;
    };
    let _ = visit_expressions(&stmts, |e: &Expr| {
        if let Expr::Cast {
            expr, data_type, ..
        } = e
            && let Expr::Value(v) = expr.as_ref()
            && let Value::Placeholder(p) = &v.value
            && let Some(n) = p.strip_prefix('$').and_then(|n| n.parse::<usize>().ok())
            && (1..=params).contains(&n)
        {
            let spark = SparkType::parse(&data_type.to_string());
            if !matches!(spark, SparkType::Other(_)) {
                out[n - 1].get_or_insert(spark.pg_type().pg);
            }
        }
        ControlFlow::<()>::Continue(())
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casts_type_their_parameters() {
        let t = cast_parameter_types(
            "SELECT CAST($1 AS BIGINT) + 1, $2 AND TRUE, CAST($3 AS DECIMAL(10,3)), $4::date, CAST($5 AS ARRAY<INT>)",
            5,
        );
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
        assert_eq!(cast_parameter_types("not sql at all (", 1), vec![None]);
    }
}
