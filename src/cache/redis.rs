//! The shared token cache across hosts, in Redis: the entry under `lucidauth:token:<name>` with a
//! TTL of the token's fresh time, a `SET NX PX` lock whose lease runs out if its holder dies, and a
//! compare-and-delete script for the 401 rule.
//!
//! The client is our own, for the five commands sent (`GETRANGE`, `SET ... PX`, `SET ... NX PX`,
//! `EVAL`, and `AUTH`/`SELECT` from the URL): the `redis` crate's reply parser allocated whatever
//! length a server declared (a `$2000000000` aborted the process) and its timeouts restarted on
//! every byte. Here each command, connecting included, ends by one deadline, and each reply is
//! read with a byte budget (`resp`). Plain TCP or TLS (rustls, as HTTPS); no Sentinel, no Cluster.

use super::entry::{Entry, EntryId, MAX_ENTRY};
use super::resp::{encode, read_reply, Reply, MAX_LINE};
use super::shared::{store_error, Held, Store};
use crate::clock::Deadline;
use crate::error::Result;
use crate::http::{root_certificates, CachingResolver, TimedTcp};
use crate::log;
use crate::secret::Secret;
use rustls::pki_types::{CertificateDer, ServerName};
use std::io::{BufRead, Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// How long one command may take, connecting (TCP, TLS, `AUTH`, `SELECT`) included.
const REDIS_TIMEOUT: Duration = Duration::from_secs(2);

/// Deletes KEYS[1] only if it holds ARGV[1] (the lock's owner id).
const RELEASE: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";
/// Deletes the entry KEYS[1] only if its access_token is ARGV[1].
const REMOVE_IF: &str = "local v = redis.call('GET', KEYS[1]) \
    if v and cjson.decode(v).access_token == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

pub struct RedisStore {
    target: Target,
    /// One connection, made on first use and made again after a failure.
    connection: Mutex<Option<Connection>>,
    /// The host's addresses, looked up within the command's deadline as HTTPS's are.
    resolver: CachingResolver,
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

/// Where the server is and how to talk to it, from `cache_url`.
struct Target {
    host: String,
    port: u16,
    /// `rediss://`: the TLS settings (roots: the system's and `ca_file`'s).
    tls: Option<Arc<rustls::ClientConfig>>,
    user: Option<Secret>,
    password: Option<Secret>,
    db: Option<u64>,
}

impl RedisStore {
    /// A store at `url` (`redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS);
    /// connects on first use. Over TLS the server is verified against the system's roots plus
    /// those of `ca_file`, as HTTPS is. Messages never show the URL (it may hold a password).
    pub fn new(url: &str, lease: Duration, ca_file: Option<&Path>) -> Result<RedisStore> {
        let target = Target::parse(url, ca_file)?;
        Ok(RedisStore {
            target,
            connection: Mutex::new(None),
            resolver: CachingResolver::default(),
            lease,
        })
    }

    /// Runs one command, connecting first if needed, all by one deadline; a failure to talk
    /// drops the connection. A Redis error reply is a store error with the server's words.
    fn run(&self, args: &[&[u8]], budget: usize) -> Result<Reply> {
        let deadline = crate::clock::later(Instant::now(), REDIS_TIMEOUT);
        let mut slot = self.connection.lock().unwrap_or_else(|e| e.into_inner());
        let outcome = match slot.as_mut() {
            Some(connection) => connection.command(args, budget, deadline),
            None => Connection::open(&self.target, &self.resolver, deadline).and_then(
                |mut connection| {
                    let reply = connection.command(args, budget, deadline);
                    *slot = Some(connection);
                    reply
                },
            ),
        };
        match outcome {
            Ok(Reply::Error(said)) => Err(store_error(format!("Redis answered: {said}"))),
            Ok(reply) => Ok(reply),
            Err(why) => {
                *slot = None;
                Err(store_error(format!("Redis: {why}")))
            }
        }
    }
}

impl Target {
    fn parse(url: &str, ca_file: Option<&Path>) -> Result<Target> {
        let bad = |why: &str| store_error(format!("cache_url: {why}"));
        let (tls, rest) = match (url.strip_prefix("rediss://"), url.strip_prefix("redis://")) {
            (Some(rest), _) => (true, rest),
            (None, Some(rest)) => (false, rest),
            _ => return Err(bad("must start with redis:// or rediss://")),
        };
        if rest.contains(['?', '#']) {
            return Err(bad("a query or fragment is not supported"));
        }
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (userinfo, host_port) = match authority.rsplit_once('@') {
            Some((userinfo, host_port)) => (Some(userinfo), host_port),
            None => (None, authority),
        };
        let (host, port) = split_host_port(host_port).ok_or_else(|| bad("no valid host:port"))?;
        let (user, password) = userinfo.map_or(Ok((None, None)), split_userinfo)?;
        let db = match path {
            "" => None,
            digits => Some(
                digits
                    .parse()
                    .map_err(|_| bad("the database must be a number"))?,
            ),
        };
        let tls = if tls {
            Some(tls_config(ca_file)?)
        } else {
            None
        };
        Ok(Target {
            host,
            port,
            tls,
            user,
            password,
            db,
        })
    }
}

/// `host[:port]` or `[v6][:port]`; 6379 when no port is given.
fn split_host_port(text: &str) -> Option<(String, u16)> {
    let (host, port) = match text.strip_prefix('[') {
        Some(v6) => {
            let (host, after) = v6.split_once(']')?;
            (host, after.strip_prefix(':'))
        }
        None => match text.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        },
    };
    let port = match port {
        Some(p) => p.parse().ok()?,
        None => 6379,
    };
    (!host.is_empty()).then(|| (host.to_string(), port))
}

/// `user:password`, `:password` or `user`, percent-decoded.
fn split_userinfo(userinfo: &str) -> Result<(Option<Secret>, Option<Secret>)> {
    let (user, password) = match userinfo.split_once(':') {
        Some((user, password)) => (user, Some(password)),
        None => (userinfo, None),
    };
    let decoded = |part: &str| -> Result<Option<Secret>> {
        if part.is_empty() {
            return Ok(None);
        }
        percent_decode(part)
            .map(|text| Some(Secret::new(text)))
            .ok_or_else(|| {
                store_error("cache_url: the user name or password is not valid percent-encoding")
            })
    };
    Ok((decoded(user)?, password.map(decoded).transpose()?.flatten()))
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Zeroizing::new(Vec::with_capacity(bytes.len()));
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out.to_vec()).ok()
}

