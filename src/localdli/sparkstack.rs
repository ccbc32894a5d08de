//! The generators [`super::sparkgen`] expands beyond `explode` of an array, each as one
//! DataFusion `unnest` per output column (DataFusion zips the `unnest`s of one select
//! row by row), with Spark 3.3's column names and rules:
//!
//! - `stack(n, v1, …, vk)`: `n` rows of `ceil(k / n)` columns `col0`, `col1` …, filled
//!   row by row, the last padded with NULLs; `n` must be a positive integer literal, and
//!   a column's values must share one type (NULLs aside) — `stack` here is the internal
//!   function building one column's values, which refuses mixed types, and literals of
//!   different integer types (`1`, `2L`) are refused before planning;
//! - `inline(array(struct(…), …))` / `inline_outer` of an array written out of
//!   `struct(…)` / `named_struct(…)` (or NULL) elements: one column per field, named as
//!   Spark names the struct's fields (`col1` …, an `AS` alias, a column's name);
//! - `explode` / `posexplode` (and `_outer`) of a `map(k1, v1, …)` written out: columns
//!   `key` and `value` (after `pos`), in the order written; a key written twice fails
//!   when the statement runs, as Spark's `DUPLICATED_MAP_KEY` does.
//!
//! A generator over a column of a map or an array of structs is not run here
//! (`UNSUPPORTED_FEATURE`): its column names depend on a type the rewrite cannot see.
//! Owns these expansions and the `stack` column function.

use sqlparser::ast::{Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, Value};

use datafusion::arrow::datatypes::DataType;
use datafusion::common::plan_err;
use datafusion::functions_nested::make_array::make_array_udf;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::error::{SqlError, SqlErrorKind};
use super::sparkops::call;

/// The internal column function of `stack` (its name is Spark's, for its errors).
pub const STACK: &str = "stack";

/// One output column: its default name and the list it unnests.
pub struct Column {
    pub name: String,
    pub list: Expr,
}

/// The columns of `name(args)` when this module expands it (`None`: not one of its
/// forms).
pub fn columns(name: &str, args: &[Expr]) -> Result<Option<Vec<Column>>, SqlError> {
    match name {
        "stack" => stack(args).map(Some),
        "inline" | "inline_outer" => inline(name, args).map(Some),
        "explode" | "explode_outer" | "posexplode" | "posexplode_outer" => Ok(match args {
            [m] => map_literal(m),
            _ => None,
        }),
        _ => Ok(None),
    }
}

fn mismatch(call: &str, why: &str) -> SqlError {
    SqlError::new(
        SqlErrorKind::Analysis,
        format!("[DATATYPE_MISMATCH] Cannot resolve \"{call}\" due to data type mismatch: {why}"),
    )
}

fn stack(args: &[Expr]) -> Result<Vec<Column>, SqlError> {
    let shown: Vec<String> = args.iter().map(ToString::to_string).collect();
    let call_text = format!("stack({})", shown.join(", "));
    let Some((n, values)) = args.split_first().filter(|(_, v)| !v.is_empty()) else {
        return Err(mismatch(&call_text, "stack requires at least 2 arguments."));
    };
    let rows = match n {
        Expr::Value(v) => match &v.value {
            Value::Number(text, false) => text.parse::<usize>().ok().filter(|r| *r > 0),
            _ => None,
        },
        _ => None,
    }
    .ok_or_else(|| {
        mismatch(
            &call_text,
            "The number of rows must be a positive constant integer.",
        )
    })?;
    let width = values.len().div_ceil(rows);
    // literals whose Spark types differ within a column (`stack(2, 1, 2L)`): the engine
    // plans both as bigint, Spark refuses them
    for j in 0..width {
        let typed: Vec<(usize, &str)> = (j..values.len())
            .step_by(width)
            .filter_map(|i| literal_type(&values[i]).map(|t| (i + 1, t)))
            .collect();
        if let Some(((a, ta), (b, tb))) = typed
            .first()
            .and_then(|f| typed.iter().find(|(_, t)| *t != f.1).map(|o| (*f, *o)))
        {
            return Err(mismatch(
                &call_text,
                &format!("Argument {a} ({ta}) != Argument {b} ({tb})"),
            ));
        }
    }
    Ok((0..width)
        .map(|j| {
            let cells: Vec<Expr> = (0..rows)
                .map(|r| {
                    values
                        .get(r * width + j)
                        .cloned()
                        .unwrap_or_else(|| Expr::value(Value::Null))
                })
                .collect();
            Column {
                name: format!("col{j}"),
                list: call(STACK, cells),
            }
        })
        .collect())
}

