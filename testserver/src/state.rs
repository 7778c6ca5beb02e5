//! Everything a running server remembers, shared by its connection threads.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::config::ServerConfig;
use crate::record::{Outcome, RecordedRequest, RequestKind};
use crate::script::Scripted;
use crate::signer::{random_b64url, TokenSigner};
use crate::token::TokenStore;
use crate::tunnel::TlsPeers;

/// The shared state of one server. Each piece has its own lock, and no code holds two at once.
pub(crate) struct State {
    /// The settings the server was started with (the token lifetime lives in `lifetime_secs`).
    pub(crate) config: ServerConfig,
    /// `http[s]://127.0.0.1:PORT`, for building absolute URLs such as redirect targets.
    pub(crate) base_url: String,
    /// With TLS, which inner connection belongs to which client.
    tls_peers: Option<Arc<TlsPeers>>,
    lifetime_secs: AtomicU64,
    token_delay_ms: AtomicU64,
    /// Seconds added to the system clock for every time check and time claim.
    clock_offset_secs: AtomicI64,
    verbose: AtomicBool,
    /// The recorded requests with their sequence numbers, which outlive a reset.
    requests: Mutex<Vec<(u64, RecordedRequest)>>,
    next_seq: AtomicU64,
    /// The client addresses (ip:port) that sent a token or API request: one per TCP connection.
    peers: Mutex<HashSet<SocketAddr>>,
    token_script: Mutex<VecDeque<Scripted>>,
    api_script: Mutex<VecDeque<Scripted>>,
    metadata_script: Mutex<VecDeque<Scripted>>,
    pub(crate) tokens: Mutex<TokenStore>,
    pub(crate) signer: TokenSigner,
    /// The `jti` of every client assertion accepted so far.
    pub(crate) assertion_jtis: Mutex<HashSet<String>>,
    /// The `jti` of every DPoP proof accepted so far.
    pub(crate) dpop_jtis: Mutex<HashSet<String>>,
    /// The nonce DPoP proofs must carry; `None` while no nonce is demanded.
    dpop_nonce: Mutex<Option<String>>,
}

