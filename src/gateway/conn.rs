//! One client connection, from TLS negotiation to close.
//!
//! Owns: the per-connection loop (in place of `pgwire::tokio::process_socket`, built from
//! the same public pgwire pieces: its codec, `process_message`, `process_error`), TLS
//! negotiation (each of SSLRequest and GSSENCRequest answered once, as by Postgres),
//! the answer to every frame the [`Guarded`] stream refuses or pgwire cannot decode: a FATAL
//! `ErrorResponse` (08P01, or Postgres' code for the case), then the close. pgwire's own
//! loop drops such a connection without a word, and its decoders panic on the messages
//! the guard refuses.
//! Also the connection's end as [`super::lifecycle`] decides it: a session slot taken at
//! the startup packet (FATAL 53300 when none is free; a CancelRequest needs none), FATAL
//! 57P05 after `idle_session_timeout`, FATAL 57P01 at shutdown (idle sessions at once, a
//! running statement when the grace period is over: dropping it cancels its DLI job).
//! And what an idle session holds: its buffers are given back between statements and a
//! running statement's state is boxed, so a waiting connection costs little memory.
//!
//! Why a wrapper and not a patched pgwire: the checks are a few hundred lines of ours
//! over the wire format, which does not change between pgwire releases, while a vendored
//! copy of pgwire (22k lines) would have to be re-patched at every upgrade.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Buf, BytesMut};
use futures::{SinkExt, StreamExt};
use pgwire::api::{
    ClientInfo, DefaultClient, ErrorHandler, PgWireConnectionState, PgWireServerHandlers,
};
use pgwire::error::{ErrorInfo, PgWireError};
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use pgwire::tokio::TlsAcceptor;
use pgwire::tokio::server::{MaybeTls, PgWireMessageServerCodec, process_error, process_message};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::codec::{Encoder, Framed};

use super::guarded::Guarded;
use super::lifecycle::{self, Limits};
use super::session::Session;
use crate::errors::{ErrorKind, GatewayError};

/// As pgwire's: a client that has not logged in by then is dropped.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// After a FATAL error, how long the rest of the client's input is read and dropped, so
/// that closing does not reset the connection before the client has read the error.
const LINGER: Duration = Duration::from_millis(500);
const LINGER_BYTES: usize = 1 << 20;

/// The `ErrorResponse` for a frame that could not be read: ours when the guard refused
/// it, pgwire's decoder error (made FATAL) otherwise; `None` for a broken connection.
fn read_error(e: PgWireError) -> Option<ErrorInfo> {
    let info = match e {
        PgWireError::IoError(io) => {
            let ours = io.get_ref().and_then(|i| i.downcast_ref::<GatewayError>());
            return ours.map(|g| g.clone().into_error_info());
        }
        other => GatewayError::new(ErrorKind::ProtocolViolation, other.to_string()),
    };
    Some(info.into_error_info())
}

const SSL_CODE: u32 = 80_877_103;
const GSS_CODE: u32 = 80_877_104;

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// The connection framed for pgwire, in the startup state.
fn framed<S>(
    io: MaybeTls,
    peer: SocketAddr,
    secure: bool,
    sni: Option<String>,
    pending: BytesMut,
) -> Framed<Guarded<MaybeTls>, PgWireMessageServerCodec<S>> {
    let mut client = DefaultClient::new(peer, secure);
    client.sni_server_name = sni;
    let mut socket = Framed::new(
        Guarded::new(io, pending),
        PgWireMessageServerCodec::new(client),
    );
    socket.set_state(PgWireConnectionState::AwaitingStartup);
    socket
}

async fn accept_tls<S>(
    acceptor: &TlsAcceptor,
    tcp: TcpStream,
    peer: SocketAddr,
    direct: bool,
) -> io::Result<Framed<Guarded<MaybeTls>, PgWireMessageServerCodec<S>>> {
    let stream = acceptor.accept(tcp).await?;
    let (_, session) = stream.get_ref();
    // a direct TLS connection must say it speaks postgresql (ALPN), as libpq does
    if direct && session.alpn_protocol() != Some(b"postgresql".as_slice()) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "direct TLS connection without the postgresql ALPN protocol",
        ));
    }
    let sni = session.server_name().map(str::to_string);
    Ok(framed(
        MaybeTls::Tls(Box::new(stream)),
        peer,
        true,
        sni,
        BytesMut::new(),
    ))
}

