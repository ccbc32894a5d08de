//! What Spark 3.3 (the engine DLI runs) refuses, refused here too, so that a statement
//! the embedded service runs is one real DLI runs:
//!
//! - `expr::type` casts (Spark 3.3 has none), `OFFSET` (3.4+), `FETCH FIRST`, MySQL's
//!   `LIMIT m, n`, and the Postgres regex operators `~`, `~*`, `!~`, `!~*` (Spark's `~` is
//!   only the unary bitwise not): syntax errors (DLI.0004), at the position Spark names;
//! - cast types outside Spark's type grammar (`TEXT`, `INT4`, `FLOAT8`, `TIMESTAMPTZ`,
//!   `DOUBLE PRECISION` …): syntax errors, as Spark's parser reports them;
//! - functions outside Spark 3.3's built-in list (`spark33_functions.txt`, from
//!   `SHOW SYSTEM FUNCTIONS` of pyspark 3.3.4): `to_char`, `generate_series`, `dateadd` …
//!   fail with `UNRESOLVED_ROUTINE` (DLI.0005) even where DataFusion has one;
//! - `EXTRACT` / `date_part` fields Spark 3.3 does not know (`epoch`, `isodow`,
//!   `millisecond` …): analysis errors.
//!
//! [`tokens`] reads the text as written (before the engine's own literal rewrites add
//! `::` casts); [`check`] the parsed statement. Owns these refusals only.

use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, DataType, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, LimitClause,
    ObjectNamePart, Query, Value, Visit, Visitor,
};
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

use super::error::{SqlError, SqlErrorKind};
use super::sparkerr::quoted_name;
use crate::sparksql::SparkDialect;

/// Spark 3.3's built-in function names, one a line (`SHOW SYSTEM FUNCTIONS`).
const FUNCTIONS: &str = include_str!("spark33_functions.txt");

/// The fields Spark 3.3's `EXTRACT` and `date_part` accept (`DatePart.parseExtractField`).
const EXTRACT_FIELDS: &[&str] = &[
    "year",
    "y",
    "years",
    "yr",
    "yrs",
    "yearofweek",
    "quarter",
    "qtr",
    "month",
    "mon",
    "mons",
    "months",
    "week",
    "w",
    "weeks",
    "day",
    "d",
    "days",
    "dayofweek",
    "dow",
    "dayofweek_iso",
    "dow_iso",
    "doy",
    "hour",
    "h",
    "hours",
    "hr",
    "hrs",
    "minute",
    "m",
    "min",
    "mins",
    "minutes",
    "second",
    "s",
    "sec",
    "seconds",
    "secs",
];

/// Spark 3.3's primitive type names (`AstBuilder.visitPrimitiveDataType`), plus the
/// complex types; anything else in a cast is `DataType … is not supported`.
const TYPES: &[&str] = &[
    "BOOLEAN",
    "TINYINT",
    "BYTE",
    "SMALLINT",
    "SHORT",
    "INT",
    "INTEGER",
    "BIGINT",
    "LONG",
    "FLOAT",
    "REAL",
    "DOUBLE",
    "DATE",
    "TIMESTAMP",
    "TIMESTAMP_NTZ",
    "TIMESTAMP_LTZ",
    "STRING",
    "CHAR",
    "CHARACTER",
    "VARCHAR",
    "BINARY",
    "DECIMAL",
    "DEC",
    "NUMERIC",
    "INTERVAL",
    "ARRAY",
    "MAP",
    "STRUCT",
    "VOID",
];

/// Refusals visible in the text as written: `::` casts. Cheap when the text has none.
pub fn tokens(sql: &str) -> Result<(), SqlError> {
    if !sql.contains("::") {
        return Ok(());
    }
    crate::sparksql::passes::tokenised();
    let Ok(tokens) = Tokenizer::new(&SparkDialect, sql).tokenize_with_location() else {
        // The parser reports the error.
        return Ok(());
    };
    match tokens.iter().find(|t| t.token == Token::DoubleColon) {
        Some(t) => Err(syntax(&format!("':'{}", at(t)))),
        None => Ok(()),
    }
}

