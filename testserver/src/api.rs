//! The API: checks the bearer token and the api key, then echoes the request back as JSON so
//! tests can see exactly what the client sent.

use serde_json::{json, Map, Value};

use crate::record::RecordedRequest;
use crate::script::Scripted;
use crate::state::{lock, State};

/// Answers an API request that no scripted response took.
///
/// 401 without a valid bearer token, 403 without the configured api key, 302 to
/// `<base_url>/elsewhere` for any path ending in `/redirect` (so tests can check the client does
/// not follow redirects), else 200 with the echo.
pub(crate) fn handle(state: &State, request: &RecordedRequest) -> Scripted {
    let token_ok = bearer_token(request).is_some_and(|token| lock(&state.tokens).is_valid(token));
    if !token_ok {
        return Scripted::json_value(401, &json!({"message": "Unauthorized"}));
    }
    if let Some(api_key) = &state.config.api_key {
        if request.header("x-api-key") != Some(api_key.as_str()) {
            return Scripted::json_value(403, &json!({"message": "Forbidden"}));
        }
    }
    if request.path.ends_with("/redirect") {
        let mut redirect = Scripted::empty(302);
        let location = format!("{}/elsewhere", state.base_url);
        redirect.headers.push(("Location".to_string(), location));
        return redirect;
    }
    Scripted::json_value(200, &echo(request))
}

/// The token of an `Authorization: Bearer <token>` header.
fn bearer_token(request: &RecordedRequest) -> Option<&str> {
    let (scheme, token) = request.header("authorization")?.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
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
