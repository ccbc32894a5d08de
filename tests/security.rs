//! Connection security end to end: TLS (optional / required, SCRAM channel binding),
//! password methods against config users, uniform 28P01 failures, login throttling, and
//! no secret in logs (passthrough logins: `tests/passthrough.rs`).

mod common;

use common::captured;
use common::tls::{
    base_config, connect_plain, connect_tls, message, passthrough_config, select_one, self_signed,
    sqlstate, tls_config,
};

use std::time::{Duration, Instant};

use dli_pg_gateway::app::Gateway;
use dli_pg_gateway::config::Config;
use dli_pg_gateway::gateway::config::{AuthMethod, UserConfig};
use dli_pg_gateway::gateway::throttle::ThrottleConfig;
use dli_pg_gateway::gateway::tls::{TlsConfig, TlsMode};

// ---------------------------------------------------------------- fixtures

fn users(list: &[(&str, &str)]) -> Vec<UserConfig> {
    list.iter()
        .map(|(n, p)| UserConfig {
            name: n.to_string(),
            password: p.to_string(),
        })
        .collect()
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
