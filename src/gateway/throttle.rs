//! Login throttling: an exponential delay per (peer IP, user) after consecutive failures.
//!
//! Owns: the `[server.throttle]` section and the bounded failure table. The delay is
//! applied by the startup path before the password challenge is sent, so a client
//! guessing passwords waits longer for every further answer; a successful login resets
//! its entry. Memory is bounded: idle entries are forgotten and the table has a size cap
//! (the least recently failed entry goes first).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;

/// The `[server.throttle]` section.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct ThrottleConfig {
    /// Consecutive failures answered without any delay.
    pub free_failures: u32,
    /// Delay after the first failure beyond `free_failures`; doubles with each further one.
    pub base_delay_ms: u64,
    /// Longest delay.
    pub max_delay_ms: u64,
    /// Forget an entry with no failure for this long.
    pub forget_after_secs: u64,
    /// Most (peer IP, user) pairs remembered at once.
    pub max_entries: usize,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            free_failures: 2,
            base_delay_ms: 500,
            max_delay_ms: 10_000,
            forget_after_secs: 900,
            max_entries: 10_000,
        }
    }
}

/// pgwire drops a connection whose startup takes a minute; stay well below that.
const MAX_DELAY_LIMIT_MS: u64 = 30_000;
/// Only this many characters of a user name are kept in the table.
const MAX_USER_CHARS: usize = 64;

impl ThrottleConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.max_delay_ms > MAX_DELAY_LIMIT_MS {
            return Err(format!(
                "[server.throttle] max_delay_ms must be at most {MAX_DELAY_LIMIT_MS}"
            ));
        }
        if self.base_delay_ms > self.max_delay_ms {
            return Err("[server.throttle] base_delay_ms must not exceed max_delay_ms".into());
        }
        if self.max_entries == 0 {
            return Err("[server.throttle] max_entries must be at least 1".into());
        }
        Ok(())
    }

    /// The delay before the next attempt after `failures` consecutive failures.
    pub fn delay_after(&self, failures: u32) -> Duration {
        if failures <= self.free_failures || self.base_delay_ms == 0 {
            return Duration::ZERO;
        }
        let doublings = (failures - self.free_failures - 1).min(40);
        let ms = self
            .base_delay_ms
            .saturating_mul(1u64 << doublings)
            .min(self.max_delay_ms);
        Duration::from_millis(ms)
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    last_failure: Instant,
}

type Key = (IpAddr, String);

/// The failure table. Every method takes the current time, so tests control the clock.
#[derive(Debug)]
pub struct Throttle {
    cfg: ThrottleConfig,
    entries: Mutex<HashMap<Key, Entry>>,
}

fn key(ip: IpAddr, user: &str) -> Key {
    (ip, user.chars().take(MAX_USER_CHARS).collect())
}

