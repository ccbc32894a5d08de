//! The functions of the `dli_flink` schema: their signatures, and reading a call's
//! arguments (positional or `name => value`) from the Postgres parse.
//!
//! DataFusion resolves a table function by the first part of its name and knows no
//! named arguments, so a call `dli_flink.f(a, x => b)` is rewritten to the internal
//! `__dli_flink_f('<json>')` whose one literal carries the arguments by name, typed by
//! the signature. A bound parameter is substituted before the rewrite; at Describe
//! (`$n` unbound) its value is unknown and nothing runs.
//!
//! Owns: [`FUNCTIONS`] and [`Args`]. Must not call DLI.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sqlparser::ast::{
    CastKind, Expr, FunctionArg, FunctionArgExpr, UnaryOperator, Value as SqlValue,
};

use crate::errors::{ErrorKind, GatewayError};

/// Type of an argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgTy {
    Int,
    Text,
    Bool,
    IntArray,
    TextArray,
}

impl ArgTy {
    fn sql(self) -> &'static str {
        match self {
            ArgTy::Int => "bigint",
            ArgTy::Text => "text",
            ArgTy::Bool => "boolean",
            ArgTy::IntArray => "bigint[]",
            ArgTy::TextArray => "text[]",
        }
    }
}

/// A function: name, arguments (name, type, required), whether it changes anything.
#[derive(Debug)]
pub struct Function {
    pub name: &'static str,
    pub args: &'static [(&'static str, ArgTy, bool)],
    pub control: bool,
    pub comment: &'static str,
}

use ArgTy::{Bool, Int, IntArray, Text, TextArray};

const SQL_SETTINGS: &[(&str, ArgTy, bool)] = &[
    ("queue_name", Text, false),
    ("description", Text, false),
    ("run_mode", Text, false),
    ("cu_number", Int, false),
    ("manager_cu_number", Int, false),
    ("parallel_number", Int, false),
    ("tm_cus", Int, false),
    ("tm_slot_num", Int, false),
    ("checkpoint_enabled", Bool, false),
    ("checkpoint_mode", Text, false),
    ("checkpoint_interval_s", Int, false),
    ("obs_bucket", Text, false),
    ("log_enabled", Bool, false),
    ("smn_topic", Text, false),
    ("restart_when_exception", Bool, false),
    ("resume_checkpoint", Bool, false),
    ("resume_max_num", Int, false),
    ("idle_state_retention_s", Int, false),
    ("dirty_data_strategy", Text, false),
    ("udf_jar_url", Text, false),
    ("runtime_config", Text, false),
];

const JAR_SETTINGS: &[(&str, ArgTy, bool)] = &[
    ("main_class", Text, false),
    ("entrypoint_args", Text, false),
    ("queue_name", Text, false),
    ("description", Text, false),
    ("cu_number", Int, false),
    ("manager_cu_number", Int, false),
    ("parallel_number", Int, false),
    ("tm_cus", Int, false),
    ("tm_slot_num", Int, false),
    ("log_enabled", Bool, false),
    ("obs_bucket", Text, false),
    ("smn_topic", Text, false),
    ("restart_when_exception", Bool, false),
    ("resume_checkpoint", Bool, false),
    ("resume_max_num", Int, false),
    ("checkpoint_path", Text, false),
    ("dependency_jars", TextArray, false),
    ("dependency_files", TextArray, false),
    ("runtime_config", Text, false),
];

macro_rules! args {
    ($head:expr, $settings:expr, $tail:expr) => {{
        const H: &[(&str, ArgTy, bool)] = $head;
        const S: &[(&str, ArgTy, bool)] = $settings;
        const T: &[(&str, ArgTy, bool)] = $tail;
        const N: usize = H.len() + S.len() + T.len();
        const ALL: [(&str, ArgTy, bool); N] = {
            let mut out = [("", ArgTy::Int, false); N];
            let mut i = 0;
            while i < H.len() {
                out[i] = H[i];
                i += 1;
            }
            let mut j = 0;
            while j < S.len() {
                out[i + j] = S[j];
                j += 1;
            }
            let mut k = 0;
            while k < T.len() {
                out[i + j + k] = T[k];
                k += 1;
            }
            out
        };
        &ALL
    }};
}

