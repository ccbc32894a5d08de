//! Spark's typed numeric literals (`10L`, `3S`, `2Y`, `1.5D`, `1E2D`, `2.5F`, `1.5BD`),
//! which sqlparser reads as identifiers or as a number followed by an alias.
//!
//! [`rewrite`] works on the tokens of a statement before it is parsed: a literal is
//! replaced by `'<value>'::<TYPE>` with Spark's exact type (`'10'::BIGINT`,
//! `'1.5'::DECIMAL(2,1)`), an optional unary minus included (`-128Y` is a valid tinyint).
//! Strings, comments, quoted identifiers and qualified names (`t.2D`) are left alone.
//! Values out of the type's range fail as Spark's parser fails
//! (`[INVALID_NUMERIC_LITERAL_RANGE] …`, a syntax error).
//!
//! The `::` form marks a rewritten literal: [`display`] names an output column the way
//! Spark does (`SELECT 10L` → `10`, `1E2D` → `100.0`). Owns the literal grammar only.

use std::borrow::Cow;
use std::ops::ControlFlow;

use sqlparser::ast::{CastKind, DataType, ExactNumberInfo, Expr, Value, visit_expressions_mut};
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer};

use super::error::{SqlError, SqlErrorKind};
use super::sparktext::java_double;
use crate::sparksql::{LineOffsets, SparkDialect};

/// Spark's literal types, with the suffix that selects each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    TinyInt,
    SmallInt,
    BigInt,
    Double,
    Float,
    Decimal,
}

/// Rewrites Spark's typed numeric literals of one statement (unchanged when it has none).
pub fn rewrite(sql: &str) -> Result<Cow<'_, str>, SqlError> {
    if !might_have_suffix(sql) {
        return Ok(Cow::Borrowed(sql));
    }
    crate::sparksql::passes::tokenised();
    let Ok(tokens) = Tokenizer::new(&SparkDialect, sql).tokenize_with_location() else {
        // The parser reports the error.
        return Ok(Cow::Borrowed(sql));
    };
    let offsets = LineOffsets::new(sql);
    let mut out = String::with_capacity(sql.len() + 32);
    let mut copied = 0usize;
    let mut i = 0usize;
    while i < tokens.len() {
        let Some((text, kind, last)) = literal_at(&tokens, i) else {
            i += 1;
            continue;
        };
        let (start, negative) = match unary_minus_before(&tokens, i) {
            Some(m) => (m, true),
            None => (i, false),
        };
        let at = position(&tokens[start].span.start);
        let replacement = typed(&text, kind, negative, at)?;
        let from = offsets.byte_offset(
            tokens[start].span.start.line,
            tokens[start].span.start.column,
        );
        let to = offsets.byte_offset(tokens[last].span.end.line, tokens[last].span.end.column);
        if from < copied || to > sql.len() || from > to {
            return Ok(Cow::Borrowed(sql));
        }
        out.push_str(&sql[copied..from]);
        out.push_str(&replacement);
        copied = to;
        i = last + 1;
    }
    if copied == 0 {
        return Ok(Cow::Borrowed(sql));
    }
    out.push_str(&sql[copied..]);
    Ok(Cow::Owned(out))
}

/// Cheap pre-check: a digit directly followed by a suffix letter.
fn might_have_suffix(sql: &str) -> bool {
    sql.as_bytes().windows(2).any(|w| {
        w[0].is_ascii_digit()
            && matches!(
                w[1].to_ascii_uppercase(),
                b'L' | b'S' | b'Y' | b'D' | b'F' | b'B'
            )
    })
}

/// `(line, pos)` as Spark reports a position (0-based column).
fn position(loc: &Location) -> (u64, u64) {
    (loc.line, loc.column.saturating_sub(1))
}

/// The literal starting at token `i`: its text without suffix, its kind and the index of
/// its last token.
fn literal_at(tokens: &[TokenWithSpan], i: usize) -> Option<(String, Kind, usize)> {
    let prev_is_period = i > 0 && tokens[i - 1].token == Token::Period;
    match &tokens[i].token {
        // `10L`, `1.5D`, `.5BD`: one word when the dialect allows numeric prefixes.
        Token::Word(w) if w.quote_style.is_none() && !prev_is_period => {
            let (body, kind) = split_suffix(&w.value)?;
            valid_body(body, kind).then(|| (body.to_string(), kind, i))
        }
        // `1E2D`: an exponent number followed, without space, by the suffix.
        Token::Number(n, false) if n.contains(['e', 'E']) && !prev_is_period => {
            let next = tokens.get(i + 1)?;
            let Token::Word(w) = &next.token else {
                return None;
            };
            if w.quote_style.is_some() || next.span.start != tokens[i].span.end {
                return None;
            }
            let kind = match w.value.to_ascii_uppercase().as_str() {
                "D" => Kind::Double,
                "F" => Kind::Float,
                "BD" => Kind::Decimal,
                _ => return None,
            };
            valid_body(n, kind).then(|| (n.clone(), kind, i + 1))
        }
        _ => None,
    }
}

