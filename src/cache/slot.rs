//! One scope's token in memory: the current token, the lock-free copy of it, and the fetch that
//! renews it, in the caller's thread or in the background.

use super::copy::TokenCopy;
use super::damp;
use super::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use super::sync::{
    pause, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard, TryLockError,
};
use crate::clock::{nanos, Clock, Deadline};
use crate::error::{Error, Result};
use crate::log;
use crate::stats::Counters;
use crate::token::{Token, TokenSource};
use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

/// The first wait after a failed background refresh; each further failure doubles it.
const REFRESH_BACKOFF: Duration = Duration::from_secs(1);
/// The longest wait between two background refresh attempts.
const MAX_REFRESH_BACKOFF: Duration = Duration::from_secs(60);

/// What background refreshes need of the cache.
#[derive(Debug)]
pub struct Shared {
    pub source: Box<dyn TokenSource>,
    pub clock: Arc<dyn Clock>,
    pub counters: Arc<Counters>,
    /// Set when the cache is dropped: no new refresh starts.
    pub closed: AtomicBool,
}

/// Source of generation numbers, unique in the process: a generation names one value of one
/// slot's `current`.
static GENERATIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

#[cfg(not(loom))]
thread_local! {
    /// The last token this thread read, with the generation it had: while the slot still has
    /// that generation, the token is read from here without touching shared memory.
    pub static SEEN: RefCell<(u64, Option<Arc<Token>>)> = const { RefCell::new((0, None)) };
}
#[cfg(loom)]
loom::thread_local! {
    pub static SEEN: RefCell<(u64, Option<Arc<Token>>)> = RefCell::new((0, None));
}

#[derive(Debug, Default)]
pub struct Slot {
    pub current: RwLock<Option<Arc<Token>>>,
    /// Changed (under the write lock of `current`) whenever `current` changes.
    pub generation: AtomicU64,
    /// Number of finished fetches; read before waiting, to know whether a fetch ran meanwhile.
    pub fetches: AtomicU64,
    /// Held while fetching (in the foreground or the background); keeps the last fetch's result
    /// for those who waited on it.
    pub fetch: Mutex<Option<Error>>,
    /// A background refresh is running.
    pub refreshing: AtomicBool,
    /// No background refresh starts before this (monotonic nanoseconds): the backoff after one
    /// failed.
    pub not_before: AtomicU64,
    /// Background refreshes that failed in a row.
    pub failures: AtomicU32,
    /// `current` again, for readers that copy it out without a lock.
    pub copy: TokenCopy,
    /// No fetch starts before this (monotonic nanoseconds): a damped refetch after a 401.
    pub refetch_not_before: AtomicU64,
    /// When the slot was last asked for (monotonic nanoseconds), for evicting the least
    /// recently used scope.
    pub last_used: AtomicU64,
}

/// What a read found.
pub enum Read<R> {
    /// Fresh: served.
    Fresh(R),
    /// Served, but in its refresh window.
    Refresh(R),
    Miss,
}

impl Slot {
    /// The current token if it can be served at `now`: fresh, or (refreshing ahead) unexpired.
    pub fn current(&self, now: u64, refresh_ahead: bool) -> Option<Arc<Token>> {
        read(&self.current)
            .as_ref()
            .filter(|t| servable(t, now, refresh_ahead))
            .cloned()
    }

    /// Fetches in the caller's thread: the token any caller fetched meanwhile, else the one
    /// `shared.source` gets (or the error of the fetch another caller ran while this one waited).
    pub fn fetch_now(
        &self,
        scope: &str,
        shared: &Shared,
        deadline: Deadline,
    ) -> Result<Arc<Token>> {
        let seen = self.fetches.load(Ordering::Acquire);
        self.wait_damped(shared, deadline)?;
        let Some(mut last_error) = lock_until(&self.fetch, deadline) else {
            return Err(Deadline::passed("waiting for another thread's token fetch"));
        };
        if let Some(token) = self.current(shared.clock.now(), false) {
            return Ok(token);
        }
        if self.fetches.load(Ordering::Acquire) != seen {
            // Someone fetched while we waited: share that result rather than fetch again.
            if let Some(error) = last_error.as_ref() {
                return Err(error.clone());
            }
            if let Some(token) = read(&self.current).clone() {
                return Ok(token);
            }
        }
        log::debug(&format!(
            "no fresh token for scope '{scope}' in memory; fetching"
        ));
        let result = shared.source.fetch(scope, deadline).map(Arc::new);
        self.settle(&result, &mut last_error);
        result
    }

    /// Installs the result of a fetch made under the fetch lock (`last_error` is its guard): a
    /// token becomes the current one, an error is kept for those who waited on the fetch.
    fn settle(&self, result: &Result<Arc<Token>>, last_error: &mut Option<Error>) {
        match result {
            Ok(token) => {
                self.replace(|_| true, Some(token.clone()));
                *last_error = None;
            }
            Err(error) => *last_error = Some(error.clone()),
        }
        self.fetches.fetch_add(1, Ordering::Release);
    }

