//! Output names as Spark allows them, for the DataFusion planners (the embedded service's
//! engine and the catalog's describe): Spark lets a name occur twice in a projection,
//! DataFusion does not.
//!
//! Owns: [`DUP_MARKER`] (the suffix that makes a repeated name unique while planning),
//! [`display_name`] (the name without it), [`rename_repeated_aliases`] and
//! [`spark_sql`] (an expression as Spark 3.3 writes it in names and messages).

use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, Expr, Ident, SelectItem, SetExpr, Value, visit_expressions,
    visit_expressions_mut,
};

/// `e` as Spark 3.3 writes an expression in output names and messages: every binary
/// operation in parentheses (`((1 / 3) * 3)`; the parentheses written are dropped) and
/// `div` in lower case (`(7 div 2)`).
pub fn spark_sql(e: &Expr) -> String {
    let mut e = e.clone();
    let _ = visit_expressions_mut(&mut e, |x: &mut Expr| {
        if let Expr::Nested(inner) = x {
            let inner = std::mem::replace(inner.as_mut(), Expr::value(Value::Null));
            *x = inner;
        }
        if matches!(x, Expr::BinaryOp { .. }) {
            let op = std::mem::replace(x, Expr::value(Value::Null));
            *x = Expr::Nested(Box::new(op));
        }
        ControlFlow::<()>::Continue(())
    });
    let div = visit_expressions(&e, |x: &Expr| match x {
        Expr::BinaryOp {
            op: BinaryOperator::MyIntegerDivide,
            ..
        } => ControlFlow::Break(()),
        _ => ControlFlow::Continue(()),
    })
    .is_break();
    let text = e.to_string();
    if div {
        text.replace(" DIV ", " div ")
    } else {
        text
    }
}

/// Marks a column alias the service added to make output names unique.
pub const DUP_MARKER: &str = "#dli_dup";

/// Output name of a column, with the marker the planners add removed.
pub fn display_name(name: &str) -> &str {
    name.split(DUP_MARKER).next().unwrap_or(name)
}

/// Aliases given twice in one projection (`sum(a) AS sum, sum(c) AS sum`: Spark allows
/// it) made unique with [`DUP_MARKER`], here and in the derived tables it reads from
/// (`SELECT * FROM (…) AS d` keeps both columns, as on Spark).
pub fn rename_repeated_aliases(select: &mut sqlparser::ast::Select) {
    let aliased: Vec<String> = select
        .projection
        .iter()
        .filter_map(|item| match item {
            SelectItem::ExprWithAlias { alias, .. } => Some(alias.value.to_lowercase()),
            _ => None,
        })
        .collect();
    let repeated = |name: &str| aliased.iter().filter(|a| a.as_str() == name).count() > 1;
    for (i, item) in select.projection.iter_mut().enumerate() {
        if let SelectItem::ExprWithAlias { alias, .. } = item
            && repeated(&alias.value.to_lowercase())
        {
            *alias = Ident::with_quote('"', format!("{}{DUP_MARKER}{i}", alias.value));
        }
    }
    for twj in select.from.iter_mut() {
        let joined = twj.joins.iter_mut().map(|j| &mut j.relation);
        for relation in std::iter::once(&mut twj.relation).chain(joined) {
            if let sqlparser::ast::TableFactor::Derived { subquery, .. } = relation {
                repeated_in_body(&mut subquery.body);
            }
        }
    }
}

/// [`rename_repeated_aliases`] for a query body (its first branch for a set operation,
/// which names the columns).
pub fn repeated_in_body(body: &mut SetExpr) {
    match body {
        SetExpr::Select(select) => rename_repeated_aliases(select),
        SetExpr::Query(q) => repeated_in_body(&mut q.body),
        SetExpr::SetOperation { left, .. } => repeated_in_body(left),
        _ => {}
    }
}

#[cfg(test)]
mod spark_sql_tests {
    use super::*;

    #[test]
    fn expressions_read_as_spark_writes_them() {
        let sql = |text: &str| {
            let mut p = sqlparser::parser::Parser::new(&crate::sparksql::SparkDialect)
                .try_with_sql(text)
                .unwrap();
            spark_sql(&p.parse_expr().unwrap())
        };
        assert_eq!(sql("7 / 2"), "(7 / 2)");
        assert_eq!(sql("7 DIV 2"), "(7 div 2)");
        assert_eq!(sql("1 / 3 * 3"), "((1 / 3) * 3)");
        assert_eq!(sql("(1 + 2) * 3"), "((1 + 2) * 3)");
        assert_eq!(sql("pmod(-7, 3)"), "pmod(-7, 3)");
        assert_eq!(
            sql("explode(array(1 + 1, 2))"),
            "explode(array((1 + 1), 2))"
        );
    }
}
