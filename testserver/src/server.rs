//! The HTTP side: a tiny_http listener on a free loopback port, a few worker threads, routing to
//! the token endpoint, the API and the admin endpoints, and writing the responses.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::config::ServerConfig;
use crate::record::{Outcome, RecordedRequest, RequestKind};
use crate::script::Scripted;
use crate::signer::random_b64url;
use crate::state::State;
use crate::tls::make_pki;
use crate::tunnel::{TlsFront, TlsPeers};
use crate::{admin, api, dpop, metadata, token};

/// How many requests are handled at once; enough for the concurrency tests of the library.
const WORKERS: usize = 8;

/// Request bodies longer than this are cut off; no test needs more.
const MAX_BODY: u64 = 16 * 1024 * 1024;

/// How long dropping the server waits for a worker still answering a request.
const WORKER_GRACE: Duration = Duration::from_secs(5);

/// A running server on `127.0.0.1` at a free port. Dropping it stops the worker threads and closes
/// the listening socket before `drop` returns (but for a worker stuck past [`WORKER_GRACE`],
/// which keeps the socket until it ends).
///
/// Every response carries `Connection: close`, so no client keeps a pooled connection that would
/// outlive the server and swallow requests after it stopped. With
/// [`ServerConfig::keep_alive`] connections stay open instead (for measuring connection reuse);
/// then stop the clients before the server.
pub struct TestServer {
    /// `Some` until `drop` takes it to close the listener.
    http: Option<Arc<tiny_http::Server>>,
    state: Arc<State>,
    stop: Arc<AtomicBool>,
    workers: Vec<JoinHandle<()>>,
    /// tiny_http's address: the public one, or the inner one behind `tls`.
    inner_addr: SocketAddr,
    /// With [`ServerConfig::tls`]: the public listener, which terminates TLS.
    tls: Option<TlsFront>,
    /// The CA certificate (PEM) with [`ServerConfig::tls`].
    ca_pem: Option<String>,
}

impl TestServer {
    /// Binds `127.0.0.1:0` and starts serving on several worker threads.
    ///
    /// Fails with [`io::ErrorKind::InvalidInput`] when the configuration cannot work (see
    /// [`ServerConfig::check`]).
    pub fn start(config: ServerConfig) -> io::Result<TestServer> {
        config
            .check()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let http = tiny_http::Server::http("127.0.0.1:0").map_err(io::Error::other)?;
        let inner_addr = http
            .server_addr()
            .to_ip()
            .ok_or_else(|| io::Error::other("the server is not listening on TCP"))?;
        let http = Arc::new(http);
        let (tls, ca_pem, state) = if config.tls {
            let pki = make_pki().map_err(io::Error::other)?;
            let listener = TcpListener::bind("127.0.0.1:0")?;
            let base_url = format!("https://{}", listener.local_addr()?);
            let peers = Arc::new(TlsPeers::default());
            let state = State::new(config, base_url, Some(Arc::clone(&peers)))?;
            let front = TlsFront::start(listener, pki.server_config, inner_addr, peers)?;
            (Some(front), Some(pki.ca_pem), state)
        } else {
            let state = State::new(config, format!("http://{inner_addr}"), None)?;
            (None, None, state)
        };
        // Built before the workers, so that its `drop` stops those already started if a later
        // spawn fails.
        let mut server = TestServer {
            http: Some(Arc::clone(&http)),
            state: Arc::new(state),
            stop: Arc::new(AtomicBool::new(false)),
            workers: Vec::with_capacity(WORKERS),
            inner_addr,
            tls,
            ca_pem,
        };
        for n in 0..WORKERS {
            let worker_http = Arc::clone(&http);
            let state = Arc::clone(&server.state);
            let stop = Arc::clone(&server.stop);
            let spawned = thread::Builder::new()
                .name(format!("lucid-testserver-{n}"))
                .spawn(move || serve(&worker_http, &state, &stop));
            match spawned {
                Ok(worker) => server.workers.push(worker),
                Err(e) => {
                    // Release this reference first, so dropping `server` closes the listener.
                    drop(http);
                    return Err(e);
                }
            }
        }
        Ok(server)
    }

