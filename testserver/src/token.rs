//! The token endpoint (`POST …/token`): checks the grant type and the client's credentials,
//! issues opaque tokens, and remembers them so the API can tell valid tokens from stale ones.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::json;

use crate::config::{ClientAuth, ServerConfig};
use crate::form;
use crate::record::RecordedRequest;
use crate::script::Scripted;
use crate::state::{lock, State};

/// The tokens issued so far that are still honoured.
#[derive(Default)]
pub(crate) struct TokenStore {
    issued: HashMap<String, Issued>,
    issued_count: u64,
}

struct Issued {
    scope: String,
    /// `None` when the lifetime is too long to represent: the token never expires.
    expires_at: Option<Instant>,
}

impl TokenStore {
    /// Makes a new token for `scope` valid for `lifetime`. With `invalidate_previous`, the earlier
    /// tokens for the same scope stop working, as at the Lucidworks identity service.
    fn issue(&mut self, scope: &str, lifetime: Duration, invalidate_previous: bool) -> String {
        if invalidate_previous {
            self.issued.retain(|_, issued| issued.scope != scope);
        }
        self.issued_count += 1;
        let token = format!(
            "tok-{}-{}",
            self.issued_count,
            random_hex(self.issued_count)
        );
        let issued = Issued {
            scope: scope.to_string(),
            expires_at: Instant::now().checked_add(lifetime),
        };
        self.issued.insert(token.clone(), issued);
        token
    }

    /// Whether `token` was issued here, has not expired and was not revoked or invalidated.
    pub(crate) fn is_valid(&self, token: &str) -> bool {
        let Some(issued) = self.issued.get(token) else {
            return false;
        };
        match issued.expires_at {
            Some(expires_at) => Instant::now() < expires_at,
            None => true,
        }
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
pub(crate) fn handle(state: &State, request: &RecordedRequest) -> Scripted {
    let delay = state.token_delay();
    if !delay.is_zero() {
        std::thread::sleep(delay);
    }
    let query = form::parse(&request.query);
    let body = if is_form(request) {
        form::parse(&request.body_text())
    } else {
        Vec::new()
    };
    let param = |name| form::get(&query, name).or_else(|| form::get(&body, name));

    if param("grant_type") != Some("client_credentials") {
        return Scripted::json_value(
            400,
            &json!({
                "error": "unsupported_grant_type",
                "error_description": "grant_type must be client_credentials",
            }),
        );
    }
    if !client_authenticated(&state.config, request, &body) {
        return Scripted::json_value(
            401,
            &json!({
                "error": "invalid_client",
                "error_description": "Client authentication failed",
            }),
        );
    }

    let scope = param("scope");
    let lifetime = state.lifetime_secs();
    let token = lock(&state.tokens).issue(
        scope.unwrap_or(""),
        Duration::from_secs(lifetime),
        state.config.invalidate_previous,
    );
    let mut answer = json!({
        "access_token": token,
        "expires_in": lifetime,
        "token_type": "Bearer",
    });
    if let Some(scope) = scope {
        answer["scope"] = json!(scope);
    }
    Scripted::json_value(200, &answer)
}

/// Whether the body is `application/x-www-form-urlencoded` (parameters may be present after `;`).
fn is_form(request: &RecordedRequest) -> bool {
    request.header("content-type").is_some_and(|value| {
        let media_type = value.split(';').next().unwrap_or("").trim();
        media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded")
    })
}

/// Whether the request carries the configured credentials in a form `config.client_auth` allows.
fn client_authenticated(
    config: &ServerConfig,
    request: &RecordedRequest,
    body: &[(String, String)],
) -> bool {
    let basic = basic_credentials(request);
    let basic_is = |expected: String| basic.as_deref() == Some(expected.as_bytes());
    let raw = || basic_is(format!("{}:{}", config.client_id, config.client_secret));
    // A space may come as `+` (the form encoding) or `%20` (what percent-decoders such as
    // authlib's `unquote` need); form decoders accept both.
    let urlencoded = || {
        let (id, secret) = (
            form::encode(&config.client_id),
            form::encode(&config.client_secret),
        );
        basic_is(format!("{id}:{secret}"))
            || basic_is(format!(
                "{}:{}",
                id.replace('+', "%20"),
                secret.replace('+', "%20")
            ))
    };
    let post = || {
        form::get(body, "client_id") == Some(config.client_id.as_str())
            && form::get(body, "client_secret") == Some(config.client_secret.as_str())
    };
    match config.client_auth {
        ClientAuth::Basic => raw(),
        ClientAuth::BasicUrlencoded => urlencoded(),
        ClientAuth::Post => post(),
        ClientAuth::Any => raw() || urlencoded() || post(),
    }
}

/// The decoded bytes of an `Authorization: Basic …` header, if there is a valid one.
fn basic_credentials(request: &RecordedRequest) -> Option<Vec<u8>> {
    let (scheme, encoded) = request.header("authorization")?.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    STANDARD.decode(encoded.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_invalidation_is_per_scope() {
        let mut store = TokenStore::default();
        let hour = Duration::from_secs(3600);
        let a1 = store.issue("a", hour, true);
        let b1 = store.issue("b", hour, true);
        let a2 = store.issue("a", hour, true);
        assert_ne!(a1, a2);
        assert!(!store.is_valid(&a1));
        assert!(store.is_valid(&b1));
        assert!(store.is_valid(&a2));
        assert!(!store.is_valid("tok-unknown"));
    }

    #[test]
    fn zero_lifetime_expires_at_once_and_huge_lifetime_never() {
        let mut store = TokenStore::default();
        let gone = store.issue("", Duration::ZERO, false);
        let forever = store.issue("", Duration::from_secs(u64::MAX), false);
        assert!(!store.is_valid(&gone));
        assert!(store.is_valid(&forever));
        store.revoke_all();
        assert!(!store.is_valid(&forever));
    }
}
