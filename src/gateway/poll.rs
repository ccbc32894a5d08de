//! When to ask DLI for a job's status, and how often the whole gateway may ask.
//!
//! Owns: the polling schedule ([`PollSchedule`], a pure function of the time since the
//! job was submitted, with [`PollSchedule::calls_for`] to count the status calls a job of
//! a given length costs) and the gateway-wide budget of status calls ([`Budget`], a
//! token bucket shared by every statement and the shared poller, paused by a
//! `Retry-After`). Knows no DLI or pgwire type.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::config::{PollScheduleKind, RunnerConfig};

/// The longest job [`PollSchedule::calls_for`] simulates (beyond: a fixed cap anyway).
const SIMULATED_MAX: Duration = Duration::from_secs(7 * 24 * 3600);

/// When the next status call of a job is due.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PollSchedule {
    /// Wait `min + fraction × elapsed` (at most `max`): the detection delay stays a
    /// fixed fraction of the job's run time, and the number of calls grows with the
    /// logarithm of it.
    Proportional {
        min: Duration,
        fraction: f64,
        max: Duration,
    },
    /// The schedule before issue 12: a first call at once, then waits of `initial`,
    /// × `factor` each time, capped at `max`, plus up to as much again of jitter.
    Backoff {
        initial: Duration,
        factor: f64,
        max: Duration,
    },
}

impl PollSchedule {
    pub fn from_config(cfg: &RunnerConfig) -> PollSchedule {
        let (initial, max) = (
            Duration::from_millis(cfg.poll_initial_ms),
            Duration::from_millis(cfg.poll_max_ms),
        );
        match cfg.poll_schedule {
            PollScheduleKind::Proportional => PollSchedule::Proportional {
                min: initial,
                fraction: cfg.poll_fraction,
                max,
            },
            PollScheduleKind::Backoff => PollSchedule::Backoff {
                initial,
                factor: cfg.poll_multiplier,
                max,
            },
        }
    }

    /// The wait before status call number `calls + 1`, `elapsed` after the submission
    /// (jitter excluded: see [`PollSchedule::jittered`]).
    pub fn delay(&self, elapsed: Duration, calls: u32) -> Duration {
        match *self {
            PollSchedule::Proportional { min, fraction, max } => {
                (min + elapsed.mul_f64(fraction.max(0.0))).min(max)
            }
            PollSchedule::Backoff {
                initial,
                factor,
                max,
            } => match calls {
                0 => Duration::ZERO,
                n => {
                    let grown = initial.as_secs_f64() * factor.powi((n - 1).min(64) as i32);
                    Duration::from_secs_f64(grown.min(max.as_secs_f64())).min(max)
                }
            },
        }
    }

    /// [`PollSchedule::delay`] with the jitter of the schedule (only the backoff has any).
    pub fn jittered(&self, elapsed: Duration, calls: u32) -> Duration {
        let base = self.delay(elapsed, calls);
        match self {
            PollSchedule::Proportional { .. } => base,
            PollSchedule::Backoff { .. } => base.mul_f64(1.0 + rand::random::<f64>()),
        }
    }

    /// Status calls that see a job of `run` length end (the last one sees it terminal),
    /// and how late that last call comes, with instant answers and no jitter.
    pub fn calls_for(&self, run: Duration) -> (u32, Duration) {
        let mut t = Duration::ZERO;
        let mut calls = 0u32;
        loop {
            t += self.delay(t, calls).max(Duration::from_micros(1));
            calls += 1;
            if t >= run || t >= SIMULATED_MAX {
                return (calls, t.saturating_sub(run));
            }
        }
    }
}

/// A gateway-wide budget of status calls per second (GCRA token bucket: `per_second`
/// calls a second, bursts of up to `per_second`). Every status, list and progress call
/// made while waiting takes one; a `Retry-After` pauses it for everybody.
#[derive(Debug)]
pub struct Budget {
    interval: Duration,
    tolerance: Duration,
    /// Theoretical arrival time of the next call.
    tat: Mutex<Instant>,
}