impl Throttle {
    pub fn new(cfg: ThrottleConfig) -> Self {
        Self {
            cfg,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Entry>> {
        match self.entries.lock() {
            Ok(t) => t,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn forget_after(&self) -> Duration {
        Duration::from_secs(self.cfg.forget_after_secs)
    }

    /// How long to wait before answering the next login attempt of `user` from `ip`.
    pub fn delay(&self, ip: IpAddr, user: &str, now: Instant) -> Duration {
        let table = self.table();
        match table.get(&key(ip, user)) {
            Some(e) if now.saturating_duration_since(e.last_failure) < self.forget_after() => {
                self.cfg.delay_after(e.failures)
            }
            _ => Duration::ZERO,
        }
    }

    /// Count a failed login; returns the consecutive failures so far.
    pub fn failure(&self, ip: IpAddr, user: &str, now: Instant) -> u32 {
        let forget = self.forget_after();
        let mut table = self.table();
        let k = key(ip, user);
        if !table.contains_key(&k) && table.len() >= self.cfg.max_entries {
            table.retain(|_, e| now.saturating_duration_since(e.last_failure) < forget);
            if table.len() >= self.cfg.max_entries
                && let Some(oldest) = table
                    .iter()
                    .min_by_key(|(_, e)| e.last_failure)
                    .map(|(k, _)| k.clone())
            {
                table.remove(&oldest);
            }
        }
        let entry = table.entry(k).or_insert(Entry {
            failures: 0,
            last_failure: now,
        });
        if now.saturating_duration_since(entry.last_failure) >= forget {
            entry.failures = 0;
        }
        entry.failures = entry.failures.saturating_add(1);
        entry.last_failure = now;
        entry.failures
    }

    /// A successful login clears its entry.
    pub fn success(&self, ip: IpAddr, user: &str) {
        self.table().remove(&key(ip, user));
    }

    /// Entries currently remembered.
    pub fn len(&self) -> usize {
        self.table().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn delays_grow_exponentially_and_cap() {
        let cfg = ThrottleConfig::default();
        let got: Vec<u64> = (0..9)
            .map(|f| cfg.delay_after(f).as_millis() as u64)
            .collect();
        assert_eq!(got, [0, 0, 0, 500, 1000, 2000, 4000, 8000, 10_000]);
        assert_eq!(cfg.delay_after(u32::MAX), ms(10_000));
    }

    #[test]
    fn per_peer_and_user_with_reset_on_success() {
        let t = Throttle::new(ThrottleConfig {
            free_failures: 1,
            base_delay_ms: 100,
            ..Default::default()
        });
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let now = Instant::now();
        assert_eq!(t.delay(a, "u", now), Duration::ZERO);
        t.failure(a, "u", now);
        assert_eq!(t.delay(a, "u", now), Duration::ZERO);
        t.failure(a, "u", now);
        assert_eq!(t.delay(a, "u", now), ms(100));
        assert_eq!(t.failure(a, "u", now), 3);
        assert_eq!(t.delay(a, "u", now), ms(200));
        // other peer, other user: unaffected
        assert_eq!(t.delay(b, "u", now), Duration::ZERO);
        assert_eq!(t.delay(a, "v", now), Duration::ZERO);
        t.success(a, "u");
        assert_eq!(t.delay(a, "u", now), Duration::ZERO);
        assert!(t.is_empty());
    }

    #[test]
    fn idle_entries_are_forgotten() {
        let t = Throttle::new(ThrottleConfig {
            free_failures: 0,
            base_delay_ms: 100,
            forget_after_secs: 60,
            ..Default::default()
        });
        let ip: IpAddr = "::1".parse().unwrap();
        let t0 = Instant::now();
        t.failure(ip, "u", t0);
        t.failure(ip, "u", t0);
        assert_eq!(t.delay(ip, "u", t0 + Duration::from_secs(59)), ms(200));
        let later = t0 + Duration::from_secs(61);
        assert_eq!(t.delay(ip, "u", later), Duration::ZERO);
        assert_eq!(t.failure(ip, "u", later), 1, "the count restarts");
    }

    #[test]
    fn memory_is_bounded() {
        let t = Throttle::new(ThrottleConfig {
            max_entries: 3,
            ..Default::default()
        });
        let now = Instant::now();
        for i in 0..10u8 {
            let ip = IpAddr::from([10, 0, 0, i]);
            t.failure(
                ip,
                &"x".repeat(1000),
                now + Duration::from_millis(u64::from(i)),
            );
        }
        assert_eq!(t.len(), 3);
        // the newest entries stay
        let newest = IpAddr::from([10, 0, 0, 9]);
        t.failure(newest, &"x".repeat(1000), now + ms(20));
        assert_eq!(t.len(), 3);
        let table = t.table();
        assert!(table.keys().all(|(_, u)| u.len() == MAX_USER_CHARS));
        assert_eq!(table.get(&key(newest, "x")).map(|e| e.failures), None);
        assert_eq!(
            table
                .get(&key(newest, &"x".repeat(1000)))
                .map(|e| e.failures),
            Some(2)
        );
    }

    #[test]
    fn validation() {
        let mut cfg = ThrottleConfig::default();
        assert!(cfg.validate().is_ok());
        cfg.max_delay_ms = 60_000;
        assert!(cfg.validate().unwrap_err().contains("max_delay_ms"));
        cfg.max_delay_ms = 100;
        assert!(cfg.validate().unwrap_err().contains("base_delay_ms"));
    }
}
