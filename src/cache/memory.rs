//! The in-memory token cache of one client: one slot per scope, the front of the token pipeline.
//!
//! Reading a fresh token writes no shared memory: it is read from a per-thread copy while the
//! slot's generation says it is current (one atomic load), else under a read lock that writers
//! hold only to swap a pointer, never across the network. When a token is stale and has expired
//! (or refresh-ahead is off), one caller fetches while the others wait for, and share, that one
//! result.
//!
//! Refresh ahead: when a token enters its refresh window (its last `refresh_margin`), callers
//! keep getting it at once and one short-lived thread per slot fetches its successor. A failed
//! refresh is logged and tried again on a later read, after a backoff; the old token is served
//! until it really expires. The cache joins its threads when it is dropped: a client is freed
//! after at most the one fetch in flight, which its deadline bounds.

use super::slot::{lock, read, write, Read, Shared, Slot, SEEN};
use crate::clock::{Clock, Deadline};
use crate::config::MemoryConfig;
use crate::error::Result;
use crate::log;
use crate::stats::{Counters, ScopeStats};
use crate::token::{Token, TokenSource};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::Duration;

/// The front of a client's token pipeline: tokens kept in memory, per scope, in front of the
/// source that fetches them.
#[derive(Debug)]
pub struct TokenCache {
    /// The slot of the client's own scope, reached without the map.
    default: (String, Arc<Slot>),
    slots: RwLock<HashMap<String, Arc<Slot>>>,
    shared: Arc<Shared>,
    /// Whether tokens are renewed in the background during their refresh window.
    refresh_ahead: bool,
    /// How long one background renewal may take (one exchange's timeout: a client is freed
    /// after at most that).
    refresh_within: Duration,
    /// The background refreshes started (finished ones are reaped as new ones start).
    workers: Mutex<Vec<JoinHandle<()>>>,
}

impl TokenCache {
    pub fn new(
        config: MemoryConfig,
        source: Box<dyn TokenSource>,
        clock: Arc<dyn Clock>,
        counters: Arc<Counters>,
    ) -> Self {
        TokenCache {
            default: (config.default_scope, Arc::default()),
            slots: RwLock::default(),
            shared: Arc::new(Shared {
                source,
                clock,
                counters,
                closed: AtomicBool::new(false),
            }),
            refresh_ahead: config.refresh_ahead,
            refresh_within: config.refresh_within,
            workers: Mutex::default(),
        }
    }

    /// Runs `f` on the token for `scope` when it can be served without waiting, writing no
    /// shared memory while it is fresh; `None` when there is none.
    pub fn read<R>(&self, scope: &str, f: &mut dyn FnMut(&Token) -> R) -> Option<R> {
        let now = self.shared.clock.now();
        let found = self.with_slot(scope, |slot| match slot.read(now, self.refresh_ahead, f) {
            Read::Fresh(r) => Some(r),
            Read::Refresh(r) => {
                self.start_refresh(scope, slot);
                Some(r)
            }
            Read::Miss => None,
        });
        if found.is_some() {
            self.shared.counters.memory_read();
        }
        found
    }

    /// Copies the token for `scope` into `out` when it is fresh, without a lock, a reference count
    /// or a shared write: `Some(Ok(len))` copied, `Some(Err(len))` does not fit, `None` when this
    /// fast path cannot answer (use [`TokenCache::read`] or [`TokenCache::get`]).
    /// `scope` `None` is the client's own, reached without comparing names.
    pub fn read_into(&self, scope: Option<&str>, out: &mut [u8]) -> Option<Result<usize, usize>> {
        let now = self.shared.clock.now();
        let copied = match scope {
            None => self.default.1.copy.read_into(now, out),
            Some(scope) => self.with_slot(scope, |slot| slot.copy.read_into(now, out)),
        };
        // A read into a buffer too small is not a read: the caller asks again.
        if let Some(Ok(_)) = copied {
            self.shared.counters.memory_read();
        }
        copied
    }

