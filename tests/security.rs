//! Connection security end to end: TLS (optional / required, SCRAM channel binding),
//! password methods against config users, uniform 28P01 failures, login throttling,
//! DLI-credential passthrough against the embedded service's IAM, and no secret in logs.

mod common;

use common::{captured, logs};

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dli_pg_gateway::app::Gateway;
use dli_pg_gateway::config::Config;
use dli_pg_gateway::gateway::config::{AuthMethod, UserConfig};
use dli_pg_gateway::gateway::throttle::ThrottleConfig;
use dli_pg_gateway::gateway::tls::{TlsConfig, TlsMode};
use pgwire::tokio::tokio_rustls::rustls;
use tokio_postgres::{Client, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;

// ---------------------------------------------------------------- fixtures

struct Cert {
    cert_file: PathBuf,
    key_file: PathBuf,
    der: rustls::pki_types::CertificateDer<'static>,
}

fn self_signed(dir: &Path) -> Cert {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("rcgen");
    let cert_file = dir.join("server.crt");
    let key_file = dir.join("server.key");
    std::fs::write(&cert_file, ck.cert.pem()).unwrap();
    std::fs::write(&key_file, ck.signing_key.serialize_pem()).unwrap();
    Cert {
        cert_file,
        key_file,
        der: ck.cert.der().clone(),
    }
}

fn tls_config(cert: &Cert, mode: TlsMode) -> TlsConfig {
    TlsConfig {
        mode,
        cert_file: Some(cert.cert_file.clone()),
        key_file: Some(cert.key_file.clone()),
    }
}

/// Throttling that never gets in the way of tests about something else.
fn lenient_throttle() -> ThrottleConfig {
    ThrottleConfig {
        free_failures: 1000,
        ..Default::default()
    }
}

fn base_config(dir: &Path) -> Config {
    logs();
    let mut cfg = common::test_config(&dir.join("wh"), false);
    cfg.server.throttle = lenient_throttle();
    cfg
}

fn users(list: &[(&str, &str)]) -> Vec<UserConfig> {
    list.iter()
        .map(|(n, p)| UserConfig {
            name: n.to_string(),
            password: p.to_string(),
        })
        .collect()
}

fn conn_str(gw: &Gateway, user: &str, password: &str, extra: &str) -> String {
    format!(
        "host=localhost hostaddr=127.0.0.1 port={} user='{user}' password='{password}' dbname=dli connect_timeout=20 {extra}",
        gw.addr().port()
    )
}

fn rustls_connector(cert: &Cert) -> MakeRustlsConnect {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.der.clone()).expect("root cert");
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    MakeRustlsConnect::new(cfg)
}

async fn connect_plain(
    gw: &Gateway,
    user: &str,
    password: &str,
) -> Result<Client, tokio_postgres::Error> {
    let (client, conn) =
        tokio_postgres::connect(&conn_str(gw, user, password, "sslmode=disable"), NoTls).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}

