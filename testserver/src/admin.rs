//! The `/_admin/` endpoints: the controls of [`TestServer`](crate::TestServer) over HTTP, for
//! users in other processes (shell scripts, the C test, the Go/C#/C++ binding tests). Admin
//! requests are neither counted nor recorded.

use serde_json::{json, Value};

use crate::record::RequestKind;
use crate::script::Scripted;
use crate::signer::random_b64url;
use crate::state::{lock, State};
use crate::{dpop, form};

/// Answers a request whose path starts with `/_admin/`.
pub(crate) fn handle(
    state: &State,
    method: &str,
    path: &str,
    query: &str,
    body: &[u8],
) -> Scripted {
    let done = match (method, path) {
        ("GET", "/_admin/stats") => {
            let mut stats = json!({
                "token_requests": state.count(RequestKind::Token),
                "api_requests": state.count(RequestKind::Api),
            });
            // Only with keep-alive, where it says something: otherwise each request has its own.
            if state.config.keep_alive {
                stats["connections"] = json!(state.connections());
            }
            // Only with metadata, so the stats of other servers keep their exact shape.
            if state.config.metadata.is_some() {
                stats["metadata_requests"] = json!(state.count(RequestKind::Metadata));
            }
            return Scripted::json_value(200, &stats);
        }
        ("GET", "/_admin/rejections") => {
            return Scripted::json_value(200, &json!(state.rejections()));
        }
        ("GET", "/_admin/dpop_nonce") => {
            return Scripted::json_value(200, &json!({ "nonce": state.dpop_nonce() }));
        }
        ("GET", "/_admin/jwks") => {
            return Scripted::json_value(200, &json!({ "keys": [state.signer.public_jwk()] }));
        }
        ("GET", "/_admin/requests") => {
            let requests: Vec<Value> = state.requests().iter().map(|r| r.to_json()).collect();
            return Scripted::json_value(200, &Value::Array(requests));
        }
        ("POST", "/_admin/reset") => {
            state.reset();
            Ok(())
        }
        ("POST", "/_admin/revoke") => {
            lock(&state.tokens).revoke_all();
            Ok(())
        }
        ("POST", "/_admin/lifetime") => set_lifetime(state, query),
        ("POST", "/_admin/dpop_nonce") => set_dpop_nonce(state, query),
        ("POST", "/_admin/clock") => set_clock(state, query),
        ("POST", "/_admin/script") => script(state, body),
        _ => return Scripted::json_value(404, &json!({"error": "no such admin endpoint"})),
    };
    match done {
        Ok(()) => Scripted::empty(204),
        Err(message) => Scripted::json_value(400, &json!({ "error": message })),
    }
}

/// `POST /_admin/lifetime?secs=N`: the lifetime of tokens issued from now on.
fn set_lifetime(state: &State, query: &str) -> Result<(), String> {
    let secs = form::get(&form::parse(query), "secs")
        .and_then(|secs| secs.parse().ok())
        .ok_or("expected ?secs=<seconds>")?;
    state.set_lifetime_secs(secs);
    Ok(())
}

/// `POST /_admin/dpop_nonce` demands a fresh random nonce in DPoP proofs from now on;
/// `POST /_admin/dpop_nonce?value=NONCE` demands `NONCE`. The previous nonce stops working.
fn set_dpop_nonce(state: &State, query: &str) -> Result<(), String> {
    let nonce = match form::get(&form::parse(query), "value") {
        Some(value) if dpop::valid_nonce(value) => value.to_string(),
        Some(_) => return Err("a DPoP nonce is visible ASCII other than \" and \\".to_string()),
        None => random_b64url(16)?,
    };
    state.set_dpop_nonce(nonce);
    Ok(())
}

/// `POST /_admin/clock?offset_secs=N`: the server's clock runs N seconds (may be negative) off the
/// system clock for time checks and JWT time claims.
fn set_clock(state: &State, query: &str) -> Result<(), String> {
    let offset = form::get(&form::parse(query), "offset_secs")
        .and_then(|secs| secs.parse().ok())
        .ok_or("expected ?offset_secs=<seconds>")?;
    state.set_clock_offset(offset);
    Ok(())
}

/// The most copies one `/_admin/script` call may queue, so a typo cannot exhaust memory.
const MAX_SCRIPT_COUNT: u64 = 10_000;

/// `POST /_admin/script` with
/// `{"target":"token"|"api"|"metadata","status":503,"body":"text","headers":{"Retry-After":"1"},"count":2}`:
/// queues `count` (default 1) copies of the response for the next requests of that target.
///
/// `body` (default empty) may be a string, sent as it is, or any other JSON value, sent as its JSON
/// text. Without a `Content-Type` header, one of `application/json` is added when the body is
/// valid JSON, so scripted OAuth error bodies look like real ones.
fn script(state: &State, body: &[u8]) -> Result<(), String> {
    let spec: Value = serde_json::from_slice(body).map_err(|e| format!("body is not JSON: {e}"))?;
    let target = match spec.get("target").and_then(Value::as_str) {
        Some("token") => RequestKind::Token,
        Some("api") => RequestKind::Api,
        Some("metadata") => RequestKind::Metadata,
        _ => return Err("target must be \"token\", \"api\" or \"metadata\"".to_string()),
    };
    let status = spec
        .get("status")
        .and_then(Value::as_u64)
        .and_then(|status| u16::try_from(status).ok())
        .filter(|status| (200..=599).contains(status))
        .ok_or("status must be a number from 200 to 599")?;
    let body = match spec.get("body") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    };
    let mut headers = Vec::new();
    if let Some(given) = spec.get("headers") {
        let given = given.as_object().ok_or("headers must be an object")?;
        for (name, value) in given {
            let value = value.as_str().ok_or("header values must be strings")?;
            headers.push((name.clone(), value.to_string()));
        }
    }
    let has_content_type = headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
    if !has_content_type && serde_json::from_str::<Value>(&body).is_ok() {
        headers.push(("Content-Type".to_string(), "application/json".to_string()));
    }
    let count = match spec.get("count") {
        None => 1,
        Some(count) => count
            .as_u64()
            .filter(|count| *count <= MAX_SCRIPT_COUNT)
            .ok_or(format!(
                "count must be a number from 0 to {MAX_SCRIPT_COUNT}"
            ))?,
    };

    let response = Scripted {
        status,
        headers,
        body: body.into_bytes(),
    };
    for _ in 0..count {
        state.push_script(target, response.clone());
    }
    Ok(())
}
