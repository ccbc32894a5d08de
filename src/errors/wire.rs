//! The pgwire error hook: every error a connection sends goes past it.
//!
//! Owns: [`ErrorLog`], installed as pgwire's `ErrorHandler`, and the exhaustive
//! `PgWireError → Blame` table for the errors pgwire raises itself (protocol errors, bind
//! decoding, unknown portals …). They are logged through the same [`super::report`] as
//! ours; errors we built ([`super::GatewayError::into_pgwire`]) were logged when built and
//! are recognised by their non-localized severity. The error itself is left unchanged.
//! Never logs a password: pgwire's messages name at most the user.

use pgwire::api::{ClientInfo, ErrorHandler};
use pgwire::error::PgWireError;

use super::{Blame, report};

/// pgwire's `ErrorHandler`: logs the errors pgwire raised itself.
#[derive(Debug, Default, Clone, Copy)]
pub struct ErrorLog;

impl ErrorHandler for ErrorLog {
    fn on_error<C>(&self, client: &C, error: &mut PgWireError)
    where
        C: ClientInfo,
    {
        let Some(blame) = blame_of(error) else {
            return;
        };
        let peer = client.socket_addr();
        let detail = format!("raised by the wire protocol layer, peer {peer}");
        report(blame, error.code(), &*error, Some(&detail));
    }
}

/// Whose fault a pgwire error is; `None` for errors the gateway built (already logged).
fn blame_of(error: &PgWireError) -> Option<Blame> {
    Some(match error {
        PgWireError::UserError(info) if info.severity_nonlocalized.is_some() => return None,
        // pgwire's own user errors: COPY and Bind protocol misuse by the client program.
        PgWireError::UserError(_) => Blame::Outside,
        PgWireError::UnsupportedProtocolVersion(..)
        | PgWireError::InvalidCancelRequest
        | PgWireError::InvalidSecretKey
        | PgWireError::InvalidMessageType(_)
        | PgWireError::MessageTooLarge(..)
        | PgWireError::InvalidElementCount(..)
        | PgWireError::InvalidTargetType(_)
        | PgWireError::InvalidTransactionStatus(_)
        | PgWireError::InvalidSSLRequestMessage
        | PgWireError::InvalidGssEncRequestMessage
        | PgWireError::InvalidStartupMessage
        | PgWireError::InvalidAuthenticationMessageCode(_)
        | PgWireError::FailedToCoercePasswordMessage
        | PgWireError::InvalidSASLState
        | PgWireError::NoAuthenticationInProgress
        | PgWireError::UnsupportedSASLAuthMethod(_)
        | PgWireError::InvalidScramMessage(_)
        | PgWireError::NotReadyForQuery
        | PgWireError::InvalidOauthMessage(_)
        | PgWireError::IoError(_) => Blame::Outside,
        PgWireError::InvalidPassword(_)
        | PgWireError::UserNameRequired
        | PgWireError::OAuthAuthenticationFailed(_)
        | PgWireError::OAuthValidationError(_)
        | PgWireError::OauthAuthzIdError(_)
        | PgWireError::PortalNotFound(_)
        | PgWireError::StatementNotFound(_)
        | PgWireError::ParameterIndexOutOfBound(_)
        | PgWireError::InvalidRustTypeForParameter(_)
        | PgWireError::FailedToParseParameter(_)
        | PgWireError::QueryCanceled
        | PgWireError::InvalidOptionValue(_) => Blame::User,
        PgWireError::PortalNotStarted
        | PgWireError::UnsupportedCertificateSignatureAlgorithm
        | PgWireError::ApiError(_) => Blame::Gateway,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::{ErrorKind, GatewayError};

    #[test]
    fn ours_are_not_logged_twice_theirs_are() {
        let ours = GatewayError::new(ErrorKind::Syntax, "bad").into_pgwire();
        assert_eq!(blame_of(&ours), None);
        let parse = PgWireError::FailedToParseParameter("not an int".into());
        assert_eq!(blame_of(&parse), Some(Blame::User));
        assert_eq!(
            blame_of(&PgWireError::InvalidStartupMessage),
            Some(Blame::Outside)
        );
        assert_eq!(
            blame_of(&PgWireError::ApiError("boom".into())),
            Some(Blame::Gateway)
        );
    }
}
