//! A client: credentials, one HTTP agent and the token pipeline it composes (`pipeline`), the
//! API calls made with its tokens (`api`), and the headers for calls another HTTP client makes
//! (`authorize`). Safe to share between threads.

mod api;
mod authorize;
mod pipeline;

pub use authorize::Authorization;

use crate::cache::TokenCache;
use crate::clock::{Clock, Deadline, SystemClock};
use crate::config::{ApiConfig, Credentials};
use crate::error::Result;
use crate::http::Transport;
use crate::stats::{Counters, Stats};
use crate::token::dpop::DpopProver;
use crate::token::Token;
use std::sync::Arc;

/// Gets, keeps and uses access tokens for one set of credentials.
#[derive(Debug)]
pub struct Client {
    api: ApiConfig,
    transport: Arc<Transport>,
    /// The token pipeline's front: memory, then the pre-issued token, the shared cache and the
    /// token endpoint, those that are configured.
    tokens: TokenCache,
    counters: Arc<Counters>,
    /// How the client authenticates, for its stats.
    client_auth: String,
    /// Makes the DPoP proofs of API requests (with `dpop = true`).
    dpop: Option<Arc<DpopProver>>,
    /// The client's clock: a proof's `iat`.
    clock: Arc<dyn Clock>,
}

impl Client {
    pub fn new(creds: Credentials) -> Result<Self> {
        Self::with_clock(creds, Arc::new(SystemClock))
    }

    /// A client whose token expiry follows `clock` (tests move a [`crate::ManualClock`]).
    pub fn with_clock(creds: Credentials, clock: Arc<dyn Clock>) -> Result<Self> {
        pipeline::assemble(&creds, clock, &|name| std::env::var(name).ok())
    }

    /// A client that reads the proxy variables (`https_proxy`, `NO_PROXY`, ...) from `env`
    /// instead of the process environment: for tests, and for programs that keep an
    /// environment of their own. The variables are read once, here.
    pub fn with_proxy_env(
        creds: Credentials,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        pipeline::assemble(&creds, Arc::new(SystemClock), env)
    }

    /// A fresh access token for `scope`: `None` is the configured scope, `Some("")` asks for none.
    /// The whole call (waits for locks, the fetch and its retries) ends within `retry_deadline`.
    pub fn access_token(&self, scope: Option<&str>) -> Result<Arc<Token>> {
        self.noted(self.tokens.get(self.scope(scope), self.deadline()))
    }

    /// A snapshot of what this client has done with its tokens, and of the tokens it holds.
    pub fn stats(&self) -> Stats {
        self.counters
            .snapshot(self.tokens.scope_stats(), &self.client_auth)
    }

    /// Runs `f` on a fresh access token for `scope` (as `access_token`), without handing out a
    /// reference to it: a cache hit then writes no shared memory.
    pub fn with_access_token<R>(
        &self,
        scope: Option<&str>,
        mut f: impl FnMut(&Token) -> R,
    ) -> Result<R> {
        let scope = self.scope(scope);
        if let Some(r) = self.tokens.read(scope, &mut f) {
            return Ok(r);
        }
        self.noted(self.tokens.get(scope, self.deadline()))
            .map(|t| f(&t))
    }

    /// Copies a fresh access token for `scope` (as `access_token`) into `out`: `Ok(len)` when
    /// copied, `Err(len)` when `out` is shorter than the token (nothing else is copied then). No
    /// allocation while the token is cached.
    pub fn access_token_into(
        &self,
        scope: Option<&str>,
        out: &mut [u8],
    ) -> Result<std::result::Result<usize, usize>> {
        if let Some(copied) = self.tokens.read_into(scope, out) {
            return Ok(copied);
        }
        self.with_access_token(scope, |token| {
            let bytes = token.secret().as_bytes();
            let dest = out.get_mut(..bytes.len()).ok_or(bytes.len())?;
            dest.copy_from_slice(bytes);
            Ok(bytes.len())
        })
    }

    /// The access token for `scope` (as `access_token`) in a vector with room for one byte more
    /// (the C API's NUL): while the token is cached, one allocation and one copy.
    pub fn access_token_bytes(&self, scope: Option<&str>) -> Result<Vec<u8>> {
        let mut bytes = self.access_token_with_nul(scope)?;
        bytes.pop();
        Ok(bytes)
    }

    /// The access token for `scope` (as `access_token`) and a NUL after it, in a vector of
    /// exactly that length: what the C API hands out, made with one allocation and one copy
    /// while the token is cached.
    pub(crate) fn access_token_with_nul(&self, scope: Option<&str>) -> Result<Vec<u8>> {
        match self.tokens.read_with_nul(scope) {
            Some(bytes) => Ok(bytes),
            None => self.fetch_with_nul(scope),
        }
    }

    /// [`Client::access_token_with_nul`] when the copy in memory cannot answer: kept out of the
    /// cached read's way.
    #[cold]
    #[inline(never)]
    fn fetch_with_nul(&self, scope: Option<&str>) -> Result<Vec<u8>> {
        self.with_access_token(scope, |token| {
            let secret = token.secret().as_bytes();
            let mut bytes = Vec::with_capacity(secret.len() + 1);
            bytes.extend_from_slice(secret);
            bytes.push(0);
            bytes
        })
    }

    /// Remembers the kind of an error the caller gets, for [`Client::stats`].
    fn noted<T>(&self, result: Result<T>) -> Result<T> {
        if let Err(e) = &result {
            self.counters.failed(e.kind());
        }
        result
    }

    /// The deadline of a call that starts now.
    fn deadline(&self) -> Deadline {
        Deadline::after(self.api.retry.deadline)
    }

    fn scope<'a>(&'a self, scope: Option<&'a str>) -> &'a str {
        scope.or(self.api.scope.as_deref()).unwrap_or("")
    }
}