/// Every function of the schema.
pub const FUNCTIONS: &[Function] = &[
    Function {
        name: "execution_plan",
        args: &[("job_id", Int, true)],
        control: false,
        comment: "Execution plan of a Flink job (GET …/streaming/jobs/{job_id}/execute-graph)",
    },
    Function {
        name: "stream_graph",
        args: &[
            ("job_id", Int, true),
            ("sql_body", Text, false),
            ("graph_type", Text, false),
            ("cu_number", Int, false),
            ("manager_cu_number", Int, false),
            ("parallel_number", Int, false),
            ("tm_cus", Int, false),
            ("tm_slot_num", Int, false),
            ("operator_config", Text, false),
            ("static_estimator", Bool, false),
            ("static_estimator_config", Text, false),
            ("flink_version", Text, false),
        ],
        control: false,
        comment: "Static stream graph of a Flink OpenSource SQL job, one row per node (POST /v3/…/streaming/jobs/{job_id}/gen-graph)",
    },
    Function {
        name: "run_jobs",
        args: &[
            ("job_ids", IntArray, true),
            ("resume_savepoint", Bool, false),
            ("wait_ms", Int, false),
        ],
        control: true,
        comment: "Runs Flink jobs (POST …/streaming/jobs/run); one row per job with its outcome",
    },
    Function {
        name: "stop_jobs",
        args: &[
            ("job_ids", IntArray, true),
            ("trigger_savepoint", Bool, false),
            ("wait_ms", Int, false),
        ],
        control: true,
        comment: "Stops Flink jobs (POST …/streaming/jobs/stop); one row per job with its outcome",
    },
    Function {
        name: "delete_jobs",
        args: &[("job_ids", IntArray, true)],
        control: true,
        comment: "Deletes Flink jobs (DELETE …/streaming/jobs/{id} or POST …/streaming/jobs/delete); one row per job",
    },
    Function {
        name: "create_sql_job",
        args: args!(
            &[
                ("name", Text, true),
                ("sql_body", Text, true),
                ("job_type", Text, false)
            ],
            SQL_SETTINGS,
            &[
                ("tags", TextArray, false),
                ("start", Bool, false),
                ("wait_ms", Int, false)
            ]
        ),
        control: true,
        comment: "Creates a Flink SQL job (POST …/streaming/sql-jobs), optionally starting it",
    },
    Function {
        name: "create_jar_job",
        args: args!(
            &[("name", Text, true), ("entrypoint", Text, false)],
            JAR_SETTINGS,
            &[
                ("tags", TextArray, false),
                ("start", Bool, false),
                ("wait_ms", Int, false)
            ]
        ),
        control: true,
        comment: "Creates a Flink Jar job (POST …/streaming/flink-jobs), optionally starting it",
    },
    Function {
        name: "update_sql_job",
        args: args!(
            &[
                ("job_id", Int, true),
                ("name", Text, false),
                ("sql_body", Text, false)
            ],
            SQL_SETTINGS,
            &[]
        ),
        control: true,
        comment: "Updates a Flink SQL job (PUT …/streaming/sql-jobs/{job_id}); settings not named keep their values",
    },
    Function {
        name: "update_jar_job",
        args: args!(
            &[
                ("job_id", Int, true),
                ("name", Text, false),
                ("entrypoint", Text, false)
            ],
            JAR_SETTINGS,
            &[]
        ),
        control: true,
        comment: "Updates a Flink Jar job (PUT …/streaming/flink-jobs/{job_id}); settings not named keep their values",
    },
];

