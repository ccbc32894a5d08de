//! Hand-built Postgres frontend frames over a raw TCP socket, and what the server
//! answers: for tests (and the protocol fuzz bench) that send what no driver would.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A typed frontend message.
pub fn msg(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![kind];
    v.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
    v.extend_from_slice(body);
    v
}

/// A startup packet for protocol 3.0 with these parameters.
pub fn startup(params: &[(&str, &str)]) -> Vec<u8> {
    startup_version(3 << 16, params)
}

pub fn startup_version(version: u32, params: &[(&str, &str)]) -> Vec<u8> {
    let mut body = version.to_be_bytes().to_vec();
    for (k, v) in params {
        body.extend_from_slice(k.as_bytes());
        body.push(0);
        body.extend_from_slice(v.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut v = ((body.len() + 4) as u32).to_be_bytes().to_vec();
    v.extend_from_slice(&body);
    v
}

pub fn ssl_request() -> Vec<u8> {
    let mut v = 8u32.to_be_bytes().to_vec();
    v.extend_from_slice(&80_877_103u32.to_be_bytes());
    v
}

pub fn cstr(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

pub fn query(sql: &str) -> Vec<u8> {
    msg(b'Q', &cstr(sql))
}

pub fn parse(name: &str, sql: &str, types: &[u32]) -> Vec<u8> {
    let mut b = cstr(name);
    b.extend(cstr(sql));
    b.extend((types.len() as u16).to_be_bytes());
    for t in types {
        b.extend(t.to_be_bytes());
    }
    msg(b'P', &b)
}

/// Bind with text parameters (`None`: NULL) and the given result format codes.
pub fn bind(portal: &str, stmt: &str, params: &[Option<&str>], results: &[i16]) -> Vec<u8> {
    let mut b = cstr(portal);
    b.extend(cstr(stmt));
    b.extend(0u16.to_be_bytes());
    b.extend((params.len() as u16).to_be_bytes());
    for p in params {
        match p {
            Some(v) => {
                b.extend((v.len() as i32).to_be_bytes());
                b.extend(v.as_bytes());
            }
            None => b.extend((-1i32).to_be_bytes()),
        }
    }
    b.extend((results.len() as u16).to_be_bytes());
    for r in results {
        b.extend(r.to_be_bytes());
    }
    msg(b'B', &b)
}

pub fn describe(kind: u8, name: &str) -> Vec<u8> {
    let mut b = vec![kind];
    b.extend(cstr(name));
    msg(b'D', &b)
}

pub fn execute(portal: &str, max_rows: i32) -> Vec<u8> {
    let mut b = cstr(portal);
    b.extend(max_rows.to_be_bytes());
    msg(b'E', &b)
}

pub fn sync() -> Vec<u8> {
    msg(b'S', &[])
}

/// SASLInitialResponse for SCRAM-SHA-256 with `data` as the client-first-message.
pub fn sasl_initial(data: &[u8]) -> Vec<u8> {
    let mut b = cstr("SCRAM-SHA-256");
    b.extend((data.len() as i32).to_be_bytes());
    b.extend(data);
    msg(b'p', &b)
}

/// One backend message: its type and body.
#[derive(Debug, Clone)]
pub struct Backend {
    pub kind: u8,
    pub body: Vec<u8>,
}

impl Backend {
    /// A field of an ErrorResponse / NoticeResponse (`b'C'`: SQLSTATE, `b'M'`: message).
    pub fn field(&self, code: u8) -> Option<String> {
        let mut rest = &self.body[..];
        while let Some((&c, tail)) = rest.split_first() {
            if c == 0 {
                break;
            }
            let end = tail.iter().position(|&b| b == 0)?;
            if c == code {
                return Some(String::from_utf8_lossy(&tail[..end]).into_owned());
            }
            rest = &tail[end + 1..];
        }
        None
    }
}

/// A raw connection.
pub struct Raw {
    pub stream: TcpStream,
    buf: Vec<u8>,
    pub closed: bool,
}

impl Raw {
    pub async fn connect(addr: SocketAddr) -> Raw {
        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).ok();
        Raw {
            stream,
            buf: Vec::new(),
            closed: false,
        }
    }

    /// Send bytes; a server that already closed may refuse them (not an error here).
    pub async fn send(&mut self, bytes: &[u8]) {
        let _ = self.stream.write_all(bytes).await;
    }

    /// The next backend message, or `None` at end of input or after `wait` of silence.
    pub async fn next(&mut self, wait: Duration) -> Option<Backend> {
        loop {
            if self.buf.len() >= 5 {
                let len = u32::from_be_bytes([self.buf[1], self.buf[2], self.buf[3], self.buf[4]]);
                let total = len as usize + 1;
                if self.buf.len() >= total {
                    let body = self.buf[5..total].to_vec();
                    let kind = self.buf[0];
                    self.buf.drain(..total);
                    return Some(Backend { kind, body });
                }
            }
            let mut chunk = [0u8; 65536];
            match tokio::time::timeout(wait, self.stream.read(&mut chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) => {
                    self.closed = true;
                    return None;
                }
                Ok(Ok(n)) => self.buf.extend_from_slice(&chunk[..n]),
                Err(_) => return None,
            }
        }
    }

    /// One byte (the answer to an SSLRequest).
    pub async fn byte(&mut self, wait: Duration) -> Option<u8> {
        let mut b = [0u8; 1];
        match tokio::time::timeout(wait, self.stream.read_exact(&mut b)).await {
            Ok(Ok(_)) => Some(b[0]),
            _ => None,
        }
    }

    /// Messages until the server closes or goes quiet for `wait`.
    pub async fn drain(&mut self, wait: Duration) -> Vec<Backend> {
        let mut out = Vec::new();
        while let Some(m) = self.next(wait).await {
            out.push(m);
        }
        out
    }

    /// Messages until ReadyForQuery (included), the close, or `wait` of silence.
    pub async fn until_ready(&mut self, wait: Duration) -> Vec<Backend> {
        let mut out = Vec::new();
        while let Some(m) = self.next(wait).await {
            let ready = m.kind == b'Z';
            out.push(m);
            if ready {
                break;
            }
        }
        out
    }
}

/// The SQLSTATEs of the ErrorResponses among `msgs`.
pub fn error_codes(msgs: &[Backend]) -> Vec<String> {
    msgs.iter()
        .filter(|m| m.kind == b'E')
        .filter_map(|m| m.field(b'C'))
        .collect()
}
