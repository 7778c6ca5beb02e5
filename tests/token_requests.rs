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

/// A token endpoint that answers every request with a 400 whose `error_description` is the
/// request itself, head and body, as a careless server might.
fn echoing_server() -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(5)));
            let mut data = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
                    let length: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    if data.len() >= end + 4 + length {
                        break;
                    }
                }
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => data.extend_from_slice(&buf[..n]),
                }
            }
            let body = serde_json::json!({
                "error": "invalid_request",
                "error_description": String::from_utf8_lossy(&data),
            })
            .to_string();
            let _ = stream.write_all(
                format!(
                    "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            );
        }
    });
    url
}

#[test]
fn an_echoed_secret_is_redacted_in_every_encoding_for_every_client_auth() {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    let url = echoing_server();
    let (id, secret) = ("my id", "S3cr3t;# x~é");
    let forms = [
        secret.to_string(),
        "S3cr3t%3B%23+x%7E%C3%A9".to_string(), // form-encoded, as in a post body
        "S3cr3t%3B%23%20x%7E%C3%A9".to_string(), // the same with %20
        "S3cr3t%3B%23%20x~%C3%A9".to_string(), // percent-encoded (RFC 3986)
        STANDARD.encode(format!("{id}:{secret}")),
        STANDARD.encode("my+id:S3cr3t%3B%23+x%7E%C3%A9"),
    ];
    for auth in ["basic", "basic_urlencoded", "post"] {
        for params in ["query", "body"] {
            let mut b = lucidauth::CredentialsBuilder::new();
            b.set("client_id", id).unwrap();
            b.set("client_secret", secret).unwrap();
            b.set("auth_endpoint", &url).unwrap();
            b.set("api_endpoint", &url).unwrap();
            b.set("client_auth", auth).unwrap();
            b.set("token_params", params).unwrap();
            let e = Client::new(b.build().unwrap())
                .unwrap()
                .access_token(None)
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::CredentialsRejected);
            let description = e.oauth_error_description().unwrap_or_default();
            assert!(
                description.contains("POST /oauth2/token"),
                "the server echoed the request: {description}"
            );
            for form in &forms {
                assert!(
                    !e.message().contains(form.as_str()) && !description.contains(form.as_str()),
                    "{auth}/{params}: '{form}' in {description}"
                );
            }
        }
    }
}

#[test]
fn an_auth_endpoint_with_a_query_keeps_it_after_the_token_path() {
    let server = server();
    let mut b = builder_for(&server);
    b.set(
        "auth_endpoint",
        &format!("{}?tenant=acme", server.base_url()),
    )
    .unwrap();
    b.set("scope", "a b").unwrap();
    fetch_once(&b);
    let r = only_token_request(&server);
    assert_eq!(r.path, "/oauth2/token");
    assert_eq!(
        r.query,
        "tenant=acme&grant_type=client_credentials&scope=a+b"
    );

    let mut b = builder_for(&server);
    let e = b
        .set(
            "auth_endpoint",
            &format!("{}/oauth2/token#x", server.base_url()),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("fragment"), "{}", e.message());
}
