//! Parameter types from the statement itself, as Postgres infers them from casts:
//! `CAST($1 AS BIGINT)` and `$1::date` make `$1` a bigint and a date.
//!
//! Owns this one rule; the catalog's planner infers the rest (comparisons with columns,
//! arithmetic). Reads the Spark translation with the Spark dialect.

use std::ops::ControlFlow;

use pgwire::api::Type;
use sqlparser::ast::{Expr, Value, visit_expressions};

use crate::{pgtypes, sparksql};

/// For each `$n` (index n-1) that appears directly inside a cast, the cast's type. The
/// client's text is read with Postgres rules first (`$1::oid[]`), the Spark translation
/// second (`CAST($1 AS ARRAY<INT>)`).
pub fn cast_parameter_types(pg_sql: &str, spark_sql: &str, params: usize) -> Vec<Option<Type>> {
    let mut out = vec![None; params];
    let pg =
        sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::PostgreSqlDialect {}, pg_sql);
    let stmts = match (pg, sparksql::parse(spark_sql)) {
        (Ok(p), _) => p,
        (Err(_), Ok(s)) => s,
        _ => return out,
    };
    let _ = visit_expressions(&stmts, |e: &Expr| {
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
    out
}

/// Spark cannot cast a string to a map or a struct, so a parameter bound to such a cast
/// (as JSON) is read with `from_json`: `CAST($1 AS MAP<STRING,INT>)` becomes
/// `from_json($1, 'MAP<STRING,INT>')`. Everything else is kept as written.
pub fn json_casts_to_from_json(spark_sql: &str) -> String {
    use sqlparser::tokenizer::{Token, Tokenizer};
    let Ok(toks) = Tokenizer::new(&sparksql::SparkDialect, spark_sql).tokenize_with_location()
    else {
        return spark_sql.to_string();
    };
    let offsets = sparksql::LineOffsets::new(spark_sql);
    let at = |t: &sqlparser::tokenizer::TokenWithSpan, end: bool| {
        let loc = if end { t.span.end } else { t.span.start };
        offsets.byte_offset(loc.line, loc.column)
    };
    // Indices of the tokens that are not white space.
    let idx: Vec<usize> = (0..toks.len())
        .filter(|&i| !matches!(toks[i].token, Token::Whitespace(_) | Token::EOF))
        .collect();
    let word = |i: usize, w: &str| matches!(&toks[i].token, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    let mut out = String::with_capacity(spark_sql.len() + 16);
    let mut copied = 0usize;
    let mut k = 0usize;
    while k + 4 < idx.len() {
        let (c, lp, ph, as_kw, ty) = (idx[k], idx[k + 1], idx[k + 2], idx[k + 3], idx[k + 4]);
        let is_json_cast = word(c, "CAST")
            && toks[lp].token == Token::LParen
            && matches!(toks[ph].token, Token::Placeholder(_))
            && word(as_kw, "AS")
            && (word(ty, "MAP") || word(ty, "STRUCT"));
        if !is_json_cast {
            k += 1;
            continue;
        }
        // The closing parenthesis of the CAST.
        let mut depth = 0i32;
        let mut close = None;
        for &j in &idx[k + 4..] {
            match toks[j].token {
                Token::LParen => depth += 1,
                Token::RParen if depth == 0 => {
                    close = Some(j);
                    break;
                }
                Token::RParen => depth -= 1,
                _ => {}
            }
        }
        let Some(close) = close else { break };
        let type_text = spark_sql[at(&toks[ty], false)..at(&toks[close], false)].trim();
        let placeholder = &spark_sql[at(&toks[ph], false)..at(&toks[ph], true)];
        out.push_str(&spark_sql[copied..at(&toks[c], false)]);
        out.push_str(&format!(
            "from_json({placeholder}, {})",
            sparksql::quote_string(type_text)
        ));
        copied = at(&toks[close], true);
        k = idx
            .iter()
            .position(|&i| i == close)
            .map_or(idx.len(), |p| p + 1);
    }
    out.push_str(&spark_sql[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_and_struct_casts_of_parameters_read_json() {
        assert_eq!(
            json_casts_to_from_json(
                "SELECT CAST($1 AS MAP<STRING,INT>) AS m, CAST($2 AS struct<a:int,b:string>), CAST($3 AS INT) FROM t"
            ),
            "SELECT from_json($1, 'MAP<STRING,INT>') AS m, from_json($2, 'struct<a:int,b:string>'), CAST($3 AS INT) FROM t"
        );
        assert_eq!(
            json_casts_to_from_json("SELECT CAST(x AS MAP<STRING,INT>)"),
            "SELECT CAST(x AS MAP<STRING,INT>)"
        );
    }

    #[test]
    fn casts_type_their_parameters() {
        let spark = "SELECT CAST($1 AS BIGINT) + 1, $2 AND TRUE, CAST($3 AS DECIMAL(10,3)), $4::date, CAST($5 AS ARRAY<INT>)";
        let t = cast_parameter_types(spark, spark, 5);
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
        assert_eq!(cast_parameter_types("not sql at all (", "(", 1), vec![None]);
        let pg = "SELECT 1 FROM pg_type t WHERE t.oid = any($1::oid[]) AND t.typname = $2::name";
        assert_eq!(
            cast_parameter_types(pg, pg, 2),
            vec![Some(Type::OID_ARRAY), Some(Type::NAME)]
        );
    }
}