/// rustls with ring (as HTTPS), trusting the system's roots and `ca_file`'s.
fn tls_config(ca_file: Option<&Path>) -> Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    let ders = root_certificates(ca_file).map_err(|e| store_error(e.message()))?;
    roots.add_parsable_certificates(ders.into_iter().map(CertificateDer::from));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| store_error(format!("cache_url: TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The socket under a connection: plain, or TLS over it.
enum Stream {
    Plain(TimedTcp),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TimedTcp>>),
}

impl Stream {
    fn tcp(&mut self) -> &mut TimedTcp {
        match self {
            Stream::Plain(tcp) => tcp,
            Stream::Tls(tls) => &mut tls.sock,
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(tcp) => tcp.read(buf),
            Stream::Tls(tls) => tls.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(tcp) => tcp.write(buf),
            Stream::Tls(tls) => tls.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Plain(tcp) => tcp.flush(),
            Stream::Tls(tls) => tls.flush(),
        }
    }
}

/// A buffered reader (as `std::io::BufReader`) whose buffer is wiped when dropped: the replies
/// it held carry tokens.
struct WipedReader<R> {
    inner: R,
    buf: Zeroizing<Vec<u8>>,
    /// The unread bytes are `buf[pos..filled]`.
    pos: usize,
    filled: usize,
}

impl<R: Read> WipedReader<R> {
    fn new(inner: R) -> Self {
        WipedReader {
            inner,
            buf: Zeroizing::new(vec![0; 8 * 1024]),
            pos: 0,
            filled: 0,
        }
    }

    fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }
}