/// The Spark type of an integer literal as written (`1` int, `2L` bigint …).
fn literal_type(e: &Expr) -> Option<&'static str> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::Number(n, false) => Some(if n.parse::<i32>().is_ok() {
                "int"
            } else if n.parse::<i64>().is_ok() {
                "bigint"
            } else {
                return None;
            }),
            _ => None,
        },
        // Spark's suffixed literals, as the engine spells them (`'2'::BIGINT`)
        Expr::Cast {
            kind: sqlparser::ast::CastKind::DoubleColon,
            data_type,
            ..
        } => match data_type {
            sqlparser::ast::DataType::BigInt(_) => Some("bigint"),
            sqlparser::ast::DataType::SmallInt(_) => Some("smallint"),
            sqlparser::ast::DataType::TinyInt(_) => Some("tinyint"),
            _ => None,
        },
        _ => None,
    }
}

/// The field names and values of a `struct(…)` / `named_struct(…)` written out.
fn struct_fields(e: &Expr) -> Option<Vec<(String, Expr)>> {
    match e {
        Expr::Struct { values, fields } if fields.is_empty() => Some(
            values
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Expr::Named { expr, name } => (name.value.clone(), expr.as_ref().clone()),
                    Expr::Identifier(id) => (id.value.clone(), v.clone()),
                    Expr::CompoundIdentifier(p) => (
                        p.last()
                            .map_or_else(|| format!("col{}", i + 1), |p| p.value.clone()),
                        v.clone(),
                    ),
                    other => (format!("col{}", i + 1), other.clone()),
                })
                .collect(),
        ),
        Expr::Function(_) => {
            let (name, args) = call_args(e)?;
            match name.as_str() {
                "struct" => struct_fields(&Expr::Struct {
                    values: args,
                    fields: Vec::new(),
                }),
                "named_struct" if args.len() % 2 == 0 => args
                    .chunks(2)
                    .map(|kv| match &kv[0] {
                        Expr::Value(v) => match &v.value {
                            Value::SingleQuotedString(k) => Some((k.clone(), kv[1].clone())),
                            _ => None,
                        },
                        _ => None,
                    })
                    .collect(),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The lower-case name and plain arguments of a function call.
fn call_args(e: &Expr) -> Option<(String, Vec<Expr>)> {
    let Expr::Function(f) = e else {
        return None;
    };
    if f.over.is_some() {
        return None;
    }
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    let args = list
        .args
        .iter()
        .map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e.clone()),
            _ => None,
        })
        .collect::<Option<Vec<Expr>>>()?;
    Some((f.name.to_string().to_ascii_lowercase(), args))
}