/// TLS negotiation as Postgres does it: direct TLS, or SSLRequest / GSSENCRequest, each
/// answered once ('S' and the handshake, or 'N'). Whatever follows — a startup packet,
/// a cancel request, or a second request of a kind already answered — is the guard's.
async fn negotiate<S>(
    mut tcp: TcpStream,
    tls: Option<TlsAcceptor>,
) -> io::Result<Option<Framed<Guarded<MaybeTls>, PgWireMessageServerCodec<S>>>> {
    let peer = tcp.peer_addr()?;
    tcp.set_nodelay(true)?;
    let mut first = [0u8; 1];
    if tcp.peek(&mut first).await? == 0 {
        return Ok(None);
    }
    if first[0] == 0x16 {
        return match &tls {
            Some(acceptor) => accept_tls(acceptor, tcp, peer, true).await.map(Some),
            None => Ok(None),
        };
    }
    let mut pending = BytesMut::with_capacity(256);
    let (mut ssl_done, mut gss_done) = (false, false);
    loop {
        while pending.len() < 8 {
            if tcp.read_buf(&mut pending).await? == 0 {
                return Ok(None);
            }
        }
        let (len, code) = (be32(&pending[..4]), be32(&pending[4..8]));
        if len == 8 && code == SSL_CODE && !ssl_done {
            pending.advance(8);
            ssl_done = true;
            if let Some(acceptor) = &tls {
                if !pending.is_empty() {
                    // bytes sent in the clear ahead of the handshake: never read them
                    // as if they had come over TLS
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "data received before the TLS handshake",
                    ));
                }
                tcp.write_all(b"S").await?;
                return accept_tls(acceptor, tcp, peer, false).await.map(Some);
            }
            tcp.write_all(b"N").await?;
        } else if len == 8 && code == GSS_CODE && !gss_done {
            pending.advance(8);
            gss_done = true;
            tcp.write_all(b"N").await?;
        } else {
            break;
        }
    }
    Ok(Some(framed(
        MaybeTls::Plain(tcp),
        peer,
        false,
        None,
        pending,
    )))
}

/// A logged-in session, counted in the metrics until the connection ends.
struct Counted(bool);

impl Counted {
    fn logged_in(&mut self) {
        if !self.0 {
            self.0 = true;
            crate::metrics::session_opened();
        }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        if self.0 {
            crate::metrics::session_closed();
            super::trim::session_closed();
        }
    }
}

/// The session's idle timeout: its own `SET idle_session_timeout`, else the server's.
fn idle_timeout<C: ClientInfo>(client: &C, limits: &Limits) -> Option<Duration> {
    let ms = match client.session_extensions().get::<Session>() {
        Some(session) => session.snapshot().idle_session_timeout_ms,
        None => limits.idle_default_ms(),
    };
    (ms > 0).then(|| Duration::from_millis(ms))
}

fn fatal(kind: ErrorKind, message: &str) -> ErrorInfo {
    GatewayError::new(kind, message).into_error_info()
}

fn shutting_down() -> ErrorInfo {
    fatal(
        ErrorKind::AdminShutdown,
        "terminating connection due to administrator command",
    )
}