    /// The port the server listens on (the TLS port with [`ServerConfig::tls`]).
    pub fn port(&self) -> u16 {
        match &self.tls {
            Some(front) => front.addr().port(),
            None => self.inner_addr.port(),
        }
    }

    /// `http://127.0.0.1:PORT`, or `https://127.0.0.1:PORT` with [`ServerConfig::tls`]; with no
    /// trailing slash.
    pub fn base_url(&self) -> String {
        self.state.base_url.clone()
    }

    /// With [`ServerConfig::tls`], the PEM of the CA that issued the server's certificate (for
    /// `127.0.0.1` and `localhost`): what a client trusts as its `ca_file`. `None` over HTTP.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// How many requests reached the token endpoint since the start or the last reset, including
    /// rejected ones and those answered by a scripted response.
    pub fn token_requests(&self) -> usize {
        self.state.count(RequestKind::Token)
    }

    /// How many API requests arrived since the start or the last reset.
    pub fn api_requests(&self) -> usize {
        self.state.count(RequestKind::Api)
    }

    /// How many TCP connections carried token or API requests since the start or the last reset
    /// (distinct client addresses). Meaningful with [`ServerConfig::keep_alive`]; without it each
    /// request has a connection of its own.
    pub fn connections(&self) -> usize {
        self.state.connections()
    }

    /// How many `/.well-known/` requests arrived since the start or the last reset, answered or
    /// not.
    pub fn metadata_requests(&self) -> usize {
        self.state.count(RequestKind::Metadata)
    }

