//! Name resolution for the transport: IP literals answered at once, a host's addresses reused
//! for a minute, a lookup never waited for past the exchange's deadline.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

/// How long a host name's addresses are reused, as libcurl's DNS cache does by default.
const DNS_CACHE_TIME: Duration = Duration::from_secs(60);

type Addrs = Vec<SocketAddr>;

/// Answers IP literals at once and reuses a host's addresses for `DNS_CACHE_TIME`; a lookup
/// runs on a thread of its own so that the exchange's deadline bounds the wait.
#[derive(Debug, Default)]
pub struct CachingResolver {
    cache: Mutex<HashMap<String, (Instant, Addrs)>>,
}

impl CachingResolver {
    /// The addresses of `host` (an IPv6 literal may be in brackets) at `port`.
    pub fn resolve(&self, host: &str, port: u16, deadline: Instant) -> io::Result<Addrs> {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, port)]);
        }
        let key = format!("{host}:{port}");
        if let Some((at, addrs)) = self.lock().get(&key) {
            if at.elapsed() < DNS_CACHE_TIME {
                return Ok(addrs.clone());
            }
        }
        let addrs = look_up(key.clone(), deadline)?;
        self.lock().insert(key, (Instant::now(), addrs.clone()));
        Ok(addrs)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Addrs)>> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The system's lookup of `host:port`, waited for until `deadline`.
fn look_up(host_port: String, deadline: Instant) -> io::Result<Addrs> {
    let (send, receive) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("lucidauth-dns".to_string())
        .spawn(move || {
            let found = host_port.to_socket_addrs().map(Iterator::collect);
            let _ = send.send(found);
        })?;
    let left = deadline.saturating_duration_since(Instant::now());
    let found: io::Result<Addrs> = receive.recv_timeout(left).map_err(|_| {
        io::Error::new(
            io::ErrorKind::TimedOut,
            "the exchange's deadline passed while resolving the host name",
        )
    })?;
    match found {
        Ok(addrs) if addrs.is_empty() => Err(io::Error::new(
            io::ErrorKind::NotFound,
            "the host name has no address",
        )),
        other => other,
    }
}
