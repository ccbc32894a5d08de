//! The metadata cache shared by every session.
//!
//! Owns: one [`Snapshot`] of the DLI catalog, loaded from a [`MetadataSource`] on first
//! use (or at start with `preload`), reused for `ttl_secs`, then reloaded in full.
//! A load reads the database list and every table list (cheap: names, kinds, owners);
//! columns cost one describe per table, so with `lazy_columns` they are loaded per
//! database the first time a query needs them ([`MetadataCache::with_columns`]), and a
//! reload describes again the databases that were described before.
//! Loads are single-flight: concurrent sessions wait for the one running load.
//! DDL run through the gateway marks what it touched ([`MetadataCache::invalidate`]);
//! the next catalog query reloads only that database's table list (keeping the columns
//! of the tables it did not touch) and, for CREATE/DROP DATABASE, the database list.
//! When a reload fails while a snapshot is in hand, the snapshot is served as *stale*
//! and DLI is not asked again for `error_retry_secs`; with no snapshot at all (cold
//! cache) the catalog query fails with the DLI error. Must not know SQL or DataFusion.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

use futures::StreamExt;

use crate::dli::DliError;

use super::columns::{Known, describe_databases, known_of};
use super::model::{Database, Snapshot};
use super::source::{MetadataSource, denied};

/// Databases whose tables are loaded at once during a full load.
const DB_CONCURRENCY: usize = 8;

/// What the next load must refetch.
#[derive(Debug, Default, Clone)]
struct Dirty {
    /// Everything (a statement we could not attribute, or an explicit refresh).
    all: bool,
    /// The database list (CREATE/DROP DATABASE).
    db_list: bool,
    /// Databases whose table list must be reloaded, with the tables whose columns must
    /// be re-described (`None` = the whole database).
    dbs: HashMap<String, Option<BTreeSet<String>>>,
}

impl Dirty {
    fn is_clean(&self) -> bool {
        !self.all && !self.db_list && self.dbs.is_empty()
    }

    fn merge(&mut self, other: Dirty) {
        self.all |= other.all;
        self.db_list |= other.db_list;
        for (db, tables) in other.dbs {
            self.mark(&db, tables);
        }
    }

    fn mark(&mut self, db: &str, tables: Option<BTreeSet<String>>) {
        let entry = self
            .dbs
            .entry(db.to_string())
            .or_insert(Some(BTreeSet::new()));
        match (entry.as_mut(), tables) {
            (Some(have), Some(more)) => have.extend(more),
            _ => *entry = None,
        }
    }
}

/// What an invalidation covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalidation {
    Everything,
    DatabaseList,
    Database(String),
    Table(String, String),
}

#[derive(Default)]
struct State {
    snapshot: Option<Arc<Snapshot>>,
    /// Until when the snapshot is served without asking DLI.
    fresh_until: Option<Instant>,
    dirty: Dirty,
    stale: bool,
    last_error: Option<String>,
    generation: u64,
    loads: u64,
}

/// Facts for `dli_catalog_status()`.
#[derive(Debug, Clone)]
pub struct CacheStatus {
    pub loaded_at: Option<SystemTime>,
    pub databases: usize,
    pub tables: usize,
    pub stale: bool,
    pub last_error: Option<String>,
    pub loads: u64,
    /// Databases whose columns are loaded.
    pub described_databases: usize,
    /// Describe calls made since the start.
    pub describes: u64,
}

/// The shared cache.
pub struct MetadataCache {
    source: Arc<dyn MetadataSource>,
    ttl: Duration,
    error_retry: Duration,
    /// Describe calls at once.
    describe_concurrency: usize,
    /// Columns loaded per database on demand (false: every load describes everything).
    lazy: bool,
    state: RwLock<State>,
    reload: tokio::sync::Mutex<()>,
    describes: std::sync::atomic::AtomicU64,
}

