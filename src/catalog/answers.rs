//! Catalog answers remembered per metadata snapshot and session context.
//!
//! Owns: [`Answers`], the rows (and the Describe answers) of catalog queries, kept for
//! the snapshot they were computed from and keyed by the statement's text and everything
//! of the session a catalog query can read (database, user, settings, open cursors). A
//! new snapshot — a reload after the TTL, `dli_catalog_refresh()`, DDL through the
//! gateway, columns loaded for another database — empties it, so nothing stale is ever
//! served. Statements whose answer can change with nothing of that changing (the clock,
//! `random()`, `dli_catalog_status()`, the Flink schema's live jobs) are never kept.
//! Bounded by an estimate of its memory. Must not know how answers are computed.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::gateway::catalog_hook::{CatalogContext, Described, LocalRows};
use crate::pgtypes::PgValue;

/// Words in a statement that make its answer vary between identical runs (matched on the
/// lower-cased text, so an identifier containing one only costs the caching).
const VOLATILE: &[&str] = &[
    "now(",
    "current_timestamp",
    "current_time",
    "current_date",
    "localtime",
    "clock_timestamp",
    "statement_timestamp",
    "transaction_timestamp",
    "timeofday",
    "random",
    "uuid",
    "age(",
    "dli_catalog_status",
    "pg_postmaster_start_time",
    "pg_conf_load_time",
    "pg_backend_pid",
    "pg_stat_activity",
    "txid_",
];

/// Whether a statement's answer depends only on the snapshot and the session context.
pub fn cacheable(sql: &str) -> bool {
    let lower = sql.to_ascii_lowercase();
    !VOLATILE.iter().any(|w| lower.contains(w))
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    /// The statement as parsed and printed again (bound values included).
    sql: String,
    /// The session context, printed: every field of it is an input of the answer.
    context: String,
}

impl Key {
    fn new(sql: String, ctx: &CatalogContext) -> Key {
        let context = format!(
            "{:?}|{:?}|{:?}|{:?}",
            ctx.currentdb, ctx.user, ctx.settings, ctx.cursors
        );
        Key { sql, context }
    }

    fn bytes(&self) -> usize {
        self.sql.len() + self.context.len() + 64
    }
}

#[derive(Default)]
struct Inner {
    generation: u64,
    rows: HashMap<Key, LocalRows>,
    described: HashMap<Key, Described>,
    bytes: usize,
}

/// Remembered answers for one snapshot generation (one per gateway catalog).
pub struct Answers {
    limit: usize,
    inner: Mutex<Inner>,
}