fn inline(name: &str, args: &[Expr]) -> Result<Vec<Column>, SqlError> {
    let refused = || {
        SqlError::unsupported(format!(
            "{name} of anything but an array of struct(…) written out, on the local DLI service"
        ))
    };
    let [array] = args else {
        return Err(SqlError::new(
            SqlErrorKind::Analysis,
            format!(
                "[WRONG_NUM_ARGS] The `{name}` requires 1 parameters but the actual number is {}.",
                args.len()
            ),
        ));
    };
    let Some((f, elements)) = call_args(array) else {
        return Err(refused());
    };
    if f != "array" {
        return Err(refused());
    }
    let is_null = |e: &Expr| matches!(e, Expr::Value(v) if v.value == Value::Null);
    // an array of numbers or strings written out: Spark's type error
    if !elements.is_empty()
        && elements
            .iter()
            .all(|e| matches!(e, Expr::Value(_)) && !is_null(e))
    {
        return Err(SqlError::new(
            SqlErrorKind::Analysis,
            format!(
                "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"{name}({array})\" \
                 due to data type mismatch: input to function inline should be array of struct \
                 type."
            ),
        ));
    }
    let structs: Vec<Option<Vec<(String, Expr)>>> = elements
        .iter()
        .map(|e| {
            if is_null(e) {
                Some(None)
            } else {
                struct_fields(e).map(Some)
            }
        })
        .collect::<Option<_>>()
        .ok_or_else(refused)?;
    let Some(first) = structs.iter().flatten().next() else {
        return Err(refused());
    };
    let width = first.len();
    if structs.iter().flatten().any(|s| s.len() != width) {
        return Err(refused());
    }
    Ok((0..width)
        .map(|j| Column {
            name: first[j].0.clone(),
            list: call(
                "array",
                structs
                    .iter()
                    .map(|s| match s {
                        Some(fields) => fields[j].1.clone(),
                        None => Expr::value(Value::Null),
                    })
                    .collect(),
            ),
        })
        .collect())
}

/// `key` and `value` lists of a `map(k1, v1, …)` written out.
fn map_literal(m: &Expr) -> Option<Vec<Column>> {
    let (name, args) = call_args(m)?;
    if name != "map" || args.len() % 2 != 0 {
        return None;
    }
    let keys: Vec<Expr> = args.iter().step_by(2).cloned().collect();
    let values: Vec<Expr> = args.iter().skip(1).step_by(2).cloned().collect();
    let shown: Vec<String> = keys.iter().map(ToString::to_string).collect();
    let repeated = shown
        .iter()
        .enumerate()
        .find(|(i, k)| shown[..*i].contains(k))
        .map(|(_, k)| k.trim_matches('\'').to_string());
    let key_list = match repeated {
        // Spark fails this map when it is built, as the statement runs
        Some(k) => call(
            "array",
            vec![call(
                super::sparktable::RAISE,
                vec![Expr::value(Value::SingleQuotedString(format!(
                    "[DUPLICATED_MAP_KEY] Duplicate map key {k} was found, please check the \
                     input data. If you want to remove the duplicated keys, you can set \
                     spark.sql.mapKeyDedupPolicy to LAST_WIN so that the key inserted at last \
                     takes the precedence."
                )))],
            )],
        ),
        None => call("array", keys),
    };
    Some(vec![
        Column {
            name: "key".into(),
            list: key_list,
        },
        Column {
            name: "value".into(),
            list: call("array", values),
        },
    ])
}

