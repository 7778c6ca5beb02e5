//! The shared-cache entry: what a store keeps for one token, named after what identifies it
//! and authenticated with the client secret, so that only a process that could have fetched the
//! token itself makes or accepts one.

use crate::clock::Moment;
use crate::config::CacheIdentity;
use crate::secret::Secret;
use crate::stats::TokenOrigin;
use crate::token::Token;
use serde_json::{json, Value};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Names one entry: a hash of what identifies the token (never the secret), plus those values
/// themselves so that an entry of other credentials that shares the name is recognised, and the
/// client secret, which authenticates entries (see [`Entry::to_json`]) and is never stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryId {
    pub name: String,
    pub token_url: String,
    pub client_id: String,
    pub scope: String,
    secret: Secret,
}

impl EntryId {
    /// The entry of `identity`'s token for `scope`.
    pub fn new(identity: &CacheIdentity, scope: &str) -> EntryId {
        let (token_url, client_id) = (&identity.token_url, &identity.client_id);
        let digest = ring::digest::digest(
            &ring::digest::SHA256,
            format!("{token_url}\n{client_id}\n{scope}").as_bytes(),
        );
        let name = digest.as_ref()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        EntryId {
            name,
            token_url: token_url.clone(),
            client_id: client_id.clone(),
            scope: scope.to_string(),
            secret: identity.secret.clone(),
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

    /// An entry of `value` (not a token) that stays fresh for `lifetime` from `now`.
    pub fn lasting(value: &str, now: SystemTime, lifetime: Duration) -> Entry {
        let lifetime_ms = u64::try_from(lifetime.as_millis()).unwrap_or(u64::MAX);
        Entry {
            token: Secret::new(value),
            expires_at_ms: millis(now).saturating_add(lifetime_ms),
            lifetime_ms,
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
            .map(|t| t.from_origin(TokenOrigin::SharedCache))
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
    pub fn to_json(&self, key: &EntryId) -> String {
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
    pub fn from_json(text: &[u8], key: &EntryId) -> Result<Entry, &'static str> {
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

/// The identity the fuzz target's entries belong to (`fuzz/seeds/cache_entry` holds entries
/// made with it).
fn fuzz_identity() -> CacheIdentity {
    CacheIdentity {
        token_url: "https://auth.example.com/oauth2/token".to_string(),
        client_id: "fuzz-client".to_string(),
        secret: Secret::new("fuzz-secret"),
    }
}

/// For fuzzing: reads `text` as an entry of a fixed identity (scope `s`); whether what reads
/// writes back to an equal entry (true too when `text` is refused).
pub fn entry_round_trips(text: &[u8]) -> bool {
    let key = EntryId::new(&fuzz_identity(), "s");
    match Entry::from_json(text, &key) {
        Ok(entry) => Entry::from_json(entry.to_json(&key).as_bytes(), &key).as_ref() == Ok(&entry),
        Err(_) => true,
    }
}

/// For fuzzing: an entry of the fuzz identity, as `to_json` writes it (a seed).
pub fn entry_example(token: &str, expires_at_ms: u64, lifetime_ms: u64) -> String {
    let entry = Entry {
        token: Secret::new(token),
        expires_at_ms,
        lifetime_ms,
    };
    entry.to_json(&EntryId::new(&fuzz_identity(), "s"))
}

/// Milliseconds since the Unix epoch.
pub fn millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    /// The fuzz target's seed is an entry that reads (so the fuzzer starts past the MAC check)
    /// and writes back the same.
    #[test]
    fn the_fuzz_seed_is_a_valid_entry() {
        let seed = include_bytes!("../../fuzz/seeds/cache_entry/valid.json");
        let key = EntryId::new(&fuzz_identity(), "s");
        assert!(Entry::from_json(seed, &key).is_ok());
        assert!(entry_round_trips(seed));
        assert_eq!(
            String::from_utf8_lossy(seed),
            entry_example("tok-1-0123456789abcdef", 1_767_225_600_000, 3_600_000)
        );
    }

    use super::*;
    use crate::clock::{Clock, SystemClock};

    fn id(client_id: &str, scope: &str, secret: &str) -> EntryId {
        let identity = CacheIdentity {
            token_url: "https://a/oauth2/token".to_string(),
            client_id: client_id.to_string(),
            secret: Secret::new(secret),
        };
        EntryId::new(&identity, scope)
    }

    #[test]
    fn entries_round_trip_and_foreign_ones_are_refused() {
        let key = id("id", "s", "pw");
        assert_eq!(key.name.len(), 32);
        assert_ne!(key.name, id("id", "t", "pw").name);
        let entry = Entry {
            token: Secret::new("tok"),
            expires_at_ms: 5_000_000,
            lifetime_ms: 3_600_000,
        };
        let text = entry.to_json(&key);
        assert_eq!(Entry::from_json(text.as_bytes(), &key), Ok(entry));
        let other = id("other", "s", "pw");
        assert_eq!(
            Entry::from_json(text.as_bytes(), &other),
            Err("of other credentials")
        );
        assert_eq!(Entry::from_json(b"{garbage", &key), Err("not JSON"));
        // The same key with another secret: the name is the same, the entry is not its own.
        let wrong = id("id", "s", "wrong");
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
        let now = SystemClock.moment();
        let token = entry.to_token(now, Duration::from_secs(300)).unwrap();
        assert!(token.lifetime() <= crate::token::MAX_LIFETIME);
        assert!(entry.fresh_for(Duration::MAX, now.wall) > Duration::ZERO);
    }
}
