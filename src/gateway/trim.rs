//! Giving memory back to the operating system after a burst of sessions has closed.
//!
//! Owns: counting closed sessions and, once at least [`MIN_CLOSED`] have closed since the
//! last time and none has for [`QUIET`], asking the allocator to return the free pages
//! it keeps (`malloc_trim(0)`; glibc on Linux only, nothing elsewhere). Why: glibc keeps
//! what thousands of sessions freed in its arenas, so the gateway's RSS stayed tens of
//! MB above its baseline after they were gone (README "Many sessions and a steady load").
//! The call runs on the runtime thread that notices the quiet (a few milliseconds once
//! per burst): a blocking-pool thread would get an arena of its own to trim.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Fewer closed sessions than this since the last trim are not worth one.
const MIN_CLOSED: u64 = 64;
/// The burst is over once no session has closed for this long.
const QUIET: Duration = Duration::from_secs(1);

static START: LazyLock<Instant> = LazyLock::new(Instant::now);
static CLOSED: AtomicU64 = AtomicU64::new(0);
/// When the last session closed, in ms since [`START`].
static LAST_CLOSE_MS: AtomicU64 = AtomicU64::new(0);
static SCHEDULED: AtomicBool = AtomicBool::new(false);

fn now_ms() -> u64 {
    u64::try_from(START.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// A logged-in session has closed (called from its connection task).
pub fn session_closed() {
    LAST_CLOSE_MS.store(now_ms(), Ordering::Relaxed);
    if CLOSED.fetch_add(1, Ordering::Relaxed) + 1 < MIN_CLOSED
        || SCHEDULED.swap(true, Ordering::AcqRel)
    {
        return;
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        SCHEDULED.store(false, Ordering::Release);
        return;
    };
    runtime.spawn(async {
        loop {
            tokio::time::sleep(QUIET).await;
            let since = now_ms().saturating_sub(LAST_CLOSE_MS.load(Ordering::Relaxed));
            if u128::from(since) >= QUIET.as_millis() {
                break;
            }
        }
        CLOSED.store(0, Ordering::Relaxed);
        SCHEDULED.store(false, Ordering::Release);
        release_free_memory();
    });
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn release_free_memory() {
    unsafe extern "C" {
        /// glibc: return free memory at the top of the heap and every free page of every
        /// arena to the system (`pad` bytes kept at the top); 1 if any was returned.
        fn malloc_trim(pad: usize) -> i32;
    }
    let started = Instant::now();
    // SAFETY: malloc_trim takes no pointer and only walks glibc's own free lists, under
    // the arenas' locks; it is safe to call from any thread at any time.
    let released = unsafe { malloc_trim(0) } == 1;
    tracing::debug!(
        released,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "returned free memory to the system after sessions closed"
    );
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_free_memory() {}
