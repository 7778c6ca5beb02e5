//! The in-memory token cache of one client: one slot per scope. A fresh token is read under a
//! read lock that writers hold only to swap a pointer, never across the network. When a token is
//! stale, one caller fetches while the others wait for, and share, that one result.

use crate::error::Result;
use crate::token::Token;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

#[derive(Debug, Default)]
pub struct TokenCache {
    slots: RwLock<HashMap<String, Arc<Slot>>>,
}

#[derive(Debug, Default)]
struct Slot {
    current: RwLock<Option<Arc<Token>>>,
    /// Number of finished fetches; read before waiting, to know whether a fetch ran meanwhile.
    fetches: AtomicU64,
    /// Held while fetching; keeps the last fetch's result for those who waited on it.
    fetch: Mutex<Option<crate::Error>>,
}

impl TokenCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The token for `scope`: the cached one while fresh at `now()`, else the one `fetch` gets.
    pub fn get(
        &self,
        scope: &str,
        now: &dyn Fn() -> Instant,
        fetch: &dyn Fn() -> Result<Token>,
    ) -> Result<Arc<Token>> {
        let slot = self.slot(scope);
        if let Some(token) = slot.fresh(now()) {
            return Ok(token);
        }
        let seen = slot.fetches.load(Ordering::Acquire);
        let mut last_error = lock(&slot.fetch);
        if let Some(token) = slot.fresh(now()) {
            return Ok(token);
        }
        if slot.fetches.load(Ordering::Acquire) != seen {
            // Someone fetched while we waited: share that result rather than fetch again.
            if let Some(error) = last_error.as_ref() {
                return Err(error.clone());
            }
            if let Some(token) = read(&slot.current).clone() {
                return Ok(token);
            }
        }
        let result = fetch().map(Arc::new);
        match &result {
            Ok(token) => {
                *write(&slot.current) = Some(token.clone());
                *last_error = None;
            }
            Err(error) => *last_error = Some(error.clone()),
        }
        slot.fetches.fetch_add(1, Ordering::Release);
        result
    }

    /// Drops the token for `scope` if it is still `rejected`, so that callers who all saw the same
    /// rejection cause one new fetch, not one each.
    pub fn invalidate(&self, scope: &str, rejected: &Token) {
        let slot = self.slot(scope);
        let mut current = write(&slot.current);
        if current
            .as_ref()
            .is_some_and(|t| t.secret() == rejected.secret())
        {
            *current = None;
        }
    }

    fn slot(&self, scope: &str) -> Arc<Slot> {
        if let Some(slot) = read(&self.slots).get(scope) {
            return slot.clone();
        }
        write(&self.slots)
            .entry(scope.to_string())
            .or_default()
            .clone()
    }
}

impl Slot {
    fn fresh(&self, now: Instant) -> Option<Arc<Token>> {
        read(&self.current)
            .as_ref()
            .filter(|t| t.is_fresh(now))
            .cloned()
    }
}

// A panic while a lock is held leaves data that is still consistent here (a pointer swap or an
// `Option<Error>`), so a poisoned lock is used as it is.
fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}
fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}
fn lock<T>(lock: &Mutex<T>) -> MutexGuard<'_, T> {
    lock.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};
    use crate::error::{Error, ErrorKind};
    use std::sync::atomic::AtomicUsize;
    use std::sync::Barrier;
    use std::time::Duration;

    #[test]
    fn one_fetch_per_expiry_and_one_before_the_refresh_time() {
        let cache = TokenCache::new();
        let clock = ManualClock::new();
        let fetches = AtomicUsize::new(0);
        let fetch = || {
            let n = fetches.fetch_add(1, Ordering::SeqCst);
            Ok(Token::new(
                format!("t{n}"),
                clock.now(),
                Duration::from_secs(3600),
                Duration::from_secs(300),
            ))
        };
        let now = || clock.now();
        for _ in 0..100 {
            assert_eq!(cache.get("", &now, &fetch).unwrap().secret(), "t0");
        }
        clock.advance(Duration::from_secs(3300) - Duration::from_nanos(1));
        assert_eq!(cache.get("", &now, &fetch).unwrap().secret(), "t0");
        clock.advance(Duration::from_nanos(1));
        assert_eq!(cache.get("", &now, &fetch).unwrap().secret(), "t1");
        assert_eq!(cache.get("other", &now, &fetch).unwrap().secret(), "t2");
        assert_eq!(fetches.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn waiters_share_one_fetch_and_its_error() {
        let cache = TokenCache::new();
        let fetches = AtomicUsize::new(0);
        let barrier = Barrier::new(16);
        let fetch = || {
            fetches.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(300));
            Err(Error::new(ErrorKind::Transport, "down"))
        };
        std::thread::scope(|s| {
            for _ in 0..16 {
                s.spawn(|| {
                    barrier.wait();
                    let e = cache.get("", &Instant::now, &fetch).unwrap_err();
                    assert_eq!(e.message(), "down");
                });
            }
        });
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }
}
