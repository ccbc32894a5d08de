//! Authentication of the local service: the IAM token endpoint
//! (`POST /v3/auth/tokens`, password identity, answer 201 with the token in the
//! `X-Subject-Token` header, for a request scoped to this service's project by name or id;
//! tokens are kept in [`super::state::TokenStore`]), and the
//! middleware that admits a DLI call carrying a valid `X-Auth-Token` or a valid AK/SK
//! "SDK-HMAC-SHA256" signature (verified with [`crate::dli::signer`]), hands the
//! handlers the request's [`Caller`] (the owner, or a `[[local.users]]` user whose
//! databases [`crate::localdli::grants`] checks), and checks the project id in the
//! path. Owns credentials checks only.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::state::AppState;
use crate::dli::signer;
use crate::localdli::error::ApiError;
use crate::localdli::grants::Caller;

/// Largest body accepted on signed requests (DLI's documented 12 MB).
const MAX_SIGNED_BODY: usize = 12 * 1024 * 1024;
/// Allowed clock skew of `X-Sdk-Date`.
const MAX_SKEW_SECS: i64 = 15 * 60;

fn iam_error(status: StatusCode, message: &str) -> Response {
    let title = if status == StatusCode::UNAUTHORIZED {
        "Unauthorized"
    } else {
        "Bad Request"
    };
    (
        status,
        Json(json!({"error": {"code": status.as_u16(), "message": message, "title": title}})),
    )
        .into_response()
}

/// `POST /v3/auth/tokens`.
pub async fn issue_token(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let Ok(req) = serde_json::from_slice::<Value>(&body) else {
        return iam_error(
            StatusCode::BAD_REQUEST,
            "The request body is not valid JSON.",
        );
    };
    let identity = &req["auth"]["identity"];
    let methods_ok = identity["methods"]
        .as_array()
        .is_some_and(|m| m.iter().any(|v| v.as_str() == Some("password")));
    let user = &identity["password"]["user"];
    let cfg = &state.cfg;
    let caller = Caller::by_password(
        &cfg.users,
        (&cfg.iam_user, &cfg.iam_password),
        user["name"].as_str().unwrap_or_default(),
        user["password"].as_str().unwrap_or_default(),
    );
    let domain_ok = match (
        user["domain"]["name"].as_str(),
        user["domain"]["id"].as_str(),
    ) {
        (Some(name), _) => name == cfg.iam_domain,
        (None, Some(_)) => true,
        (None, None) => false,
    };
    if !methods_ok {
        return iam_error(
            StatusCode::BAD_REQUEST,
            "Only the password identity method is supported.",
        );
    }
    let Some(caller) = caller.filter(|_| domain_ok) else {
        return iam_error(
            StatusCode::UNAUTHORIZED,
            "The username or password is wrong.",
        );
    };
    // The reference requires a project-scoped token (§3.2: "set auth.scope … to
    // project"); both of its examples name the project by `name`, with the project ID
    // as the value. IAM also takes `id`. This service has one project.
    let project = &req["auth"]["scope"]["project"];
    let (by_id, by_name) = (project["id"].as_str(), project["name"].as_str());
    if by_id.is_none() && by_name.is_none() {
        return iam_error(
            StatusCode::BAD_REQUEST,
            "auth.scope.project (with name or id) is required: tokens for DLI are project-scoped.",
        );
    }
    if by_id.or(by_name) != Some(cfg.project_id.as_str()) {
        return iam_error(
            StatusCode::UNAUTHORIZED,
            "The request you have made requires authentication: unknown project in auth.scope.",
        );
    }
    let ttl = Duration::from_secs(cfg.token_ttl_secs);
    let user_name = caller.name(&cfg.iam_user).to_string();
    let token = state.tokens.issue(ttl, caller);
    let issued = chrono::Utc::now();
    let expires =
        issued + chrono::Duration::seconds(i64::try_from(cfg.token_ttl_secs).unwrap_or(86_400));
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    let project_name = cfg.project_id.clone();
    let body = json!({"token": {
        "expires_at": fmt(expires),
        "issued_at": fmt(issued),
        "methods": ["password"],
        "catalog": [],
        "user": {
            "name": user_name,
            "id": format!("local-user-{user_name}"),
            "domain": {"name": cfg.iam_domain, "id": "local-domain-id"},
        },
        "project": {
            "id": cfg.project_id,
            "name": project_name,
            "domain": {"name": cfg.iam_domain, "id": "local-domain-id"},
        },
    }});
    let mut resp = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&token) {
        resp.headers_mut().insert("X-Subject-Token", v);
    }
    resp
}