/// Sleeps `d`, or forever.
async fn sleep_for(d: Option<Duration>) {
    match d {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}

/// Serve one TCP connection until it ends.
pub async fn serve<H: PgWireServerHandlers>(
    tcp: TcpStream,
    tls: Option<TlsAcceptor>,
    handlers: H,
    limits: Limits,
) -> io::Result<()> {
    let deadline = tokio::time::sleep(STARTUP_TIMEOUT);
    tokio::pin!(deadline);
    let negotiated = tokio::select! {
        _ = &mut deadline => return Ok(()),
        s = negotiate(tcp, tls) => s?,
    };
    let Some(mut socket) = negotiated else {
        return Ok(());
    };

    let startup = handlers.startup_handler();
    let simple = handlers.simple_query_handler();
    let extended = handlers.extended_query_handler();
    let copy = handlers.copy_handler();
    let cancel = handlers.cancel_handler();
    let errors = handlers.error_handler();
    // the session slot, taken at the startup packet and held until the connection ends
    let mut slot = None;
    let mut counted = Counted(false);
    loop {
        let logging_in = matches!(
            socket.state(),
            PgWireConnectionState::AwaitingStartup
                | PgWireConnectionState::AuthenticationInProgress
        );
        let next = if logging_in {
            tokio::select! {
                _ = &mut deadline => None,
                m = socket.next() => m,
            }
        } else {
            counted.logged_in();
            release_idle_buffers(&mut socket);
            let idle = idle_timeout(&socket, &limits);
            tokio::select! {
                m = socket.next() => m,
                _ = limits.reached(lifecycle::Phase::Draining) => {
                    refuse(&mut socket, shutting_down()).await;
                    break;
                }
                _ = sleep_for(idle) => {
                    let info = fatal(
                        ErrorKind::IdleSessionTimeout,
                        "terminating connection due to idle-session timeout",
                    );
                    refuse(&mut socket, info).await;
                    break;
                }
            }
        };
        let msg = match next {
            None => break,
            Some(Ok(msg)) => msg,
            Some(Err(e)) => {
                if let Some(info) = read_error(e) {
                    refuse(&mut socket, info).await;
                }
                break;
            }
        };
        if matches!(msg, PgWireFrontendMessage::Terminate(_)) {
            break;
        }
        if matches!(msg, PgWireFrontendMessage::Startup(_)) && slot.is_none() {
            if limits.phase() != lifecycle::Phase::Serving {
                crate::metrics::connection_refused("shutting_down");
                refuse(&mut socket, shutting_down()).await;
                break;
            }
            slot = limits.admit().await;
            if slot.is_none() {
                crate::metrics::connection_refused("too_many_connections");
                let info = fatal(
                    ErrorKind::TooManyConnections,
                    "sorry, too many clients already",
                );
                refuse(&mut socket, info).await;
                break;
            }
        }
        let extended_query = match socket.state() {
            PgWireConnectionState::CopyInProgress(extended) => extended,
            _ => msg.is_extended_query(),
        };
        let is_cancel = matches!(msg, PgWireFrontendMessage::CancelRequest(_));
        // Boxed: the statement's state lives on the heap while it runs, so an idle
        // session's task is only the connection loop (a few hundred bytes, not the
        // largest statement's state machine).
        let handled = tokio::select! {
            h = Box::pin(process_message(
                msg,
                &mut socket,
                startup.clone(),
                simple.clone(),
                extended.clone(),
                copy.clone(),
                cancel.clone(),
            )) => Some(h),
            // Past the shutdown grace period: the statement is dropped (which cancels
            // its DLI job) and the session closed.
            _ = limits.reached(lifecycle::Phase::Closing) => None,
        };
        let Some(handled) = handled else {
            refuse(&mut socket, shutting_down()).await;
            break;
        };
        if let Err(mut e) = handled {
            errors.on_error(&socket, &mut e);
            if e.is_fatal() {
                // no ReadyForQuery after a FATAL error (pgwire's `process_error` sends one)
                refuse(&mut socket, e.into()).await;
                break;
            }
            process_error(&mut socket, e, extended_query).await?;
        }
        if is_cancel {
            break;
        }
    }
    drop(slot);
    Ok(())
}

/// Drop the connection's buffers when they are empty, before waiting for the next
/// message: Framed starts with 8 KB each way and a large message grows them, so an idle
/// session held at least 16 KB it did not use. They grow again with the next message (a
/// few small allocations per statement). Their capacity cannot tell what they hold: a
/// buffer read out to its end reports little capacity on a large allocation.
fn release_idle_buffers<S, C>(socket: &mut Framed<Guarded<S>, C>) {
    fn release(buf: &mut BytesMut) {
        if buf.is_empty() {
            *buf = BytesMut::new();
        }
    }
    release(socket.read_buffer_mut());
    release(socket.write_buffer_mut());
    socket.get_mut().release_idle_buffer();
}

/// Send a FATAL error, close our side, and let the client read it.
async fn refuse<S, C>(socket: &mut Framed<Guarded<S>, C>, info: ErrorInfo)
where
    S: AsyncRead + AsyncWrite + Unpin,
    C: Encoder<PgWireBackendMessage>,
    C::Error: From<io::Error>,
{
    if socket
        .send(PgWireBackendMessage::ErrorResponse(info.into()))
        .await
        .is_ok()
    {
        let _ = socket.close().await;
        linger(socket).await;
    }
}

/// Drain what the client still sends, for a moment, before the socket is dropped.
async fn linger<S: AsyncRead + Unpin, C>(socket: &mut Framed<Guarded<S>, C>) {
    let inner = socket.get_mut().get_mut();
    let drain = async {
        // on the heap: an array here would be part of every connection task's state
        let mut scratch = vec![0u8; 8192];
        let mut total = 0;
        while total < LINGER_BYTES {
            match inner.read(&mut scratch).await {
                Ok(0) | Err(_) => break,
                Ok(n) => total += n,
            }
        }
    };
    let _ = tokio::time::timeout(LINGER, drain).await;
}
