//! The API: checks the access token (and its DPoP proof) and the api key, then echoes the request
//! back as JSON so tests can see exactly what the client sent.

use serde_json::{json, Map, Value};

use crate::record::{Outcome, RecordedRequest};
use crate::reject::{dpop_challenge, Rejection};
use crate::script::Scripted;
use crate::state::{lock, State};
use crate::{bytes, dpop};

/// Answers an API request that no scripted response took.
///
/// 401 without a valid token (and the DPoP refusals of [`dpop::at_api`]), 403 without the
/// configured api key, N bytes for any path ending in `/bytes/N` ([`bytes`]), 302 to
/// `<base_url>/elsewhere` for any path ending in `/redirect` (so tests can check the client does
/// not follow redirects), else 200 with the echo.
pub(crate) fn handle(state: &State, request: &RecordedRequest) -> (Scripted, Outcome) {
    let dpop_jkt = match authorize(state, request) {
        Ok(jkt) => jkt,
        Err(rejection) => return (rejection.api_reply(), rejection.outcome()),
    };
    if let Some(count) = bytes::requested(&request.path) {
        return bytes::reply(count, dpop_jkt);
    }
    let outcome = |status| Outcome {
        status,
        dpop_jkt: dpop_jkt.clone(),
        ..Outcome::default()
    };
    if request.path.ends_with("/redirect") {
        let mut redirect = Scripted::empty(302);
        let location = format!("{}/elsewhere", state.base_url);
        redirect.headers.push(("Location".to_string(), location));
        return (redirect, outcome(302));
    }
    (Scripted::json_value(200, &echo(request)), outcome(200))
}

/// The token (with its DPoP proof when it is bound or sent with the `DPoP` scheme), then the api
/// key. `Ok` carries the thumbprint of a verified proof.
fn authorize(state: &State, request: &RecordedRequest) -> Result<Option<String>, Rejection> {
    let (token, dpop_scheme) = presented_token(request).unwrap_or(("", false));
    let jkt = match lock(&state.tokens).valid(token) {
        Some(issued) => issued.jkt.clone(),
        None => {
            let rejection = Rejection {
                reason: "token_invalid",
                status: 401,
                error: None,
                description: "no valid access token".to_string(),
                headers: Vec::new(),
            };
            let description = "the access token is missing, unknown, expired or revoked";
            return Err(match dpop_scheme {
                true => rejection.with_header(
                    "WWW-Authenticate",
                    &dpop_challenge("invalid_token", description),
                ),
                false => rejection,
            });
        }
    };
    let verified = dpop::at_api(state, request, token, dpop_scheme, jkt.as_deref())?;
    if let Some(api_key) = &state.config.api_key {
        if request.header("x-api-key") != Some(api_key.as_str()) {
            return Err(Rejection {
                reason: "api_key",
                status: 403,
                error: None,
                description: "wrong or missing x-api-key".to_string(),
                headers: Vec::new(),
            });
        }
    }
    Ok(verified)
}

/// The token of an `Authorization: Bearer <token>` or `Authorization: DPoP <token>` header, and
/// whether the scheme is `DPoP` (schemes compare without case).
fn presented_token(request: &RecordedRequest) -> Option<(&str, bool)> {
    let (scheme, token) = request.header("authorization")?.split_once(' ')?;
    if scheme.eq_ignore_ascii_case("bearer") {
        Some((token.trim(), false))
    } else if scheme.eq_ignore_ascii_case("dpop") {
        Some((token.trim(), true))
    } else {
        None
    }
}

/// `{"method","path","query","body","headers":{lowercased name: value}}`. Repeated headers are
/// joined with `, ` as HTTP allows.
fn echo(request: &RecordedRequest) -> Value {
    let mut headers = Map::new();
    for (name, value) in &request.headers {
        let name = name.to_ascii_lowercase();
        let joined = match headers.get(&name).and_then(Value::as_str) {
            Some(earlier) => format!("{earlier}, {value}"),
            None => value.clone(),
        };
        headers.insert(name, Value::String(joined));
    }
    json!({
        "method": request.method,
        "path": request.path,
        "query": request.query,
        "body": request.body_text(),
        "headers": headers,
    })
}