    /// Every token, API and metadata request since the start or the last reset, in arrival order,
    /// each with its [`Outcome`](crate::Outcome) once answered.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests()
    }

    /// How many of the recorded requests were refused, by reason code (see
    /// [`Outcome::reason`](crate::Outcome::reason)); reasons never seen are absent.
    pub fn rejections(&self) -> BTreeMap<String, usize> {
        self.state.rejections()
    }

    /// The issuer: [`base_url`](Self::base_url) plus [`Metadata::issuer_path`](crate::Metadata)
    /// (the base URL alone without metadata). The metadata's `issuer` is this unless
    /// [`Metadata::served_issuer`](crate::Metadata) says otherwise.
    pub fn issuer(&self) -> String {
        self.state.issuer()
    }

    /// The `token_endpoint` the metadata names; `None` without metadata.
    pub fn metadata_token_endpoint(&self) -> Option<String> {
        let metadata = self.state.config.metadata.as_ref()?;
        Some(metadata::token_endpoint(&self.state, metadata))
    }

    /// The public key (a JWKS) that checks the JWT access tokens the server issues.
    pub fn token_jwks(&self) -> serde_json::Value {
        serde_json::json!({ "keys": [self.state.signer.public_jwk()] })
    }

    /// The nonce DPoP proofs must carry now; `None` while none is demanded.
    pub fn dpop_nonce(&self) -> Option<String> {
        self.state.dpop_nonce()
    }

    /// Demands a fresh random nonce in DPoP proofs from now on (also when none was demanded
    /// before); the previous nonce stops working at once. Returns the new nonce.
    pub fn rotate_dpop_nonce(&self) -> io::Result<String> {
        let nonce = random_b64url(16).map_err(io::Error::other)?;
        self.state.set_dpop_nonce(nonce.clone());
        Ok(nonce)
    }

    /// Demands `nonce` in DPoP proofs from now on. Fails with `InvalidInput` unless it is
    /// `1*NQCHAR` (RFC 9449 §8.1).
    pub fn set_dpop_nonce(&self, nonce: &str) -> io::Result<()> {
        if !dpop::valid_nonce(nonce) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a DPoP nonce is one or more visible ASCII characters other than \" and \\",
            ));
        }
        self.state.set_dpop_nonce(nonce.to_string());
        Ok(())
    }

    /// Moves the server's clock by `secs` (either way) for every time check (assertion `exp`,
    /// `iat`, `nbf`; DPoP `iat`) and the time claims of issued JWTs. Token lifetimes still run on
    /// the real clock.
    pub fn set_clock_offset(&self, secs: i64) {
        self.state.set_clock_offset(secs);
    }

    /// Queues a response for the token endpoint: the next token request gets it (first in, first
    /// out) instead of being handled normally.
    pub fn push_token_response(&self, response: Scripted) {
        self.state.push_script(RequestKind::Token, response);
    }

    /// Queues a response for the API, like [`push_token_response`](Self::push_token_response).
    pub fn push_api_response(&self, response: Scripted) {
        self.state.push_script(RequestKind::Api, response);
    }

    /// Queues a response for the next `/.well-known/` request, like
    /// [`push_token_response`](Self::push_token_response).
    pub fn push_metadata_response(&self, response: Scripted) {
        self.state.push_script(RequestKind::Metadata, response);
    }

    /// Drops the queued responses no request has taken yet (of every kind) and returns how many
    /// there were: the server answers normally from now on.
    pub fn clear_scripted_responses(&self) -> usize {
        self.state.clear_scripts()
    }

    /// Sets the lifetime (and `expires_in`) of tokens issued from now on.
    pub fn set_token_lifetime(&self, secs: u64) {
        self.state.set_lifetime_secs(secs);
    }

    /// Makes the token endpoint wait `delay` before each answer (API requests are not delayed).
    pub fn set_token_delay(&self, delay: Duration) {
        self.state.set_token_delay(delay);
    }

    /// Makes every token issued so far invalid: the API answers 401 to them.
    pub fn revoke_all(&self) {
        crate::state::lock(&self.state.tokens).revoke_all();
    }

    /// Sets both counts to zero and forgets the recorded requests.
    pub fn reset_counts(&self) {
        self.state.reset();
    }

    /// Turns on or off logging one line per request (`METHOD target -> status`) to stderr.
    pub fn set_verbose(&self, on: bool) {
        self.state.set_verbose(on);
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(http) = &self.http {
            // Each unblock wakes one worker waiting in `recv`; the others see `stop` when their
            // current request is done.
            for _ in 0..self.workers.len() {
                http.unblock();
            }
        }
        // A worker writing to a client that has gone is woken by the connection's reset; under
        // Wine that wake-up is sometimes lost and the write blocks for good. Such a worker is
        // left behind after a grace period rather than hanging whoever dropped the server.
        let deadline = Instant::now() + WORKER_GRACE;
        for worker in self.workers.drain(..) {
            while !worker.is_finished() && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(1));
            }
            if worker.is_finished() {
                let _ = worker.join();
            }
        }
        // The workers held the other references, so this drops the tiny_http server (unless a
        // worker was left behind above: then the socket stays until it ends).
        self.http = None;
        wait_until_closed(self.inner_addr);
        if let Some(front) = self.tls.take() {
            let addr = front.addr();
            drop(front);
            wait_until_closed(addr);
        }
    }
}

/// tiny_http closes its listening socket on its own accept thread, shortly after the server is
/// dropped. Wait (briefly) for that so the port is really free when `drop` returns.
fn wait_until_closed(addr: SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline
        && TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok()
    {
        thread::sleep(Duration::from_millis(1));
    }
}

/// A worker: answers requests until the server stops.
fn serve(http: &tiny_http::Server, state: &State, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        // An error is either `unblock` (the loop then sees `stop`) or a failed accept, after which
        // tiny_http accepts no more connections.
        if let Ok(request) = http.recv() {
            answer(state, request);
        }
    }
}

