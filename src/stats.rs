//! What a client has done with its tokens, for operators: counters kept as calls happen, and a
//! snapshot of them (with each scope's token: where it came from, when it is renewed and when it
//! expires) taken on demand. Counting costs the cached read one uncontended atomic add.

use crate::error::ErrorKind;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Where a token came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenOrigin {
    /// Fetched from the token endpoint by this process.
    TokenEndpoint,
    /// Read from the shared cache (another process, or an earlier run, fetched it).
    SharedCache,
    /// Given in the credentials (`access_token`).
    PreIssued,
}

impl TokenOrigin {
    pub fn name(self) -> &'static str {
        match self {
            TokenOrigin::TokenEndpoint => "token endpoint",
            TokenOrigin::SharedCache => "shared cache",
            TokenOrigin::PreIssued => "pre-issued",
        }
    }
}

/// The counters of one client.
#[derive(Debug, Default)]
pub struct Counters {
    pub fetches_ok: AtomicU64,
    pub fetches_failed: AtomicU64,
    /// Reads answered from memory; striped so that threads do not share a cache line.
    memory_reads: [Padded; STRIPES],
    pub shared_cache_reads: AtomicU64,
    pub background_refreshes: AtomicU64,
    pub unauthorized_refetches: AtomicU64,
    pub retries: AtomicU64,
    pub last_fetch_latency_ms: AtomicU64,
    last_error: Mutex<Option<ErrorKind>>,
}

const STRIPES: usize = 16;

#[derive(Debug, Default)]
#[repr(align(128))]
struct Padded(AtomicU64);

impl Counters {
    /// Counts a read answered from memory, on a stripe picked by the calling thread's stack
    /// address (threads' stacks lie apart), so concurrent readers rarely write the same line.
    #[inline]
    pub fn memory_read(&self) {
        let marker = 0u8;
        let at = std::ptr::addr_of!(marker) as usize;
        let stripe = ((at >> 16).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 60) % STRIPES;
        self.memory_reads[stripe].0.fetch_add(1, Ordering::Relaxed);
    }

    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Remembers the kind of the last error a call returned.
    pub fn failed(&self, kind: ErrorKind) {
        *self.last_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(kind);
    }

    pub fn snapshot(&self, scopes: Vec<ScopeStats>, client_auth: &str) -> Stats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Stats {
            token_fetches: get(&self.fetches_ok),
            token_fetch_failures: get(&self.fetches_failed),
            memory_reads: self.memory_reads.iter().map(|p| get(&p.0)).sum(),
            shared_cache_reads: get(&self.shared_cache_reads),
            background_refreshes: get(&self.background_refreshes),
            unauthorized_refetches: get(&self.unauthorized_refetches),
            retries: get(&self.retries),
            last_fetch_latency: Duration::from_millis(get(&self.last_fetch_latency_ms)),
            last_error: *self.last_error.lock().unwrap_or_else(|e| e.into_inner()),
            scopes,
            client_auth: client_auth.to_string(),
        }
    }
}

/// A snapshot of a client's counters and tokens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stats {
    /// Token requests that got a token.
    pub token_fetches: u64,
    /// Token requests (after their retries) that did not.
    pub token_fetch_failures: u64,
    /// Token reads answered from memory without a fetch.
    pub memory_reads: u64,
    /// Tokens taken from the shared cache instead of the token endpoint.
    pub shared_cache_reads: u64,
    /// Tokens renewed in the background (refresh ahead).
    pub background_refreshes: u64,
    /// API calls answered 401 whose token was dropped and fetched again.
    pub unauthorized_refetches: u64,
    /// Attempts after the first, of token requests and API calls.
    pub retries: u64,
    /// How long the last successful token request took, retries included.
    pub last_fetch_latency: Duration,
    /// The kind of the last error a call on the client returned.
    pub last_error: Option<ErrorKind>,
    /// The scopes the client holds a token for.
    pub scopes: Vec<ScopeStats>,
    /// How the client authenticates to the token endpoint: `client_auth`'s method and, with a
    /// key, its type and RFC 7638 thumbprint (`private_key_jwt (EC P-256, thumbprint …)`);
    /// `none` with only a pre-issued token. Never a secret.
    pub client_auth: String,
}

/// The token of one scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeStats {
    pub scope: String,
    pub origin: TokenOrigin,
    /// Until the token enters its refresh window (zero once it has).
    pub refresh_in: Duration,
    /// Until it expires (zero once it has).
    pub expires_in: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_reads_from_many_threads_all_count() {
        let counters = Counters::default();
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..1000 {
                        counters.memory_read();
                    }
                });
            }
        });
        counters.failed(ErrorKind::Timeout);
        let stats = counters.snapshot(Vec::new(), "basic");
        assert_eq!(stats.memory_reads, 8000);
        assert_eq!(stats.last_error, Some(ErrorKind::Timeout));
    }
}
