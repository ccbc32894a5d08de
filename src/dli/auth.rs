//! Authentication of DLI requests: IAM user tokens (fetched, cached, renewed
//! early, single-flight) or AK/SK signatures (via [`super::signer`]).
//!
//! Secrets live only here and in the config; they are never formatted into
//! errors or log events.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::Mutex;
use url::Url;

use super::config::{AuthMode, DliClientConfig};
use super::error::{DliError, DliErrorKind};
use super::signer;
use super::transport::{Failure, RetryPolicy, process_response, send};

const X_AUTH_TOKEN: &str = "x-auth-token";
const X_SUBJECT_TOKEN: &str = "x-subject-token";
const X_SECURITY_TOKEN: &str = "x-security-token";
/// Lifetime assumed when IAM gives no readable `expires_at`.
const FALLBACK_LIFETIME: Duration = Duration::from_secs(3600);

/// How requests are authenticated.
pub(crate) enum Authenticator {
    None,
    Token(Box<TokenProvider>),
    Aksk {
        ak: String,
        sk: String,
        security_token: Option<String>,
    },
}

impl Authenticator {
    pub fn from_config(cfg: &DliClientConfig) -> Result<Self, DliError> {
        let a = &cfg.auth;
        Ok(match a.mode {
            AuthMode::None => Self::None,
            AuthMode::Aksk => Self::Aksk {
                ak: a.ak.clone(),
                sk: a.sk.clone(),
                security_token: a.security_token.clone().filter(|t| !t.is_empty()),
            },
            AuthMode::Token => {
                let base = cfg.effective_iam_endpoint().trim_end_matches('/');
                let url = Url::parse(&format!("{base}/v3/auth/tokens"))
                    .map_err(|e| DliError::config(format!("bad IAM endpoint: {e}")))?;
                Self::Token(Box::new(TokenProvider {
                    url,
                    user_name: a.user_name.clone(),
                    password: a.password.clone(),
                    domain_name: a.domain_name.clone(),
                    scope: {
                        let (key, value) = cfg.iam_project_scope();
                        (key, value.to_string())
                    },
                    margin: Duration::from_secs(cfg.token_refresh_margin_secs),
                    cache: Mutex::new(None),
                }))
            }
        })
    }

    pub fn mode(&self) -> AuthMode {
        match self {
            Self::None => AuthMode::None,
            Self::Token(_) => AuthMode::Token,
            Self::Aksk { .. } => AuthMode::Aksk,
        }
    }

    /// Adds the authentication headers for one request. Returns the token
    /// used (token mode), so a 401 can invalidate exactly that token.
    pub async fn apply(
        &self,
        http: &reqwest::Client,
        policy: &RetryPolicy,
        method: &Method,
        url: &Url,
        body: &[u8],
        headers: &mut HeaderMap,
    ) -> Result<Option<String>, Failure> {
        match self {
            Self::None => Ok(None),
            Self::Token(tp) => {
                let token = tp.token(http, policy).await?;
                headers.insert(HeaderName::from_static(X_AUTH_TOKEN), header_value(&token)?);
                Ok(Some(token))
            }
            Self::Aksk {
                ak,
                sk,
                security_token,
            } => {
                let date = Utc::now().format(signer::SDK_DATE_FORMAT).to_string();
                let extra: Vec<(String, String)> = security_token
                    .iter()
                    .map(|t| (X_SECURITY_TOKEN.to_owned(), t.clone()))
                    .collect();
                let signed = signer::sign(ak, sk, method.as_str(), url, &extra, body, &date);
                headers.insert(
                    HeaderName::from_static("x-sdk-date"),
                    header_value(&signed.x_sdk_date)?,
                );
                headers.insert(
                    reqwest::header::AUTHORIZATION,
                    header_value(&signed.authorization)?,
                );
                if let Some(t) = security_token {
                    headers.insert(HeaderName::from_static(X_SECURITY_TOKEN), header_value(t)?);
                }
                Ok(None)
            }
        }
    }

    /// Forgets `used` after DLI refused it; true when a fresh token may help.
    pub async fn invalidate(&self, used: Option<&str>) -> bool {
        match (self, used) {
            (Self::Token(tp), Some(token)) => {
                tp.invalidate(token).await;
                true
            }
            _ => false,
        }
    }
}

