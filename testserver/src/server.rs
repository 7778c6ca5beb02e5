//! The HTTP side: the listener of [`crate::http`] on a free loopback port, routing to the token
//! endpoint, the API and the admin endpoints, and writing the responses.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use crate::config::ServerConfig;
use crate::http::{reason_phrase, Handler, HttpServer, Request};
use crate::record::{Outcome, RecordedRequest, RequestKind};
use crate::script::Scripted;
use crate::signer::random_b64url;
use crate::state::State;
use crate::tls::make_pki;
use crate::tunnel::{TlsFront, TlsPeers};
use crate::{admin, api, dpop, metadata, token};

/// How long dropping the server waits for the connection threads still answering a request.
const WORKER_GRACE: Duration = Duration::from_secs(5);

/// A running server on `127.0.0.1` at a free port, with a thread per connection. Dropping it
/// closes the listening socket before `drop` returns, shuts down the connections still open and
/// waits up to 5 s for their threads (leaving behind one still stuck then, which holds only its
/// own connection).
///
/// Every response carries `Connection: close`, so no client keeps a pooled connection that would
/// outlive the server and swallow requests after it stopped. With
/// [`ServerConfig::keep_alive`] connections stay open instead (for measuring connection reuse);
/// then stop the clients before the server.
pub struct TestServer {
    /// The plain HTTP listener: the public one, or the inner one behind `tls`.
    http: HttpServer,
    state: Arc<State>,
    /// With [`ServerConfig::tls`]: the public listener, which terminates TLS.
    tls: Option<TlsFront>,
    /// The CA certificate (PEM) with [`ServerConfig::tls`].
    ca_pem: Option<String>,
}

impl TestServer {
    /// Binds `127.0.0.1:0` and starts serving.
    ///
    /// Fails with [`io::ErrorKind::InvalidInput`] when the configuration cannot work (see
    /// [`ServerConfig::check`]).
    pub fn start(config: ServerConfig) -> io::Result<TestServer> {
        config
            .check()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let http_listener = TcpListener::bind("127.0.0.1:0")?;
        let inner_addr = http_listener.local_addr()?;
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
        let state = Arc::new(state);
        let endpoints = Arc::new(Endpoints(Arc::clone(&state)));
        let http = HttpServer::start(http_listener, endpoints)?;
        Ok(TestServer {
            http,
            state,
            tls,
            ca_pem,
        })
    }

    /// The port the server listens on (the TLS port with [`ServerConfig::tls`]).
    pub fn port(&self) -> u16 {
        match &self.tls {
            Some(front) => front.addr().port(),
            None => self.http.addr().port(),
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
        // The plain listener first: behind TLS, its connections' shutdown ends the tunnels.
        self.http.stop(WORKER_GRACE);
        self.tls = None;
    }
}

/// The endpoints behind the listener.
struct Endpoints(Arc<State>);

impl Handler for Endpoints {
    fn answer(&self, request: Request, out: &mut dyn Write) -> io::Result<bool> {
        answer(&self.0, request, out)
    }

    fn refuse(&self, status: u16, why: &str, out: &mut dyn Write) -> io::Result<()> {
        let reply = Scripted::json_value(status, &serde_json::json!({ "error": why }));
        send(out, "", &reply, false)
    }
}

/// Routes one request and writes the response; returns whether the connection stays open.
fn answer(state: &State, request: Request, out: &mut dyn Write) -> io::Result<bool> {
    let keep_alive = keeps_alive(state, &request);
    let Ok(peer) = state.client_peer(request.remote_addr) else {
        // With TLS, only the TLS front's own connections reach the endpoints.
        let refused = Scripted::json(421, r#"{"error":"this server speaks HTTPS only"}"#);
        send(out, &request.method, &refused, false)?;
        return Ok(false);
    };
    let Request {
        method,
        target,
        headers,
        body,
        ..
    } = request;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let reply = route(state, &method, path, query, headers, body, peer);
    if state.verbose() {
        eprintln!("{method} {target} -> {}", reply.status);
    }
    send(out, &method, &reply, keep_alive)?;
    Ok(keep_alive)
}

/// Whether the connection stays open after this request: only in keep-alive mode, and only when
/// the client lets it (see [`Request::client_keeps_alive`]).
fn keeps_alive(state: &State, request: &Request) -> bool {
    state.config.keep_alive && request.client_keeps_alive()
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
    peer: SocketAddr,
) -> Scripted {
    if path.starts_with("/_admin/") {
        return admin::handle(state, method, path, query, &body);
    }
    state.record_peer(peer);
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
/// Any `Content-Length`, `Connection` or `Transfer-Encoding` in `reply.headers` is replaced. The
/// head and the body leave in one write.
fn send(out: &mut dyn Write, method: &str, reply: &Scripted, keep_alive: bool) -> io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        reply.status,
        reason_phrase(reply.status)
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
    let mut message = head.into_bytes();
    if !bodyless && method != "HEAD" {
        message.extend_from_slice(&reply.body);
    }
    out.write_all(&message)?;
    out.flush()
}
