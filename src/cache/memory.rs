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
//! until it really expires. A renewal runs detached: it holds only what it owns (its slot and
//! the shared source, reference-counted), so dropping the cache (freeing the client) never waits
//! for it, even from the renewal's own thread (a log callback); it ends on its own deadline and
//! its token then goes with the last reference.
//!
//! Bounded: besides the client's own scope, at most [`MAX_SCOPES`] scopes keep a slot; making
//! one more evicts the least recently used (its token is fetched again if asked for later).

use super::damp::Damper;
use super::slot::{read, write, Read, Shared, Slot, SEEN};
use super::sync::atomic::{AtomicBool, Ordering};
use super::sync::RwLock;
use crate::clock::{Clock, Deadline};
use crate::config::MemoryConfig;
use crate::error::Result;
use crate::log;
use crate::stats::{Counters, ScopeStats};
use crate::token::{Token, TokenSource};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// How many scopes besides the client's own keep a token in memory; beyond it the least
/// recently used slot is evicted.
pub const MAX_SCOPES: usize = 64;
/// A slot's last use is written at most this often (monotonic nanoseconds): reads of a hot
/// scope do not all write the same word.
const USE_RESOLUTION: u64 = 1_000_000;

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
    /// How long one background renewal may take (one exchange's timeout): a detached renewal
    /// ends by then.
    refresh_within: Duration,
    /// Damps refetches after 401s (no token storm).
    damper: Damper,
}

