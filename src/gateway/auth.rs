//! Authentication of Postgres clients: the startup handler every connection goes through.
//!
//! Owns: choosing the mechanism for `[server] auth_method` (SCRAM-SHA-256, with -PLUS
//! channel binding over TLS; MD5; cleartext; trust; DLI-credential passthrough), refusing
//! plaintext logins when TLS is required (FATAL 28000), answering every failed login with
//! the same FATAL 28P01 whether the user exists or not, the per-(peer, user) throttle
//! ([`super::throttle`]), and logging each login and each failure (user, peer, method —
//! never a password). Users are checked against `[[server.users]]`; passthrough logins
//! against DLI ([`super::passthrough`]).

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use futures::Sink;
use pgwire::api::auth::cleartext::CleartextPasswordAuth;
use pgwire::api::auth::driver::AuthOutcome;
use pgwire::api::auth::md5pass::{Md5PasswordAuth, hash_md5_password};
use pgwire::api::auth::mechanism::{AuthMechanism, AuthMechanismFactory, AuthState};
use pgwire::api::auth::sasl::scram::{ScramAuth, gen_salted_password};
use pgwire::api::auth::{
    AuthDriver, AuthSource, LoginInfo, Password, ServerParameterProvider, StartupHandler,
};
use pgwire::api::{ClientInfo, ConnectionManager, METADATA_USER};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::startup::PasswordMessageFamily;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};

use super::config::{AuthMethod, UserConfig};
use super::login::{auth_failed, tls_required_error, user_name_required};
use super::passthrough::{Passthrough, PassthroughAuth};
use super::saslcheck::Checked;
use super::throttle::Throttle;
use crate::errors::{ErrorKind, GatewayError, sqlstate};

const SCRAM_ITERATIONS: usize = 4096;

/// Gateway users from the config.
#[derive(Clone)]
pub struct Users {
    users: Arc<Vec<UserConfig>>,
    method: AuthMethod,
}

impl Debug for Users {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Users")
            .field("count", &self.users.len())
            .finish()
    }
}

impl Users {
    pub fn new(users: Vec<UserConfig>, method: AuthMethod) -> Self {
        Self {
            users: Arc::new(users),
            method,
        }
    }

    fn find(&self, name: &str) -> Option<&UserConfig> {
        self.users.iter().find(|u| u.name == name)
    }
}

