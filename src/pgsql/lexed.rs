//! One statement's client text, tokenised once with Postgres' lexical rules.
//!
//! Owns: [`Lexed`] — the tokens every later step reads (placeholders, the Postgres parse,
//! the leading words, the Spark translation with or without bound values) — and the
//! splitting of a simple-query message into statements on the same tokens.

use sqlparser::ast::Statement;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

use crate::sparksql::{self, LineOffsets, passes};

/// A `$n` placeholder in a statement's text: byte start, byte end, n (1-based).
pub type Placeholder = (usize, usize, usize);

/// One statement of client text, tokenised once with Postgres' lexical rules. Everything
/// the gateway reads from the text (placeholders, the Postgres parse, the Spark
/// translation) comes from these tokens, never from another pass over the text.
#[derive(Debug, Clone)]
pub struct Lexed {
    sql: String,
    /// The statement's tokens and their byte spans in `sql`; `None` when the text cannot
    /// be tokenised (an unterminated quote …): it then goes to DLI as written, whose
    /// parser reports the error.
    tokens: Option<Vec<(TokenWithSpan, (usize, usize))>>,
}

impl Lexed {
    /// Tokenise one statement.
    pub fn new(sql: &str) -> Lexed {
        passes::tokenised();
        let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql)
            .tokenize_with_location()
            .ok()
            .map(|toks| with_spans(sql, toks));
        Lexed {
            sql: sql.to_string(),
            tokens,
        }
    }

    /// Split a simple-query message at top-level semicolons (quotes, comments and dollar
    /// quoting respected) with one tokenisation of the whole message. Empty statements
    /// are dropped. A message that cannot be tokenised is one statement.
    pub fn split(message: &str) -> Vec<Lexed> {
        passes::tokenised();
        let Ok(toks) = Tokenizer::new(&PostgreSqlDialect {}, message).tokenize_with_location()
        else {
            let text = message.trim();
            return match text.is_empty() {
                true => Vec::new(),
                false => vec![Lexed {
                    sql: text.to_string(),
                    tokens: None,
                }],
            };
        };
        let mut out = Vec::new();
        let mut piece: Vec<(TokenWithSpan, (usize, usize))> = Vec::new();
        for (tok, span) in with_spans(message, toks) {
            if tok.token == Token::SemiColon {
                out.extend(Self::piece(message, std::mem::take(&mut piece)));
            } else {
                piece.push((tok, span));
            }
        }
        out.extend(Self::piece(message, piece));
        out
    }

    /// One statement's tokens, cut out of a message: leading and trailing white space
    /// dropped, spans made relative to the statement's own text.
    fn piece(message: &str, mut toks: Vec<(TokenWithSpan, (usize, usize))>) -> Option<Lexed> {
        use sqlparser::tokenizer::Whitespace;
        // Comments stay with their statement (they may carry hints); a piece of nothing
        // but comments and white space is no statement.
        if toks
            .iter()
            .all(|t| matches!(t.0.token, Token::Whitespace(_) | Token::EOF))
        {
            return None;
        }
        let is_blank = |t: &(TokenWithSpan, (usize, usize))| {
            matches!(
                t.0.token,
                Token::EOF
                    | Token::Whitespace(Whitespace::Space | Whitespace::Newline | Whitespace::Tab)
            )
        };
        let first = toks.iter().position(|t| !is_blank(t))?;
        let last = toks.iter().rposition(|t| !is_blank(t))?;
        toks.truncate(last + 1);
        toks.drain(..first);
        let start = toks.first()?.1.0;
        let end = toks.last()?.1.1;
        for (_, span) in &mut toks {
            *span = (span.0.saturating_sub(start), span.1.saturating_sub(start));
        }
        Some(Lexed {
            sql: message.get(start..end)?.to_string(),
            tokens: Some(toks),
        })
    }

    /// The tokens between the statement's first `(` and its matching `)` — the query of
    /// `COPY (query) TO …` — as a statement of their own (no second tokenisation).
    pub fn inner_parens(&self) -> Option<Lexed> {
        let toks = self.tokens.as_ref()?;
        let open = toks.iter().position(|(t, _)| t.token == Token::LParen)?;
        let mut depth = 0usize;
        for (i, (t, _)) in toks.iter().enumerate().skip(open + 1) {
            match t.token {
                Token::LParen => depth += 1,
                Token::RParen if depth == 0 => {
                    return Self::piece(&self.sql, toks[open + 1..i].to_vec());
                }
                Token::RParen => depth -= 1,
                _ => {}
            }
        }
        None
    }

    /// The tokens after the first unquoted `word` outside parentheses — the query of
    /// `DECLARE c CURSOR FOR query` — as a statement of their own.
    pub fn after_word(&self, word: &str) -> Option<Lexed> {
        let toks = self.tokens.as_ref()?;
        let mut depth = 0usize;
        for (i, (t, _)) in toks.iter().enumerate() {
            match &t.token {
                Token::LParen => depth += 1,
                Token::RParen => depth = depth.saturating_sub(1),
                Token::Word(w)
                    if depth == 0
                        && w.quote_style.is_none()
                        && w.value.eq_ignore_ascii_case(word) =>
                {
                    return Self::piece(&self.sql, toks[i + 1..].to_vec());
                }
                _ => {}
            }
        }
        None
    }

    /// The statement's text as the client wrote it.
    pub fn text(&self) -> &str {
        &self.sql
    }

    /// The comments, as written (`-- …` without its line end, `/* … */` whole), in order.
    pub fn comments(&self) -> Vec<&str> {
        use sqlparser::tokenizer::Whitespace;
        let Some(toks) = &self.tokens else {
            return Vec::new();
        };
        toks.iter()
            .filter(|(t, _)| {
                matches!(
                    t.token,
                    Token::Whitespace(
                        Whitespace::SingleLineComment { .. } | Whitespace::MultiLineComment(_)
                    )
                )
            })
            .filter_map(|(_, (start, end))| self.sql.get(*start..*end))
            .map(|c| c.trim_end_matches(['\n', '\r']))
            .collect()
    }

    /// Whether the statement has a division operator (`/`).
    pub fn divides(&self) -> bool {
        self.tokens
            .as_ref()
            .is_some_and(|toks| toks.iter().any(|(t, _)| t.token == Token::Div))
    }

    /// The `$n` placeholders, in order of appearance.
    pub fn placeholders(&self) -> Vec<Placeholder> {
        let Some(toks) = &self.tokens else {
            return Vec::new();
        };
        toks.iter()
            .filter_map(|(t, (start, end))| placeholder_number(&t.token).map(|n| (*start, *end, n)))
            .collect()
    }

    /// An upper bound of the depth of the tree a parse of these tokens builds
    /// ([`crate::sqldepth`]); 0 when the text could not be tokenised.
    pub fn nesting(&self) -> usize {
        self.tokens.as_ref().map_or(0, |toks| {
            crate::sqldepth::nesting(toks.iter().map(|(t, _)| &t.token))
        })
    }

    /// Parse the tokens with the Postgres dialect (no second tokenisation).
    pub fn parse(&self) -> Result<Vec<Statement>, ParserError> {
        let Some(toks) = &self.tokens else {
            return Err(ParserError::TokenizerError(
                "the statement could not be tokenised".into(),
            ));
        };
        passes::parsed();
        let toks: Vec<TokenWithSpan> = toks.iter().map(|(t, _)| t.clone()).collect();
        let mut stmts = Parser::new(&PostgreSqlDialect {})
            .with_recursion_limit(crate::sqldepth::PARSER_RECURSION_LIMIT)
            .with_tokens_with_locations(toks)
            .parse_statements()?;
        stmts.iter_mut().for_each(crate::sqldepth::balance_logic);
        Ok(stmts)
    }

    /// The Spark translation, with placeholders kept as `$n`: string literals re-quoted
    /// for Spark, `"identifiers"` in backticks, `'…'::type` as `CAST('…' AS type)`
    /// (`'\x…'::bytea` as `X'…'`); comments and all other text kept as written. Text that
    /// could not be tokenised is returned unchanged.
    pub fn to_spark(&self) -> String {
        self.spark_with(&mut |n| Ok::<_, std::convert::Infallible>(format!("${n}")))
            .unwrap_or_else(|e| match e {})
    }

    /// The Spark translation with each placeholder `$n` replaced by `value(n)` (a Spark
    /// literal). A placeholder cast to a map or a struct is read with `from_json`, since
    /// Spark cannot cast a string to either: `CAST($1 AS MAP<STRING,INT>)` becomes
    /// `from_json(<$1>, 'MAP<STRING,INT>')`.
    pub fn spark_with<E>(
        &self,
        value: &mut dyn FnMut(usize) -> Result<String, E>,
    ) -> Result<String, E> {
        let Some(toks) = &self.tokens else {
            return Ok(self.sql.clone());
        };
        let sql = self.sql.as_str();
        let mut out = String::with_capacity(sql.len() + 16);
        let mut at = 0usize;
        let mut i = 0usize;
        // Index of the next token that is not white space, from `from` on.
        let next = |from: usize| {
            (from..toks.len()).find(|&j| !matches!(toks[j].0.token, Token::Whitespace(_)))
        };
        while i < toks.len() {
            let (t, (start, end)) = (&toks[i].0, toks[i].1);
            if let Some((ph, close, ty_start)) = json_cast(toks, i, &next) {
                let n = placeholder_number(&toks[ph].0.token).unwrap_or(0);
                let ty_text = sql
                    .get(ty_start..toks[close].1.0)
                    .unwrap_or_default()
                    .trim();
                out.push_str(sql.get(at..start).unwrap_or_default());
                out.push_str(&format!(
                    "from_json({}, {})",
                    value(n)?,
                    sparksql::quote_string(ty_text)
                ));
                at = toks[close].1.1;
                i = close + 1;
                continue;
            }
            if let Some(n) = placeholder_number(&t.token) {
                out.push_str(sql.get(at..start).unwrap_or_default());
                out.push_str(&value(n)?);
                at = end;
            } else if let Some(text) = string_value(&t.token) {
                // `'…' :: type` becomes `CAST('…' AS type)`.
                let cast = next(i + 1)
                    .filter(|&j| toks[j].0.token == Token::DoubleColon)
                    .and_then(|j| next(j + 1))
                    .and_then(|k| match &toks[k].0.token {
                        Token::Word(w) if w.quote_style.is_none() => {
                            spark_type(&w.value).map(|ty| (k, ty))
                        }
                        _ => None,
                    });
                out.push_str(sql.get(at..start).unwrap_or_default());
                match cast {
                    Some((k, "BINARY")) if bytea_hex(text).is_some() => {
                        out.push_str(&bytea_hex(text).unwrap_or_default());
                        at = toks[k].1.1;
                        i = k + 1;
                        continue;
                    }
                    Some((k, ty)) => {
                        out.push_str(&format!("CAST({} AS {ty})", sparksql::quote_string(text)));
                        at = toks[k].1.1;
                        i = k + 1;
                        continue;
                    }
                    None => out.push_str(&sparksql::quote_string(text)),
                }
                at = end;
            } else if let Token::Word(w) = &t.token
                && w.quote_style == Some('"')
            {
                out.push_str(sql.get(at..start).unwrap_or_default());
                out.push_str(&sparksql::quote_ident(&w.value));
                at = end;
            }
            i += 1;
        }
        out.push_str(sql.get(at..).unwrap_or_default());
        Ok(out)
    }
}

