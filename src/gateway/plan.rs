//! The statement plan: everything the gateway learns about one statement, learnt once.
//!
//! Owns: [`Plan`] and [`plan`], the one function that reads a statement — one Postgres
//! tokenisation ([`Lexed`]), one Postgres parse (session command? catalog query? cast
//! parameter types), and for DLI-bound statements one Spark parse (query / INSERT / DDL
//! with its tag and the catalog entries it touches / other, see [`super::classify`]).
//! The prepared statement of the extended protocol *is* a plan; nothing downstream
//! parses the statement's text again. Must not run anything.

use std::sync::OnceLock;

use postgres_types::Type;
use sqlparser::ast::{CopyLegacyOption, CopyOption, CopySource, CopyTarget, Declare, Statement};

use super::catalog_hook::{CatalogRoute, CatalogService, Described};
use super::classify::{DliKind, classify};
use super::copy::{CopyFormat, CopyRows};
use super::cursor::{self, CursorCmd};
use super::output::Field;
use crate::errors::{ErrorKind, GatewayError};
use crate::pgsql::Lexed;
use crate::sparksql;

/// Where a statement goes and what it is.
#[derive(Debug, Clone)]
pub enum Kind {
    /// Answered from the session ([`super::local`]): `SET`, `SHOW`, `BEGIN`, `version()` …
    Session(Box<Statement>),
    /// A pg_catalog / information_schema query, answered from cached metadata.
    Catalog(Box<Statement>),
    /// `SELECT dli_catalog_refresh(['db'])`.
    Refresh(Option<String>),
    /// Catalog relations together with DLI tables: refused.
    Mixed { catalog: String, user: String },
    /// `COPY … TO STDOUT`: the rows of `query`, written by the gateway in `format`.
    Copy {
        query: Box<Plan>,
        format: CopyFormat,
    },
    /// `DECLARE name CURSOR FOR query`: `query` opened as the session's cursor `name`.
    Declare {
        name: String,
        /// `WITH HOLD`: the cursor outlives its transaction.
        hold: bool,
        query: Box<Plan>,
    },
    /// `FETCH` / `MOVE` on a cursor the session declared.
    Cursor(CursorCmd),
    /// A query of constants (`SELECT 1`), answered with Spark's semantics, no job.
    Constant(Vec<super::constant::ConstColumn>),
    /// A statement the gateway refuses without running anything (`COPY FROM` …).
    Refused(GatewayError),
    /// A DLI job; `spark` is its Spark parse when sqlparser could read it.
    Dli {
        kind: DliKind,
        spark: Option<Box<Statement>>,
    },
}

/// One statement, read once.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The client's text (Postgres lexical rules), tokenised.
    pub lexed: Lexed,
    /// The statement [`crate::translate`] rewrote into Spark's meaning, as Postgres-lexed
    /// text with `$n` kept (the client's text when nothing needed rewriting): the text
    /// bound values are put into ([`super::params`]).
    pub spark: Lexed,
    /// The Spark translation for DLI, placeholders kept as `$n`.
    pub spark_sql: String,
    /// Number of parameters (the highest `$n`).
    pub params: usize,
    pub kind: Kind,
    /// Parameter and result types learnt without running anything (casts, cached
    /// metadata); filled when the statement is prepared.
    pub described: Option<Described>,
    /// Result columns told to the client at Describe when they had to be learnt from DLI
    /// (a zero-row job); Execute then encodes values as these types.
    pub learnt: OnceLock<Vec<Field>>,
}

impl Plan {
    /// The client's text.
    pub fn sql(&self) -> &str {
        self.lexed.text()
    }

    /// The type of parameter `i` (0-based): declared by the client, else inferred, else
    /// text.
    pub fn param_type(&self, declared: &[Option<Type>], i: usize) -> Type {
        declared
            .get(i)
            .cloned()
            .flatten()
            .filter(|t| *t != Type::UNKNOWN)
            .or_else(|| {
                self.described
                    .as_ref()
                    .and_then(|d| d.params.get(i).cloned().flatten())
            })
            .unwrap_or(Type::TEXT)
    }

    /// The result columns known without running the statement: learnt at Describe, or
    /// planned from cached metadata.
    pub fn known_columns(&self) -> Option<&[Field]> {
        if let Some(l) = self.learnt.get() {
            return Some(l);
        }
        self.described
            .as_ref()
            .filter(|d| !d.columns.is_empty())
            .map(|d| d.columns.as_slice())
    }
}

