//! Tokens shared between processes (and hosts): one entry per (token URL, client id, scope) in
//! a store, and a lock per entry so that one process fetches while the others wait, then read
//! what it stored. The in-memory cache stays in front: this is reached only when it is stale.

use crate::error::{Error, ErrorKind, Result};
use crate::log;
use crate::secret::Secret;
use crate::token::Token;
use serde_json::{json, Value};
use std::fmt::Debug;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Names one entry: a hash of what identifies the token (never the secret), plus those values
/// themselves so that an entry of other credentials that shares the name is recognised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    pub name: String,
    pub token_url: String,
    pub client_id: String,
    pub scope: String,
}

impl Key {
    pub fn new(token_url: &str, client_id: &str, scope: &str) -> Key {
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
        }
    }
}

/// A stored token: its value, when it expires (wall clock, ms since the epoch) and its lifetime.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub token: Secret,
    pub expires_at_ms: u64,
    pub lifetime_ms: u64,
}

impl Entry {
    /// The entry for `token`, sent at `sent_at` (wall clock).
    pub fn new(token: &Token, sent_at: SystemTime) -> Entry {
        let lifetime_ms = u64::try_from(token.lifetime().as_millis()).unwrap_or(u64::MAX);
        Entry {
            token: Secret::new(token.secret()),
            expires_at_ms: millis(sent_at).saturating_add(lifetime_ms),
            lifetime_ms,
        }
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
        Ok(Entry {
            token: Secret::new(token),
            expires_at_ms: number("expires_at_ms")?,
            lifetime_ms: number("lifetime_ms")?,
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
    /// Removes the entry of `key` only if it still holds `token`.
    fn remove_if(&self, key: &Key, token: &str) -> Result<()>;
}

/// A store and the rules for using it.
#[derive(Debug)]
pub struct SharedCache {
    store: Box<dyn Store>,
    margin: Duration,
    lock_wait: Duration,
}

impl SharedCache {
    pub fn new(store: Box<dyn Store>, margin: Duration, lock_wait: Duration) -> Self {
        SharedCache {
            store,
            margin,
            lock_wait,
        }
    }

    /// The stored token for `key` while fresh; else one `fetch` gets, under the lock, and stores.
    /// `fetch` returns the token and when its request was sent. A store that fails is warned
    /// about and bypassed: the caller gets a token all the same.
    pub fn get(
        &self,
        key: &Key,
        now: Instant,
        fetch: &dyn Fn() -> Result<(Token, SystemTime)>,
    ) -> Result<Token> {
        match self.load_fresh(key, now) {
            Ok(Some(token)) => return Ok(token),
            Ok(None) => {}
            Err(e) => return self.bypass(e, fetch),
        }
        let held = match self.store.lock(key, self.lock_wait) {
            Ok(Some(held)) => held,
            Ok(None) => {
                log::warn("shared token cache: the fetch lock was not released in time; fetching without it");
                return fetch().map(|(token, _)| token);
            }
            Err(e) => return self.bypass(e, fetch),
        };
        // Whoever held the lock before us may have stored a fresh token.
        if let Ok(Some(token)) = self.load_fresh(key, Instant::now()) {
            return Ok(token);
        }
        let (token, sent_at) = fetch()?;
        let entry = Entry::new(&token, sent_at);
        let fresh = entry.fresh_for(self.margin, SystemTime::now());
        if let Err(e) = self.store.save(key, &entry, fresh) {
            log::warn(&format!(
                "shared token cache: cannot store the token: {}",
                e.message()
            ));
        }
        drop(held);
        Ok(token)
    }

    /// Drops the entry of `key` if it still holds `rejected`.
    pub fn invalidate(&self, key: &Key, rejected: &Token) {
        if let Err(e) = self.store.remove_if(key, rejected.secret()) {
            log::warn(&format!(
                "shared token cache: cannot drop a rejected token: {}",
                e.message()
            ));
        }
    }

    fn load_fresh(&self, key: &Key, now: Instant) -> Result<Option<Token>> {
        let Some(entry) = self.store.load(key)? else {
            return Ok(None);
        };
        let fresh_for = entry.fresh_for(self.margin, SystemTime::now());
        if fresh_for.is_zero() {
            return Ok(None);
        }
        let lifetime = Duration::from_millis(entry.lifetime_ms);
        // An entry whose token could not be a token is treated as absent, and replaced.
        Ok(Token::fresh_for(
            entry.token.expose(),
            lifetime,
            fresh_for,
            now,
        ))
    }

    fn bypass(
        &self,
        error: Error,
        fetch: &dyn Fn() -> Result<(Token, SystemTime)>,
    ) -> Result<Token> {
        log::warn(&format!(
            "shared token cache unavailable ({}); fetching directly",
            error.message()
        ));
        fetch().map(|(token, _)| token)
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
        let key = Key::new("https://a/oauth2/token", "id", "s");
        assert_eq!(key.name.len(), 32);
        assert_ne!(key.name, Key::new("https://a/oauth2/token", "id", "t").name);
        let entry = Entry {
            token: Secret::new("tok"),
            expires_at_ms: 5_000_000,
            lifetime_ms: 3_600_000,
        };
        let text = entry.to_json(&key);
        assert_eq!(Entry::from_json(text.as_bytes(), &key), Ok(entry));
        let other = Key::new("https://a/oauth2/token", "other", "s");
        assert_eq!(
            Entry::from_json(text.as_bytes(), &other),
            Err("of other credentials")
        );
        assert_eq!(Entry::from_json(b"{garbage", &key), Err("not JSON"));
        assert_eq!(
            Entry::from_json(br#"{"v":2}"#, &key),
            Err("of an unknown version")
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
}
