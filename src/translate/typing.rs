//! The Postgres type of an expression, as far as the translation can know it (integer
//! division needs it: Postgres truncates `int / int`). Reads both the client's Postgres
//! forms (a derived table's select list is typed before it is rewritten) and the Spark
//! forms the rewrites produce (a `/` is decided after its sides are rewritten).
//!
//! Known: column references (through `lookup`: the catalog's cached types, or a derived
//! table's / CTE's own columns), numeric literals, casts, `+ - * / %` of known operands,
//! `CASE` / `COALESCE` / `NULLIF` / `GREATEST` / `LEAST` of known branches, and the
//! functions whose Postgres result type follows from their arguments: `count` and the
//! ranking window functions (`bigint`), `sum` (`bigint` of `int`, `numeric` of
//! `bigint`), `min` / `max` / `abs`, `avg` (`numeric`), string lengths and positions
//! (`int`). Anything else is unknown (`None`).
//!
//! Owns this typing only.

use sqlparser::ast::{
    BinaryOperator, DataType, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident,
    UnaryOperator, Value,
};

use crate::pgtypes::SparkType;

/// Column types by reference (`a`, `t.a`).
pub type Lookup<'a> = dyn Fn(&[Ident]) -> Option<SparkType> + 'a;

/// Postgres' `numeric` as this typing names it (its precision does not matter here).
const NUMERIC: SparkType = SparkType::Decimal(38, 18);

/// The type of `e`, when known.
pub fn of(e: &Expr, lookup: &Lookup) -> Option<SparkType> {
    match e {
        Expr::Identifier(id) => lookup(std::slice::from_ref(id)),
        Expr::CompoundIdentifier(parts) => lookup(parts),
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) if n.parse::<i32>().is_ok() => Some(SparkType::Int),
            Value::Number(n, _) if n.parse::<i64>().is_ok() => Some(SparkType::BigInt),
            Value::Number(_, _) => Some(NUMERIC),
            _ => None,
        },
        Expr::Nested(x)
        | Expr::UnaryOp {
            op: UnaryOperator::Minus | UnaryOperator::Plus,
            expr: x,
        } => of(x, lookup),
        Expr::Cast { data_type, .. } => cast_type(data_type),
        Expr::BinaryOp {
            left,
            op:
                BinaryOperator::Plus
                | BinaryOperator::Minus
                | BinaryOperator::Multiply
                | BinaryOperator::Divide
                | BinaryOperator::Modulo
                | BinaryOperator::MyIntegerDivide,
            right,
        } => numeric(&[of(left, lookup)?, of(right, lookup)?]),
        Expr::Case {
            conditions,
            else_result,
            ..
        } => {
            let mut types = conditions
                .iter()
                .map(|c| of(&c.result, lookup))
                .collect::<Option<Vec<_>>>()?;
            if let Some(e) = else_result {
                types.push(of(e, lookup)?);
            }
            common(&types)
        }
        Expr::Function(f) => function(f, lookup),
        _ => None,
    }
}

/// `true` when `t` is one of Postgres' (and Spark's) integer types.
pub fn is_integer(t: &SparkType) -> bool {
    matches!(
        t,
        SparkType::TinyInt | SparkType::SmallInt | SparkType::Int | SparkType::BigInt
    )
}

fn is_number(t: &SparkType) -> bool {
    is_integer(t)
        || matches!(
            t,
            SparkType::Float | SparkType::Double | SparkType::Decimal(..)
        )
}

/// Arithmetic of numbers: the wider integer, else `double` or `numeric`.
fn numeric(types: &[SparkType]) -> Option<SparkType> {
    if !types.iter().all(is_number) {
        return None;
    }
    if types.iter().all(is_integer) {
        let wide = types.contains(&SparkType::BigInt);
        return Some(if wide {
            SparkType::BigInt
        } else {
            SparkType::Int
        });
    }
    if types
        .iter()
        .any(|t| matches!(t, SparkType::Float | SparkType::Double))
    {
        return Some(SparkType::Double);
    }
    Some(NUMERIC)
}

/// The type several branches share (`CASE`, `COALESCE` …).
fn common(types: &[SparkType]) -> Option<SparkType> {
    let first = types.first()?;
    if types.iter().all(|t| t == first) {
        return Some(first.clone());
    }
    numeric(types)
}

