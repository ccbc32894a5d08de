//! The Spark SQL dialect, as the gateway and the embedded service both read it.
//!
//! Owns: a `sqlparser` [`Dialect`] for Spark SQL (Hive DDL rules, Databricks-style
//! expressions, backtick identifiers and — unlike sqlparser's Hive dialect — backslash
//! escapes inside string literals, which is how Spark reads `'it\'s'`), plus helpers to
//! parse, split and quote with it. Must not know about pgwire or HTTP.

use std::any::TypeId;

use sqlparser::ast::{BinaryOperator, Expr, Ident, ObjectName, Statement};
use sqlparser::dialect::{Dialect, HiveDialect, Precedence};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, Tokenizer};

/// Spark SQL as DLI runs it.
#[derive(Debug, Default, Clone, Copy)]
pub struct SparkDialect;

impl Dialect for SparkDialect {
    /// Behave like Hive wherever sqlparser special-cases a dialect (DDL clauses such as
    /// `USING parquet`, `PARTITIONED BY`, `STORED AS`, `COMMENT`).
    fn dialect(&self) -> TypeId {
        TypeId::of::<HiveDialect>()
    }
    fn is_delimited_identifier_start(&self, ch: char) -> bool {
        ch == '`'
    }
    fn is_identifier_start(&self, ch: char) -> bool {
        ch.is_alphabetic() || ch == '_'
    }
    fn is_identifier_part(&self, ch: char) -> bool {
        ch.is_alphanumeric() || ch == '_'
    }
    fn supports_string_literal_backslash_escape(&self) -> bool {
        true
    }
    fn supports_numeric_prefix(&self) -> bool {
        true
    }
    fn supports_filter_during_aggregation(&self) -> bool {
        true
    }
    fn supports_group_by_expr(&self) -> bool {
        true
    }
    fn supports_lambda_functions(&self) -> bool {
        true
    }
    fn supports_select_wildcard_except(&self) -> bool {
        true
    }
    fn supports_struct_literal(&self) -> bool {
        true
    }
    fn supports_nested_comments(&self) -> bool {
        true
    }
    fn supports_values_as_table_factor(&self) -> bool {
        true
    }
    fn supports_bang_not_operator(&self) -> bool {
        true
    }
    fn supports_create_table_using(&self) -> bool {
        true
    }
    fn supports_long_type_as_bigint(&self) -> bool {
        true
    }
    fn supports_map_literal_with_angle_brackets(&self) -> bool {
        true
    }
    fn supports_select_item_multi_column_alias(&self) -> bool {
        true
    }
    fn supports_cte_without_as(&self) -> bool {
        true
    }
    /// Spark reads `INTERVAL '1 day'` (a unit inside the string) as well as
    /// `INTERVAL '1' DAY` and `INTERVAL 1 DAY`.
    fn require_interval_qualifier(&self) -> bool {
        false
    }
    fn supports_group_by_with_modifier(&self) -> bool {
        true
    }
    /// `exists(array, x -> …)`, Spark's higher-order function: sqlparser reads `EXISTS (`
    /// only as the subquery predicate.
    fn parse_prefix(&self, parser: &mut Parser) -> Option<Result<Expr, ParserError>> {
        let word = |t: &Token, k: Keyword| matches!(t, Token::Word(w) if w.keyword == k);
        if word(&parser.peek_token().token, Keyword::INTERVAL) {
            return multi_unit_interval(parser);
        }
        if !word(&parser.peek_token().token, Keyword::EXISTS)
            || parser.peek_nth_token(1).token != Token::LParen
        {
            return None;
        }
        let third = parser.peek_nth_token(2).token;
        if [
            Keyword::SELECT,
            Keyword::WITH,
            Keyword::VALUES,
            Keyword::FROM,
        ]
        .iter()
        .any(|k| word(&third, *k))
            || third == Token::LParen
        {
            return None;
        }
        let Token::Word(w) = parser.next_token().token else {
            return None;
        };
        Some(parser.parse_function(ObjectName::from(vec![Ident::new(w.value)])))
    }
    /// Spark's `EXTRACT(DOW_ISO FROM …)`, `EXTRACT(Y FROM …)`: fields sqlparser has no
    /// keyword for.
    fn allow_extract_custom(&self) -> bool {
        true
    }
    /// Spark's `a DIV b`, binding like `*` and `/` (`a DIV b + 1` is `(a DIV b) + 1`).
    fn parse_infix(
        &self,
        parser: &mut Parser,
        expr: &Expr,
        _precedence: u8,
    ) -> Option<Result<Expr, ParserError>> {
        if !parser.parse_keyword(Keyword::DIV) {
            return None;
        }
        let right = match parser.parse_subexpr(self.prec_value(Precedence::MulDivModOp)) {
            Ok(e) => e,
            Err(e) => return Some(Err(e)),
        };
        Some(Ok(Expr::BinaryOp {
            left: Box::new(expr.clone()),
            op: BinaryOperator::MyIntegerDivide,
            right: Box::new(right),
        }))
    }
}