/// Refusals of a parsed statement (see the module doc); `sql` is the text it was parsed
/// from, for positions.
pub fn check<V: Visit>(node: &V, sql: &str) -> Result<(), SqlError> {
    struct Strict<'a>(&'a str);
    impl Visitor for Strict<'_> {
        type Break = SqlError;
        fn pre_visit_query(&mut self, q: &Query) -> ControlFlow<SqlError> {
            match query(q, self.0) {
                Ok(()) => ControlFlow::Continue(()),
                Err(e) => ControlFlow::Break(e),
            }
        }
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<SqlError> {
            match expr(e, self.0) {
                Ok(()) => ControlFlow::Continue(()),
                Err(e) => ControlFlow::Break(e),
            }
        }
    }
    match node.visit(&mut Strict(sql)) {
        ControlFlow::Break(e) => Err(e),
        ControlFlow::Continue(()) => Ok(()),
    }
}

fn query(q: &Query, sql: &str) -> Result<(), SqlError> {
    let keyword = match &q.limit_clause {
        Some(LimitClause::LimitOffset {
            offset: Some(_), ..
        }) => Some("OFFSET"),
        Some(LimitClause::OffsetCommaLimit { .. }) => Some(","),
        _ if q.fetch.is_some() => Some("FETCH"),
        _ => None,
    };
    match keyword {
        Some(k) => {
            let pos = locate(sql, |t| match &t.token {
                Token::Word(w) => w.quote_style.is_none() && w.value.eq_ignore_ascii_case(k),
                Token::Comma => k == ",",
                _ => false,
            });
            Err(syntax(&format!("'{k}'{pos}")))
        }
        None => Ok(()),
    }
}

