//! Frontend message framing and layout, checked before pgwire decodes a byte.
//!
//! Owns: the rules a client message must follow to reach pgwire's decoder — its length
//! (at least its own 4 bytes, at most pgwire's limit for its type), a known type, and a
//! body laid out exactly as its type says (every count backed by bytes, every string
//! NUL-terminated inside the message, nothing left over), plus the startup packet's
//! layout and protocol version. pgwire 0.42 reads message bodies from the whole input
//! buffer, unchecked: a short or lying message panics its decoder or is read into the
//! next message. [`super::conn`] hands pgwire only frames that passed [`frame`], so
//! those decoders never see one that could make them do either. An Execute's negative
//! row limit is rewritten to 0 ("all rows", what Postgres makes of any limit ≤ 0), one
//! above [`MAX_ROWS_PER_EXECUTE`] to that.
//!
//! Each violation is a FATAL [`GatewayError`] with Postgres' wording for it.

use crate::errors::{ErrorKind, GatewayError};

/// pgwire's size limits (`messages::SMALL_PACKET_SIZE_LIMIT`, `LARGE_PACKET_SIZE_LIMIT`):
/// a message's length field, its own 4 bytes included, may not exceed them.
const SMALL_LIMIT: usize = 10_000;
const LARGE_LIMIT: usize = 0x3fff_ffff - 1;
/// A startup packet (and SSLRequest, CancelRequest) is 8 bytes at least, like Postgres.
const STARTUP_MIN: usize = 8;
const CANCEL_CODE: u32 = 80_877_102;
const SSL_CODE: u32 = 80_877_103;
const GSS_CODE: u32 = 80_877_104;
/// A CancelRequest: code, pid and a secret key of 4 (protocol 3.0) to 256 bytes (3.2).
const CANCEL_MIN: usize = 16;
const CANCEL_MAX: usize = 12 + 256;

/// The largest row limit an Execute passes to pgwire, which allocates room for that many
/// rows up front (2^31 - 1 asked for 46 GB and aborted the process): a larger limit
/// returns this many rows, then PortalSuspended, and the client executes again.
const MAX_ROWS_PER_EXECUTE: i32 = 100_000;

/// What the next frame is: a startup-phase packet (no type byte) or a typed message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Startup,
    Typed,
}

/// The outcome of looking at the start of the input.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// More bytes are needed to judge the next frame.
    Incomplete,
    /// The next `len` bytes are one valid frame; `startup` when it was a startup packet
    /// (typed messages follow).
    Ready { len: usize, startup: bool },
}