    /// The token for `scope`: the cached one while it can be served, else one from the source
    /// (or from another thread's fetch, waited for until `deadline`).
    pub fn get(&self, scope: &str, deadline: Deadline) -> Result<Arc<Token>> {
        self.with_slot(scope, |slot| {
            let now = self.shared.clock.now();
            if let Some(token) = slot.current(now, self.refresh_ahead) {
                if !token.is_fresh(now) {
                    self.start_refresh(scope, slot);
                }
                self.shared.counters.memory_read();
                return Ok(token);
            }
            slot.fetch_now(scope, &self.shared, deadline)
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
        self.shared.source.reject(scope, rejected, deadline);
    }

    /// Each scope's current token: where it came from, and the time until its refresh and its
    /// expiry.
    pub fn scope_stats(&self) -> Vec<ScopeStats> {
        let now = self.shared.clock.now();
        let mut slots = vec![(self.default.0.clone(), self.default.1.clone())];
        slots.extend(
            read(&self.slots)
                .iter()
                .map(|(scope, slot)| (scope.clone(), slot.clone())),
        );
        let left = |at: u64| Duration::from_nanos(at.saturating_sub(now));
        slots
            .into_iter()
            .filter_map(|(scope, slot)| {
                let token = read(&slot.current).clone()?;
                Some(ScopeStats {
                    scope,
                    origin: token.origin(),
                    refresh_in: left(token.stale_at()),
                    expires_in: left(token.expires_at().mono),
                })
            })
            .collect()
    }

    /// Starts a background refresh of `slot`, unless one runs, the last failed too recently, or
    /// the cache is closing.
    fn start_refresh(&self, scope: &str, slot: &Arc<Slot>) {
        let now = self.shared.clock.now();
        if now < slot.not_before.load(Ordering::Acquire)
            || self.shared.closed.load(Ordering::Acquire)
            || slot.refreshing.swap(true, Ordering::AcqRel)
        {
            return;
        }
        let (worker_slot, shared, scope_owned) =
            (slot.clone(), self.shared.clone(), scope.to_string());
        let within = self.refresh_within;
        let started = std::thread::Builder::new()
            .name("lucidauth-refresh".to_string())
            .spawn(move || {
                worker_slot.refresh(&scope_owned, &shared, Deadline::after(within));
                worker_slot.refreshing.store(false, Ordering::Release);
            });
        match started {
            Ok(handle) => {
                let mut workers = lock(&self.workers);
                workers.retain(|w| !w.is_finished());
                workers.push(handle);
            }
            Err(e) => {
                log::warn(&format!(
                    "cannot start a background token refresh ({e}); the token is renewed when it expires"
                ));
                // A slot taken over by a thread that never started is free again.
                slot.refreshing.store(false, Ordering::Release);
            }
        }
    }

    /// Runs `f` on the slot of `scope`: the client's own without the map (and without touching
    /// its reference count), another found or made in the map.
    fn with_slot<R>(&self, scope: &str, f: impl FnOnce(&Arc<Slot>) -> R) -> R {
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

impl Drop for TokenCache {
    /// Waits for the background refreshes: none outlives the client. And a dropped cache (a
    /// freed client) leaves no token in this thread's copy; another thread's copy is dropped
    /// (and, a secret, wiped) on that thread's next read of any cache, or when it exits.
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Release);
        for worker in lock(&self.workers).drain(..) {
            let _ = worker.join();
        }
        let _ = SEEN.try_with(|seen| {
            if let Ok(mut seen) = seen.try_borrow_mut() {
                *seen = (0, None);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::error::{Error, ErrorKind};
    use std::sync::atomic::AtomicUsize;
    use std::sync::Barrier;
    use std::time::Instant;

    /// Hands out "<prefix>0", "<prefix>1", ... valid for an hour from its clock's now, or fails
    /// while `down`. A fetch waits while a test holds `hold` for writing.
    #[derive(Debug, Default)]
    struct Numbered {
        clock: Arc<ManualClock>,
        fetches: Arc<AtomicUsize>,
        finished: Arc<AtomicUsize>,
        prefix: &'static str,
        down: Arc<AtomicBool>,
        hold: Arc<RwLock<()>>,
    }

    impl TokenSource for Numbered {
        fn fetch(&self, _scope: &str, _: Deadline) -> Result<Token> {
            let n = self.fetches.fetch_add(1, Ordering::SeqCst);
            let _held = read(&self.hold);
            self.finished.fetch_add(1, Ordering::SeqCst);
            if self.down.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(100));
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

    struct Setup {
        cache: TokenCache,
        clock: Arc<ManualClock>,
        fetches: Arc<AtomicUsize>,
        finished: Arc<AtomicUsize>,
        down: Arc<AtomicBool>,
        hold: Arc<RwLock<()>>,
    }

    fn setup(prefix: &'static str, refresh_ahead: bool) -> Setup {
        let source = Numbered {
            prefix,
            ..Numbered::default()
        };
        let (clock, fetches, finished, down, hold) = (
            source.clock.clone(),
            source.fetches.clone(),
            source.finished.clone(),
            source.down.clone(),
            source.hold.clone(),
        );
        let config = MemoryConfig {
            default_scope: String::new(),
            refresh_ahead,
            refresh_within: Duration::from_secs(60),
        };
        let cache = TokenCache::new(config, Box::new(source), clock.clone(), Default::default());
        Setup {
            cache,
            clock,
            fetches,
            finished,
            down,
            hold,
        }
    }

    fn soon() -> Deadline {
        Deadline::after(Duration::from_secs(60))
    }

    fn secret(cache: &TokenCache, scope: &str) -> String {
        cache.get(scope, soon()).unwrap().secret().to_string()
    }

    fn read_secret(cache: &TokenCache) -> Option<String> {
        cache.read("", &mut |t| t.secret().to_string())
    }

    /// Waits (at most 10 s) until `done` holds.
    fn eventually(what: &str, done: impl Fn() -> bool) {
        let until = Instant::now() + Duration::from_secs(10);
        while !done() {
            assert!(Instant::now() < until, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    #[test]
    fn one_fetch_per_expiry_and_one_before_the_refresh_time() {
        let Setup {
            cache,
            clock,
            fetches,
            ..
        } = setup("t", false);
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
        let Setup {
            cache: a, clock, ..
        } = setup("a", false);
        let b = setup("b", false).cache;
        assert_eq!(read_secret(&a), None);
        let a0 = a.get("", soon()).unwrap();
        b.get("", soon()).unwrap();
        // One thread reading two caches in turn: each answer is its own cache's.
        for _ in 0..3 {
            assert_eq!(read_secret(&a).as_deref(), Some("a0"));
            assert_eq!(read_secret(&b).as_deref(), Some("b0"));
        }
        a.reject("", &a0, soon());
        assert_eq!(
            read_secret(&a),
            None,
            "a dropped token is not served from the thread's copy"
        );
        assert_eq!(secret(&a, ""), "a1");
        assert_eq!(read_secret(&a).as_deref(), Some("a1"));
        clock.advance(Duration::from_secs(3600));
        assert_eq!(a.read("", &mut |_| ()), None, "stale");
        assert_eq!(a.read("other", &mut |_| ()), None);
    }

    #[test]
    fn waiters_share_one_fetch_and_its_error() {
        let Setup {
            cache,
            fetches,
            down,
            ..
        } = setup("t", false);
        down.store(true, Ordering::SeqCst);
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
    fn in_the_refresh_window_readers_get_the_current_token_and_one_background_fetch_renews_it() {
        let Setup {
            cache,
            clock,
            fetches,
            finished,
            hold,
            ..
        } = setup("t", true);
        assert_eq!(secret(&cache, ""), "t0");
        let held = write(&hold);
        clock.advance(Duration::from_secs(3300));
        // The renewal is held back: every reader still gets t0 at once, and one fetch runs.
        for _ in 0..100 {
            assert_eq!(read_secret(&cache).as_deref(), Some("t0"));
            assert_eq!(secret(&cache, ""), "t0");
        }
        eventually("the background fetch", || {
            fetches.load(Ordering::SeqCst) == 2
        });
        drop(held);
        eventually("the renewed token", || {
            read_secret(&cache).as_deref() == Some("t1")
        });
        assert_eq!(finished.load(Ordering::SeqCst), 2);
        for _ in 0..100 {
            assert_eq!(read_secret(&cache).as_deref(), Some("t1"));
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 2, "one fetch per refresh");
    }

    #[test]
    fn a_failed_background_refresh_is_retried_after_a_backoff_and_the_token_served_until_it_expires(
    ) {
        let Setup {
            cache,
            clock,
            fetches,
            finished,
            down,
            ..
        } = setup("t", true);
        assert_eq!(secret(&cache, ""), "t0");
        down.store(true, Ordering::SeqCst);
        clock.advance(Duration::from_secs(3300));
        assert_eq!(read_secret(&cache).as_deref(), Some("t0"));
        eventually("the failed refresh", || {
            finished.load(Ordering::SeqCst) == 2
                && !cache.default.1.refreshing.load(Ordering::SeqCst)
        });
        // Within the backoff (1 s), reads serve t0 and start no fetch.
        for _ in 0..100 {
            assert_eq!(read_secret(&cache).as_deref(), Some("t0"));
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
        clock.advance(Duration::from_secs(1));
        assert_eq!(read_secret(&cache).as_deref(), Some("t0"));
        eventually("the second try", || fetches.load(Ordering::SeqCst) == 3);
        // Served until it really expires; then the caller fetches, and sees the failure.
        clock.advance(Duration::from_secs(298));
        assert_eq!(secret(&cache, ""), "t0");
        clock.advance(Duration::from_secs(1));
        eventually("the refresh in flight", || {
            !cache.default.1.refreshing.load(Ordering::SeqCst)
        });
        assert_eq!(cache.get("", soon()).unwrap_err().message(), "down");
        assert_eq!(read_secret(&cache), None);
    }

    #[test]
    fn dropping_the_cache_waits_for_its_background_fetch() {
        let Setup {
            cache,
            clock,
            fetches,
            finished,
            hold,
            ..
        } = setup("t", true);
        cache.get("", soon()).unwrap();
        let held = write(&hold);
        clock.advance(Duration::from_secs(3300));
        assert_eq!(read_secret(&cache).as_deref(), Some("t0"));
        eventually("the background fetch", || {
            fetches.load(Ordering::SeqCst) == 2
        });
        let dropper = std::thread::spawn(move || {
            drop(cache);
            finished.load(Ordering::SeqCst)
        });
        std::thread::sleep(Duration::from_millis(100));
        assert!(!dropper.is_finished(), "drop waits for the fetch in flight");
        drop(held);
        assert_eq!(
            dropper.join().unwrap(),
            2,
            "the fetch ended before drop returned"
        );
    }

    #[test]
    fn a_waiter_gives_up_at_its_deadline() {
        let Setup {
            cache,
            fetches,
            hold,
            ..
        } = setup("t", false);
        let held = write(&hold);
        std::thread::scope(|s| {
            s.spawn(|| cache.get("", soon()));
            eventually("the first fetch", || fetches.load(Ordering::SeqCst) == 1);
            let started = Instant::now();
            let e = cache
                .get("", Deadline::after(Duration::from_millis(50)))
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Timeout);
            assert!(started.elapsed() < Duration::from_secs(2));
            drop(held);
        });
    }

    #[test]
    fn freeing_the_cache_drops_this_threads_copy_of_its_token() {
        let Setup { cache, .. } = setup("t", false);
        let token = Arc::downgrade(&cache.get("", soon()).unwrap());
        assert_eq!(cache.read("", &mut |t| t.secret().len()), Some(2));
        drop(cache);
        assert!(
            token.upgrade().is_none(),
            "no copy of the token outlives its cache in this thread"
        );
    }
}
