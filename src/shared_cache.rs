//! Tokens shared between processes (and hosts): one entry per (token URL, client id, scope) in
//! a store, and a lock per entry so that one process fetches while the others wait, then read
//! what it stored. The in-memory cache stays in front: this is reached only when it is stale.
//! Entries carry wall-clock expiry, the only time other processes share.

use crate::clock::{Clock, Moment};
use crate::credentials::Credentials;
use crate::error::{Error, ErrorKind, Result};
use crate::log;
use crate::retry::Deadline;
use crate::secret::Secret;
use crate::stats::{Counters, Origin};
use crate::token::Token;
use crate::token_source::TokenSource;
use serde_json::{json, Value};
use std::fmt::Debug;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Names one entry: a hash of what identifies the token (never the secret), plus those values
/// themselves so that an entry of other credentials that shares the name is recognised, and the
/// client secret, which authenticates entries (see [`Entry::to_json`]) and is never stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    pub name: String,
    pub token_url: String,
    pub client_id: String,
    pub scope: String,
    secret: Secret,
}

impl Key {
    pub fn new(token_url: &str, client_id: &str, scope: &str, secret: &Secret) -> Key {
        let digest = ring::digest::digest(
            &ring::digest::SHA256,
            format!("{token_url}\n{client_id}\n{scope}").as_bytes(),
        );
        let name = digest.as_ref()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Key {
            name,
            token_url: token_url.to_string(),
            client_id: client_id.to_string(),
            scope: scope.to_string(),
            secret: secret.clone(),
        }
    }

    /// HMAC-SHA256, keyed by the client secret, of the entry's every field: only a caller that
    /// holds the secret (and so could have fetched the token itself) makes or accepts an entry.
    fn mac(&self, token: &str, expires_at_ms: u64, lifetime_ms: u64) -> ring::hmac::Tag {
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, self.secret.expose().as_bytes());
        let mut context = ring::hmac::Context::with_key(&key);
        for part in [
            "lucidauth shared entry v1",
            &self.token_url,
            &self.client_id,
            &self.scope,
            token,
            &expires_at_ms.to_string(),
            &lifetime_ms.to_string(),
        ] {
            context.update(&(part.len() as u64).to_be_bytes());
            context.update(part.as_bytes());
        }
        context.sign()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

/// Entries larger than this (on disk or in Redis) are not ones this library wrote, and are not
/// read further.
pub const MAX_ENTRY: u64 = 64 * 1024;

/// A stored token: its value, when it expires (wall clock, ms since the epoch) and its lifetime.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub token: Secret,
    pub expires_at_ms: u64,
    pub lifetime_ms: u64,
}

impl Entry {
    /// The entry for `token`.
    pub fn new(token: &Token) -> Entry {
        Entry {
            token: Secret::new(token.secret()),
            expires_at_ms: millis(token.expires_at().wall),
            lifetime_ms: u64::try_from(token.lifetime().as_millis()).unwrap_or(u64::MAX),
        }
    }

    /// The token of this entry as seen `now`, while it is fresh under the margin rule; `None`
    /// when it is stale, or could not be a token.
    pub fn to_token(&self, now: Moment, margin: Duration) -> Option<Token> {
        let lifetime = Duration::from_millis(self.lifetime_ms);
        // Never more than its lifetime from now, whatever the entry says.
        let left = Duration::from_millis(self.expires_at_ms.saturating_sub(millis(now.wall)))
            .min(lifetime);
        Token::expiring(self.token.expose(), lifetime, now.after(left), margin)
            .filter(|t| t.is_fresh(now.mono))
            .map(|t| t.from_origin(Origin::SharedCache))
    }

    /// How long from `now` the token stays fresh under the margin rule (zero: stale).
    pub fn fresh_for(&self, margin: Duration, now: SystemTime) -> Duration {
        let margin_ms = u64::try_from(margin.as_millis())
            .unwrap_or(u64::MAX)
            .min(self.lifetime_ms / 2);
        let stale_at = self.expires_at_ms.saturating_sub(margin_ms);
        Duration::from_millis(stale_at.saturating_sub(millis(now)))
    }

    /// The JSON a store keeps: the entry and the key it belongs to.
    pub fn to_json(&self, key: &Key) -> String {
        json!({
            "v": 1,
            "token_url": key.token_url,
            "client_id": key.client_id,
            "scope": key.scope,
            "access_token": self.token.expose(),
            "expires_at_ms": self.expires_at_ms,
            "lifetime_ms": self.lifetime_ms,
            "mac": hex(key.mac(self.token.expose(), self.expires_at_ms, self.lifetime_ms).as_ref()),
        })
        .to_string()
    }

