//! Tests of the metadata cache with a scripted source.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use async_trait::async_trait;

use super::*;
use crate::catalog::model::{Column, RelKind, Table};
use crate::dli::DliErrorKind;

#[derive(Default)]
struct Fake {
    dbs: Mutex<Vec<(String, Vec<String>)>>,
    database_calls: AtomicUsize,
    table_calls: Mutex<Vec<String>>,
    /// (db, table) of every describe call.
    describes: Mutex<Vec<(String, String)>>,
    /// Describe calls running now, and the most seen at once.
    running: AtomicUsize,
    peak: AtomicUsize,
    /// Tables that vanish before their describe.
    dropped: Mutex<Vec<String>>,
    /// Databases listed whose tables this identity may not list (DLI.0003).
    denied: Mutex<Vec<String>>,
    down: AtomicBool,
}

/// A table as the list gives it: no columns.
fn table(name: &str) -> Table {
    Table {
        name: name.into(),
        kind: RelKind::Table,
        dli_type: "MANAGED".into(),
        owner: String::new(),
        description: None,
        columns: Vec::new(),
        definition: None,
        size: None,
        partition_keys: Vec::new(),
    }
}

#[async_trait]
impl MetadataSource for Fake {
    async fn databases(&self) -> Result<Vec<Database>, DliError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(DliError::new(DliErrorKind::Transport, "connection refused"));
        }
        self.database_calls.fetch_add(1, Ordering::SeqCst);
        let dbs = self.dbs.lock().map(|d| d.clone()).unwrap_or_default();
        Ok(dbs
            .into_iter()
            .map(|(name, _)| Database {
                name,
                owner: String::new(),
                description: None,
                tables: Vec::new(),
                described: false,
            })
            .collect())
    }

    async fn tables(&self, db: &str) -> Result<Vec<Table>, DliError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(DliError::new(DliErrorKind::Transport, "connection refused"));
        }
        if let Ok(mut calls) = self.table_calls.lock() {
            calls.push(db.to_string());
        }
        if self.denied.lock().unwrap().iter().any(|d| d == db) {
            let mut e = DliError::new(DliErrorKind::BadRequest, "no permission");
            e.code = Some("DLI.0003".into());
            e.http_status = Some(400);
            return Err(e);
        }
        let dbs = self.dbs.lock().map(|d| d.clone()).unwrap_or_default();
        Ok(dbs
            .into_iter()
            .find(|(n, _)| n == db)
            .map(|(_, ts)| ts.iter().map(|t| table(t)).collect())
            .unwrap_or_default())
    }

    async fn describe(&self, db: &str, listed: &Table) -> Result<Option<Table>, DliError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(DliError::new(DliErrorKind::Transport, "connection refused"));
        }
        if let Ok(mut calls) = self.describes.lock() {
            calls.push((db.to_string(), listed.name.clone()));
        }
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(2)).await;
        self.running.fetch_sub(1, Ordering::SeqCst);
        if self.dropped.lock().unwrap().contains(&listed.name) {
            return Ok(None);
        }
        let mut t = listed.clone();
        t.columns = vec![Column {
            name: format!("{}_id", listed.name),
            spark_type: "int".into(),
            description: None,
            partition: false,
        }];
        Ok(Some(t))
    }
}

fn fake(dbs: &[(&str, &[&str])]) -> Arc<Fake> {
    let f = Fake::default();
    if let Ok(mut d) = f.dbs.lock() {
        *d = dbs
            .iter()
            .map(|(n, ts)| (n.to_string(), ts.iter().map(|t| t.to_string()).collect()))
            .collect();
    }
    Arc::new(f)
}

fn cache(f: &Arc<Fake>, ttl_ms: u64) -> MetadataCache {
    MetadataCache::new(
        f.clone(),
        Duration::from_millis(ttl_ms),
        Duration::from_millis(ttl_ms),
    )
}