/// Default names of `columns`, or the aliases given when their count matches.
pub fn names(columns: &[&str], aliases: Option<Vec<Ident>>) -> Result<Vec<Ident>, SqlError> {
    match aliases {
        None => Ok(columns.iter().map(|c| Ident::new(*c)).collect()),
        Some(a) if a.len() == columns.len() => Ok(a),
        Some(a) => {
            let got: Vec<String> = a.iter().map(|i| i.value.clone()).collect();
            Err(SqlError::new(
                SqlErrorKind::Analysis,
                format!(
                    "[UDTF_ALIAS_NUMBER_MISMATCH] The number of aliases supplied in the AS clause \
                     does not match the number of columns output by the UDTF expected {} aliases \
                     but got {} ",
                    columns.len(),
                    got.join(",")
                ),
            ))
        }
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct StackColumn {
    signature: Signature,
}

/// `stack(v1, …)` as the engine runs it: the list of one output column's values.
pub fn udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(StackColumn {
        signature: Signature::user_defined(Volatility::Immutable),
    })
}

impl ScalarUDFImpl for StackColumn {
    fn name(&self) -> &str {
        STACK
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, types: &[DataType]) -> datafusion::error::Result<Vec<DataType>> {
        let Some(first) = types.iter().find(|t| !t.is_null()) else {
            return Ok(types.to_vec());
        };
        // integers of different widths are the engine's own doing while it plans
        // (`a + 1` is a bigint until its literal is an int): the widest
        let common = if types.iter().all(|t| t.is_null() || t.is_integer()) {
            types
                .iter()
                .filter(|t| !t.is_null())
                .max_by_key(|t| t.primitive_width().unwrap_or(0))
                .unwrap_or(first)
        } else {
            first
        };
        if let Some(other) = types
            .iter()
            .find(|t| !t.is_null() && *t != common && !(t.is_integer() && common.is_integer()))
        {
            return plan_err!(
                "Function 'stack' requires the values of a column to share one type: \
                 {first} != {other}"
            );
        }
        Ok(vec![common.clone(); types.len()])
    }

    fn return_type(&self, types: &[DataType]) -> datafusion::error::Result<DataType> {
        let item = types
            .iter()
            .find(|t| !t.is_null())
            .cloned()
            .unwrap_or(DataType::Null);
        Ok(DataType::new_list(item, true))
    }

    fn invoke_with_args(
        &self,
        args: ScalarFunctionArgs,
    ) -> datafusion::error::Result<ColumnarValue> {
        make_array_udf().invoke_with_args(args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn select_items(sql: &str) -> Vec<Expr> {
        let stmt = crate::sparksql::parse(sql).unwrap().remove(0);
        let sqlparser::ast::Statement::Query(q) = stmt else {
            panic!("not a query");
        };
        let sqlparser::ast::SetExpr::Select(s) = *q.body else {
            panic!("not a select");
        };
        s.projection
            .into_iter()
            .filter_map(|p| match p {
                sqlparser::ast::SelectItem::UnnamedExpr(e) => Some(e),
                _ => None,
            })
            .collect()
    }

    fn expanded(sql: &str) -> Result<Vec<(String, String)>, String> {
        let items = select_items(sql);
        let (name, args) = call_args(&items[0]).unwrap();
        let cols = columns(&name, &args)
            .map_err(|e| e.message)?
            .unwrap_or_default();
        Ok(cols
            .into_iter()
            .map(|c| (c.name, c.list.to_string()))
            .collect())
    }

    #[test]
    fn generators_become_columns() {
        assert_eq!(
            expanded("SELECT stack(2, 1, 'a', 2)").unwrap(),
            vec![
                ("col0".into(), "stack(1, 2)".into()),
                ("col1".into(), "stack('a', NULL)".into())
            ]
        );
        assert_eq!(
            expanded("SELECT inline(array(named_struct('x', 1), NULL))").unwrap(),
            vec![("x".into(), "array(1, NULL)".into())]
        );
        assert_eq!(
            expanded("SELECT explode(map(1, 'a'))").unwrap(),
            vec![
                ("key".into(), "array(1)".into()),
                ("value".into(), "array('a')".into())
            ]
        );
        // an explode of anything but a map written out is sparkgen's
        assert_eq!(expanded("SELECT explode(m)").unwrap(), vec![]);
        for bad in [
            "SELECT stack(0, 1)",
            "SELECT stack(2)",
            "SELECT inline(array(1))",
            "SELECT stack(2, 1, '2'::BIGINT)",
        ] {
            assert!(
                expanded(bad).unwrap_err().contains("DATATYPE_MISMATCH"),
                "{bad}"
            );
        }
        assert!(
            expanded("SELECT inline(x)")
                .unwrap_err()
                .contains("UNSUPPORTED_FEATURE")
        );
    }
}
