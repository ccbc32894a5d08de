//! Statement kinds the local service distinguishes, their DLI job types (DDL, DCL,
//! QUERY, INSERT), and the classification of a parsed sqlparser `Statement`.
//! Owns classification only: no execution.

use std::ops::ControlFlow;

use sqlparser::ast::{
    CastKind, DataType, ExactNumberInfo, Expr, Ident, ObjectName, ObjectNamePart, ObjectType,
    Query, SelectItem, SetExpr, ShowStatementFilter, ShowStatementFilterPosition,
    ShowStatementOptions, Statement, UnaryOperator, Use, Value, VisitMut, VisitorMut,
    visit_expressions_mut, visit_relations_mut,
};

use super::catalog::CATALOG;
use super::ddl::CreateTableSpec;

/// DLI job types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobType {
    Ddl,
    Dcl,
    Query,
    Insert,
    Export,
}

impl JobType {
    pub fn as_str(self) -> &'static str {
        match self {
            JobType::Ddl => "DDL",
            JobType::Dcl => "DCL",
            JobType::Query => "QUERY",
            JobType::Insert => "INSERT",
            JobType::Export => "EXPORT",
        }
    }
}

/// A classified statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    CreateDatabase {
        name: String,
        if_not_exists: bool,
        comment: String,
    },
    DropDatabase {
        name: String,
        if_exists: bool,
        cascade: bool,
    },
    CreateTable(Box<CreateTableSpec>),
    DropTable {
        name: ObjectName,
        if_exists: bool,
    },
    Truncate {
        name: ObjectName,
    },
    ShowDatabases {
        pattern: Option<String>,
    },
    ShowTables {
        db: Option<String>,
        pattern: Option<String>,
    },
    DescribeTable {
        name: ObjectName,
    },
    DescribeDatabase {
        db: String,
    },
    Use {
        db: String,
    },
    Insert(Box<Statement>),
    Query(Box<Statement>),
    /// Valid SQL the local service does not run; `dcl` marks GRANT/REVOKE.
    Unsupported {
        what: String,
        dcl: bool,
    },
}

impl Stmt {
    pub fn job_type(&self) -> JobType {
        match self {
            Stmt::Query(_) => JobType::Query,
            Stmt::Insert(_) => JobType::Insert,
            Stmt::Unsupported { dcl: true, .. } => JobType::Dcl,
            _ => JobType::Ddl,
        }
    }

    /// The table a statement is about, for the status `table_name` field.
    pub fn table_name(&self) -> Option<String> {
        match self {
            Stmt::CreateTable(spec) => Some(spec.name.to_string()),
            Stmt::DropTable { name, .. }
            | Stmt::Truncate { name }
            | Stmt::DescribeTable { name } => Some(name.to_string()),
            _ => None,
        }
    }
}

/// Classifies a statement sqlparser produced.
pub fn classify(stmt: Statement) -> Stmt {
    match stmt {
        Statement::Query(_) | Statement::Explain { .. } => Stmt::Query(Box::new(stmt)),
        Statement::Insert(_) => Stmt::Insert(Box::new(stmt)),
        Statement::Drop {
            object_type,
            if_exists,
            names,
            cascade,
            ..
        } => drop_stmt(object_type, if_exists, names, cascade),
        Statement::Truncate(t) if t.table_names.len() == 1 && t.partitions.is_none() => {
            match t.table_names.into_iter().next() {
                Some(target) => Stmt::Truncate { name: target.name },
                None => unsupported("TRUNCATE without a table"),
            }
        }
        Statement::ShowDatabases { show_options, .. }
        | Statement::ShowSchemas { show_options, .. } => Stmt::ShowDatabases {
            pattern: show_pattern(&show_options),
        },
        Statement::ShowTables { show_options, .. } => Stmt::ShowTables {
            db: show_options
                .show_in
                .as_ref()
                .and_then(|s| s.parent_name.as_ref())
                .map(last_part),
            pattern: show_pattern(&show_options),
        },
        Statement::ExplainTable { table_name, .. } => Stmt::DescribeTable { name: table_name },
        Statement::Use(u) => match u {
            Use::Object(n) | Use::Database(n) | Use::Schema(n) => Stmt::Use { db: last_part(&n) },
            other => unsupported(&format!("USE {other}")),
        },
        Statement::Grant(_) | Statement::Revoke(_) | Statement::Deny(_) => Stmt::Unsupported {
            what: "GRANT and REVOKE (DCL) on the local DLI service".into(),
            dcl: true,
        },
        other => {
            let text = other.to_string();
            let head: Vec<&str> = text.split_whitespace().take(3).collect();
            unsupported(&head.join(" "))
        }
    }
}

fn unsupported(what: &str) -> Stmt {
    Stmt::Unsupported {
        what: format!("{what} on the local DLI service"),
        dcl: false,
    }
}