fn split_suffix(word: &str) -> Option<(&str, Kind)> {
    let upper = word.to_ascii_uppercase();
    if upper.ends_with("BD") {
        return Some((&word[..word.len() - 2], Kind::Decimal));
    }
    let kind = match upper.as_bytes().last()? {
        b'L' => Kind::BigInt,
        b'S' => Kind::SmallInt,
        b'Y' => Kind::TinyInt,
        b'D' => Kind::Double,
        b'F' => Kind::Float,
        _ => return None,
    };
    Some((&word[..word.len() - 1], kind))
}

/// Spark's lexer rules: integers are `DIGIT+`; the others `DIGIT+ ('.' DIGIT*)?` or
/// `'.' DIGIT+`, with an optional exponent.
fn valid_body(body: &str, kind: Kind) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if matches!(kind, Kind::TinyInt | Kind::SmallInt | Kind::BigInt) {
        return digits(body);
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(p) => (&body[..p], Some(&body[p + 1..])),
        None => (body, None),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            (digits(int) && (frac.is_empty() || digits(frac))) || (int.is_empty() && digits(frac))
        }
        None => digits(mantissa),
    };
    exponent_ok && mantissa_ok
}

/// The index of a unary `-` directly before token `i` (whitespace allowed), if any.
fn unary_minus_before(tokens: &[TokenWithSpan], i: usize) -> Option<usize> {
    let significant = |j: usize| !matches!(tokens[j].token, Token::Whitespace(_));
    let minus = (0..i).rev().find(|&j| significant(j))?;
    if tokens[minus].token != Token::Minus {
        return None;
    }
    match (0..minus).rev().find(|&j| significant(j)) {
        None => Some(minus),
        Some(j) => starts_operand(&tokens[j].token).then_some(minus),
    }
}

/// Whether an operand may follow this token (so a `-` after it is a sign).
fn starts_operand(token: &Token) -> bool {
    match token {
        Token::LParen
        | Token::Comma
        | Token::LBracket
        | Token::Plus
        | Token::Minus
        | Token::Mul
        | Token::Div
        | Token::Mod
        | Token::Eq
        | Token::DoubleEq
        | Token::Neq
        | Token::Lt
        | Token::Gt
        | Token::LtEq
        | Token::GtEq
        | Token::Spaceship
        | Token::Pipe
        | Token::Caret
        | Token::Ampersand
        | Token::StringConcat => true,
        Token::Word(w) if w.quote_style.is_none() => matches!(
            w.keyword,
            Keyword::SELECT
                | Keyword::WHERE
                | Keyword::WHEN
                | Keyword::THEN
                | Keyword::ELSE
                | Keyword::AND
                | Keyword::OR
                | Keyword::NOT
                | Keyword::ON
                | Keyword::HAVING
                | Keyword::BETWEEN
                | Keyword::LIKE
                | Keyword::IS
                | Keyword::CASE
                | Keyword::DISTINCT
                | Keyword::ALL
                | Keyword::BY
                | Keyword::LIMIT
                | Keyword::OFFSET
                | Keyword::RETURN
        ),
        _ => false,
    }
}

