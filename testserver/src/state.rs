//! Everything a running server remembers, shared by its worker threads.

use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use crate::config::ServerConfig;
use crate::record::{RecordedRequest, RequestKind};
use crate::script::Scripted;
use crate::token::TokenStore;

/// The shared state of one server. Each piece has its own lock, and no code holds two at once.
pub(crate) struct State {
    /// The settings the server was started with (the token lifetime lives in `lifetime_secs`).
    pub(crate) config: ServerConfig,
    /// `http://127.0.0.1:PORT`, for building absolute URLs such as redirect targets.
    pub(crate) base_url: String,
    lifetime_secs: AtomicU64,
    token_delay_ms: AtomicU64,
    verbose: AtomicBool,
    requests: Mutex<Vec<RecordedRequest>>,
    /// The client addresses (ip:port) that sent a token or API request: one per TCP connection.
    peers: Mutex<HashSet<SocketAddr>>,
    token_script: Mutex<VecDeque<Scripted>>,
    api_script: Mutex<VecDeque<Scripted>>,
    pub(crate) tokens: Mutex<TokenStore>,
}

/// Locks `mutex`, carrying on when another thread panicked while holding it: the data is simple
/// enough to stay usable, and a test server must keep answering.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl State {
    pub(crate) fn new(config: ServerConfig, base_url: String) -> State {
        State {
            lifetime_secs: AtomicU64::new(config.token_lifetime_secs),
            token_delay_ms: AtomicU64::new(0),
            config,
            base_url,
            verbose: AtomicBool::new(false),
            requests: Mutex::new(Vec::new()),
            peers: Mutex::new(HashSet::new()),
            token_script: Mutex::new(VecDeque::new()),
            api_script: Mutex::new(VecDeque::new()),
            tokens: Mutex::new(TokenStore::default()),
        }
    }

    /// The lifetime, in seconds, of tokens issued from now on.
    pub(crate) fn lifetime_secs(&self) -> u64 {
        self.lifetime_secs.load(Ordering::SeqCst)
    }

    pub(crate) fn set_lifetime_secs(&self, secs: u64) {
        self.lifetime_secs.store(secs, Ordering::SeqCst);
    }

    /// How long the token endpoint takes to answer, as a slow real one does.
    pub(crate) fn token_delay(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.token_delay_ms.load(Ordering::SeqCst))
    }

    pub(crate) fn set_token_delay(&self, delay: std::time::Duration) {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.token_delay_ms.store(ms, Ordering::SeqCst);
    }

    /// Whether to log one line per request to stderr.
    pub(crate) fn verbose(&self) -> bool {
        self.verbose.load(Ordering::SeqCst)
    }

    pub(crate) fn set_verbose(&self, on: bool) {
        self.verbose.store(on, Ordering::SeqCst);
    }

    /// Remembers a request; the counts are derived from these records.
    pub(crate) fn record(&self, request: RecordedRequest) {
        lock(&self.requests).push(request);
    }

    /// Remembers the client address a token or API request came from.
    pub(crate) fn record_peer(&self, peer: SocketAddr) {
        lock(&self.peers).insert(peer);
    }

    /// How many TCP connections carried token or API requests: the number of distinct client
    /// addresses (ip:port) seen. A client's ephemeral port is not reused while its connection, or
    /// the TIME_WAIT after it, lasts, so this is exact for the short runs it is used in.
    pub(crate) fn connections(&self) -> usize {
        lock(&self.peers).len()
    }

    /// Every recorded request, in arrival order.
    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.requests).clone()
    }

    /// How many recorded requests reached `kind`.
    pub(crate) fn count(&self, kind: RequestKind) -> usize {
        lock(&self.requests)
            .iter()
            .filter(|r| r.kind == kind)
            .count()
    }

    /// Forgets the recorded requests and client addresses, which sets the counts to zero.
    pub(crate) fn reset(&self) {
        lock(&self.requests).clear();
        lock(&self.peers).clear();
    }

    fn script(&self, kind: RequestKind) -> &Mutex<VecDeque<Scripted>> {
        match kind {
            RequestKind::Token => &self.token_script,
            RequestKind::Api => &self.api_script,
        }
    }

    /// Queues a response for the next request of `kind`.
    pub(crate) fn push_script(&self, kind: RequestKind, response: Scripted) {
        lock(self.script(kind)).push_back(response);
    }

    /// Takes the oldest queued response for `kind`, if any.
    pub(crate) fn pop_script(&self, kind: RequestKind) -> Option<Scripted> {
        lock(self.script(kind)).pop_front()
    }
}
