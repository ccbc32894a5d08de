//! Bad input never takes the server down: malformed frames, lying lengths, broken SCRAM
//! exchanges and out-of-place messages each get an ErrorResponse with Postgres' SQLSTATE
//! and a closed connection; the gateway goes on serving others; nothing panics. Statements
//! nested too deeply are refused with 54001 by the gateway and by the embedded service,
//! and a deep-but-reasonable one is answered. Raw frames over loopback to the real
//! gateway and embedded service.

mod common;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::wire::{self, Backend, Raw, error_codes, msg};
use dli_pg_gateway::app::Gateway;
use dli_pg_gateway::gateway::config::AuthMethod;

const WAIT: Duration = Duration::from_secs(10);

/// Panics anywhere in this test process (the gateway runs in it).
fn panics() -> usize {
    static PANICS: AtomicUsize = AtomicUsize::new(0);
    static HOOK: OnceLock<()> = OnceLock::new();
    HOOK.get_or_init(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::SeqCst);
            default(info)
        }));
    });
    PANICS.load(Ordering::SeqCst)
}

async fn gateway(dir: &std::path::Path, method: AuthMethod) -> Gateway {
    panics();
    let mut cfg = common::test_config(&dir.join("wh"), false);
    cfg.server.auth_method = method;
    cfg.server.throttle.free_failures = 1000;
    common::start(cfg).await
}

/// A trust login over a raw socket, up to ReadyForQuery.
async fn logged_in(gw: &Gateway) -> Raw {
    let mut c = Raw::connect(gw.addr()).await;
    c.send(&wire::startup(&[("user", "dli"), ("database", "dli")]))
        .await;
    let m = c.until_ready(WAIT).await;
    assert_eq!(m.last().map(|m| m.kind), Some(b'Z'), "login: {m:?}");
    c
}

/// After `bytes`, the server answers with an ErrorResponse of `code` (FATAL) and closes.
async fn refused_with(c: &mut Raw, bytes: &[u8], code: &str, what: &str) -> Backend {
    c.send(bytes).await;
    let msgs = c.drain(WAIT).await;
    assert!(c.closed, "{what}: still open after {msgs:?}");
    let err = msgs
        .iter()
        .find(|m| m.kind == b'E')
        .unwrap_or_else(|| panic!("{what}: no ErrorResponse in {msgs:?}"))
        .clone();
    assert_eq!(err.field(b'C').as_deref(), Some(code), "{what}: {err:?}");
    assert_eq!(err.field(b'S').as_deref(), Some("FATAL"), "{what}");
    err
}

/// The gateway still serves a normal client.
async fn still_serving(gw: &Gateway) {
    let client = common::connect(gw).await;
    let rows = common::simple_rows(&client, "SELECT 1").await;
    assert_eq!(rows, vec![vec![Some("1".to_string())]]);
}

