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
}

impl Level {
    fn depth(&self) -> usize {
        self.base + self.ops + self.sets
    }
}

/// An upper bound of the syntax-tree depth of `tokens` (see the module doc).
pub fn nesting<'a>(tokens: impl IntoIterator<Item = &'a Token>) -> usize {
    let mut levels = vec![Level {
        opened: Opened::Bracket,
        base: 1,
        ops: 0,
        sets: 0,
    }];
    let mut deepest = 1;
    for token in tokens {
        let nested = levels.len() > 1;
        let Some(top) = levels.last_mut() else {
            break;
        };
        let current = top.depth();
        match token {
            Token::LParen | Token::LBracket | Token::LBrace => levels.push(Level {
                opened: Opened::Bracket,
                base: current + 1,
                ops: 0,
                sets: 0,
            }),
            Token::RParen | Token::RBracket | Token::RBrace => {
                // close the innermost bracket (and any CASE left open inside it)
                while levels.len() > 1 {
                    if levels.pop().is_some_and(|l| l.opened == Opened::Bracket) {
                        break;
                    }
                }
            }
            Token::Comma => top.ops = 0,
            Token::Word(w) if w.quote_style.is_none() => match w.keyword {
                Keyword::CASE => levels.push(Level {
                    opened: Opened::Case,
                    base: current + 1,
                    ops: 0,
                    sets: 0,
                }),
                Keyword::END if top.opened == Opened::Case && nested => {
                    levels.pop();
                }
                Keyword::AND
                | Keyword::OR
                | Keyword::NOT
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
                | Keyword::LIMIT => top.ops = 0,
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
