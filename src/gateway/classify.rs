//! What a DLI-bound statement is, read from its Spark parse.
//!
//! Owns: the one classification of DLI statements — query, INSERT, DDL (with its command
//! tag and the catalog entries it may change) or other — and the one fallback for Spark
//! statements sqlparser cannot parse (`CREATE DATABASE d COMMENT 'x'`, `ALTER TABLE t ADD
//! COLUMNS …`, `MSCK …`), which reads the statement's leading words. Nothing else in the
//! gateway decides what kind of statement it holds. Must not parse anything itself.

use sqlparser::ast::{ObjectName, ObjectType, SchemaName, Statement};

use super::catalog_hook::Touched;
use super::output::{CommandTag, Counted};
use crate::pgsql::Word;

/// The kind of a statement that runs as a DLI job.
#[derive(Debug, Clone, PartialEq)]
pub enum DliKind {
    /// A query: returns rows.
    Query,
    /// `INSERT`: `INSERT 0 n`.
    Insert,
    /// Changes metadata: its tag and what it touches.
    Ddl {
        tag: CommandTag,
        touches: Vec<Touched>,
    },
    /// Anything else (`SHOW`, `DESCRIBE`, `TRUNCATE`, `MSCK` …). `touches` applies only if
    /// DLI reports it ran as a DDL job.
    Other {
        returns_rows: bool,
        tag: CommandTag,
        touches: Vec<Touched>,
    },
}

impl DliKind {
    pub fn returns_rows(&self) -> bool {
        match self {
            DliKind::Query => true,
            DliKind::Insert | DliKind::Ddl { .. } => false,
            DliKind::Other { returns_rows, .. } => *returns_rows,
        }
    }

    /// The command tag when the statement returns no rows.
    pub fn tag(&self) -> CommandTag {
        match self {
            DliKind::Query => CommandTag {
                name: "SELECT".into(),
                counted: Counted::Rows,
            },
            DliKind::Insert => insert_tag(),
            DliKind::Ddl { tag, .. } | DliKind::Other { tag, .. } => tag.clone(),
        }
    }

    /// The catalog entries the statement may change when DLI ran it as DDL.
    pub fn touches(&self) -> &[Touched] {
        match self {
            DliKind::Query | DliKind::Insert => &[],
            DliKind::Ddl { touches, .. } | DliKind::Other { touches, .. } => touches,
        }
    }
}

pub fn insert_tag() -> CommandTag {
    CommandTag {
        name: "INSERT".into(),
        counted: Counted::OidAndRows,
    }
}

/// Classify one statement from its Spark parse, or from its leading words (upper-cased
/// unquoted words and other significant tokens as `None`) when it did not parse.
pub fn classify(spark: Option<&Statement>, words: &[Option<Word>]) -> DliKind {
    let Some(stmt) = spark else {
        return by_words(words);
    };
    let ddl = |tag: &str, touches: Vec<Touched>| DliKind::Ddl {
        tag: CommandTag::plain(tag),
        touches,
    };
    match stmt {
        Statement::Query(_) => DliKind::Query,
        Statement::Insert(_) => DliKind::Insert,
        Statement::CreateTable(ct) if ct.query.is_some() => DliKind::Ddl {
            tag: CommandTag {
                name: "SELECT".into(),
                counted: Counted::Rows,
            },
            touches: vec![table_of(&ct.name)],
        },
        Statement::CreateTable(ct) => ddl("CREATE TABLE", vec![table_of(&ct.name)]),
        Statement::CreateView(cv) => ddl("CREATE VIEW", vec![table_of(&cv.name)]),
        Statement::CreateDatabase { db_name, .. } => ddl("CREATE DATABASE", database_of(db_name)),
        Statement::CreateSchema { schema_name, .. } => {
            let touches = match schema_name {
                SchemaName::Simple(n) | SchemaName::NamedAuthorization(n, _) => database_of(n),
                SchemaName::UnnamedAuthorization(_) => vec![Touched::DatabaseList],
            };
            ddl("CREATE SCHEMA", touches)
        }
        Statement::AlterTable(at) => ddl(&leading(words), vec![tables_of(&at.name)]),
        Statement::Drop {
            object_type, names, ..
        } => {
            let touches = match object_type {
                ObjectType::Table | ObjectType::View | ObjectType::MaterializedView => {
                    names.iter().map(table_of).collect()
                }
                ObjectType::Schema | ObjectType::Database => {
                    names.iter().flat_map(database_of).collect()
                }
                _ => vec![Touched::Everything],
            };
            ddl(&format!("DROP {object_type}"), touches)
        }
        Statement::StartTransaction { .. }
        | Statement::Commit { .. }
        | Statement::Rollback { .. }
        | Statement::Set(_)
        | Statement::Use(_)
        | Statement::Discard { .. } => DliKind::Other {
            returns_rows: false,
            tag: CommandTag::plain(leading(words)),
            touches: vec![Touched::Everything],
        },
        Statement::Truncate { .. } => DliKind::Other {
            returns_rows: false,
            tag: CommandTag::plain(leading(words)),
            touches: Vec::new(),
        },
        _ => DliKind::Other {
            returns_rows: !NO_ROWS.contains(&first_word(words).as_str()),
            tag: CommandTag::plain(leading(words)),
            touches: vec![Touched::Everything],
        },
    }
}

