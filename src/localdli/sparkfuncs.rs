//! Spark's meaning for built-in function calls that DataFusion (and datafusion-spark)
//! would otherwise answer differently, as rewrites of the statement's syntax tree before
//! it is planned:
//!
//! - `struct(a, t.b, 1)` → `named_struct('a', a, 'b', t.b, 'col3', 1)`: Spark names a
//!   struct's fields after the columns it is built from, `colN` otherwise (DataFusion:
//!   `c0`, `c1` …).
//! - `array_remove(arr, e)` → `array_remove_all(arr, e)`: Spark removes every element
//!   equal to `e` (DataFusion's `array_remove` only the first).
//! - `nvl(a, b)` / `ifnull(a, b)` → `coalesce(a, b)`, Spark's definition of both
//!   (DataFusion's `nvl` turns `nvl(NULL, array('2'))` into a string).
//! - `position(sub, str[, pos])` and `locate(sub, str[, pos])`: the 1-based position of
//!   `sub` in `str` from `pos`, 0 when absent or when `pos` is below 1 or NULL (Spark's
//!   `StringLocate`); DataFusion's `position` takes its arguments the other way round.
//! - `date_format(ts, 'pattern')` → `to_char(ts, …)` with Spark's datetime pattern
//!   letters translated ([`super::sparkpattern`]).
//! - `arrays_zip(a, t.b, x)` → `spark_arrays_zip('a', 'b', '2', a, t.b, x)`: Spark's
//!   field names ([`super::sparkzip`]).
//! - `sort_array(a[, asc])` and `array_sort(a)` → DataFusion's `array_sort` with Spark's
//!   NULL placement: `sort_array` puts NULLs first ascending and last descending,
//!   `array_sort` (without a comparator) always last.
//! - date and time calls (`date_add`, `unix_timestamp`, `from_unixtime`,
//!   `extract(second …)` …): [`super::sparkdates`].
//! - `json_tuple` is a generator (one column per key) the engine cannot produce: refused
//!   with Spark's `UNSUPPORTED_FEATURE` wording rather than answered as a struct.
//!
//! Operators and special forms are rewritten by [`super::sparkops`] first.
//!
//! Owns these call rewrites only; output column names were given before they run
//! ([`super::stmt::name_columns`]), so a column keeps Spark's name for the call as written.

use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, FunctionArguments, ObjectNamePart, Statement, Value,
    VisitMut, VisitorMut,
};

use super::error::SqlError;
use super::sparkops::call;

/// Rewrite the calls of `stmt` (see the module doc); an error for a call refused.
pub fn rewrite(stmt: &mut Statement) -> Result<(), SqlError> {
    struct Calls;
    impl VisitorMut for Calls {
        type Break = SqlError;
        fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<SqlError> {
            match rewrite_call(expr) {
                Ok(()) => ControlFlow::Continue(()),
                Err(e) => ControlFlow::Break(e),
            }
        }
    }
    match stmt.visit(&mut Calls) {
        ControlFlow::Break(e) => Err(e),
        ControlFlow::Continue(()) => Ok(()),
    }
}

fn rewrite_call(expr: &mut Expr) -> Result<(), SqlError> {
    super::sparkops::rewrite(expr)?;
    if let Expr::Struct { values, fields } = expr
        && fields.is_empty()
        && !values.is_empty()
    {
        // `struct(…)` as sqlparser reads it (a typeless struct literal)
        let args = std::mem::take(values);
        *expr = named_struct(args);
        return Ok(());
    }
    if let Expr::Extract { field, expr: t, .. } = expr
        && let Some(second) = super::sparkdates::extract_second(&field.to_string(), t)
    {
        *expr = second;
        return Ok(());
    }
    let Expr::Function(f) = expr else {
        return Ok(());
    };
    let [ObjectNamePart::Identifier(name)] = f.name.0.as_slice() else {
        return Ok(());
    };
    if name.quote_style.is_some() || f.over.is_some() {
        return Ok(());
    }
    let lower = name.value.to_ascii_lowercase();
    const REWRITTEN: &[&str] = &[
        "struct",
        "array_remove",
        "nvl",
        "ifnull",
        "arrays_zip",
        "position",
        "locate",
        "date_format",
        "json_tuple",
        "sort_array",
        "array_sort",
        "date_add",
        "date_sub",
        "date_part",
        "unix_timestamp",
        "to_unix_timestamp",
        "from_unixtime",
    ];
    if !REWRITTEN.contains(&lower.as_str()) {
        return Ok(());
    }
    let FunctionArguments::List(list) = &mut f.args else {
        return Ok(());
    };
    if !list.clauses.is_empty() || list.duplicate_treatment.is_some() {
        return Ok(());
    }
    let Some(args) = list
        .args
        .iter()
        .map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e.clone()),
            _ => None,
        })
        .collect::<Option<Vec<Expr>>>()
    else {
        return Ok(());
    };
    if let Some(call) = super::sparkdates::rewrite_call(&lower, &args)? {
        *expr = call;
        return Ok(());
    }
    match (lower.as_str(), args.len()) {
        ("struct", n) if n > 0 => *expr = named_struct(args),
        ("array_remove", 2) => *expr = call("array_remove_all", args),
        // DataFusion's `nvl` coerces `nvl(NULL, array(…))` to a string
        ("nvl" | "ifnull", 2) => *expr = call("coalesce", args),
        ("arrays_zip", n) if n > 0 => {
            let mut named: Vec<Expr> = args
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    let name = match a {
                        Expr::Identifier(id) => id.value.clone(),
                        Expr::CompoundIdentifier(p) => {
                            p.last().map_or_else(|| i.to_string(), |p| p.value.clone())
                        }
                        _ => i.to_string(),
                    };
                    Expr::value(Value::SingleQuotedString(name))
                })
                .collect();
            named.extend(args);
            *expr = call(super::sparkzip::NAME, named);
        }
        ("position" | "locate", 2) => {
            let mut args = args.into_iter();
            if let (Some(sub), Some(s)) = (args.next(), args.next()) {
                *expr = call("strpos", vec![s, sub]);
            }
        }
        ("position" | "locate", 3) => *expr = locate_from(args)?,
        ("date_format", 2) => {
            let mut args = args.into_iter();
            if let (Some(ts), Some(Expr::Value(v))) = (args.next(), args.next()) {
                let Value::SingleQuotedString(p) = &v.value else {
                    return Err(SqlError::unsupported(
                        "date_format with a pattern that is not a string literal",
                    ));
                };
                let chrono = super::sparkpattern::to_chrono(p)?;
                *expr = call(
                    "to_char",
                    vec![ts, Expr::value(Value::SingleQuotedString(chrono))],
                );
            } else {
                return Err(SqlError::unsupported(
                    "date_format with a pattern that is not a string literal",
                ));
            }
        }
        ("sort_array", 1) => *expr = sorted(args, "ASC", "NULLS FIRST"),
        ("sort_array", 2) => match &args[1] {
            Expr::Value(v) if v.value == Value::Boolean(true) => {
                *expr = sorted(args, "ASC", "NULLS FIRST")
            }
            Expr::Value(v) if v.value == Value::Boolean(false) => {
                *expr = sorted(args, "DESC", "NULLS LAST")
            }
            _ => {
                return Err(SqlError::unsupported(
                    "sort_array with an order that is not a boolean literal",
                ));
            }
        },
        ("array_sort", 1) => *expr = sorted(args, "ASC", "NULLS LAST"),
        ("json_tuple", _) => {
            return Err(SqlError::unsupported(
                "json_tuple (a generator of one column per key); use get_json_object per key",
            ));
        }
        _ => {}
    }
    Ok(())
}

