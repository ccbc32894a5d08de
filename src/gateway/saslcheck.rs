//! The SASLInitialResponse's layout, checked before pgwire's SCRAM mechanism reads it.
//!
//! Owns: [`Checked`], an `AuthMechanismFactory` around pgwire's SCRAM one whose first
//! client message (mechanism name, then a length-prefixed client-first-message) is read
//! here, bounded by the message: pgwire 0.42 reads it unchecked and panics on a short or
//! lying length. A malformed one is a FATAL 08P01 with Postgres' wording; a well-formed
//! one goes on to pgwire already decoded. Later SASL messages are opaque byte strings,
//! which pgwire reads safely.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use pgwire::api::ClientInfo;
use pgwire::api::auth::mechanism::{AuthMechanism, AuthMechanismFactory, AuthState};
use pgwire::error::PgWireResult;
use pgwire::messages::startup::{PasswordMessageFamily, SASLInitialResponse};

use crate::errors::{ErrorKind, GatewayError};

/// Wraps a SASL mechanism factory.
pub struct Checked(pub Arc<dyn AuthMechanismFactory>);

impl AuthMechanismFactory for Checked {
    fn create(&self) -> Box<dyn AuthMechanism> {
        Box::new(CheckedMechanism {
            inner: self.0.create(),
            first: true,
        })
    }
}

struct CheckedMechanism {
    inner: Box<dyn AuthMechanism>,
    first: bool,
}

fn malformed(message: &str) -> pgwire::error::PgWireError {
    GatewayError::new(ErrorKind::ProtocolViolation, message).into_pgwire()
}

/// A SASLInitialResponse body: mechanism name, then a client message of the length given
/// (-1: none), ending exactly at the end of the body.
pub fn initial_response(body: &[u8]) -> PgWireResult<SASLInitialResponse> {
    let nul = body
        .iter()
        .position(|&b| b == 0)
        .ok_or_else(|| malformed("invalid string in message"))?;
    let name =
        std::str::from_utf8(&body[..nul]).map_err(|_| malformed("invalid SASL mechanism name"))?;
    let rest = &body[nul + 1..];
    let Some((len, data)) = rest.split_first_chunk::<4>() else {
        return Err(malformed("insufficient data left in message"));
    };
    let data = match i32::from_be_bytes(*len) {
        -1 if data.is_empty() => None,
        n if n >= 0 && n as usize == data.len() => Some(Bytes::copy_from_slice(data)),
        n if n >= 0 && (n as usize) < data.len() => {
            return Err(malformed("invalid message format"));
        }
        _ => return Err(malformed("insufficient data left in message")),
    };
    Ok(SASLInitialResponse::new(name.to_string(), data))
}

#[async_trait]
impl AuthMechanism for CheckedMechanism {
    async fn begin(&mut self, client: &(dyn ClientInfo + Send + Sync)) -> PgWireResult<AuthState> {
        self.inner.begin(client).await
    }

    async fn next(
        &mut self,
        client: &(dyn ClientInfo + Send + Sync),
        message: PasswordMessageFamily,
    ) -> PgWireResult<AuthState> {
        let message = match message {
            PasswordMessageFamily::Raw(body) if self.first => {
                PasswordMessageFamily::SASLInitialResponse(initial_response(&body)?)
            }
            other => other,
        };
        self.first = false;
        self.inner.next(client, message).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_responses_are_bounded_by_the_message() {
        let ok = initial_response(b"SCRAM-SHA-256\0\0\0\0\x03abc").unwrap();
        assert_eq!(ok.auth_method, "SCRAM-SHA-256");
        assert_eq!(ok.data.as_deref(), Some(&b"abc"[..]));
        assert!(
            initial_response(b"SCRAM-SHA-256\0\xff\xff\xff\xff")
                .unwrap()
                .data
                .is_none()
        );
        for bad in [
            &b"SCRAM-SHA-256"[..],
            b"SCRAM-SHA-256\0\0\0",
            b"SCRAM-SHA-256\0\0\0\0\x09abc",
            b"SCRAM-SHA-256\0\0\0\0\x01abc",
            b"SCRAM-SHA-256\0\xff\xff\xff\xfeabc",
            b"SCRAM-SHA-256\0\xff\xff\xff\xffabc",
        ] {
            let e = initial_response(bad).unwrap_err();
            assert_eq!(e.code(), "08P01", "{bad:?}");
            assert!(e.is_fatal(), "{bad:?}");
        }
    }
}
