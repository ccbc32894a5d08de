//! Tests of the metadata cache with a scripted source.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use async_trait::async_trait;

use super::*;
use crate::catalog::model::{Column, RelKind};
use crate::dli::DliErrorKind;

#[derive(Default)]
struct Fake {
    dbs: Mutex<Vec<(String, Vec<String>)>>,
    database_calls: AtomicUsize,
    table_calls: Mutex<Vec<String>>,
    down: AtomicBool,
}

fn table(name: &str) -> Table {
    Table {
        name: name.into(),
        kind: RelKind::Table,
        dli_type: "MANAGED".into(),
        owner: String::new(),
        description: None,
        columns: vec![Column {
            name: "id".into(),
            spark_type: "int".into(),
            description: None,
            partition: false,
        }],
        definition: None,
        size: None,
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
            })
            .collect())
    }

    async fn tables(
        &self,
        db: &str,
        _known: &HashMap<String, Table>,
    ) -> Result<Vec<Table>, DliError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(DliError::new(DliErrorKind::Transport, "connection refused"));
        }
        if let Ok(mut calls) = self.table_calls.lock() {
            calls.push(db.to_string());
        }
        let dbs = self.dbs.lock().map(|d| d.clone()).unwrap_or_default();
        Ok(dbs
            .into_iter()
            .find(|(n, _)| n == db)
            .map(|(_, ts)| ts.iter().map(|t| table(t)).collect())
            .unwrap_or_default())
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
