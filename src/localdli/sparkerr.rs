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
}