impl Plan {
    /// Send a constant query that calls a clock function to DLI: without the queue's
    /// Spark time zone the gateway cannot answer it as DLI would ([`super::clock`]).
    pub fn clocks_to_dli(&mut self) {
        match &mut self.kind {
            Kind::Constant(row) if row.iter().any(|c| c.is_clock()) => {
                self.kind = dli(&self.spark, &self.spark_sql, &mut None, self.params);
            }
            Kind::Copy { query, .. } | Kind::Declare { query, .. } => query.clocks_to_dli(),
            _ => {}
        }
    }
}

/// Read one statement. `catalog` decides catalog routing (none: everything that is not
/// a session command goes to DLI).
pub fn plan(lexed: Lexed, catalog: Option<&dyn CatalogService>) -> Plan {
    plan_with(
        lexed,
        Cat {
            service: catalog,
            currentdb: None,
        },
    )
}

/// [`plan`] in a session whose current database is `currentdb`: an unqualified table
/// name is that database's (as Spark resolves it) when column types are looked up.
pub fn plan_in(lexed: Lexed, catalog: Option<&dyn CatalogService>, currentdb: &str) -> Plan {
    plan_with(
        lexed,
        Cat {
            service: catalog,
            currentdb: Some(currentdb),
        },
    )
}

/// The catalog a statement is planned with, and the session's current database.
#[derive(Clone, Copy)]
struct Cat<'a> {
    service: Option<&'a dyn CatalogService>,
    currentdb: Option<&'a str>,
}

fn plan_with(lexed: Lexed, catalog: Cat<'_>) -> Plan {
    if let Some(e) = super::depth::too_complex(&lexed) {
        return refused(lexed, e);
    }
    let pg = lexed
        .parse()
        .ok()
        .filter(|v| v.len() == 1)
        .and_then(|mut v| v.pop());
    plan_parsed(lexed, pg, catalog)
}

/// A statement refused before it is parsed.
fn refused(lexed: Lexed, e: GatewayError) -> Plan {
    Plan {
        params: lexed.placeholders().iter().map(|p| p.2).max().unwrap_or(0),
        spark_sql: lexed.text().to_string(),
        spark: lexed.clone(),
        kind: Kind::Refused(e),
        described: None,
        learnt: OnceLock::new(),
        lexed,
    }
}

/// [`plan`] for a statement whose Postgres parse is known (`None`: it did not parse).
fn plan_parsed(lexed: Lexed, pg: Option<Statement>, catalog: Cat<'_>) -> Plan {
    let params = lexed.placeholders().iter().map(|p| p.2).max().unwrap_or(0);
    // Postgres → Spark, only for a statement that goes to DLI (a refusal matters only
    // there, and the gateway's own answers never pay for the rewrite).
    let mut translation: Option<(Lexed, String)> = None;
    let mut casts = pg
        .as_ref()
        .map(|s| super::infer::cast_parameter_types(std::slice::from_ref(s), params));
    let kind = match pg {
        Some(Statement::Copy {
            source,
            to,
            target,
            options,
            legacy_options,
            ..
        }) => copy(
            &lexed,
            source,
            to,
            &target,
            &options,
            &legacy_options,
            catalog,
        ),
        Some(Statement::Declare { mut stmts })
            if stmts.len() == 1 && stmts[0].for_query.is_some() =>
        {
            declare(&lexed, stmts.remove(0), catalog)
        }
        Some(Statement::Fetch {
            name,
            direction,
            into: None,
            ..
        }) => match cursor::count(&direction) {
            Ok(count) => Kind::Cursor(CursorCmd::Fetch {
                name: name.value,
                count,
            }),
            Err(e) => Kind::Refused(e),
        },
        None if is_move(&lexed) => move_cursor(&lexed),
        Some(stmt) if super::local::is_session_command(&stmt) => Kind::Session(Box::new(stmt)),
        Some(stmt)
            if params == 0
                && let Some(row) = super::constant::evaluate(&stmt) =>
        {
            // A clock goes to DLI when the zone is unknown ([`Plan::clocks_to_dli`]):
            // with its Spark meaning, as any statement.
            if row.iter().any(|c| c.is_clock())
                && let (spark, None) = for_dli(&lexed, Some(&stmt), catalog)
            {
                translation = Some(spark);
            }
            Kind::Constant(row)
        }
        Some(stmt) => match catalog.service.map(|c| c.route(&stmt)) {
            Some(CatalogRoute::Catalog) => Kind::Catalog(Box::new(stmt)),
            Some(CatalogRoute::Refresh(db)) => Kind::Refresh(db),
            Some(CatalogRoute::Mixed { catalog, user }) => Kind::Mixed { catalog, user },
            Some(CatalogRoute::Refused(e)) => Kind::Refused(e),
            Some(CatalogRoute::User) | None => {
                let (spark, refusal) = for_dli(&lexed, Some(&stmt), catalog);
                to_dli(translation.insert(spark), refusal, &mut casts, params)
            }
        },
        None => {
            let (spark, refusal) = for_dli(&lexed, None, catalog);
            to_dli(translation.insert(spark), refusal, &mut casts, params)
        }
    };
    let (spark, spark_sql) = translation.unwrap_or_else(|| {
        let spark_sql = lexed.to_spark();
        (lexed.clone(), spark_sql)
    });
    let described = casts
        .filter(|c| c.iter().any(Option::is_some))
        .map(|params| Described {
            params,
            columns: Vec::new(),
        });
    Plan {
        lexed,
        spark,
        spark_sql,
        params,
        kind,
        described,
        learnt: OnceLock::new(),
    }
}

