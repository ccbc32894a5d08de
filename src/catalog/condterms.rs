//! Small readers of SQL conditions shared by the catalog's query analysis: identifier
//! folding, the `AND` terms of a condition, the column and the literal a comparison
//! names, and Postgres' reading of a qualified `regclass` string.
//!
//! Owns: nothing but these pure functions over sqlparser's AST.

use sqlparser::ast::{
    BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, ObjectName, Value,
};

pub(super) fn folded(i: &Ident) -> String {
    match i.quote_style {
        Some(_) => i.value.clone(),
        None => i.value.to_lowercase(),
    }
}

pub(super) fn parts(name: &ObjectName) -> Vec<String> {
    name.0
        .iter()
        .map(|p| p.as_ident().map(folded).unwrap_or_default())
        .collect()
}

pub(super) fn first_arg(args: &FunctionArguments) -> Option<&Expr> {
    let FunctionArguments::List(list) = args else {
        return None;
    };
    match list.args.first()? {
        FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
        _ => None,
    }
}

/// The top-level `AND` terms of `e`.
pub(super) fn conjuncts<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
    match e {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => {
            conjuncts(left, out);
            conjuncts(right, out);
        }
        Expr::Nested(inner) => conjuncts(inner, out),
        other => out.push(other),
    }
}

/// The column a condition tests: (qualifier, name).
pub(super) fn column(e: &Expr) -> Option<(Option<String>, String)> {
    match e {
        Expr::Identifier(i) => Some((None, folded(i))),
        Expr::CompoundIdentifier(ids) if ids.len() >= 2 => Some((
            Some(folded(&ids[ids.len() - 2])),
            folded(&ids[ids.len() - 1]),
        )),
        Expr::Nested(inner) | Expr::Collate { expr: inner, .. } => column(inner),
        _ => None,
    }
}

/// A string or number literal (through casts other than to `regclass`, and COLLATE).
pub(super) fn literal(e: &Expr) -> Option<String> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s)
            | Value::EscapedStringLiteral(s)
            | Value::NationalStringLiteral(s) => Some(s.clone()),
            Value::Number(n, _) => Some(n.to_string()),
            _ => None,
        },
        Expr::Nested(inner) | Expr::Collate { expr: inner, .. } => literal(inner),
        Expr::Cast {
            expr, data_type, ..
        } if !is_regclass(data_type) => literal(expr),
        _ => None,
    }
}

pub(super) fn is_regclass(dt: &sqlparser::ast::DataType) -> bool {
    dt.to_string().to_ascii_lowercase().ends_with("regclass")
}

/// `a.b` / `"A"."b"` as Postgres reads a regclass string.
pub(super) fn split_qualified(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut was_quoted = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            '"' => {
                quoted = !quoted;
                was_quoted = true;
            }
            '.' if !quoted => {
                out.push(finish(&mut cur, &mut was_quoted));
            }
            c => cur.push(c),
        }
    }
    out.push(finish(&mut cur, &mut was_quoted));
    out
}

pub(super) fn finish(cur: &mut String, was_quoted: &mut bool) -> String {
    let s = std::mem::take(cur);
    let s = if *was_quoted {
        s
    } else {
        s.trim().to_lowercase()
    };
    *was_quoted = false;
    s
}
