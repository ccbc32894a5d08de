//! A seeded protocol fuzzer: valid frontend message streams (startup, SCRAM, simple
//! query, Parse/Bind/Describe/Execute/Sync, COPY), mutated, each sent on its own
//! connection whose write side is then closed. Every connection must end (the server
//! closes it) within a timeout; a panic in the process is counted by a panic hook. Used
//! by `tests/protocol_fuzz.rs` (small) and `examples/protocol_fuzz.rs` (long).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::wire::{self, Raw, msg};

/// Panics anywhere in this process since the hook was installed.
pub fn panics() -> usize {
    static PANICS: AtomicUsize = AtomicUsize::new(0);
    static HOOK: OnceLock<()> = OnceLock::new();
    HOOK.get_or_init(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::SeqCst);
            default(info)
        }));
    });
    PANICS.load(Ordering::SeqCst)
}

/// What a run saw.
#[derive(Debug, Default)]
pub struct Report {
    pub connections: usize,
    /// Connections the server closed within the timeout.
    pub closed: usize,
    /// Connections still open after the timeout (hangs).
    pub hangs: usize,
    /// ErrorResponses received, by SQLSTATE.
    pub errors: BTreeMap<String, usize>,
    /// Connections that got a ReadyForQuery (the mutation left a usable session).
    pub ready: usize,
}

/// The valid streams mutations start from; `scram` ones are for a SCRAM gateway.
fn seeds(scram: bool) -> Vec<Vec<Vec<u8>>> {
    let login = wire::startup(&[("user", "dli"), ("database", "dli")]);
    if scram {
        return vec![
            vec![login.clone(), wire::sasl_initial(b"n,,n=dli,r=abcdefgh")],
            vec![
                login.clone(),
                wire::sasl_initial(b"n,,n=dli,r=abcdefgh"),
                msg(
                    b'p',
                    b"c=biws,r=abcdefghXYZ,p=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                ),
            ],
            vec![login, wire::query("SELECT 1")],
        ];
    }
    let extended = |sql: &str, params: &[Option<&str>]| {
        vec![
            login.clone(),
            wire::parse("s1", sql, &[]),
            wire::bind("p1", "s1", params, &[0]),
            wire::describe(b'P', "p1"),
            wire::execute("p1", 1),
            wire::execute("p1", 0),
            wire::sync(),
            wire::describe(b'S', "s1"),
            msg(b'C', b"Ss1\0"),
            wire::sync(),
            msg(b'X', b""),
        ]
    };
    vec![
        vec![login.clone(), wire::query("SELECT 1"), msg(b'X', b"")],
        vec![login.clone(), wire::query("SELECT 1; SELECT 'a' || 'b'")],
        extended("SELECT $1::int + 1", &[Some("41")]),
        extended("SELECT 'x' AS a", &[]),
        vec![login.clone(), wire::query("COPY (SELECT 1 AS a) TO STDOUT")],
        vec![
            login.clone(),
            wire::query("COPY t FROM STDIN"),
            msg(b'd', b"1\n"),
            msg(b'c', b""),
            msg(b'f', b"stop\0"),
            wire::query("SELECT 2"),
        ],
        vec![login, msg(b'H', b""), wire::query("SHOW server_version")],
    ]
}

/// One mutation of `frames`, in place.
fn mutate(rng: &mut StdRng, frames: &mut Vec<Vec<u8>>) {
    let i = rng.random_range(0..frames.len());
    let f = &mut frames[i];
    match rng.random_range(0..9) {
        // flip a byte anywhere (type, length, body)
        0 if !f.is_empty() => {
            let at = rng.random_range(0..f.len());
            f[at] ^= 1 << rng.random_range(0..8);
        }
        // a length or count field: a random or extreme value
        1 if f.len() >= 5 => {
            let at = rng.random_range(0..f.len() - 3);
            let v: u32 = match rng.random_range(0..4) {
                0 => 0,
                1 => u32::MAX,
                2 => 0x8000_0000,
                _ => rng.random(),
            };
            f[at..at + 4].copy_from_slice(&v.to_be_bytes());
        }
        // cut the frame short
        2 if !f.is_empty() => {
            let keep = rng.random_range(0..f.len());
            f.truncate(keep);
        }
        // garbage appended inside the frame (its length field unchanged)
        3 => {
            let n = rng.random_range(1..16);
            f.extend((0..n).map(|_| rng.random::<u8>()));
        }
        // another message type
        4 if !f.is_empty() => f[0] = b"QPBDESHXCdcfpZ\0\xff"[rng.random_range(0..16)],
        // drop, duplicate or swap frames
        5 if frames.len() > 1 => {
            frames.remove(i);
        }
        6 => {
            let copy = frames[i].clone();
            frames.insert(i, copy);
        }
        7 if frames.len() > 1 => {
            let j = rng.random_range(0..frames.len());
            frames.swap(i, j);
        }
        // a random frame
        _ => {
            let n = rng.random_range(0..24);
            let junk: Vec<u8> = (0..n).map(|_| rng.random()).collect();
            frames.insert(i, junk);
        }
    }
}

/// One connection: send `bytes`, close the write side, read until the server closes.
async fn one(addr: SocketAddr, bytes: Vec<u8>, timeout: Duration) -> (bool, Vec<wire::Backend>) {
    let mut c = Raw::connect(addr).await;
    c.send(&bytes).await;
    let _ = tokio::io::AsyncWriteExt::shutdown(&mut c.stream).await;
    let deadline = tokio::time::Instant::now() + timeout;
    let mut got = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            return (false, got);
        }
        match c.next(left).await {
            Some(m) => got.push(m),
            None => return (c.closed, got),
        }
    }
}

/// Run `count` mutated streams from `seed` against `addr`, `parallel` at a time.
pub async fn run(
    addr: SocketAddr,
    scram: bool,
    seed: u64,
    count: usize,
    parallel: usize,
    timeout: Duration,
) -> Report {
    let mut rng = StdRng::seed_from_u64(seed);
    let bases = seeds(scram);
    let mut report = Report::default();
    let mut left = count;
    while left > 0 {
        let batch = left.min(parallel);
        left -= batch;
        let mut tasks = Vec::new();
        for _ in 0..batch {
            let mut frames = bases[rng.random_range(0..bases.len())].clone();
            for _ in 0..rng.random_range(1..4) {
                mutate(&mut rng, &mut frames);
            }
            tasks.push(tokio::spawn(one(addr, frames.concat(), timeout)));
        }
        for t in tasks {
            let (closed, msgs) = t.await.expect("fuzz task");
            report.connections += 1;
            if closed {
                report.closed += 1;
            } else {
                report.hangs += 1;
            }
            if msgs.iter().any(|m| m.kind == b'Z') {
                report.ready += 1;
            }
            for code in wire::error_codes(&msgs) {
                *report.errors.entry(code).or_default() += 1;
            }
        }
    }
    report
}
