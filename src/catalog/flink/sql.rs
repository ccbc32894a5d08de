//! Reading statements that touch the `dli_flink` schema (Postgres parse, AST visitors,
//! never text matching): whether they do at all, whether they change anything, and the
//! rewrite of `dli_flink.f(...)` calls to the internal table functions
//! ([`super::args`]).
//!
//! Owns: the rules "a control function is called on its own" and "writes and DDL on
//! the schema are refused". Must not execute anything.

use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, Ident, ObjectName, ObjectNamePart, ObjectType, SetExpr, Statement, TableFactor,
    TableFunctionArgs, Value, Visit, VisitMut, Visitor, VisitorMut,
};

use super::args::{self, INTERNAL_PREFIX};
use crate::errors::{ErrorKind, GatewayError};

fn folded(i: &Ident) -> String {
    match i.quote_style {
        Some(_) => i.value.clone(),
        None => i.value.to_lowercase(),
    }
}

fn parts(name: &ObjectName) -> Vec<String> {
    name.0
        .iter()
        .map(|p| p.as_ident().map(folded).unwrap_or_default())
        .collect()
}

/// The object's name inside `schema`, when `name` is `schema.x` (or `db.schema.x`).
pub fn in_schema(name: &ObjectName, schema: &str) -> Option<String> {
    let p = parts(name);
    match p.as_slice() {
        [s, x] if s == schema => Some(x.clone()),
        [_, s, x] if s == schema => Some(x.clone()),
        _ => None,
    }
}

/// What a statement does with the schema.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Touch {
    /// Relations or table functions of the schema it reads (shown names).
    pub reads: Vec<String>,
    /// Control functions it calls.
    pub controls: usize,
}

struct Finder<'a> {
    schema: &'a str,
    touch: Touch,
}

