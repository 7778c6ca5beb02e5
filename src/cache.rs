//! The in-memory token cache of one client: one slot per scope. A fresh token is read from a
//! per-thread copy while the slot's generation says it is current (one atomic load of shared
//! memory), else under a read lock that writers hold only to swap a pointer, never across the
//! network. When a token is stale, one caller fetches while the others wait for, and share, that
//! one result.

use crate::clock::Clock;
use crate::error::Result;
use crate::retry::Deadline;
use crate::token::Token;
use crate::token_source::TokenSource;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard, TryLockError};
use std::time::{Duration, Instant};

/// The front of a client's token pipeline: tokens kept in memory, per scope, in front of the
/// source that fetches them.
#[derive(Debug)]
pub struct TokenCache {
    /// The slot of the client's own scope, reached without the map.
    default: (String, Arc<Slot>),
    slots: RwLock<HashMap<String, Arc<Slot>>>,
    source: Box<dyn TokenSource>,
    clock: Arc<dyn Clock>,
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
    pub fn new(default_scope: &str, source: Box<dyn TokenSource>, clock: Arc<dyn Clock>) -> Self {
        TokenCache {
            default: (default_scope.to_string(), Arc::default()),
            slots: RwLock::default(),
            source,
            clock,
        }
    }

    /// Runs `f` on the token for `scope` when it is fresh, without any shared write; `None` when
    /// there is no fresh one.
    pub fn read<R>(&self, scope: &str, f: &mut dyn FnMut(&Token) -> R) -> Option<R> {
        let now = self.clock.now();
        self.with_slot(scope, |slot| slot.read(now, f))
    }

    /// The token for `scope`: the cached one while fresh, else one from the source (or from
    /// another thread's fetch, waited for until `deadline`).
    pub fn get(&self, scope: &str, deadline: Deadline) -> Result<Arc<Token>> {
        self.with_slot(scope, |slot| {
            slot.get(scope, &*self.clock, &*self.source, deadline)
        })
    }