    /// The body of a background refresh: one fetch, under the slot's fetch lock so that a caller
    /// whose token expired meanwhile waits for it instead of starting another.
    pub fn refresh(&self, scope: &str, shared: &Shared, deadline: Deadline) {
        let Some(mut last_error) = lock_until(&self.fetch, deadline) else {
            return;
        };
        if shared.closed.load(Ordering::Acquire)
            || self.current(shared.clock.now(), false).is_some()
        {
            return;
        }
        log::debug(&format!(
            "token for scope '{scope}' is in its refresh window; renewing it in the background"
        ));
        let result = shared.source.fetch(scope, deadline).map(Arc::new);
        match &result {
            Ok(_) => {
                Counters::add(&shared.counters.background_refreshes, 1);
                self.failures.store(0, Ordering::Release);
            }
            Err(error) => {
                let failures = self
                    .failures
                    .fetch_add(1, Ordering::AcqRel)
                    .saturating_add(1);
                let wait = REFRESH_BACKOFF
                    .saturating_mul(1 << failures.min(16).saturating_sub(1))
                    .min(MAX_REFRESH_BACKOFF);
                self.not_before.store(
                    shared.clock.now().saturating_add(nanos(wait)),
                    Ordering::Release,
                );
                log::warn(&format!(
                    "background token refresh for scope '{scope}' failed ({}); the current token is still served; next try in {} s",
                    error.message(),
                    wait.as_secs()
                ));
            }
        }
        self.settle(&result, &mut last_error);
    }

    /// Sets `current` to `token` when `condition` holds for it, and gives the slot a new
    /// generation, so that no thread's copy of the old token is used again.
    /// Whether it did.
    pub fn replace(
        &self,
        condition: impl FnOnce(Option<&Arc<Token>>) -> bool,
        token: Option<Arc<Token>>,
    ) -> bool {
        let mut current = write(&self.current);
        if !condition(current.as_ref()) {
            return false;
        }
        self.copy.set(token.as_deref());
        *current = token;
        self.generation.store(
            GENERATIONS.fetch_add(1, Ordering::Relaxed),
            Ordering::Release,
        );
        true
    }

    /// Waits out a damped refetch (see `damp`), or fails at once when `deadline` ends first.
    fn wait_damped(&self, shared: &Shared, deadline: Deadline) -> Result<()> {
        let left = self
            .refetch_not_before
            .load(Ordering::Acquire)
            .saturating_sub(shared.clock.now());
        if left == 0 {
            return Ok(());
        }
        let wait = Duration::from_nanos(left);
        if wait >= deadline.left() {
            return Err(damp::cannot_wait(wait));
        }
        log::debug(&format!(
            "the last token was rejected early: fetching again in {} ms",
            wait.as_millis()
        ));
        pause(wait);
        Ok(())
    }

    pub fn read<R>(
        &self,
        now: u64,
        refresh_ahead: bool,
        f: &mut dyn FnMut(&Token) -> R,
    ) -> Read<R> {
        let generation = self.generation.load(Ordering::Acquire);
        if generation != 0 {
            let hit = SEEN.with(|seen| {
                let seen = seen.borrow();
                match &seen.1 {
                    Some(token) if seen.0 == generation && token.is_fresh(now) => Some(f(token)),
                    _ => None,
                }
            });
            if let Some(r) = hit {
                return Read::Fresh(r);
            }
        }
        let Some((token, generation)) = ({
            let current = read(&self.current);
            current
                .clone()
                .map(|t| (t, self.generation.load(Ordering::Acquire)))
        }) else {
            return Read::Miss;
        };
        SEEN.with(|seen| *seen.borrow_mut() = (generation, Some(token.clone())));
        if token.is_fresh(now) {
            Read::Fresh(f(&token))
        } else if servable(&token, now, refresh_ahead) {
            Read::Refresh(f(&token))
        } else {
            Read::Miss
        }
    }
}

/// Whether `token` may be handed out at `now`: while fresh, or, refreshing ahead, until it
/// expires.
fn servable(token: &Token, now: u64, refresh_ahead: bool) -> bool {
    token.is_fresh(now) || (refresh_ahead && token.is_unexpired(now))
}

// A panic while a lock is held leaves data that is still consistent here (a pointer swap or an
// `Option<Error>`), so a poisoned lock is used as it is.
pub fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}
pub fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}

/// Takes `lock`, waiting at most until `deadline` (`None` then). Polled: a waiter is one whose
/// token is stale, which is rare, and the holder is fetching over the network.
fn lock_until<T>(lock: &Mutex<T>, deadline: Deadline) -> Option<MutexGuard<'_, T>> {
    loop {
        match lock.try_lock() {
            Ok(guard) => return Some(guard),
            Err(TryLockError::Poisoned(e)) => return Some(e.into_inner()),
            Err(TryLockError::WouldBlock) => {
                let left = deadline.left();
                if left.is_zero() {
                    return None;
                }
                pause(left.min(Duration::from_millis(1)));
            }
        }
    }
}
