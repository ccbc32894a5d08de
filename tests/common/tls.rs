//! Fixtures for connection-security tests: a self-signed certificate, the gateway's
//! `[server.tls]` for it, tokio-postgres connections that trust it, a config with
//! lenient login throttling, and one for `dli-passthrough` logins.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use dli_pg_gateway::app::Gateway;
use dli_pg_gateway::config::Config;
use dli_pg_gateway::gateway::config::AuthMethod;
use dli_pg_gateway::gateway::throttle::ThrottleConfig;
use dli_pg_gateway::gateway::tls::{TlsConfig, TlsMode};
use pgwire::tokio::tokio_rustls::rustls;
use tokio_postgres::{Client, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;

pub struct Cert {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    pub der: rustls::pki_types::CertificateDer<'static>,
}

pub fn self_signed(dir: &Path) -> Cert {
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

pub fn tls_config(cert: &Cert, mode: TlsMode) -> TlsConfig {
    TlsConfig {
        mode,
        cert_file: Some(cert.cert_file.clone()),
        key_file: Some(cert.key_file.clone()),
    }
}

pub fn conn_str(gw: &Gateway, user: &str, password: &str, extra: &str) -> String {
    format!(
        "host=localhost hostaddr=127.0.0.1 port={} user='{user}' password='{password}' dbname=dli connect_timeout=20 {extra}",
        gw.addr().port()
    )
}

pub fn rustls_connector(cert: &Cert) -> MakeRustlsConnect {
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

pub async fn connect_plain(
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

pub async fn connect_tls(
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

/// Throttling that never gets in the way of tests about something else.
pub fn lenient_throttle() -> ThrottleConfig {
    ThrottleConfig {
        free_failures: 1000,
        ..Default::default()
    }
}

pub fn base_config(dir: &Path) -> Config {
    super::logs();
    let mut cfg = super::test_config(&dir.join("wh"), false);
    cfg.server.throttle = lenient_throttle();
    cfg
}

pub fn passthrough_config(dir: &Path, cert: &Cert) -> Config {
    let mut cfg = base_config(dir);
    cfg.server.auth_method = AuthMethod::DliPassthrough;
    cfg.server.users = Vec::new();
    cfg.server.tls = tls_config(cert, TlsMode::Optional);
    cfg.local.iam_password = "iam-pass-Q7".into();
    cfg.local.access_key = "PASSAK".into();
    cfg.local.secret_key = "pass-sk-Z9".into();
    cfg
}

pub fn sqlstate(e: &tokio_postgres::Error) -> String {
    e.code()
        .map(|c| c.code().to_string())
        .unwrap_or_else(|| panic!("no SQLSTATE in {e:?}"))
}

pub fn message(e: &tokio_postgres::Error) -> String {
    e.as_db_error()
        .map(|d| d.message().to_string())
        .unwrap_or_default()
}

pub async fn select_one(client: &Client) {
    let rows = super::simple_rows(client, "SELECT 1").await;
    assert_eq!(rows, vec![vec![Some("1".to_string())]]);
}