    /// The API refused `rejected`: drop it here if it is still the current token (so that callers
    /// who all saw the same rejection cause one new fetch, not one each) and in the source.
    pub fn reject(&self, scope: &str, rejected: &Token, deadline: Deadline) {
        self.with_slot(scope, |slot| {
            slot.replace(
                |current| current.is_some_and(|t| t.secret() == rejected.secret()),
                None,
            )
        });
        self.source.reject(scope, rejected, deadline);
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

/// A dropped cache (a freed client) leaves no token in this thread's copy: it is cleared here.
/// Another thread's copy is dropped (and, a [`crate::Secret`], wiped) on that thread's next read
/// of any cache, or when the thread exits.
impl Drop for TokenCache {
    fn drop(&mut self) {
        let _ = SEEN.try_with(|seen| {
            if let Ok(mut seen) = seen.try_borrow_mut() {
                *seen = (0, None);
            }
        });
    }
}

impl Slot {
    /// The cached token while fresh, else the one `source` fetches (or the result of the fetch
    /// another caller ran while this one waited).
    fn get(
        &self,
        scope: &str,
        clock: &dyn Clock,
        source: &dyn TokenSource,
        deadline: Deadline,
    ) -> Result<Arc<Token>> {
        if let Some(token) = self.fresh(clock.now()) {
            return Ok(token);
        }
        let seen = self.fetches.load(Ordering::Acquire);
        let Some(mut last_error) = lock_until(&self.fetch, deadline) else {
            return Err(Deadline::passed("waiting for another thread's token fetch"));
        };
        if let Some(token) = self.fresh(clock.now()) {
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
        crate::log::debug(&format!(
            "no fresh token for scope '{scope}' in memory; fetching"
        ));
        let result = source.fetch(scope, deadline).map(Arc::new);
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

    fn read<R>(&self, now: Instant, f: &mut dyn FnMut(&Token) -> R) -> Option<R> {
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
                std::thread::sleep(left.min(Duration::from_millis(1)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::error::{Error, ErrorKind};
    use std::sync::atomic::AtomicUsize;
    use std::sync::Barrier;
    use std::time::Duration;

    /// Hands out "t0", "t1", ... valid for an hour from its clock's now, or fails when `down`.
    #[derive(Debug)]
    struct Numbered {
        clock: Arc<ManualClock>,
        fetches: Arc<AtomicUsize>,
        prefix: &'static str,
        down: bool,
    }

    impl TokenSource for Numbered {
        fn fetch(&self, _scope: &str, _: Deadline) -> Result<Token> {
            let n = self.fetches.fetch_add(1, Ordering::SeqCst);
            if self.down {
                std::thread::sleep(Duration::from_millis(300));
                return Err(Error::new(ErrorKind::Transport, "down"));
            }
            Ok(Token::new(
                &format!("{}{n}", self.prefix),
                self.clock.moment(),
                Duration::from_secs(3600),
                Duration::from_secs(300),
            )
            .unwrap())
        }
    }

    fn cache(prefix: &'static str, down: bool) -> (TokenCache, Arc<ManualClock>, Arc<AtomicUsize>) {
        let clock = Arc::new(ManualClock::new());
        let fetches = Arc::new(AtomicUsize::new(0));
        let source = Numbered {
            clock: clock.clone(),
            fetches: fetches.clone(),
            prefix,
            down,
        };
        (
            TokenCache::new("", Box::new(source), clock.clone()),
            clock,
            fetches,
        )
    }

    fn soon() -> Deadline {
        Deadline::after(Duration::from_secs(60))
    }

    fn secret(cache: &TokenCache, scope: &str) -> String {
        cache.get(scope, soon()).unwrap().secret().to_string()
    }

    #[test]
    fn one_fetch_per_expiry_and_one_before_the_refresh_time() {
        let (cache, clock, fetches) = cache("t", false);
        for _ in 0..100 {
            assert_eq!(secret(&cache, ""), "t0");
        }
        clock.advance(Duration::from_secs(3300) - Duration::from_nanos(1));
        assert_eq!(secret(&cache, ""), "t0");
        clock.advance(Duration::from_nanos(1));
        assert_eq!(secret(&cache, ""), "t1");
        assert_eq!(secret(&cache, "other"), "t2");
        assert_eq!(fetches.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn the_per_thread_copy_never_outlives_a_change() {
        let (a, clock, _) = cache("a", false);
        let (b, _, _) = cache("b", false);
        let read = |c: &TokenCache| c.read("", &mut |t| t.secret().to_string());
        assert_eq!(read(&a), None);
        let a0 = a.get("", soon()).unwrap();
        b.get("", soon()).unwrap();
        // One thread reading two caches in turn: each answer is its own cache's.
        for _ in 0..3 {
            assert_eq!(read(&a).as_deref(), Some("a0"));
            assert_eq!(read(&b).as_deref(), Some("b0"));
        }
        a.reject("", &a0, soon());
        assert_eq!(
            read(&a),
            None,
            "a dropped token is not served from the thread's copy"
        );
        assert_eq!(secret(&a, ""), "a1");
        assert_eq!(read(&a).as_deref(), Some("a1"));
        clock.advance(Duration::from_secs(3600));
        assert_eq!(a.read("", &mut |_| ()), None, "stale");
        assert_eq!(a.read("other", &mut |_| ()), None);
    }

    #[test]
    fn waiters_share_one_fetch_and_its_error() {
        let (cache, _, fetches) = cache("t", true);
        let barrier = Barrier::new(16);
        std::thread::scope(|s| {
            for _ in 0..16 {
                s.spawn(|| {
                    barrier.wait();
                    let e = cache.get("", soon()).unwrap_err();
                    assert_eq!(e.message(), "down");
                });
            }
        });
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_waiter_gives_up_at_its_deadline() {
        let (cache, _, fetches) = cache("t", true);
        std::thread::scope(|s| {
            s.spawn(|| cache.get("", soon()));
            while fetches.load(Ordering::SeqCst) == 0 {
                std::thread::sleep(Duration::from_millis(1));
            }
            let started = Instant::now();
            let e = cache
                .get("", Deadline::after(Duration::from_millis(50)))
                .unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Timeout);
            assert!(started.elapsed() < Duration::from_millis(250));
        });
    }

    #[test]
    fn freeing_the_cache_drops_this_threads_copy_of_its_token() {
        let (cache, _, _) = cache("t", false);
        let token = std::sync::Arc::downgrade(&cache.get("", soon()).unwrap());
        assert_eq!(cache.read("", &mut |t| t.secret().len()), Some(2));
        drop(cache);
        assert!(
            token.upgrade().is_none(),
            "no copy of the token outlives its cache in this thread"
        );
    }
}
