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
use crate::secret::Secret;
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
        let response = self.send_proved(method, &url, headers, body, &token, deadline)?;
        if response.status != 401 {
            return Ok(response);
        }
        log::info(&format!(
            "{method} {}: 401, fetching a new token and sending once more",
            without_query(path)
        ));
        self.drop_rejected(self.scope(None), &token, deadline);
        let token = self.tokens.get(self.scope(None), deadline)?;
        self.send_proved(method, &url, headers, body, &token, deadline)
    }

    /// [`Client::send_api`], sent once more (same token, a new proof) when a DPoP server asks
    /// for its nonce in the proof.
    fn send_proved(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        token: &Token,
        deadline: Deadline,
    ) -> Result<Response> {
        let response = self.send_api(method, url, headers, body, token, deadline)?;
        match &self.dpop {
            Some(dpop) if dpop.heed(url, &response) => {
                log::info(&format!(
                    "{method} {}: the server asks for a DPoP nonce; sending once more with it",
                    without_query(url)
                ));
                self.send_api(method, url, headers, body, token, deadline)
            }
            _ => Ok(response),
        }
    }

    /// The API answered 401 to a request made with `token` (of `scope`): it is dropped if it is
    /// still the current one, so that callers who all saw the same rejection cause one new
    /// fetch, and the next read fetches a new one.
    pub(super) fn drop_rejected(&self, scope: &str, token: &Token, deadline: Deadline) {
        Counters::add(&self.counters.unauthorized_refetches, 1);
        self.tokens.reject(scope, token, deadline);
    }

    /// The headers that authorize the API request `method url` with `token`, in the order they
    /// go out: `x-api-key` (when there is an api key), `Authorization: Bearer <token>`, or for a
    /// DPoP-bound token `Authorization: DPoP <token>` and `DPoP: <proof>` (made for this one
    /// request). The one place they are made, for the calls the library sends and for those it
    /// authorizes (`Client::authorize`).
    pub(super) fn auth_headers<'a>(
        &'a self,
        token: &Token,
        method: &str,
        url: &str,
    ) -> Result<AuthHeaders<'a>> {
        let api_key = self.api.api_key.as_ref();
        let prover = self.dpop.as_ref().filter(|_| token.is_dpop_bound());
        let Some(dpop) = prover else {
            let authorization = scheme_and_token("Bearer ", token);
            return Ok(AuthHeaders {
                api_key,
                authorization,
                dpop: None,
            });
        };
        let proof = dpop.proof(method, url, Some(token.secret()), self.clock.moment().wall)?;
        Ok(AuthHeaders {
            api_key,
            authorization: scheme_and_token("DPoP ", token),
            dpop: Some(Secret::new(proof)),
        })
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
        // Every official SDK sends JSON with this type; an API call with a body and no type of
        // its own gets it too.
        let typed = extra
            .iter()
            .any(|(name, _)| name.trim().eq_ignore_ascii_case("content-type"));
        let add_type = !body.is_empty() && !typed;
        let idempotent = IDEMPOTENT.iter().any(|m| m.eq_ignore_ascii_case(method));
        // Made for each attempt: a DPoP proof is good for one request.
        let attempt = |time_left| {
            let auth = self.auth_headers(token, method, url)?;
            let mut headers: Vec<(&str, &str)> = Vec::with_capacity(extra.len() + 4);
            headers.extend(auth.pairs().map(|(name, value)| (name as &str, value)));
            headers.extend_from_slice(extra);
            if add_type {
                headers.push(("Content-Type", "application/json"));
            }
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
            &Label { method, url },
            deadline,
            &self.counters.retries,
            attempt,
            |outcome| judge_exchange(outcome, idempotent),
        )
    }
}

/// The headers that authorize one API request (see [`Client::auth_headers`]); the api key
/// borrowed from the client.
pub(super) struct AuthHeaders<'a> {
    api_key: Option<&'a Secret>,
    authorization: Secret,
    dpop: Option<Secret>,
}

impl AuthHeaders<'_> {
    /// The headers as (name, value), in the order they go out.
    pub(super) fn pairs<'s>(&'s self) -> impl Iterator<Item = (&'static str, &'s str)> + 's {
        let key = self.api_key.map(|k| ("x-api-key", k.expose()));
        let authorization = ("Authorization", self.authorization.expose());
        let dpop = self.dpop.as_ref().map(|p| ("DPoP", p.expose()));
        key.into_iter()
            .chain(std::iter::once(authorization))
            .chain(dpop)
    }
}

/// `Authorization`'s value: `scheme` (with its space) and the token, in one exact allocation.
fn scheme_and_token(scheme: &str, token: &Token) -> Secret {
    let mut value = String::with_capacity(scheme.len() + token.secret().len());
    value.push_str(scheme);
    value.push_str(token.secret());
    Secret::new(value)
}

/// `GET https://host/v1/path`: an API call in messages, written only when one is.
struct Label<'a> {
    method: &'a str,
    url: &'a str,
}

impl std::fmt::Display for Label<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, without_query(self.url))
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
