//! What a DDL statement run through the gateway changed in the catalog.
//!
//! Owns: reading a Spark DDL statement (with [`crate::sparksql::parse`]) into the
//! [`Invalidation`]s the cache needs: CREATE/DROP/ALTER TABLE and VIEW touch one table of
//! one database (the session's `currentdb` when unqualified), CREATE/DROP/ALTER DATABASE
//! (or SCHEMA) the database list, and anything we cannot attribute everything.

use sqlparser::ast::{ObjectName, ObjectType, SchemaName, Statement};

use super::cache::Invalidation;

/// DLI folds unquoted names to lower case; backticked ones keep their case.
fn ident_value(i: &sqlparser::ast::Ident) -> String {
    match i.quote_style {
        Some(_) => i.value.clone(),
        None => i.value.to_lowercase(),
    }
}

fn table_of(name: &ObjectName, currentdb: &str) -> Invalidation {
    let parts: Vec<String> = name
        .0
        .iter()
        .filter_map(|p| p.as_ident().map(ident_value))
        .collect();
    match parts.as_slice() {
        [t] => Invalidation::Table(currentdb.to_string(), t.clone()),
        [.., db, t] => Invalidation::Table(db.clone(), t.clone()),
        [] => Invalidation::Everything,
    }
}

fn database_of(name: &ObjectName) -> Vec<Invalidation> {
    let mut out = vec![Invalidation::DatabaseList];
    if let Some(db) = name.0.last().and_then(|p| p.as_ident()).map(ident_value) {
        out.push(Invalidation::Database(db));
    }
    out
}

/// The invalidations for one DDL statement.
pub fn invalidations(sql: &str, currentdb: &str) -> Vec<Invalidation> {
    let Ok(stmts) = crate::sparksql::parse(sql) else {
        return by_tokens(sql, currentdb).unwrap_or_else(|| vec![Invalidation::Everything]);
    };
    let mut out = Vec::new();
    for stmt in &stmts {
        match stmt {
            Statement::CreateTable(ct) => out.push(table_of(&ct.name, currentdb)),
            Statement::CreateView(cv) => out.push(table_of(&cv.name, currentdb)),
            Statement::AlterTable(at) => {
                // A rename moves the table: reload its whole database.
                match table_of(&at.name, currentdb) {
                    Invalidation::Table(db, _) => out.push(Invalidation::Database(db)),
                    other => out.push(other),
                }
            }
            Statement::Drop {
                object_type, names, ..
            } => match object_type {
                ObjectType::Table | ObjectType::View | ObjectType::MaterializedView => {
                    out.extend(names.iter().map(|n| table_of(n, currentdb)))
                }
                ObjectType::Schema | ObjectType::Database => {
                    names.iter().for_each(|n| out.extend(database_of(n)))
                }
                _ => out.push(Invalidation::Everything),
            },
            Statement::CreateDatabase { db_name, .. } => out.extend(database_of(db_name)),
            Statement::CreateSchema { schema_name, .. } => match schema_name {
                SchemaName::Simple(n) | SchemaName::NamedAuthorization(n, _) => {
                    out.extend(database_of(n))
                }
                SchemaName::UnnamedAuthorization(_) => out.push(Invalidation::DatabaseList),
            },
            Statement::Truncate { .. } | Statement::Insert(_) | Statement::Query(_) => {}
            _ => out.push(Invalidation::Everything),
        }
    }
    out
}

/// DDL the parser does not know (`CREATE DATABASE d COMMENT 'x'`, `ALTER TABLE t ADD
/// COLUMNS …`): attributed by its leading words — `CREATE|DROP|ALTER [EXTERNAL]
/// TABLE|VIEW|DATABASE|SCHEMA [IF [NOT] EXISTS] name`.
fn by_tokens(sql: &str, currentdb: &str) -> Option<Vec<Invalidation>> {
    use sqlparser::tokenizer::{Token, Tokenizer};
    let tokens = Tokenizer::new(&crate::sparksql::SparkDialect, sql)
        .tokenize()
        .ok()?;
    let mut words = tokens.iter().filter(|t| !matches!(t, Token::Whitespace(_)));
    let upper = |t: Option<&Token>| match t {
        Some(Token::Word(w)) => Some(w.value.to_ascii_uppercase()),
        _ => None,
    };
    let verb = upper(words.next())?;
    if !matches!(verb.as_str(), "CREATE" | "DROP" | "ALTER") {
        return None;
    }
    let mut kind = upper(words.next())?;
    if kind == "EXTERNAL" || kind == "OR" {
        // CREATE EXTERNAL TABLE, CREATE OR REPLACE VIEW
        while !matches!(kind.as_str(), "TABLE" | "VIEW" | "DATABASE" | "SCHEMA") {
            kind = upper(words.next())?;
        }
    }
    let mut name: Vec<sqlparser::ast::Ident> = Vec::new();
    let mut expect_part = true;
    for t in words {
        match t {
            Token::Word(w) if expect_part => {
                let v = w.value.to_ascii_uppercase();
                if name.is_empty() && matches!(v.as_str(), "IF" | "NOT" | "EXISTS") {
                    continue;
                }
                name.push(sqlparser::ast::Ident {
                    value: w.value.clone(),
                    quote_style: w.quote_style,
                    span: sqlparser::tokenizer::Span::empty(),
                });
                expect_part = false;
            }
            Token::Period if !expect_part => expect_part = true,
            _ => break,
        }
    }
    if name.is_empty() {
        return None;
    }
    let name = ObjectName::from(name);
    match kind.as_str() {
        "TABLE" | "VIEW" => Some(vec![match table_of(&name, currentdb) {
            Invalidation::Table(db, _) if verb == "ALTER" => Invalidation::Database(db),
            other => other,
        }]),
        "DATABASE" | "SCHEMA" => Some(database_of(&name)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ddl_is_attributed() {
        assert_eq!(
            invalidations("CREATE TABLE shop.items (id int) USING parquet", "default"),
            vec![Invalidation::Table("shop".into(), "items".into())]
        );
        assert_eq!(
            invalidations("DROP TABLE Items", "shop"),
            vec![Invalidation::Table("shop".into(), "items".into())]
        );
        assert_eq!(
            invalidations("CREATE DATABASE sales", "default"),
            vec![
                Invalidation::DatabaseList,
                Invalidation::Database("sales".into())
            ]
        );
        assert_eq!(
            invalidations("this is not sql", "default"),
            vec![Invalidation::Everything]
        );
        assert_eq!(
            invalidations(
                "CREATE DATABASE IF NOT EXISTS catcli COMMENT 'x'",
                "default"
            ),
            vec![
                Invalidation::DatabaseList,
                Invalidation::Database("catcli".into())
            ]
        );
        assert_eq!(
            invalidations("ALTER TABLE shop.items ADD COLUMNS (x int)", "default"),
            vec![Invalidation::Database("shop".into())]
        );
    }
}
