//! DLI-credential passthrough: the Postgres password carries the user's own DLI
//! credentials, and that user's statements run with them.
//!
//! Owns: reading credentials out of a login (`password` = IAM password with the Postgres
//! user as IAM user, `user@domain` naming the account; or `ak:<AK>:<SK>`), verifying them
//! with one cheap authenticated DLI call (`check-sql` of `SELECT 1`, which also proves the
//! user may run SQL), a short-lived
//! cache of verified clients keyed by an HMAC of the credentials (so a connection pool does
//! not hit IAM once per connection), and the pgwire auth mechanism that stores the user's
//! client (and the catalog of the user's identity, [`IdentityCatalogs`]) as the
//! session's [`SessionBackend`]. Only ever used over TLS: the gateway needs
//! the secret itself, so the password travels in cleartext inside the TLS channel. Its
//! settings (`[server.passthrough]`) live in [`super::config`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use hmac::{Hmac, KeyInit, Mac};
use pgwire::api::ClientInfo;
use pgwire::api::auth::mechanism::{AuthMechanism, AuthMechanismFactory, AuthState};
use pgwire::error::PgWireResult;
use pgwire::messages::startup::{Authentication, PasswordMessageFamily};
use sha2::Sha256;

use super::catalog_hook::IdentityCatalogs;
use super::config::PassthroughConfig;
use super::login::{auth_failed, tls_required_error};
use super::session::SessionBackend;
use crate::dli::{AuthMode, DliAuthConfig, DliClient, DliClientConfig, DliErrorKind};
use crate::errors::{ErrorKind, GatewayError};

/// DLI credentials taken from a login. `Debug` never shows the secrets.
#[derive(Clone, PartialEq, Eq)]
pub enum DliCredentials {
    Password {
        domain: String,
        user: String,
        password: String,
    },
    AkSk {
        ak: String,
        sk: String,
    },
}

impl std::fmt::Debug for DliCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DliCredentials::Password { domain, user, .. } => f
                .debug_struct("Password")
                .field("domain", domain)
                .field("user", user)
                .finish_non_exhaustive(),
            DliCredentials::AkSk { .. } => f.debug_struct("AkSk").finish_non_exhaustive(),
        }
    }
}

/// Read the credentials out of a Postgres user name and password. The error says what is
/// wrong without repeating any of the secret.
pub fn parse_credentials(
    pg_user: &str,
    secret: &str,
    default_domain: &str,
    allow_aksk: bool,
) -> Result<DliCredentials, &'static str> {
    if secret.is_empty() {
        return Err("empty password");
    }
    if let Some(rest) = secret.strip_prefix("ak:")
        && allow_aksk
    {
        return match rest.split_once(':') {
            Some((ak, sk)) if !ak.is_empty() && !sk.is_empty() => Ok(DliCredentials::AkSk {
                ak: ak.to_string(),
                sk: sk.to_string(),
            }),
            _ => Err("malformed ak:<AK>:<SK> password"),
        };
    }
    let (user, domain) = match pg_user.rsplit_once('@') {
        Some((u, d)) if !u.is_empty() && !d.is_empty() => (u, d),
        _ => (pg_user, default_domain),
    };
    if user.is_empty() {
        return Err("empty user name");
    }
    if domain.trim().is_empty() {
        return Err("no IAM domain: log in as user@domain or set [server.passthrough] domain_name");
    }
    Ok(DliCredentials::Password {
        domain: domain.to_string(),
        user: user.to_string(),
        password: secret.to_string(),
    })
}

/// Why a passthrough login did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginError {
    /// The credentials are wrong or unusable (answered as 28P01).
    Invalid(String),
    /// DLI could not be asked (answered as 08006; not a failed login).
    Unavailable(String),
}

struct Slot {
    verified: tokio::sync::Mutex<Option<(DliClient, Instant)>>,
}

type CacheKey = [u8; 32];