/// A statement bound for DLI: its Spark text (Postgres-lexed, `$n` kept) and the same as
/// Spark SQL, or why it cannot be translated (the client's text is then kept).
fn for_dli(
    lexed: &Lexed,
    pg: Option<&Statement>,
    catalog: Cat<'_>,
) -> ((Lexed, String), Option<GatewayError>) {
    let deep = lexed.nesting() > super::depth::INLINE_NESTING;
    let (spark, refusal) = match pg.map(|s| translated(s, lexed, catalog, deep)) {
        Some(Ok(Some(printed))) => (Lexed::new(&printed), None),
        Some(Err(e)) => (lexed.clone(), Some(GatewayError::from(e))),
        Some(Ok(None)) | None => (lexed.clone(), None),
    };
    let spark_sql = spark.to_spark();
    ((spark, spark_sql), refusal)
}

/// The DLI plan of a translated statement, or its refusal.
fn to_dli(
    (spark, spark_sql): &(Lexed, String),
    refusal: Option<GatewayError>,
    casts: &mut Option<Vec<Option<Type>>>,
    params: usize,
) -> Kind {
    match refusal {
        Some(e) => Kind::Refused(e),
        None => dli(spark, spark_sql, casts, params),
    }
}

/// The statement rewritten into Spark's meaning ([`crate::translate`]), with column
/// types from the catalog's cached metadata where it has them and the client's comments.
/// A deep statement (`deep`) is rewritten on a thread of its own with a large stack: the
/// rewrite walks the tree recursively, and [`super::depth::MAX_NESTING`] levels do not fit
/// the 2 MiB of a runtime thread.
fn translated(
    stmt: &Statement,
    lexed: &Lexed,
    catalog: Cat<'_>,
    deep: bool,
) -> Result<Option<String>, crate::translate::Untranslatable> {
    if !deep {
        return translate_here(stmt, lexed, catalog);
    }
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("translate".into())
            .stack_size(super::depth::DEEP_STACK_BYTES)
            .spawn_scoped(scope, || translate_here(stmt, lexed, catalog));
        match worker.map(|w| w.join()) {
            Ok(Ok(r)) => r,
            _ => Err(crate::translate::Untranslatable::new(
                "a statement this deep (the rewrite could not run)",
            )),
        }
    })
}

fn translate_here(
    stmt: &Statement,
    lexed: &Lexed,
    catalog: Cat<'_>,
) -> Result<Option<String>, crate::translate::Untranslatable> {
    struct Cached<'a>(&'a dyn CatalogService, Option<&'a str>);
    impl crate::translate::ColumnTypes for Cached<'_> {
        fn column_type(
            &self,
            db: Option<&str>,
            table: &str,
            column: &str,
        ) -> Option<crate::pgtypes::SparkType> {
            // Spark reads an unqualified table from the current database only.
            self.0.cached_column_type(db.or(self.1), table, column)
        }
    }
    let comments = lexed.comments();
    match catalog.service {
        Some(c) => crate::translate::statement(stmt, &comments, &Cached(c, catalog.currentdb)),
        None => crate::translate::statement(stmt, &comments, &crate::translate::NoColumns),
    }
}

