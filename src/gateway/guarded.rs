//! The client's byte stream as pgwire reads it: only whole frames [`super::frames`]
//! accepted.
//!
//! Owns: [`Guarded`], the stream between the socket (or TLS) and pgwire's codec that
//! judges each frame before handing it out (a refused frame is a read error carrying the
//! [`GatewayError`] to answer with), counts the bytes in both directions for the
//! metrics, and gives back its buffer while the session is idle. What to answer a
//! refused frame with, and closing, are [`super::conn`]'s.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::frames::{self, Frame, Phase};
use crate::errors::GatewayError;

/// A stream whose reads yield only whole frames that [`frames::frame`] accepted; a
/// refused frame is a read error carrying the [`GatewayError`] to answer with.
pub struct Guarded<S> {
    inner: S,
    /// Bytes read from `inner`; the first `ready` of them are judged and may be handed out.
    raw: BytesMut,
    ready: usize,
    phase: Phase,
    /// The refusal of the frame after the `ready` bytes, delivered once they are read.
    refusal: Option<GatewayError>,
    refused: bool,
    eof: bool,
}

impl<S> Guarded<S> {
    /// `pending`: bytes already read from `inner` (during TLS negotiation), not yet judged.
    pub fn new(inner: S, pending: BytesMut) -> Self {
        Self {
            inner,
            raw: pending,
            ready: 0,
            phase: Phase::Startup,
            refusal: None,
            refused: false,
            eof: false,
        }
    }

    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Give back the buffer of raw bytes when nothing is left in it (an idle session).
    /// Its capacity cannot tell: bytes handed out still count against the allocation.
    pub fn release_idle_buffer(&mut self) {
        if self.raw.is_empty() {
            self.raw = BytesMut::new();
        }
    }

    /// Judge the frames at the head of the unjudged bytes.
    fn judge(&mut self) -> Result<(), GatewayError> {
        while self.ready < self.raw.len() {
            match frames::frame(&mut self.raw[self.ready..], self.phase)? {
                Frame::Incomplete => break,
                Frame::Ready { len, startup } => {
                    self.ready += len;
                    if startup {
                        self.phase = Phase::Typed;
                    }
                }
            }
        }
        Ok(())
    }
}

fn refused(e: GatewayError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

impl<S: AsyncRead + Unpin> AsyncRead for Guarded<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.ready > 0 {
                let n = this.ready.min(buf.remaining());
                buf.put_slice(&this.raw[..n]);
                this.raw.advance(n);
                this.ready -= n;
                return Poll::Ready(Ok(()));
            }
            if let Some(e) = this.refusal.take() {
                this.refused = true;
                return Poll::Ready(Err(refused(e)));
            }
            if this.refused || this.eof {
                // a frame cut short by the end of input is dropped, as by Postgres
                return Poll::Ready(Ok(()));
            }
            if let Err(e) = this.judge() {
                this.refusal = Some(e);
            }
            if this.ready > 0 || this.refusal.is_some() {
                continue;
            }
            let mut chunk = [0u8; 8192];
            let mut rb = ReadBuf::new(&mut chunk);
            match Pin::new(&mut this.inner).poll_read(cx, &mut rb) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) if rb.filled().is_empty() => this.eof = true,
                Poll::Ready(Ok(())) => {
                    crate::metrics::bytes_received(rb.filled().len());
                    this.raw.extend_from_slice(rb.filled());
                }
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Guarded<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, b: &[u8]) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.get_mut().inner).poll_write(cx, b);
        if let Poll::Ready(Ok(n)) = &written {
            crate::metrics::bytes_sent(*n);
        }
        written
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