fn header_value(v: &str) -> Result<HeaderValue, Failure> {
    HeaderValue::from_str(v).map_err(|_| {
        Failure::from(DliError::config(
            "a credential contains characters not allowed in an HTTP header",
        ))
    })
}

struct CachedToken {
    token: String,
    refresh_at: Instant,
}

/// IAM token source with a single-flight cache.
pub(crate) struct TokenProvider {
    url: Url,
    user_name: String,
    password: String,
    domain_name: String,
    /// `auth.scope.project`'s one field: `("name" | "id", value)`.
    scope: (&'static str, String),
    margin: Duration,
    /// Held across the IAM call, so concurrent callers wait for one fetch.
    cache: Mutex<Option<CachedToken>>,
}

#[derive(Deserialize)]
struct IamTokenBody {
    token: IamToken,
}

#[derive(Deserialize)]
struct IamToken {
    #[serde(default)]
    expires_at: Option<String>,
}

impl TokenProvider {
    async fn token(&self, http: &reqwest::Client, policy: &RetryPolicy) -> Result<String, Failure> {
        let mut cache = self.cache.lock().await;
        if let Some(c) = cache.as_ref()
            && Instant::now() < c.refresh_at
        {
            return Ok(c.token.clone());
        }
        let fetched = policy.run("IAM token", || self.fetch(http)).await?;
        let token = fetched.token.clone();
        *cache = Some(fetched);
        Ok(token)
    }

    async fn invalidate(&self, used: &str) {
        let mut cache = self.cache.lock().await;
        if cache.as_ref().is_some_and(|c| c.token == used) {
            *cache = None;
        }
    }

    fn request_body(&self) -> Vec<u8> {
        let mut project = serde_json::Map::new();
        project.insert(self.scope.0.to_owned(), json!(self.scope.1));
        json!({
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": self.user_name,
                            "password": self.password,
                            "domain": { "name": self.domain_name }
                        }
                    }
                },
                "scope": { "project": project }
            }
        })
        .to_string()
        .into_bytes()
    }

    async fn fetch(&self, http: &reqwest::Client) -> Result<CachedToken, Failure> {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/json;charset=utf8"),
        );
        let raw = send(
            http,
            Method::POST,
            &self.url,
            headers,
            Some(self.request_body()),
        )
        .await?;
        let body: IamTokenBody = process_response(&raw).map_err(|mut e| {
            if e.http_status.is_some_and(|s| s == 401 || s == 403) {
                e.kind = DliErrorKind::Auth;
            }
            e.message = format!("IAM token request refused: {}", e.message);
            Failure {
                error: e,
                retry_after: super::transport::retry_after(&raw.headers),
                not_sent: false,
            }
        })?;
        let token = raw
            .headers
            .get(X_SUBJECT_TOKEN)
            .and_then(|v| v.to_str().ok())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                DliError::new(
                    DliErrorKind::Auth,
                    "IAM answered without an X-Subject-Token header",
                )
                .with_status(raw.status)
            })?
            .to_owned();
        let lifetime = body
            .token
            .expires_at
            .as_deref()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .and_then(|exp| (exp.with_timezone(&Utc) - Utc::now()).to_std().ok())
            .unwrap_or(FALLBACK_LIFETIME);
        Ok(CachedToken {
            token,
            refresh_at: Instant::now() + refresh_after(lifetime, self.margin),
        })
    }
}

/// When to renew a token valid for `lifetime`: `margin` before expiry, but
/// never later than half-way through (short-lived tokens would otherwise be
/// refetched on every call or used until they expire).
fn refresh_after(lifetime: Duration, margin: Duration) -> Duration {
    lifetime
        .saturating_sub(margin)
        .max(lifetime / 2)
        .min(lifetime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_schedule() {
        let h = Duration::from_secs(3600);
        assert_eq!(refresh_after(24 * h, h), 23 * h);
        assert_eq!(
            refresh_after(Duration::from_secs(600), h),
            Duration::from_secs(300)
        );
        assert_eq!(refresh_after(Duration::ZERO, h), Duration::ZERO);
    }
}