impl Visitor for Finder<'_> {
    type Break = ();

    fn pre_visit_table_factor(&mut self, tf: &TableFactor) -> ControlFlow<()> {
        if let TableFactor::Table { name, args, .. } = tf
            && let Some(x) = in_schema(name, self.schema)
        {
            if args.is_some() && args::function(&x).is_some_and(|f| f.control) {
                self.touch.controls += 1;
            }
            self.touch.reads.push(format!("{}.{x}", self.schema));
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, name: &ObjectName) -> ControlFlow<()> {
        if let Some(x) = in_schema(name, self.schema) {
            let shown = format!("{}.{x}", self.schema);
            if !self.touch.reads.contains(&shown) {
                self.touch.reads.push(shown);
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
        if let Expr::Function(f) = e
            && let Some(x) = in_schema(&f.name, self.schema)
        {
            self.touch.reads.push(format!("{}.{x}()", self.schema));
        }
        ControlFlow::Continue(())
    }
}

/// What `stmt` reads or calls in `schema` (empty: it does not touch it).
pub fn touch(stmt: &Statement, schema: &str) -> Touch {
    let mut f = Finder {
        schema,
        touch: Touch::default(),
    };
    let _ = stmt.visit(&mut f);
    if let Statement::Call(func) = stmt
        && let Some(x) = in_schema(&func.name, schema)
    {
        f.touch.reads.push(format!("{schema}.{x}()"));
    }
    f.touch
}

/// A statement other than a query that names the schema: refused, never sent to DLI.
pub fn refusal(stmt: &Statement, schema: &str, touch: &Touch) -> Option<GatewayError> {
    let schema_named = |names: &[ObjectName]| {
        names
            .iter()
            .any(|n| parts(n).last().is_some_and(|s| s == schema))
    };
    let ddl_on_schema = match stmt {
        Statement::CreateSchema { schema_name, .. } => {
            schema_name.to_string().trim_matches('"').to_lowercase() == schema
        }
        Statement::Drop {
            object_type: ObjectType::Schema | ObjectType::Database,
            names,
            ..
        } => schema_named(names),
        _ => false,
    };
    if ddl_on_schema {
        return Some(
            GatewayError::new(
                ErrorKind::PermissionDenied,
                format!("permission denied for schema {schema}"),
            )
            .with_detail("the schema is answered by the gateway from DLI's Flink job APIs"),
        );
    }
    if matches!(stmt, Statement::Query(_)) || touch.reads.is_empty() {
        return None;
    }
    let target = touch.reads[0].clone();
    Some(if let Statement::Call(_) = stmt {
        GatewayError::new(
            ErrorKind::NotSupported,
            format!("CALL {target} is not supported"),
        )
        .with_hint(format!(
            "Use SELECT * FROM {}",
            target.trim_end_matches("()").to_string() + "(...)"
        ))
    } else {
        GatewayError::new(
            ErrorKind::ObjectNotInPrerequisiteState,
            format!("cannot change {target}: it is a view answered by the gateway"),
        )
        .with_hint(format!(
            "Use the functions of {schema} (run_jobs, stop_jobs, delete_jobs, create_sql_job, update_sql_job …)."
        ))
    })
}

struct Rewriter<'a> {
    schema: &'a str,
}

impl VisitorMut for Rewriter<'_> {
    type Break = GatewayError;

    fn pre_visit_table_factor(&mut self, tf: &mut TableFactor) -> ControlFlow<GatewayError> {
        let TableFactor::Table { name, args, .. } = tf else {
            return ControlFlow::Continue(());
        };
        let (Some(x), Some(call)) = (in_schema(name, self.schema), args.as_mut()) else {
            return ControlFlow::Continue(());
        };
        let Some(f) = args::function(&x) else {
            return ControlFlow::Break(GatewayError::new(
                ErrorKind::UndefinedFunction,
                format!("function {}.{x}() does not exist", self.schema),
            ));
        };
        let read = match args::read(f, &call.args) {
            Ok(a) => a,
            Err(e) => return ControlFlow::Break(e),
        };
        let json = match serde_json::to_string(&read) {
            Ok(j) => j,
            Err(e) => return ControlFlow::Break(GatewayError::internal(e.to_string())),
        };
        *name = ObjectName(vec![ObjectNamePart::Identifier(Ident::new(format!(
            "{INTERNAL_PREFIX}{x}"
        )))]);
        *call = TableFunctionArgs {
            args: vec![sqlparser::ast::FunctionArg::Unnamed(
                sqlparser::ast::FunctionArgExpr::Expr(Expr::value(Value::SingleQuotedString(json))),
            )],
            settings: None,
        };
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<GatewayError> {
        if let Expr::Function(f) = e
            && let Some(x) = in_schema(&f.name, self.schema)
        {
            return ControlFlow::Break(
                GatewayError::new(
                    ErrorKind::NotSupported,
                    format!("{}.{x}() must be called in FROM", self.schema),
                )
                .with_hint(format!("SELECT * FROM {}.{x}(...)", self.schema)),
            );
        }
        ControlFlow::Continue(())
    }
}

/// A control call must be the statement's only relation, in a plain `SELECT … FROM f(…)`
/// (no WHERE, LIMIT, join, CTE or subquery that could skip or repeat it).
fn check_control_shape(stmt: &Statement, schema: &str) -> Result<(), GatewayError> {
    let alone = || {
        GatewayError::new(
            ErrorKind::NotSupported,
            format!("{schema} control functions must be called on their own"),
        )
        .with_hint(format!("SELECT * FROM {schema}.stop_jobs(ARRAY[...])"))
    };
    let Statement::Query(q) = stmt else {
        return Err(alone());
    };
    if q.with.is_some() || q.limit_clause.is_some() || q.fetch.is_some() {
        return Err(alone());
    }
    let SetExpr::Select(s) = q.body.as_ref() else {
        return Err(alone());
    };
    let simple = s.from.len() == 1
        && s.from[0].joins.is_empty()
        && s.selection.is_none()
        && s.having.is_none()
        && s.distinct.is_none();
    if !simple {
        return Err(alone());
    }
    let mut inner = Finder {
        schema,
        touch: Touch::default(),
    };
    for item in &s.projection {
        let _ = item.visit(&mut inner);
    }
    if !inner.touch.reads.is_empty() {
        return Err(alone());
    }
    Ok(())
}

/// The statement as DataFusion plans it, and whether it calls a control function.
pub fn rewrite(stmt: &Statement, schema: &str) -> Result<(Statement, bool), GatewayError> {
    let t = touch(stmt, schema);
    if t.controls > 0 {
        check_control_shape(stmt, schema)?;
    }
    let mut out = stmt.clone();
    if let ControlFlow::Break(e) = VisitMut::visit(&mut out, &mut Rewriter { schema }) {
        return Err(e);
    }
    Ok((out, t.controls > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(sql: &str) -> Statement {
        crate::pgsql::Lexed::new(sql).parse().unwrap().remove(0)
    }

    #[test]
    fn touch_and_rewrite() {
        let s = parse(
            "SELECT j.name, s.label_en FROM dli_flink.jobs j JOIN dli_flink.job_statuses s USING (status)",
        );
        assert_eq!(touch(&s, "dli_flink").reads.len(), 2);
        assert!(
            touch(&parse("SELECT * FROM tpch.nation"), "dli_flink")
                .reads
                .is_empty()
        );
        let (r, control) = rewrite(
            &parse("SELECT * FROM dli_flink.run_jobs(ARRAY[1,2], wait_ms => 10)"),
            "dli_flink",
        )
        .unwrap();
        assert!(control);
        assert!(r.to_string().contains("__dli_flink_run_jobs('{"), "{r}");
        for bad in [
            "SELECT * FROM dli_flink.run_jobs(ARRAY[1]) LIMIT 0",
            "SELECT * FROM dli_flink.run_jobs(ARRAY[1]) WHERE ok",
            "SELECT * FROM dli_flink.jobs j, dli_flink.run_jobs(ARRAY[1]) r",
            "WITH x AS (SELECT * FROM dli_flink.stop_jobs(ARRAY[1])) SELECT * FROM x",
        ] {
            let e = rewrite(&parse(bad), "dli_flink").unwrap_err();
            assert_eq!(e.kind, ErrorKind::NotSupported, "{bad}");
        }
        let e = rewrite(&parse("SELECT dli_flink.run_jobs(ARRAY[1])"), "dli_flink").unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotSupported);
    }

    #[test]
    fn writes_and_ddl_are_refused() {
        for (sql, kind) in [
            (
                "INSERT INTO dli_flink.jobs VALUES (1)",
                ErrorKind::ObjectNotInPrerequisiteState,
            ),
            (
                "DELETE FROM dli_flink.jobs WHERE job_id = 1",
                ErrorKind::ObjectNotInPrerequisiteState,
            ),
            ("DROP SCHEMA dli_flink", ErrorKind::PermissionDenied),
            ("CALL dli_flink.run_jobs(ARRAY[1])", ErrorKind::NotSupported),
        ] {
            let s = parse(sql);
            let t = touch(&s, "dli_flink");
            assert_eq!(
                refusal(&s, "dli_flink", &t).map(|e| e.kind),
                Some(kind),
                "{sql}"
            );
        }
        let s = parse("SELECT * FROM dli_flink.jobs");
        assert!(refusal(&s, "dli_flink", &touch(&s, "dli_flink")).is_none());
    }
}