/// Spark's `INTERVAL 2 HOURS 30 MINUTES` (several value–unit pairs), read as the
/// interval string `'2 hours 30 minutes'`; `None` (sqlparser's own reading) for the
/// other forms.
fn multi_unit_interval(parser: &mut Parser) -> Option<Result<Expr, ParserError>> {
    let value = |t: &Token| matches!(t, Token::Number(..) | Token::SingleQuotedString(_));
    let unit = |t: &Token| matches!(t, Token::Word(w) if w.quote_style.is_none() && UNITS.contains(&w.value.to_ascii_lowercase().as_str()));
    let mut pairs = 0;
    while value(&parser.peek_nth_token(1 + 2 * pairs).token)
        && unit(&parser.peek_nth_token(2 + 2 * pairs).token)
    {
        pairs += 1;
    }
    if pairs < 2 {
        return None;
    }
    parser.next_token(); // INTERVAL
    let mut text = Vec::with_capacity(2 * pairs);
    for _ in 0..2 * pairs {
        match parser.next_token().token {
            Token::Number(n, _) => text.push(n),
            Token::SingleQuotedString(s) => text.push(s),
            Token::Word(w) => text.push(w.value.to_ascii_lowercase()),
            other => return Some(Err(ParserError::ParserError(format!("unexpected {other}")))),
        }
    }
    Some(Ok(Expr::Interval(sqlparser::ast::Interval {
        value: Box::new(Expr::value(sqlparser::ast::Value::SingleQuotedString(
            text.join(" "),
        ))),
        leading_field: None,
        leading_precision: None,
        last_field: None,
        fractional_seconds_precision: None,
    })))
}

/// Interval units Spark accepts in `INTERVAL n unit …`.
const UNITS: &[&str] = &[
    "year",
    "years",
    "month",
    "months",
    "week",
    "weeks",
    "day",
    "days",
    "hour",
    "hours",
    "minute",
    "minutes",
    "second",
    "seconds",
    "millisecond",
    "milliseconds",
    "microsecond",
    "microseconds",
];

/// Parse Spark SQL text into statements.
pub fn parse(sql: &str) -> Result<Vec<Statement>, ParserError> {
    passes::parsed();
    let mut stmts = Parser::new(&SparkDialect)
        .with_recursion_limit(crate::sqldepth::PARSER_RECURSION_LIMIT)
        .try_with_sql(sql)?
        .parse_statements()?;
    stmts.iter_mut().for_each(crate::sqldepth::balance_logic);
    Ok(stmts)
}

/// Counts of lexical passes over SQL text on the current thread (tokenisations and full
/// parses, either dialect), so tests and benchmarks can check that a statement is read
/// once. Counting costs two thread-local increments.
pub mod passes {
    use std::cell::Cell;

    thread_local! {
        static COUNTS: Cell<Passes> = const { Cell::new(Passes { tokenised: 0, parsed: 0 }) };
    }

    /// Passes made so far on this thread.
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
    pub struct Passes {
        pub tokenised: u32,
        pub parsed: u32,
    }

    impl std::ops::Sub for Passes {
        type Output = Passes;
        fn sub(self, o: Passes) -> Passes {
            Passes {
                tokenised: self.tokenised.wrapping_sub(o.tokenised),
                parsed: self.parsed.wrapping_sub(o.parsed),
            }
        }
    }

    /// The counts so far on this thread.
    pub fn now() -> Passes {
        COUNTS.with(Cell::get)
    }

    /// One tokenisation of SQL text.
    pub fn tokenised() {
        COUNTS.with(|c| {
            let mut p = c.get();
            p.tokenised = p.tokenised.wrapping_add(1);
            c.set(p);
        });
    }

    /// One parse of SQL text into statements (which includes its tokenisation).
    pub fn parsed() {
        COUNTS.with(|c| {
            let mut p = c.get();
            p.parsed = p.parsed.wrapping_add(1);
            c.set(p);
        });
    }
}