/// A password nobody knows, for users who do not exist: they fail at the same step, with
/// the same message and about the same cost as a wrong password.
fn decoy_password() -> String {
    hex::encode(rand::random::<[u8; 24]>())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[async_trait]
impl AuthSource for Users {
    async fn get_password(&self, login: &LoginInfo) -> PgWireResult<Password> {
        let name = login.user().unwrap_or_default();
        let decoy;
        let password = match self.find(name) {
            Some(u) => u.password.as_str(),
            None => {
                decoy = decoy_password();
                decoy.as_str()
            }
        };
        Ok(match self.method {
            AuthMethod::ScramSha256 => {
                let salt: [u8; 16] = rand::random();
                Password::new(
                    Some(salt.to_vec()),
                    gen_salted_password(password, &salt, SCRAM_ITERATIONS),
                )
            }
            AuthMethod::Md5 => {
                let salt: [u8; 4] = rand::random();
                Password::new(
                    Some(salt.to_vec()),
                    hash_md5_password(name, password, &salt).into_bytes(),
                )
            }
            AuthMethod::Password | AuthMethod::Trust | AuthMethod::DliPassthrough => {
                Password::new(None, password.as_bytes().to_vec())
            }
        })
    }

    async fn verify_password(
        &self,
        login: &LoginInfo,
        presented_password: &[u8],
    ) -> PgWireResult<Option<()>> {
        let expected = self.get_password(login).await?;
        if constant_time_eq(expected.password(), presented_password) {
            Ok(None)
        } else {
            Err(auth_failed(login.user().unwrap_or_default()))
        }
    }
}

/// `auth_method = "trust"`: authenticated without a password.
struct TrustAuth;

struct TrustMechanism;

impl AuthMechanismFactory for TrustAuth {
    fn create(&self) -> Box<dyn AuthMechanism> {
        Box::new(TrustMechanism)
    }
}

#[async_trait]
impl AuthMechanism for TrustMechanism {
    async fn begin(&mut self, _client: &(dyn ClientInfo + Send + Sync)) -> PgWireResult<AuthState> {
        Ok(AuthState::Ok {
            final_message: None,
            identity: None,
        })
    }

    async fn next(
        &mut self,
        _client: &(dyn ClientInfo + Send + Sync),
        _message: PasswordMessageFamily,
    ) -> PgWireResult<AuthState> {
        Err(PgWireError::NoAuthenticationInProgress)
    }
}

/// What the startup handler is built from.
pub struct AuthSettings {
    pub method: AuthMethod,
    pub users: Vec<UserConfig>,
    pub tls_required: bool,
    /// The certificate PEM, when TLS is on: enables SCRAM-SHA-256-PLUS on TLS connections.
    pub cert_pem: Option<Vec<u8>>,
    pub throttle: Arc<Throttle>,
    /// Required for `AuthMethod::DliPassthrough`.
    pub passthrough: Option<Arc<Passthrough>>,
    /// Hands out cancel keys (`None`: pgwire's default).
    pub pids: Option<Arc<dyn pgwire::api::PidSecretKeyGenerator>>,
}

/// The startup handler: TLS policy, throttle, mechanism, logging.
pub struct GatewayStartup<P> {
    driver: AuthDriver<Arc<P>>,
    method: AuthMethod,
    users: Users,
    /// Mechanism for plaintext connections.
    plain: Arc<dyn AuthMechanismFactory>,
    /// Mechanism for TLS connections (SCRAM with channel binding when configured).
    secure: Arc<dyn AuthMechanismFactory>,
    tls_required: bool,
    throttle: Arc<Throttle>,
}

impl<P: ServerParameterProvider> GatewayStartup<P> {
    pub fn new(
        settings: AuthSettings,
        params: Arc<P>,
        manager: Arc<ConnectionManager>,
    ) -> Result<Self, String> {
        let users = Users::new(settings.users, settings.method);
        let (plain, secure): (Arc<dyn AuthMechanismFactory>, Arc<dyn AuthMechanismFactory>) =
            match settings.method {
                AuthMethod::ScramSha256 => {
                    let mut scram = ScramAuth::new(Arc::new(users.clone()));
                    scram.set_iterations(SCRAM_ITERATIONS);
                    let plain = Arc::new(Checked(Arc::new(scram.clone())));
                    if let Some(pem) = &settings.cert_pem
                        && let Err(e) = scram.configure_certificate(pem)
                    {
                        tracing::warn!(error = %e, "SCRAM-SHA-256-PLUS (channel binding) unavailable for this certificate");
                    }
                    (plain, Arc::new(Checked(Arc::new(scram))))
                }
                AuthMethod::Md5 => {
                    let md5 = Arc::new(Md5PasswordAuth::new(Arc::new(users.clone())));
                    (md5.clone(), md5)
                }
                AuthMethod::Password => {
                    let clear = Arc::new(CleartextPasswordAuth::new(Arc::new(users.clone())));
                    (clear.clone(), clear)
                }
                AuthMethod::Trust => (Arc::new(TrustAuth), Arc::new(TrustAuth)),
                AuthMethod::DliPassthrough => {
                    let Some(p) = settings.passthrough else {
                        return Err(
                            "auth_method = \"dli-passthrough\" needs the [dli] config".into()
                        );
                    };
                    let m = Arc::new(PassthroughAuth(p));
                    (m.clone(), m)
                }
            };
        let mut driver = AuthDriver::new(params).with_connection_manager(manager);
        if let Some(pids) = settings.pids {
            driver = driver.with_pid_secret_key_generator(pids);
        }
        Ok(Self {
            driver,
            method: settings.method,
            users,
            plain,
            secure,
            tls_required: settings.tls_required || settings.method == AuthMethod::DliPassthrough,
            throttle: settings.throttle,
        })
    }

    fn method_name(&self) -> &'static str {
        match self.method {
            AuthMethod::ScramSha256 => "scram-sha-256",
            AuthMethod::Md5 => "md5",
            AuthMethod::Password => "password",
            AuthMethod::Trust => "trust",
            AuthMethod::DliPassthrough => "dli-passthrough",
        }
    }

    /// Finish one authentication step: complete the startup on success, turn a failure
    /// into the uniform 28P01 answer, count and log it.
    async fn settle<C>(
        &self,
        client: &mut C,
        outcome: PgWireResult<AuthOutcome>,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let user = client
            .metadata()
            .get(METADATA_USER)
            .cloned()
            .unwrap_or_default();
        let peer = client.socket_addr();
        match outcome {
            Ok(AuthOutcome::InProgress) => Ok(()),
            Ok(AuthOutcome::Authenticated { final_message, .. }) => {
                self.throttle.success(peer.ip(), &user);
                tracing::info!(user = %user, %peer, method = self.method_name(), tls = client.is_secure(), "login");
                self.driver
                    .complete_authentication(client, final_message)
                    .await
            }
            Err(e) if is_wrong_credentials(&e) => {
                let failures = self.throttle.failure(peer.ip(), &user, Instant::now());
                let reason = match self.method {
                    AuthMethod::DliPassthrough => "DLI credentials refused",
                    _ if self.users.find(&user).is_none() => "unknown user",
                    _ => "wrong password",
                };
                tracing::info!(user = %user, %peer, method = self.method_name(), reason, failures, "login failed");
                Err(match e {
                    // already our answer (built, and logged, by `auth_failed`)
                    PgWireError::UserError(_) => e,
                    // pgwire's own mechanisms (SCRAM, MD5) report `InvalidPassword`
                    _ => auth_failed(&user),
                })
            }
            Err(PgWireError::InvalidScramMessage(_)) => {
                // pgwire's text quotes the client's message; Postgres' does not
                tracing::info!(user = %user, %peer, method = self.method_name(), "login aborted: malformed SCRAM message");
                Err(
                    GatewayError::new(ErrorKind::ProtocolViolation, "malformed SCRAM message")
                        .into_pgwire(),
                )
            }
            Err(e) => {
                tracing::info!(user = %user, %peer, method = self.method_name(), error = %e, "login aborted");
                Err(e)
            }
        }
    }
}

