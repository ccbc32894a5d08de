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
//! A session may turn `standard_conforming_strings` off, as Postgres allows: its `'…'`
//! literals then read backslash escapes, and [`escapes`] rewrites them as the `E'…'`
//! strings they mean before lexing.
//!
//! Owns: splitting messages into statements, finding `$n` placeholders, quoting Postgres
//! string literals, and the Postgres → Spark literal and identifier translation.

pub mod escapes;
mod lexed;

pub use lexed::{Lexed, Placeholder, Word, bytea_hex};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sparksql;

    fn split(sql: &str) -> Vec<String> {
        Lexed::split(sql)
            .into_iter()
            .map(|l| l.text().to_string())
            .collect()
    }

    fn placeholders(sql: &str) -> Vec<Placeholder> {
        Lexed::new(sql).placeholders()
    }

    fn to_spark(sql: &str) -> String {
        Lexed::new(sql).to_spark()
    }

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
    fn map_and_struct_casts_of_parameters_read_json() {
        assert_eq!(
            to_spark(
                "SELECT CAST($1 AS MAP<STRING,INT>) AS m, CAST($2 AS struct<a:int,b:string>), CAST($3 AS INT) FROM t"
            ),
            "SELECT from_json($1, 'MAP<STRING,INT>') AS m, from_json($2, 'struct<a:int,b:string>'), CAST($3 AS INT) FROM t"
        );
        assert_eq!(
            to_spark("SELECT CAST(x AS MAP<STRING,INT>)"),
            "SELECT CAST(x AS MAP<STRING,INT>)"
        );
        let bound = Lexed::new("SELECT CAST($1 AS MAP<STRING,INT>), $2")
            .spark_with(&mut |n| Ok::<_, ()>(format!("<{n}>")))
            .unwrap();
        assert_eq!(bound, "SELECT from_json(<1>, 'MAP<STRING,INT>'), <2>");
    }

    #[test]
    fn split_keeps_comments_and_drops_empty_statements() {
        let parts = Lexed::split("/* hint */ SELECT 1 -- c\n ; -- only a comment\n; SELECT 'a;b'");
        let texts: Vec<&str> = parts.iter().map(|l| l.text()).collect();
        assert_eq!(texts, vec!["/* hint */ SELECT 1 -- c\n", "SELECT 'a;b'"]);
        assert_eq!(parts[1].parse().map(|v| v.len()), Ok(1));
        assert_eq!(parts[1].placeholders(), vec![]);
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
