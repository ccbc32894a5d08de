//! The shared state behind job sharing and result reuse: what is in flight, what
//! finished, what was written.
//!
//! Owns: [`Sharing`] (the registry of jobs in flight by [`Fingerprint`] and this
//! replica's record of finished queries and of writes through it), the statement
//! identity ([`Fingerprint`]: the Spark text as submitted, normalised, with the current
//! database, queue, job conf and DLI identity), its job tag ([`fingerprint_tag`], how
//! other replicas find the job), and what a started job is ([`Started`]). A leaf of the
//! gateway: the runner holds a [`Sharing`]; [`super::share`] and [`super::reuse`] use it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::future::{BoxFuture, Shared, WeakShared};
use sha2::{Digest, Sha256};

use super::progress::ProgressSink;
use crate::dli::{JobStatus, JobTag, JobType, SubmitJobResponse};
use crate::errors::GatewayError;

/// A submitted statement whose job has ended, its result not read yet: what clients
/// attached to one job share ([`super::share`]).
#[derive(Debug, Clone)]
pub enum Started {
    /// DLI answered synchronously, rows inline.
    Sync(SubmitJobResponse),
    /// The job reached a terminal state.
    Ended {
        job_id: String,
        job_type: JobType,
        status: Box<JobStatus>,
    },
}

/// What decides whether two statements may share a job or a result.
#[derive(Debug, Clone, Default)]
pub struct ShareSpec {
    /// The DLI identity the statement runs as (`""`: the gateway's own credentials).
    pub identity: String,
    /// A read-only query (`SELECT`): the only kind shared or reused.
    pub read_only: bool,
    /// The tables it reads (lower-case names without database), `None` when unknown:
    /// then its result is never reused.
    pub reads: Option<Vec<String>>,
    /// Reuse a finished identical query's result this young (zero: never).
    pub reuse_max_age: Duration,
    /// The session's cancel key: a job it starts carries its `[cluster]` cancel tag
    /// (a shared job carries the tag of the session that started it).
    pub cancel_key: Option<super::cluster::CancelKey>,
}

/// The tag key carrying a job's [`Fingerprint`].
pub const FINGERPRINT_TAG: &str = "dligw_fp";
/// Hex digits of the fingerprint kept in the tag (128 bits).
const TAG_DIGITS: usize = 32;

/// The session setting of the result reuse age.
pub const REUSE_SETTING: &str = "dli.result_reuse_max_age";

/// The hash of a statement's identity: equal fingerprints, same job.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// The identity of `sql` run in `currentdb` on `queue` with job `conf` as `identity`.
    pub fn of(
        sql: &str,
        currentdb: &str,
        queue: Option<&str>,
        conf: &[String],
        identity: &str,
    ) -> Fingerprint {
        let mut h = Sha256::new();
        for part in [
            normalise(sql).as_str(),
            currentdb,
            queue.unwrap_or(""),
            &conf.join("\u{1}"),
            identity,
        ] {
            h.update(part.as_bytes());
            h.update([0u8]);
        }
        Fingerprint(hex::encode(h.finalize()))
    }

    /// The value of the job's [`FINGERPRINT_TAG`].
    pub fn tag_value(&self) -> &str {
        self.0.get(..TAG_DIGITS).unwrap_or(&self.0)
    }
}

/// The tag that lets any replica find jobs of this identity (DLI lists jobs by tag,
/// §7.3.5; its filter is fuzzy, so readers compare the value exactly).
pub fn fingerprint_tag(fp: &Fingerprint) -> JobTag {
    JobTag::new(FINGERPRINT_TAG, fp.tag_value())
}