/// Verifies DLI credentials and caches the resulting clients.
pub struct Passthrough {
    base: DliClientConfig,
    cfg: PassthroughConfig,
    /// Per-process random HMAC key: the cache never holds a plain hash of a secret.
    hmac_key: [u8; 32],
    cache: Mutex<HashMap<CacheKey, (Arc<Slot>, Instant)>>,
    /// Each identity's own catalog (none when the gateway answers no catalog queries).
    catalogs: Option<Arc<dyn IdentityCatalogs>>,
}

impl std::fmt::Debug for Passthrough {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passthrough")
            .field("endpoint", &self.base.endpoint)
            .finish_non_exhaustive()
    }
}

impl Passthrough {
    /// `base` is the gateway's `[dli]` config (endpoint, project, queue, timeouts); each
    /// user's client replaces only its credentials.
    pub fn new(base: DliClientConfig, cfg: PassthroughConfig) -> Self {
        Self {
            base,
            cfg,
            hmac_key: rand::random(),
            cache: Mutex::new(HashMap::new()),
            catalogs: None,
        }
    }

    /// Give each identity the catalog `catalogs` keeps for it (keyed by the same HMAC
    /// of its credentials as the verification cache).
    pub fn with_catalogs(mut self, catalogs: Option<Arc<dyn IdentityCatalogs>>) -> Self {
        self.catalogs = catalogs;
        self
    }

    fn default_domain(&self) -> &str {
        if self.cfg.domain_name.trim().is_empty() {
            &self.base.auth.domain_name
        } else {
            &self.cfg.domain_name
        }
    }

    fn cache_key(&self, pg_user: &str, creds: &DliCredentials) -> CacheKey {
        let mut key = [0u8; 32];
        if let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.hmac_key) {
            let parts: [&str; 4] = match creds {
                DliCredentials::Password {
                    domain,
                    user,
                    password,
                } => ["password", domain, user, password],
                DliCredentials::AkSk { ak, sk } => ["aksk", pg_user, ak, sk],
            };
            for p in parts {
                mac.update(&(p.len() as u64).to_be_bytes());
                mac.update(p.as_bytes());
            }
            key.copy_from_slice(&mac.finalize().into_bytes());
        }
        key
    }

    /// The client config for these credentials.
    pub fn client_config(&self, creds: &DliCredentials) -> DliClientConfig {
        let mut cfg = self.base.clone();
        let iam_endpoint = self.base.auth.iam_endpoint.clone();
        cfg.auth = match creds {
            DliCredentials::Password {
                domain,
                user,
                password,
            } => DliAuthConfig {
                mode: AuthMode::Token,
                iam_endpoint,
                domain_name: domain.clone(),
                user_name: user.clone(),
                password: password.clone(),
                ..Default::default()
            },
            DliCredentials::AkSk { ak, sk } => DliAuthConfig {
                mode: AuthMode::Aksk,
                iam_endpoint,
                ak: ak.clone(),
                sk: sk.clone(),
                ..Default::default()
            },
        };
        cfg
    }

    fn slot(&self, key: CacheKey, now: Instant) -> Arc<Slot> {
        let mut cache = match self.cache.lock() {
            Ok(c) => c,
            Err(p) => p.into_inner(),
        };
        if let Some((slot, used)) = cache.get_mut(&key) {
            *used = now;
            return slot.clone();
        }
        if cache.len() >= self.cfg.cache_max_entries
            && let Some(lru) = cache
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| *k)
        {
            cache.remove(&lru);
        }
        let slot = Arc::new(Slot {
            verified: tokio::sync::Mutex::new(None),
        });
        cache.insert(key, (slot.clone(), now));
        slot
    }

    fn forget(&self, key: &CacheKey) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.remove(key);
        }
    }

    /// Verify the login's credentials (or reuse a recent verification) and return what
    /// the session runs with: the user's DLI client and, when the gateway answers catalog
    /// queries, the catalog of the user's own DLI identity.
    pub async fn login(&self, pg_user: &str, secret: &str) -> Result<SessionBackend, LoginError> {
        let creds = parse_credentials(pg_user, secret, self.default_domain(), self.cfg.allow_aksk)
            .map_err(|r| LoginError::Invalid(r.to_string()))?;
        let key = self.cache_key(pg_user, &creds);
        let client = self.verified(pg_user, &creds, key).await?;
        let catalog = match &self.catalogs {
            Some(c) => Some(c.catalog_for(&key, &client).map_err(|e| {
                LoginError::Unavailable(format!("no catalog for the identity: {}", e.message))
            })?),
            None => None,
        };
        Ok(SessionBackend {
            jobs: Arc::new(client),
            catalog,
        })
    }

    async fn verified(
        &self,
        pg_user: &str,
        creds: &DliCredentials,
        key: CacheKey,
    ) -> Result<DliClient, LoginError> {
        let slot = self.slot(key, Instant::now());
        // Concurrent logins with the same credentials wait here for one verification.
        let mut verified = slot.verified.lock().await;
        let ttl = Duration::from_secs(self.cfg.cache_ttl_secs);
        if let Some((client, at)) = verified.as_ref()
            && at.elapsed() < ttl
        {
            tracing::debug!(user = pg_user, "DLI credentials taken from the cache");
            return Ok(client.clone());
        }
        *verified = None;
        let result = self.verify(creds).await;
        match &result {
            Ok(client) => *verified = Some((client.clone(), Instant::now())),
            Err(_) => {
                drop(verified);
                self.forget(&key);
            }
        }
        result
    }

    async fn verify(&self, creds: &DliCredentials) -> Result<DliClient, LoginError> {
        let client = DliClient::new(self.client_config(creds))
            .map_err(|e| LoginError::Invalid(format!("unusable credentials: {}", e.message)))?;
        let timeout = Duration::from_secs(self.cfg.verify_timeout_secs);
        match tokio::time::timeout(timeout, client.check_sql("SELECT 1", None)).await {
            Ok(Ok(_)) => Ok(client),
            Ok(Err(e)) if e.kind == DliErrorKind::Auth || e.http_status == Some(403) => Err(
                LoginError::Invalid(format!("DLI refused the credentials: {e}")),
            ),
            Ok(Err(e)) => Err(LoginError::Unavailable(e.to_string())),
            Err(_) => Err(LoginError::Unavailable(format!(
                "no answer from DLI within {}s",
                timeout.as_secs()
            ))),
        }
    }
}

