//! Turns parser and DataFusion failures into Spark 3.4-style messages, with the error
//! class in brackets (`[TABLE_OR_VIEW_NOT_FOUND] …`) so that a gateway can map them the
//! same way it maps real DLI messages. Owns message wording only.

use datafusion::arrow::error::ArrowError;
use datafusion::common::SchemaError;
use datafusion::error::DataFusionError;
use sqlparser::parser::ParserError;

use super::error::{SqlError, SqlErrorKind};

/// `` `a`.`b` `` as Spark quotes multi-part names.
pub fn quoted_name(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| format!("`{}`", p.replace('`', "``")))
        .collect::<Vec<_>>()
        .join(".")
}

pub fn table_not_found(parts: &[&str]) -> SqlError {
    SqlError::new(
        SqlErrorKind::Missing,
        format!(
            "[TABLE_OR_VIEW_NOT_FOUND] The table or view {} cannot be found. Verify the spelling \
             and correctness of the schema and catalog.",
            quoted_name(parts)
        ),
    )
}

pub fn schema_not_found(db: &str) -> SqlError {
    SqlError::new(
        SqlErrorKind::Missing,
        format!(
            "[SCHEMA_NOT_FOUND] The schema {} cannot be found. Verify the spelling and \
             correctness of the schema and catalog.",
            quoted_name(&[db])
        ),
    )
}

pub fn table_exists(db: &str, table: &str) -> SqlError {
    SqlError::new(
        SqlErrorKind::Exists,
        format!(
            "[TABLE_OR_VIEW_ALREADY_EXISTS] Cannot create table or view {} because it already \
             exists.",
            quoted_name(&[db, table])
        ),
    )
}

pub fn schema_exists(db: &str) -> SqlError {
    SqlError::new(
        SqlErrorKind::Exists,
        format!(
            "[SCHEMA_ALREADY_EXISTS] Cannot create schema {} because it already exists.",
            quoted_name(&[db])
        ),
    )
}

pub fn schema_not_empty(db: &str) -> SqlError {
    SqlError::new(
        SqlErrorKind::Analysis,
        format!(
            "[SCHEMA_NOT_EMPTY] Cannot drop a schema {} because it contains objects. Use DROP \
             SCHEMA ... CASCADE to drop the schema and all its objects.",
            quoted_name(&[db])
        ),
    )
}

pub fn invalid_name(name: &str) -> SqlError {
    SqlError::new(
        SqlErrorKind::Analysis,
        format!(
            "[INVALID_IDENTIFIER] The identifier {name} is invalid: use letters, digits and \
             underscores, not starting with an underscore."
        ),
    )
}

/// Spark 4's refusal of a statement too deeply nested to parse (SQLSTATE 54001).
pub fn too_complex() -> SqlError {
    SqlError::new(
        SqlErrorKind::Syntax,
        "[FAILED_TO_PARSE_TOO_COMPLEX] The statement, including potential SQL functions and \
         referenced views, was too complex to parse. To mitigate this error divide the \
         statement into multiple, less complex chunks.",
    )
}

/// A parser failure as `[PARSE_SYNTAX_ERROR] Syntax error at or near 'x'.(line 1, pos 7)`.
pub fn parse_error(err: &ParserError) -> SqlError {
    let text = match err {
        ParserError::ParserError(s) | ParserError::TokenizerError(s) => s.as_str(),
        ParserError::RecursionLimitExceeded => return too_complex(),
    };
    let (near, pos) = match text.split_once("found: ") {
        Some((_, rest)) => match rest.rsplit_once(" at Line: ") {
            Some((tok, loc)) => (tok.to_string(), Some(loc.to_string())),
            None => (rest.to_string(), None),
        },
        None => (
            String::new(),
            text.rsplit_once(" at Line: ").map(|(_, l)| l.to_string()),
        ),
    };
    let near = if near.is_empty() || near == "EOF" {
        "end of input".to_string()
    } else {
        format!("'{near}'")
    };
    let position = pos
        .and_then(|loc| {
            let (line, col) = loc.split_once(", Column: ")?;
            let col: u64 = col.trim().parse().ok()?;
            Some(format!(
                "(line {}, pos {})",
                line.trim(),
                col.saturating_sub(1)
            ))
        })
        .unwrap_or_default();
    SqlError::new(
        SqlErrorKind::Syntax,
        format!("[PARSE_SYNTAX_ERROR] Syntax error at or near {near}.{position}"),
    )
}