/// `DECLARE name CURSOR FOR query`: the query planned as a statement of its own.
fn declare(lexed: &Lexed, mut d: Declare, catalog: Cat<'_>) -> Kind {
    let name = match cursor::declared_name(&d) {
        Ok(n) => n,
        Err(e) => return Kind::Refused(e),
    };
    match (lexed.after_word("FOR"), d.for_query.take()) {
        (Some(inner), Some(q)) => Kind::Declare {
            name,
            hold: d.hold == Some(true),
            query: Box::new(plan_parsed(inner, Some(Statement::Query(q)), catalog)),
        },
        _ => Kind::Refused(GatewayError::new(
            ErrorKind::Syntax,
            "DECLARE needs CURSOR FOR a query",
        )),
    }
}

/// `MOVE …` (which sqlparser does not know): read as the `FETCH` it mirrors.
fn is_move(lexed: &Lexed) -> bool {
    matches!(lexed.words(1).first(), Some(Some(w)) if !w.quoted && w.value.eq_ignore_ascii_case("MOVE"))
}

fn move_cursor(lexed: &Lexed) -> Kind {
    let text = lexed.text().trim_start();
    let fetch = format!("FETCH{}", text.get(4..).unwrap_or_default());
    match Lexed::new(&fetch).parse().ok().as_deref() {
        Some(
            [
                Statement::Fetch {
                    name,
                    direction,
                    into: None,
                    ..
                },
            ],
        ) => match cursor::count(direction) {
            Ok(count) => Kind::Cursor(CursorCmd::Move {
                name: name.value.clone(),
                count,
            }),
            Err(e) => Kind::Refused(e),
        },
        _ => Kind::Refused(GatewayError::new(
            ErrorKind::Syntax,
            "syntax error in MOVE: expected MOVE [FORWARD] [count | ALL] FROM|IN cursor",
        )),
    }
}

/// `COPY … TO STDOUT`: the rows to copy, planned as a statement of their own.
fn copy(
    lexed: &Lexed,
    source: CopySource,
    to: bool,
    target: &CopyTarget,
    options: &[CopyOption],
    legacy: &[CopyLegacyOption],
    catalog: Cat<'_>,
) -> Kind {
    let (rows, format) = match super::copy::read(&source, to, target, options, legacy) {
        Ok(r) => r,
        Err(e) => return Kind::Refused(e),
    };
    let query = match (rows, source) {
        (CopyRows::Table(sql), _) => plan_with(Lexed::new(&sql), catalog),
        (CopyRows::Query, CopySource::Query(q)) => match lexed.inner_parens() {
            Some(inner) => plan_parsed(inner, Some(Statement::Query(q)), catalog),
            None => {
                return Kind::Refused(GatewayError::new(
                    ErrorKind::Syntax,
                    "COPY needs its query in parentheses",
                ));
            }
        },
        (CopyRows::Query, CopySource::Table { .. }) => {
            return Kind::Refused(GatewayError::internal("COPY source read inconsistently"));
        }
    };
    Kind::Copy {
        query: Box::new(query),
        format,
    }
}

/// A DLI-bound statement: one Spark parse. Casts type parameters from it when the
/// Postgres parse could not.
fn dli(
    lexed: &Lexed,
    spark_sql: &str,
    casts: &mut Option<Vec<Option<Type>>>,
    params: usize,
) -> Kind {
    let spark = sparksql::parse(spark_sql)
        .ok()
        .filter(|v| v.len() == 1)
        .and_then(|mut v| v.pop());
    if casts.is_none()
        && let Some(s) = &spark
    {
        *casts = Some(super::infer::cast_parameter_types(
            std::slice::from_ref(s),
            params,
        ));
    }
    Kind::Dli {
        kind: classify(spark.as_ref(), &lexed.words(8)),
        spark: spark.map(Box::new),
    }
}

/// Merge what the catalog planned into the types casts gave: a cast says what the client
/// means to send, so it wins.
pub fn merge_described(plan: &mut Plan, from_catalog: Option<Described>) {
    let casts = plan.described.take();
    let mut merged = from_catalog.unwrap_or(Described {
        params: Vec::new(),
        columns: Vec::new(),
    });
    if let Some(casts) = casts {
        merged
            .params
            .resize(plan.params.max(merged.params.len()), None);
        for (slot, cast) in merged.params.iter_mut().zip(casts.params) {
            if cast.is_some() {
                *slot = cast;
            }
        }
    }
    let empty = merged.params.iter().all(Option::is_none) && merged.columns.is_empty();
    plan.described = (!empty).then_some(merged);
}
