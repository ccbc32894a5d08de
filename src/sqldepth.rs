//! How deeply a statement nests, read from its tokens before any tree is built.
//!
//! Owns: [`nesting`], an upper bound of the depth of the syntax tree a parser builds from
//! the tokens: every bracket and `CASE` opens a level, and within a level every operator
//! of a chain (`1 + 1 + …`, `a AND b AND …`, `NOT NOT …`, `x::a::b`) and every set
//! operation or join (`… UNION ALL …`) adds one, since parsers build such chains as
//! left-deep trees. A comma, a clause word (`FROM`, `WHERE` …) or a `CASE` branch word
//! ends an operator chain (what follows is a sibling), not a chain of set operations. Deep trees overflow the stack in the recursive code that
//! walks, clones and drops them, and no parser's recursion counter sees a left-deep
//! chain; the gateway ([`crate::gateway::plan`]) and the embedded service
//! ([`crate::localdli`]) each bound this number before parsing, with their own limit and
//! error. Knows nothing of either.
//!
//! Also owns [`balance_logic`]: as Spark's own parser does, a long chain of one logical
//! operator (`a OR b OR …`, what BI tools write for a filter of many values) is rebuilt as a
//! balanced tree right after parsing, so it nests logarithmically; [`nesting`] counts such
//! chains that way. Every parse whose tree is walked recursively goes through it.

use std::ops::ControlFlow;

use sqlparser::ast::{BinaryOperator, Expr, Statement, VisitMut, VisitorMut};
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::Token;

/// sqlparser's recursion limit for the statements both sides parse: above every bound
/// put on [`nesting`], so brackets as deep as those bounds allow parse (sqlparser's
/// default of 50 refuses 30 nested brackets, which Spark and Postgres read), while
/// sqlparser grows its own stack as it recurses.
pub const PARSER_RECURSION_LIMIT: usize = 8192;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Opened {
    Bracket,
    Case,
}

struct Level {
    opened: Opened,
    /// Depth of this level's first tree node.
    base: usize,
    /// Operators of the current chain (since the level opened or its last comma).
    ops: usize,
    /// Set operations and joins at this level.
    sets: usize,
    /// `AND`/`OR` operators of the current chain: [`balance_logic`] makes them nest
    /// logarithmically.
    logic: usize,
}

impl Level {
    fn new(opened: Opened, base: usize) -> Level {
        Level {
            opened,
            base,
            ops: 0,
            sets: 0,
            logic: 0,
        }
    }

    fn depth(&self) -> usize {
        // A chain of n operators nests n deep below [`BALANCE_FROM`] terms and
        // ⌈log2(n + 1)⌉ deep above; a chain mixing AND and OR is an OR chain of AND
        // chains, each balanced (or not) on its own, hence twice the larger bound.
        let log = (usize::BITS - self.logic.leading_zeros()) as usize;
        let logic = self.logic.min(2 * (BALANCE_FROM + log));
        self.base + self.ops + self.sets + logic
    }
}