/// The pgwire mechanism: asks for a cleartext password, verifies it as DLI credentials,
/// and puts the user's DLI client into the session.
pub struct PassthroughAuth(pub Arc<Passthrough>);

impl AuthMechanismFactory for PassthroughAuth {
    fn create(&self) -> Box<dyn AuthMechanism> {
        Box::new(PassthroughMechanism(self.0.clone()))
    }
}

struct PassthroughMechanism(Arc<Passthrough>);

#[async_trait]
impl AuthMechanism for PassthroughMechanism {
    async fn begin(&mut self, _client: &(dyn ClientInfo + Send + Sync)) -> PgWireResult<AuthState> {
        Ok(AuthState::InProgress(Authentication::CleartextPassword))
    }

    async fn next(
        &mut self,
        client: &(dyn ClientInfo + Send + Sync),
        message: PasswordMessageFamily,
    ) -> PgWireResult<AuthState> {
        let password = message.into_password()?;
        let user = client
            .metadata()
            .get(pgwire::api::METADATA_USER)
            .cloned()
            .unwrap_or_default();
        if !client.is_secure() {
            // The startup path refuses this earlier; never verify a secret sent in the clear.
            return Ok(AuthState::Failed(tls_required_error(true)));
        }
        match self.0.login(&user, &password.password).await {
            Ok(backend) => {
                client.session_extensions().insert(backend);
                Ok(AuthState::Ok {
                    final_message: None,
                    identity: None,
                })
            }
            Err(LoginError::Invalid(reason)) => {
                tracing::info!(user = %user, %reason, "dli-passthrough credentials refused");
                Ok(AuthState::Failed(auth_failed(&user)))
            }
            Err(LoginError::Unavailable(reason)) => {
                tracing::warn!(user = %user, %reason, "dli-passthrough: cannot verify credentials");
                Ok(AuthState::Failed(
                    GatewayError::new(
                        ErrorKind::LoginUnavailable,
                        "could not verify the DLI credentials: DLI is not reachable",
                    )
                    .into_pgwire(),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_password_and_aksk_logins() {
        let p = parse_credentials("alice", "s3cret", "acme", true).unwrap();
        assert_eq!(
            p,
            DliCredentials::Password {
                domain: "acme".into(),
                user: "alice".into(),
                password: "s3cret".into()
            }
        );
        let p = parse_credentials("bob@other", "pw", "acme", true).unwrap();
        assert!(
            matches!(p, DliCredentials::Password { ref domain, ref user, .. } if domain == "other" && user == "bob")
        );
        let p = parse_credentials("x", "ak:AKID:SK:with:colons", "", true).unwrap();
        assert_eq!(
            p,
            DliCredentials::AkSk {
                ak: "AKID".into(),
                sk: "SK:with:colons".into()
            }
        );
        // with AK/SK disabled, "ak:…" is just a password
        assert!(matches!(
            parse_credentials("x", "ak:A:B", "d", false).unwrap(),
            DliCredentials::Password { .. }
        ));
        for (user, secret, domain) in [
            ("x", "ak:", ""),
            ("x", "ak:A", ""),
            ("x", "ak::S", ""),
            ("alice", "pw", ""),
            ("alice", "", "d"),
        ] {
            let e = parse_credentials(user, secret, domain, true).unwrap_err();
            assert!(secret.len() <= 3 || !e.contains(secret), "{e}");
        }
    }

    #[test]
    fn debug_hides_secrets() {
        let p = parse_credentials("alice", "TOPSECRET", "acme", true).unwrap();
        let a = parse_credentials("alice", "ak:MYAK:MYSK", "acme", true).unwrap();
        let dbg = format!("{p:?} {a:?}");
        for s in ["TOPSECRET", "MYAK", "MYSK"] {
            assert!(!dbg.contains(s), "{dbg}");
        }
    }

    #[test]
    fn cache_keys_differ_per_secret_and_per_process() {
        let base = DliClientConfig::default();
        let a = Passthrough::new(base.clone(), PassthroughConfig::default());
        let b = Passthrough::new(base, PassthroughConfig::default());
        let c1 = parse_credentials("u", "one", "d", true).unwrap();
        let c2 = parse_credentials("u", "two", "d", true).unwrap();
        assert_eq!(a.cache_key("u", &c1), a.cache_key("u", &c1));
        assert_ne!(a.cache_key("u", &c1), a.cache_key("u", &c2));
        assert_ne!(a.cache_key("u", &c1), b.cache_key("u", &c1));
    }

    #[test]
    fn client_config_carries_only_the_users_credentials() {
        let mut base = DliClientConfig::default();
        base.auth.password = "GATEWAY-PW".into();
        base.auth.sk = "GATEWAY-SK".into();
        base.auth.iam_endpoint = "https://iam.example".into();
        let p = Passthrough::new(base, PassthroughConfig::default());
        let c = p.client_config(&DliCredentials::AkSk {
            ak: "A".into(),
            sk: "S".into(),
        });
        assert_eq!(c.auth.mode, AuthMode::Aksk);
        assert_eq!((c.auth.ak.as_str(), c.auth.sk.as_str()), ("A", "S"));
        assert!(c.auth.password.is_empty());
        let c = p.client_config(&parse_credentials("u@d", "pw", "", true).unwrap());
        assert_eq!(c.auth.mode, AuthMode::Token);
        assert_eq!(c.auth.password, "pw");
        assert!(c.auth.sk.is_empty());
        assert_eq!(c.auth.iam_endpoint, "https://iam.example");
    }
}