fn is_wrong_credentials(e: &PgWireError) -> bool {
    match e {
        PgWireError::InvalidPassword(_) => true,
        PgWireError::UserError(info) => info.code == sqlstate::INVALID_PASSWORD,
        _ => false,
    }
}

#[async_trait]
impl<P: ServerParameterProvider> StartupHandler for GatewayStartup<P> {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        match message {
            PgWireFrontendMessage::Startup(ref startup) => {
                pgwire::api::auth::protocol_negotiation(client, startup).await?;
                pgwire::api::auth::save_startup_parameters_to_metadata(client, startup);
                let user = client
                    .metadata()
                    .get(METADATA_USER)
                    .cloned()
                    .unwrap_or_default();
                let peer = client.socket_addr();
                if user.is_empty() {
                    return Err(user_name_required());
                }
                if self.tls_required && !client.is_secure() {
                    tracing::info!(user = %user, %peer, "login refused: TLS is required");
                    return Err(tls_required_error(
                        self.method == AuthMethod::DliPassthrough,
                    ));
                }
                let delay = self.throttle.delay(peer.ip(), &user, Instant::now());
                if !delay.is_zero() {
                    tracing::info!(user = %user, %peer, delay_ms = delay.as_millis() as u64, "login throttled after failures");
                    tokio::time::sleep(delay).await;
                }
                let mechanism = if client.is_secure() {
                    self.secure.create()
                } else {
                    self.plain.create()
                };
                let outcome = self.driver.begin_authentication(client, mechanism).await;
                self.settle(client, outcome).await
            }
            PgWireFrontendMessage::PasswordMessageFamily(message) => {
                let outcome = self.driver.advance_authentication(client, message).await;
                self.settle(client, outcome).await
            }
            // Anything else while a password is awaited ends the login, as in Postgres.
            other => Err(GatewayError::new(
                ErrorKind::ProtocolViolation,
                format!(
                    "expected {} response, got message type {}",
                    if self.method == AuthMethod::ScramSha256 {
                        "SASL"
                    } else {
                        "password"
                    },
                    message_type(&other)
                ),
            )
            .into_pgwire()),
        }
    }
}

/// The type byte a frontend message was sent with.
fn message_type(m: &PgWireFrontendMessage) -> u8 {
    match m {
        PgWireFrontendMessage::Query(_) => b'Q',
        PgWireFrontendMessage::Parse(_) => b'P',
        PgWireFrontendMessage::Bind(_) => b'B',
        PgWireFrontendMessage::Close(_) => b'C',
        PgWireFrontendMessage::Describe(_) => b'D',
        PgWireFrontendMessage::Execute(_) => b'E',
        PgWireFrontendMessage::Flush(_) => b'H',
        PgWireFrontendMessage::Sync(_) => b'S',
        PgWireFrontendMessage::CopyData(_) => b'd',
        PgWireFrontendMessage::CopyDone(_) => b'c',
        PgWireFrontendMessage::CopyFail(_) => b'f',
        PgWireFrontendMessage::PasswordMessageFamily(_) => b'p',
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login(user: &str) -> LoginInfo<'_> {
        LoginInfo::new(Some(user), None, "127.0.0.1".into())
    }

    #[tokio::test]
    async fn unknown_users_fail_like_wrong_passwords() {
        let users = Users::new(
            vec![UserConfig {
                name: "alice".into(),
                password: "pw".into(),
            }],
            AuthMethod::Password,
        );
        assert!(users.verify_password(&login("alice"), b"pw").await.is_ok());
        let wrong = users.verify_password(&login("alice"), b"nope").await;
        let unknown = users.verify_password(&login("mallory"), b"pw").await;
        for e in [wrong.unwrap_err(), unknown.unwrap_err()] {
            assert!(is_wrong_credentials(&e), "{e:?}");
        }
        // SCRAM and MD5 sources answer unknown users with a salted decoy, not an error
        for method in [AuthMethod::ScramSha256, AuthMethod::Md5] {
            let users = Users::new(vec![], method);
            let p = users.get_password(&login("mallory")).await.unwrap();
            assert!(p.salt().is_some());
        }
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
