//! The API: bearer token and api key checks, the echo, redirects, expiry, revocation, scripted
//! responses, and the server's lifecycle.

mod support;

use std::net::TcpStream;
use std::thread;
use std::time::Duration;

use lucidauth_testserver::{RequestKind, Scripted, ServerConfig};
use serde_json::json;
use support::{api_get, get, send, start, token};

const GRANT: &str = "grant_type=client_credentials";

#[test]
fn without_a_valid_token_the_api_answers_401() {
    let server = start(ServerConfig::default());
    for authorization in [None, Some("Bearer tok-unknown"), Some("Basic abc")] {
        let headers: Vec<(&str, &str)> = authorization
            .map(|value| vec![("Authorization", value), ("x-api-key", "API_KEY")])
            .unwrap_or_default();
        let response = get(server.port(), "/v1/documents", &headers);
        assert_eq!(response.status, 401);
        assert_eq!(response.header("content-type"), Some("application/json"));
        assert_eq!(response.json(), json!({"message": "Unauthorized"}));
    }
    assert_eq!(server.api_requests(), 3);
}

#[test]
fn without_the_api_key_the_api_answers_403() {
    let server = start(ServerConfig::default());
    let bearer = format!("Bearer {}", token(&server, GRANT));
    let wrong = get(
        server.port(),
        "/v1/documents",
        &[("Authorization", &bearer), ("x-api-key", "WRONG")],
    );
    assert_eq!(wrong.status, 403);
    assert_eq!(wrong.json(), json!({"message": "Forbidden"}));
    let missing = get(
        server.port(),
        "/v1/documents",
        &[("Authorization", &bearer)],
    );
    assert_eq!(missing.status, 403);

    let keyless = start(ServerConfig {
        api_key: None,
        ..ServerConfig::default()
    });
    let bearer = format!("Bearer {}", token(&keyless, GRANT));
    let response = get(
        keyless.port(),
        "/v1/documents",
        &[("Authorization", &bearer)],
    );
    assert_eq!(response.status, 200);
}

#[test]
fn echoes_the_request_and_records_it() {
    let server = start(ServerConfig::default());
    let bearer = format!("Bearer {}", token(&server, GRANT));
    let headers = [
        ("Authorization", bearer.as_str()),
        ("X-Api-Key", "API_KEY"),
        ("X-Custom", "one"),
        ("x-custom", "two"),
        ("Content-Type", "application/json"),
    ];
    let body = "{\"name\":\"é\"}";
    let response = send(
        server.port(),
        "PATCH",
        "/v1/documents/d1?a=1&b=x%20y",
        &headers,
        body.as_bytes(),
    );
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let echo = response.json();
    assert_eq!(echo["method"], json!("PATCH"));
    assert_eq!(echo["path"], json!("/v1/documents/d1"));
    assert_eq!(echo["query"], json!("a=1&b=x%20y"));
    assert_eq!(echo["body"], json!(body));
    assert_eq!(echo["headers"]["x-api-key"], json!("API_KEY"));
    assert_eq!(echo["headers"]["x-custom"], json!("one, two"));
    assert_eq!(echo["headers"]["authorization"], json!(bearer));

    let recorded = server.requests().pop().expect("recorded");
    assert_eq!(recorded.kind, RequestKind::Api);
    assert_eq!(recorded.method, "PATCH");
    assert_eq!(recorded.query, "a=1&b=x%20y");
    assert_eq!(recorded.body, body.as_bytes());
    assert_eq!(recorded.header("x-custom"), Some("one"));
    assert_eq!(recorded.header_count("X-CUSTOM"), 2);
    assert!(recorded.headers.iter().any(|(name, _)| name == "X-Api-Key"));
}

#[test]
fn a_redirect_path_answers_302_to_elsewhere() {
    let server = start(ServerConfig::default());
    let token = token(&server, GRANT);
    let response = api_get(&server, "/v1/redirect", &token);
    assert_eq!(response.status, 302);
    let location = format!("{}/elsewhere", server.base_url());
    assert_eq!(response.header("location"), Some(location.as_str()));
    assert!(response.body.is_empty());
}

#[test]
fn tokens_expire_after_their_lifetime() {
    let server = start(ServerConfig::default());
    server.set_token_lifetime(1);
    let response = send(
        server.port(),
        "POST",
        &format!("/oauth2/token?{GRANT}"),
        &[("Authorization", support::DEFAULT_BASIC)],
        b"",
    );
    assert_eq!(response.json()["expires_in"], json!(1));
    let token = response.json()["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    assert_eq!(api_get(&server, "/v1/x", &token).status, 200);
    thread::sleep(Duration::from_millis(1100));
    assert_eq!(api_get(&server, "/v1/x", &token).status, 401);
}

#[test]
fn revoked_tokens_are_refused() {
    let server = start(ServerConfig::default());
    let old = token(&server, GRANT);
    server.revoke_all();
    assert_eq!(api_get(&server, "/v1/x", &old).status, 401);
    let new = token(&server, GRANT);
    assert_eq!(api_get(&server, "/v1/x", &new).status, 200);
}

#[test]
fn a_scripted_api_response_is_sent_once() {
    let server = start(ServerConfig::default());
    server.push_api_response(Scripted::json(429, "not json at all"));
    let token = token(&server, GRANT);
    let first = api_get(&server, "/v1/x", &token);
    assert_eq!(first.status, 429);
    assert_eq!(first.text(), "not json at all");
    assert_eq!(api_get(&server, "/v1/x", &token).status, 200);
    assert_eq!(server.api_requests(), 2);
}

#[test]
fn dropping_the_server_frees_the_port() {
    let server = start(ServerConfig::default());
    let port = server.port();
    assert_eq!(server.base_url(), format!("http://127.0.0.1:{port}"));
    assert_eq!(get(port, "/v1/x", &[]).status, 401);
    drop(server);
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
}
