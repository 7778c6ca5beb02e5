//! The shared token cache across hosts, in Redis: the entry under `lucidauth:token:<name>` with a
//! TTL of the token's fresh time, a `SET NX PX` lock whose lease runs out if its holder dies, and a
//! compare-and-delete script for the 401 rule.

use crate::error::Result;
use crate::log;
use crate::shared_cache::{store_error, Entry, Held, Key, Store};
use std::sync::Mutex;
use std::time::{Duration, Instant};

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
    pub fn new(url: &str, lease: Duration) -> Result<RedisStore> {
        let client =
            redis::Client::open(url).map_err(|e| store_error(format!("cache_url: {e}")))?;
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

fn entry_key(key: &Key) -> String {
    format!("lucidauth:token:{}", key.name)
}

impl Store for RedisStore {
    fn load(&self, key: &Key) -> Result<Option<Entry>> {
        let name = entry_key(key);
        let Some(bytes) = self.run(|c| redis::cmd("GET").arg(&name).query::<Option<Vec<u8>>>(c))?
        else {
            return Ok(None);
        };
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

    fn save(&self, key: &Key, entry: &Entry, fresh_for: Duration) -> Result<()> {
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

    fn lock<'a>(&'a self, key: &Key, wait: Duration) -> Result<Option<Box<dyn Held + 'a>>> {
        let lock_key = format!("lucidauth:lock:{}", key.name);
        let owner = format!(
            "{}-{:?}-{}",
            std::process::id(),
            std::thread::current().id(),
            crate::shared_cache::millis(std::time::SystemTime::now())
        );
        let lease = u64::try_from(self.lease.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let until = Instant::now() + wait;
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
            if Instant::now() >= until {
                return Ok(None);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn remove_if(&self, key: &Key, token: &str) -> Result<()> {
        let script = redis::Script::new(REMOVE_IF);
        let name = entry_key(key);
        self.run(|c| script.key(&name).arg(token).invoke::<i64>(c))
            .map(|_| ())
    }
}
