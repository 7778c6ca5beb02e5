//! Time as the token pipeline sees it: a monotonic clock for when a token goes stale in this
//! process, and wall time for what must be compared across processes or with a server's claims
//! (a shared cache entry's expiry, a JWT's `exp`). Every expiry decision reads one [`Clock`], so
//! tests move a [`ManualClock`] instead of waiting for a token's real lifetime.
//!
//! Monotonic time is whole nanoseconds on a scale of the clock's own. The real clock reads
//! `CLOCK_MONOTONIC_COARSE` on Linux: a few nanoseconds instead of a few dozen, at a resolution
//! of a few milliseconds, which is plenty for lifetimes counted in seconds.

use crate::error::{Error, ErrorKind};
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// One moment read from a clock, on both of its scales.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Moment {
    /// Monotonic nanoseconds.
    pub mono: u64,
    pub wall: SystemTime,
}

impl Moment {
    /// This moment moved forward by `by` on both scales (saturating, never panicking).
    pub fn after(&self, by: Duration) -> Moment {
        Moment {
            mono: self.mono.saturating_add(nanos(by)),
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

/// `d` in whole nanoseconds, saturating.
pub fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// When one call (`Client::access_token`, `Client::request`) must be over: made at its start,
/// `retry_deadline` later, and passed down through lock waits, token fetches, API exchanges,
/// their retries and the refetch after a 401. "Time left" is computed here and nowhere else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadline(Instant);

impl Deadline {
    /// The deadline `within` from now.
    pub fn after(within: Duration) -> Deadline {
        Deadline(later(Instant::now(), within))
    }

    /// The time left before it (zero once it passed).
    pub fn left(&self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }

    /// The earlier of this deadline and `within` from now.
    pub fn within(&self, within: Duration) -> Deadline {
        Deadline(self.0.min(later(Instant::now(), within)))
    }

    /// The error of a call that ran out of time while `what`.
    pub fn passed(what: &str) -> Error {
        Error::new(ErrorKind::Timeout, format!("{what}: retry_deadline passed"))
    }
}

/// A clock: monotonic time and wall time that move together.
pub trait Clock: Send + Sync + Debug {
    /// Monotonic nanoseconds.
    fn now(&self) -> u64;
    fn wall(&self) -> SystemTime;

    fn moment(&self) -> Moment {
        Moment {
            mono: self.now(),
            wall: self.wall(),
        }
    }
}

/// The real clocks.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn now(&self) -> u64 {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::MonotonicCoarse);
        let secs = u64::try_from(t.tv_sec).unwrap_or(0);
        let sub = u64::try_from(t.tv_nsec).unwrap_or(0);
        secs.saturating_mul(1_000_000_000).saturating_add(sub)
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    fn now(&self) -> u64 {
        static START: std::sync::LazyLock<std::time::Instant> =
            std::sync::LazyLock::new(std::time::Instant::now);
        nanos(START.elapsed())
    }

    fn wall(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that stands still until moved forward with [`ManualClock::advance`]; its wall time
/// starts at the real wall time and moves with it.
#[derive(Debug)]
pub struct ManualClock {
    start_wall: SystemTime,
    offset_nanos: AtomicU64,
}

/// Where a [`ManualClock`]'s monotonic time starts: far from zero, like a real one.
const MANUAL_START: u64 = 1_000_000_000_000;

impl ManualClock {
    pub fn new() -> Self {
        ManualClock {
            start_wall: SystemTime::now(),
            offset_nanos: AtomicU64::new(0),
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.offset_nanos.fetch_add(nanos(by), Ordering::SeqCst);
    }

    fn offset(&self) -> u64 {
        self.offset_nanos.load(Ordering::SeqCst)
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> u64 {
        MANUAL_START.saturating_add(self.offset())
    }
    fn wall(&self) -> SystemTime {
        let offset = Duration::from_nanos(self.offset());
        self.start_wall
            .checked_add(offset.min(FAR))
            .unwrap_or(self.start_wall)
    }
}
