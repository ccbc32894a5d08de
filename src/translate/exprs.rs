//! Operators and functions whose Spark spelling or meaning differs from Postgres':
//! regex matches (`~ ~* !~ !~*` → `RLIKE`, POSIX classes as Java's), integer division
//! (Postgres truncates `int / int`; Spark's `/` is exact — rewritten to `DIV` where both
//! sides are known to be integers), `ARRAY[…]` and 1-based subscripts, and
//! `substring` with a regex or a start before 1. `COALESCE`, `NULLIF`, `GREATEST` and
//! `LEAST` (both skip NULLs), `||`, `ILIKE`, `position(a IN b)` (and `strpos` as `instr`) and
//! `substring(x FROM a FOR b)` mean the same on Spark 3.3 and are left as written.

use sqlparser::ast::{
    AccessExpr, BinaryOperator, CaseWhen, CastKind, DataType, Expr, Ident, ObjectName, Subscript,
    UnaryOperator, Value,
};

use super::build::{call, number};
use super::error::Untranslatable;
use super::types;
use crate::pgtypes::SparkType;

/// Rewrite one node (its children already rewritten); `true` when it changed.
pub fn rewrite(
    e: &mut Expr,
    lookup: &dyn Fn(&[Ident]) -> Option<SparkType>,
) -> Result<bool, Untranslatable> {
    if types::rewrite(e)? {
        return Ok(true);
    }
    match e {
        Expr::BinaryOp { left, op, right } => {
            let (negated, icase) = match op {
                BinaryOperator::PGRegexMatch => (false, false),
                BinaryOperator::PGRegexIMatch => (false, true),
                BinaryOperator::PGRegexNotMatch => (true, false),
                BinaryOperator::PGRegexNotIMatch => (true, true),
                BinaryOperator::Divide => return Ok(divide(e, lookup)),
                _ => return Ok(false),
            };
            let mut pattern = std::mem::replace(right.as_mut(), null());
            posix_classes(&mut pattern);
            if icase {
                pattern = call("concat", vec![string("(?i)"), pattern]);
            }
            *e = Expr::RLike {
                negated,
                expr: Box::new(std::mem::replace(left.as_mut(), null())),
                pattern: Box::new(pattern),
                regexp: false,
            };
            Ok(true)
        }
        Expr::Array(a) => {
            *e = call("array", std::mem::take(&mut a.elem));
            Ok(true)
        }
        Expr::CompoundFieldAccess { root, access_chain } => {
            let [AccessExpr::Subscript(Subscript::Index { index })] = access_chain.as_slice()
            else {
                return Ok(false);
            };
            // Postgres arrays count from 1, Spark's `a[i]` from 0; element_at counts
            // from 1 (and reads maps by key).
            *e = call("element_at", vec![(**root).clone(), index.clone()]);
            Ok(true)
        }
        Expr::Substring {
            expr,
            substring_from: Some(from),
            substring_for,
            ..
        } => match substring(expr, from, substring_for)? {
            Some(x) => {
                *e = x;
                Ok(true)
            }
            None => Ok(false),
        },
        // strpos(string, substring): Spark's instr, same order, same 1-based answer
        // (0 when absent).
        Expr::Function(f)
            if f.name.0.len() == 1 && f.name.to_string().eq_ignore_ascii_case("strpos") =>
        {
            f.name = ObjectName::from(vec![Ident::new("instr")]);
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// `int / int` as `CAST(a DIV b AS INT|BIGINT)`: Postgres truncates toward zero, as
/// Spark's `DIV` does. Left alone when either side's type is not known to be integral.
///
/// A side of unknown type is not refused, even against an integer: what stays unknown
/// once derived tables, CTEs and the current database are typed ([`super::typing`]) is a
/// column when the gateway has no catalog (a refusal would refuse every column division
/// there) or a function the typing does not model — nearly all not integers on Postgres
/// (`extract` is `numeric`, `date_part` `double`, `round`/`power`/`avg` …), for which
/// Spark's exact `/` is the Postgres answer; refusing them would break working BI
/// statements (Grafana's epoch buckets divide `extract(epoch …)` by an integer).
fn divide(e: &mut Expr, lookup: &dyn Fn(&[Ident]) -> Option<SparkType>) -> bool {
    let Expr::BinaryOp { left, right, .. } = e else {
        return false;
    };
    let (Some(a), Some(b)) = (int_width(left, lookup), int_width(right, lookup)) else {
        return false;
    };
    let ty = if a.max(b) == 64 { "BIGINT" } else { "INT" };
    let div = Expr::BinaryOp {
        left: Box::new(nested(std::mem::replace(left.as_mut(), null()))),
        op: BinaryOperator::MyIntegerDivide,
        right: Box::new(nested(std::mem::replace(right.as_mut(), null()))),
    };
    *e = Expr::Cast {
        kind: CastKind::Cast,
        expr: Box::new(div),
        data_type: DataType::Custom(ObjectName::from(vec![Ident::new(ty)]), vec![]),
        array: false,
        format: None,
    };
    true
}

/// 32 or 64 when `e` is known to be a Postgres integer of that width
/// ([`super::typing`]).
fn int_width(e: &Expr, lookup: &dyn Fn(&[Ident]) -> Option<SparkType>) -> Option<u8> {
    match super::typing::of(e, lookup)? {
        SparkType::TinyInt | SparkType::SmallInt | SparkType::Int => Some(32),
        SparkType::BigInt => Some(64),
        _ => None,
    }
}

/// `substring(x FROM 'regex')` (Postgres: the match, or its first group; NULL when
/// there is none) and `substring(x FROM a …)` with a literal start before 1 (Postgres
/// counts the positions before the string; Spark reads 0 as 1 and negatives from the end).
fn substring(
    expr: &Expr,
    from: &Expr,
    count: &Option<Box<Expr>>,
) -> Result<Option<Expr>, Untranslatable> {
    if let Expr::Value(v) = from
        && let Value::SingleQuotedString(p) = &v.value
    {
        if count.is_some() {
            return Err(Untranslatable::new("substring(… SIMILAR …)"));
        }
        let group = if p.contains('(') { "1" } else { "0" };
        let mut pattern = from.clone();
        posix_classes(&mut pattern);
        let matched = Expr::RLike {
            negated: false,
            expr: Box::new(expr.clone()),
            pattern: Box::new(pattern.clone()),
            regexp: false,
        };
        let extract = call("regexp_extract", vec![expr.clone(), pattern, number(group)]);
        return Ok(Some(case_when(matched, extract)));
    }
    let Some(start) = int_literal(from) else {
        return Ok(None);
    };
    if start >= 1 {
        return Ok(None);
    }
    // Postgres: the characters at positions start .. start+count-1 that exist.
    let len = count.as_deref().map(|c| match int_literal(c) {
        Some(n) => number(&(start + n - 1).max(0).to_string()),
        None => Expr::BinaryOp {
            left: Box::new(nested(c.clone())),
            op: BinaryOperator::Plus,
            right: Box::new(number(&(start - 1).to_string())),
        },
    });
    let mut args = vec![expr.clone(), number("1")];
    args.extend(len);
    Ok(Some(call("substring", args)))
}

fn int_literal(e: &Expr) -> Option<i64> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.parse().ok(),
            _ => None,
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => int_literal(expr).map(|n| -n),
        Expr::Nested(x) => int_literal(x),
        _ => None,
    }
}

/// POSIX bracket classes in a literal pattern as Java's (`[[:digit:]]` → `[\p{Digit}]`).
fn posix_classes(e: &mut Expr) {
    if let Expr::Value(v) = e
        && let Value::SingleQuotedString(p) = &mut v.value
        && p.contains("[:")
    {
        for (posix, java) in [
            ("[:alpha:]", r"\p{Alpha}"),
            ("[:digit:]", r"\p{Digit}"),
            ("[:alnum:]", r"\p{Alnum}"),
            ("[:upper:]", r"\p{Upper}"),
            ("[:lower:]", r"\p{Lower}"),
            ("[:space:]", r"\s"),
            ("[:punct:]", r"\p{Punct}"),
            ("[:xdigit:]", r"\p{XDigit}"),
        ] {
            *p = p.replace(posix, java);
        }
    }
}

fn null() -> Expr {
    Expr::Value(Value::Null.into())
}

fn string(s: &str) -> Expr {
    Expr::Value(Value::SingleQuotedString(s.into()).into())
}

fn nested(e: Expr) -> Expr {
    match e {
        Expr::Identifier(_) | Expr::CompoundIdentifier(_) | Expr::Value(_) | Expr::Nested(_) => e,
        Expr::Function(_) | Expr::Cast { .. } => e,
        other => Expr::Nested(Box::new(other)),
    }
}

fn case_when(cond: Expr, then: Expr) -> Expr {
    Expr::Case {
        case_token: sqlparser::ast::helpers::attached_token::AttachedToken::empty(),
        end_token: sqlparser::ast::helpers::attached_token::AttachedToken::empty(),
        operand: None,
        conditions: vec![CaseWhen {
            condition: cond,
            result: then,
        }],
        else_result: None,
    }
}