/// Prefix of the internal table-function names.
pub const INTERNAL_PREFIX: &str = "__dli_flink_";

pub fn function(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// One argument's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ArgVal {
    Bool(bool),
    Int(i64),
    Text(String),
    Ints(Vec<i64>),
    Texts(Vec<String>),
}

/// A call's arguments by name (absent = NULL); `unbound` when a `$n` was not yet
/// bound (Describe).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Args {
    pub values: BTreeMap<String, ArgVal>,
    pub unbound: bool,
}

fn bad(msg: String) -> GatewayError {
    GatewayError::new(ErrorKind::InvalidParameter, msg)
}

impl Args {
    pub fn int(&self, name: &str) -> Option<i64> {
        match self.values.get(name) {
            Some(ArgVal::Int(v)) => Some(*v),
            _ => None,
        }
    }
    pub fn text(&self, name: &str) -> Option<String> {
        match self.values.get(name) {
            Some(ArgVal::Text(v)) => Some(v.clone()),
            _ => None,
        }
    }
    pub fn bool(&self, name: &str) -> Option<bool> {
        match self.values.get(name) {
            Some(ArgVal::Bool(v)) => Some(*v),
            _ => None,
        }
    }
    pub fn ints(&self, name: &str) -> Option<Vec<i64>> {
        match self.values.get(name) {
            Some(ArgVal::Ints(v)) => Some(v.clone()),
            _ => None,
        }
    }
    pub fn texts(&self, name: &str) -> Option<Vec<String>> {
        match self.values.get(name) {
            Some(ArgVal::Texts(v)) => Some(v.clone()),
            _ => None,
        }
    }
    /// Every required argument of `f` is given (22004 otherwise).
    pub fn require(&self, f: &Function) -> Result<(), GatewayError> {
        for (name, _, required) in f.args {
            if *required && !self.values.contains_key(*name) {
                return Err(GatewayError::new(
                    ErrorKind::NullValueNotAllowed,
                    format!("argument {name} of {}() must not be NULL", f.name),
                ));
            }
        }
        Ok(())
    }
}

/// A literal as read from the parse, before it is typed.
enum Lit {
    Null,
    Unbound,
    Num(String),
    Str(String),
    Bool(bool),
    List(Vec<Lit>),
}

