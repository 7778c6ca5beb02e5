//! A client: credentials, one HTTP agent and the token pipeline it composes (memory, then the
//! pre-issued `access_token` when given, then the shared cache when configured, then the token
//! endpoint when there are client credentials). Safe to share between threads.

use crate::cache::TokenCache;
use crate::clock::{Clock, SystemClock};
use crate::credentials::Credentials;
use crate::disk_cache::DiskStore;
use crate::endpoint::{self, without_query};
use crate::error::{Error, ErrorKind, Result};
use crate::log;
use crate::preissued::PreIssued;
use crate::redis_cache::RedisStore;
use crate::response::Response;
use crate::retry::{judge_exchange, Deadline};
use crate::shared_cache::{SharedCache, Store};
use crate::stats::{Counters, Stats};
use crate::token::Token;
use crate::token_endpoint::TokenEndpoint;
use crate::token_source::TokenSource;
use crate::transport::{Exchange, Transport};
use std::sync::Arc;

/// Headers the client sets itself and a caller may not override.
const RESERVED_HEADERS: &[&str] = &[
    "authorization",
    "x-api-key",
    "host",
    "content-length",
    "transfer-encoding",
];

/// Methods that may be sent twice without changing the outcome (RFC 9110 §9.2.2).
const IDEMPOTENT: &[&str] = &["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"];

/// Gets, keeps and uses access tokens for one set of credentials.
#[derive(Debug)]
pub struct Client {
    creds: Arc<Credentials>,
    transport: Arc<Transport>,
    /// The token pipeline's front: memory, then the pre-issued token, the shared cache and the
    /// token endpoint, those that are configured.
    tokens: TokenCache,
    counters: Arc<Counters>,
}

impl Client {
    pub fn new(creds: Credentials) -> Result<Self> {
        Self::with_clock(creds, Arc::new(SystemClock))
    }

    /// A client whose token expiry follows `clock` (tests move a [`crate::ManualClock`]).
    pub fn with_clock(creds: Credentials, clock: Arc<dyn Clock>) -> Result<Self> {
        Self::with_parts(creds, clock, &|name| std::env::var(name).ok())
    }

    /// A client that reads the proxy variables (`https_proxy`, `NO_PROXY`, ...) from `env`
    /// instead of the process environment: for tests, and for programs that keep an
    /// environment of their own. The variables are read once, here.
    pub fn with_proxy_env(
        creds: Credentials,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        Self::with_parts(creds, Arc::new(SystemClock), env)
    }

    fn with_parts(
        creds: Credentials,
        clock: Arc<dyn Clock>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        let creds = Arc::new(creds);
        let transport = Arc::new(Transport::new(&creds, env)?);
        let counters = Arc::new(Counters::default());
        let default_scope = creds.scope.as_deref().unwrap_or("");
        let fetcher: Option<Box<dyn TokenSource>> = if creds.has_client_credentials() {
            let endpoint = TokenEndpoint::new(
                creds.clone(),
                transport.clone(),
                clock.clone(),
                counters.clone(),
            );
            Some(match shared_store(&creds)? {
                Some(store) => Box::new(SharedCache::new(
                    store,
                    Box::new(endpoint),
                    &creds,
                    clock.clone(),
                    counters.clone(),
                )),
                None => Box::new(endpoint),
            })
        } else {
            None
        };
        let source: Box<dyn TokenSource> = match (&creds.access_token, fetcher) {
            (Some(token), next) => Box::new(PreIssued::new(
                token.clone(),
                default_scope,
                creds.refresh_margin,
                next,
                clock.clone(),
            )),
            (None, Some(fetcher)) => fetcher,
            (None, None) => {
                return Err(Error::new(
                    ErrorKind::Config,
                    "neither client credentials nor an access_token",
                ))
            }
        };
        Ok(Client {
            tokens: TokenCache::new(
                default_scope,
                source,
                clock,
                creds.refresh_ahead,
                creds.timeout,
                counters.clone(),
            ),
            counters,
            creds,
            transport,
        })
    }

    /// A fresh access token for `scope`: `None` is the configured scope, `Some("")` asks for none.
    /// The whole call (waits for locks, the fetch and its retries) ends within `retry_deadline`.
    pub fn access_token(&self, scope: Option<&str>) -> Result<Arc<Token>> {
        self.noted(self.tokens.get(self.scope(scope), self.deadline()))
    }

