//! The Postgres side of SQL text: what clients send, read with Postgres' lexical rules.
//!
//! Clients speak PostgreSQL, and the gateway announces `standard_conforming_strings = on`:
//! in `'…'` a backslash is an ordinary character and `''` is a quote; `E'…'` has
//! backslash escapes; `$$…$$` is a dollar-quoted string; `"…"` is an identifier. Spark
//! reads `\` inside `'…'` as an escape and `"…"` as a string, so SQL bound for DLI is
//! translated token by token ([`to_spark`]): every string literal is re-quoted for Spark
//! and every quoted identifier gets backticks. Without it a value quoted by the client
//! (psycopg2, pgjdbc in simple mode, BI tools) such as `'\' OR 1=1 --'` would escape its
//! literal on Spark. Everything else is copied unchanged.
//!
//! Owns: splitting messages into statements, finding `$n` placeholders, quoting Postgres
//! string literals, and the Postgres → Spark literal and identifier translation.

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

use crate::sparksql::{self, LineOffsets};

fn tokens(sql: &str) -> Option<Vec<TokenWithSpan>> {
    Tokenizer::new(&PostgreSqlDialect {}, sql)
        .tokenize_with_location()
        .ok()
}

fn span_bytes(offsets: &LineOffsets<'_>, t: &TokenWithSpan) -> (usize, usize) {
    (
        offsets.byte_offset(t.span.start.line, t.span.start.column),
        offsets.byte_offset(t.span.end.line, t.span.end.column),
    )
}

/// Split a simple-query message at top-level semicolons (quotes, comments and dollar
/// quoting respected). Empty statements are dropped. Text that cannot be tokenized is
/// returned whole, so that whoever runs it reports the error.
pub fn split(sql: &str) -> Vec<String> {
    sparksql::split_with(&PostgreSqlDialect {}, sql)
}

/// The `$n` placeholders of `sql`: (byte start, byte end, n).
pub fn placeholders(sql: &str) -> Vec<(usize, usize, usize)> {
    sparksql::placeholders_with(&PostgreSqlDialect {}, sql)
}