    /// Reads what [`Entry::to_json`] wrote; `Err` describes what is wrong (corrupt or foreign).
    pub fn from_json(text: &[u8], key: &Key) -> Result<Entry, &'static str> {
        let v: Value = serde_json::from_slice(text).map_err(|_| "not JSON")?;
        let field = |name: &str| v.get(name).and_then(Value::as_str);
        if v.get("v").and_then(Value::as_u64) != Some(1) {
            return Err("of an unknown version");
        }
        if field("token_url") != Some(&key.token_url)
            || field("client_id") != Some(&key.client_id)
            || field("scope") != Some(&key.scope)
        {
            return Err("of other credentials");
        }
        let number = |name: &str| v.get(name).and_then(Value::as_u64).ok_or("incomplete");
        let token = field("access_token")
            .filter(|t| !t.is_empty())
            .ok_or("incomplete")?;
        let (expires_at_ms, lifetime_ms) = (number("expires_at_ms")?, number("lifetime_ms")?);
        let mac = field("mac").and_then(unhex).ok_or("not authenticated")?;
        let expected = key.mac(token, expires_at_ms, lifetime_ms);
        // Compared in constant time: every byte is looked at whatever the first difference.
        let differ = expected.as_ref().len() != mac.len()
            || expected
                .as_ref()
                .iter()
                .zip(&mac)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                != 0;
        if differ {
            return Err("of other credentials (not made with this client secret)");
        }
        Ok(Entry {
            token: Secret::new(token),
            expires_at_ms,
            lifetime_ms,
        })
    }
}

/// Held while this process fetches for an entry; dropping it lets the others go on.
pub trait Held {}

/// Where shared entries live: a directory, or Redis.
pub trait Store: Send + Sync + Debug {
    /// The entry for `key`, if there is a readable one of these credentials.
    fn load(&self, key: &Key) -> Result<Option<Entry>>;
    /// Stores `entry` for `key`, replacing what was there.
    fn save(&self, key: &Key, entry: &Entry, fresh_for: Duration) -> Result<()>;
    /// Takes the fetch lock of `key`, waiting at most `wait`; `None` when the wait ran out.
    fn lock<'a>(&'a self, key: &Key, wait: Duration) -> Result<Option<Box<dyn Held + 'a>>>;
    /// Removes the entry of `key` only if it still holds `token`, waiting at most `wait` for
    /// the lock.
    fn remove_if(&self, key: &Key, token: &str, wait: Duration) -> Result<()>;
}

/// A token source in front of another (the token endpoint): tokens are read from the store while
/// fresh; else one process fetches, under the store's lock, and stores what it got.
#[derive(Debug)]
pub struct SharedCache {
    store: Box<dyn Store>,
    upstream: Box<dyn TokenSource>,
    token_url: String,
    client_id: String,
    client_secret: Secret,
    margin: Duration,
    /// How long to wait for another process's fetch.
    lock_wait: Duration,
    clock: Arc<dyn Clock>,
    counters: Arc<Counters>,
}

impl SharedCache {
    pub fn new(
        store: Box<dyn Store>,
        upstream: Box<dyn TokenSource>,
        creds: &Credentials,
        clock: Arc<dyn Clock>,
        counters: Arc<Counters>,
    ) -> Self {
        SharedCache {
            store,
            upstream,
            token_url: creds.token_url.clone(),
            client_id: creds.client_id.clone(),
            // Made only for credentials with a client secret (see `Client::with_clock`).
            client_secret: creds
                .client_secret
                .clone()
                .unwrap_or_else(|| Secret::new("")),
            margin: creds.refresh_margin,
            lock_wait: creds.retry.deadline,
            clock,
            counters,
        }
    }

    fn key(&self, scope: &str) -> Key {
        Key::new(&self.token_url, &self.client_id, scope, &self.client_secret)
    }

