//! Authorized API calls as the server receives them, the 401 renewal, redirects and origins.

mod support;

use lucidauth::{Client, ErrorKind};
use lucidauth_testserver::{RequestKind, Scripted, ServerConfig};
use serde_json::Value;
use support::*;

#[test]
fn a_request_carries_api_key_bearer_headers_and_body() {
    let server = server();
    let client = Client::new(credentials_for(&server)).unwrap();
    let response = client
        .request(
            "POST",
            "/documents?x=1",
            &[("Content-Type", "application/json"), ("X-Trace", "abc")],
            br#"{"a":1}"#,
        )
        .unwrap();
    assert_eq!(response.status(), 200);
    let echo: Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["path"], "/v1/documents");
    assert_eq!(echo["query"], "x=1");
    assert_eq!(echo["body"], r#"{"a":1}"#);
    let api = server
        .requests()
        .into_iter()
        .find(|r| r.kind == RequestKind::Api)
        .unwrap();
    let token = client.access_token(None).unwrap();
    assert_eq!(api.header("x-api-key"), Some("API_KEY"));
    assert_eq!(
        api.header("Authorization"),
        Some(format!("Bearer {}", token.secret()).as_str())
    );
    assert_eq!(
        api.header("User-Agent"),
        Some(concat!("lucidauth/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(api.header("X-Trace"), Some("abc"));
    assert_eq!(api.header("Content-Type"), Some("application/json"));
    assert_eq!(api.header_count("Authorization"), 1);
    assert_eq!(response.header("content-type"), Some("application/json"));
}

/// Every official SDK sends its bodies as JSON with `Content-Type: application/json`: a body with
/// no type of the caller's gets it; a caller's type wins; a request without a body gets none.
#[test]
fn a_body_without_a_type_is_sent_as_json() {
    let server = server();
    let client = Client::new(credentials_for(&server)).unwrap();
    client
        .request("POST", "/datasets", &[], br#"{"name":"x"}"#)
        .unwrap();
    client
        .request("POST", "/datasets", &[("content-type", "text/csv")], b"a,b")
        .unwrap();
    client.request("GET", "/datasets", &[], b"").unwrap();
    let api: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.kind == RequestKind::Api)
        .collect();
    assert_eq!(api[0].header("Content-Type"), Some("application/json"));
    assert_eq!(api[0].header_count("Content-Type"), 1);
    assert_eq!(api[1].header("Content-Type"), Some("text/csv"));
    assert_eq!(api[1].header_count("Content-Type"), 1);
    assert_eq!(api[2].header_count("Content-Type"), 0);
}

#[test]
fn no_api_key_no_header() {
    let server = server_with(ServerConfig {
        api_key: None,
        ..ServerConfig::default()
    });
    let mut b = lucidauth::CredentialsBuilder::new();
    b.set("client_id", "CLIENT_ID")
        .unwrap()
        .set("client_secret", "CLIENT_SECRET")
        .unwrap();
    b.set("auth_endpoint", &server.base_url()).unwrap();
    b.set("api_endpoint", &server.base_url()).unwrap();
    let client = Client::new(b.build().unwrap()).unwrap();
    assert_eq!(client.request("GET", "/x", &[], b"").unwrap().status(), 200);
    let api = server
        .requests()
        .into_iter()
        .find(|r| r.kind == RequestKind::Api)
        .unwrap();
    assert_eq!(api.header_count("x-api-key"), 0);
}

#[test]
fn a_401_gets_one_new_token_and_one_resend() {
    let server = server();
    let client = Client::new(credentials_for(&server)).unwrap();
    let old = client.access_token(None).unwrap();
    server.revoke_all();
    let response = client.request("GET", "/documents", &[], b"").unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(server.token_requests(), 2);
    assert_eq!(server.api_requests(), 2);
    let new = client.access_token(None).unwrap();
    assert_ne!(old.secret(), new.secret());
    let api: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.kind == RequestKind::Api)
        .collect();
    assert_eq!(
        api[0].header("Authorization"),
        Some(format!("Bearer {}", old.secret()).as_str())
    );
    assert_eq!(
        api[1].header("Authorization"),
        Some(format!("Bearer {}", new.secret()).as_str())
    );
}

#[test]
fn a_second_401_is_returned_to_the_caller() {
    let server = server();
    let client = Client::new(credentials_for(&server)).unwrap();
    server.push_api_response(Scripted::json(401, r#"{"message":"no"}"#));
    server.push_api_response(Scripted::json(401, r#"{"message":"still no"}"#));
    let response = client.request("GET", "/documents", &[], b"").unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.body(), br#"{"message":"still no"}"#);
    assert_eq!(server.token_requests(), 2);
    assert_eq!(server.api_requests(), 2);
}

#[test]
fn redirects_are_not_followed() {
    let server = server();
    let client = Client::new(credentials_for(&server)).unwrap();
    let response = client.request("GET", "/redirect", &[], b"").unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(
        response.header("location"),
        Some(format!("{}/elsewhere", server.base_url()).as_str())
    );
    assert_eq!(server.api_requests(), 1);
}

#[test]
fn another_origin_is_refused_before_sending() {
    let server = server();
    let other = support::server();
    let client = Client::new(credentials_for(&server)).unwrap();
    let e = client
        .request(
            "GET",
            &format!("{}/v1/documents", other.base_url()),
            &[],
            b"",
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InsecureUrl);
    assert_eq!(other.requests().len(), 0);
    assert_eq!(server.requests().len(), 0, "not even a token was fetched");
    let same = client
        .request(
            "GET",
            &format!("{}/v1/documents", server.base_url()),
            &[],
            b"",
        )
        .unwrap();
    assert_eq!(same.status(), 200);
}

#[test]
fn headers_the_library_owns_cannot_be_overridden() {
    let server = server();
    let client = Client::new(credentials_for(&server)).unwrap();
    for name in ["Authorization", "x-api-key", "Host"] {
        let e = client
            .request("GET", "/x", &[(name, "v")], b"")
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{name}");
    }
    assert_eq!(server.requests().len(), 0);
}

#[test]
fn refused_connection_is_a_transport_error_without_secrets() {
    let server = server();
    let creds = credentials_for(&server);
    drop(server);
    let e = Client::new(creds).unwrap().access_token(None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport);
    assert!(
        e.message()
            .starts_with("token request: POST http://127.0.0.1:"),
        "{}",
        e.message()
    );
    assert!(!e.message().contains("CLIENT_SECRET") && !e.message().contains("API_KEY"));
}

#[test]
fn a_relative_path_whose_query_holds_a_url_is_relative() {
    let server = server();
    let client = Client::new(credentials_for(&server)).unwrap();
    let response = client
        .request("GET", "/documents?next=http://example.com/", &[], b"")
        .unwrap();
    assert_eq!(response.status(), 200);
    let echo: Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(echo["path"], "/v1/documents");
    assert_eq!(echo["query"], "next=http://example.com/");
}