/// Middleware for every DLI route: authentication, then the project id.
pub async fn require_auth(
    State(state): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    let mut req = if state.cfg.auth_required {
        match authenticate(&state, req).await {
            Ok(req) => req,
            Err(e) => return e.into_response(),
        }
    } else {
        req
    };
    if req.extensions().get::<Caller>().is_none() {
        req.extensions_mut().insert(Caller::Owner);
    }
    let project = req
        .uri()
        .path()
        .split('/')
        .nth(2)
        .unwrap_or_default()
        .to_string();
    if project != state.cfg.project_id {
        // A parameter DLI validates (DLI.0001 "user input validation failed"), not a
        // missing resource.
        return ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "DLI.0001",
            format!("user input validation failed, project_id {project} is invalid"),
        )
        .into_response();
    }
    next.run(req).await
}

async fn authenticate(state: &AppState, req: Request) -> Result<Request, ApiError> {
    if let Some(token) = req.headers().get("x-auth-token") {
        let caller = token
            .to_str()
            .ok()
            .and_then(|t| state.tokens.caller(t.trim()));
        return if let Some(caller) = caller {
            let mut req = req;
            req.extensions_mut().insert(caller);
            Ok(req)
        } else {
            Err(ApiError::unauthorized(
                "Authentication failed: the token is invalid or expired.",
            ))
        };
    }
    if req.headers().contains_key("authorization") {
        return verify_signature(state, req).await;
    }
    Err(ApiError::unauthorized(
        "Authentication required: send X-Auth-Token or an SDK-HMAC-SHA256 signature.",
    ))
}

async fn verify_signature(state: &AppState, req: Request) -> Result<Request, ApiError> {
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, MAX_SIGNED_BODY)
        .await
        .map_err(|_| ApiError::param("The signed request body is larger than 12 MB."))?;
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .filter_map(|(k, v)| {
            v.to_str()
                .ok()
                .map(|v| (k.as_str().to_string(), v.to_string()))
        })
        .collect();
    let auth = headers
        .iter()
        .find(|(k, _)| k == "authorization")
        .map(|(_, v)| v.as_str());
    let parsed = auth.and_then(signer::parse_authorization).ok_or_else(|| {
        ApiError::unauthorized("Authentication failed: malformed Authorization header.")
    })?;
    let cfg = &state.cfg;
    let owner = (cfg.access_key.as_str(), cfg.secret_key.as_str());
    let Some((caller, secret)) = Caller::by_access_key(&cfg.users, owner, &parsed.access) else {
        return Err(ApiError::unauthorized(
            "Authentication failed: unknown access key.",
        ));
    };
    let date = headers
        .iter()
        .find(|(k, _)| k == "x-sdk-date")
        .map(|(_, v)| v.trim().to_string());
    let fresh = date
        .as_deref()
        .and_then(|d| chrono::NaiveDateTime::parse_from_str(d, "%Y%m%dT%H%M%SZ").ok())
        .is_some_and(|t| (chrono::Utc::now().naive_utc() - t).num_seconds().abs() <= MAX_SKEW_SECS);
    if !fresh {
        return Err(ApiError::unauthorized(
            "Authentication failed: X-Sdk-Date is missing or not current.",
        ));
    }
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().map(str::to_string);
    signer::verify(
        secret,
        parts.method.as_str(),
        &path,
        query.as_deref(),
        &headers,
        &bytes,
    )
    .map_err(|e| {
        ApiError::unauthorized(format!(
            "Authentication failed: signature check failed ({e:?})."
        ))
    })?;
    let mut req = Request::from_parts(parts, Body::from(bytes));
    req.extensions_mut().insert(caller);
    Ok(req)
}
