//! Prometheus metrics: the one registry of the process and the calls that feed it.
//!
//! Owns: every metric's name, type, labels and help text (README "Metrics" lists them),
//! the process-wide registry, the recording functions the other modules call with plain
//! labels (`&str`, numbers, durations), and the text exposition ([`render`]). The HTTP
//! endpoint that serves it is [`http`]. A leaf: it imports nothing of the crate, so the
//! gateway, the DLI client and the catalog can all record without seeing each other's
//! types (the protocol layer never names an HTTP status; the DLI client never names a
//! SQLSTATE). Recording is a few atomic operations and costs the same whether or not the
//! endpoint is enabled.
//!
//! One registry per process: two gateways started in one process (tests) add up.

pub mod http;

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Every metric name starts with this (`dligw_sessions_open`).
pub const PREFIX: &str = "dligw";

type Labels = Vec<(&'static str, String)>;
type Histograms = Family<Labels, Histogram, fn() -> Histogram>;

/// DLI call latencies: 5 ms … 41 s.
fn call_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.005, 2.0, 14))
}

/// Statement durations and queue waits: 10 ms … 5.5 min (DLI jobs queue for minutes).
fn long_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.01, 2.0, 16))
}

struct Metrics {
    registry: Registry,
    sessions_open: Gauge,
    sessions: Counter,
    connections_refused: Family<Labels, Counter>,
    statements: Family<Labels, Counter>,
    statement_seconds: Histograms,
    dli_jobs: Family<Labels, Counter>,
    job_sharing: Family<Labels, Counter>,
    dli_calls: Family<Labels, Counter>,
    dli_call_seconds: Histograms,
    dli_retries: Family<Labels, Counter>,
    queue_wait: Histogram,
    rows_sent: Counter,
    bytes_sent: Counter,
    bytes_received: Counter,
    catalog_loads: Family<Labels, Counter>,
    catalog_age: Gauge<f64, AtomicU64>,
    /// Unix time of the last successful catalog load, in ms (0: none yet).
    catalog_loaded_ms: AtomicU64,
}

impl Metrics {
    fn new() -> Self {
        let m = Metrics {
            registry: Registry::with_prefix(PREFIX),
            sessions_open: Gauge::default(),
            sessions: Counter::default(),
            connections_refused: Family::default(),
            statements: Family::default(),
            statement_seconds: Family::new_with_constructor(long_histogram),
            dli_jobs: Family::default(),
            job_sharing: Family::default(),
            dli_calls: Family::default(),
            dli_call_seconds: Family::new_with_constructor(call_histogram),
            dli_retries: Family::default(),
            queue_wait: long_histogram(),
            rows_sent: Counter::default(),
            bytes_sent: Counter::default(),
            bytes_received: Counter::default(),
            catalog_loads: Family::default(),
            catalog_age: Gauge::default(),
            catalog_loaded_ms: AtomicU64::new(0),
        };
        m.register()
    }

    fn register(mut self) -> Self {
        let r = &mut self.registry;
        r.register(
            "sessions_open",
            "Client sessions logged in now",
            self.sessions_open.clone(),
        );
        r.register(
            "sessions",
            "Client sessions logged in since start",
            self.sessions.clone(),
        );
        r.register(
            "connections_refused",
            "Connections refused before login, by reason (too_many_connections, shutting_down)",
            self.connections_refused.clone(),
        );
        r.register(
            "statements",
            "Statements executed, by kind and SQLSTATE class (00 = success)",
            self.statements.clone(),
        );
        r.register(
            "statement_duration_seconds",
            "Time from a statement's start to its result (rows then stream), by kind",
            self.statement_seconds.clone(),
        );
        r.register(
            "dli_jobs",
            "DLI jobs ended, by final state (FINISHED, FAILED, CANCELLED as DLI reported it; gateway_cancelled when the gateway cancelled it)",
            self.dli_jobs.clone(),
        );
        r.register(
            "job_sharing",
            "Statements answered without a job of their own, by outcome (attached: waited for an identical job in flight; reused_local, reused_tags: reused a finished identical query's result from this replica's record or found by its job tag) and reuses that fell back to running (reuse_expired: DLI.0100; reuse_failed)",
            self.job_sharing.clone(),
        );
        r.register(
            "dli_api_calls",
            "DLI HTTP calls, by endpoint and HTTP status (error: no answer)",
            self.dli_calls.clone(),
        );
        r.register(
            "dli_api_call_duration_seconds",
            "DLI HTTP call latency, by endpoint",
            self.dli_call_seconds.clone(),
        );
        r.register(
            "dli_api_retries",
            "DLI HTTP calls retried, by endpoint",
            self.dli_retries.clone(),
        );
        r.register(
            "dli_job_queue_wait_seconds",
            "Time from a DLI job's submission to the first status poll that saw it RUNNING",
            self.queue_wait.clone(),
        );
        r.register(
            "rows_sent",
            "Result rows sent to clients (DataRow messages)",
            self.rows_sent.clone(),
        );
        r.register(
            "client_bytes_sent",
            "Bytes written to client connections",
            self.bytes_sent.clone(),
        );
        r.register(
            "client_bytes_received",
            "Bytes read from client connections",
            self.bytes_received.clone(),
        );
        r.register(
            "catalog_loads",
            "Catalog metadata loads, by kind (full, partial, columns) and outcome (ok, error)",
            self.catalog_loads.clone(),
        );
        r.register(
            "catalog_cache_age_seconds",
            "Seconds since the catalog metadata was last loaded (-1: never)",
            self.catalog_age.clone(),
        );
        self
    }
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

fn m() -> &'static Metrics {
    &METRICS
}

