//! The in-memory token cache of one client: one slot per scope. A fresh token is read from a
//! per-thread copy while the slot's generation says it is current (one atomic load of shared
//! memory), else under a read lock that writers hold only to swap a pointer, never across the
//! network. When a token is stale, one caller fetches while the others wait for, and share, that
//! one result.

use crate::error::Result;
use crate::token::Token;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

#[derive(Debug)]
pub struct TokenCache {
    /// The slot of the client's own scope, reached without the map.
    default: (String, Arc<Slot>),
    slots: RwLock<HashMap<String, Arc<Slot>>>,
}

/// Source of generation numbers, unique in the process: a generation names one value of one
/// slot's `current`.
static GENERATIONS: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// The last token this thread read, with the generation it had: while the slot still has
    /// that generation, the token is read from here without touching shared memory.
    static SEEN: RefCell<(u64, Option<Arc<Token>>)> = const { RefCell::new((0, None)) };
}

#[derive(Debug, Default)]
struct Slot {
    current: RwLock<Option<Arc<Token>>>,
    /// Changed (under the write lock of `current`) whenever `current` changes.
    generation: AtomicU64,
    /// Number of finished fetches; read before waiting, to know whether a fetch ran meanwhile.
    fetches: AtomicU64,
    /// Held while fetching; keeps the last fetch's result for those who waited on it.
    fetch: Mutex<Option<crate::Error>>,
}

impl TokenCache {
    pub fn new(default_scope: &str) -> Self {
        TokenCache {
            default: (default_scope.to_string(), Arc::default()),
            slots: RwLock::default(),
        }
    }

    /// Runs `f` on the token for `scope` when it is fresh at `now()`, without any shared write.
    pub fn with_fresh<R>(
        &self,
        scope: &str,
        now: Instant,
        f: &mut dyn FnMut(&Token) -> R,
    ) -> Option<R> {
        self.with_slot(scope, |slot| slot.with_fresh(now, f))
    }

    /// The token for `scope`: the cached one while fresh at `now()`, else the one `fetch` gets.
    pub fn get(
        &self,
        scope: &str,
        now: &dyn Fn() -> Instant,
        fetch: &dyn Fn() -> Result<Token>,
    ) -> Result<Arc<Token>> {
        self.with_slot(scope, |slot| slot.get(now, fetch))
    }

    /// Drops the token for `scope` if it is still `rejected`, so that callers who all saw the same
    /// rejection cause one new fetch, not one each.
    pub fn invalidate(&self, scope: &str, rejected: &Token) {
        self.with_slot(scope, |slot| {
            slot.replace(
                |current| current.is_some_and(|t| t.secret() == rejected.secret()),
                None,
            )
        })
    }

    /// Runs `f` on the slot of `scope`: the client's own without the map (and without touching
    /// its reference count), another found or made in the map.
    fn with_slot<R>(&self, scope: &str, f: impl FnOnce(&Slot) -> R) -> R {
        if scope == self.default.0 {
            return f(&self.default.1);
        }
        let found = read(&self.slots).get(scope).cloned();
        let slot = found.unwrap_or_else(|| {
            write(&self.slots)
                .entry(scope.to_string())
                .or_default()
                .clone()
        });
        f(&slot)
    }
}

impl Slot {
    /// The cached token while fresh at `now()`, else the one `fetch` gets (or the result of the
    /// fetch another caller ran while this one waited).
    fn get(
        &self,
        now: &dyn Fn() -> Instant,
        fetch: &dyn Fn() -> Result<Token>,
    ) -> Result<Arc<Token>> {
        if let Some(token) = self.fresh(now()) {
            return Ok(token);
        }
        let seen = self.fetches.load(Ordering::Acquire);
        let mut last_error = lock(&self.fetch);
        if let Some(token) = self.fresh(now()) {
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
        let result = fetch().map(Arc::new);
        match &result {
            Ok(token) => {
                self.replace(|_| true, Some(token.clone()));
                *last_error = None;
            }
            Err(error) => *last_error = Some(error.clone()),
        }
        self.fetches.fetch_add(1, Ordering::Release);
        result
    }

    /// Sets `current` to `token` when `condition` holds for it, and gives the slot a new
    /// generation, so that no thread's copy of the old token is used again.
    fn replace(
        &self,
        condition: impl FnOnce(Option<&Arc<Token>>) -> bool,
        token: Option<Arc<Token>>,
    ) {
        let mut current = write(&self.current);
        if condition(current.as_ref()) {
            *current = token;
            self.generation.store(
                GENERATIONS.fetch_add(1, Ordering::Relaxed),
                Ordering::Release,
            );
        }
    }

    fn with_fresh<R>(&self, now: Instant, f: &mut dyn FnMut(&Token) -> R) -> Option<R> {
        let generation = self.generation.load(Ordering::Acquire);
        if generation != 0 {
            let hit = SEEN.with(|seen| {
                let seen = seen.borrow();
                match &seen.1 {
                    Some(token) if seen.0 == generation && token.is_fresh(now) => Some(f(token)),
                    _ => None,
                }
            });
            if hit.is_some() {
                return hit;
            }
        }
        let (token, generation) = {
            let current = read(&self.current);
            (current.clone()?, self.generation.load(Ordering::Acquire))
        };
        SEEN.with(|seen| *seen.borrow_mut() = (generation, Some(token.clone())));
        token.is_fresh(now).then(|| f(&token))
    }

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
        let cache = TokenCache::new("");
        let clock = ManualClock::new();
        let fetches = AtomicUsize::new(0);
        let fetch = || {
            let n = fetches.fetch_add(1, Ordering::SeqCst);
            Ok(Token::new(
                &format!("t{n}"),
                clock.now(),
                Duration::from_secs(3600),
                Duration::from_secs(300),
            )
            .unwrap())
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
    fn the_per_thread_copy_never_outlives_a_change() {
        let (a, b) = (TokenCache::new(""), TokenCache::new(""));
        let now = Instant::now();
        let token =
            |v: &str| Ok(Token::new(v, now, Duration::from_secs(3600), Duration::ZERO).unwrap());
        let read = |c: &TokenCache| c.with_fresh("", now, &mut |t| t.secret().to_string());
        assert_eq!(read(&a), None);
        let a0 = a.get("", &|| now, &|| token("a0")).unwrap();
        b.get("", &|| now, &|| token("b0")).unwrap();
        // One thread reading two caches in turn: each answer is its own cache's.
        for _ in 0..3 {
            assert_eq!(read(&a).as_deref(), Some("a0"));
            assert_eq!(read(&b).as_deref(), Some("b0"));
        }
        a.invalidate("", &a0);
        assert_eq!(
            read(&a),
            None,
            "a dropped token is not served from the thread's copy"
        );
        a.get("", &|| now, &|| token("a1")).unwrap();
        assert_eq!(read(&a).as_deref(), Some("a1"));
        assert_eq!(
            a.with_fresh("", now + Duration::from_secs(3600), &mut |_| ()),
            None,
            "stale"
        );
        assert_eq!(a.with_fresh("other", now, &mut |_| ()), None);
    }

    #[test]
    fn waiters_share_one_fetch_and_its_error() {
        let cache = TokenCache::new("");
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