impl<R: Read> Read for WipedReader<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for WipedReader<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.pos >= self.filled {
            self.filled = self.inner.read(&mut self.buf)?.min(self.buf.len());
            self.pos = 0;
        }
        Ok(&self.buf[self.pos..self.filled])
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.filled);
    }
}

/// One connection to the server, authenticated and on its database.
struct Connection {
    io: WipedReader<Stream>,
}

impl Connection {
    /// Resolves and connects (TCP, TLS), then `AUTH` and `SELECT` as the URL says, all by
    /// `deadline`.
    fn open(
        target: &Target,
        resolver: &CachingResolver,
        deadline: Instant,
    ) -> std::result::Result<Connection, String> {
        let addrs = resolver
            .resolve(&target.host, target.port, deadline)
            .map_err(|e| format!("cannot resolve the host: {e}"))?;
        let tcp =
            TimedTcp::connect(&addrs, deadline).map_err(|e| format!("cannot connect: {e}"))?;
        let stream = match &target.tls {
            None => Stream::Plain(tcp),
            Some(config) => {
                let name = ServerName::try_from(target.host.clone())
                    .map_err(|_| "the host is not a valid TLS server name".to_string())?;
                let tls = rustls::ClientConnection::new(config.clone(), name)
                    .map_err(|e| format!("TLS: {e}"))?;
                Stream::Tls(Box::new(rustls::StreamOwned::new(tls, tcp)))
            }
        };
        let mut connection = Connection {
            io: WipedReader::new(stream),
        };
        connection.hello(target, deadline)?;
        Ok(connection)
    }

    /// `AUTH` and `SELECT`, each answered `+OK`.
    fn hello(&mut self, target: &Target, deadline: Instant) -> std::result::Result<(), String> {
        let user = target.user.as_ref().map(|s| s.expose().as_bytes());
        let password = target.password.as_ref().map(|s| s.expose().as_bytes());
        let auth: Option<Vec<&[u8]>> = match (user, password) {
            (Some(user), Some(password)) => Some(vec![b"AUTH", user, password]),
            (None, Some(password)) => Some(vec![b"AUTH", password]),
            _ => None,
        };
        let db = target.db.map(|n| n.to_string());
        let select: Option<Vec<&[u8]>> = db.as_ref().map(|n| vec![&b"SELECT"[..], n.as_bytes()]);
        for (what, args) in [("AUTH", auth), ("SELECT", select)] {
            let Some(args) = args else { continue };
            match self.command(&args, MAX_LINE, deadline)? {
                Reply::Status(_) => {}
                Reply::Error(said) => return Err(format!("{what} refused: {said}")),
                _ => return Err(format!("{what}: an unexpected reply")),
            }
        }
        Ok(())
    }

    /// Sends `args` and reads the reply (a bulk one of at most `budget` bytes), by `deadline`.
    fn command(
        &mut self,
        args: &[&[u8]],
        budget: usize,
        deadline: Instant,
    ) -> std::result::Result<Reply, String> {
        self.io.get_mut().tcp().set_deadline(deadline);
        // The command may hold a token or a password: wiped once sent.
        let bytes = Zeroizing::new(encode(args));
        let stream = self.io.get_mut();
        stream
            .write_all(&bytes)
            .and_then(|()| stream.flush())
            .map_err(|e| e.to_string())?;
        read_reply(&mut self.io, budget)
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
        let args: [&[u8]; 5] = [
            b"EVAL",
            RELEASE.as_bytes(),
            b"1",
            self.key.as_bytes(),
            self.owner.as_bytes(),
        ];
        if let Err(e) = self.store.run(&args, MAX_LINE) {
            log::warn(&format!(
                "shared token cache: cannot release the Redis lock: {}",
                e.message()
            ));
        }
    }
}

fn entry_key(key: &EntryId) -> String {
    format!("lucidauth:token:{}", key.name)
}

/// `+OK`, or what else came.
fn expect_ok(reply: Reply, what: &str) -> Result<()> {
    match reply {
        Reply::Status(_) => Ok(()),
        _ => Err(store_error(format!("Redis: {what}: an unexpected reply"))),
    }
}

