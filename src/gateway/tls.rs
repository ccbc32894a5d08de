//! TLS for the Postgres listener: the `[server.tls]` section and loading its PEM files.
//!
//! Owns: the TLS mode (`disabled` / `optional` / `required`), reading the certificate chain
//! and private key with rustls, and building the acceptor pgwire negotiates `SSLRequest`
//! with. Enforcing `required` happens in the startup path ([`super::auth`]), because pgwire
//! still accepts plaintext clients on a TLS-enabled listener.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use pgwire::tokio::TlsAcceptor;
use pgwire::tokio::tokio_rustls::rustls;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::Deserialize;

/// Whether clients may, must or cannot use TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// No TLS: an `SSLRequest` is answered with `N` and the client continues in plaintext
    /// (or gives up, with `sslmode=require`).
    #[default]
    Disabled,
    /// TLS when the client asks for it, plaintext otherwise.
    Optional,
    /// TLS only: a plaintext login is refused with FATAL 28000.
    Required,
}

/// The `[server.tls]` section.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    pub mode: TlsMode,
    /// PEM file with the server certificate, followed by any intermediate certificates.
    pub cert_file: Option<PathBuf>,
    /// PEM file with the private key (PKCS#8, PKCS#1 or SEC1).
    pub key_file: Option<PathBuf>,
}

/// A loaded certificate and key, ready for the listener.
#[derive(Clone)]
pub struct LoadedTls {
    pub acceptor: TlsAcceptor,
    /// The certificate file's PEM text (for SCRAM-SHA-256-PLUS channel binding).
    pub cert_pem: Vec<u8>,
}

impl std::fmt::Debug for LoadedTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedTls").finish_non_exhaustive()
    }
}

impl TlsConfig {
    pub fn enabled(&self) -> bool {
        self.mode != TlsMode::Disabled
    }

    pub fn required(&self) -> bool {
        self.mode == TlsMode::Required
    }

    /// Checks the settings and that the files load; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        self.load().map(|_| ())
    }

    /// Load the certificate and key: `None` when TLS is disabled.
    pub fn load(&self) -> Result<Option<LoadedTls>, String> {
        if !self.enabled() {
            return Ok(None);
        }
        let (Some(cert_file), Some(key_file)) = (&self.cert_file, &self.key_file) else {
            return Err(
                "[server.tls] mode = \"optional\" or \"required\" needs cert_file and key_file"
                    .into(),
            );
        };
        let cert_pem = read(cert_file, "cert_file")?;
        let certs = CertificateDer::pem_slice_iter(&cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                format!(
                    "[server.tls] cert_file {}: not a PEM certificate: {e}",
                    cert_file.display()
                )
            })?;
        if certs.is_empty() {
            return Err(format!(
                "[server.tls] cert_file {}: no CERTIFICATE block found",
                cert_file.display()
            ));
        }
        let key_pem = read(key_file, "key_file")?;
        // The key's content never goes into a message.
        let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|_| {
            format!(
                "[server.tls] key_file {}: no usable PEM private key (PKCS#8, PKCS#1 or SEC1) found",
                key_file.display()
            )
        })?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("[server.tls]: {e}"))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| {
                format!(
                    "[server.tls] cert_file {} and key_file {} are not a usable pair: {e}",
                    cert_file.display(),
                    key_file.display()
                )
            })?;
        // Postgres 17 direct TLS (`sslnegotiation=direct`) needs this ALPN name.
        config.alpn_protocols = vec![b"postgresql".to_vec()];
        Ok(Some(LoadedTls {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            cert_pem,
        }))
    }
}

fn read(path: &Path, key: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path)
        .map_err(|e| format!("[server.tls] {key}: cannot read {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disabled_needs_nothing() {
        assert!(TlsConfig::default().load().unwrap().is_none());
    }

    #[test]
    fn bad_files_give_clear_messages() {
        let mut cfg = TlsConfig {
            mode: TlsMode::Required,
            ..Default::default()
        };
        assert!(cfg.load().unwrap_err().contains("cert_file and key_file"));
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("c.pem");
        let key = dir.path().join("k.pem");
        cfg.cert_file = Some(cert.clone());
        cfg.key_file = Some(key.clone());
        assert!(cfg.load().unwrap_err().contains("cannot read"));
        std::fs::write(&cert, "hello").unwrap();
        std::fs::write(&key, "SECRET-KEY-MATERIAL").unwrap();
        let e = cfg.load().unwrap_err();
        assert!(e.contains("no CERTIFICATE"), "{e}");
        std::fs::write(
            &cert,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let e = cfg.load().unwrap_err();
        assert!(e.contains("key_file") && !e.contains("SECRET"), "{e}");
    }
}