async fn connect_tls(
    gw: &Gateway,
    cert: &Cert,
    user: &str,
    password: &str,
    extra: &str,
) -> Result<Client, tokio_postgres::Error> {
    let s = conn_str(gw, user, password, &format!("sslmode=require {extra}"));
    let (client, conn) = tokio_postgres::connect(&s, rustls_connector(cert)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}

fn sqlstate(e: &tokio_postgres::Error) -> String {
    e.code()
        .map(|c| c.code().to_string())
        .unwrap_or_else(|| panic!("no SQLSTATE in {e:?}"))
}

fn message(e: &tokio_postgres::Error) -> String {
    e.as_db_error()
        .map(|d| d.message().to_string())
        .unwrap_or_default()
}

async fn select_one(client: &Client) {
    let rows = common::simple_rows(client, "SELECT 1").await;
    assert_eq!(rows, vec![vec![Some("1".to_string())]]);
}

// ---------------------------------------------------------------- TLS

#[tokio::test]
async fn tls_optional_serves_plaintext_and_tls_with_channel_binding() {
    let dir = tempfile::tempdir().unwrap();
    let cert = self_signed(dir.path());
    let mut cfg = base_config(dir.path());
    cfg.server.tls = tls_config(&cert, TlsMode::Optional);
    let gw = common::start(cfg).await;

    let plain = connect_plain(&gw, "dli", "dli").await.expect("plaintext");
    select_one(&plain).await;
    // SCRAM-SHA-256-PLUS: the server offers it over TLS, the client insists on it.
    let tls = connect_tls(&gw, &cert, "dli", "dli", "channel_binding=require")
        .await
        .expect("TLS with channel binding");
    select_one(&tls).await;
    let e = connect_tls(&gw, &cert, "dli", "wrong", "")
        .await
        .expect_err("wrong password over TLS");
    assert_eq!(sqlstate(&e), "28P01");
    gw.shutdown().await;
}

#[tokio::test]
async fn tls_required_refuses_plaintext() {
    let dir = tempfile::tempdir().unwrap();
    let cert = self_signed(dir.path());
    let mut cfg = base_config(dir.path());
    cfg.server.tls = tls_config(&cert, TlsMode::Required);
    let gw = common::start(cfg).await;

    let e = connect_plain(&gw, "dli", "dli")
        .await
        .expect_err("plaintext refused");
    assert_eq!(sqlstate(&e), "28000");
    assert!(message(&e).contains("TLS is required"), "{e:?}");
    let tls = connect_tls(&gw, &cert, "dli", "dli", "")
        .await
        .expect("TLS");
    select_one(&tls).await;
    gw.shutdown().await;
}

#[tokio::test]
async fn bad_tls_files_stop_the_start_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = base_config(dir.path());
    let bogus = dir.path().join("nope.pem");
    std::fs::write(&bogus, "not a certificate").unwrap();
    cfg.server.tls = TlsConfig {
        mode: TlsMode::Required,
        cert_file: Some(bogus.clone()),
        key_file: Some(bogus),
    };
    let err = Gateway::start(cfg).await.err().expect("start fails");
    assert!(err.to_string().contains("cert_file"), "{err}");

    let e = Config::from_toml_and_env("[server.tls]\nmode = \"required\"\n", &[]).unwrap_err();
    assert!(e.0.contains("cert_file and key_file"), "{e}");
    let e = Config::from_toml_and_env("[server.tls]\nmode = \"sometimes\"\n", &[]).unwrap_err();
    assert!(e.0.contains("sometimes"), "{e}");
    let e = Config::from_toml_and_env("[server]\nauth_method = \"dli-passthrough\"\n", &[])
        .unwrap_err();
    assert!(e.0.contains("[server.tls]"), "{e}");
}

