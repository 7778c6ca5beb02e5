//! Tokens shared between processes (and hosts): one entry per (token URL, client id, scope) in
//! a store, and a lock per entry so that one process fetches while the others wait, then read
//! what it stored. The in-memory cache stays in front: this is reached only when it is stale.
//! Entries carry wall-clock expiry, the only time other processes share.

use super::entry::{Entry, EntryId};
use crate::clock::{Clock, Deadline};
use crate::config::{CacheIdentity, SharedCacheConfig};
use crate::error::{Error, ErrorKind, Result};
use crate::log;
use crate::stats::Counters;
use crate::token::{Token, TokenSource};
use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

/// Held while this process fetches for an entry; dropping it lets the others go on.
pub trait Held {}

/// Where shared entries live: a directory, or Redis.
pub trait Store: Send + Sync + Debug {
    /// The entry for `key`, if there is a readable one of these credentials.
    fn load(&self, key: &EntryId) -> Result<Option<Entry>>;
    /// Stores `entry` for `key`, replacing what was there.
    fn save(&self, key: &EntryId, entry: &Entry, fresh_for: Duration) -> Result<()>;
    /// Takes the fetch lock of `key`, waiting at most `wait`; `None` when the wait ran out.
    fn lock<'a>(&'a self, key: &EntryId, wait: Duration) -> Result<Option<Box<dyn Held + 'a>>>;
    /// Removes the entry of `key` only if it still holds `token`, waiting at most `wait` for
    /// the lock.
    fn remove_if(&self, key: &EntryId, token: &str, wait: Duration) -> Result<()>;
}

/// A token source in front of another (the token endpoint): tokens are read from the store while
/// fresh; else one process fetches, under the store's lock, and stores what it got.
#[derive(Debug)]
pub struct SharedCache {
    store: Arc<dyn Store>,
    upstream: Box<dyn TokenSource>,
    identity: CacheIdentity,
    margin: Duration,
    /// How long to wait for another process's fetch.
    lock_wait: Duration,
    clock: Arc<dyn Clock>,
    counters: Arc<Counters>,
}

impl SharedCache {
    pub fn new(
        store: Arc<dyn Store>,
        upstream: Box<dyn TokenSource>,
        config: SharedCacheConfig,
        clock: Arc<dyn Clock>,
        counters: Arc<Counters>,
    ) -> Self {
        SharedCache {
            store,
            upstream,
            identity: config.identity,
            margin: config.refresh_margin,
            lock_wait: config.lock_wait,
            clock,
            counters,
        }
    }

    fn key(&self, scope: &str) -> EntryId {
        EntryId::new(&self.identity, scope)
    }

    fn load_fresh(&self, key: &EntryId) -> Result<Option<Token>> {
        let entry = self.store.load(key)?;
        // An entry whose token could not be a token is treated as absent, and replaced.
        let token = entry.and_then(|e| e.to_token(self.clock.moment(), self.margin));
        if token.is_some() {
            Counters::add(&self.counters.shared_cache_reads, 1);
        }
        Ok(token)
    }

    /// A store that fails is warned about and bypassed: the caller gets a token all the same.
    fn bypass(&self, error: Error, scope: &str, deadline: Deadline) -> Result<Token> {
        log::warn(&format!(
            "shared token cache unavailable ({}); fetching directly",
            error.message()
        ));
        self.upstream.fetch(scope, deadline)
    }
}

impl TokenSource for SharedCache {
    fn fetch(&self, scope: &str, deadline: Deadline) -> Result<Token> {
        let key = self.key(scope);
        match self.load_fresh(&key) {
            Ok(Some(token)) => {
                log::debug(&format!(
                    "token for scope '{scope}' read from the shared cache"
                ));
                return Ok(token);
            }
            Ok(None) => {}
            Err(e) => return self.bypass(e, scope, deadline),
        }
        let held = match self.store.lock(&key, self.lock_wait.min(deadline.left())) {
            Ok(Some(held)) => held,
            Ok(None) => {
                log::warn("shared token cache: the fetch lock was not released in time; fetching without it");
                return self.upstream.fetch(scope, deadline);
            }
            Err(e) => return self.bypass(e, scope, deadline),
        };
        // Whoever held the lock before us may have stored a fresh token.
        if let Ok(Some(token)) = self.load_fresh(&key) {
            log::debug(&format!(
                "token for scope '{scope}' stored by another process while this one waited"
            ));
            return Ok(token);
        }
        let token = self.upstream.fetch(scope, deadline)?;
        let entry = Entry::new(&token);
        let fresh = entry.fresh_for(self.margin, self.clock.wall());
        if let Err(e) = self.store.save(&key, &entry, fresh) {
            log::warn(&format!(
                "shared token cache: cannot store the token: {}",
                e.message()
            ));
        }
        drop(held);
        Ok(token)
    }