fn drop_stmt(
    object_type: ObjectType,
    if_exists: bool,
    names: Vec<ObjectName>,
    cascade: bool,
) -> Stmt {
    if names.len() != 1 {
        return unsupported("DROP of several objects");
    }
    let Some(name) = names.into_iter().next() else {
        return unsupported("DROP without a name");
    };
    match object_type {
        ObjectType::Table => Stmt::DropTable { name, if_exists },
        ObjectType::Schema | ObjectType::Database => Stmt::DropDatabase {
            name: last_part(&name),
            if_exists,
            cascade,
        },
        other => unsupported(&format!("DROP {other}")),
    }
}

fn last_part(name: &ObjectName) -> String {
    name.0
        .last()
        .and_then(ObjectNamePart::as_ident)
        .map(|i| i.value.to_lowercase())
        .unwrap_or_else(|| name.to_string().to_lowercase())
}

fn show_pattern(opts: &ShowStatementOptions) -> Option<String> {
    match &opts.filter_position {
        Some(ShowStatementFilterPosition::Infix(f) | ShowStatementFilterPosition::Suffix(f)) => {
            match f {
                ShowStatementFilter::Like(p)
                | ShowStatementFilter::ILike(p)
                | ShowStatementFilter::NoKeyword(p) => Some(p.clone()),
                ShowStatementFilter::Where(_) => None,
            }
        }
        None => None,
    }
}

/// Spark's `SHOW … LIKE` pattern: `*` matches anything, `|` separates alternatives,
/// case-insensitive.
pub fn spark_like(pattern: &str, name: &str) -> bool {
    let name = name.to_lowercase();
    pattern
        .split('|')
        .any(|alt| glob(&alt.trim().to_lowercase().replace('%', "*"), &name))
}

fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else if let Some(pos) = rest.find(part) {
            rest = &rest[pos + part.len()..];
        } else {
            return false;
        }
    }
    true
}

/// Lower-cases table names (Spark names are case-insensitive even when quoted) and
/// maps the `spark_catalog` prefix to the local catalog.
pub fn normalize_relations(stmt: &mut Statement) {
    let _ = visit_relations_mut(stmt, |name: &mut ObjectName| {
        for part in name.0.iter_mut() {
            if let ObjectNamePart::Identifier(ident) = part
                && ident.quote_style.is_some()
            {
                ident.value = ident.value.to_lowercase();
            }
        }
        if name.0.len() == 3
            && name.0[0]
                .as_ident()
                .is_some_and(|i| i.value.eq_ignore_ascii_case("spark_catalog"))
        {
            name.0[0] = ObjectNamePart::Identifier(Ident::new(CATALOG));
        }
        ControlFlow::<()>::Continue(())
    });
}

/// Spark reads `1.5` as a decimal and `1e3` as a double. The session parses decimal
/// points as decimals; this turns exponent literals into `'1e3'::DOUBLE` (the form
/// [`super::sparklit::display`] names like Spark: `1000.0`).
pub fn exponent_literals_as_double(stmt: &mut Statement) {
    let _ = visit_expressions_mut(stmt, |expr: &mut Expr| {
        if let Expr::Value(v) = expr
            && let Value::Number(text, _) = &v.value
            && text.contains(['e', 'E'])
        {
            *expr = Expr::Cast {
                kind: CastKind::DoubleColon,
                expr: Box::new(Expr::Value(Value::SingleQuotedString(text.clone()).into())),
                data_type: DataType::Double(ExactNumberInfo::None),
                array: false,
                format: None,
            };
        }
        ControlFlow::<()>::Continue(())
    });
}

/// Spark types an integer literal of a `VALUES` row `int` when it fits (DataFusion:
/// `bigint`, and a `VALUES` list keeps its planned types): such literals become
/// `CAST(n AS INT)`, so `VALUES (1), (NULL)` has an `int` column while
/// `VALUES (1), (3000000000)` still widens to `bigint`.
pub fn values_ints_as_int(stmt: &mut Statement) {
    struct Rows;
    impl VisitorMut for Rows {
        type Break = ();
        fn pre_visit_query(&mut self, q: &mut Query) -> ControlFlow<()> {
            rows(&mut q.body);
            ControlFlow::Continue(())
        }
    }
    fn rows(body: &mut SetExpr) {
        match body {
            SetExpr::Values(v) => {
                for e in v.rows.iter_mut().flat_map(|r| r.content.iter_mut()) {
                    if int_literal(e) {
                        let n = std::mem::replace(e, Expr::value(Value::Null));
                        *e = Expr::Cast {
                            kind: CastKind::Cast,
                            expr: Box::new(n),
                            data_type: DataType::Int(None),
                            array: false,
                            format: None,
                        };
                    }
                }
            }
            SetExpr::SetOperation { left, right, .. } => {
                rows(left);
                rows(right);
            }
            _ => {}
        }
    }
    let _ = stmt.visit(&mut Rows);
}