fn literal(e: &Expr) -> Result<Lit, GatewayError> {
    Ok(match e {
        Expr::Value(v) => match &v.value {
            SqlValue::Null => Lit::Null,
            SqlValue::Boolean(b) => Lit::Bool(*b),
            SqlValue::Number(n, _) => Lit::Num(n.clone()),
            SqlValue::Placeholder(_) => Lit::Unbound,
            other => match other.clone().into_string() {
                Some(s) => Lit::Str(s),
                None => return Err(not_constant(e)),
            },
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => match literal(expr)? {
            Lit::Num(n) => Lit::Num(format!("-{n}")),
            _ => return Err(not_constant(e)),
        },
        Expr::Nested(inner) => literal(inner)?,
        Expr::Cast {
            kind: CastKind::Cast | CastKind::DoubleColon,
            expr,
            ..
        } => literal(expr)?,
        Expr::Array(a) => Lit::List(a.elem.iter().map(literal).collect::<Result<_, _>>()?),
        _ => return Err(not_constant(e)),
    })
}

fn not_constant(e: &Expr) -> GatewayError {
    GatewayError::new(
        ErrorKind::NotSupported,
        format!("dli_flink function arguments must be constants or parameters, not {e}"),
    )
    .with_hint("Pass literal values, ARRAY[...] or bound parameters; the gateway evaluates no expressions here.")
}

fn int_of(s: &str, what: &str) -> Result<i64, GatewayError> {
    s.trim()
        .parse::<i64>()
        .map_err(|_| bad(format!("argument {what}: \"{s}\" is not an integer")))
}

fn bool_of(s: &str, what: &str) -> Result<bool, GatewayError> {
    match s.trim().to_ascii_lowercase().as_str() {
        "t" | "true" | "on" | "yes" | "y" | "1" => Ok(true),
        "f" | "false" | "off" | "no" | "n" | "0" => Ok(false),
        _ => Err(bad(format!("argument {what}: \"{s}\" is not a boolean"))),
    }
}

/// `{1,2}`, `1,2` or `[1,2]` as items.
fn text_items(s: &str) -> Vec<String> {
    let t = s.trim();
    let inner = t
        .strip_prefix('{')
        .and_then(|x| x.strip_suffix('}'))
        .or_else(|| t.strip_prefix('[').and_then(|x| x.strip_suffix(']')))
        .unwrap_or(t);
    inner
        .split(',')
        .map(|p| p.trim().trim_matches('"').to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

fn scalar_text(l: &Lit) -> Option<String> {
    match l {
        Lit::Num(n) | Lit::Str(n) => Some(n.clone()),
        Lit::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `lit` as an argument of type `ty` (`None`: NULL).
fn typed(lit: Lit, ty: ArgTy, what: &str) -> Result<Option<ArgVal>, GatewayError> {
    let mismatch = || {
        GatewayError::new(
            ErrorKind::DatatypeMismatch,
            format!("argument {what} must be {}", ty.sql()),
        )
    };
    Ok(Some(match (ty, lit) {
        (_, Lit::Null | Lit::Unbound) => return Ok(None),
        (ArgTy::Int, Lit::Num(n) | Lit::Str(n)) => ArgVal::Int(int_of(&n, what)?),
        (ArgTy::Text, l @ (Lit::Num(_) | Lit::Str(_) | Lit::Bool(_))) => {
            ArgVal::Text(scalar_text(&l).unwrap_or_default())
        }
        (ArgTy::Bool, Lit::Bool(b)) => ArgVal::Bool(b),
        (ArgTy::Bool, Lit::Str(s) | Lit::Num(s)) => ArgVal::Bool(bool_of(&s, what)?),
        (ArgTy::IntArray, Lit::List(items)) => ArgVal::Ints(
            items
                .iter()
                .map(|i| {
                    scalar_text(i)
                        .ok_or_else(mismatch)
                        .and_then(|s| int_of(&s, what))
                })
                .collect::<Result<_, _>>()?,
        ),
        (ArgTy::IntArray, Lit::Str(s)) => ArgVal::Ints(
            text_items(&s)
                .iter()
                .map(|s| int_of(s, what))
                .collect::<Result<_, _>>()?,
        ),
        (ArgTy::IntArray, Lit::Num(n)) => ArgVal::Ints(vec![int_of(&n, what)?]),
        (ArgTy::TextArray, Lit::List(items)) => ArgVal::Texts(
            items
                .iter()
                .map(|i| scalar_text(i).ok_or_else(mismatch))
                .collect::<Result<_, _>>()?,
        ),
        (ArgTy::TextArray, Lit::Str(s)) => ArgVal::Texts(text_items(&s)),
        _ => return Err(mismatch()),
    }))
}

/// The arguments of a call of `f`, positional then named, checked against its signature
/// (42883 for an unknown name or too many arguments, as Postgres).
pub fn read(f: &Function, call: &[FunctionArg]) -> Result<Args, GatewayError> {
    let mut out = Args::default();
    let mut seen_named = false;
    for (i, arg) in call.iter().enumerate() {
        let (name, expr) = match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) if !seen_named => {
                let Some((name, _, _)) = f.args.get(i) else {
                    return Err(no_such_function(f, "too many arguments"));
                };
                (name.to_string(), e)
            }
            FunctionArg::Named {
                name,
                arg: FunctionArgExpr::Expr(e),
                ..
            } => {
                seen_named = true;
                (name.value.to_ascii_lowercase(), e)
            }
            FunctionArg::ExprNamed {
                name: Expr::Identifier(name),
                arg: FunctionArgExpr::Expr(e),
                ..
            } => {
                seen_named = true;
                (name.value.to_ascii_lowercase(), e)
            }
            _ => {
                return Err(GatewayError::new(
                    ErrorKind::Syntax,
                    "positional argument cannot follow named argument",
                ));
            }
        };
        let Some((_, ty, _)) = f.args.iter().find(|(n, _, _)| *n == name) else {
            return Err(no_such_function(f, &format!("no argument named {name}")));
        };
        let lit = literal(expr)?;
        if matches!(lit, Lit::Unbound) {
            out.unbound = true;
        }
        if let Some(v) = typed(lit, *ty, &name)?
            && out.values.insert(name.clone(), v).is_some()
        {
            return Err(bad(format!("argument {name} given twice")));
        }
    }
    Ok(out)
}

/// The signature as `\df` would print it.
pub fn signature(f: &Function) -> String {
    let args: Vec<String> = f
        .args
        .iter()
        .map(|(n, t, req)| {
            if *req {
                format!("{n} {}", t.sql())
            } else {
                format!("{n} {} DEFAULT NULL", t.sql())
            }
        })
        .collect();
    args.join(", ")
}

fn no_such_function(f: &Function, why: &str) -> GatewayError {
    GatewayError::new(
        ErrorKind::UndefinedFunction,
        format!(
            "function dli_flink.{}() does not match the arguments given: {why}",
            f.name
        ),
    )
    .with_hint(format!("dli_flink.{}({})", f.name, signature(f)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(sql: &str) -> Result<Args, GatewayError> {
        let stmt = crate::pgsql::Lexed::new(sql)
            .parse()
            .map_err(|e| GatewayError::internal(format!("{e:?}")))?
            .remove(0);
        let text = stmt.to_string();
        let sqlparser::ast::Statement::Query(q) = stmt else {
            return Err(GatewayError::internal(text));
        };
        let sqlparser::ast::SetExpr::Select(s) = q.body.as_ref() else {
            return Err(GatewayError::internal(text));
        };
        let sqlparser::ast::TableFactor::Table {
            name,
            args: Some(a),
            ..
        } = &s.from[0].relation
        else {
            return Err(GatewayError::internal(text));
        };
        let fname = name
            .0
            .last()
            .and_then(|p| p.as_ident())
            .map(|i| i.value.clone());
        read(
            function(&fname.unwrap_or_default()).ok_or_else(|| GatewayError::internal("fn"))?,
            &a.args,
        )
    }

    #[test]
    fn positional_named_arrays_and_errors() {
        let a = call("SELECT * FROM dli_flink.run_jobs(ARRAY[1, 2], wait_ms => 5)").unwrap();
        assert_eq!(a.ints("job_ids"), Some(vec![1, 2]));
        assert_eq!(a.int("wait_ms"), Some(5));
        let a =
            call("SELECT * FROM dli_flink.stop_jobs('{3,4}'::int8[], trigger_savepoint => 'on')")
                .unwrap();
        assert_eq!(a.ints("job_ids"), Some(vec![3, 4]));
        assert_eq!(a.bool("trigger_savepoint"), Some(true));
        let a = call(
            "SELECT * FROM dli_flink.create_sql_job(name => 'x', sql_body => $$SELECT 'a''b'$$)",
        )
        .unwrap();
        assert_eq!(a.text("sql_body").as_deref(), Some("SELECT 'a''b'"));
        let e = call("SELECT * FROM dli_flink.run_jobs(ARRAY[1], nope => 1)").unwrap_err();
        assert_eq!(e.kind, ErrorKind::UndefinedFunction);
        let e = call("SELECT * FROM dli_flink.run_jobs(ARRAY['x'])").unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidParameter);
        let a = call("SELECT * FROM dli_flink.run_jobs($1)").unwrap();
        assert!(a.unbound);
    }
}