/// Reads one request, routes it, and writes the response.
fn answer(state: &State, mut request: tiny_http::Request) {
    let method = request.method().as_str().to_string();
    let target = request.url().to_string();
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|h| (h.field.as_str().to_string(), h.value.to_string()))
        .collect();
    let keep_alive = keeps_alive(state, &request);
    let Ok(peer) = state.client_peer(request.remote_addr().copied()) else {
        // With TLS, only the TLS front's own connections reach the endpoints.
        let refused = Scripted::json(421, r#"{"error":"this server speaks HTTPS only"}"#);
        let _ = send(request.into_writer(), &method, &refused, false);
        return;
    };
    let mut body = Vec::new();
    let reply = match request.as_reader().take(MAX_BODY).read_to_end(&mut body) {
        Ok(_) => route(state, &method, path, query, headers, body, peer),
        Err(e) => Scripted::json(400, &format!("{{\"error\":\"cannot read body: {e}\"}}")),
    };
    if state.verbose() {
        eprintln!("{method} {target} -> {}", reply.status);
    }
    // A client that went away does not concern the other requests.
    let _ = send(request.into_writer(), &method, &reply, keep_alive);
}

/// Whether the connection stays open after this request: only in keep-alive mode, and only when
/// tiny_http reads another request from it (the rules of its `ClientConnection`: not after
/// `Connection: close` or `upgrade`, nor after HTTP/1.0 without `Connection: keep-alive`).
fn keeps_alive(state: &State, request: &tiny_http::Request) -> bool {
    if !state.config.keep_alive {
        return false;
    }
    let http_1_0 = *request.http_version() == tiny_http::HTTPVersion(1, 0);
    let connection = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Connection"))
        .map(|h| h.value.as_str().to_ascii_lowercase());
    match connection {
        Some(value) if value.contains("close") || value.contains("upgrade") => false,
        Some(value) => !http_1_0 || value.contains("keep-alive"),
        None => !http_1_0,
    }
}

/// Decides which endpoint handles a request, records the non-admin ones and how they were
/// answered.
fn route(
    state: &State,
    method: &str,
    path: &str,
    query: &str,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    peer: Option<SocketAddr>,
) -> Scripted {
    if path.starts_with("/_admin/") {
        return admin::handle(state, method, path, query, &body);
    }
    if let Some(peer) = peer {
        state.record_peer(peer);
    }
    let kind = RequestKind::of(method, path);
    let request = RecordedRequest {
        method: method.to_string(),
        path: path.to_string(),
        query: query.to_string(),
        headers,
        body,
        kind,
        outcome: None,
    };
    let seq = state.record(request.clone());
    let (reply, outcome) = match state.pop_script(kind) {
        Some(scripted) => {
            let outcome = Outcome {
                status: scripted.status,
                scripted: true,
                ..Outcome::default()
            };
            (scripted, outcome)
        }
        None => match kind {
            RequestKind::Token => token::handle(state, &request),
            RequestKind::Api => api::handle(state, &request),
            RequestKind::Metadata => metadata::handle(state, &request),
        },
    };
    state.set_outcome(seq, outcome);
    reply
}

/// Writes `reply` as an HTTP/1.1 response with an exact `Content-Length` and `Connection: close`
/// (`Connection: keep-alive` when `keep_alive`).
///
/// The response is written by hand because tiny_http refuses a `Connection` header. Any
/// `Content-Length`, `Connection` or `Transfer-Encoding` in `reply.headers` is replaced.
fn send(
    mut writer: Box<dyn Write + Send>,
    method: &str,
    reply: &Scripted,
    keep_alive: bool,
) -> io::Result<()> {
    let status = tiny_http::StatusCode(reply.status);
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        status.0,
        status.default_reason_phrase()
    );
    let framing = ["content-length", "connection", "transfer-encoding"];
    for (name, value) in &reply.headers {
        if !framing.iter().any(|f| name.eq_ignore_ascii_case(f)) {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    // 1xx, 204 and 304 responses have no body, nor a Content-Length that announces one.
    let bodyless = matches!(reply.status, 100..=199 | 204 | 304);
    if !bodyless {
        head.push_str(&format!("Content-Length: {}\r\n", reply.body.len()));
    }
    head.push_str(if keep_alive {
        "Connection: keep-alive\r\n\r\n"
    } else {
        "Connection: close\r\n\r\n"
    });
    writer.write_all(head.as_bytes())?;
    if !bodyless && method != "HEAD" {
        writer.write_all(&reply.body)?;
    }
    writer.flush()
}