/// Maps a DataFusion error raised while planning or running a statement.
pub fn from_datafusion(err: &DataFusionError) -> SqlError {
    let text = err.to_string();
    if let Some(e) = function_error(&text) {
        return e;
    }
    if text.contains("unnest() can only be applied to") {
        // `explode` of something other than an array (super::sparkgen)
        return SqlError::new(
            SqlErrorKind::Analysis,
            "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"explode\" due to data \
             type mismatch: input to function explode should be array or map type.",
        );
    }
    let root = err.find_root();
    match root {
        DataFusionError::SchemaError(schema_err, _) => schema_error(schema_err),
        DataFusionError::ArrowError(arrow, _) => arrow_error(arrow),
        DataFusionError::SQL(parser, _) => parse_error(parser),
        DataFusionError::NotImplemented(msg) => SqlError::unsupported(msg.trim()),
        DataFusionError::Plan(msg) => plan_error(msg),
        DataFusionError::Execution(msg) => execution_error(msg),
        DataFusionError::Shared(inner) => from_datafusion(inner),
        other => {
            let text = other.strip_backtrace();
            if text.contains("Divide by zero") {
                return divide_by_zero();
            }
            SqlError::new(SqlErrorKind::Execution, text)
        }
    }
}

fn schema_error(err: &SchemaError) -> SqlError {
    match err {
        SchemaError::FieldNotFound {
            field,
            valid_fields,
        } => {
            let mut msg = format!(
                "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column or function parameter with name \
                 {} cannot be resolved.",
                quoted_name(&[field.name.as_str()])
            );
            if !valid_fields.is_empty() {
                let names: Vec<String> = valid_fields
                    .iter()
                    .take(5)
                    .map(|c| quoted_name(&[c.name.as_str()]))
                    .collect();
                msg.push_str(&format!(
                    " Did you mean one of the following? [{}].",
                    names.join(", ")
                ));
            }
            SqlError::new(SqlErrorKind::Analysis, msg)
        }
        SchemaError::AmbiguousReference { field } => SqlError::new(
            SqlErrorKind::Analysis,
            format!(
                "[AMBIGUOUS_REFERENCE] Reference {} is ambiguous.",
                quoted_name(&[field.name.as_str()])
            ),
        ),
        other => SqlError::new(SqlErrorKind::Analysis, other.to_string()),
    }
}

fn divide_by_zero() -> SqlError {
    SqlError::new(
        SqlErrorKind::Execution,
        "[DIVIDE_BY_ZERO] Division by zero. Use `try_divide` to tolerate divisor being 0 and \
         return NULL instead. If necessary set \"spark.sql.ansi.enabled\" to \"false\" to bypass \
         this error.",
    )
}

fn arrow_error(err: &ArrowError) -> SqlError {
    match err {
        ArrowError::DivideByZero => divide_by_zero(),
        ArrowError::CastError(msg) | ArrowError::ParseError(msg) => cast_error(msg),
        other => {
            let text = other.to_string();
            if text.contains("Divide by zero") {
                divide_by_zero()
            } else {
                SqlError::new(SqlErrorKind::Execution, text)
            }
        }
    }
}

/// `Cannot cast string 'abc' to value of Int32 type` → CAST_INVALID_INPUT.
fn cast_error(msg: &str) -> SqlError {
    let value = msg.split('\'').nth(1).unwrap_or(msg);
    let target = msg
        .rsplit_once("to value of ")
        .map(|(_, t)| t.trim_end_matches(" type").to_string())
        .unwrap_or_else(|| "the target type".to_string());
    let target = match target.as_str() {
        "Int8" => "TINYINT",
        "Int16" => "SMALLINT",
        "Int32" => "INT",
        "Int64" => "BIGINT",
        "Float32" => "FLOAT",
        "Float64" => "DOUBLE",
        "Date32" => "DATE",
        "Boolean" => "BOOLEAN",
        t if t.starts_with("Timestamp") => "TIMESTAMP",
        t if t.starts_with("Decimal") => "DECIMAL",
        t => t,
    };
    SqlError::new(
        SqlErrorKind::Execution,
        format!(
            "[CAST_INVALID_INPUT] The value '{value}' of the type \"STRING\" cannot be cast to \
             \"{target}\" because it is malformed. Correct the value as per the syntax, or change \
             its target type. Use `try_cast` to tolerate malformed input and return NULL instead."
        ),
    )
}

