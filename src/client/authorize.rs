//! Requests that the caller's own HTTP client sends (libcurl, `net/http`, `HttpClient`): the
//! headers they need, for a URL on the API origin only, and the 401 they got. The same origin
//! check, headers and token drop as the calls the library sends itself (`api`).

use super::Client;
use crate::config::url;
use crate::error::Result;
use crate::http::http_method;
use crate::log;
use crate::secret::Secret;
use crate::token::dpop::challenges_nonce;
use crate::token::Token;
use std::fmt;
use std::sync::Arc;

/// The headers one API request needs, in the order they go out (`x-api-key` when there is an
/// api key, `Authorization: Bearer <token>`; a variable list, so that a DPoP proof can join it),
/// and the token they carry, for [`Client::unauthorized`]. The values are secrets: wiped when
/// dropped, never shown by `Debug`.
pub struct Authorization {
    headers: Vec<(&'static str, Secret)>,
    scope: String,
    token: Arc<Token>,
    /// The request's URL (a DPoP nonce belongs to its origin).
    url: String,
}

impl Authorization {
    /// The headers, as (name, value).
    pub fn headers(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + '_ {
        self.headers
            .iter()
            .map(|(name, value)| (*name, value.expose()))
    }
}

impl fmt::Debug for Authorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(name, _)| *name).collect();
        f.debug_struct("Authorization")
            .field("headers", &names)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// The headers an API request `method url` needs, for a request another HTTP client sends.
    /// `url` must be on the API origin (an absolute URL with `api_endpoint`'s scheme, host and
    /// port, or a path, which is joined to `api_endpoint`): any other origin is refused with
    /// `InsecureUrl` before a token is even looked at. The token is read as `access_token(None)`
    /// reads it (fetched when stale), within `retry_deadline`.
    pub fn authorize(&self, method: &str, url: &str) -> Result<Authorization> {
        self.noted(self.authorize_now(method, url))
    }

    fn authorize_now(&self, method: &str, url: &str) -> Result<Authorization> {
        http_method(method)?;
        let url = url::join(&self.api.base, url)?;
        let scope = self.scope(None);
        let token = self.tokens.get(scope, self.deadline())?;
        Ok(Authorization {
            headers: self
                .auth_headers(&token, method, &url)?
                .pairs()
                .map(|(name, value)| (name, Secret::new(value)))
                .collect(),
            scope: scope.to_string(),
            token,
            url,
        })
    }

    /// The request made with `sent` was answered 401 (with these `WWW-Authenticate` and
    /// `DPoP-Nonce` headers, when it had them): its token is dropped if it is still the current
    /// one, as after a 401 to a call the library sends, so concurrent 401s make one new fetch,
    /// and the next `authorize` fetches a new one. With DPoP, the nonce is kept for the next
    /// proofs to that origin; when the challenge is only for that (`DPoP
    /// error="use_dpop_nonce"`), the token is kept: `authorize` again and resend.
    pub fn unauthorized(
        &self,
        sent: &Authorization,
        www_authenticate: Option<&str>,
        dpop_nonce: Option<&str>,
    ) -> Result<()> {
        // Server text is not logged (it may quote what it was sent); only whether it came.
        log::info(&format!(
            "a request authorized by lucidauth was answered 401 ({} WWW-Authenticate, {} DPoP-Nonce): the token is dropped",
            if www_authenticate.is_some() { "with" } else { "without" },
            if dpop_nonce.is_some() { "with" } else { "without" },
        ));
        if let (Some(dpop), Some(nonce)) = (&self.dpop, dpop_nonce) {
            dpop.remember_for(&sent.url, nonce);
            if www_authenticate.is_some_and(challenges_nonce) {
                return Ok(());
            }
        }
        self.drop_rejected(&sent.scope, &sent.token, self.deadline());
        Ok(())
    }
}