/// DataFusion's `array_sort(a, order, nulls)` of the first argument.
fn sorted(mut args: Vec<Expr>, order: &str, nulls: &str) -> Expr {
    args.truncate(1);
    args.push(Expr::value(Value::SingleQuotedString(order.into())));
    args.push(Expr::value(Value::SingleQuotedString(nulls.into())));
    call("array_sort", args)
}

/// `named_struct` with Spark's field names for `struct(args)`: a column's name, an
/// alias given with `AS`, else `colN`.
fn named_struct(args: Vec<Expr>) -> Expr {
    let mut named = Vec::with_capacity(2 * args.len());
    for (i, arg) in args.into_iter().enumerate() {
        let (field, arg) = match arg {
            Expr::Named { expr, name } => (name.value, *expr),
            Expr::Identifier(id) => (id.value.clone(), Expr::Identifier(id)),
            Expr::CompoundIdentifier(parts) => (
                parts
                    .last()
                    .map_or_else(|| format!("col{}", i + 1), |p| p.value.clone()),
                Expr::CompoundIdentifier(parts),
            ),
            other => (format!("col{}", i + 1), other),
        };
        named.push(Expr::value(Value::SingleQuotedString(field)));
        named.push(arg);
    }
    call("named_struct", named)
}

/// `locate(sub, str, pos)` as Spark evaluates it: 0 for a NULL or non-positive `pos`,
/// else the 1-based position of `sub` in `str` at or after `pos`, 0 when absent.
fn locate_from(args: Vec<Expr>) -> Result<Expr, SqlError> {
    let [sub, s, pos] = <[Expr; 3]>::try_from(args)
        .map_err(|_| SqlError::internal("locate: three arguments expected"))?;
    let text = format!(
        "CASE WHEN ({pos}) IS NULL OR ({pos}) < 1 THEN 0 \
         WHEN strpos(substr({s}, {pos}), {sub}) = 0 THEN 0 \
         ELSE strpos(substr({s}, {pos}), {sub}) + ({pos}) - 1 END"
    );
    sqlparser::parser::Parser::new(&crate::sparksql::SparkDialect)
        .try_with_sql(&text)
        .and_then(|mut p| p.parse_expr())
        .map_err(|e| SqlError::internal(format!("locate: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(sql: &str) -> Result<String, SqlError> {
        let mut stmt = crate::sparksql::parse(sql).unwrap().remove(0);
        rewrite(&mut stmt).map(|()| stmt.to_string())
    }

    #[test]
    fn calls_take_spark_meaning() {
        assert_eq!(
            rewritten("SELECT struct(a, t.b, 1) FROM t").unwrap(),
            "SELECT named_struct('a', a, 'b', t.b, 'col3', 1) FROM t"
        );
        assert_eq!(
            rewritten("SELECT array_remove(x, 3)").unwrap(),
            "SELECT array_remove_all(x, 3)"
        );
        assert_eq!(
            rewritten("SELECT position('bar', s), LOCATE('b', s)").unwrap(),
            "SELECT strpos(s, 'bar'), strpos(s, 'b')"
        );
        assert!(
            rewritten("SELECT locate('b', s, 2)")
                .unwrap()
                .starts_with("SELECT CASE WHEN (2) IS NULL")
        );
        assert_eq!(
            rewritten("SELECT date_format(d, 'yyyy-MM-dd')").unwrap(),
            "SELECT to_char(d, '%Y-%m-%d')"
        );
        let e = rewritten("SELECT json_tuple(j, 'a')").unwrap_err();
        assert!(e.message.starts_with("[UNSUPPORTED_FEATURE]"), "{e}");
        // window functions and quoted names are left alone
        assert_eq!(
            rewritten("SELECT `struct`(1)").unwrap(),
            "SELECT `struct`(1)"
        );
    }
}
