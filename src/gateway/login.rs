//! The answers to refused logins, shared by password logins ([`super::auth`]) and DLI
//! passthrough logins ([`super::passthrough`]).
//!
//! Owns: the wording of each refusal; the SQLSTATE and the FATAL severity come from the
//! error kind ([`crate::errors`]). A leaf: imports no other gateway module.

use pgwire::error::PgWireError;

use crate::errors::{ErrorKind, GatewayError};

/// The answer to every failed login, whatever the reason (wrong password, unknown user).
pub fn auth_failed(user: &str) -> PgWireError {
    GatewayError::new(
        ErrorKind::AuthFailed,
        format!("password authentication failed for user \"{user}\""),
    )
    .into_pgwire()
}

/// The answer to a plaintext login where TLS is required.
pub fn tls_required_error(passthrough: bool) -> PgWireError {
    let message = if passthrough {
        "dli-passthrough logins carry DLI credentials and are accepted only over TLS: \
         connect with sslmode=require"
    } else {
        "TLS is required: connect with sslmode=require"
    };
    GatewayError::new(ErrorKind::LoginRefused, message).into_pgwire()
}

/// The answer to a startup message without a user name (as Postgres words it).
pub fn user_name_required() -> PgWireError {
    GatewayError::new(
        ErrorKind::LoginRefused,
        "no PostgreSQL user name specified in startup packet",
    )
    .into_pgwire()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::sqlstate;
    use pgwire::error::ErrorInfo;

    #[test]
    fn failure_answers() {
        let info: ErrorInfo = auth_failed("bob").into();
        assert_eq!(
            (info.severity.as_str(), info.code.as_str()),
            ("FATAL", sqlstate::INVALID_PASSWORD)
        );
        assert_eq!(
            info.message,
            "password authentication failed for user \"bob\""
        );
        let info: ErrorInfo = tls_required_error(false).into();
        assert_eq!(
            (info.severity.as_str(), info.code.as_str()),
            ("FATAL", sqlstate::INVALID_AUTHORIZATION)
        );
        assert!(info.message.contains("TLS is required"));
        let info: ErrorInfo = user_name_required().into();
        assert_eq!(info.code, sqlstate::INVALID_AUTHORIZATION);
    }
}