    /// A snapshot of what this client has done with its tokens, and of the tokens it holds.
    pub fn stats(&self) -> Stats {
        self.counters.snapshot(self.tokens.scope_stats())
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
        Deadline::after(self.creds.retry.deadline)
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

    /// Sends `method path` to the API with the token (and api key), and returns the answer
    /// whatever its status. On a 401 the token is dropped, a new one fetched and the request
    /// sent once more. 429 and 503 are retried for any method; other 5xx and transport failures
    /// only for idempotent methods. `path` is joined to `api_endpoint`; an absolute URL elsewhere
    /// is refused. A non-empty `body` without a `Content-Type` among `headers` is sent as
    /// `application/json`. The whole call (the token, the exchange, their retries, the refetch
    /// after a 401) ends within `retry_deadline`.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Response> {
        self.noted(self.send_request(method, path, headers, body))
    }

    fn send_request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Response> {
        let url = endpoint::join(&self.creds.api_endpoint, path)?;
        for (name, _) in headers {
            if RESERVED_HEADERS
                .iter()
                .any(|r| r.eq_ignore_ascii_case(name.trim()))
            {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    format!("header '{name}' is set by the library"),
                ));
            }
        }
        let deadline = self.deadline();
        let token = self.tokens.get(self.scope(None), deadline)?;
        let response = self.send_api(method, &url, headers, body, &token, deadline)?;
        if response.status != 401 {
            return Ok(response);
        }
        log::info(&format!(
            "{method} {}: 401, fetching a new token and sending once more",
            without_query(path)
        ));
        Counters::add(&self.counters.unauthorized_refetches, 1);
        self.tokens.reject(self.scope(None), &token, deadline);
        let token = self.tokens.get(self.scope(None), deadline)?;
        self.send_api(method, &url, headers, body, &token, deadline)
    }

    fn send_api(
        &self,
        method: &str,
        url: &str,
        extra: &[(&str, &str)],
        body: &[u8],
        token: &Token,
        deadline: Deadline,
    ) -> Result<Response> {
        let bearer = format!("Bearer {}", token.secret());
        let mut headers: Vec<(&str, &str)> = Vec::with_capacity(extra.len() + 2);
        if let Some(key) = &self.creds.api_key {
            headers.push(("x-api-key", key.expose()));
        }
        headers.push(("Authorization", &bearer));
        headers.extend_from_slice(extra);
        // Every official SDK sends JSON with this type; an API call with a body and no type of
        // its own gets it too.
        let typed = extra
            .iter()
            .any(|(name, _)| name.trim().eq_ignore_ascii_case("content-type"));
        if !body.is_empty() && !typed {
            headers.push(("Content-Type", "application/json"));
        }
        let idempotent = IDEMPOTENT.iter().any(|m| m.eq_ignore_ascii_case(method));
        let mut attempts = 0u64;
        let raw = self.creds.retry.run(
            &format!("{method} {}", without_query(url)),
            deadline,
            |time_left| {
                attempts += 1;
                self.transport.send(&Exchange {
                    method,
                    url,
                    headers: &headers,
                    body,
                    max_body: self.creds.max_response_bytes,
                    time_left,
                })
            },
            |outcome| judge_exchange(outcome, idempotent),
        );
        Counters::add(&self.counters.retries, attempts.saturating_sub(1));
        let raw = raw?;
        Ok(Response {
            status: raw.status,
            headers: raw.headers,
            body: raw.body,
        })
    }

    fn scope<'a>(&'a self, scope: Option<&'a str>) -> &'a str {
        scope.or(self.creds.scope.as_deref()).unwrap_or("")
    }
}

/// The store of the shared cache the credentials ask for: Redis with `cache_url`, else a
/// directory with `use_cache`. A Redis lock's lease outlives a fetch that takes the whole retry
/// deadline.
fn shared_store(creds: &Credentials) -> Result<Option<Box<dyn Store>>> {
    let wait = creds.retry.deadline;
    let store: Box<dyn Store> = if let Some(url) = &creds.cache_url {
        Box::new(
            RedisStore::new(
                url.expose(),
                wait.saturating_add(creds.timeout),
                creds.ca_file.as_deref(),
            )
            .map_err(|e| Error::new(ErrorKind::Config, e.message()))?,
        )
    } else if creds.use_cache {
        let dir = creds.cache_dir().ok_or_else(|| {
            Error::new(
                ErrorKind::Config,
                "use_cache is set but there is no cache_dir and no home directory",
            )
        })?;
        match DiskStore::new(&dir) {
            Ok(store) => Box::new(store),
            Err(e) => {
                log::warn(&format!("shared token cache off: {}", e.message()));
                return Ok(None);
            }
        }
    } else {
        return Ok(None);
    };
    Ok(Some(store))
}