/// `'<value>'::<TYPE>` for one literal, or Spark's range error.
fn typed(body: &str, kind: Kind, negative: bool, at: (u64, u64)) -> Result<String, SqlError> {
    let signed = if negative {
        format!("-{body}")
    } else {
        body.to_string()
    };
    let range_error = |name: &str, min: &str, max: &str| {
        SqlError::new(
            SqlErrorKind::Syntax,
            format!(
                "[INVALID_NUMERIC_LITERAL_RANGE] Numeric literal {signed} is outside the valid \
                 range for {name} with minimum value of {min} and maximum value of {max}. Please \
                 adjust the value accordingly.(line {}, pos {})",
                at.0, at.1
            ),
        )
    };
    let integer = |name: &str, min: i128, max: i128, sql_type: &str| {
        // Digits only: an overlong value is out of range too.
        let v = signed
            .parse::<i128>()
            .ok()
            .filter(|v| (min..=max).contains(v));
        match v {
            Some(v) => Ok(format!("'{v}'::{sql_type}")),
            None => Err(range_error(name, &min.to_string(), &max.to_string())),
        }
    };
    match kind {
        Kind::TinyInt => integer("tinyint", i8::MIN.into(), i8::MAX.into(), "TINYINT"),
        Kind::SmallInt => integer("smallint", i16::MIN.into(), i16::MAX.into(), "SMALLINT"),
        Kind::BigInt => integer("bigint", i64::MIN.into(), i64::MAX.into(), "BIGINT"),
        Kind::Double | Kind::Float => {
            let v: f64 = signed.parse().unwrap_or(f64::INFINITY);
            let (name, max, sql_type) = if kind == Kind::Double {
                ("double", f64::MAX, "DOUBLE")
            } else {
                ("float", f64::from(f32::MAX), "FLOAT")
            };
            if !v.is_finite() || v.abs() > max {
                let bound = java_exponent(max);
                return Err(range_error(name, &format!("-{bound}"), &bound));
            }
            Ok(format!("'{signed}'::{sql_type}"))
        }
        Kind::Decimal => {
            let (plain, precision, scale) = decimal(&signed);
            if precision > 38 {
                return Err(SqlError::new(
                    SqlErrorKind::Syntax,
                    format!(
                        "[DECIMAL_PRECISION_EXCEEDS_MAX_PRECISION] Decimal precision {precision} \
                         exceeds max precision 38..(line {}, pos {})",
                        at.0, at.1
                    ),
                ));
            }
            Ok(format!("'{plain}'::DECIMAL({precision},{scale})"))
        }
    }
}

/// `1.7976931348623157E+308` as Java's `BigDecimal` prints a double bound.
fn java_exponent(v: f64) -> String {
    let text = format!("{v:e}");
    match text.split_once('e') {
        Some((m, e)) if !e.starts_with('-') => format!("{m}E+{e}"),
        Some((m, e)) => format!("{m}E{e}"),
        None => text,
    }
}