#[tokio::test]
async fn loads_once_and_serves_from_memory() {
    let f = fake(&[("default", &[]), ("shop", &["items"])]);
    let c = cache(&f, 60_000);
    let s1 = c.snapshot().await.unwrap();
    let s2 = c.snapshot().await.unwrap();
    assert_eq!(s1.generation, s2.generation);
    assert_eq!(s1.table_count(), 1);
    assert_eq!(f.database_calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn concurrent_sessions_share_one_load() {
    let f = fake(&[("default", &["a", "b"])]);
    let c = Arc::new(cache(&f, 60_000));
    let handles: Vec<_> = (0..16)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.snapshot().await.map(|s| s.generation) })
        })
        .collect();
    for h in handles {
        assert_eq!(h.await.unwrap().unwrap(), 1);
    }
    assert_eq!(f.database_calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn invalidating_a_table_reloads_only_its_database() {
    let f = fake(&[("a", &["t1"]), ("b", &["t2"])]);
    let c = cache(&f, 60_000);
    c.snapshot().await.unwrap();
    if let Ok(mut d) = f.dbs.lock() {
        d[0].1.push("t3".into());
    }
    f.table_calls.lock().unwrap().clear();
    c.invalidate(Invalidation::Table("a".into(), "t3".into()));
    let s = c.snapshot().await.unwrap();
    assert!(s.find("a", "t3").is_some());
    assert_eq!(*f.table_calls.lock().unwrap(), vec!["a".to_string()]);
    assert_eq!(f.database_calls.load(Ordering::SeqCst), 1, "db list reused");
}

#[tokio::test]
async fn database_list_invalidation_sees_new_databases() {
    let f = fake(&[("a", &[])]);
    let c = cache(&f, 60_000);
    c.snapshot().await.unwrap();
    f.dbs.lock().unwrap().push(("new".into(), vec!["x".into()]));
    c.invalidate(Invalidation::DatabaseList);
    let s = c.snapshot().await.unwrap();
    assert!(s.find("new", "x").is_some());
}

#[tokio::test]
async fn outage_serves_stale_when_warm_and_fails_when_cold() {
    let f = fake(&[("a", &["t"])]);
    let c = cache(&f, 1);
    c.snapshot().await.unwrap();
    f.down.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let s = c.snapshot().await.unwrap();
    assert!(s.find("a", "t").is_some());
    let st = c.status();
    assert!(st.stale);
    assert!(
        st.last_error
            .unwrap_or_default()
            .contains("connection refused")
    );

    let cold = cache(&f, 1);
    assert!(cold.snapshot().await.is_err());

    f.down.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(5)).await;
    c.snapshot().await.unwrap();
    assert!(!c.status().stale);
}

#[tokio::test]
async fn ttl_expiry_reloads() {
    let f = fake(&[("a", &[])]);
    let c = cache(&f, 1);
    c.snapshot().await.unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    c.snapshot().await.unwrap();
    assert_eq!(f.database_calls.load(Ordering::SeqCst), 2);
}

fn names(dbs: &[&str]) -> BTreeSet<String> {
    dbs.iter().map(|d| d.to_string()).collect()
}

fn describes(f: &Fake) -> usize {
    f.describes.lock().unwrap().len()
}

#[tokio::test]
async fn columns_are_loaded_per_database_on_demand_and_kept() {
    let f = fake(&[("a", &["t1", "t2"]), ("b", &["t3"]), ("c", &["t4"])]);
    let c = cache(&f, 60_000);
    let s = c.snapshot().await.unwrap();
    assert_eq!(describes(&f), 0, "the table lists need no describe");
    assert!(s.databases.iter().all(|d| !d.described));

    let s = c.with_columns(s, Some(&names(&["a"]))).await.unwrap();
    assert_eq!(describes(&f), 2);
    let a = s.database("a").unwrap();
    assert!(a.described && a.tables.iter().all(|t| t.columns.len() == 1));
    assert!(!s.database("b").unwrap().described);
    assert!(s.database("b").unwrap().tables[0].columns.is_empty());

    // Again: nothing new to describe, the same snapshot.
    let again = c
        .with_columns(s.clone(), Some(&names(&["a"])))
        .await
        .unwrap();
    assert_eq!(again.generation, s.generation);
    assert_eq!(describes(&f), 2);
    // A later plain snapshot keeps them.
    let later = c.snapshot().await.unwrap();
    assert_eq!(later.database("a").unwrap().tables[0].columns.len(), 1);

    // Everything: only the two remaining databases are described.
    let all = c.with_columns(later, None).await.unwrap();
    assert_eq!(describes(&f), 4);
    assert!(all.databases.iter().all(|d| d.described));
    assert_eq!(c.status().described_databases, 3);
    assert_eq!(c.status().describes, 4);
}