/// A cast's target, by its Postgres or Spark name.
fn cast_type(t: &DataType) -> Option<SparkType> {
    let name = t.to_string().to_ascii_uppercase();
    let base = name.split('(').next().unwrap_or_default().trim();
    Some(match base {
        "SMALLINT" | "INT2" | "TINYINT" | "INT" | "INTEGER" | "INT4" => SparkType::Int,
        "BIGINT" | "INT8" => SparkType::BigInt,
        "DOUBLE" | "DOUBLE PRECISION" | "FLOAT" | "FLOAT8" | "REAL" | "FLOAT4" => SparkType::Double,
        "DECIMAL" | "NUMERIC" | "DEC" => NUMERIC,
        "TEXT" | "STRING" | "VARCHAR" | "CHARACTER VARYING" | "CHAR" => SparkType::String,
        "DATE" => SparkType::Date,
        "TIMESTAMP"
        | "TIMESTAMPTZ"
        | "TIMESTAMP WITH TIME ZONE"
        | "TIMESTAMP WITHOUT TIME ZONE" => SparkType::Timestamp,
        "BOOLEAN" | "BOOL" => SparkType::Boolean,
        _ => return None,
    })
}

fn function(f: &sqlparser::ast::Function, lookup: &Lookup) -> Option<SparkType> {
    let name = f.name.to_string().to_ascii_lowercase();
    let args: Vec<&Expr> = match &f.args {
        FunctionArguments::List(l) => l
            .args
            .iter()
            .filter_map(|a| match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let arg_types = || {
        args.iter()
            .map(|a| of(a, lookup))
            .collect::<Option<Vec<_>>>()
    };
    match name.as_str() {
        "count" | "row_number" | "rank" | "dense_rank" | "ntile" => Some(SparkType::BigInt),
        "length" | "char_length" | "character_length" | "octet_length" | "strpos" | "instr"
        | "ascii" | "position" => Some(SparkType::Int),
        "sum" => match arg_types()?.as_slice() {
            [t] if *t == SparkType::BigInt => Some(NUMERIC),
            [t] if is_integer(t) => Some(SparkType::BigInt),
            [t] if is_number(t) => Some(t.clone()),
            _ => None,
        },
        "avg" => match arg_types()?.as_slice() {
            [SparkType::Float | SparkType::Double] => Some(SparkType::Double),
            [t] if is_number(t) => Some(NUMERIC),
            _ => None,
        },
        "min" | "max" | "abs" => match arg_types()?.as_slice() {
            [t] => Some(t.clone()),
            _ => None,
        },
        "coalesce" | "nullif" | "greatest" | "least" => common(&arg_types()?),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(sql: &str) -> Option<SparkType> {
        let e = sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
            .try_with_sql(sql)
            .and_then(|mut p| p.parse_expr())
            .unwrap();
        let lookup = |parts: &[Ident]| match parts.last().map(|p| p.value.as_str()) {
            Some("i") => Some(SparkType::Int),
            Some("d") => Some(SparkType::Double),
            _ => None,
        };
        of(&e, &lookup)
    }

    #[test]
    fn postgres_types_of_expressions() {
        assert_eq!(typed("i + 1"), Some(SparkType::Int));
        assert_eq!(typed("t.i * 3000000000"), Some(SparkType::BigInt));
        assert_eq!(typed("i / 2.5"), Some(NUMERIC));
        assert_eq!(typed("sum(i)"), Some(SparkType::BigInt));
        assert_eq!(typed("sum(i::int8)"), Some(NUMERIC));
        assert_eq!(typed("count(*)"), Some(SparkType::BigInt));
        assert_eq!(typed("avg(i)"), Some(NUMERIC));
        assert_eq!(typed("max(d)"), Some(SparkType::Double));
        assert_eq!(
            typed("CASE WHEN i > 0 THEN 1 ELSE i END"),
            Some(SparkType::Int)
        );
        assert_eq!(typed("coalesce(i, d)"), Some(SparkType::Double));
        assert_eq!(typed("u + 1"), None);
        assert_eq!(typed("extract(epoch FROM x)"), None);
    }
}