/// A significant token of a statement (see [`Lexed::words`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    pub value: String,
    /// A quoted identifier (`"Name"`): never a keyword.
    pub quoted: bool,
    /// The `.` between the parts of a qualified name.
    pub period: bool,
}

impl Lexed {
    /// The first `max` significant tokens (comments and white space skipped): words and
    /// `.` as [`Word`]s, anything else as `None`. For statements no parser understands.
    pub fn words(&self, max: usize) -> Vec<Option<Word>> {
        let Some(toks) = &self.tokens else {
            // Not tokenised: the best reading of the words is white space.
            return self
                .sql
                .split_whitespace()
                .take(max)
                .map(|w| {
                    let value = w.trim_matches(|c: char| !c.is_alphanumeric() && c != '_');
                    Some(Word {
                        value: value.to_string(),
                        quoted: false,
                        period: false,
                    })
                })
                .collect();
        };
        toks.iter()
            .filter(|(t, _)| !matches!(t.token, Token::Whitespace(_) | Token::EOF))
            .take(max)
            .map(|(t, _)| match &t.token {
                Token::Word(w) => Some(Word {
                    value: w.value.clone(),
                    quoted: w.quote_style.is_some(),
                    period: false,
                }),
                Token::Period => Some(Word {
                    value: ".".into(),
                    quoted: false,
                    period: true,
                }),
                _ => None,
            })
            .collect()
    }
}