/// The Spark text with insignificant differences removed: runs of whitespace become one
/// space, unquoted words are upper-cased; literals, quoted names and comments (which may
/// carry hints) are kept as written. Text the tokenizer refuses is only trimmed.
pub fn normalise(sql: &str) -> String {
    use sqlparser::tokenizer::{Token, Tokenizer};
    let Ok(tokens) = Tokenizer::new(&crate::sparksql::SparkDialect, sql).tokenize() else {
        return sql.trim().to_string();
    };
    let mut out = String::with_capacity(sql.len());
    for t in tokens {
        match t {
            Token::Whitespace(w) if w.to_string().trim().is_empty() => {
                if !out.is_empty() && !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            Token::Word(w) if w.quote_style.is_none() => out.push_str(&w.value.to_uppercase()),
            other => out.push_str(&other.to_string()),
        }
    }
    out.trim_end().trim_end_matches(';').trim_end().to_string()
}

pub(super) type JobFuture = Shared<BoxFuture<'static, Result<Started, GatewayError>>>;
pub(super) type Sinks = Arc<Mutex<Vec<(u64, ProgressSink)>>>;

/// A job in flight and who waits for it.
pub(super) struct Entry {
    pub(super) job: WeakShared<BoxFuture<'static, Result<Started, GatewayError>>>,
    pub(super) job_id: Arc<OnceLock<String>>,
    pub(super) sinks: Sinks,
    pub(super) generation: u64,
}

/// The gateway's jobs in flight by fingerprint, and its record of finished ones.
pub struct Sharing {
    pub(super) enabled: bool,
    pub(super) inflight: Mutex<HashMap<Fingerprint, Entry>>,
    next: AtomicU64,
    pub recent: Recent,
}

impl Sharing {
    pub fn new(enabled: bool) -> Sharing {
        Sharing {
            enabled,
            inflight: Mutex::new(HashMap::new()),
            next: AtomicU64::new(1),
            recent: Recent::default(),
        }
    }

    pub(super) fn id(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed)
    }

    /// Jobs in flight now (tests, metrics).
    pub fn in_flight(&self) -> usize {
        lock(&self.inflight).len()
    }
}

/// Most finished queries remembered (the oldest go first).
const MAX_RECORDS: usize = 4096;

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Milliseconds since the epoch, as DLI's job times.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// One finished query this replica ran.
#[derive(Debug, Clone)]
pub(super) struct Record {
    pub(super) job_id: String,
    pub(super) status: JobStatus,
    /// The write record when it was submitted: its result reflects no later write.
    pub(super) submitted: Mark,
    pub(super) finished_ms: i64,
}

/// A point in this replica's write record: its sequence number (exact within the
/// replica) and the wall clock (to compare with DLI's job times of other replicas).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mark {
    pub(super) seq: u64,
    pub(super) ms: i64,
}

/// Since when a result must have seen no write.
#[derive(Debug, Clone, Copy)]
pub(super) enum Since {
    /// A record of this replica: writes after this mark outdate it.
    Local(u64),
    /// Another replica's job, submitted at this time (ms): writes then or later do.
    Ms(i64),
}

/// What a write statement touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    Nothing,
    /// These tables (lower-case names without database).
    Tables(Vec<String>),
    /// Anything (the statement's targets are unknown).
    Everything,
}

#[derive(Debug, Default)]
struct Writes {
    tables: HashMap<String, Mark>,
    everything: Mark,
    seq: u64,
}

/// This replica's finished queries and the writes through it.
#[derive(Debug, Default)]
pub struct Recent {
    pub(super) records: Mutex<HashMap<Fingerprint, Record>>,
    writes: Mutex<Writes>,
    /// Whether any statement has run with result reuse on: until then no finished query
    /// is recorded. A record is ~15 small allocations made when its job ends; 4,096 of
    /// them made at the peak of a burst pin pages across the allocator's arenas long
    /// after the burst (README "Many sessions and a steady load").
    wanted: AtomicBool,
}

impl Recent {
    /// A statement runs with result reuse on: record finished queries from now on.
    pub fn want(&self) {
        self.wanted.store(true, Ordering::Relaxed);
    }

    /// Remember a finished query (once result reuse has been wanted).
    pub fn record(
        &self,
        fp: &Fingerprint,
        job_id: &str,
        status: &JobStatus,
        submitted: Mark,
        reads: Option<&[String]>,
    ) {
        if reads.is_none() || !self.wanted.load(Ordering::Relaxed) {
            return;
        }
        let mut r = lock(&self.records);
        if r.len() >= MAX_RECORDS
            && let Some(oldest) = r
                .iter()
                .min_by_key(|(_, v)| v.finished_ms)
                .map(|(k, _)| k.clone())
        {
            r.remove(&oldest);
        }
        r.insert(
            fp.clone(),
            Record {
                job_id: job_id.to_string(),
                status: status.clone(),
                submitted,
                finished_ms: now_ms(),
            },
        );
    }