impl TokenCache {
    pub fn new(
        config: MemoryConfig,
        source: Box<dyn TokenSource>,
        clock: Arc<dyn Clock>,
        counters: Arc<Counters>,
    ) -> Self {
        let damper = Damper::new(clock.now());
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
            damper,
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

    /// The token for `scope` as [`TokenCache::read_into`] copies it, and a NUL, in a vector of
    /// its own; `None` when this fast path cannot answer.
    pub fn read_with_nul(&self, scope: Option<&str>) -> Option<Vec<u8>> {
        let now = self.shared.clock.now();
        let copied = match scope {
            None => self.default.1.copy.read_with_nul(now),
            Some(scope) => self.with_slot(scope, |slot| slot.copy.read_with_nul(now)),
        };
        if copied.is_some() {
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
    /// who all saw the same rejection cause one new fetch, not one each) and in the source. The
    /// next fetch may be damped (`damp`): it waits, or a caller that cannot wait fails.
    pub fn reject(&self, scope: &str, rejected: &Token, deadline: Deadline) {
        self.with_slot(scope, |slot| {
            let dropped = slot.replace(
                |current| current.is_some_and(|t| t.secret() == rejected.secret()),
                None,
            );
            let now = self.shared.clock.now();
            if let Some(wait) = dropped
                .then(|| self.damper.on_reject(rejected, now))
                .flatten()
            {
                slot.refetch_not_before.store(
                    now.saturating_add(crate::clock::nanos(wait)),
                    Ordering::Release,
                );
            }
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
        // Detached: the handle is dropped, nothing ever joins the renewal.
        match started {
            Ok(_detached) => {}
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
    /// its reference count), another found or made in the map (its use noted, for eviction).
    fn with_slot<R>(&self, scope: &str, f: impl FnOnce(&Arc<Slot>) -> R) -> R {
        if scope == self.default.0 {
            return f(&self.default.1);
        }
        let now = self.shared.clock.now();
        let found = read(&self.slots).get(scope).cloned();
        let slot = found.unwrap_or_else(|| self.make_slot(scope, now));
        if now.saturating_sub(slot.last_used.load(Ordering::Relaxed)) >= USE_RESOLUTION {
            slot.last_used.store(now, Ordering::Relaxed);
        }
        f(&slot)
    }

    /// The slot of `scope`, made if there is none; the least recently used one is evicted first
    /// when [`MAX_SCOPES`] are kept. A caller or renewal still using the evicted slot keeps it
    /// until it is done.
    fn make_slot(&self, scope: &str, now: u64) -> Arc<Slot> {
        let mut slots = write(&self.slots);
        if let Some(slot) = slots.get(scope) {
            return slot.clone();
        }
        if slots.len() >= MAX_SCOPES {
            let oldest = slots
                .iter()
                .min_by_key(|(_, slot)| slot.last_used.load(Ordering::Relaxed))
                .map(|(name, _)| name.clone());
            if let Some(oldest) = oldest {
                log::debug(&format!(
                    "more than {MAX_SCOPES} scopes in memory; dropping the least recently used, '{oldest}'"
                ));
                slots.remove(&oldest);
            }
        }
        let slot = Arc::new(Slot::default());
        slot.last_used.store(now, Ordering::Relaxed);
        slots.insert(scope.to_string(), slot.clone());
        slot
    }

    /// How many scopes besides the client's own have a slot.
    #[cfg(test)]
    fn scope_count(&self) -> usize {
        read(&self.slots).len()
    }
}

impl Drop for TokenCache {
    /// Waits for nothing: a renewal in flight is told to start no fetch (or no other), and ends
    /// on its own deadline with what it holds. A dropped cache (a freed client) leaves no token in
    /// this thread's copy; another thread's copy is dropped (and, a secret, wiped) on that
    /// thread's next read of any cache, or when it exits.
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Release);
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
    fn dropping_the_cache_does_not_wait_for_its_background_fetch() {
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
        let started = Instant::now();
        drop(cache);
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "drop returned while the fetch is held"
        );
        assert_eq!(
            finished.load(Ordering::SeqCst),
            1,
            "the fetch is still held"
        );
        drop(held);
        eventually("the detached fetch to end", || {
            finished.load(Ordering::SeqCst) == 2
        });
    }

    #[test]
    fn scopes_beyond_the_bound_evict_the_least_recently_used() {
        let Setup {
            cache,
            clock,
            fetches,
            ..
        } = setup("t", false);
        for n in 0..MAX_SCOPES {
            cache.get(&format!("s{n}"), soon()).unwrap();
            clock.advance(Duration::from_millis(2));
        }
        assert_eq!(cache.scope_count(), MAX_SCOPES);
        // s0 used again: s1 is now the least recently used.
        cache.get("s0", soon()).unwrap();
        clock.advance(Duration::from_millis(2));
        cache.get("extra", soon()).unwrap();
        assert_eq!(cache.scope_count(), MAX_SCOPES);
        let before = fetches.load(Ordering::SeqCst);
        assert_eq!(before, MAX_SCOPES + 1);
        cache.get("s0", soon()).unwrap();
        cache.get("extra", soon()).unwrap();
        cache.get("", soon()).unwrap();
        assert_eq!(
            fetches.load(Ordering::SeqCst),
            before + 1,
            "only the default is new"
        );
        cache.get("s1", soon()).unwrap();
        assert_eq!(fetches.load(Ordering::SeqCst), before + 2, "s1 was evicted");
        for n in 0..10_000 {
            cache.get(&format!("many{n}"), soon()).unwrap();
        }
        assert_eq!(cache.scope_count(), MAX_SCOPES);
    }

    #[test]
    fn a_token_rejected_early_is_refetched_after_a_backoff_or_the_call_fails_unauthorized() {
        let Setup { cache, fetches, .. } = setup("t", false);
        let t0 = cache.get("", soon()).unwrap();
        cache.reject("", &t0, soon());
        // A second reject of the same token (another thread's 401) changes nothing.
        cache.reject("", &t0, soon());
        let e = cache
            .get("", Deadline::after(Duration::from_millis(100)))
            .unwrap_err();
        assert_eq!(
            (e.kind(), e.http_status()),
            (ErrorKind::Unauthorized, Some(401))
        );
        assert!(e.message().contains("use_cache = true"), "{}", e.message());
        assert_eq!(
            fetches.load(Ordering::SeqCst),
            1,
            "no fetch for a call that cannot wait"
        );
        let started = Instant::now();
        assert_eq!(secret(&cache, ""), "t1");
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(400), "backoff: {waited:?}");
        assert!(
            waited < Duration::from_secs(2),
            "at most the first wait: {waited:?}"
        );
        assert_eq!(fetches.load(Ordering::SeqCst), 2, "one refetch");
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
