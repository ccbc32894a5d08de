//! Printing a rewritten statement with its string literals intact and the client's
//! comments kept.
//!
//! sqlparser's printer does not round-trip every literal: a `\` before a quote in a
//! standard string is printed as if it escaped the quote (`'\''` comes out as `'\'`,
//! which ends the string early: the rest of the value would run as SQL), and `E'…'`
//! strings come out in a form the Postgres lexer reads differently. So each literal is
//! swapped for a marker before printing and written back afterwards as a standard
//! Postgres string, `'` doubled, every other character as it is — the form
//! [`crate::pgsql::Lexed`] reads back to the same value.

use std::ops::ControlFlow;

use sqlparser::ast::{Statement, Value, ValueWithSpan, VisitMut, VisitorMut};

/// `stmt` printed, every string literal with the value the parser read.
pub fn print(mut stmt: Statement) -> String {
    let plain = stmt.to_string();
    // A marker that cannot occur in the statement's own text.
    let mut base = String::from("dligwlit");
    while plain.contains(&base) {
        base.push('x');
    }
    let mut swap = Swap {
        base: &base,
        values: Vec::new(),
    };
    let _ = stmt.visit(&mut swap);
    let values = swap.values;
    if values.is_empty() {
        return plain;
    }
    let mut out = stmt.to_string();
    for (i, value) in values.iter().enumerate() {
        let marker = marker(&base, i);
        out = out.replacen(&marker, &standard(value), 1);
    }
    out
}

fn marker(base: &str, i: usize) -> String {
    format!("{base}{i}q")
}

/// A standard Postgres string literal for `value`.
fn standard(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

struct Swap<'a> {
    base: &'a str,
    values: Vec<String>,
}

impl VisitorMut for Swap<'_> {
    type Break = ();

    fn pre_visit_value(&mut self, v: &mut ValueWithSpan) -> ControlFlow<()> {
        let text = match &v.value {
            Value::SingleQuotedString(s)
            | Value::EscapedStringLiteral(s)
            | Value::NationalStringLiteral(s) => s.clone(),
            Value::DollarQuotedString(d) => d.value.clone(),
            _ => return ControlFlow::Continue(()),
        };
        let marker = marker(self.base, self.values.len());
        self.values.push(text);
        v.value = Value::Placeholder(marker);
        ControlFlow::Continue(())
    }
}

/// `printed` with the client's `comments` that the printer dropped, in front, so that
/// DLI's job history and query tagging by BI tools keep them. Spark hints right after
/// `SELECT` (`/*+ … */`) are printed in place by sqlparser and are not repeated.
pub fn with_comments(comments: &[&str], printed: String) -> String {
    let dropped: Vec<&str> = comments
        .iter()
        .copied()
        .filter(|c| !printed.contains(c))
        .collect();
    if dropped.is_empty() {
        return printed;
    }
    let mut out = String::with_capacity(printed.len() + 64);
    for c in dropped {
        out.push_str(c);
        out.push('\n');
    }
    out.push_str(&printed);
    out
}
