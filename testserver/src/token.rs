//! The token endpoint (`POST …/token`): checks the grant type, the client's authentication and
//! the DPoP proof, issues tokens (opaque, or JWTs), and remembers them so the API can tell valid
//! tokens from stale ones and knows which are DPoP-bound.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::record::{Outcome, RecordedRequest};
use crate::reject::Rejection;
use crate::script::Scripted;
use crate::state::{lock, State};
use crate::{client_auth, dpop, form};

/// The tokens issued so far that are still honoured.
#[derive(Default)]
pub(crate) struct TokenStore {
    issued: HashMap<String, Issued>,
    issued_count: u64,
}

/// What the store knows of a token.
pub(crate) struct Issued {
    scope: String,
    /// `None` when the lifetime is too long to represent: the token never expires.
    expires_at: Option<Instant>,
    /// The thumbprint of the key a DPoP-bound token is bound to.
    pub(crate) jkt: Option<String>,
}

impl TokenStore {
    /// Makes a new token for `scope` valid for `lifetime`, its text made by `text` from its id
    /// (`tok-N-<16 hex digits>`). With `invalidate_previous`, the earlier tokens for the same
    /// scope stop working, as at the Lucidworks identity service.
    fn issue(
        &mut self,
        scope: &str,
        lifetime: Duration,
        invalidate_previous: bool,
        jkt: Option<String>,
        text: impl FnOnce(&str) -> String,
    ) -> String {
        if invalidate_previous {
            self.issued.retain(|_, issued| issued.scope != scope);
        }
        self.issued_count += 1;
        let id = format!(
            "tok-{}-{}",
            self.issued_count,
            random_hex(self.issued_count)
        );
        let token = text(&id);
        let issued = Issued {
            scope: scope.to_string(),
            expires_at: Instant::now().checked_add(lifetime),
            jkt,
        };
        self.issued.insert(token.clone(), issued);
        token
    }

    /// The token, if it was issued here, has not expired and was not revoked or invalidated.
    pub(crate) fn valid(&self, token: &str) -> Option<&Issued> {
        let issued = self.issued.get(token)?;
        match issued.expires_at {
            Some(expires_at) if Instant::now() >= expires_at => None,
            _ => Some(issued),
        }
    }

    /// Whether `token` was issued here, has not expired and was not revoked or invalidated.
    #[cfg(test)]
    fn is_valid(&self, token: &str) -> bool {
        self.valid(token).is_some()
    }

    /// Makes every token issued so far invalid.
    pub(crate) fn revoke_all(&mut self) {
        self.issued.clear();
    }
}

/// 16 hex digits that differ between tokens and between runs, so tokens cannot be guessed from
/// the counter alone. The standard library's randomly keyed hasher is random enough for a test
/// server.
fn random_hex(counter: u64) -> String {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(counter);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    hasher.write_u128(now.as_nanos());
    format!("{:016x}", hasher.finish())
}

/// Answers a token request that no scripted response took.
pub(crate) fn handle(state: &State, request: &RecordedRequest) -> (Scripted, Outcome) {
    let delay = state.token_delay();
    if !delay.is_zero() {
        std::thread::sleep(delay);
    }
    match check(state, request) {
        Ok(jkt) => issue(state, request, jkt),
        Err(rejection) => (rejection.token_reply(), rejection.outcome()),
    }
}

/// The grant type, then the client's authentication, then DPoP. `Ok` carries the thumbprint the
/// new token is bound to, if any.
fn check(state: &State, request: &RecordedRequest) -> Result<Option<String>, Rejection> {
    let body = request.form_params();
    if param(request, &body, "grant_type").as_deref() != Some("client_credentials") {
        return Err(Rejection::oauth(
            "unsupported_grant_type",
            400,
            "unsupported_grant_type",
            "grant_type must be client_credentials",
        ));
    }
    client_auth::authenticate(state, request, &body)?;
    dpop::at_token_endpoint(state, request)
}