#[test]
fn example_config_parses_and_tls_keys_work_from_the_environment() {
    let text = include_str!("../config/gateway.example.toml");
    let cfg = Config::from_toml_and_env(text, &[]).expect("example config");
    assert_eq!(cfg.server.tls.mode, TlsMode::Disabled);
    assert_eq!(cfg.server.throttle, ThrottleConfig::default());

    let dir = tempfile::tempdir().unwrap();
    let cert = self_signed(dir.path());
    let env: Vec<(String, String)> = [
        ("DLIGW__SERVER__AUTH_METHOD", "dli-passthrough"),
        ("DLIGW__SERVER__TLS__MODE", "required"),
        (
            "DLIGW__SERVER__TLS__CERT_FILE",
            cert.cert_file.to_str().unwrap(),
        ),
        (
            "DLIGW__SERVER__TLS__KEY_FILE",
            cert.key_file.to_str().unwrap(),
        ),
        ("DLIGW__SERVER__THROTTLE__MAX_DELAY_MS", "2000"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let cfg = Config::from_toml_and_env(text, &env).expect("env overrides");
    assert_eq!(cfg.server.auth_method, AuthMethod::DliPassthrough);
    assert_eq!(cfg.server.tls.mode, TlsMode::Required);
    assert_eq!(cfg.server.throttle.max_delay_ms, 2000);
}

// ---------------------------------------------------------------- password methods

#[tokio::test]
async fn password_methods_accept_the_right_password_only() {
    for method in [
        AuthMethod::ScramSha256,
        AuthMethod::Md5,
        AuthMethod::Password,
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = base_config(dir.path());
        cfg.server.auth_method = method;
        cfg.server.users = users(&[("alice", "alice-pw"), ("bob", "bob-pw")]);
        let gw = common::start(cfg).await;

        let ok = connect_plain(&gw, "alice", "alice-pw")
            .await
            .unwrap_or_else(|e| panic!("{method:?}: {e:?}"));
        select_one(&ok).await;
        connect_plain(&gw, "bob", "bob-pw")
            .await
            .unwrap_or_else(|e| panic!("{method:?}: {e:?}"));

        let wrong = connect_plain(&gw, "alice", "bob-pw").await.err().unwrap();
        let unknown = connect_plain(&gw, "mallory", "alice-pw")
            .await
            .err()
            .unwrap();
        assert_eq!(sqlstate(&wrong), "28P01", "{method:?}");
        assert_eq!(sqlstate(&unknown), "28P01", "{method:?}");
        assert_eq!(
            message(&wrong),
            "password authentication failed for user \"alice\""
        );
        // an unknown user gets the very same answer
        assert_eq!(
            message(&unknown),
            "password authentication failed for user \"mallory\""
        );
        gw.shutdown().await;
    }
}

#[tokio::test]
async fn trust_needs_no_password() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = base_config(dir.path());
    cfg.server.auth_method = AuthMethod::Trust;
    let gw = common::start(cfg).await;
    let c = connect_plain(&gw, "anyone", "").await.expect("trust");
    select_one(&c).await;
    gw.shutdown().await;
}

// ---------------------------------------------------------------- throttling

#[tokio::test]
async fn repeated_failures_delay_the_next_attempt() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = base_config(dir.path());
    cfg.server.throttle = ThrottleConfig {
        free_failures: 1,
        base_delay_ms: 400,
        max_delay_ms: 400,
        ..Default::default()
    };
    let gw = common::start(cfg).await;

    for _ in 0..2 {
        let e = connect_plain(&gw, "dli", "guess").await.err().unwrap();
        assert_eq!(sqlstate(&e), "28P01");
    }
    // the third attempt (even with the right password) waits first …
    let t = Instant::now();
    let c = connect_plain(&gw, "dli", "dli")
        .await
        .expect("right password");
    assert!(
        t.elapsed() >= Duration::from_millis(400),
        "{:?}",
        t.elapsed()
    );
    select_one(&c).await;
    // … and the success reset the count (the throttle's unit tests check the exact delays).
    let e = connect_plain(&gw, "dli", "guess").await.err().unwrap();
    assert_eq!(sqlstate(&e), "28P01");
    gw.shutdown().await;
}

// ---------------------------------------------------------------- passthrough

fn passthrough_config(dir: &Path, cert: &Cert) -> Config {
    let mut cfg = base_config(dir);
    cfg.server.auth_method = AuthMethod::DliPassthrough;
    cfg.server.users = Vec::new();
    cfg.server.tls = tls_config(cert, TlsMode::Optional);
    cfg.local.iam_password = "iam-pass-Q7".into();
    cfg.local.access_key = "PASSAK".into();
    cfg.local.secret_key = "pass-sk-Z9".into();
    cfg
}

#[tokio::test]
async fn passthrough_runs_sessions_with_the_users_dli_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let cert = self_signed(dir.path());
    let gw = common::start(passthrough_config(dir.path(), &cert)).await;

    // IAM password; the domain comes from [dli.auth] (the embedded service's "local") …
    let c = connect_tls(&gw, &cert, "dli", "iam-pass-Q7", "")
        .await
        .expect("IAM password login");
    select_one(&c).await;
    // … or from user@domain
    let c = connect_tls(&gw, &cert, "dli@local", "iam-pass-Q7", "")
        .await
        .expect("user@domain login");
    select_one(&c).await;
    // AK/SK
    let c = connect_tls(&gw, &cert, "someone", "ak:PASSAK:pass-sk-Z9", "")
        .await
        .expect("AK/SK login");
    select_one(&c).await;
    // a second connection with the same credentials comes from the cache
    let c = connect_tls(&gw, &cert, "dli", "iam-pass-Q7", "")
        .await
        .expect("cached login");
    select_one(&c).await;

    for (user, pw) in [
        ("dli", "wrong-iam-pw"),
        ("dli@otherdomain", "iam-pass-Q7"),
        ("nobody", "iam-pass-Q7"),
        ("someone", "ak:PASSAK:wrong-sk"),
        ("someone", "ak:malformed"),
    ] {
        let e = connect_tls(&gw, &cert, user, pw, "")
            .await
            .err()
            .unwrap_or_else(|| panic!("{user} logged in"));
        assert_eq!(sqlstate(&e), "28P01", "{user}: {e:?}");
    }
    // never over plaintext, not even with the right password
    let e = connect_plain(&gw, "dli", "iam-pass-Q7")
        .await
        .expect_err("plaintext refused");
    assert_eq!(sqlstate(&e), "28000");
    assert!(message(&e).contains("only over TLS"), "{e:?}");
    gw.shutdown().await;
}