impl MetadataCache {
    pub fn new(source: Arc<dyn MetadataSource>, ttl: Duration, error_retry: Duration) -> Self {
        Self {
            source,
            ttl,
            error_retry,
            describe_concurrency: 8,
            lazy: true,
            state: RwLock::new(State::default()),
            reload: tokio::sync::Mutex::new(()),
            describes: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// How columns are loaded: at most `concurrency` describe calls at once; `lazy` = per
    /// database on first need rather than with every load.
    pub fn describing(mut self, concurrency: usize, lazy: bool) -> Self {
        self.describe_concurrency = concurrency.max(1);
        self.lazy = lazy;
        self
    }

    fn read<T>(&self, f: impl FnOnce(&State) -> T) -> T {
        match self.state.read() {
            Ok(s) => f(&s),
            Err(poisoned) => f(&poisoned.into_inner()),
        }
    }

    fn write<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        match self.state.write() {
            Ok(mut s) => f(&mut s),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// The snapshot if it may be served without a load.
    fn fresh(&self) -> Option<Arc<Snapshot>> {
        self.read(|s| {
            let fresh = s.fresh_until.is_some_and(|t| Instant::now() < t);
            // After a failed load the stale snapshot is served until `fresh_until`
            // even if DDL marked something dirty meanwhile.
            (fresh && (s.dirty.is_clean() || s.stale))
                .then(|| s.snapshot.clone())
                .flatten()
        })
    }

    /// The snapshot held now, fresh or not, without loading anything.
    pub fn peek(&self) -> Option<Arc<Snapshot>> {
        self.read(|s| s.snapshot.clone())
    }

    /// The current snapshot, loading or reloading it first when needed.
    pub async fn snapshot(&self) -> Result<Arc<Snapshot>, DliError> {
        if let Some(s) = self.fresh() {
            return Ok(s);
        }
        let _single_flight = self.reload.lock().await;
        if let Some(s) = self.fresh() {
            return Ok(s);
        }
        let (old, dirty, expired) = self.write(|s| {
            let expired = s.fresh_until.is_none_or(|t| Instant::now() >= t);
            (s.snapshot.clone(), std::mem::take(&mut s.dirty), expired)
        });
        let started = Instant::now();
        let partial = old.is_some() && !expired && !dirty.all;
        let loaded = match &old {
            Some(old) if partial => self.partial_load(old, &dirty).await,
            _ => self.full_load(old.as_deref()).await,
        };
        let kind = if partial { "partial" } else { "full" };
        crate::metrics::catalog_load(kind, loaded.is_ok());
        match loaded {
            Ok(dbs) => {
                let snap = self.write(|s| {
                    s.generation += 1;
                    s.loads += 1;
                    let snap = Arc::new(Snapshot::new(dbs, s.generation));
                    s.snapshot = Some(snap.clone());
                    s.fresh_until = Some(Instant::now() + self.ttl);
                    s.stale = false;
                    s.last_error = None;
                    snap
                });
                tracing::info!(
                    databases = snap.databases.len(),
                    tables = snap.table_count(),
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "catalog metadata loaded"
                );
                Ok(snap)
            }
            Err(e) => self.write(|s| {
                s.dirty.merge(dirty);
                s.last_error = Some(e.to_string());
                match &s.snapshot {
                    Some(snap) => {
                        tracing::warn!(error = %e, "catalog reload failed; serving the cached metadata");
                        s.stale = true;
                        s.fresh_until = Some(Instant::now() + self.error_retry);
                        Ok(snap.clone())
                    }
                    None => Err(e),
                }
            }),
        }
    }

    /// Describe the databases of `dbs` for which `wanted` holds (counted).
    async fn describe(
        &self,
        dbs: &mut [Database],
        wanted: impl Fn(&Database) -> bool,
        known: &Known,
    ) -> Result<(), DliError> {
        let calls = describe_databases(
            self.source.as_ref(),
            dbs,
            wanted,
            known,
            self.describe_concurrency,
        )
        .await?;
        self.describes.fetch_add(
            u64::try_from(calls).unwrap_or(u64::MAX),
            std::sync::atomic::Ordering::Relaxed,
        );
        Ok(())
    }

    /// Every database and table list; columns for the databases `old` had described
    /// (all of them when not lazy).
    async fn full_load(&self, old: Option<&Snapshot>) -> Result<Vec<Database>, DliError> {
        let dbs = self.source.databases().await?;
        let loaded: Vec<Result<Option<Database>, DliError>> = futures::stream::iter(dbs)
            .map(|mut d| async move {
                match self.source.tables(&d.name).await {
                    Ok(tables) => d.tables = tables,
                    Err(e) if denied(&e) => return Ok(None),
                    Err(e) => return Err(e),
                }
                d.described = false;
                Ok(Some(d))
            })
            .buffered(DB_CONCURRENCY)
            .collect()
            .await;
        let mut dbs: Vec<Database> = loaded
            .into_iter()
            .filter_map(Result::transpose)
            .collect::<Result<_, _>>()?;
        let was_described = |name: &str| {
            old.and_then(|o| o.database(name))
                .is_some_and(|d| d.described)
        };
        self.describe(
            &mut dbs,
            |d| !self.lazy || was_described(&d.name),
            &Known::new(),
        )
        .await?;
        Ok(dbs)
    }

    /// Reload what `dirty` names, reusing everything else from `old`.
    async fn partial_load(&self, old: &Snapshot, dirty: &Dirty) -> Result<Vec<Database>, DliError> {
        let mut dbs: Vec<Database> = if dirty.db_list {
            self.source.databases().await?
        } else {
            old.databases
                .iter()
                .map(|d| Database {
                    tables: Vec::new(),
                    described: false,
                    ..d.clone()
                })
                .collect()
        };
        let mut known = Known::new();
        let mut redescribe = Vec::new();
        let mut hidden = Vec::new();
        for d in &mut dbs {
            let previous = old.database(&d.name);
            match (previous, dirty.dbs.get(&d.name)) {
                (Some(p), None) => {
                    d.tables = p.tables.clone();
                    d.described = p.described;
                    continue;
                }
                (Some(p), Some(Some(changed))) => {
                    known.extend(
                        known_of([p])
                            .into_iter()
                            .filter(|((_, t), _)| !changed.contains(t)),
                    );
                }
                _ => {}
            }
            match self.source.tables(&d.name).await {
                Ok(tables) => d.tables = tables,
                Err(e) if denied(&e) => {
                    hidden.push(d.name.clone());
                    continue;
                }
                Err(e) => return Err(e),
            }
            d.described = false;
            if !self.lazy || previous.is_some_and(|p| p.described) {
                redescribe.push(d.name.clone());
            }
        }
        dbs.retain(|d| !hidden.contains(&d.name));
        self.describe(&mut dbs, |d| redescribe.contains(&d.name), &known)
            .await?;
        Ok(dbs)
    }

    /// `snap` with the columns of the databases `wanted` names (every database when
    /// `None`) loaded: the ones not yet described are described now, and the cache
    /// keeps the result. Fails when a describe fails.
    pub async fn with_columns(
        &self,
        snap: Arc<Snapshot>,
        wanted: Option<&BTreeSet<String>>,
    ) -> Result<Arc<Snapshot>, DliError> {
        let missing = |s: &Snapshot| {
            s.databases
                .iter()
                .any(|d| !d.described && wanted.is_none_or(|w| w.contains(&d.name)))
        };
        if !missing(&snap) {
            return Ok(snap);
        }
        let _single_flight = self.reload.lock().await;
        let current = self.read(|s| s.snapshot.clone()).unwrap_or(snap);
        if !missing(&current) {
            return Ok(current);
        }
        let started = Instant::now();
        let mut dbs = current.databases.clone();
        let before = self.describes.load(std::sync::atomic::Ordering::Relaxed);
        self.describe(
            &mut dbs,
            |d| !d.described && wanted.is_none_or(|w| w.contains(&d.name)),
            &Known::new(),
        )
        .await
        .inspect_err(|e| {
            crate::metrics::catalog_load("columns", false);
            tracing::warn!(error = %e, "loading catalog columns failed");
        })?;
        crate::metrics::catalog_load("columns", true);
        let snap = self.write(|s| {
            s.generation += 1;
            let snap = Arc::new(Snapshot::new(dbs, s.generation));
            s.snapshot = Some(snap.clone());
            snap
        });
        tracing::info!(
            describes = self.describes.load(std::sync::atomic::Ordering::Relaxed) - before,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "catalog columns loaded"
        );
        Ok(snap)
    }

    /// Mark what a DDL statement changed; the next [`Self::snapshot`] reloads it.
    pub fn invalidate(&self, what: Invalidation) {
        tracing::debug!(?what, "catalog invalidated");
        self.write(|s| {
            match what {
                Invalidation::Everything => s.dirty.all = true,
                Invalidation::DatabaseList => s.dirty.db_list = true,
                Invalidation::Database(db) => s.dirty.mark(&db, None),
                Invalidation::Table(db, t) => s.dirty.mark(&db, Some(BTreeSet::from([t]))),
            }
            // A deliberate change must be seen: leave the error back-off.
            s.stale = false;
        });
    }

    /// Drop the TTL: the next catalog query reloads everything.
    pub fn expire(&self) {
        self.write(|s| {
            s.dirty.all = true;
            s.stale = false;
        });
    }

    pub fn status(&self) -> CacheStatus {
        self.read(|s| CacheStatus {
            loaded_at: s.snapshot.as_ref().map(|x| x.loaded_at),
            databases: s.snapshot.as_ref().map_or(0, |x| x.databases.len()),
            tables: s.snapshot.as_ref().map_or(0, |x| x.table_count()),
            stale: s.stale,
            last_error: s.last_error.clone(),
            loads: s.loads,
            described_databases: s
                .snapshot
                .as_ref()
                .map_or(0, |x| x.databases.iter().filter(|d| d.described).count()),
            describes: self.describes.load(std::sync::atomic::Ordering::Relaxed),
        })
    }
}

#[cfg(test)]
#[path = "cache_tests.rs"]
mod tests;