impl Answers {
    /// At most about `limit_bytes` of answers (0: remember nothing).
    pub fn new(limit_bytes: usize) -> Answers {
        Answers {
            limit: limit_bytes,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// The key of a statement in a session, or `None` when it must not be remembered.
    pub fn key(&self, sql: String, ctx: &CatalogContext) -> Option<AnswerKey> {
        (self.limit > 0 && cacheable(&sql)).then(|| AnswerKey(Key::new(sql, ctx)))
    }

    /// The rows computed before on this snapshot generation.
    pub fn rows(&self, generation: u64, key: &AnswerKey) -> Option<LocalRows> {
        self.with(|i| {
            (i.generation == generation)
                .then(|| i.rows.get(&key.0).cloned())
                .flatten()
        })
    }

    pub fn put_rows(&self, generation: u64, key: AnswerKey, rows: &LocalRows) {
        let size = key.0.bytes() + rows_bytes(rows);
        self.put(generation, size, |i| {
            i.rows.insert(key.0, rows.clone());
        });
    }

    /// The Describe answer computed before on this snapshot generation.
    pub fn described(&self, generation: u64, key: &AnswerKey) -> Option<Described> {
        self.with(|i| {
            (i.generation == generation)
                .then(|| i.described.get(&key.0).cloned())
                .flatten()
        })
    }

    pub fn put_described(&self, generation: u64, key: AnswerKey, d: &Described) {
        let size = key.0.bytes() + 64 * (d.params.len() + d.columns.len() + 1);
        self.put(generation, size, |i| {
            i.described.insert(key.0, d.clone());
        });
    }

    /// Keep an answer of `generation`: a newer generation forgets everything older, an
    /// older one (a query that started before a reload) is not kept; over the limit,
    /// everything is forgotten first.
    fn put(&self, generation: u64, size: usize, insert: impl FnOnce(&mut Inner)) {
        if size > self.limit / 4 {
            return;
        }
        self.with(|i| {
            if generation < i.generation {
                return;
            }
            if generation > i.generation || i.bytes + size > self.limit {
                let g = generation.max(i.generation);
                *i = Inner::default();
                i.generation = g;
            }
            i.bytes += size;
            insert(i);
        });
    }

    /// How many answers are kept (tests, status).
    pub fn len(&self) -> usize {
        self.with(|i| i.rows.len() + i.described.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A statement's place in [`Answers`].
pub struct AnswerKey(Key);

/// An estimate of the memory rows take.
fn rows_bytes(rows: &LocalRows) -> usize {
    let cell = std::mem::size_of::<PgValue>();
    let fields: usize = rows.fields.iter().map(|(n, _)| n.len() + 16).sum();
    let cells: usize = rows
        .rows
        .iter()
        .flat_map(|r| r.iter())
        .map(|v| cell + value_bytes(v))
        .sum();
    fields + cells + rows.rows.len() * 24
}

fn value_bytes(v: &PgValue) -> usize {
    match v {
        PgValue::Text(s) | PgValue::Numeric(s) => s.len(),
        PgValue::Bytes(b) => b.len(),
        PgValue::Array(a) => a
            .iter()
            .map(|v| std::mem::size_of::<PgValue>() + value_bytes(v))
            .sum(),
        PgValue::Json(j) => j.to_string().len(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pgwire::api::Type;

    fn ctx(db: &str) -> CatalogContext {
        CatalogContext {
            currentdb: db.into(),
            user: "u".into(),
            settings: Default::default(),
            cursors: Vec::new(),
        }
    }

    fn rows(text: &str) -> LocalRows {
        LocalRows {
            fields: vec![("a".into(), Type::TEXT)],
            rows: vec![vec![PgValue::Text(text.into())]],
            tag: None,
            notices: Vec::new(),
        }
    }

    fn first(r: &LocalRows) -> PgValue {
        r.rows[0][0].clone()
    }

    #[test]
    fn kept_per_generation_and_context_and_forgotten_on_a_new_snapshot() {
        let a = Answers::new(1 << 20);
        let sql = "SELECT relname FROM pg_class".to_string();
        let k = a.key(sql.clone(), &ctx("db")).unwrap();
        a.put_rows(1, k, &rows("one"));
        let k = a.key(sql.clone(), &ctx("db")).unwrap();
        assert_eq!(first(&a.rows(1, &k).unwrap()), PgValue::Text("one".into()));
        // Another session context, another answer.
        let other = a.key(sql.clone(), &ctx("other")).unwrap();
        assert!(a.rows(1, &other).is_none());
        // A newer snapshot: the old answer is not served, and is forgotten on the next put.
        assert!(a.rows(2, &k).is_none());
        a.put_rows(2, a.key(sql.clone(), &ctx("db")).unwrap(), &rows("two"));
        assert!(a.rows(1, &k).is_none());
        assert_eq!(first(&a.rows(2, &k).unwrap()), PgValue::Text("two".into()));
        // A late answer computed on an older snapshot is not kept.
        a.put_rows(1, a.key(sql, &ctx("other")).unwrap(), &rows("late"));
        assert!(a.rows(1, &other).is_none() && a.rows(2, &other).is_none());
    }

    #[test]
    fn volatile_statements_and_a_zero_limit_are_never_kept() {
        let a = Answers::new(1 << 20);
        assert!(a.key("SELECT now()".into(), &ctx("db")).is_none());
        assert!(
            a.key("SELECT * FROM dli_catalog_status()".into(), &ctx("db"))
                .is_none()
        );
        assert!(a.key("SELECT 1".into(), &ctx("db")).is_some());
        let off = Answers::new(0);
        assert!(off.key("SELECT 1".into(), &ctx("db")).is_none());
    }

    #[test]
    fn over_the_limit_everything_is_forgotten_first() {
        let a = Answers::new(4096);
        for i in 0..100 {
            let k = a.key(format!("SELECT {i}"), &ctx("db")).unwrap();
            a.put_rows(1, k, &rows("x"));
        }
        assert!(a.len() < 100 && !a.is_empty());
        let big = rows(&"y".repeat(2048));
        a.put_rows(1, a.key("SELECT big".into(), &ctx("db")).unwrap(), &big);
        let k = a.key("SELECT big".into(), &ctx("db")).unwrap();
        assert!(
            a.rows(1, &k).is_none(),
            "an answer over a quarter of the limit"
        );
    }
}
