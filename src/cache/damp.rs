//! No token storm: refetches after a 401 are damped.
//!
//! When a service invalidates a client's earlier tokens each time it issues one (Lucidworks
//! does), processes that share a client id but not their tokens take turns invalidating each
//! other's, and a client that refetches on every 401 joins the storm. The rule, per client:
//!
//! - a token rejected *early*, within half its lifetime and at most [`EARLY_WITHIN`] of being
//!   fetched, was most likely invalidated by someone else's fetch: the next fetch waits;
//! - a token rejected later costs one of [`BUDGET`] refetches, regained one per [`REGAIN`]; with
//!   none left, the next fetch waits too;
//! - a wait is `retry::backoff` (from [`FIRST_WAIT`], doubling with each damped refetch in a row,
//!   at most [`MAX_WAIT`], with jitter); an undamped refetch starts the count again.
//!
//! A call whose deadline ends before the wait fails with `ErrorKind::Unauthorized` instead of
//! fetching. The first early rejection in the process logs one warning naming the cause and
//! the fix.

use crate::clock::nanos;
use crate::error::{Error, ErrorKind};
use crate::log;
use crate::retry;
use crate::token::Token;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// A token rejected this soon after it was fetched (or within half its lifetime, if sooner)
/// counts as invalidated by another fetch.
pub const EARLY_WITHIN: Duration = Duration::from_secs(60);
/// Refetches after a late 401 that are not damped, at most.
pub const BUDGET: u32 = 3;
/// One refetch of the budget comes back after this.
pub const REGAIN: Duration = Duration::from_secs(30);
/// The first damped wait (then 2x, 4x, ... with jitter: between half and all of it).
pub const FIRST_WAIT: Duration = Duration::from_secs(1);
/// The longest damped wait.
pub const MAX_WAIT: Duration = Duration::from_secs(30);

/// Whether this process has said why its tokens are rejected.
static WARNED: AtomicBool = AtomicBool::new(false);

#[derive(Debug)]
pub struct Damper {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// Refetches left in the budget.
    budget: u32,
    /// When the budget was last topped up (monotonic nanoseconds).
    regained_at: u64,
    /// Damped refetches in a row.
    strikes: u32,
}

impl Damper {
    pub fn new(now: u64) -> Self {
        Damper {
            state: Mutex::new(State {
                budget: BUDGET,
                regained_at: now,
                strikes: 0,
            }),
        }
    }

    /// `rejected` was refused by the API at `now` (and dropped): how long the next fetch must
    /// wait, or `None` when it may run at once.
    pub fn on_reject(&self, rejected: &Token, now: u64) -> Option<Duration> {
        let age = age(rejected, now);
        let early = age < (rejected.lifetime() / 2).min(EARLY_WITHIN);
        if early && !WARNED.swap(true, Ordering::Relaxed) {
            log::warn(&format!(
                "the API rejected (401) a token fetched {} ms ago: another process or host with this client id probably fetched a token since, which invalidates the earlier ones; refetches are damped now. Share one token: set use_cache = true (processes on one host) or cache_url (several hosts)",
                age.as_millis()
            ));
        }
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.regain(now);
        if !early && state.budget > 0 {
            state.budget -= 1;
            state.strikes = 0;
            return None;
        }
        let wait = retry::backoff(FIRST_WAIT, state.strikes, MAX_WAIT);
        state.strikes = state.strikes.saturating_add(1);
        Some(wait)
    }
}

impl State {
    fn regain(&mut self, now: u64) {
        let every = nanos(REGAIN).max(1);
        let earned = now.saturating_sub(self.regained_at) / every;
        if earned == 0 {
            return;
        }
        let earned = u32::try_from(earned).unwrap_or(u32::MAX);
        self.budget = self.budget.saturating_add(earned).min(BUDGET);
        self.regained_at = now;
    }
}

/// How long ago `token` was fetched (its request sent), at `now`.
fn age(token: &Token, now: u64) -> Duration {
    let sent = token
        .expires_at()
        .mono
        .saturating_sub(nanos(token.lifetime()));
    Duration::from_nanos(now.saturating_sub(sent))
}

/// The error of a call that cannot wait for a damped refetch of `wait`.
pub fn cannot_wait(wait: Duration) -> Error {
    Error::new(
        ErrorKind::Unauthorized,
        format!(
            "the API rejected a fresh token (401) and the next fetch is damped for {} ms, past this call's deadline: another process or host with this client id probably keeps invalidating this one's tokens; share them with use_cache = true (one host) or cache_url (several hosts)",
            wait.as_millis()
        ),
    )
    .with_http_status(401)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};

    fn token(clock: &ManualClock, lifetime: u64) -> Token {
        let margin = Duration::from_secs(1);
        Token::new("t", clock.moment(), Duration::from_secs(lifetime), margin).unwrap()
    }

    #[test]
    fn early_rejections_wait_longer_each_time_late_ones_spend_the_budget() {
        let clock = ManualClock::new();
        let damper = Damper::new(clock.now());
        let mut last = Duration::ZERO;
        for n in 0..6u32 {
            let t = token(&clock, 8);
            clock.advance(Duration::from_secs(1));
            let wait = damper.on_reject(&t, clock.now()).expect("early: damped");
            let full = FIRST_WAIT.saturating_mul(1 << n).min(MAX_WAIT);
            assert!(wait >= full / 2 && wait <= full, "{n}: {wait:?}");
            assert!(n < 5 || wait >= last / 2);
            last = wait;
        }
        // Late rejections (past half the lifetime): the budget, then damped again.
        for _ in 0..BUDGET {
            let t = token(&clock, 8);
            clock.advance(Duration::from_secs(4));
            assert_eq!(damper.on_reject(&t, clock.now()), None);
        }
        let t = token(&clock, 8);
        clock.advance(Duration::from_secs(4));
        let wait = damper
            .on_reject(&t, clock.now())
            .expect("over budget: damped");
        assert!(wait <= FIRST_WAIT, "the count started again: {wait:?}");
        clock.advance(REGAIN);
        let t = token(&clock, 8);
        clock.advance(Duration::from_secs(4));
        assert_eq!(damper.on_reject(&t, clock.now()), None, "one regained");
    }

    #[test]
    fn a_long_lived_token_is_early_for_its_first_minute() {
        let clock = ManualClock::new();
        let damper = Damper::new(clock.now());
        let t = token(&clock, 3600);
        clock.advance(EARLY_WITHIN - Duration::from_millis(1));
        assert!(damper.on_reject(&t, clock.now()).is_some());
        let t = token(&clock, 3600);
        clock.advance(EARLY_WITHIN);
        assert_eq!(damper.on_reject(&t, clock.now()), None);
    }
}