/// An integer literal (`7`, `-7`) within `int`'s range.
fn int_literal(e: &Expr) -> bool {
    match e {
        Expr::Value(v) => matches!(&v.value, Value::Number(n, false) if n.parse::<i32>().is_ok()),
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => matches!(expr.as_ref(), Expr::Value(v)
            if matches!(&v.value, Value::Number(n, false) if format!("-{n}").parse::<i32>().is_ok())),
        _ => false,
    }
}

/// Spark's `BINARY` in a cast is DataFusion's `BYTEA`, its `DEC(p,s)` a `DECIMAL(p,s)`.
pub fn spark_cast_types(stmt: &mut Statement) {
    let _ = visit_expressions_mut(stmt, |expr: &mut Expr| {
        if let Expr::Cast { data_type, .. } = expr
            && let DataType::Dec(info) = data_type
        {
            *data_type = DataType::Decimal(*info);
        }
        if let Expr::Cast { data_type, .. } = expr
            && matches!(
                data_type,
                DataType::Binary(_) | DataType::Varbinary(_) | DataType::Blob(_)
            )
        {
            *data_type = DataType::Bytea;
        }
        ControlFlow::<()>::Continue(())
    });
}

/// Output names like Spark's: an unaliased top-level expression is named after its SQL
/// text (`SELECT 1` → `1`, not DataFusion's `Int64(1)`). With `all`, plain column
/// references are aliased too, which makes repeated names (`SELECT a, a`, allowed by
/// Spark, refused by DataFusion) unique, and so do aliases given twice. Aliases carry
/// [`crate::sparknames::DUP_MARKER`] and the position; [`crate::sparknames::display_name`]
/// removes them from the result schema.
pub fn name_columns(stmt: &mut Statement, all: bool) {
    let query = match stmt {
        Statement::Query(q) => q,
        Statement::Insert(ins) => match ins.source.as_mut() {
            Some(q) => q,
            None => return,
        },
        _ => return,
    };
    alias_set_expr(&mut query.body, all);
}

fn alias_set_expr(body: &mut SetExpr, all: bool) {
    match body {
        SetExpr::Select(select) => {
            if all {
                crate::sparknames::rename_repeated_aliases(select);
            }
            for (i, item) in select.projection.iter_mut().enumerate() {
                if let SelectItem::UnnamedExpr(expr) = item {
                    let text = match &*expr {
                        Expr::Identifier(id) if all => id.value.to_lowercase(),
                        Expr::CompoundIdentifier(ids) if all => ids
                            .last()
                            .map(|id| id.value.to_lowercase())
                            .unwrap_or_default(),
                        Expr::Identifier(_) | Expr::CompoundIdentifier(_) => continue,
                        other => super::sparklit::display(other),
                    };
                    let alias = Ident::with_quote(
                        '"',
                        format!("{text}{}{i}", crate::sparknames::DUP_MARKER),
                    );
                    *item = SelectItem::ExprWithAlias {
                        expr: expr.clone(),
                        alias,
                    };
                }
            }
        }
        SetExpr::Query(q) => alias_set_expr(&mut q.body, all),
        SetExpr::SetOperation { left, .. } => alias_set_expr(left, all),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(sql: &str) -> Stmt {
        classify(crate::sparksql::parse(sql).unwrap().remove(0))
    }

    #[test]
    fn classifies_like_dli() {
        assert_eq!(kind("select 1").job_type(), JobType::Query);
        assert_eq!(
            kind("with a as (select 1) select * from a").job_type(),
            JobType::Query
        );
        assert_eq!(kind("values (1)").job_type(), JobType::Query);
        assert_eq!(kind("insert into t values (1)").job_type(), JobType::Insert);
        assert_eq!(kind("drop table if exists d.t").job_type(), JobType::Ddl);
        assert_eq!(
            kind("grant select on table t to user u").job_type(),
            JobType::Dcl
        );
        assert_eq!(
            kind("show tables in d like 'a*'"),
            Stmt::ShowTables {
                db: Some("d".into()),
                pattern: Some("a*".into())
            }
        );
        assert!(matches!(
            kind("drop database x cascade"),
            Stmt::DropDatabase { cascade: true, .. }
        ));
    }

    #[test]
    fn like_patterns() {
        assert!(spark_like("ord*", "orders"));
        assert!(spark_like("x|line*", "LINEITEM"));
        assert!(!spark_like("ord", "orders"));
        assert!(spark_like("*item", "lineitem"));
        assert!(spark_like("l*e*m", "lineitem"));
    }
}