fn label(key: &'static str, value: &str) -> Labels {
    vec![(key, value.to_string())]
}

/// A client logged in.
pub fn session_opened() {
    m().sessions.inc();
    m().sessions_open.inc();
}

/// A logged-in client's connection ended.
pub fn session_closed() {
    m().sessions_open.dec();
}

/// A connection refused before login (`too_many_connections`, `shutting_down`).
pub fn connection_refused(reason: &'static str) {
    m().connections_refused
        .get_or_create(&label("reason", reason))
        .inc();
}

/// A statement ended: its kind, its SQLSTATE (`None`: success) and how long it took.
pub fn statement(kind: &'static str, sqlstate: Option<&str>, elapsed: Duration) {
    let class = sqlstate.map_or("00", |s| s.get(..2).unwrap_or(s));
    m().statements
        .get_or_create(&vec![
            ("kind", kind.to_string()),
            ("class", class.to_string()),
        ])
        .inc();
    m().statement_seconds
        .get_or_create(&label("kind", kind))
        .observe(elapsed.as_secs_f64());
}

/// A DLI job ended in `state` (DLI's state name, or `gateway_cancelled`).
pub fn dli_job_ended(state: &str) {
    m().dli_jobs.get_or_create(&label("state", state)).inc();
}

/// A statement shared a job or reused a result, or a reuse fell back (see the help).
pub fn job_sharing(outcome: &str) {
    m().job_sharing
        .get_or_create(&label("outcome", outcome))
        .inc();
}

/// One DLI HTTP call: its endpoint (a path template such as `GET /jobs/{}/status`), the
/// HTTP status (`None`: no answer) and its latency.
pub fn dli_call(endpoint: &str, status: Option<u16>, elapsed: Duration) {
    let status = status.map_or_else(|| "error".to_string(), |s| s.to_string());
    m().dli_calls
        .get_or_create(&vec![
            ("endpoint", endpoint.to_string()),
            ("status", status),
        ])
        .inc();
    m().dli_call_seconds
        .get_or_create(&label("endpoint", endpoint))
        .observe(elapsed.as_secs_f64());
}

/// A DLI call about to be retried.
pub fn dli_retry(endpoint: &str) {
    m().dli_retries
        .get_or_create(&label("endpoint", endpoint))
        .inc();
}

/// How long a DLI job waited from submission to RUNNING.
pub fn queue_wait(waited: Duration) {
    m().queue_wait.observe(waited.as_secs_f64());
}

/// Result rows encoded for a client.
pub fn rows_sent(n: usize) {
    m().rows_sent.inc_by(n as u64);
}

/// Bytes written to a client.
pub fn bytes_sent(n: usize) {
    m().bytes_sent.inc_by(n as u64);
}

/// Bytes read from a client.
pub fn bytes_received(n: usize) {
    m().bytes_received.inc_by(n as u64);
}

/// A catalog load (`full`, `partial`, `columns`) ended; `ok` resets the cache age.
pub fn catalog_load(kind: &'static str, ok: bool) {
    let outcome = if ok { "ok" } else { "error" };
    m().catalog_loads
        .get_or_create(&vec![
            ("kind", kind.to_string()),
            ("outcome", outcome.into()),
        ])
        .inc();
    if ok {
        m().catalog_loaded_ms.store(unix_ms(), Ordering::Relaxed);
    }
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Every metric in the Prometheus / OpenMetrics text format.
pub fn render() -> String {
    let loaded = m().catalog_loaded_ms.load(Ordering::Relaxed);
    let age = if loaded == 0 {
        -1.0
    } else {
        unix_ms().saturating_sub(loaded) as f64 / 1000.0
    };
    m().catalog_age.set(age);
    let mut out = String::new();
    if let Err(e) = encode(&mut out, &m().registry) {
        tracing::warn!(error = %e, "could not encode the metrics");
    }
    out
}

/// The content type of [`render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[cfg(test)]
mod tests {
    #[test]
    fn recorded_values_are_rendered_with_their_labels() {
        super::statement("query", Some("42P01"), std::time::Duration::from_millis(3));
        super::dli_call("GET /jobs/{}/status", Some(200), std::time::Duration::ZERO);
        super::dli_call("POST /jobs/submit-job", None, std::time::Duration::ZERO);
        let text = super::render();
        assert!(
            text.contains(r#"dligw_statements_total{kind="query",class="42"}"#),
            "{text}"
        );
        assert!(
            text.contains(
                r#"dligw_dli_api_calls_total{endpoint="GET /jobs/{}/status",status="200"}"#
            ),
            "{text}"
        );
        assert!(text.contains(r#"status="error""#), "{text}");
        assert!(text.contains("# TYPE dligw_sessions_open gauge"), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