#[tokio::test]
async fn malformed_frames_after_login_are_refused_and_closed() {
    let dir = tempfile::tempdir().unwrap();
    let gw = gateway(dir.path(), AuthMethod::Trust).await;
    let before = panics();
    let mut bind_negative = wire::cstr("");
    bind_negative.extend(wire::cstr("s"));
    bind_negative.extend([0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe, 0, 0]);
    let mut bind_short = wire::cstr("");
    bind_short.extend(wire::cstr("s"));
    bind_short.extend([0, 0, 0, 3, 0, 0, 0, 1, b'1']);
    let mut bind_formats = wire::cstr("");
    bind_formats.extend(wire::cstr("s"));
    bind_formats.extend([0, 2, 0, 0, 0, 0, 0, 3]);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("length below 4", vec![b'Q', 0, 0, 0, 2], "08P01"),
        ("absurd length", vec![b'Q', 0x7f, 0xff, 0xff, 0xff], "08P01"),
        (
            "negative length",
            vec![b'Q', 0xff, 0xff, 0xff, 0xf0],
            "08P01",
        ),
        ("unknown type", msg(b'Z', b"x"), "08P01"),
        ("query without NUL", msg(b'Q', b"SELECT 1"), "08P01"),
        (
            "query invalid UTF-8",
            msg(b'Q', b"SELECT '\xff\xfe'\0"),
            "22021",
        ),
        (
            "parse count past payload",
            msg(b'P', b"s\0SELECT $1\0\x00\x05\0\0\0\x19"),
            "08P01",
        ),
        ("parse truncated", msg(b'P', b"s\0SELECT 1"), "08P01"),
        (
            "parse invalid UTF-8",
            msg(b'P', b"s\0SELECT \xc3\0\0\0"),
            "22021",
        ),
        ("bind negative length", msg(b'B', &bind_negative), "08P01"),
        ("bind count past payload", msg(b'B', &bind_short), "08P01"),
        (
            "bind format count mismatch",
            msg(b'B', &bind_formats),
            "08P01",
        ),
        ("execute truncated", msg(b'E', b"\0\0"), "08P01"),
        ("describe bad target", msg(b'D', b"Q\0"), "08P01"),
        ("sync with body", msg(b'S', b"junk"), "08P01"),
        (
            "startup packet again",
            wire::startup(&[("user", "dli")]),
            "08P01",
        ),
    ];
    for (what, bytes, code) in cases {
        let mut c = logged_in(&gw).await;
        refused_with(&mut c, &bytes, code, what).await;
    }
    // a valid message ahead of a broken one is answered first
    let mut c = logged_in(&gw).await;
    let mut both = wire::query("SELECT 41 + 1");
    both.extend([b'Q', 0, 0, 0, 1]);
    c.send(&both).await;
    let msgs = c.drain(WAIT).await;
    assert!(msgs.iter().any(|m| m.kind == b'D'), "{msgs:?}");
    assert_eq!(error_codes(&msgs), vec!["08P01"]);
    assert!(c.closed);
    still_serving(&gw).await;
    assert_eq!(panics(), before, "a panic was logged");
    gw.shutdown().await;
}

#[tokio::test]
async fn extended_protocol_edge_values_behave_like_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let gw = gateway(dir.path(), AuthMethod::Trust).await;
    let before = panics();
    // Execute with a negative row limit: all rows, as Postgres reads any limit <= 0
    let mut c = logged_in(&gw).await;
    let mut batch = wire::parse("s", "SELECT 7", &[]);
    batch.extend(wire::bind("", "s", &[], &[]));
    batch.extend(wire::execute("", -5));
    batch.extend(wire::sync());
    c.send(&batch).await;
    let msgs = c.until_ready(WAIT).await;
    let kinds: Vec<u8> = msgs.iter().map(|m| m.kind).collect();
    assert_eq!(kinds, b"12DCZ".to_vec(), "{msgs:?}");
    // more result formats than columns: 08P01 for the statement, the session goes on
    let mut batch = wire::bind("p", "s", &[], &[0, 1]);
    batch.extend(wire::describe(b'P', "p"));
    batch.extend(wire::sync());
    c.send(&batch).await;
    let msgs = c.until_ready(WAIT).await;
    assert_eq!(error_codes(&msgs), vec!["08P01"], "{msgs:?}");
    c.send(&wire::query("SELECT 8")).await;
    let msgs = c.until_ready(WAIT).await;
    assert!(msgs.iter().any(|m| m.kind == b'D'), "{msgs:?}");
    assert_eq!(panics(), before, "a panic was logged");
    gw.shutdown().await;
}