/// Split a message holding several statements at top-level semicolons, honouring
/// Spark quoting (backslash escapes, backticks) and comments. Empty pieces are dropped.
/// Falls back to returning the whole text when it cannot be tokenized, so that the
/// engine behind it reports the syntax error.
pub fn split_statements(sql: &str) -> Vec<String> {
    passes::tokenised();
    let tokens = match Tokenizer::new(&SparkDialect, sql).tokenize_with_location() {
        Ok(t) => t,
        Err(_) => return non_empty(vec![sql.to_string()]),
    };
    let offsets = LineOffsets::new(sql);
    let mut out = Vec::new();
    let mut piece_start = 0usize;
    let mut has_content = false;
    for tok in tokens {
        match tok.token {
            Token::SemiColon => {
                let at = offsets.byte_offset(tok.span.start.line, tok.span.start.column);
                if has_content {
                    out.push(sql[piece_start..at].to_string());
                }
                piece_start = (at + 1).min(sql.len());
                has_content = false;
            }
            Token::Whitespace(_) | Token::EOF => {}
            _ => has_content = true,
        }
    }
    if has_content {
        out.push(sql[piece_start..].to_string());
    }
    non_empty(out)
}

/// Maps sqlparser's 1-based (line, column-in-chars) locations to byte offsets.
pub struct LineOffsets<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
    /// The last position found (line index, column, byte offset): tokens are asked for
    /// in order, so each lookup walks on from the previous one, not from its line's
    /// start (which made a long one-line statement quadratic to read).
    last: std::cell::Cell<(usize, usize, usize)>,
}

impl<'a> LineOffsets<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self {
            text,
            line_starts,
            last: std::cell::Cell::new((0, 0, 0)),
        }
    }

    pub fn byte_offset(&self, line: u64, column: u64) -> usize {
        let line_idx = usize::try_from(line.saturating_sub(1)).unwrap_or(usize::MAX);
        let Some(&start) = self.line_starts.get(line_idx) else {
            return self.text.len();
        };
        let col = usize::try_from(column.saturating_sub(1)).unwrap_or(usize::MAX);
        let (last_line, last_col, last_at) = self.last.get();
        let (from, from_col) = if last_line == line_idx && last_col <= col {
            (last_at, last_col)
        } else {
            (start, 0)
        };
        match self.text[from..].char_indices().nth(col - from_col) {
            Some((i, _)) => {
                self.last.set((line_idx, col, from + i));
                from + i
            }
            None => self.text.len(),
        }
    }
}

fn non_empty(pieces: Vec<String>) -> Vec<String> {
    pieces
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Render a string as a Spark SQL string literal. Spark treats `\` as an escape inside
/// literals, so both the quote and the backslash are escaped; control characters are
/// written as escapes so that the literal survives any transport. Injection-proof: the
/// result always parses back to exactly `value` as one literal token.
pub fn quote_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for ch in value.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Quote an identifier with backticks (a backtick inside is doubled).
pub fn quote_ident(ident: &str) -> String {
    format!("`{}`", ident.replace('`', "``"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::ast::{Expr, SelectItem, SetExpr, Value};

    fn literal_of(sql: &str) -> String {
        let stmts = parse(sql).unwrap();
        let Statement::Query(q) = &stmts[0] else {
            panic!("not a query")
        };
        let SetExpr::Select(s) = q.body.as_ref() else {
            panic!("not a select")
        };
        let SelectItem::UnnamedExpr(Expr::Value(v)) = &s.projection[0] else {
            panic!("not a literal")
        };
        match &v.value {
            Value::SingleQuotedString(s) => s.clone(),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn quoted_strings_round_trip_through_the_parser() {
        for v in [
            "plain",
            "it's",
            "\\' OR 1=1 --",
            "back\\slash\\",
            "new\nline\ttab",
            "unicode ✓ 数据 😀",
            "'';DROP TABLE x;--",
        ] {
            assert_eq!(literal_of(&format!("SELECT {}", quote_string(v))), v);
        }
    }

    #[test]
    fn split_respects_quotes_and_comments() {
        let parts = split_statements("select 'a;b'; select 'c\\';d' ; -- x;\n ; select `e;f`\n;");
        assert_eq!(
            parts,
            vec!["select 'a;b'", "select 'c\\';d'", "select `e;f`"]
        );
        assert_eq!(split_statements("  ;; "), Vec::<String>::new());
        assert_eq!(split_statements("select 1"), vec!["select 1"]);
    }

    #[test]
    fn create_table_using_parquet_parses() {
        for sql in [
            "CREATE TABLE db1.t (a INT, b STRING COMMENT 'x') USING parquet",
            "CREATE TABLE t (a INT, p STRING) PARTITIONED BY (p) USING csv",
            "CREATE TABLE t USING parquet AS SELECT 1 AS a",
        ] {
            let stmts = parse(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
            assert!(matches!(stmts[0], Statement::CreateTable(_)), "{sql}");
        }
        assert_eq!(parse("SELECT 7 DIV 2").map(|v| v.len()), Ok(1));
    }
}
