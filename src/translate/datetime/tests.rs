//! The date/time translation table (tests/fixtures/pg_datetime.tsv): Postgres text in,
//! Spark text out (or `!` for refused), visited post-order and pre-order. The same table
//! is run on PostgreSQL 15 and Spark 3.3 by scripts/compare_datetime.py.
//! `PG_DATETIME_BLESS=1 cargo test --lib translate::datetime` rewrites the second column.

use std::ops::ControlFlow;

use sqlparser::ast::{Expr, Statement, VisitMut, VisitorMut};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use super::rewrite;
use crate::translate::error::Untranslatable;

const TABLE: &str = include_str!("../../../tests/fixtures/pg_datetime.tsv");

struct Order {
    pre: bool,
    error: Option<Untranslatable>,
}

impl VisitorMut for Order {
    type Break = ();
    fn pre_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
        if self.pre {
            self.apply(e)
        } else {
            ControlFlow::Continue(())
        }
    }
    fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
        if self.pre {
            ControlFlow::Continue(())
        } else {
            self.apply(e)
        }
    }
}

impl Order {
    fn apply(&mut self, e: &mut Expr) -> ControlFlow<()> {
        match rewrite(e) {
            Ok(_) => ControlFlow::Continue(()),
            Err(err) => {
                self.error = Some(err);
                ControlFlow::Break(())
            }
        }
    }
}

/// The Spark text for the Postgres expression `pg`, or `!` when it is refused.
fn spark(pg: &str, pre: bool) -> String {
    let sql = format!("SELECT {pg}");
    let mut stmts: Vec<Statement> = match Parser::parse_sql(&PostgreSqlDialect {}, &sql) {
        Ok(s) => s,
        Err(e) => return format!("parse error: {e}"),
    };
    let mut v = Order { pre, error: None };
    let _ = stmts.visit(&mut v);
    if v.error.is_some() {
        return "!".into();
    }
    let text = stmts
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join("; ");
    let text = crate::pgsql::Lexed::new(&text).to_spark();
    text.strip_prefix("SELECT ").unwrap_or(&text).to_string()
}

fn rows() -> Vec<(&'static str, &'static str)> {
    TABLE
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut cols = l.split('\t');
            (cols.next().unwrap_or(l), cols.next().unwrap_or(""))
        })
        .collect()
}

#[test]
fn table_translates_as_recorded() {
    if std::env::var_os("PG_DATETIME_BLESS").is_some() {
        let mut out = String::new();
        for l in TABLE.lines() {
            if l.trim().is_empty() || l.starts_with('#') {
                out.push_str(l);
            } else {
                let cols: Vec<&str> = l.split('\t').collect();
                out.push_str(&format!("{}\t{}", cols[0], spark(cols[0], false)));
                for note in cols.iter().skip(2) {
                    out.push('\t');
                    out.push_str(note);
                }
            }
            out.push('\n');
        }
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/pg_datetime.tsv"
        );
        std::fs::write(path, out).ok();
        return;
    }
    let mut wrong = Vec::new();
    for (pg, want) in rows() {
        for pre in [false, true] {
            let got = spark(pg, pre);
            if got != want {
                wrong.push(format!(
                    "{pg}\n  want {want}\n  got  {got} (pre-order: {pre})"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_rewritten_node_is_not_rewritten_again() {
    for (pg, want) in rows() {
        if want == "!" {
            continue;
        }
        let once = spark(pg, false);
        let Ok(mut stmts) = Parser::parse_sql(&PostgreSqlDialect {}, &format!("SELECT {pg}"))
        else {
            continue;
        };
        for _ in 0..2 {
            let mut v = Order {
                pre: false,
                error: None,
            };
            let _ = stmts.visit(&mut v);
        }
        let twice = stmts
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join("; ");
        let twice = crate::pgsql::Lexed::new(&twice).to_spark();
        assert_eq!(
            twice.strip_prefix("SELECT ").unwrap_or(&twice),
            once,
            "{pg}"
        );
    }
}

#[test]
fn refusals_name_the_construct() {
    let mut e = match Parser::new(&PostgreSqlDialect {})
        .try_with_sql("to_char(ts, 'YYYY TZ')")
        .and_then(|mut p| p.parse_expr())
    {
        Ok(e) => e,
        Err(e) => panic!("{e}"),
    };
    let err = rewrite(&mut e)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("TZ"), "{err}");
}