fn expr(e: &Expr, sql: &str) -> Result<(), SqlError> {
    match e {
        Expr::BinaryOp { op, .. } => match op {
            BinaryOperator::PGRegexMatch
            | BinaryOperator::PGRegexIMatch
            | BinaryOperator::PGRegexNotMatch
            | BinaryOperator::PGRegexNotIMatch => {
                let pos = locate(sql, |t| {
                    matches!(
                        t.token,
                        Token::Tilde
                            | Token::TildeAsterisk
                            | Token::ExclamationMarkTilde
                            | Token::ExclamationMarkTildeAsterisk
                    )
                });
                let near = match op {
                    BinaryOperator::PGRegexNotMatch | BinaryOperator::PGRegexNotIMatch => "!",
                    _ => "~",
                };
                Err(syntax(&format!("'{near}'{pos}")))
            }
            _ => Ok(()),
        },
        Expr::Cast { data_type, .. } => cast_type(data_type, sql),
        Expr::Extract { field, .. } => extract_field(&field.to_string()),
        Expr::Function(f) => {
            let name = match f.name.0.as_slice() {
                [ObjectNamePart::Identifier(id)] => id.value.to_ascii_lowercase(),
                _ => {
                    let parts: Vec<String> = f.name.0.iter().map(|p| p.to_string()).collect();
                    return Err(unresolved(
                        &parts.iter().map(String::as_str).collect::<Vec<_>>(),
                    ));
                }
            };
            if !FUNCTIONS.lines().any(|l| l == name) {
                return Err(unresolved(&[&name]));
            }
            if name == "date_part"
                && let FunctionArguments::List(list) = &f.args
                && let Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(v)))) =
                    list.args.first()
                && let Value::SingleQuotedString(field) = &v.value
            {
                return extract_field(field);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn cast_type(data_type: &DataType, sql: &str) -> Result<(), SqlError> {
    let text = data_type.to_string();
    let base = text
        .split(['(', '<'])
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_uppercase();
    let first = base
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    if TYPES.contains(&base.as_str()) || (first == "INTERVAL") {
        return Ok(());
    }
    let pos = locate(
        sql,
        |t| matches!(&t.token, Token::Word(w) if w.value.eq_ignore_ascii_case(&first)),
    );
    if TYPES.contains(&first.as_str()) {
        // `DOUBLE PRECISION`, `TIMESTAMP WITH TIME ZONE`: the second word is extra input
        let second = base.split_whitespace().nth(1).unwrap_or_default();
        let pos = locate(
            sql,
            |t| matches!(&t.token, Token::Word(w) if w.value.eq_ignore_ascii_case(second)),
        );
        return Err(syntax(&format!("'{second}': extra input '{second}'{pos}")));
    }
    Err(SqlError::new(
        SqlErrorKind::Syntax,
        format!("[UNSUPPORTED_DATATYPE] Unsupported data type \"{first}\"{pos}"),
    ))
}

fn extract_field(field: &str) -> Result<(), SqlError> {
    let lower = field.trim_matches(['\'', '"', '`']).to_ascii_lowercase();
    if EXTRACT_FIELDS.contains(&lower.as_str()) {
        return Ok(());
    }
    Err(SqlError::new(
        SqlErrorKind::Analysis,
        format!(
            "[INVALID_EXTRACT_FIELD] Cannot extract {lower}: Literals of type '{lower}' are \
             currently not supported."
        ),
    ))
}

fn unresolved(parts: &[&str]) -> SqlError {
    SqlError::new(
        SqlErrorKind::Analysis,
        format!(
            "[UNRESOLVED_ROUTINE] Cannot resolve function {} on search path \
             [`system`.`builtin`, `system`.`session`, `spark_catalog`.`default`].",
            quoted_name(parts)
        ),
    )
}

fn syntax(near_and_pos: &str) -> SqlError {
    SqlError::new(
        SqlErrorKind::Syntax,
        format!("[PARSE_SYNTAX_ERROR] Syntax error at or near {near_and_pos}"),
    )
}

/// `.(line L, pos P)` of a token, as Spark reports a position (0-based column).
fn at(t: &TokenWithSpan) -> String {
    format!(
        ".(line {}, pos {})",
        t.span.start.line,
        t.span.start.column.saturating_sub(1)
    )
}

/// The position of the first token of `sql` matching `pred` (empty when none).
fn locate(sql: &str, pred: impl Fn(&TokenWithSpan) -> bool) -> String {
    Tokenizer::new(&SparkDialect, sql)
        .tokenize_with_location()
        .ok()
        .and_then(|ts| ts.iter().find(|t| pred(t)).map(at))
        .unwrap_or_else(|| ".".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict(sql: &str) -> Result<(), String> {
        tokens(sql).map_err(|e| e.message.clone())?;
        let stmt = crate::sparksql::parse(sql)
            .map_err(|e| e.to_string())?
            .remove(0);
        check(&stmt, sql).map_err(|e| e.message)
    }

    #[test]
    fn spark_33_refusals() {
        for (sql, msg) in [
            (
                "SELECT 1::int",
                "[PARSE_SYNTAX_ERROR] Syntax error at or near ':'.(line 1, pos 8)",
            ),
            (
                "SELECT 1 LIMIT 1 OFFSET 1",
                "[PARSE_SYNTAX_ERROR] Syntax error at or near 'OFFSET'.(line 1, pos 17)",
            ),
            (
                "SELECT 'abc' ~ 'b'",
                "[PARSE_SYNTAX_ERROR] Syntax error at or near '~'.(line 1, pos 13)",
            ),
            (
                "SELECT CAST(1 AS DOUBLE PRECISION)",
                "[PARSE_SYNTAX_ERROR] Syntax error at or near 'PRECISION': extra input \
                 'PRECISION'.(line 1, pos 24)",
            ),
            (
                "SELECT CAST(1 AS TEXT)",
                "[UNSUPPORTED_DATATYPE] Unsupported data type \"TEXT\".(line 1, pos 17)",
            ),
        ] {
            assert_eq!(strict(sql), Err(msg.to_string()), "{sql}");
        }
        assert!(strict("SELECT to_char(1, '9')").is_err());
        assert!(strict("SELECT extract(epoch FROM d) FROM t").is_err());
        assert!(strict("SELECT date_part('isodow', d) FROM t").is_err());
        for ok in [
            "SELECT ~5, '::', `a::b` FROM t",
            "SELECT CAST(a AS VARCHAR(3)), CAST(a AS DECIMAL(5,2)), CAST(a AS ARRAY<INT>) FROM t",
            "SELECT extract(dow FROM d), date_part('DOW_ISO', d), nvl(a, 1) FROM t",
            "SELECT offset FROM t LIMIT 1",
        ] {
            assert_eq!(strict(ok), Ok(()), "{ok}");
        }
    }
}
