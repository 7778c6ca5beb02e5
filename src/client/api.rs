//! API calls with the client's token: the path joined to `api_endpoint` (never another origin),
//! the headers set, retried as the method allows, and sent once more with a new token after a
//! 401.

use super::Client;
use crate::clock::Deadline;
use crate::config::url::{self, without_query};
use crate::error::{Error, ErrorKind, Result};
use crate::http::{judge_exchange, Exchange, Response};
use crate::log;
use crate::retry;
use crate::stats::Counters;
use crate::token::Token;

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

impl Client {
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
        let url = url::join(&self.api.base, path)?;
        check_headers(headers)?;
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
        let mut headers: Vec<(&str, &str)> = Vec::with_capacity(extra.len() + 3);
        if let Some(key) = &self.api.api_key {
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
        let attempt = |time_left| {
            self.transport.send(&Exchange {
                method,
                url,
                headers: &headers,
                body,
                max_body: self.api.max_response_bytes,
                time_left,
            })
        };
        retry::run(
            &self.api.retry,
            &format!("{method} {}", without_query(url)),
            deadline,
            &self.counters.retries,
            attempt,
            |outcome| judge_exchange(outcome, idempotent),
        )
    }
}

/// Refuses headers the library sets itself.
fn check_headers(headers: &[(&str, &str)]) -> Result<()> {
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
    Ok(())
}
