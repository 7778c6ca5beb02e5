//! The token request as the server receives it, byte for byte, for each configuration.

mod support;

use lucidauth::{Client, ErrorKind};
use lucidauth_testserver::{
    ClientAuth as ServerAuth, RecordedRequest, RequestKind, Scripted, ServerConfig,
};
use support::*;

fn only_token_request(
    server: &lucidauth_testserver::TestServer,
) -> lucidauth_testserver::RecordedRequest {
    let tokens: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.kind == RequestKind::Token)
        .collect();
    assert_eq!(tokens.len(), 1);
    tokens.into_iter().next().unwrap()
}

/// One token fetch with the credentials `b` makes.
fn fetch_once(b: &lucidauth::CredentialsBuilder) {
    Client::new(b.build().unwrap())
        .unwrap()
        .access_token(None)
        .unwrap();
}

#[test]
fn lucidtech_request_is_exact() {
    let server = server();
    let client = Client::new(credentials_for(&server)).unwrap();
    client.access_token(None).unwrap();
    let r = only_token_request(&server);
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/oauth2/token");
    assert_eq!(r.query, "grant_type=client_credentials");
    assert_eq!(r.body, b"");
    assert_eq!(
        r.header("Authorization"),
        Some("Basic Q0xJRU5UX0lEOkNMSUVOVF9TRUNSRVQ=")
    );
    assert_eq!(
        r.header("Content-Type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(r.header("Accept"), Some("application/json"));
    assert_eq!(r.header("Cache-Control"), Some("no-cache"));
    assert_eq!(
        r.header("User-Agent"),
        Some(concat!("lucidauth/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(
        r.header_count("x-api-key"),
        0,
        "the api key never goes to the token endpoint"
    );
    for name in ["Authorization", "Content-Type", "Accept", "Cache-Control"] {
        assert_eq!(r.header_count(name), 1, "{name} sent once");
    }
}

#[test]
fn lucidworks_request_keeps_the_full_url_and_sends_the_scope() {
    let server = server_with(ServerConfig {
        api_key: None,
        invalidate_previous: true,
        ..ServerConfig::default()
    });
    let mut b = lucidauth::CredentialsBuilder::new();
    b.set("client_id", "CLIENT_ID")
        .unwrap()
        .set("client_secret", "CLIENT_SECRET")
        .unwrap();
    b.set(
        "auth_endpoint",
        &format!("{}/oauth2/aus1abc/v1/token", server.base_url()),
    )
    .unwrap();
    b.set("api_endpoint", &format!("{}/ai", server.base_url()))
        .unwrap();
    b.set("scope", "machinelearning.predict").unwrap();
    let client = Client::new(b.build().unwrap()).unwrap();
    let response = client.request("GET", "/models", &[], b"").unwrap();
    assert_eq!(response.status(), 200);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let (t, api) = (&requests[0], &requests[1]);
    assert_eq!(
        (t.kind, t.path.as_str()),
        (RequestKind::Token, "/oauth2/aus1abc/v1/token")
    );
    assert_eq!(
        t.query,
        "grant_type=client_credentials&scope=machinelearning.predict"
    );
    assert_eq!(t.body, b"");
    assert_eq!(
        (api.kind, api.path.as_str()),
        (RequestKind::Api, "/ai/models")
    );
    assert_eq!(api.header_count("x-api-key"), 0);
    let token = client.access_token(None).unwrap();
    assert_eq!(
        api.header("Authorization"),
        Some(format!("Bearer {}", token.secret()).as_str())
    );
}

/// The token request a client with the default test credentials plus `keys` sends to a server
/// started with `config`.
fn token_request_with(config: ServerConfig, keys: &[(&str, &str)]) -> RecordedRequest {
    let server = server_with(config);
    let mut b = builder_for(&server);
    for (key, value) in keys {
        b.set(key, value).unwrap();
    }
    fetch_once(&b);
    only_token_request(&server)
}

fn server_expecting(auth: ServerAuth, id: &str, secret: &str) -> ServerConfig {
    ServerConfig {
        client_id: id.into(),
        client_secret: secret.into(),
        client_auth: auth,
        ..ServerConfig::default()
    }
}

#[test]
fn basic_urlencoded_encodes_id_and_secret_first() {
    let config = server_expecting(
        ServerAuth::BasicUrlencoded,
        "CLIENT_ID??",
        "CLIENT_SECRET??",
    );
    let keys = [
        ("client_id", "CLIENT_ID??"),
        ("client_secret", "CLIENT_SECRET??"),
        ("client_auth", "basic_urlencoded"),
    ];
    let r = token_request_with(config, &keys);
    assert_eq!(
        r.header("Authorization"),
        Some("Basic Q0xJRU5UX0lEJTNGJTNGOkNMSUVOVF9TRUNSRVQlM0YlM0Y=")
    );
}

/// authlib decodes the pair with `unquote`, which keeps a `+`: a space goes as `%20`, which
/// form decoders (this test server's) read as a space too.
#[test]
fn basic_urlencoded_sends_a_space_as_percent_20() {
    let config = server_expecting(ServerAuth::BasicUrlencoded, "my id", "a secret+");
    let keys = [
        ("client_id", "my id"),
        ("client_secret", "a secret+"),
        ("client_auth", "basic_urlencoded"),
    ];
    let r = token_request_with(config, &keys);
    // base64("my%20id:a%20secret%2B")
    assert_eq!(
        r.header("Authorization"),
        Some("Basic bXklMjBpZDphJTIwc2VjcmV0JTJC")
    );
}

#[test]
fn plain_basic_sends_id_and_secret_as_given() {
    let config = server_expecting(ServerAuth::Basic, "CLIENT_ID??", "CLIENT_SECRET??");
    let r = token_request_with(
        config,
        &[
            ("client_id", "CLIENT_ID??"),
            ("client_secret", "CLIENT_SECRET??"),
        ],
    );
    // base64("CLIENT_ID??:CLIENT_SECRET??")
    assert_eq!(
        r.header("Authorization"),
        Some("Basic Q0xJRU5UX0lEPz86Q0xJRU5UX1NFQ1JFVD8/")
    );
}

#[test]
fn post_puts_id_and_secret_in_the_form_body() {
    let config = server_expecting(ServerAuth::Post, "CLIENT_ID", "CLIENT_SECRET");
    let r = token_request_with(config, &[("client_auth", "post"), ("scope", "a b")]);
    assert_eq!(r.query, "grant_type=client_credentials&scope=a+b");
    assert_eq!(r.body, b"client_id=CLIENT_ID&client_secret=CLIENT_SECRET");
    assert_eq!(r.header_count("Authorization"), 0);
    assert_eq!(
        r.header("Content-Type"),
        Some("application/x-www-form-urlencoded")
    );
}

#[test]
fn body_params_follow_rfc_6749() {
    let r = token_request_with(
        ServerConfig::default(),
        &[("token_params", "body"), ("scope", "machinelearning.model")],
    );
    assert_eq!(r.query, "");
    assert_eq!(
        r.body,
        b"grant_type=client_credentials&scope=machinelearning.model"
    );
    assert_eq!(
        r.header("Authorization"),
        Some("Basic Q0xJRU5UX0lEOkNMSUVOVF9TRUNSRVQ=")
    );
}

#[test]
fn body_params_with_post_auth_share_one_body() {
    let config = server_expecting(ServerAuth::Post, "CLIENT_ID", "CLIENT_SECRET");
    let r = token_request_with(config, &[("token_params", "body"), ("client_auth", "post")]);
    assert_eq!(
        r.body,
        b"client_id=CLIENT_ID&client_secret=CLIENT_SECRET&grant_type=client_credentials"
    );
}

#[test]
fn rejected_credentials_carry_the_oauth_error_and_no_secret() {
    let server = server();
    let mut b = builder_for(&server);
    b.set("client_secret", "WRONG_SECRET").unwrap();
    let e = Client::new(b.build().unwrap())
        .unwrap()
        .access_token(None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CredentialsRejected);
    assert_eq!(e.http_status(), Some(401));
    assert_eq!(e.oauth_error(), Some("invalid_client"));
    assert_eq!(
        e.message(),
        "token endpoint answered 401: invalid_client (Client authentication failed)"
    );
    assert_eq!(server.token_requests(), 1, "a rejection is not retried");
}

#[test]
fn a_server_echoing_the_secret_is_redacted() {
    let server = server();
    server.push_token_response(Scripted::json(
        400,
        r#"{"error":"invalid_request","error_description":"bad secret CLIENT_SECRET for CLIENT_ID"}"#,
    ));
    let e = Client::new(credentials_for(&server))
        .unwrap()
        .access_token(None)
        .unwrap_err();
    assert_eq!(
        e.oauth_error_description(),
        Some("bad secret <redacted> for CLIENT_ID")
    );
    assert!(!e.message().contains("CLIENT_SECRET"));
}

#[test]
fn access_token_for_another_scope_is_cached_apart() {
    let server = server();
    let client = Client::new(credentials_for(&server)).unwrap();
    let a = client
        .access_token(Some("machinelearning.predict"))
        .unwrap();
    let b = client.access_token(Some("machinelearning.model")).unwrap();
    let c = client
        .access_token(Some("machinelearning.predict"))
        .unwrap();
    assert_ne!(a.secret(), b.secret());
    assert_eq!(a.secret(), c.secret());
    let queries: Vec<String> = server.requests().into_iter().map(|r| r.query).collect();
    assert_eq!(
        queries,
        [
            "grant_type=client_credentials&scope=machinelearning.predict",
            "grant_type=client_credentials&scope=machinelearning.model"
        ]
    );
}