#[tokio::test]
async fn describes_are_bounded_across_databases() {
    let ts: Vec<String> = (0..20).map(|i| format!("t{i}")).collect();
    let refs: Vec<&str> = ts.iter().map(String::as_str).collect();
    let f = fake(&[("a", &refs), ("b", &refs), ("c", &refs)]);
    let c = cache(&f, 60_000).describing(3, true);
    let s = c.snapshot().await.unwrap();
    c.with_columns(s, None).await.unwrap();
    assert_eq!(describes(&f), 60);
    let peak = f.peak.load(Ordering::SeqCst);
    assert!((2..=3).contains(&peak), "peak concurrency {peak}");
}

#[tokio::test]
async fn eager_mode_describes_at_load_and_a_reload_redescribes_what_was_loaded() {
    let f = fake(&[("a", &["t1"]), ("b", &["t2"])]);
    let eager = cache(&f, 60_000).describing(8, false);
    let s = eager.snapshot().await.unwrap();
    assert!(s.databases.iter().all(|d| d.described));
    assert_eq!(describes(&f), 2);

    let f = fake(&[("a", &["t1"]), ("b", &["t2"])]);
    let lazy = cache(&f, 1);
    let s = lazy.snapshot().await.unwrap();
    lazy.with_columns(s, Some(&names(&["b"]))).await.unwrap();
    assert_eq!(describes(&f), 1);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let s = lazy.snapshot().await.unwrap();
    assert_eq!(describes(&f), 2, "the reload describes b again, not a");
    assert!(s.database("b").unwrap().described);
    assert!(!s.database("a").unwrap().described);
    assert_eq!(f.describes.lock().unwrap()[1].0, "b");
}

#[tokio::test]
async fn a_table_dropped_before_its_describe_is_left_out() {
    let f = fake(&[("a", &["gone", "kept"])]);
    f.dropped.lock().unwrap().push("gone".into());
    let c = cache(&f, 60_000);
    let s = c.snapshot().await.unwrap();
    assert!(s.find("a", "gone").is_some(), "listed");
    let s = c.with_columns(s, None).await.unwrap();
    assert!(s.find("a", "gone").is_none());
    assert!(s.find("a", "kept").is_some());
}

#[tokio::test]
async fn table_invalidation_redescribes_only_that_table() {
    let f = fake(&[("a", &["t1", "t2"])]);
    let c = cache(&f, 60_000);
    let s = c.snapshot().await.unwrap();
    c.with_columns(s, None).await.unwrap();
    assert_eq!(describes(&f), 2);
    c.invalidate(Invalidation::Table("a".into(), "t2".into()));
    let s = c.snapshot().await.unwrap();
    assert_eq!(describes(&f), 3);
    assert_eq!(f.describes.lock().unwrap()[2].1, "t2");
    assert!(s.database("a").unwrap().described);
    assert_eq!(s.find("a", "t1").map(|r| s.table(r).columns.len()), Some(1));
}

#[tokio::test]
async fn a_failed_describe_fails_the_query_and_keeps_the_snapshot() {
    let f = fake(&[("a", &["t"])]);
    let c = cache(&f, 60_000);
    let s = c.snapshot().await.unwrap();
    f.down.store(true, Ordering::SeqCst);
    assert!(c.with_columns(s.clone(), None).await.is_err());
    f.down.store(false, Ordering::SeqCst);
    let s = c.with_columns(s, None).await.unwrap();
    assert!(s.database("a").unwrap().described);
}

#[tokio::test]
async fn a_database_listed_but_not_readable_is_left_out() {
    let f = fake(&[("shop", &["items"]), ("vault", &["keys"])]);
    f.denied.lock().unwrap().push("vault".into());
    let c = cache(&f, 60_000);
    let s = c.snapshot().await.unwrap();
    assert!(s.database("shop").is_some());
    assert!(s.database("vault").is_none());
    // a partial reload (the list changed) leaves it out too
    c.invalidate(Invalidation::DatabaseList);
    let s = c.snapshot().await.unwrap();
    assert!(s.database("shop").is_some() && s.database("vault").is_none());
}