/// The gateway's own `[dli]` credentials are wrong here, so a statement can only succeed
/// if the session runs on the DLI client built from the login's credentials.
#[tokio::test]
async fn passthrough_sessions_run_on_the_users_own_client() {
    let dir = tempfile::tempdir().unwrap();
    let cert = self_signed(dir.path());
    let mut cfg = passthrough_config(dir.path(), &cert);
    let svc = dli_pg_gateway::localdli::start(cfg.local.clone())
        .await
        .expect("local DLI");
    cfg.dli.endpoint = svc.endpoint();
    cfg.dli.project_id = svc.project_id().to_string();
    cfg.dli.auth.mode = dli_pg_gateway::dli::AuthMode::Token;
    cfg.dli.auth.domain_name = "local".into();
    cfg.dli.auth.user_name = "dli".into();
    cfg.dli.auth.password = "not-the-password".into();
    let gw = common::start(cfg).await;

    for (user, pw) in [("dli", "iam-pass-Q7"), ("x", "ak:PASSAK:pass-sk-Z9")] {
        let c = connect_tls(&gw, &cert, user, pw, "")
            .await
            .unwrap_or_else(|e| panic!("{user}: {e:?}"));
        select_one(&c).await;
    }
    gw.shutdown().await;
    svc.shutdown().await;
}

#[tokio::test]
async fn passthrough_without_tls_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let cert = self_signed(dir.path());
    let mut cfg = passthrough_config(dir.path(), &cert);
    cfg.server.tls.mode = TlsMode::Disabled;
    let err = Gateway::start(cfg).await.err().expect("start fails");
    assert!(err.to_string().contains("dli-passthrough"), "{err}");
}

// ---------------------------------------------------------------- logs

#[tokio::test]
async fn no_password_or_secret_in_any_log_line() {
    let dir = tempfile::tempdir().unwrap();
    let cert = self_signed(dir.path());

    // cleartext method: the server sees the password itself
    let mut cfg = base_config(&dir.path().join("a"));
    cfg.server.auth_method = AuthMethod::Password;
    cfg.server.tls = tls_config(&cert, TlsMode::Required);
    cfg.server.users = users(&[("carol", "carol-S3CRET-pw")]);
    let gw = common::start(cfg).await;
    let bad = connect_tls(&gw, &cert, "carol", "carol-WR0NG-guess", "").await;
    assert_eq!(sqlstate(&bad.err().unwrap()), "28P01");
    let ok = connect_tls(&gw, &cert, "carol", "carol-S3CRET-pw", "")
        .await
        .expect("login");
    select_one(&ok).await;
    gw.shutdown().await;

    // passthrough: IAM password and AK/SK
    let mut cfg = passthrough_config(&dir.path().join("b"), &cert);
    cfg.local.iam_password = "iam-L0G-SECRET".into();
    cfg.local.secret_key = "sk-L0G-SECRET".into();
    let gw = common::start(cfg).await;
    for (user, pw, good) in [
        ("dli", "iam-L0G-SECRET", true),
        ("dli", "iam-WR0NG-SECRET", false),
        ("x", "ak:PASSAK:sk-L0G-SECRET", true),
        ("x", "ak:PASSAK:sk-WR0NG-SECRET", false),
    ] {
        let r = connect_tls(&gw, &cert, user, pw, "").await;
        match r {
            Ok(c) if good => select_one(&c).await,
            Err(e) if !good => assert_eq!(sqlstate(&e), "28P01"),
            other => panic!("{user}: unexpected {:?}", other.err()),
        }
    }
    gw.shutdown().await;

    let text = captured();
    assert!(text.contains("login failed"), "log capture works");
    assert!(text.contains("user=carol"), "log lines name the user");
    for secret in [
        "carol-S3CRET-pw",
        "carol-WR0NG-guess",
        "iam-L0G-SECRET",
        "iam-WR0NG-SECRET",
        "sk-L0G-SECRET",
        "sk-WR0NG-SECRET",
        "S3CRET",
        "WR0NG",
        "L0G-SECRET",
    ] {
        assert!(
            !text.contains(secret),
            "secret {secret:?} found in the logs"
        );
    }
}
