//! A client: credentials, one HTTP agent and the token cache. Safe to share between threads.

use crate::cache::TokenCache;
use crate::clock::{Clock, SystemClock};
use crate::credentials::Credentials;
use crate::disk_cache::DiskStore;
use crate::endpoint::{self, without_query};
use crate::error::{Error, ErrorKind, Result};
use crate::log;
use crate::redis_cache::RedisStore;
use crate::response::Response;
use crate::retry::judge_exchange;
use crate::shared_cache::{Key, SharedCache, Store};
use crate::token::{self, Token};
use crate::transport::{Exchange, RawResponse, Transport, MAX_TOKEN_RESPONSE};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

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
    transport: Transport,
    cache: TokenCache,
    /// Behind the in-memory cache: tokens shared with other processes, when configured.
    shared: Option<SharedCache>,
    clock: Arc<dyn Clock>,
}

impl Client {
    pub fn new(creds: Credentials) -> Result<Self> {
        Self::with_clock(creds, Arc::new(SystemClock))
    }

    /// A client whose token expiry follows `clock` (tests move a [`crate::ManualClock`]).
    pub fn with_clock(creds: Credentials, clock: Arc<dyn Clock>) -> Result<Self> {
        Ok(Client {
            transport: Transport::new(&creds)?,
            shared: shared_cache(&creds)?,
            cache: TokenCache::new(creds.scope.as_deref().unwrap_or("")),
            creds: Arc::new(creds),
            clock,
        })
    }

    pub fn credentials(&self) -> &Credentials {
        &self.creds
    }

    /// A fresh access token for `scope`: `None` is the configured scope, `Some("")` asks for none.
    pub fn access_token(&self, scope: Option<&str>) -> Result<Arc<Token>> {
        let scope = self.scope(scope);
        self.cache
            .get(scope, &|| self.clock.now(), &|| self.fetch(scope))
    }

    /// Runs `f` on a fresh access token for `scope` (as `access_token`), without handing out a
    /// reference to it: a cache hit then writes no shared memory.
    pub fn with_access_token<R>(
        &self,
        scope: Option<&str>,
        mut f: impl FnMut(&Token) -> R,
    ) -> Result<R> {
        let scope = self.scope(scope);
        if let Some(r) = self.cache.with_fresh(scope, self.clock.now(), &mut f) {
            return Ok(r);
        }
        self.access_token(Some(scope)).map(|t| f(&t))
    }

    /// Sends `method path` to the API with the token (and api key), and returns the answer
    /// whatever its status. On a 401 the token is dropped, a new one fetched and the request
    /// sent once more. 429 and 503 are retried for any method; other 5xx and transport failures
    /// only for idempotent methods. `path` is joined to `api_endpoint`; an absolute URL elsewhere
    /// is refused.
    pub fn request(
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
        let token = self.access_token(None)?;
        let response = self.send_api(method, &url, headers, body, &token)?;
        if response.status != 401 {
            return Ok(response);
        }
        log::info(&format!(
            "{method} {}: 401, fetching a new token and sending once more",
            without_query(path)
        ));
        self.cache.invalidate(self.scope(None), &token);
        if let Some(shared) = &self.shared {
            shared.invalidate(&self.key(self.scope(None)), &token);
        }
        let token = self.access_token(None)?;
        self.send_api(method, &url, headers, body, &token)
    }

    fn send_api(
        &self,
        method: &str,
        url: &str,
        extra: &[(&str, &str)],
        body: &[u8],
        token: &Token,
    ) -> Result<Response> {
        let bearer = format!("Bearer {}", token.secret());
        let mut headers: Vec<(&str, &str)> = Vec::with_capacity(extra.len() + 2);
        if let Some(key) = &self.creds.api_key {
            headers.push(("x-api-key", key.expose()));
        }
        headers.push(("Authorization", &bearer));
        headers.extend_from_slice(extra);
        let idempotent = IDEMPOTENT.iter().any(|m| m.eq_ignore_ascii_case(method));
        let raw = self.creds.retry.run(
            &format!("{method} {}", without_query(url)),
            |time_left| {
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
        )?;
        Ok(Response {
            status: raw.status,
            headers: raw.headers,
            body: raw.body,
        })
    }

    fn scope<'a>(&'a self, scope: Option<&'a str>) -> &'a str {
        scope.or(self.creds.scope.as_deref()).unwrap_or("")
    }

    fn key(&self, scope: &str) -> Key {
        Key::new(&self.creds.token_url, &self.creds.client_id, scope)
    }

    /// A token from the shared cache when there is one, else from the token endpoint.
    fn fetch(&self, scope: &str) -> Result<Token> {
        match &self.shared {
            Some(shared) => shared.get(&self.key(scope), self.clock.now(), &|| {
                self.fetch_remote(scope)
            }),
            None => self.fetch_remote(scope).map(|(token, _)| token),
        }
    }

    /// One token fetch, with retries; expiry counts from when the successful attempt was sent
    /// (returned as wall-clock time too, for the shared cache).
    fn fetch_remote(&self, scope: &str) -> Result<(Token, SystemTime)> {
        let request = token::build_request(&self.creds, Some(scope));
        let headers: Vec<(&str, &str)> = request
            .headers
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        let what = format!("token request to {}", without_query(&request.url));
        let started = Instant::now();
        let mut sent_at = self.clock.now();
        let mut sent_wall = SystemTime::now();
        let raw: RawResponse = self
            .creds
            .retry
            .run(
                &what,
                |time_left| {
                    sent_at = self.clock.now();
                    sent_wall = SystemTime::now();
                    self.transport.send(&Exchange {
                        method: "POST",
                        url: &request.url,
                        headers: &headers,
                        body: &request.body,
                        max_body: MAX_TOKEN_RESPONSE,
                        time_left,
                    })
                },
                |outcome| judge_exchange(outcome, true),
            )
            .map_err(|e| e.context("token request"))?;
        let result = token::parse_response(
            raw.status,
            &raw.body,
            sent_at,
            self.creds.refresh_margin,
            &|s| self.scrub(s),
        );
        log::info(&format!(
            "{what} for scope '{scope}': HTTP {} in {} ms{}",
            raw.status,
            started.elapsed().as_millis(),
            if result.is_ok() { "" } else { " (failed)" }
        ));
        result.map(|token| (token, sent_wall))
    }

    /// Replaces any secret of these credentials in server-supplied text.
    fn scrub(&self, text: &str) -> String {
        let mut out = text.replace(self.creds.client_secret.expose(), "<redacted>");
        if let Some(key) = &self.creds.api_key {
            out = out.replace(key.expose(), "<redacted>");
        }
        out
    }
}

/// The shared cache the credentials ask for: Redis with `cache_url`, else a directory with
/// `use_cache`. Others wait for a fetch at most the retry deadline; a Redis lock's lease outlives
/// a fetch that takes that long.
fn shared_cache(creds: &Credentials) -> Result<Option<SharedCache>> {
    let wait = creds.retry.deadline;
    let store: Box<dyn Store> = if let Some(url) = &creds.cache_url {
        Box::new(
            RedisStore::new(url.expose(), wait + creds.timeout)
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
    Ok(Some(SharedCache::new(store, creds.refresh_margin, wait)))
}
