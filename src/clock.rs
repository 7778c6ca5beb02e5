//! Time as the token pipeline sees it: a monotonic clock for when a token goes stale in this
//! process, and wall time for what must be compared across processes or with a server's claims
//! (a shared cache entry's expiry, a JWT's `exp`). Every expiry decision reads one [`Clock`], so
//! tests move a [`ManualClock`] instead of waiting for a token's real lifetime.

use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// One moment read from a clock, on both of its scales.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Moment {
    pub instant: Instant,
    pub wall: SystemTime,
}

impl Moment {
    /// This moment moved forward by `by` on both scales (never panics: see [`later`]).
    pub fn after(&self, by: Duration) -> Moment {
        Moment {
            instant: later(self.instant, by),
            wall: self.wall.checked_add(by.min(FAR)).unwrap_or(self.wall),
        }
    }
}

/// Further than any time this library waits for or keeps a token (a century): durations are cut
/// to it before they are added to a time, which then cannot overflow.
pub const FAR: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// `at + by` without the panic of `Instant + Duration` on overflow: `by` is cut to [`FAR`], and
/// if even that does not fit, `at` itself is returned (a time already come, not one never
/// reached).
pub fn later(at: Instant, by: Duration) -> Instant {
    at.checked_add(by.min(FAR)).unwrap_or(at)
}

/// A clock: monotonic time and wall time that move together.
pub trait Clock: Send + Sync + Debug {
    fn now(&self) -> Instant;
    fn wall(&self) -> SystemTime;

    fn moment(&self) -> Moment {
        Moment {
            instant: self.now(),
            wall: self.wall(),
        }
    }
}

/// The real clocks. (`CLOCK_MONOTONIC_COARSE` was tried for the cached read: turning it into an
/// `Instant` cost what it saved; see BENCHMARKS.md.)
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn wall(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that stands still until moved forward with [`ManualClock::advance`]; its wall time
/// starts at the real wall time and moves with it.
#[derive(Debug)]
pub struct ManualClock {
    start: Moment,
    offset_nanos: AtomicU64,
}

impl ManualClock {
    pub fn new() -> Self {
        ManualClock {
            start: Moment {
                instant: Instant::now(),
                wall: SystemTime::now(),
            },
            offset_nanos: AtomicU64::new(0),
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.offset_nanos.fetch_add(nanos, Ordering::SeqCst);
    }

    fn offset(&self) -> Duration {
        Duration::from_nanos(self.offset_nanos.load(Ordering::SeqCst))
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        later(self.start.instant, self.offset())
    }
    fn wall(&self) -> SystemTime {
        self.start
            .wall
            .checked_add(self.offset())
            .unwrap_or(self.start.wall)
    }
}