/// A parameter from the query string or else the form body (the vendors send the query).
fn param(request: &RecordedRequest, body: &[(String, String)], name: &str) -> Option<String> {
    let query = request.query_params();
    form::get(&query, name)
        .or_else(|| form::get(body, name))
        .map(str::to_string)
}

/// Issues a token: a DPoP-bound JWT when `jkt` is set, else a Bearer token (a JWT with
/// [`ServerConfig::jwt_tokens`](crate::ServerConfig::jwt_tokens)).
fn issue(state: &State, request: &RecordedRequest, jkt: Option<String>) -> (Scripted, Outcome) {
    let body = request.form_params();
    let scope = param(request, &body, "scope");
    let lifetime = state.lifetime_secs();
    let as_jwt = jkt.is_some() || state.config.jwt_tokens;
    let claims_jkt = jkt.clone();
    let mut signed = true;
    let token = lock(&state.tokens).issue(
        scope.as_deref().unwrap_or(""),
        Duration::from_secs(lifetime),
        state.config.invalidate_previous,
        jkt.clone(),
        |id| match as_jwt {
            false => id.to_string(),
            true => {
                let claims = token_claims(state, id, scope.as_deref(), lifetime, claims_jkt);
                state.signer.sign(&claims).unwrap_or_else(|| {
                    signed = false;
                    id.to_string()
                })
            }
        },
    );
    if !signed {
        let failed = Scripted::json(500, r#"{"error":"server_error"}"#);
        return (
            failed,
            Outcome {
                status: 500,
                ..Outcome::default()
            },
        );
    }
    let token_type = if jkt.is_some() { "DPoP" } else { "Bearer" };
    let mut answer = json!({
        "access_token": token,
        "expires_in": lifetime,
        "token_type": token_type,
    });
    if let Some(scope) = scope {
        answer["scope"] = json!(scope);
    }
    let mut reply = Scripted::json_value(200, &answer);
    reply
        .headers
        .push(("Cache-Control".to_string(), "no-store".to_string()));
    let outcome = Outcome {
        status: 200,
        dpop_jkt: jkt,
        ..Outcome::default()
    };
    (reply, outcome)
}

/// The claims of a JWT access token (RFC 9068): `iss`, `sub` and `client_id` (the client id),
/// `aud` (`<origin>/v1`), `iat`, `exp`, `jti` (the token id), `scope` if asked for, and
/// `cnf.jkt` (RFC 9449 §6) when DPoP-bound.
fn token_claims(
    state: &State,
    id: &str,
    scope: Option<&str>,
    lifetime: u64,
    jkt: Option<String>,
) -> Value {
    let iat = state.now();
    let exp = iat.saturating_add(i64::try_from(lifetime).unwrap_or(i64::MAX));
    let mut claims = json!({
        "iss": state.issuer(),
        "sub": state.config.client_id,
        "client_id": state.config.client_id,
        "aud": format!("{}/v1", state.base_url),
        "iat": iat,
        "exp": exp,
        "jti": id,
    });
    if let Some(scope) = scope {
        claims["scope"] = json!(scope);
    }
    if let Some(jkt) = jkt {
        claims["cnf"] = json!({ "jkt": jkt });
    }
    claims
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_invalidation_is_per_scope() {
        let mut store = TokenStore::default();
        let hour = Duration::from_secs(3600);
        let mut issue = |scope| store.issue(scope, hour, true, None, str::to_string);
        let a1 = issue("a");
        let b1 = issue("b");
        let a2 = issue("a");
        assert_ne!(a1, a2);
        assert!(!store.is_valid(&a1));
        assert!(store.is_valid(&b1));
        assert!(store.is_valid(&a2));
        assert!(!store.is_valid("tok-unknown"));
    }

    #[test]
    fn zero_lifetime_expires_at_once_and_huge_lifetime_never() {
        let mut store = TokenStore::default();
        let gone = store.issue("", Duration::ZERO, false, None, str::to_string);
        let forever = store.issue("", Duration::MAX, false, None, str::to_string);
        assert!(!store.is_valid(&gone));
        assert!(store.is_valid(&forever));
        store.revoke_all();
        assert!(!store.is_valid(&forever));
    }
}
