//! `issuer` instead of `auth_endpoint`: the token endpoint read from the issuer's RFC 8414
//! metadata, the well-known URLs tried in order, the document's `issuer` checked exactly, and
//! the endpoint held for the client's life.

mod support;

use lucidauth::{Client, CredentialsBuilder, ErrorKind, ManualClock};
use lucidauth_testserver::{
    ClientAuth as ServerAuth, ClientKey, Metadata, RequestKind, Scripted, ServerConfig, TestServer,
};
use std::sync::Arc;
use std::time::Duration;
use support::server_with;

fn metadata_server(metadata: Metadata) -> TestServer {
    server_with(ServerConfig {
        metadata: Some(metadata),
        ..ServerConfig::default()
    })
}

fn with_path(path: &str) -> Metadata {
    Metadata {
        issuer_path: path.to_string(),
        ..Metadata::default()
    }
}

fn issuer_builder(issuer: &str) -> CredentialsBuilder {
    let mut b = CredentialsBuilder::new();
    b.set("client_id", "CLIENT_ID").unwrap();
    b.set("client_secret", "CLIENT_SECRET").unwrap();
    b.set("issuer", issuer).unwrap();
    b.set("max_retries", "1").unwrap();
    b.set("retry_backoff_ms", "1").unwrap();
    b
}

/// The paths of the requests of `kind`, in order.
fn paths(server: &TestServer, kind: RequestKind) -> Vec<String> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.kind == kind)
        .map(|r| r.path)
        .collect()
}

#[test]
fn an_issuer_with_a_path_is_found_at_the_rfc8414_url_once_for_the_clients_life() {
    let server = metadata_server(with_path("/oauth2/abc"));
    let issuer = server.issuer();
    assert_eq!(issuer, format!("{}/oauth2/abc", server.base_url()));
    let client = Client::new(issuer_builder(&issuer).build().unwrap()).unwrap();
    client.access_token(None).unwrap();
    client.access_token(Some("other")).unwrap();
    assert_eq!(
        paths(&server, RequestKind::Metadata),
        ["/.well-known/oauth-authorization-server/oauth2/abc"]
    );
    assert_eq!(
        paths(&server, RequestKind::Token),
        ["/oauth2/abc/v1/token", "/oauth2/abc/v1/token"]
    );
    let metadata = &server.requests()[0];
    assert_eq!(metadata.method, "GET");
    assert_eq!(metadata.header("Accept"), Some("application/json"));
}

#[test]
fn the_older_and_the_openid_forms_are_tried_next_in_order() {
    for (form, expected) in [
        (
            Metadata {
                rfc8414: false,
                ..with_path("/oauth2/abc")
            },
            &[
                "/.well-known/oauth-authorization-server/oauth2/abc",
                "/oauth2/abc/.well-known/oauth-authorization-server",
            ][..],
        ),
        (
            Metadata {
                rfc8414: false,
                path_suffix: false,
                ..with_path("/oauth2/abc")
            },
            &[
                "/.well-known/oauth-authorization-server/oauth2/abc",
                "/oauth2/abc/.well-known/oauth-authorization-server",
                "/oauth2/abc/.well-known/openid-configuration",
            ][..],
        ),
    ] {
        let server = metadata_server(form);
        let client = Client::new(issuer_builder(&server.issuer()).build().unwrap()).unwrap();
        client.access_token(None).unwrap();
        assert_eq!(paths(&server, RequestKind::Metadata), expected);
        assert_eq!(server.token_requests(), 1);
    }
}

#[test]
fn an_issuer_at_the_origin_reads_the_origins_documents() {
    let server = metadata_server(Metadata {
        rfc8414: false,
        path_suffix: false,
        ..Metadata::default()
    });
    assert_eq!(server.issuer(), server.base_url());
    let client = Client::new(issuer_builder(&server.issuer()).build().unwrap()).unwrap();
    client.access_token(None).unwrap();
    assert_eq!(
        paths(&server, RequestKind::Metadata),
        [
            "/.well-known/oauth-authorization-server",
            "/.well-known/openid-configuration"
        ]
    );
    assert_eq!(paths(&server, RequestKind::Token), ["/oauth2/token"]);
}