#[tokio::test]
async fn broken_startups_get_postgres_answers() {
    let dir = tempfile::tempdir().unwrap();
    let gw = gateway(dir.path(), AuthMethod::ScramSha256).await;
    let before = panics();
    let mut no_terminator = wire::startup(&[("user", "dli")]);
    no_terminator.pop();
    let len = (no_terminator.len() as u32).to_be_bytes();
    no_terminator[..4].copy_from_slice(&len);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "protocol 2.0",
            wire::startup_version(2 << 16, &[("user", "dli")]),
            "0A000",
        ),
        (
            "protocol 4.0",
            wire::startup_version(4 << 16, &[("user", "dli")]),
            "0A000",
        ),
        ("length below 8", vec![0, 0, 0, 2, 0, 3, 0, 0], "08P01"),
        ("absurd length", vec![0x7f, 0, 0, 0, 0, 3, 0, 0], "08P01"),
        ("no terminator", no_terminator, "08P01"),
    ];
    for (what, bytes, code) in cases {
        let mut c = Raw::connect(gw.addr()).await;
        refused_with(&mut c, &bytes, code, what).await;
    }
    // a second SSLRequest reads as protocol 1234.5679, as in Postgres
    let mut c = Raw::connect(gw.addr()).await;
    c.send(&wire::ssl_request()).await;
    assert_eq!(c.byte(WAIT).await, Some(b'N'));
    let e = refused_with(&mut c, &wire::ssl_request(), "0A000", "second SSLRequest").await;
    assert!(
        e.field(b'M').unwrap_or_default().contains("1234.5679"),
        "{e:?}"
    );
    still_serving(&gw).await;
    assert_eq!(panics(), before, "a panic was logged");
    gw.shutdown().await;
}

/// Startup with SCRAM up to AuthenticationSASL.
async fn sasl_started(gw: &Gateway) -> Raw {
    let mut c = Raw::connect(gw.addr()).await;
    c.send(&wire::startup(&[("user", "dli"), ("database", "dli")]))
        .await;
    let m = c.next(WAIT).await.expect("AuthenticationSASL");
    assert_eq!((m.kind, &m.body[..4]), (b'R', &[0, 0, 0, 10][..]));
    c
}

/// Through a valid client-first-message: the server's nonce.
async fn scram_first_sent(gw: &Gateway) -> (Raw, String) {
    let mut c = sasl_started(gw).await;
    c.send(&wire::sasl_initial(b"n,,n=dli,r=clientnonce")).await;
    let m = c.next(WAIT).await.expect("SASLContinue");
    assert_eq!(m.kind, b'R');
    let text = String::from_utf8_lossy(&m.body[4..]).into_owned();
    let nonce = text
        .split(',')
        .find_map(|p| p.strip_prefix("r="))
        .expect("nonce")
        .to_string();
    (c, nonce)
}

#[tokio::test]
async fn broken_scram_exchanges_are_refused_and_closed() {
    let dir = tempfile::tempdir().unwrap();
    let gw = gateway(dir.path(), AuthMethod::ScramSha256).await;
    let before = panics();
    let mut lying = wire::cstr("SCRAM-SHA-256");
    lying.extend(1000i32.to_be_bytes());
    lying.extend(b"n,,n=dli,r=x");
    let initial: Vec<(&str, Vec<u8>, &str)> = vec![
        ("query instead of SASL", wire::query("SELECT 1"), "08P01"),
        ("length past the message", msg(b'p', &lying), "08P01"),
        ("no mechanism NUL", msg(b'p', b"SCRAM-SHA-256"), "08P01"),
        (
            "short length field",
            msg(b'p', b"SCRAM-SHA-256\0\0\0"),
            "08P01",
        ),
        (
            "garbage client-first",
            wire::sasl_initial(b"\x01garbage"),
            "08P01",
        ),
        ("missing nonce", wire::sasl_initial(b"n,,n=dli"), "08P01"),
        ("message length 2", vec![b'p', 0, 0, 0, 2], "08P01"),
    ];
    for (what, bytes, code) in initial {
        let mut c = sasl_started(&gw).await;
        let e = refused_with(&mut c, &bytes, code, what).await;
        let text = e.field(b'M').unwrap_or_default();
        assert!(
            !text.contains("garbage"),
            "{what}: echoes the client: {text}"
        );
    }
    let (mut c, _) = scram_first_sent(&gw).await;
    let e = refused_with(&mut c, &wire::query("SELECT 1"), "08P01", "query for SASL").await;
    assert!(
        e.field(b'M')
            .unwrap_or_default()
            .contains("expected SASL response"),
        "{e:?}"
    );
    let (mut c, _) = scram_first_sent(&gw).await;
    let wrong = msg(b'p', b"c=biws,r=not-the-nonce,p=AAAA");
    refused_with(&mut c, &wrong, "08P01", "wrong nonce").await;
    let (mut c, _) = scram_first_sent(&gw).await;
    refused_with(&mut c, &msg(b'p', b"c=biws"), "08P01", "missing attributes").await;
    let (mut c, nonce) = scram_first_sent(&gw).await;
    let bad_proof = msg(
        b'p',
        format!("c=biws,r={nonce},p=!!not base64!!").as_bytes(),
    );
    refused_with(&mut c, &bad_proof, "28P01", "bad base64 proof").await;
    still_serving(&gw).await;
    assert_eq!(panics(), before, "a panic was logged");
    gw.shutdown().await;
}