fn violation(message: impl Into<String>) -> GatewayError {
    GatewayError::new(ErrorKind::ProtocolViolation, message)
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Judge the frame at the start of `buf` (which may be rewritten in place, see the
/// module doc). Errors as soon as the bytes at hand prove the frame invalid.
pub fn frame(buf: &mut [u8], phase: Phase) -> Result<Frame, GatewayError> {
    match phase {
        Phase::Startup => startup_frame(buf),
        Phase::Typed => typed_frame(buf),
    }
}

fn startup_frame(buf: &mut [u8]) -> Result<Frame, GatewayError> {
    if buf.len() < 4 {
        return Ok(Frame::Incomplete);
    }
    let len = be32(buf) as usize;
    if !(STARTUP_MIN..=SMALL_LIMIT).contains(&len) {
        return Err(violation("invalid length of startup packet"));
    }
    if buf.len() < len {
        return Ok(Frame::Incomplete);
    }
    let code = be32(&buf[4..]);
    let body = &buf[8..len];
    match code {
        CANCEL_CODE if (CANCEL_MIN..=CANCEL_MAX).contains(&len) => {}
        CANCEL_CODE => return Err(violation("invalid length of cancel request packet")),
        SSL_CODE | GSS_CODE => return Err(unsupported_version(code)),
        _ if code >> 16 != 3 => return Err(unsupported_version(code)),
        _ => startup_parameters(body)?,
    }
    Ok(Frame::Ready {
        len,
        startup: code != CANCEL_CODE,
    })
}

/// Postgres' answer to a version it does not speak (a second SSLRequest reads as 1234.5679).
fn unsupported_version(code: u32) -> GatewayError {
    GatewayError::new(
        ErrorKind::UnsupportedProtocol,
        format!(
            "unsupported frontend protocol {}.{}: server supports 3.0 to 3.2",
            code >> 16,
            code & 0xffff
        ),
    )
}

/// Name/value pairs of NUL-terminated strings, then one more NUL as the last byte.
fn startup_parameters(body: &[u8]) -> Result<(), GatewayError> {
    let layout = || violation("invalid startup packet layout: expected terminator as last byte");
    if body.last() != Some(&0) {
        return Err(layout());
    }
    let mut rest = &body[..body.len() - 1];
    while !rest.is_empty() {
        for _ in 0..2 {
            let nul = rest.iter().position(|&b| b == 0).ok_or_else(layout)?;
            rest = &rest[nul + 1..];
        }
    }
    Ok(())
}

/// The largest length field pgwire accepts for a frontend message type; `None` for a
/// type pgwire does not decode.
fn max_len(kind: u8) -> Option<usize> {
    Some(match kind {
        b'Q' | b'P' | b'B' | b'd' => LARGE_LIMIT,
        b'p' | b'C' | b'D' | b'E' | b'H' | b'S' | b'X' | b'c' | b'f' => SMALL_LIMIT,
        _ => return None,
    })
}

fn typed_frame(buf: &mut [u8]) -> Result<Frame, GatewayError> {
    let Some(&kind) = buf.first() else {
        return Ok(Frame::Incomplete);
    };
    let Some(max) = max_len(kind) else {
        return Err(violation(format!("invalid frontend message type {kind}")));
    };
    if buf.len() < 5 {
        return Ok(Frame::Incomplete);
    }
    let len = be32(&buf[1..]) as usize;
    if !(4..=max).contains(&len) {
        return Err(violation("invalid message length"));
    }
    if buf.len() < len + 1 {
        return Ok(Frame::Incomplete);
    }
    body(kind, &mut buf[5..len + 1])?;
    Ok(Frame::Ready {
        len: len + 1,
        startup: false,
    })
}

/// A cursor over one message body that never reads past it.
struct Body<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Body<'a> {
    fn short() -> GatewayError {
        violation("insufficient data left in message")
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8], GatewayError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.data.len());
        let end = end.ok_or_else(Self::short)?;
        let out = &self.data[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn u16(&mut self) -> Result<usize, GatewayError> {
        let b = self.bytes(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]) as usize)
    }

    fn i32(&mut self) -> Result<i32, GatewayError> {
        let b = self.bytes(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A NUL-terminated UTF-8 string inside the body.
    fn cstring(&mut self) -> Result<&'a str, GatewayError> {
        let rest = &self.data[self.at..];
        let nul = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| violation("invalid string in message"))?;
        self.at += nul + 1;
        std::str::from_utf8(&rest[..nul]).map_err(|e| {
            let bad = rest.get(e.valid_up_to()).copied().unwrap_or_default();
            GatewayError::new(
                ErrorKind::BadEncoding,
                format!("invalid byte sequence for encoding \"UTF8\": 0x{bad:02x}"),
            )
        })
    }

    fn end(&self) -> Result<(), GatewayError> {
        if self.at == self.data.len() {
            Ok(())
        } else {
            Err(violation("invalid message format"))
        }
    }
}

/// The layout of each message type pgwire decodes field by field.
fn body(kind: u8, data: &mut [u8]) -> Result<(), GatewayError> {
    let mut b = Body { data, at: 0 };
    match kind {
        b'Q' | b'f' => {
            b.cstring()?;
        }
        b'P' => {
            b.cstring()?;
            b.cstring()?;
            let n = b.u16()?;
            b.bytes(n * 4)?;
        }
        b'B' => bind(&mut b)?,
        b'E' => {
            b.cstring()?;
            let rows_at = b.at;
            let rows = b.i32()?;
            let fixed = if rows < 0 {
                0
            } else {
                rows.min(MAX_ROWS_PER_EXECUTE)
            };
            if fixed != rows {
                b.end()?;
                data[rows_at..rows_at + 4].copy_from_slice(&fixed.to_be_bytes());
                return Ok(());
            }
        }
        b'C' | b'D' => {
            let target = b.bytes(1)?[0];
            if target != b'S' && target != b'P' {
                return Err(violation(format!(
                    "invalid {} message subtype {target}",
                    if kind == b'C' { "CLOSE" } else { "DESCRIBE" }
                )));
            }
            b.cstring()?;
        }
        // The password family is read by the login mechanism that expects it
        // (`super::auth`); CopyData is opaque.
        b'p' | b'd' => return Ok(()),
        _ => {}
    }
    b.end()
}