/// An upper bound of the syntax-tree depth of `tokens` (see the module doc).
pub fn nesting<'a>(tokens: impl IntoIterator<Item = &'a Token>) -> usize {
    let mut levels = vec![Level::new(Opened::Bracket, 1)];
    let mut deepest = 1;
    for token in tokens {
        let nested = levels.len() > 1;
        let Some(top) = levels.last_mut() else {
            break;
        };
        let current = top.depth();
        match token {
            Token::LParen | Token::LBracket | Token::LBrace => {
                levels.push(Level::new(Opened::Bracket, current + 1))
            }
            Token::RParen | Token::RBracket | Token::RBrace => {
                // close the innermost bracket (and any CASE left open inside it)
                while levels.len() > 1 {
                    if levels.pop().is_some_and(|l| l.opened == Opened::Bracket) {
                        break;
                    }
                }
            }
            Token::Comma => {
                top.ops = 0;
                top.logic = 0;
            }
            Token::Word(w) if w.quote_style.is_none() => match w.keyword {
                Keyword::CASE => levels.push(Level::new(Opened::Case, current + 1)),
                Keyword::END if top.opened == Opened::Case && nested => {
                    levels.pop();
                }
                // the operand that follows is a sibling under the balanced chain
                Keyword::AND | Keyword::OR => {
                    top.logic += 1;
                    top.ops = 0;
                }
                Keyword::NOT
                | Keyword::XOR
                | Keyword::IS
                | Keyword::LIKE
                | Keyword::ILIKE
                | Keyword::RLIKE
                | Keyword::REGEXP
                | Keyword::BETWEEN
                | Keyword::IN
                | Keyword::DIV
                | Keyword::COLLATE => top.ops += 1,
                // clause and branch words start a sibling expression
                Keyword::WHEN
                | Keyword::THEN
                | Keyword::ELSE
                | Keyword::SELECT
                | Keyword::FROM
                | Keyword::WHERE
                | Keyword::HAVING
                | Keyword::ON
                | Keyword::BY
                | Keyword::LIMIT => {
                    top.ops = 0;
                    top.logic = 0;
                }
                Keyword::UNION | Keyword::INTERSECT | Keyword::EXCEPT | Keyword::JOIN => {
                    top.sets += 1
                }
                _ => {}
            },
            t if is_operator(t) => top.ops += 1,
            _ => {}
        }
        if let Some(top) = levels.last() {
            deepest = deepest.max(top.depth());
        }
    }
    deepest
}

/// Chains of one logical operator shorter than this keep the shape the parser gave them
/// (so short conditions print and name columns exactly as written).
const BALANCE_FROM: usize = 32;

/// Rebuild every long chain of one logical operator (`a OR b OR …`, `a AND b AND …`) in
/// `stmt` as a balanced tree (see the module doc). The chain is taken apart along its
/// spine without recursion, before the visitor descends into it; AND and OR are
/// associative, so the meaning is unchanged.
pub fn balance_logic(stmt: &mut Statement) {
    struct Balance;
    impl VisitorMut for Balance {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
            balance_chain(expr);
            ControlFlow::Continue(())
        }
    }
    let _ = stmt.visit(&mut Balance);
}

fn balance_chain(expr: &mut Expr) {
    let op = match expr {
        Expr::BinaryOp {
            op: op @ (BinaryOperator::And | BinaryOperator::Or),
            left,
            ..
        } if matches!(left.as_ref(), Expr::BinaryOp { op: inner, .. } if inner == op) => op.clone(),
        _ => return,
    };
    // Walk the left spine: `((a OR b) OR c) OR d` gives d, c, b, a.
    let mut terms = Vec::new();
    let mut rest = std::mem::replace(expr, Expr::value(sqlparser::ast::Value::Null));
    loop {
        match rest {
            Expr::BinaryOp {
                left,
                op: ref o,
                right,
            } if *o == op => {
                terms.push(*right);
                rest = *left;
            }
            other => {
                terms.push(other);
                break;
            }
        }
    }
    terms.reverse();
    *expr = if terms.len() < BALANCE_FROM {
        left_deep(terms, &op)
    } else {
        balanced(terms, &op)
    };
}

fn left_deep(terms: Vec<Expr>, op: &BinaryOperator) -> Expr {
    let mut terms = terms.into_iter();
    let first = terms
        .next()
        .unwrap_or(Expr::value(sqlparser::ast::Value::Null));
    terms.fold(first, |left, right| Expr::BinaryOp {
        left: Box::new(left),
        op: op.clone(),
        right: Box::new(right),
    })
}

/// Halve until single terms: recursion depth ⌈log2(len)⌉.
fn balanced(mut terms: Vec<Expr>, op: &BinaryOperator) -> Expr {
    if terms.len() <= 1 {
        return terms
            .pop()
            .unwrap_or(Expr::value(sqlparser::ast::Value::Null));
    }
    let right = terms.split_off(terms.len() / 2);
    Expr::BinaryOp {
        left: Box::new(balanced(terms, op)),
        op: op.clone(),
        right: Box::new(balanced(right, op)),
    }
}