/// Locks `mutex`, carrying on when another thread panicked while holding it: the data is simple
/// enough to stay usable, and a test server must keep answering.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl State {
    pub(crate) fn new(
        config: ServerConfig,
        base_url: String,
        tls_peers: Option<Arc<TlsPeers>>,
    ) -> io::Result<State> {
        let dpop_nonce = match config.dpop_nonce {
            true => Some(random_b64url(16).map_err(io::Error::other)?),
            false => None,
        };
        Ok(State {
            lifetime_secs: AtomicU64::new(config.token_lifetime_secs),
            token_delay_ms: AtomicU64::new(0),
            clock_offset_secs: AtomicI64::new(0),
            config,
            base_url,
            tls_peers,
            verbose: AtomicBool::new(false),
            requests: Mutex::new(Vec::new()),
            next_seq: AtomicU64::new(0),
            peers: Mutex::new(HashSet::new()),
            token_script: Mutex::new(VecDeque::new()),
            api_script: Mutex::new(VecDeque::new()),
            metadata_script: Mutex::new(VecDeque::new()),
            tokens: Mutex::new(TokenStore::default()),
            signer: TokenSigner::new().map_err(io::Error::other)?,
            assertion_jtis: Mutex::new(HashSet::new()),
            dpop_jtis: Mutex::new(HashSet::new()),
            dpop_nonce: Mutex::new(dpop_nonce),
        })
    }

    /// The client address behind a connection from `inner`: itself over plain HTTP; with TLS,
    /// the client whose tunnel opened it, or `Err` when it did not come through the TLS front.
    pub(crate) fn client_peer(&self, inner: SocketAddr) -> Result<SocketAddr, ()> {
        match &self.tls_peers {
            None => Ok(inner),
            Some(peers) => peers.client_of(inner).ok_or(()),
        }
    }

    /// The issuer: the origin plus the metadata's issuer path (the origin alone without metadata).
    pub(crate) fn issuer(&self) -> String {
        let path = self
            .config
            .metadata
            .as_ref()
            .map(|m| m.issuer_path.as_str());
        format!("{}{}", self.base_url, path.unwrap_or(""))
    }

    /// The URL `request` was sent to, without the query: this server's scheme, the `Host`
    /// header's authority (this server's own when there is none), and the path as received.
    pub(crate) fn url_of(&self, request: &RecordedRequest) -> String {
        let (scheme, own) = self
            .base_url
            .split_once("://")
            .unwrap_or(("http", &self.base_url));
        let host = request
            .header("host")
            .map(str::trim)
            .filter(|host| !host.is_empty())
            .unwrap_or(own);
        format!("{scheme}://{host}{}", request.path)
    }

    /// The server's clock in Unix seconds, moved by the clock offset.
    pub(crate) fn now(&self) -> i64 {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        i64::try_from(secs)
            .unwrap_or(i64::MAX)
            .saturating_add(self.clock_offset_secs.load(Ordering::SeqCst))
    }

    pub(crate) fn set_clock_offset(&self, secs: i64) {
        self.clock_offset_secs.store(secs, Ordering::SeqCst);
    }

    /// The nonce DPoP proofs must carry, if one is demanded.
    pub(crate) fn dpop_nonce(&self) -> Option<String> {
        lock(&self.dpop_nonce).clone()
    }

    /// Demands `nonce` in DPoP proofs from now on; the earlier one stops working.
    pub(crate) fn set_dpop_nonce(&self, nonce: String) {
        *lock(&self.dpop_nonce) = Some(nonce);
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

    /// Remembers a request, and returns its sequence number for [`State::set_outcome`]; the
    /// counts are derived from these records.
    pub(crate) fn record(&self, request: RecordedRequest) -> u64 {
        let seq = self.next_seq.fetch_add(1, Ordering::SeqCst);
        lock(&self.requests).push((seq, request));
        seq
    }

    /// Notes how request `seq` was answered (unless a reset forgot it meanwhile).
    pub(crate) fn set_outcome(&self, seq: u64, outcome: Outcome) {
        let mut requests = lock(&self.requests);
        if let Some((_, request)) = requests.iter_mut().rev().find(|(s, _)| *s == seq) {
            request.outcome = Some(outcome);
        }
    }

    /// How many recorded requests were refused, by reason.
    pub(crate) fn rejections(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for (_, request) in lock(&self.requests).iter() {
            if let Some(reason) = request.outcome.as_ref().and_then(|o| o.reason.as_ref()) {
                *counts.entry(reason.clone()).or_insert(0) += 1;
            }
        }
        counts
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
        lock(&self.requests)
            .iter()
            .map(|(_, request)| request.clone())
            .collect()
    }

    /// How many recorded requests reached `kind`.
    pub(crate) fn count(&self, kind: RequestKind) -> usize {
        lock(&self.requests)
            .iter()
            .filter(|(_, r)| r.kind == kind)
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
            RequestKind::Metadata => &self.metadata_script,
        }
    }

    /// Queues a response for the next request of `kind`.
    pub(crate) fn push_script(&self, kind: RequestKind, response: Scripted) {
        lock(self.script(kind)).push_back(response);
    }

    /// Drops every queued response of every kind and says how many there were.
    pub(crate) fn clear_scripts(&self) -> usize {
        [RequestKind::Token, RequestKind::Api, RequestKind::Metadata]
            .into_iter()
            .map(|kind| {
                let mut queue = lock(self.script(kind));
                let n = queue.len();
                queue.clear();
                n
            })
            .sum()
    }

    /// Takes the oldest queued response for `kind`, if any.
    pub(crate) fn pop_script(&self, kind: RequestKind) -> Option<Scripted> {
        lock(self.script(kind)).pop_front()
    }
}