impl Store for RedisStore {
    fn load(&self, key: &EntryId) -> Result<Option<Entry>> {
        let name = entry_key(key);
        // At most one byte past the cap is read: a huge value is never pulled into memory.
        let last = MAX_ENTRY.to_string();
        let budget = usize::try_from(MAX_ENTRY + 1).unwrap_or(usize::MAX);
        let args: [&[u8]; 4] = [b"GETRANGE", name.as_bytes(), b"0", last.as_bytes()];
        let bytes = match self.run(&args, budget)? {
            Reply::Bulk(bytes) => Zeroizing::new(bytes.unwrap_or_default()),
            _ => return Err(store_error("Redis: GETRANGE: an unexpected reply")),
        };
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
        let (name, value) = (entry_key(key), Zeroizing::new(entry.to_json(key)));
        let ttl = ttl.to_string();
        let args: [&[u8]; 5] = [
            b"SET",
            name.as_bytes(),
            value.as_bytes(),
            b"PX",
            ttl.as_bytes(),
        ];
        expect_ok(self.run(&args, MAX_LINE)?, "SET")
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
        let lease = lease.to_string();
        let args: [&[u8]; 6] = [
            b"SET",
            lock_key.as_bytes(),
            owner.as_bytes(),
            b"NX",
            b"PX",
            lease.as_bytes(),
        ];
        let until = Deadline::after(wait);
        loop {
            match self.run(&args, MAX_LINE)? {
                Reply::Status(_) => {
                    let (store, key) = (self, lock_key);
                    return Ok(Some(Box::new(RedisLock { store, key, owner })));
                }
                Reply::Bulk(None) => {}
                _ => return Err(store_error("Redis: SET NX: an unexpected reply")),
            }
            let left = until.left();
            if left.is_zero() {
                return Ok(None);
            }
            std::thread::sleep(left.min(Duration::from_millis(10)));
        }
    }

    fn remove_if(&self, key: &EntryId, token: &str, _wait: Duration) -> Result<()> {
        let name = entry_key(key);
        let args: [&[u8]; 5] = [
            b"EVAL",
            REMOVE_IF.as_bytes(),
            b"1",
            name.as_bytes(),
            token.as_bytes(),
        ];
        self.run(&args, MAX_LINE).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out its bytes a few at a time, as a socket may.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(out.len()).min(3);
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn replies_read_through_the_wiped_buffer_whole() {
        let mut io = WipedReader::new(Trickle(b"+OK\r\n$5\r\nhello\r\n$-1\r\n:42\r\n"));
        assert!(matches!(read_reply(&mut io, 16), Ok(Reply::Status(s)) if s == "OK"));
        assert!(matches!(read_reply(&mut io, 16), Ok(Reply::Bulk(Some(b))) if b == b"hello"));
        assert!(matches!(read_reply(&mut io, 16), Ok(Reply::Bulk(None))));
        assert!(matches!(read_reply(&mut io, 16), Ok(Reply::Integer(42))));
        assert!(read_reply(&mut io, 16).is_err(), "the end of the stream");
    }

    #[test]
    fn urls() {
        let t = Target::parse("redis://u%40x:p%3Aw@cache.local:6380/3", None).unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.db),
            ("cache.local", 6380, Some(3))
        );
        assert_eq!(t.user.unwrap().expose(), "u@x");
        assert_eq!(t.password.unwrap().expose(), "p:w");
        let t = Target::parse("redis://:pw@[::1]", None).unwrap();
        assert_eq!((t.host.as_str(), t.port, t.db), ("::1", 6379, None));
        assert!(t.user.is_none() && t.password.is_some() && t.tls.is_none());
        for bad in [
            "http://x",
            "redis://",
            "redis://h:port",
            "redis://h/db",
            "redis://h?x=1",
            "redis://%zz:p@h",
        ] {
            let e = Target::parse(bad, None).err().unwrap();
            assert!(!e.message().contains("zz"), "{bad}: {}", e.message());
        }
    }
}