/// A Postgres standard string literal (`'it''s'`).
pub fn quote_string(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// An identifier as Postgres' `quote_ident` prints it (`default` is reserved: `"default"`).
pub fn quote_ident(name: &str) -> String {
    const RESERVED: &[&str] = &[
        "all",
        "and",
        "any",
        "array",
        "as",
        "asc",
        "both",
        "case",
        "cast",
        "check",
        "column",
        "constraint",
        "create",
        "current_user",
        "default",
        "desc",
        "distinct",
        "do",
        "else",
        "end",
        "false",
        "for",
        "foreign",
        "from",
        "grant",
        "group",
        "having",
        "in",
        "into",
        "leading",
        "limit",
        "not",
        "null",
        "offset",
        "on",
        "only",
        "or",
        "order",
        "primary",
        "references",
        "select",
        "table",
        "then",
        "to",
        "true",
        "union",
        "unique",
        "user",
        "using",
        "when",
        "where",
        "with",
    ];
    let simple = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
    if simple && !RESERVED.contains(&name) {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// The value of a string-literal token, however it was quoted.
fn string_value(token: &Token) -> Option<&str> {
    match token {
        Token::SingleQuotedString(s)
        | Token::EscapedStringLiteral(s)
        | Token::NationalStringLiteral(s)
        | Token::UnicodeStringLiteral(s) => Some(s),
        Token::DollarQuotedString(d) => Some(&d.value),
        _ => None,
    }
}

/// A Postgres type name after `::`, in Spark's words (the type table's Spark keyword).
fn spark_type(pg: &str) -> Option<&'static str> {
    crate::pgtypes::postgres_type(pg)
        .as_ref()
        .and_then(crate::pgtypes::spark_keyword)
}

/// A `'\x0a0b'` bytea literal as Spark's `X'0A0B'`.
fn bytea_hex(value: &str) -> Option<String> {
    let hex = value.strip_prefix("\\x")?;
    (hex.len() % 2 == 0 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| format!("X'{}'", hex.to_ascii_uppercase()))
}

/// Translate client SQL (Postgres lexical rules) into Spark SQL text for DLI: string
/// literals re-quoted for Spark, `"identifiers"` in backticks, `'…'::type` as
/// `CAST('…' AS type)` (`'\x…'::bytea` as `X'…'`). Placeholders, comments and all other
/// text are kept as written. Text that cannot be tokenized is returned unchanged.
pub fn to_spark(sql: &str) -> String {
    let Some(toks) = tokens(sql) else {
        return sql.to_string();
    };
    let offsets = LineOffsets::new(sql);
    let mut out = String::with_capacity(sql.len() + 16);
    let mut at = 0usize;
    let mut i = 0usize;
    while i < toks.len() {
        let t = &toks[i];
        let (start, end) = span_bytes(&offsets, t);
        if let Some(value) = string_value(&t.token) {
            // `'…' :: type` (no whitespace handling needed: sqlparser drops none, so look
            // past whitespace tokens).
            let next = |from: usize| {
                (from..toks.len()).find(|&j| !matches!(toks[j].token, Token::Whitespace(_)))
            };
            let cast = next(i + 1)
                .filter(|&j| toks[j].token == Token::DoubleColon)
                .and_then(|j| next(j + 1))
                .and_then(|k| match &toks[k].token {
                    Token::Word(w) if w.quote_style.is_none() => {
                        spark_type(&w.value).map(|ty| (k, ty))
                    }
                    _ => None,
                });
            out.push_str(&sql[at..start]);
            match cast {
                Some((k, "BINARY")) if bytea_hex(value).is_some() => {
                    out.push_str(&bytea_hex(value).unwrap_or_default());
                    at = span_bytes(&offsets, &toks[k]).1;
                    i = k + 1;
                    continue;
                }
                Some((k, ty)) => {
                    out.push_str(&format!("CAST({} AS {ty})", sparksql::quote_string(value)));
                    at = span_bytes(&offsets, &toks[k]).1;
                    i = k + 1;
                    continue;
                }
                None => out.push_str(&sparksql::quote_string(value)),
            }
            at = end;
        } else if let Token::Word(w) = &t.token
            && w.quote_style == Some('"')
        {
            out.push_str(&sql[at..start]);
            out.push_str(&sparksql::quote_ident(&w.value));
            at = end;
        }
        i += 1;
    }
    out.push_str(&sql[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_literals_become_safe_spark_literals() {
        // A value quoted by the client, Postgres style: the backslash is just a character.
        let q = to_spark(r"SELECT count(*) FROM t WHERE b = '\'' OR 1=1 --'");
        assert_eq!(q, r"SELECT count(*) FROM t WHERE b = '\\\' OR 1=1 --'");
        let parsed = sparksql::parse(&q).unwrap();
        assert_eq!(parsed.len(), 1);
        assert_eq!(to_spark("SELECT 'it''s'"), r"SELECT 'it\'s'");
        assert_eq!(to_spark(r"SELECT E'a\nb\'c'"), "SELECT 'a\\nb\\'c'");
        assert_eq!(to_spark("SELECT $$x'y$$"), r"SELECT 'x\'y'");
        assert_eq!(
            to_spark(r#"SELECT "Col" FROM "db"."t""#),
            "SELECT `Col` FROM `db`.`t`"
        );
        assert_eq!(to_spark(r"SELECT '\x00ff'::bytea"), "SELECT X'00FF'");
        assert_eq!(
            to_spark("SELECT '5' :: int8, '2024-01-02'::date"),
            "SELECT CAST('5' AS BIGINT), CAST('2024-01-02' AS DATE)"
        );
        assert_eq!(
            to_spark("SELECT $1, a::int -- 'c'\n"),
            "SELECT $1, a::int -- 'c'\n"
        );
    }

    #[test]
    fn split_uses_postgres_quoting() {
        assert_eq!(
            split(r"SELECT 'a\'; SELECT 2"),
            vec![r"SELECT 'a\'", "SELECT 2"]
        );
        assert_eq!(split("SELECT $$;$$; ;"), vec!["SELECT $$;$$"]);
    }

    #[test]
    fn placeholders_are_found() {
        let found: Vec<usize> = placeholders("select $1, '$2', \"$3\" -- $4\n, $2")
            .iter()
            .map(|p| p.2)
            .collect();
        assert_eq!(found, vec![1, 2]);
    }
}