    fn load_fresh(&self, key: &Key) -> Result<Option<Token>> {
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

/// Milliseconds since the Unix epoch.
pub fn millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// An error of a store, which callers only log.
pub fn store_error(what: impl Into<String>) -> Error {
    Error::new(ErrorKind::Io, what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_foreign_ones_are_refused() {
        let key = Key::new("https://a/oauth2/token", "id", "s", &Secret::new("pw"));
        assert_eq!(key.name.len(), 32);
        assert_ne!(
            key.name,
            Key::new("https://a/oauth2/token", "id", "t", &Secret::new("pw")).name
        );
        let entry = Entry {
            token: Secret::new("tok"),
            expires_at_ms: 5_000_000,
            lifetime_ms: 3_600_000,
        };
        let text = entry.to_json(&key);
        assert_eq!(Entry::from_json(text.as_bytes(), &key), Ok(entry));
        let other = Key::new("https://a/oauth2/token", "other", "s", &Secret::new("pw"));
        assert_eq!(
            Entry::from_json(text.as_bytes(), &other),
            Err("of other credentials")
        );
        assert_eq!(Entry::from_json(b"{garbage", &key), Err("not JSON"));
        // The same key with another secret: the name is the same, the entry is not its own.
        let wrong = Key::new("https://a/oauth2/token", "id", "s", &Secret::new("wrong"));
        assert_eq!(wrong.name, key.name);
        assert_eq!(
            Entry::from_json(text.as_bytes(), &wrong),
            Err("of other credentials (not made with this client secret)")
        );
        // Nor is one whose expiry was moved by someone without the secret.
        let moved = text.replace("5000000", "9000000");
        assert!(Entry::from_json(moved.as_bytes(), &key).is_err());
        let mut unsigned: Value = serde_json::from_str(&text).unwrap();
        unsigned.as_object_mut().unwrap().remove("mac");
        let unsigned = unsigned.to_string();
        assert_eq!(
            Entry::from_json(unsigned.as_bytes(), &key),
            Err("not authenticated")
        );
        assert_eq!(
            Entry::from_json(br#"{"v":2}"#, &key),
            Err("of an unknown version")
        );
    }

    /// A store in memory, with a lock that is always free.
    #[derive(Debug, Default)]
    struct MemoryStore(std::sync::Mutex<Option<Entry>>);
    struct Free;
    impl Held for Free {}
    impl Store for MemoryStore {
        fn load(&self, _: &Key) -> Result<Option<Entry>> {
            Ok(self.0.lock().unwrap().clone())
        }
        fn save(&self, _: &Key, entry: &Entry, _: Duration) -> Result<()> {
            *self.0.lock().unwrap() = Some(entry.clone());
            Ok(())
        }
        fn lock<'a>(&'a self, _: &Key, _: Duration) -> Result<Option<Box<dyn Held + 'a>>> {
            Ok(Some(Box::new(Free)))
        }
        fn remove_if(&self, _: &Key, _: &str, _: Duration) -> Result<()> {
            Ok(())
        }
    }

    /// Counts its fetches; each token lives an hour from the clock's now.
    #[derive(Debug)]
    struct Upstream(Arc<crate::ManualClock>, std::sync::atomic::AtomicUsize);
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
        let clock = Arc::new(crate::ManualClock::new());
        let creds = crate::Credentials::new("id", "secret").unwrap();
        let upstream = Upstream(clock.clone(), Default::default());
        let shared = SharedCache::new(
            Box::<MemoryStore>::default(),
            Box::new(upstream),
            &creds,
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

    #[test]
    fn freshness_follows_the_margin_rule() {
        let entry = Entry {
            token: Secret::new("t"),
            expires_at_ms: 3_600_000,
            lifetime_ms: 3_600_000,
        };
        let at = |ms| UNIX_EPOCH + Duration::from_millis(ms);
        assert_eq!(
            entry.fresh_for(Duration::from_secs(300), at(0)),
            Duration::from_secs(3300)
        );
        assert_eq!(
            entry.fresh_for(Duration::from_secs(300), at(3_299_999)),
            Duration::from_millis(1)
        );
        assert_eq!(
            entry.fresh_for(Duration::from_secs(300), at(3_300_000)),
            Duration::ZERO
        );
        let short = Entry {
            token: Secret::new("t"),
            expires_at_ms: 2000,
            lifetime_ms: 2000,
        };
        assert_eq!(
            short.fresh_for(Duration::from_secs(300), at(0)),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn an_entry_expiring_at_the_end_of_time_is_no_panic() {
        let entry = Entry {
            token: Secret::new("t"),
            expires_at_ms: u64::MAX,
            lifetime_ms: u64::MAX,
        };
        let now = crate::SystemClock.moment();
        let token = entry.to_token(now, Duration::from_secs(300)).unwrap();
        assert!(token.lifetime() <= crate::token::MAX_LIFETIME);
        assert!(entry.fresh_for(Duration::MAX, now.wall) > Duration::ZERO);
    }
}