fn plan_error(msg: &str) -> SqlError {
    let msg = msg.trim();
    if let Some(rest) = msg.strip_prefix("Invalid function '") {
        let name = rest.split('\'').next().unwrap_or(rest);
        return SqlError::new(
            SqlErrorKind::Analysis,
            format!(
                "[UNRESOLVED_ROUTINE] Cannot resolve function {} on search path \
                 [`system`.`builtin`, `system`.`session`, `spark_catalog`.`default`].",
                quoted_name(&[name])
            ),
        );
    }
    if msg.contains("Column count doesn't match") || msg.contains("Inserting query must have") {
        return SqlError::new(
            SqlErrorKind::Analysis,
            format!("[INSERT_COLUMN_ARITY_MISMATCH] Cannot write to table: {msg}"),
        );
    }
    if msg.contains("Divide by zero") {
        return divide_by_zero();
    }
    SqlError::new(SqlErrorKind::Analysis, msg.to_string())
}

fn execution_error(msg: &str) -> SqlError {
    if msg.contains("Divide by zero") || msg.contains("divide by zero") {
        return divide_by_zero();
    }
    if msg.contains("Cannot cast") {
        return cast_error(msg);
    }
    SqlError::new(SqlErrorKind::Execution, msg.trim().to_string())
}

/// The text between the first `open` after `after` and the next `close`.
fn quoted_after<'a>(text: &'a str, after: &str) -> Option<&'a str> {
    let rest = &text[text.find(after)? + after.len()..];
    rest.split('\'')
        .next()
        .filter(|n| !n.is_empty() && !n.contains(' '))
}

/// Errors of a function call (unknown arguments, wrong count or types, features of the
/// function the engine lacks), however DataFusion or datafusion-spark word them, in
/// Spark's words.
fn function_error(text: &str) -> Option<SqlError> {
    let text = text.trim();
    if let Some(rest) = text.split("Unsupported ast node in sqltorel: ").nth(1) {
        let node = rest.split(['(', ' ']).next().unwrap_or(rest);
        let what = if node == "Lambda" {
            "lambda functions".to_string()
        } else {
            format!("the SQL expression {node}")
        };
        return Some(SqlError::unsupported(what));
    }
    if let Some((_, rest)) = text.split_once("Error parsing timestamp from '")
        && let Some(format) = quoted_after(rest, "using format '")
    {
        return Some(SqlError::unsupported(format!(
            "the datetime pattern '{format}' (Spark's Java patterns)"
        )));
    }
    if let Some(charset) = quoted_after(text, "There is no built-in encoding named '") {
        return Some(SqlError::unsupported(format!(
            "the character set '{charset}' in encode/decode"
        )));
    }
    if let Some((_, rest)) = text.split_once("from_json: invalid schema ") {
        let schema = rest.split(':').next().unwrap_or(rest);
        return Some(SqlError::unsupported(format!(
            "the from_json schema {schema}"
        )));
    }
    if let Some((_, detail)) = text.split_once("regex parse error:") {
        let detail = detail.split_whitespace().collect::<Vec<_>>().join(" ");
        return Some(SqlError::new(
            SqlErrorKind::Analysis,
            format!(
                "[INVALID_PARAMETER_VALUE.PATTERN] The value of parameter(s) `regexp` is \
                 invalid: {detail}"
            ),
        ));
    }
    let name = quoted_after(text, "Function '")
        .or_else(|| quoted_after(text, "function '"))
        .or_else(|| quoted_after(text, "a call to '"))
        .or_else(|| {
            let rest = &text[text.find("argument types '")? + "argument types '".len()..];
            rest.split('(')
                .next()
                .filter(|n| !n.is_empty() && !n.contains(' '))
        })
        .or_else(|| {
            // `rint expects a numeric argument`, `array_prepend does not support type`.
            let first = text.rsplit(": ").next()?.split(' ').next()?;
            let looks_like_fn = first.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                && (text.contains(&format!("{first} expects"))
                    || text.contains(&format!("{first} does not support")));
            looks_like_fn.then_some(first)
        })?;
    if let Some((expected, actual)) = argument_counts(text) {
        return Some(SqlError::new(
            SqlErrorKind::Analysis,
            format!(
                "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The {} requires {expected} parameters but \
                 the actual number is {actual}. Please, refer to \
                 'https://spark.apache.org/docs/latest/sql-ref-functions.html' for a fix.",
                quoted_name(&[name])
            ),
        ));
    }
    let mismatch = [
        "Failed to coerce arguments",
        "requires",
        "failed to match any signature",
        "coercion failed",
        "No function matches",
        "does not support",
        "expects",
    ];
    mismatch.iter().any(|m| text.contains(m)).then(|| {
        SqlError::new(
            SqlErrorKind::Analysis,
            format!(
                "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"{name}\" due to data \
                 type mismatch: its arguments are not of the types {} accepts.",
                quoted_name(&[name])
            ),
        )
    })
}

