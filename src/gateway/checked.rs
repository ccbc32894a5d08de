//! Which statements need DLI's check-sql before submit-job, and the memo of queries
//! it has already passed.
//!
//! Owns: [`check_sql_knows`] (check-sql's `job_type` list cannot judge UPDATE, DELETE or
//! MERGE) and [`CheckMemo`]. A dashboard sends the same few queries over and over; each
//! paid a check-sql round trip before its submit-job. The memo remembers, for a bounded
//! time and number, the (database, Spark text) pairs that check-sql answered `QUERY` for,
//! so the next identical query goes straight to submit-job. Only passes of read-only
//! queries are kept (a refusal is always asked again, so a statement that was wrong once
//! is never waved through), and any DDL the gateway runs forgets them all (a passed query
//! may name a table the DDL dropped). A query whose table was dropped behind the
//! gateway's back still fails, at submit-job instead of check-sql, with the same error.
//! The memo belongs to the gateway's own DLI identity: sessions under `dli-passthrough`
//! run as their users, whose grants differ, and always ask.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::time::Instant;

/// Entries kept at most; past it the oldest pass is forgotten.
const MAX_ENTRIES: usize = 4096;

/// Whether check-sql can judge the statement: its `job_type` list (§7.3.9: DDL, DCL,
/// IMPORT, EXPORT, QUERY, INSERT) has no UPDATE, DELETE or MERGE, which submit-job runs
/// on tables that support them; those go straight to submit-job.
pub(super) fn check_sql_knows(sql: &str) -> bool {
    let mut rest = sql.trim_start();
    loop {
        if let Some(r) = rest.strip_prefix("--") {
            rest = r
                .split_once('\n')
                .map_or("", |(_, after)| after)
                .trim_start();
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r
                .split_once("*/")
                .map_or("", |(_, after)| after)
                .trim_start();
        } else {
            break;
        }
    }
    let word: String = rest
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect::<String>()
        .to_ascii_uppercase();
    !matches!(word.as_str(), "UPDATE" | "DELETE" | "MERGE")
}

/// A (database, Spark text) pair by its SHA-256: a key with no allocation of its own, so
/// thousands of entries made during a burst do not pin the allocator's pages after it.
type Key = [u8; 32];

fn key(db: &str, sql: &str) -> Key {
    let mut h = Sha256::new();
    h.update(db.as_bytes());
    h.update([0u8]);
    h.update(sql.as_bytes());
    h.finalize().into()
}

/// Queries check-sql has passed lately: (database, Spark text) → when.
#[derive(Debug)]
pub struct CheckMemo {
    max_age: Duration,
    passed: Mutex<HashMap<Key, Instant>>,
}

impl CheckMemo {
    /// A memo keeping passes for `max_age` (zero: keeps nothing).
    pub fn new(max_age: Duration) -> Self {
        Self {
            max_age,
            passed: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Instant>> {
        self.passed.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether check-sql passed `sql` in `db` as a query less than `max_age` ago.
    pub fn passed(&self, db: &str, sql: &str) -> bool {
        if self.max_age.is_zero() {
            return false;
        }
        let key = key(db, sql);
        let mut passed = self.lock();
        match passed.get(&key) {
            Some(at) if at.elapsed() < self.max_age => true,
            Some(_) => {
                passed.remove(&key);
                false
            }
            None => false,
        }
    }

    /// Remember that check-sql passed `sql` in `db` as a query.
    pub fn remember(&self, db: &str, sql: &str) {
        if self.max_age.is_zero() {
            return;
        }
        let mut passed = self.lock();
        if passed.len() >= MAX_ENTRIES {
            let max_age = self.max_age;
            passed.retain(|_, at| at.elapsed() < max_age);
            if passed.len() >= MAX_ENTRIES
                && let Some(oldest) = passed.iter().min_by_key(|(_, at)| **at).map(|(k, _)| *k)
            {
                passed.remove(&oldest);
            }
        }
        passed.insert(key(db, sql), Instant::now());
    }

    /// Forget every pass (the gateway ran DDL).
    pub fn forget_all(&self) {
        self.lock().clear();
    }

    /// Passes kept now (tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_sql_judges_all_but_update_delete_merge() {
        for sql in [
            "SELECT 1",
            "insert into t values (1)",
            "/* c */ CREATE TABLE t (a int)",
        ] {
            assert!(check_sql_knows(sql), "{sql}");
        }
        for sql in [
            "UPDATE t SET a = 1",
            "-- note\n delete from t",
            "/* x */MERGE INTO t USING s ON true",
        ] {
            assert!(!check_sql_knows(sql), "{sql}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_pass_is_kept_per_database_until_it_ages_or_ddl_runs() {
        let memo = CheckMemo::new(Duration::from_secs(60));
        assert!(!memo.passed("db", "SELECT 1 FROM t"));
        memo.remember("db", "SELECT 1 FROM t");
        assert!(memo.passed("db", "SELECT 1 FROM t"));
        assert!(!memo.passed("other", "SELECT 1 FROM t"));
        assert!(!memo.passed("db", "SELECT 2 FROM t"));
        tokio::time::advance(Duration::from_secs(61)).await;
        assert!(!memo.passed("db", "SELECT 1 FROM t"));
        assert_eq!(memo.len(), 0, "an aged pass is dropped when looked up");
        memo.remember("db", "SELECT 1 FROM t");
        memo.forget_all();
        assert!(!memo.passed("db", "SELECT 1 FROM t"));
    }

    #[tokio::test(start_paused = true)]
    async fn the_memo_is_bounded_and_off_at_zero() {
        let memo = CheckMemo::new(Duration::from_secs(60));
        for i in 0..MAX_ENTRIES + 10 {
            memo.remember("db", &format!("SELECT {i}"));
            tokio::time::advance(Duration::from_millis(1)).await;
        }
        assert_eq!(memo.len(), MAX_ENTRIES);
        assert!(!memo.passed("db", "SELECT 0"), "the oldest went first");
        assert!(memo.passed("db", &format!("SELECT {}", MAX_ENTRIES + 9)));
        let off = CheckMemo::new(Duration::ZERO);
        off.remember("db", "SELECT 1");
        assert!(!off.passed("db", "SELECT 1"));
    }
}