/// A decimal literal as Spark types it: its plain text, precision and scale (a negative
/// scale is brought to 0, as Spark does).
fn decimal(text: &str) -> (String, usize, usize) {
    let (sign, unsigned) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(p) => (
            &unsigned[..p],
            unsigned[p + 1..].parse::<i64>().unwrap_or(0),
        ),
        None => (unsigned, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits = format!("{int}{frac}");
    let mut scale = frac.len() as i64 - exponent;
    if scale < 0 {
        digits.extend(std::iter::repeat_n('0', scale.unsigned_abs() as usize));
        scale = 0;
    }
    let scale = scale as usize;
    let significant = digits.trim_start_matches('0');
    let precision = significant.len().max(1).max(scale);
    // Plain text: pad so that there is at least one digit before the point.
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (i, f) = padded.split_at(padded.len() - scale);
    let i = i.trim_start_matches('0');
    let i = if i.is_empty() { "0" } else { i };
    let plain = if scale == 0 {
        format!("{sign}{i}")
    } else {
        format!("{sign}{i}.{f}")
    };
    (plain, precision, scale)
}

/// An output column name as Spark writes it: literals rewritten by [`rewrite`] (and
/// exponent doubles) appear as their value (`10`, `100.0`, `1.5`), not as casts, and
/// operations as [`crate::sparknames::spark_sql`] writes them (`(7 / 2)`).
pub fn display(expr: &Expr) -> String {
    let mut expr = expr.clone();
    let _ = visit_expressions_mut(&mut expr, |e: &mut Expr| {
        if let Expr::Cast {
            kind: CastKind::DoubleColon,
            expr: inner,
            data_type,
            ..
        } = e
            && let Expr::Value(v) = inner.as_ref()
            && let Value::SingleQuotedString(text) = &v.value
            && let Some(name) = literal_name(text, data_type)
        {
            *e = Expr::Value(Value::Number(name, false).into());
        }
        ControlFlow::<()>::Continue(())
    });
    crate::sparknames::spark_sql(&expr)
}

fn literal_name(text: &str, data_type: &DataType) -> Option<String> {
    match data_type {
        DataType::TinyInt(_) | DataType::SmallInt(_) | DataType::BigInt(_) => Some(text.into()),
        DataType::Decimal(ExactNumberInfo::PrecisionAndScale(_, _)) => Some(text.into()),
        DataType::Double(_) | DataType::DoublePrecision => text.parse().ok().map(java_double),
        DataType::Float(_) | DataType::Real => {
            // Java's Float.toString: the shortest text of the f32, printed as a double.
            let v: f32 = text.parse().ok()?;
            v.to_string().parse().ok().map(java_double)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rw(sql: &str) -> String {
        rewrite(sql).unwrap().into_owned()
    }

    #[test]
    fn rewrites_every_suffix() {
        assert_eq!(
            rw("SELECT 10L, 3S, 2Y, 1.5D, 2.5F, 1.5BD, 1E2D, .5d, 10l"),
            "SELECT '10'::BIGINT, '3'::SMALLINT, '2'::TINYINT, '1.5'::DOUBLE, '2.5'::FLOAT, \
             '1.5'::DECIMAL(2,1), '1E2'::DOUBLE, '.5'::DOUBLE, '10'::BIGINT"
        );
        assert_eq!(
            rw("SELECT 1E2BD, 0.05BD"),
            "SELECT '100'::DECIMAL(3,0), '0.05'::DECIMAL(2,2)"
        );
        assert_eq!(
            rw("SELECT -128Y, - 5Y, 1 - 1Y"),
            "SELECT '-128'::TINYINT, '-5'::TINYINT, 1 - '1'::TINYINT"
        );
        assert_eq!(
            rw("SELECT array(1Y, -2Y)"),
            "SELECT array('1'::TINYINT, '-2'::TINYINT)"
        );
    }

    #[test]
    fn leaves_other_tokens_alone() {
        for sql in [
            "SELECT '10L', `2D`, x10L, t.2D, 10Lx FROM t -- 3S\n",
            "SELECT 1 /* 2Y */, \"1.5D\"",
            "SELECT 1.5 D",
            "SELECT 1E2",
        ] {
            assert_eq!(rw(sql), sql);
        }
    }

    #[test]
    fn out_of_range_fails_like_spark() {
        let e = rewrite("SELECT 200Y").unwrap_err();
        assert_eq!(e.kind, SqlErrorKind::Syntax);
        assert_eq!(
            e.message,
            "[INVALID_NUMERIC_LITERAL_RANGE] Numeric literal 200 is outside the valid range for \
             tinyint with minimum value of -128 and maximum value of 127. Please adjust the value \
             accordingly.(line 1, pos 7)"
        );
        let e = rewrite("SELECT -129Y").unwrap_err();
        assert!(e.message.contains("Numeric literal -129 is outside"), "{e}");
        let e = rewrite("SELECT 1E400D").unwrap_err();
        assert!(
            e.message.contains(
                "for double with minimum value of -1.7976931348623157E+308 and maximum value of \
                 1.7976931348623157E+308."
            ),
            "{e}"
        );
        let e = rewrite("SELECT 3.4028235E38F").unwrap_err();
        assert!(e.message.contains("-3.4028234663852886E+38"), "{e}");
        let e = rewrite("SELECT 9223372036854775808L").unwrap_err();
        assert!(e.message.contains("valid range for bigint"), "{e}");
        let e = rewrite("SELECT 123456789012345678901234567890123456789BD").unwrap_err();
        assert!(
            e.message.starts_with(
                "[DECIMAL_PRECISION_EXCEEDS_MAX_PRECISION] Decimal precision 39 exceeds max"
            ),
            "{e}"
        );
        assert!(rewrite("SELECT 9223372036854775807L, -9223372036854775808L").is_ok());
    }

    #[test]
    fn names_like_spark() {
        let name = |sql: &str| {
            let sql = rw(sql);
            let stmts = crate::sparksql::parse(&sql).unwrap();
            let sqlparser::ast::Statement::Query(q) = &stmts[0] else {
                panic!("{sql}")
            };
            let sqlparser::ast::SetExpr::Select(s) = q.body.as_ref() else {
                panic!("{sql}")
            };
            let sqlparser::ast::SelectItem::UnnamedExpr(e) = &s.projection[0] else {
                panic!("{sql}")
            };
            display(e)
        };
        assert_eq!(name("SELECT 10L"), "10");
        assert_eq!(name("SELECT 1E2D"), "100.0");
        assert_eq!(name("SELECT 1E10D"), "1.0E10");
        assert_eq!(name("SELECT 0.1F"), "0.1");
        assert_eq!(name("SELECT 1.23E4BD"), "12300");
        assert_eq!(name("SELECT -0.0D"), "-0.0");
        assert_eq!(name("SELECT 10L + 1"), "(10 + 1)");
    }
}
