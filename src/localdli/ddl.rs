//! Spark DDL forms that sqlparser's Hive rules do not read the way Spark writes them:
//! `CREATE TABLE … USING parquet PARTITIONED BY (…) COMMENT '…' [AS SELECT …]` with its
//! clauses in any order and Hive-style types (`map<string,int>`, `struct<a:int>`),
//! `CREATE DATABASE … COMMENT '…'`, and `DESC[RIBE] [TABLE|DATABASE] [EXTENDED] name`.
//!
//! Uses sqlparser's `Parser` with [`crate::sparksql::SparkDialect`] (same tokens, same
//! string-escape rules, queries parsed by sqlparser); every other statement goes through
//! [`crate::sparksql::parse`]. Owns parsing only: no catalog, no execution.

use sqlparser::ast::{Ident, ObjectName, Query};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, TokenWithSpan};

use crate::pgtypes::SparkType;
use crate::sparksql::SparkDialect;

/// A column in a `CREATE TABLE` column list.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnSpec {
    pub name: String,
    pub ty: SparkType,
    pub comment: Option<String>,
}

/// A `PARTITIONED BY` entry: a column name, with a type in Hive style.
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionSpec {
    pub name: String,
    pub ty: Option<SparkType>,
    pub comment: Option<String>,
}

/// `CREATE TABLE` as Spark writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateTableSpec {
    pub name: ObjectName,
    pub if_not_exists: bool,
    pub external: bool,
    pub columns: Vec<ColumnSpec>,
    pub partitioned_by: Vec<PartitionSpec>,
    pub format: Option<String>,
    pub comment: Option<String>,
    pub location: Option<String>,
    /// Clauses that parse but the local service does not implement.
    pub unsupported: Vec<&'static str>,
    pub query: Option<Box<Query>>,
}

/// The statements this module parses.
#[derive(Debug, Clone, PartialEq)]
pub enum SparkDdl {
    CreateDatabase {
        name: Ident,
        if_not_exists: bool,
        comment: Option<String>,
    },
    CreateTable(Box<CreateTableSpec>),
    DescribeTable {
        name: ObjectName,
    },
    DescribeDatabase {
        name: Ident,
    },
}

/// Parses `sql` if it is one of this module's statements; `None` otherwise.
pub fn parse_ddl(sql: &str) -> Option<Result<SparkDdl, ParserError>> {
    let parser = match Parser::new(&SparkDialect).try_with_sql(sql) {
        Ok(p) => p,
        Err(e) => return Some(Err(e)),
    };
    let mut p = parser;
    if p.parse_keyword(Keyword::CREATE) {
        let external = p.parse_keyword(Keyword::EXTERNAL);
        if p.parse_keyword(Keyword::TABLE) {
            return Some(create_table(&mut p, external).and_then(|s| end(&mut p, s)));
        }
        if !external
            && p.parse_one_of_keywords(&[Keyword::DATABASE, Keyword::SCHEMA])
                .is_some()
        {
            return Some(create_database(&mut p).and_then(|s| end(&mut p, s)));
        }
        return None;
    }
    if p.parse_one_of_keywords(&[Keyword::DESC, Keyword::DESCRIBE])
        .is_some()
    {
        if p.parse_one_of_keywords(&[Keyword::DATABASE, Keyword::SCHEMA])
            .is_some()
        {
            let _ = p.parse_keyword(Keyword::EXTENDED);
            let r = p
                .parse_identifier()
                .map(|name| SparkDdl::DescribeDatabase { name });
            return Some(r.and_then(|s| end(&mut p, s)));
        }
        if p.peek_keyword(Keyword::FUNCTION) || p.peek_keyword(Keyword::QUERY) {
            return None;
        }
        let _ = p.parse_keyword(Keyword::TABLE);
        let _ = p.parse_one_of_keywords(&[Keyword::EXTENDED, Keyword::FORMATTED]);
        let r = p
            .parse_object_name(false)
            .map(|name| SparkDdl::DescribeTable { name });
        return Some(r.and_then(|s| end(&mut p, s)));
    }
    None
}

fn end(p: &mut Parser<'_>, stmt: SparkDdl) -> Result<SparkDdl, ParserError> {
    while p.consume_token(&Token::SemiColon) {}
    let next = p.peek_token();
    if next.token == Token::EOF {
        Ok(stmt)
    } else {
        p.expected("end of statement", next)
    }
}