    pub(super) fn forget(&self, fp: &Fingerprint, job_id: &str) {
        let mut r = lock(&self.records);
        if r.get(fp).is_some_and(|v| v.job_id == job_id) {
            r.remove(fp);
        }
    }

    /// Where the write record stands now (a statement's submission).
    pub fn mark(&self) -> Mark {
        let w = lock(&self.writes);
        Mark {
            seq: w.seq,
            ms: now_ms(),
        }
    }

    /// A write through the gateway touched `what` now (called when it starts and ends).
    pub fn wrote(&self, what: &Written) {
        let mut w = lock(&self.writes);
        if *what == Written::Nothing {
            return;
        }
        w.seq += 1;
        let now = Mark {
            seq: w.seq,
            ms: now_ms(),
        };
        match what {
            Written::Nothing => {}
            Written::Everything => w.everything = now,
            Written::Tables(ts) => {
                for t in ts {
                    w.tables.insert(t.clone(), now);
                }
            }
        }
    }

    /// Whether a write touched one of `reads` after `since`.
    pub(super) fn written_since(&self, reads: &[String], since: Since) -> bool {
        let w = lock(&self.writes);
        let after = |m: &Mark| match since {
            Since::Local(seq) => m.seq > seq,
            Since::Ms(ms) => m.seq > 0 && m.ms >= ms,
        };
        after(&w.everything) || reads.iter().any(|t| w.tables.get(t).is_some_and(after))
    }
}

/// How long ago, for NOTICEs: `12.3 s`, `4 min 5 s`.
pub fn age_text(age: Duration) -> String {
    let s = age.as_secs_f64();
    if s < 60.0 {
        format!("{s:.1} s")
    } else {
        format!("{} min {} s", age.as_secs() / 60, age.as_secs() % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_ignores_layout_not_meaning() {
        let fp = |sql: &str, db: &str, conf: &[String], who: &str| {
            Fingerprint::of(sql, db, None, conf, who)
        };
        let a = fp("select  a\n from t", "d", &[], "");
        assert_eq!(a, fp("SELECT a FROM t;", "d", &[], ""));
        assert_ne!(
            fp("SELECT 'x' FROM t", "d", &[], ""),
            fp("SELECT 'X' FROM t", "d", &[], "")
        );
        assert_ne!(a, fp("SELECT a FROM t", "e", &[], ""));
        assert_ne!(a, fp("SELECT a FROM t", "d", &[], "u"));
        assert_ne!(a, fp("SELECT a FROM t", "d", &["k=v".into()], ""));
        assert_ne!(
            a,
            fp("SELECT a FROM t /* dli_local_delay_ms=5 */", "d", &[], "")
        );
        assert_ne!(
            a,
            Fingerprint::of("SELECT a FROM t", "d", Some("q"), &[], "")
        );
        let tag = fingerprint_tag(&a);
        assert_eq!(tag.value.len(), TAG_DIGITS);
        assert!(tag.value.chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn writes_outdate_records() {
        let r = Recent::default();
        let before = r.mark();
        r.wrote(&Written::Tables(vec!["t".into()]));
        let after = r.mark();
        let (t, u) = (["t".to_string()], ["u".to_string()]);
        assert!(r.written_since(&t, Since::Local(before.seq)));
        assert!(!r.written_since(&t, Since::Local(after.seq)));
        assert!(!r.written_since(&u, Since::Local(before.seq)));
        assert!(r.written_since(&t, Since::Ms(now_ms() - 1000)));
        assert!(!r.written_since(&u, Since::Ms(now_ms() - 1000)));
        r.wrote(&Written::Everything);
        assert!(r.written_since(&u, Since::Local(after.seq)));
    }

    #[test]
    fn ages_read_well() {
        assert_eq!(age_text(Duration::from_millis(12_340)), "12.3 s");
        assert_eq!(age_text(Duration::from_secs(245)), "4 min 5 s");
    }
}