/// Tokens with their byte spans in `sql`.
fn with_spans(sql: &str, toks: Vec<TokenWithSpan>) -> Vec<(TokenWithSpan, (usize, usize))> {
    let offsets = LineOffsets::new(sql);
    toks.into_iter()
        .map(|t| {
            let start = offsets.byte_offset(t.span.start.line, t.span.start.column);
            let end = offsets.byte_offset(t.span.end.line, t.span.end.column);
            (t, (start, end))
        })
        .collect()
}

fn placeholder_number(t: &Token) -> Option<usize> {
    match t {
        Token::Placeholder(p) => p.strip_prefix('$')?.parse().ok().filter(|n| *n >= 1),
        _ => None,
    }
}

/// `CAST ( $n AS MAP|STRUCT … )` starting at token `i`: (placeholder index, closing
/// parenthesis index, byte start of the type).
fn json_cast(
    toks: &[(TokenWithSpan, (usize, usize))],
    i: usize,
    next: &dyn Fn(usize) -> Option<usize>,
) -> Option<(usize, usize, usize)> {
    let word = |j: usize, w: &str| matches!(&toks[j].0.token, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    if !word(i, "CAST") {
        return None;
    }
    let lp = next(i + 1).filter(|&j| toks[j].0.token == Token::LParen)?;
    let ph = next(lp + 1).filter(|&j| placeholder_number(&toks[j].0.token).is_some())?;
    let as_kw = next(ph + 1).filter(|&j| word(j, "AS"))?;
    let ty = next(as_kw + 1).filter(|&j| word(j, "MAP") || word(j, "STRUCT"))?;
    let mut depth = 0i32;
    for (j, (t, _)) in toks.iter().enumerate().skip(ty) {
        match t.token {
            Token::LParen => depth += 1,
            Token::RParen if depth == 0 => return Some((ph, j, toks[ty].1.0)),
            Token::RParen => depth -= 1,
            _ => {}
        }
    }
    None
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
pub fn bytea_hex(value: &str) -> Option<String> {
    let hex = value.strip_prefix("\\x")?;
    (hex.len() % 2 == 0 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| format!("X'{}'", hex.to_ascii_uppercase()))
}
