//! Spark's binary literal written as a typed literal: `X '0A1B'` (the type name `X`, a
//! space, a string: Spark's `typeConstructor` rule), which sqlparser reads only without
//! the space. Owns this one token rewrite, made before the statement is parsed.

use std::borrow::Cow;

use sqlparser::tokenizer::{Token, Tokenizer};

use crate::sparksql::{LineOffsets, SparkDialect};

/// `sql` with every `X '…'` of hex digits written `X'…'`; anything else unchanged.
pub fn binary_literals(sql: &str) -> Cow<'_, str> {
    // `X` as a word of its own (not the end of `max`), then white space
    let bytes = sql.as_bytes();
    let spaced = (0..bytes.len().saturating_sub(1)).any(|i| {
        matches!(bytes[i], b'X' | b'x')
            && bytes[i + 1].is_ascii_whitespace()
            && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_'))
    });
    if !spaced {
        return Cow::Borrowed(sql);
    }
    let Ok(tokens) = Tokenizer::new(&SparkDialect, sql).tokenize_with_location() else {
        return Cow::Borrowed(sql);
    };
    let offsets = LineOffsets::new(sql);
    let significant = |from: usize| {
        (from..tokens.len()).find(|&j| !matches!(tokens[j].token, Token::Whitespace(_)))
    };
    let mut out = String::new();
    let mut copied = 0usize;
    for (i, t) in tokens.iter().enumerate() {
        let Token::Word(w) = &t.token else {
            continue;
        };
        if w.quote_style.is_some() || !w.value.eq_ignore_ascii_case("x") {
            continue;
        }
        let before = (0..i)
            .rev()
            .find(|&j| !matches!(tokens[j].token, Token::Whitespace(_)));
        if before.is_some_and(|j| tokens[j].token == Token::Period) {
            continue;
        }
        let Some(k) = significant(i + 1).filter(|&k| k > i + 1) else {
            continue;
        };
        let Token::SingleQuotedString(hex) = &tokens[k].token else {
            continue;
        };
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let from = offsets.byte_offset(t.span.start.line, t.span.start.column);
        let to = offsets.byte_offset(tokens[k].span.end.line, tokens[k].span.end.column);
        if from < copied || to > sql.len() || from > to {
            return Cow::Borrowed(sql);
        }
        out.push_str(&sql[copied..from]);
        out.push_str(&format!("X'{hex}'"));
        copied = to;
    }
    if copied == 0 {
        return Cow::Borrowed(sql);
    }
    out.push_str(&sql[copied..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaced_binary_literals_become_hex_literals() {
        assert_eq!(
            binary_literals("SELECT X '1010', x  'ff', X'00'"),
            "SELECT X'1010', X'ff', X'00'"
        );
        for kept in [
            "SELECT x 'a b'",
            "SELECT t.x 'ab'",
            "SELECT `x` 'ab'",
            "SELECT 1",
        ] {
            assert_eq!(binary_literals(kept), kept);
        }
    }
}
