//! Small tools the date/time rewrites share: reading a plain function call or a string
//! literal, and building Spark expressions from short templates (`$1`, `$2` … stand for
//! the arguments, which are substituted as parsed trees, never as text).

use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Value, visit_expressions_mut,
};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;

use crate::translate::error::Untranslatable;

/// The lower-case name and the arguments of a plain call `f(a, b)` (one-part name, no
/// `FILTER`, `OVER`, `DISTINCT`, named arguments or `ORDER BY`); `f` without parentheses
/// (`CURRENT_DATE`) has no arguments.
pub fn call(expr: &Expr) -> Option<(String, Vec<&Expr>)> {
    let Expr::Function(f) = expr else {
        return None;
    };
    if f.filter.is_some() || f.over.is_some() || f.name.0.len() != 1 {
        return None;
    }
    let name = f.name.0.first()?.as_ident()?;
    if name.quote_style.is_some() {
        return None;
    }
    let args = match &f.args {
        FunctionArguments::None => Vec::new(),
        FunctionArguments::List(list)
            if list.duplicate_treatment.is_none() && list.clauses.is_empty() =>
        {
            let mut out = Vec::with_capacity(list.args.len());
            for a in &list.args {
                match a {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => out.push(e),
                    _ => return None,
                }
            }
            out
        }
        _ => return None,
    };
    Some((name.value.to_ascii_lowercase(), args))
}

/// Whether the call was written with parentheses (`now()`), not as a bare keyword.
pub fn has_parens(expr: &Expr) -> bool {
    matches!(expr, Expr::Function(f) if !matches!(f.args, FunctionArguments::None))
}

/// The text of a string literal (`'…'`, `E'…'`, `$$…$$`), parentheses allowed around it.
pub fn string(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s)
            | Value::EscapedStringLiteral(s)
            | Value::NationalStringLiteral(s) => Some(s),
            Value::DollarQuotedString(d) => Some(&d.value),
            _ => None,
        },
        Expr::Nested(inner) => string(inner),
        _ => None,
    }
}

/// A string literal.
pub fn lit(s: &str) -> Expr {
    Expr::Value(Value::SingleQuotedString(s.to_string()).into())
}

/// `inner` without the parentheses around it.
pub fn unnest(mut e: &Expr) -> &Expr {
    while let Expr::Nested(inner) = e {
        e = inner;
    }
    e
}

/// The Spark expression `template` with `$1`, `$2` … replaced by `args` (trees, so no
/// quoting or precedence can go wrong). Templates are constants of this module.
pub fn tpl(template: &str, args: &[&Expr]) -> Result<Expr, Untranslatable> {
    let mut e = Parser::new(&GenericDialect {})
        .try_with_sql(template)
        .and_then(|mut p| p.parse_expr())
        .map_err(|e| Untranslatable::new(format!("date/time template {template} ({e})")))?;
    let mut missing = None;
    // Post-order: a substituted argument is not visited again, so `$n` placeholders the
    // client wrote inside an argument stay as they are.
    let _ = visit_expressions_mut(&mut e, |node| {
        if let Expr::Value(v) = node
            && let Value::Placeholder(p) = &v.value
        {
            let arg = p
                .strip_prefix('$')
                .and_then(|n| n.parse::<usize>().ok())
                .and_then(|n| n.checked_sub(1))
                .and_then(|n| args.get(n));
            match arg {
                Some(a) => *node = operand(a),
                None => missing = Some(p.clone()),
            }
        }
        ControlFlow::<()>::Continue(())
    });
    match missing {
        Some(p) => Err(Untranslatable::new(format!(
            "date/time template {template} (no {p})"
        ))),
        None => Ok(e),
    }
}

/// `e` as an operand: parenthesised unless it is one token or a call.
fn operand(e: &Expr) -> Expr {
    match e {
        Expr::Identifier(_)
        | Expr::CompoundIdentifier(_)
        | Expr::Value(_)
        | Expr::Function(_)
        | Expr::Nested(_)
        | Expr::Cast { .. }
        | Expr::TypedString(_)
        | Expr::Extract { .. }
        | Expr::Interval(_)
        | Expr::AtTimeZone { .. } => e.clone(),
        _ => Expr::Nested(Box::new(e.clone())),
    }
}