impl Budget {
    pub fn new(per_second: u32) -> Budget {
        let per_second = per_second.max(1);
        let interval = Duration::from_secs(1) / per_second;
        Budget {
            interval,
            tolerance: interval * (per_second - 1),
            tat: Mutex::new(Instant::now()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Instant> {
        self.tat.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reserves a call; returns when it may be made.
    fn reserve(&self, only_now: bool) -> Option<Instant> {
        let now = Instant::now();
        let mut tat = self.lock();
        let base = (*tat).max(now);
        let allowed = base.checked_sub(self.tolerance).unwrap_or(now).max(now);
        if only_now && allowed > now {
            return None;
        }
        *tat = base + self.interval;
        Some(allowed)
    }

    /// Waits for a call of the budget.
    pub async fn acquire(&self) {
        if let Some(at) = self.reserve(false)
            && at > Instant::now()
        {
            tokio::time::sleep_until(at).await;
        }
    }

    /// Takes a call if one is free right now (optional calls: progress).
    pub fn try_acquire(&self) -> bool {
        self.reserve(true).is_some()
    }

    /// DLI asked to wait (`Retry-After`): no call before `until`.
    pub fn pause_until(&self, until: Instant) {
        let mut tat = self.lock();
        *tat = (*tat).max(until + self.tolerance);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proportional() -> PollSchedule {
        PollSchedule::Proportional {
            min: Duration::from_millis(5),
            fraction: 0.04,
            max: Duration::from_secs(60),
        }
    }

    fn old() -> PollSchedule {
        PollSchedule::Backoff {
            initial: Duration::from_millis(50),
            factor: 1.6,
            max: Duration::from_secs(2),
        }
    }

    #[test]
    fn detection_delay_is_within_five_percent_plus_25_ms() {
        let s = proportional();
        for ms in [50u64, 100, 333, 1_000, 5_000, 10_000, 60_000, 600_000] {
            let run = Duration::from_millis(ms);
            let (_, late) = s.calls_for(run);
            let bound = run.mul_f64(0.05) + Duration::from_millis(25);
            assert!(
                late <= bound,
                "{ms} ms job seen {late:?} late (> {bound:?})"
            );
        }
        // The old schedule misses that bound (a 5 s job is seen up to 2 s late).
        let worst = [2_000u64, 3_000, 4_000, 5_000, 7_000]
            .into_iter()
            .map(|ms| old().calls_for(Duration::from_millis(ms)).1)
            .max()
            .unwrap_or_default();
        assert!(worst > Duration::from_millis(275), "{worst:?}");
    }

    #[test]
    fn calls_grow_with_the_logarithm_of_the_run_time() {
        let s = proportional();
        let calls = |secs: f64| s.calls_for(Duration::from_secs_f64(secs)).0;
        let (c1, c10, c100, c1000) = (calls(1.0), calls(10.0), calls(100.0), calls(1000.0));
        assert_eq!((c1, c10, c100), (57, 113, 171));
        // Each tenfold longer job costs about the same number of extra calls.
        let steps = [c10 - c1, c100 - c10, c1000 - c100];
        assert!(steps.iter().all(|d| (50..=62).contains(d)), "{steps:?}");
        // An hour reaches the 60 s cap after 25 min (240 calls): 35 more.
        assert_eq!(calls(3600.0), 275);
        // The old backoff: linear (one call per 2 s) once capped.
        assert_eq!(old().calls_for(Duration::from_secs(3600)).0, 1_808);
    }

    #[test]
    fn waits_follow_the_elapsed_time_and_the_cap() {
        let s = proportional();
        assert_eq!(s.delay(Duration::ZERO, 0), Duration::from_millis(5));
        assert_eq!(
            s.delay(Duration::from_secs(10), 9),
            Duration::from_millis(405)
        );
        assert_eq!(
            s.delay(Duration::from_secs(7200), 9),
            Duration::from_secs(60)
        );
        assert_eq!(old().delay(Duration::ZERO, 0), Duration::ZERO);
        assert_eq!(old().delay(Duration::ZERO, 1), Duration::from_millis(50));
        assert_eq!(old().delay(Duration::ZERO, 3), Duration::from_millis(128));
        assert_eq!(old().delay(Duration::ZERO, 30), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn the_budget_paces_calls_after_a_burst_and_honours_a_pause() {
        let budget = Budget::new(10);
        let start = Instant::now();
        for _ in 0..10 {
            budget.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO, "a burst of 10 is free");
        budget.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_millis(100));
        assert!(!budget.try_acquire());
        budget.pause_until(Instant::now() + Duration::from_secs(3));
        budget.acquire().await;
        assert!(
            start.elapsed() >= Duration::from_millis(3_100),
            "{:?}",
            start.elapsed()
        );
    }
}