/// `expects 2 arguments but received 3` → ("2", "3").
fn argument_counts(text: &str) -> Option<(String, String)> {
    let (before, after) = text.split_once(" arguments but received ")?;
    let expected = before.rsplit(' ').next()?;
    let actual: String = after.chars().take_while(char::is_ascii_digit).collect();
    (expected.chars().all(|c| c.is_ascii_digit()) && !actual.is_empty())
        .then(|| (expected.to_string(), actual))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_read_like_spark() {
        let err = crate::sparksql::parse("SELEC 1").unwrap_err();
        let e = parse_error(&err);
        assert_eq!(e.kind, SqlErrorKind::Syntax);
        assert!(
            e.message
                .starts_with("[PARSE_SYNTAX_ERROR] Syntax error at or near 'SELEC'"),
            "{}",
            e.message
        );
        let err = crate::sparksql::parse("SELECT 1 +").unwrap_err();
        assert!(
            parse_error(&err).message.contains("end of input"),
            "{}",
            parse_error(&err).message
        );
    }

    #[test]
    fn cast_and_divide() {
        let e = from_datafusion(&DataFusionError::ArrowError(
            Box::new(ArrowError::CastError(
                "Cannot cast string 'abc' to value of Int32 type".into(),
            )),
            None,
        ));
        assert!(
            e.message
                .starts_with("[CAST_INVALID_INPUT] The value 'abc'"),
            "{}",
            e.message
        );
        assert!(e.message.contains("\"INT\""));
        let e = from_datafusion(&DataFusionError::ArrowError(
            Box::new(ArrowError::DivideByZero),
            None,
        ));
        assert!(e.message.starts_with("[DIVIDE_BY_ZERO]"));
    }

    #[test]
    fn function_errors_read_like_spark() {
        let plan = |m: &str| from_datafusion(&DataFusionError::Plan(m.into()));
        let e =
            plan("Function 'levenshtein' expects 2 arguments but received 3. No function matches");
        assert_eq!(e.kind, SqlErrorKind::Analysis);
        assert!(
            e.message.starts_with(
                "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `levenshtein` requires 2 parameters but \
                 the actual number is 3."
            ),
            "{e}"
        );
        let e = plan("Failed to coerce arguments to satisfy a call to 'factorial' function: x");
        assert!(
            e.message.starts_with(
                "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"factorial\""
            ),
            "{e}"
        );
        let e = from_datafusion(&DataFusionError::NotImplemented(
            "Unsupported ast node in sqltorel: Lambda(LambdaFunction { .. })".into(),
        ));
        assert_eq!(e.kind, SqlErrorKind::Unsupported);
        assert_eq!(
            e.message,
            "[UNSUPPORTED_FEATURE] The feature is not supported: lambda functions."
        );
        let e = plan("Invalid function 'nosuch'.\nDid you mean 'nvl'?");
        assert!(
            e.message
                .starts_with("[UNRESOLVED_ROUTINE] Cannot resolve function `nosuch`")
        );
        let e = from_datafusion(&DataFusionError::Internal(
            "Function 'median' failed to match any signature".into(),
        ));
        assert_eq!(e.kind, SqlErrorKind::Analysis);
        assert!(!e.message.contains("Internal"), "{e}");
    }
}