    /// Drops the entry if it still holds `rejected`.
    fn reject(&self, scope: &str, rejected: &Token, deadline: Deadline) {
        let wait = self.lock_wait.min(deadline.left());
        if let Err(e) = self
            .store
            .remove_if(&self.key(scope), rejected.secret(), wait)
        {
            log::warn(&format!(
                "shared token cache: cannot drop a rejected token: {}",
                e.message()
            ));
        }
        self.upstream.reject(scope, rejected, deadline);
    }
}

/// An error of a store, which callers only log.
pub fn store_error(what: impl Into<String>) -> Error {
    Error::new(ErrorKind::Io, what)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::config::Credentials;

    /// A store in memory, with a lock that is always free.
    #[derive(Debug, Default)]
    struct MemoryStore(std::sync::Mutex<Option<Entry>>);
    struct Free;
    impl Held for Free {}
    impl Store for MemoryStore {
        fn load(&self, _: &EntryId) -> Result<Option<Entry>> {
            Ok(self.0.lock().unwrap().clone())
        }
        fn save(&self, _: &EntryId, entry: &Entry, _: Duration) -> Result<()> {
            *self.0.lock().unwrap() = Some(entry.clone());
            Ok(())
        }
        fn lock<'a>(&'a self, _: &EntryId, _: Duration) -> Result<Option<Box<dyn Held + 'a>>> {
            Ok(Some(Box::new(Free)))
        }
        fn remove_if(&self, _: &EntryId, _: &str, _: Duration) -> Result<()> {
            Ok(())
        }
    }

    /// Counts its fetches; each token lives an hour from the clock's now.
    #[derive(Debug)]
    struct Upstream(Arc<ManualClock>, std::sync::atomic::AtomicUsize);
    impl TokenSource for Upstream {
        fn fetch(&self, _: &str, _: Deadline) -> Result<Token> {
            let n = self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(Token::new(
                &format!("t{n}"),
                self.0.moment(),
                Duration::from_secs(3600),
                Duration::ZERO,
            )
            .unwrap())
        }
    }

    #[test]
    fn the_test_clock_drives_the_entries_wall_clock_expiry() {
        let clock = Arc::new(ManualClock::new());
        let config = Credentials::new("id", "secret")
            .unwrap()
            .to_builder()
            .set("use_cache", "true")
            .unwrap()
            .set("cache_dir", "/nonexistent")
            .unwrap()
            .build()
            .unwrap()
            .shared_cache()
            .unwrap()
            .unwrap();
        let upstream = Upstream(clock.clone(), Default::default());
        let shared = SharedCache::new(
            Arc::<MemoryStore>::default(),
            Box::new(upstream),
            config,
            clock.clone(),
            Default::default(),
        );
        assert_eq!(
            shared
                .fetch("", Deadline::after(Duration::from_secs(60)))
                .unwrap()
                .secret(),
            "t0"
        );
        // The stored entry serves until 300 s (the margin) before its wall-clock expiry...
        clock.advance(Duration::from_secs(3299));
        let served = shared
            .fetch("", Deadline::after(Duration::from_secs(60)))
            .unwrap();
        assert_eq!(served.secret(), "t0");
        assert!(served.is_fresh(clock.now()) && !served.is_fresh(clock.now() + 1_000_000_000));
        // ...and no longer at it: then upstream is asked again.
        clock.advance(Duration::from_secs(1));
        assert_eq!(
            shared
                .fetch("", Deadline::after(Duration::from_secs(60)))
                .unwrap()
                .secret(),
            "t1"
        );
    }
}