/// `SELECT x + 1 + … + 1` over a one-row relation (not a constant the gateway answers).
fn sum(terms: usize) -> String {
    format!(
        "SELECT x{} AS s FROM (VALUES (1)) AS t(x)",
        " + 1".repeat(terms.saturating_sub(1))
    )
}

#[tokio::test]
async fn deep_statements_are_answered_or_refused_with_54001() {
    let dir = tempfile::tempdir().unwrap();
    let gw = gateway(dir.path(), AuthMethod::ScramSha256).await;
    let before = panics();
    let client = common::connect(&gw).await;
    // a 1,000-term sum (where Spark 3.5 runs out of stack) is answered
    let rows = common::simple_rows(&client, &sum(1000)).await;
    assert_eq!(rows, vec![vec![Some("1000".to_string())]]);
    let parens = format!(
        "SELECT {}x{} FROM (VALUES (5)) AS t(x)",
        "(".repeat(300),
        ")".repeat(300)
    );
    assert_eq!(
        common::simple_rows(&client, &parens).await,
        vec![vec![Some("5".into())]]
    );
    let list: Vec<String> = (0..5000).map(|i| i.to_string()).collect();
    let in_list = format!("SELECT 4999 IN ({}) AS hit", list.join(","));
    assert_eq!(
        common::simple_rows(&client, &in_list).await,
        vec![vec![Some("t".into())]]
    );
    // long AND / OR chains (a BI filter of many values) nest logarithmically, as Spark
    // balances them: 10,000 terms are answered, with the right result
    let ors: Vec<String> = (0..10_000).map(|i| format!("x = {i}")).collect();
    let or_chain = format!(
        "SELECT count(*) AS n FROM (VALUES (9999), (10000)) AS t(x) WHERE {}",
        ors.join(" OR ")
    );
    assert_eq!(
        common::simple_rows(&client, &or_chain).await,
        vec![vec![Some("1".into())]]
    );
    let ands: Vec<String> = (0..10_000).map(|i| format!("x > {i}")).collect();
    let and_chain = format!(
        "SELECT x FROM (VALUES (10000), (9999)) AS t(x) WHERE {}",
        ands.join(" AND ")
    );
    assert_eq!(
        common::simple_rows(&client, &and_chain).await,
        vec![vec![Some("10000".into())]]
    );
    // deeper than the embedded service reads: Spark's FAILED_TO_PARSE_TOO_COMPLEX, 54001
    let err = client.simple_query(&sum(1200)).await.unwrap_err();
    let db = err.as_db_error().expect("a database error");
    assert_eq!(db.code().code(), "54001", "{db:?}");
    assert!(
        db.message().contains("FAILED_TO_PARSE_TOO_COMPLEX"),
        "{db:?}"
    );
    // deeper than the gateway reads: refused before any parse or job
    for sql in [
        sum(100_000),
        format!("SELECT {}1{}", "(".repeat(5000), ")".repeat(5000)),
    ] {
        let err = client.simple_query(&sql).await.unwrap_err();
        let db = err.as_db_error().expect("a database error");
        assert_eq!(db.code().code(), "54001", "{db:?}");
        assert_eq!(db.message(), "statement too complex");
    }
    // extended protocol: the same refusal
    let err = client.prepare(&sum(100_000)).await.map(|_| ());
    let err = match err {
        Ok(()) => client.query(&sum(100_000), &[]).await.unwrap_err(),
        Err(e) => e,
    };
    assert_eq!(err.code().map(|c| c.code()), Some("54001"), "{err:?}");
    still_serving(&gw).await;
    assert_eq!(panics(), before, "a panic was logged");
    gw.shutdown().await;
}
