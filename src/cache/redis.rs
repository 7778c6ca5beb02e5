//! The shared token cache across hosts, in Redis: the entry under `lucidauth:token:<name>` with a
//! TTL of the token's fresh time, a `SET NX PX` lock whose lease runs out if its holder dies, and a
//! compare-and-delete script for the 401 rule.

use super::entry::{Entry, EntryId, MAX_ENTRY};
use super::shared::{store_error, Held, Store};
use crate::clock::Deadline;
use crate::error::Result;
use crate::log;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

/// How long Redis may take to connect or to answer one command.
const REDIS_TIMEOUT: Duration = Duration::from_secs(2);

/// Deletes KEYS[1] only if it holds ARGV[1] (the lock's owner id).
const RELEASE: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";
/// Deletes the entry KEYS[1] only if its access_token is ARGV[1].
const REMOVE_IF: &str = "local v = redis.call('GET', KEYS[1]) \
    if v and cjson.decode(v).access_token == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

pub struct RedisStore {
    client: redis::Client,
    /// One connection, made on first use and made again after a failure.
    connection: Mutex<Option<redis::Connection>>,
    /// A fetch lock expires after this, so that a holder that died cannot block the others.
    lease: Duration,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("lease", &self.lease)
            .finish_non_exhaustive()
    }
}

struct RedisLock<'a> {
    store: &'a RedisStore,
    key: String,
    owner: String,
}

impl Held for RedisLock<'_> {}

impl Drop for RedisLock<'_> {
    fn drop(&mut self) {
        let release = redis::Script::new(RELEASE);
        let result = self
            .store
            .run(|c| release.key(&self.key).arg(&self.owner).invoke::<i64>(c));
        if let Err(e) = result {
            log::warn(&format!(
                "shared token cache: cannot release the Redis lock: {}",
                e.message()
            ));
        }
    }
}

impl RedisStore {
    /// A store at `url` (`redis://host:port/db` or `rediss://` for TLS); connects on first use.
    /// Over TLS the server is verified against the system's roots plus those of `ca_file`, as
    /// HTTPS is.
    pub fn new(url: &str, lease: Duration, ca_file: Option<&Path>) -> Result<RedisStore> {
        let client = match ca_file {
            Some(ca_file) if url.starts_with("rediss://") => {
                let mut roots = crate::http::system_roots_pem();
                let extra = std::fs::read(ca_file).map_err(|e| {
                    store_error(format!("ca_file {}: cannot read: {e}", ca_file.display()))
                })?;
                roots.extend_from_slice(&extra);
                redis::Client::build_with_tls(
                    url,
                    redis::TlsCertificates {
                        client_tls: None,
                        root_cert: Some(roots),
                    },
                )
            }
            _ => redis::Client::open(url),
        }
        .map_err(|e| store_error(format!("cache_url: {e}")))?;
        Ok(RedisStore {
            client,
            connection: Mutex::new(None),
            lease,
        })
    }

    /// Runs one command on the connection, connecting first if needed; a failure drops it.
    fn run<T>(
        &self,
        command: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T> {
        let mut slot = self.connection.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            let connection = self
                .client
                .get_connection_with_timeout(REDIS_TIMEOUT)
                .map_err(|e| store_error(format!("Redis: {e}")))?;
            connection
                .set_read_timeout(Some(REDIS_TIMEOUT))
                .map_err(|e| store_error(format!("Redis: {e}")))?;
            connection
                .set_write_timeout(Some(REDIS_TIMEOUT))
                .map_err(|e| store_error(format!("Redis: {e}")))?;
            *slot = Some(connection);
        }
        let Some(connection) = slot.as_mut() else {
            return Err(store_error("Redis: no connection"));
        };
        command(connection).map_err(|e| {
            *slot = None;
            store_error(format!("Redis: {e}"))
        })
    }
}

fn entry_key(key: &EntryId) -> String {
    format!("lucidauth:token:{}", key.name)
}

impl Store for RedisStore {
    fn load(&self, key: &EntryId) -> Result<Option<Entry>> {
        let name = entry_key(key);
        // At most one byte past the cap is read: a huge value is never pulled into memory.
        let bytes = zeroize::Zeroizing::new(self.run(|c| {
            redis::cmd("GETRANGE")
                .arg(&name)
                .arg(0)
                .arg(MAX_ENTRY)
                .query::<Vec<u8>>(c)
        })?);
        if bytes.is_empty() {
            return Ok(None);
        }
        if bytes.len() as u64 > MAX_ENTRY {
            log::warn(&format!(
                "shared token cache: Redis entry {name} is larger than {MAX_ENTRY} bytes; it will be replaced"
            ));
            return Ok(None);
        }
        match Entry::from_json(&bytes, key) {
            Ok(entry) => Ok(Some(entry)),
            Err(why) => {
                log::warn(&format!(
                    "shared token cache: Redis entry {name} is {why}; it will be replaced"
                ));
                Ok(None)
            }
        }
    }

    fn save(&self, key: &EntryId, entry: &Entry, fresh_for: Duration) -> Result<()> {
        let ttl = u64::try_from(fresh_for.as_millis()).unwrap_or(u64::MAX);
        if ttl == 0 {
            return Ok(());
        }
        let (name, value) = (entry_key(key), entry.to_json(key));
        self.run(|c| {
            redis::cmd("SET")
                .arg(&name)
                .arg(&value)
                .arg("PX")
                .arg(ttl)
                .query::<()>(c)
        })
    }

    fn lock<'a>(&'a self, key: &EntryId, wait: Duration) -> Result<Option<Box<dyn Held + 'a>>> {
        let lock_key = format!("lucidauth:lock:{}", key.name);
        let owner = format!(
            "{}-{:?}-{}",
            std::process::id(),
            std::thread::current().id(),
            super::entry::millis(std::time::SystemTime::now())
        );
        let lease = u64::try_from(self.lease.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let until = Deadline::after(wait);
        loop {
            let taken = self.run(|c| {
                redis::cmd("SET")
                    .arg(&lock_key)
                    .arg(&owner)
                    .arg("NX")
                    .arg("PX")
                    .arg(lease)
                    .query::<Option<String>>(c)
            })?;
            if taken.is_some() {
                return Ok(Some(Box::new(RedisLock {
                    store: self,
                    key: lock_key,
                    owner,
                })));
            }
            let left = until.left();
            if left.is_zero() {
                return Ok(None);
            }
            std::thread::sleep(left.min(Duration::from_millis(10)));
        }
    }

    fn remove_if(&self, key: &EntryId, token: &str, _wait: Duration) -> Result<()> {
        let script = redis::Script::new(REMOVE_IF);
        let name = entry_key(key);
        self.run(|c| script.key(&name).arg(token).invoke::<i64>(c))
            .map(|_| ())
    }
}