fn create_database(p: &mut Parser<'_>) -> Result<SparkDdl, ParserError> {
    let if_not_exists = p.parse_keywords(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
    let name = p.parse_identifier()?;
    let mut comment = None;
    loop {
        if p.parse_keyword(Keyword::COMMENT) {
            comment = Some(p.parse_literal_string()?);
        } else if p.parse_keyword(Keyword::LOCATION) {
            let _ = p.parse_literal_string()?;
        } else if p.parse_keyword(Keyword::WITH) {
            let next = p.next_token();
            if !is_word(&next, "DBPROPERTIES") && !is_word(&next, "PROPERTIES") {
                return p.expected("DBPROPERTIES", next);
            }
            skip_parenthesized(p)?;
        } else {
            break;
        }
    }
    Ok(SparkDdl::CreateDatabase {
        name,
        if_not_exists,
        comment,
    })
}

fn create_table(p: &mut Parser<'_>, external: bool) -> Result<SparkDdl, ParserError> {
    let if_not_exists = p.parse_keywords(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
    let name = p.parse_object_name(false)?;
    let mut spec = CreateTableSpec {
        name,
        if_not_exists,
        external,
        columns: Vec::new(),
        partitioned_by: Vec::new(),
        format: None,
        comment: None,
        location: None,
        unsupported: Vec::new(),
        query: None,
    };
    if p.peek_token().token == Token::LParen {
        spec.columns = column_list(p)?;
    }
    loop {
        if p.parse_keyword(Keyword::USING) || p.parse_keywords(&[Keyword::STORED, Keyword::AS]) {
            spec.format = Some(p.parse_identifier()?.value.to_lowercase());
        } else if p.parse_keywords(&[Keyword::PARTITIONED, Keyword::BY]) {
            spec.partitioned_by = partition_list(p)?;
        } else if p.parse_keyword(Keyword::COMMENT) {
            spec.comment = Some(p.parse_literal_string()?);
        } else if p.parse_keyword(Keyword::LOCATION) {
            spec.location = Some(p.parse_literal_string()?);
        } else if p
            .parse_one_of_keywords(&[Keyword::OPTIONS, Keyword::TBLPROPERTIES])
            .is_some()
        {
            skip_parenthesized(p)?;
        } else if p.parse_keywords(&[Keyword::CLUSTERED, Keyword::BY]) {
            spec.unsupported.push("CLUSTERED BY");
            skip_parenthesized(p)?;
            skip_until_clause(p);
        } else if p.parse_keywords(&[Keyword::ROW, Keyword::FORMAT]) {
            spec.unsupported.push("ROW FORMAT");
            skip_until_clause(p);
        } else if p.parse_keyword(Keyword::AS) {
            spec.query = Some(p.parse_query()?);
            break;
        } else {
            break;
        }
    }
    Ok(SparkDdl::CreateTable(Box::new(spec)))
}

fn column_list(p: &mut Parser<'_>) -> Result<Vec<ColumnSpec>, ParserError> {
    p.expect_token(&Token::LParen)?;
    let mut cols = Vec::new();
    loop {
        let name = p.parse_identifier()?.value.to_lowercase();
        let at = p.peek_token();
        let text = type_text(p)?;
        if text.is_empty() {
            return p.expected("a data type", at);
        }
        let ty = spark_type(p, &text, at)?;
        let _ = p.parse_keywords(&[Keyword::NOT, Keyword::NULL]);
        let comment = if p.parse_keyword(Keyword::COMMENT) {
            Some(p.parse_literal_string()?)
        } else {
            None
        };
        cols.push(ColumnSpec { name, ty, comment });
        if !p.consume_token(&Token::Comma) {
            p.expect_token(&Token::RParen)?;
            return Ok(cols);
        }
    }
}

fn partition_list(p: &mut Parser<'_>) -> Result<Vec<PartitionSpec>, ParserError> {
    p.expect_token(&Token::LParen)?;
    let mut cols = Vec::new();
    loop {
        let name = p.parse_identifier()?.value.to_lowercase();
        let at = p.peek_token();
        let text = type_text(p)?;
        let ty = if text.is_empty() {
            None
        } else {
            Some(spark_type(p, &text, at)?)
        };
        let comment = if p.parse_keyword(Keyword::COMMENT) {
            Some(p.parse_literal_string()?)
        } else {
            None
        };
        cols.push(PartitionSpec { name, ty, comment });
        if !p.consume_token(&Token::Comma) {
            p.expect_token(&Token::RParen)?;
            return Ok(cols);
        }
    }
}

fn spark_type(p: &Parser<'_>, text: &str, at: TokenWithSpan) -> Result<SparkType, ParserError> {
    SparkType::try_parse(text).or_else(|e| p.expected(&format!("a Spark data type ({e})"), at))
}

/// Collects the tokens of a column type up to a top-level `,`, `)`, `COMMENT` or `NOT`.
fn type_text(p: &mut Parser<'_>) -> Result<String, ParserError> {
    let mut depth: i32 = 0;
    let mut parts: Vec<String> = Vec::new();
    loop {
        let tok = p.next_token();
        match &tok.token {
            Token::EOF => return p.expected("')'", tok),
            Token::Comma | Token::RParen if depth == 0 => {
                p.prev_token();
                break;
            }
            Token::Word(w)
                if depth == 0
                    && w.quote_style.is_none()
                    && matches!(w.keyword, Keyword::COMMENT | Keyword::NOT) =>
            {
                p.prev_token();
                break;
            }
            Token::Lt | Token::LParen => depth += 1,
            Token::Gt | Token::RParen => depth -= 1,
            Token::ShiftRight => depth -= 2,
            _ => {}
        }
        parts.push(match &tok.token {
            Token::Word(w) if w.quote_style.is_some() => {
                format!("`{}`", w.value.replace('`', "``"))
            }
            Token::Word(w) => w.value.clone(),
            other => other.to_string(),
        });
        if depth < 0 {
            return p.expected("balanced '<' and '>'", tok);
        }
    }
    Ok(parts.join(" "))
}

fn is_word(tok: &TokenWithSpan, word: &str) -> bool {
    matches!(&tok.token, Token::Word(w) if w.value.eq_ignore_ascii_case(word))
}

fn skip_parenthesized(p: &mut Parser<'_>) -> Result<(), ParserError> {
    p.expect_token(&Token::LParen)?;
    let mut depth = 1;
    while depth > 0 {
        let tok = p.next_token();
        match tok.token {
            Token::LParen => depth += 1,
            Token::RParen => depth -= 1,
            Token::EOF => return p.expected("')'", tok),
            _ => {}
        }
    }
    Ok(())
}

/// Skips an unsupported clause's tokens up to the next clause keyword.
fn skip_until_clause(p: &mut Parser<'_>) {
    loop {
        let tok = p.peek_token();
        let stop = match &tok.token {
            Token::EOF | Token::SemiColon => true,
            Token::Word(w) => matches!(
                w.keyword,
                Keyword::USING
                    | Keyword::STORED
                    | Keyword::PARTITIONED
                    | Keyword::COMMENT
                    | Keyword::LOCATION
                    | Keyword::OPTIONS
                    | Keyword::TBLPROPERTIES
                    | Keyword::AS
            ),
            _ => false,
        };
        if stop {
            return;
        }
        p.next_token();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(sql: &str) -> CreateTableSpec {
        match parse_ddl(sql) {
            Some(Ok(SparkDdl::CreateTable(spec))) => *spec,
            other => panic!("{sql}: {other:?}"),
        }
    }

    #[test]
    fn create_table_clauses_in_any_order() {
        let t = table(
            "CREATE TABLE IF NOT EXISTS d.T (a INT COMMENT 'x', m map<string,int>, \
             s struct<x:int,y:array<array<string>>>, p string) USING parquet \
             PARTITIONED BY (p) COMMENT 'tbl'",
        );
        assert!(t.if_not_exists);
        assert_eq!(t.name.to_string(), "d.T");
        assert_eq!(t.columns.len(), 4);
        assert_eq!(t.columns[0].comment.as_deref(), Some("x"));
        assert_eq!(t.columns[1].ty.spark_name(), "map<string,int>");
        assert_eq!(
            t.columns[2].ty.spark_name(),
            "struct<x:int,y:array<array<string>>>"
        );
        assert_eq!(t.partitioned_by[0].name, "p");
        assert_eq!(t.format.as_deref(), Some("parquet"));
        assert_eq!(t.comment.as_deref(), Some("tbl"));
        let t = table("create table t comment 'c' partitioned by (p string) as select 1 as a");
        assert!(t.query.is_some() && t.columns.is_empty());
        assert_eq!(t.partitioned_by[0].ty, Some(SparkType::String));
    }

    #[test]
    fn other_forms() {
        assert!(matches!(
            parse_ddl("CREATE DATABASE IF NOT EXISTS x COMMENT 'hi'"),
            Some(Ok(SparkDdl::CreateDatabase {
                if_not_exists: true,
                comment: Some(_),
                ..
            }))
        ));
        assert!(matches!(
            parse_ddl("desc table d.t"),
            Some(Ok(SparkDdl::DescribeTable { .. }))
        ));
        assert!(matches!(
            parse_ddl("DESCRIBE EXTENDED t"),
            Some(Ok(SparkDdl::DescribeTable { .. }))
        ));
        assert!(matches!(
            parse_ddl("desc database d"),
            Some(Ok(SparkDdl::DescribeDatabase { .. }))
        ));
        assert!(parse_ddl("select 1").is_none());
        assert!(parse_ddl("create view v as select 1").is_none());
        assert!(matches!(parse_ddl("create table t (a foo)"), Some(Err(_))));
        assert!(matches!(
            parse_ddl("create table t (a int) junk"),
            Some(Err(_))
        ));
    }
}