#[test]
fn a_document_for_another_issuer_is_refused_and_no_token_is_asked_for() {
    let server = metadata_server(Metadata {
        served_issuer: Some("https://evil.example.com/oauth2/abc".to_string()),
        ..with_path("/oauth2/abc")
    });
    let issuer = server.issuer();
    let client = Client::new(issuer_builder(&issuer).build().unwrap()).unwrap();
    let e = client.access_token(None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert_eq!(
        e.message(),
        format!(
            "issuer metadata {}/.well-known/oauth-authorization-server/oauth2/abc is for issuer 'https://evil.example.com/oauth2/abc', not the configured '{issuer}': refused (RFC 8414 §3.3)",
            server.base_url()
        )
    );
    assert_eq!(server.token_requests(), 0);
    // A trailing slash is another issuer too: compared exactly.
    let slash = Client::new(issuer_builder(&format!("{issuer}/")).build().unwrap()).unwrap();
    assert_eq!(
        slash.access_token(None).unwrap_err().kind(),
        ErrorKind::Config
    );
}

#[test]
fn the_named_token_endpoint_obeys_the_transport_rules() {
    let server = metadata_server(Metadata {
        token_endpoint: Some("http://auth.example.com/oauth2/token".to_string()),
        ..with_path("/oauth2/abc")
    });
    let client = Client::new(issuer_builder(&server.issuer()).build().unwrap()).unwrap();
    let e = client.access_token(None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InsecureUrl, "{e}");
    assert!(e.message().contains("token_endpoint"), "{e}");
    assert_eq!(server.token_requests(), 0);
}

#[test]
fn no_metadata_anywhere_names_every_url_tried() {
    let server = support::server();
    let issuer = format!("{}/oauth2/abc", server.base_url());
    let client = Client::new(issuer_builder(&issuer).build().unwrap()).unwrap();
    let e = client.access_token(None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    let base = server.base_url();
    assert_eq!(
        e.message(),
        format!("issuer {issuer}: no metadata at {base}/.well-known/oauth-authorization-server/oauth2/abc, {issuer}/.well-known/oauth-authorization-server, {issuer}/.well-known/openid-configuration")
    );
    assert_eq!(server.metadata_requests(), 3);
}

#[test]
fn a_failing_metadata_server_is_retried_then_the_error_kept() {
    let server = metadata_server(with_path("/oauth2/abc"));
    server.push_metadata_response(Scripted::json(503, "{}"));
    let client = Client::new(issuer_builder(&server.issuer()).build().unwrap()).unwrap();
    client.access_token(None).unwrap();
    assert_eq!(server.metadata_requests(), 2, "one retry after the 503");
    for _ in 0..2 {
        server.push_metadata_response(Scripted::json(503, "{}"));
    }
    let other = Client::new(issuer_builder(&server.issuer()).build().unwrap()).unwrap();
    let e = other.access_token(None).unwrap_err();
    assert_eq!(
        (e.kind(), e.http_status()),
        (ErrorKind::TokenEndpoint, Some(503))
    );
}

#[test]
fn issuer_and_auth_endpoint_are_one_or_the_other() {
    let mut b = issuer_builder("https://auth.example.com/oauth2/abc");
    b.set("auth_endpoint", "https://auth.example.com").unwrap();
    let e = b.build().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.message().contains("not both"), "{e}");
    let e = CredentialsBuilder::new()
        .set("issuer", "https://auth.example.com/a?b=c")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    let plain = issuer_builder("http://auth.example.com/oauth2/abc").build();
    assert_eq!(plain.unwrap_err().kind(), ErrorKind::InsecureUrl);
}

#[test]
fn a_key_clients_assertion_is_for_the_discovered_token_endpoint() {
    let keys = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/keys");
    let public = std::fs::read_to_string(keys.join("ec_p256.pub.pem")).unwrap();
    let server = server_with(ServerConfig {
        client_auth: ServerAuth::PrivateKeyJwt,
        client_keys: ClientKey::parse(&public).unwrap(),
        metadata: Some(with_path("/oauth2/abc")),
        ..ServerConfig::default()
    });
    let mut b = CredentialsBuilder::new();
    b.set("client_id", "CLIENT_ID").unwrap();
    b.set("issuer", &server.issuer()).unwrap();
    b.set("client_auth", "private_key_jwt").unwrap();
    b.set(
        "client_key_file",
        keys.join("ec_p256.pem").to_str().unwrap(),
    )
    .unwrap();
    let client = Client::new(b.build().unwrap()).unwrap();
    client.access_token(None).unwrap();
    let token = server
        .requests()
        .into_iter()
        .find(|r| r.kind == RequestKind::Token)
        .unwrap();
    let jwt = token.client_assertion().unwrap();
    assert_eq!(
        jwt.claims["aud"],
        format!("{}/v1/token", server.issuer()).as_str()
    );
    assert_eq!(token.outcome.unwrap().status, 200);
}

/// `issuer_builder` sharing tokens in `dir`.
fn sharing_builder(issuer: &str, dir: &support::TempDir) -> CredentialsBuilder {
    let mut b = issuer_builder(issuer);
    b.set("use_cache", "true").unwrap();
    b.set("cache_dir", dir.0.to_str().unwrap()).unwrap();
    b
}

#[test]
fn the_discovered_token_endpoint_is_kept_in_the_shared_cache_for_the_other_processes() {
    let server = metadata_server(with_path("/oauth2/abc"));
    let dir = support::TempDir::new("kept-endpoint");
    let b = sharing_builder(&server.issuer(), &dir);
    let first = Client::new(b.build().unwrap()).unwrap();
    first.access_token(None).unwrap();
    // Another process of the same credentials asks for another scope: a token request to the
    // kept endpoint, and no metadata read.
    let second = Client::new(b.build().unwrap()).unwrap();
    second.access_token(Some("other")).unwrap();
    assert_eq!(server.metadata_requests(), 1);
    assert_eq!(
        paths(&server, RequestKind::Token),
        ["/oauth2/abc/v1/token", "/oauth2/abc/v1/token"]
    );
}

#[test]
fn a_kept_token_endpoint_is_read_again_after_a_day() {
    let server = metadata_server(with_path("/oauth2/abc"));
    let dir = support::TempDir::new("kept-endpoint-day");
    let b = sharing_builder(&server.issuer(), &dir);
    let clock = Arc::new(ManualClock::new());
    let client =
        |clock: &Arc<ManualClock>| Client::with_clock(b.build().unwrap(), clock.clone()).unwrap();
    client(&clock).access_token(Some("a")).unwrap();
    clock.advance(Duration::from_secs(24 * 3600 - 1));
    client(&clock).access_token(Some("b")).unwrap();
    assert_eq!(
        server.metadata_requests(),
        1,
        "still fresh a second before the day ends"
    );
    clock.advance(Duration::from_secs(2));
    client(&clock).access_token(Some("c")).unwrap();
    assert_eq!(server.metadata_requests(), 2);
}

#[test]
fn a_kept_token_endpoint_of_other_credentials_is_not_used() {
    let server = metadata_server(with_path("/oauth2/abc"));
    let dir = support::TempDir::new("kept-endpoint-foreign");
    let b = sharing_builder(&server.issuer(), &dir);
    Client::new(b.build().unwrap())
        .unwrap()
        .access_token(None)
        .unwrap();
    // The same client id and issuer with another secret cannot read (or have made) the entry.
    let mut other = b.clone();
    other.set("client_secret", "ANOTHER_SECRET").unwrap();
    let _refused = Client::new(other.build().unwrap())
        .unwrap()
        .access_token(Some("other"));
    assert_eq!(server.metadata_requests(), 2);
}