fn is_operator(t: &Token) -> bool {
    matches!(
        t,
        Token::Plus
            | Token::Minus
            | Token::Mul
            | Token::Div
            | Token::Mod
            | Token::StringConcat
            | Token::Eq
            | Token::DoubleEq
            | Token::Neq
            | Token::Lt
            | Token::Gt
            | Token::LtEq
            | Token::GtEq
            | Token::Spaceship
            | Token::Caret
            | Token::Ampersand
            | Token::Pipe
            | Token::Tilde
            | Token::ShiftLeft
            | Token::ShiftRight
            | Token::DoubleColon
            | Token::Arrow
            | Token::LongArrow
            | Token::ExclamationMark
            | Token::Sharp
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::GenericDialect;
    use sqlparser::tokenizer::Tokenizer;

    fn depth(sql: &str) -> usize {
        let toks = Tokenizer::new(&GenericDialect {}, sql).tokenize().unwrap();
        nesting(&toks)
    }

    #[test]
    fn chains_brackets_and_cases_nest() {
        assert_eq!(depth("SELECT 1"), 1);
        let sum = format!("SELECT {}", vec!["1"; 2000].join(" + "));
        assert_eq!(depth(&sum), 2000);
        let parens = format!("SELECT {}1{}", "(".repeat(300), ")".repeat(300));
        assert_eq!(depth(&parens), 301);
        let cases = format!(
            "SELECT {}1{}",
            "CASE WHEN a THEN ".repeat(50),
            " END".repeat(50)
        );
        assert_eq!(depth(&cases), 51);
        let unions = vec!["SELECT a, b FROM t"; 100].join(" UNION ALL ");
        assert_eq!(depth(&unions), 100);
    }

    #[test]
    fn long_logical_chains_nest_logarithmically_and_are_balanced() {
        let terms: Vec<String> = (0..10_000).map(|i| format!("x = {i}")).collect();
        let sql = format!("SELECT 1 FROM t WHERE {}", terms.join(" OR "));
        assert!(depth(&sql) <= 100, "{}", depth(&sql));
        // short chains count as written
        assert_eq!(depth("SELECT a AND b AND c"), 3);
        let mut stmt = sqlparser::parser::Parser::parse_sql(&GenericDialect {}, &sql)
            .unwrap()
            .remove(0);
        balance_logic(&mut stmt);
        let text = stmt.to_string();
        for i in [0, 1, 4_999, 9_999] {
            assert!(text.contains(&format!("x = {i} ")) || text.ends_with(&format!("x = {i}")));
        }
        assert_eq!(text.matches(" OR ").count(), 9_999);
        fn tree_depth(e: &Expr) -> usize {
            match e {
                Expr::BinaryOp { left, right, .. } => 1 + tree_depth(left).max(tree_depth(right)),
                _ => 0,
            }
        }
        let sqlparser::ast::Statement::Query(q) = &stmt else {
            panic!("not a query")
        };
        let sqlparser::ast::SetExpr::Select(sel) = q.body.as_ref() else {
            panic!("not a select")
        };
        let d = tree_depth(sel.selection.as_ref().unwrap());
        assert!(d <= 16, "balanced depth {d}");
        // short chains keep their shape
        let mut short =
            sqlparser::parser::Parser::parse_sql(&GenericDialect {}, "SELECT a OR b OR c")
                .unwrap()
                .remove(0);
        balance_logic(&mut short);
        assert_eq!(short.to_string(), "SELECT a OR b OR c");
    }

    #[test]
    fn lists_are_flat() {
        let list: Vec<String> = (0..5000).map(|i| i.to_string()).collect();
        let in_list = format!("SELECT x IN ({}) FROM t", list.join(", "));
        assert!(depth(&in_list) <= 3);
        let cols: Vec<String> = (0..500).map(|i| format!("a{i} + b{i} * 2")).collect();
        assert!(depth(&format!("SELECT {} FROM t", cols.join(", "))) <= 3);
        let whens: Vec<String> = (0..1000)
            .map(|i| format!("WHEN x = {i} THEN {i}"))
            .collect();
        assert!(depth(&format!("SELECT CASE {} END", whens.join(" "))) <= 4);
        // unbalanced brackets do not underflow
        assert!(depth(") ) ) SELECT 1 END END") >= 1);
    }
}