fn bind(b: &mut Body<'_>) -> Result<(), GatewayError> {
    b.cstring()?;
    b.cstring()?;
    let formats = b.u16()?;
    b.bytes(formats * 2)?;
    let params = b.u16()?;
    if formats > 1 && formats != params {
        return Err(violation(format!(
            "bind message has {formats} parameter formats but {params} parameters"
        )));
    }
    for _ in 0..params {
        match b.i32()? {
            -1 => {}
            n if n < 0 => return Err(violation(format!("invalid parameter length {n}"))),
            n => {
                b.bytes(n as usize)?;
            }
        }
    }
    let results = b.u16()?;
    b.bytes(results * 2)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![kind];
        v.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
        v.extend_from_slice(body);
        v
    }

    fn judge(mut v: Vec<u8>) -> Result<Frame, String> {
        frame(&mut v, Phase::Typed).map_err(|e| format!("{} {}", e.kind.sqlstate(), e.message))
    }

    #[test]
    fn valid_messages_pass_whole() {
        let q = msg(b'Q', b"SELECT 1\0");
        let len = q.len();
        assert_eq!(
            judge(q),
            Ok(Frame::Ready {
                len,
                startup: false
            })
        );
        assert_eq!(judge(msg(b'S', b"")).map(|_| ()), Ok(()));
        let bind = msg(b'B', b"\0\0\0\x01\0\x00\0\x01\0\0\0\x011\0\0");
        assert_eq!(judge(bind).map(|_| ()), Ok(()));
        // incomplete: only part of the body yet
        let mut partial = msg(b'Q', b"SELECT 1\0");
        partial.truncate(7);
        assert_eq!(judge(partial), Ok(Frame::Incomplete));
    }

    #[test]
    fn broken_messages_are_refused_with_postgres_wording() {
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (vec![b'Q', 0, 0, 0, 3], "08P01 invalid message length"),
            (
                vec![b'Q', 0xff, 0xff, 0xff, 0xff],
                "08P01 invalid message length",
            ),
            (vec![b'S', 0, 0, 0x30, 0], "08P01 invalid message length"),
            (
                vec![b'Z', 0, 0, 0, 4],
                "08P01 invalid frontend message type 90",
            ),
            (msg(b'Q', b"SELECT 1"), "08P01 invalid string in message"),
            (msg(b'Q', b"SELECT 1\0x"), "08P01 invalid message format"),
            (msg(b'Q', b"SELECT \xff\0"), "22021 invalid byte sequence"),
            (msg(b'P', b"\0SELECT 1\0\0\x05"), "08P01 insufficient data"),
            (
                msg(b'B', b"\0\0\0\0\0\x01\xff\xff\xff\xfe\0\0"),
                "08P01 invalid parameter length -2",
            ),
            (
                msg(b'B', b"\0\0\0\0\0\x02\0\0\0\x05ab"),
                "08P01 insufficient data",
            ),
            (
                msg(b'B', b"\0\0\0\x02\0\0\0\0\0\x03"),
                "08P01 bind message has 2 parameter formats but 3 parameters",
            ),
            (msg(b'E', b"\0\0"), "08P01 insufficient data"),
            (
                msg(b'D', b"X\0"),
                "08P01 invalid DESCRIBE message subtype 88",
            ),
            (msg(b'S', b"x"), "08P01 invalid message format"),
        ];
        for (bytes, want) in cases {
            let got = judge(bytes.clone()).expect_err(&format!("{bytes:?} passed"));
            assert!(got.starts_with(want), "{bytes:?}: {got}");
        }
    }

    #[test]
    fn negative_row_limits_mean_all_rows() {
        let mut e = msg(b'E', b"\0\xff\xff\xff\xff");
        assert!(matches!(
            frame(&mut e, Phase::Typed),
            Ok(Frame::Ready { .. })
        ));
        assert_eq!(&e[6..], &[0, 0, 0, 0]);
    }

    #[test]
    fn startup_packets() {
        let mut ok = Vec::new();
        let body = b"\0\x03\0\0user\0dli\0\0";
        ok.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
        ok.extend_from_slice(body);
        let len = ok.len();
        assert_eq!(
            frame(&mut ok, Phase::Startup),
            Ok(Frame::Ready { len, startup: true })
        );
        let code = |c: u32, extra: &[u8]| {
            let mut v = ((8 + extra.len()) as u32).to_be_bytes().to_vec();
            v.extend_from_slice(&c.to_be_bytes());
            v.extend_from_slice(extra);
            frame(&mut v, Phase::Startup)
                .map_err(|e| format!("{} {}", e.kind.sqlstate(), e.message))
        };
        let ssl = code(SSL_CODE, b"").unwrap_err();
        assert_eq!(
            ssl,
            "0A000 unsupported frontend protocol 1234.5679: server supports 3.0 to 3.2"
        );
        assert!(code(2 << 16, b"\0").unwrap_err().starts_with("0A000"));
        assert!(code(3 << 16, b"user\0").unwrap_err().contains("layout"));
        assert!(
            code(3 << 16, b"user\0dli\0")
                .unwrap_err()
                .contains("layout")
        );
        assert!(code(CANCEL_CODE, b"").unwrap_err().contains("cancel"));
        assert!(matches!(
            code(CANCEL_CODE, &[0; 8]),
            Ok(Frame::Ready { startup: false, .. })
        ));
        let mut tiny = vec![0, 0, 0, 4];
        assert!(frame(&mut tiny, Phase::Startup).is_err());
    }
}