fn first_word(words: &[Option<Word>]) -> String {
    words
        .first()
        .cloned()
        .flatten()
        .and_then(|w| upper(&w))
        .unwrap_or_default()
}

fn upper(w: &Word) -> Option<String> {
    (!w.quoted && !w.period).then(|| w.value.to_ascii_uppercase())
}

/// Statements that return no rows, by their first word.
const NO_ROWS: &[&str] = &[
    "CREATE", "DROP", "ALTER", "INSERT", "USE", "SET", "GRANT", "REVOKE", "TRUNCATE", "MSCK",
    "LOAD", "REFRESH", "CACHE", "UNCACHE", "ANALYZE",
];

fn by_words(words: &[Option<Word>]) -> DliKind {
    let first = first_word(words);
    let tag = CommandTag::plain(leading(words));
    if matches!(first.as_str(), "CREATE" | "DROP" | "ALTER")
        && let Some(touches) = ddl_by_words(words)
    {
        return DliKind::Ddl { tag, touches };
    }
    if first == "INSERT" {
        return DliKind::Insert;
    }
    DliKind::Other {
        returns_rows: !NO_ROWS.contains(&first.as_str()),
        tag,
        touches: vec![Touched::Everything],
    }
}

/// The tag of a statement known only by its words: `CREATE TABLE`, `ALTER DATABASE`,
/// `MSCK` …
fn leading(words: &[Option<Word>]) -> String {
    let first_two: Vec<String> = words
        .iter()
        .take(2)
        .map(|w| {
            w.as_ref()
                .map(|w| w.value.to_ascii_uppercase())
                .unwrap_or_default()
        })
        .collect();
    match first_two.first().map(String::as_str) {
        Some("CREATE" | "DROP" | "ALTER") => first_two.join(" ").trim().to_string(),
        Some("") | None => "OK".to_string(),
        Some(w) => w.to_string(),
    }
}

/// `CREATE|DROP|ALTER [EXTERNAL|OR REPLACE] TABLE|VIEW|DATABASE|SCHEMA [IF [NOT] EXISTS]
/// name`.
fn ddl_by_words(words: &[Option<Word>]) -> Option<Vec<Touched>> {
    let mut it = words.iter();
    let verb = it.next()?.as_ref().and_then(upper)?;
    let mut kind = it.next()?.as_ref().and_then(upper)?;
    while !matches!(kind.as_str(), "TABLE" | "VIEW" | "DATABASE" | "SCHEMA") {
        if !matches!(kind.as_str(), "EXTERNAL" | "OR" | "REPLACE" | "TEMPORARY") {
            return None;
        }
        kind = it.next()?.as_ref().and_then(upper)?;
    }
    let mut name: Vec<String> = Vec::new();
    let mut expect_part = true;
    for w in it {
        let Some(w) = w else { break };
        match (w.period, expect_part) {
            (true, false) => expect_part = true,
            (false, true) => {
                if name.is_empty() && matches!(upper(w).as_deref(), Some("IF" | "NOT" | "EXISTS")) {
                    continue;
                }
                name.push(match w.quoted {
                    true => w.value.clone(),
                    false => w.value.to_lowercase(),
                });
                expect_part = false;
            }
            _ => break,
        }
    }
    let table = name.pop()?;
    let db = name.pop();
    Some(match kind.as_str() {
        "TABLE" | "VIEW" if verb == "ALTER" => vec![Touched::Tables { db }],
        "TABLE" | "VIEW" => vec![Touched::Table { db, table }],
        _ => vec![Touched::DatabaseList, Touched::Database(table)],
    })
}

/// DLI folds unquoted names to lower case; quoted ones keep their case.
fn ident_value(i: &sqlparser::ast::Ident) -> String {
    match i.quote_style {
        Some(_) => i.value.clone(),
        None => i.value.to_lowercase(),
    }
}

fn name_parts(name: &ObjectName) -> Vec<String> {
    name.0
        .iter()
        .filter_map(|p| p.as_ident().map(ident_value))
        .collect()
}

fn table_of(name: &ObjectName) -> Touched {
    match name_parts(name).as_slice() {
        [t] => Touched::Table {
            db: None,
            table: t.clone(),
        },
        [.., db, t] => Touched::Table {
            db: Some(db.clone()),
            table: t.clone(),
        },
        [] => Touched::Everything,
    }
}

/// A renamed or altered table: reload its whole database.
fn tables_of(name: &ObjectName) -> Touched {
    match table_of(name) {
        Touched::Table { db, .. } => Touched::Tables { db },
        other => other,
    }
}

fn database_of(name: &ObjectName) -> Vec<Touched> {
    match name.0.last().and_then(|p| p.as_ident()).map(ident_value) {
        Some(db) => vec![Touched::DatabaseList, Touched::Database(db)],
        None => vec![Touched::DatabaseList],
    }
}
