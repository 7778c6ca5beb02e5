//! TLS is always verified: a server whose certificate chains to no trusted root is refused, and
//! accepted once its CA is in `ca_file`.

mod support;

use lucidauth::{Client, CredentialsBuilder, ErrorKind};
use support::tls::TlsServer;
use support::TempDir;

fn tls_server() -> TlsServer {
    TlsServer::start()
}

fn builder(url: &str) -> CredentialsBuilder {
    let mut b = CredentialsBuilder::new();
    b.set("client_id", "CLIENT_ID")
        .unwrap()
        .set("client_secret", "CLIENT_SECRET")
        .unwrap();
    b.set("auth_endpoint", url)
        .unwrap()
        .set("api_endpoint", url)
        .unwrap();
    b.set("retry_backoff_ms", "1").unwrap();
    b
}

#[test]
fn an_unknown_issuer_is_refused_and_not_retried() {
    let server = tls_server();
    let e = Client::new(builder(&server.url).build().unwrap())
        .unwrap()
        .access_token(None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Tls, "{}", e.message());
    assert!(e.message().contains("certificate"), "{}", e.message());
    assert_eq!(server.requests(), 0, "no request was sent");
}

#[test]
fn the_ca_in_ca_file_is_trusted() {
    let server = tls_server();
    let dir = TempDir::new("tls");
    let ca = dir.write("ca.pem", &server.ca_pem);
    let mut b = builder(&server.url);
    b.set("ca_file", ca.to_str().unwrap()).unwrap();
    let token = Client::new(b.build().unwrap())
        .unwrap()
        .access_token(None)
        .unwrap();
    assert_eq!(token.secret(), "tls-token");
    assert_eq!(server.requests(), 1);
}

#[test]
fn a_ca_file_without_certificates_is_a_config_error() {
    let dir = TempDir::new("tls");
    let mut b = builder("https://127.0.0.1:1");
    b.set(
        "ca_file",
        dir.write("empty.pem", "not a pem\n").to_str().unwrap(),
    )
    .unwrap();
    let e = Client::new(b.build().unwrap()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    b.set("ca_file", "/nonexistent/ca.pem").unwrap();
    let e = Client::new(b.build().unwrap()).unwrap_err();
    assert!(
        e.message()
            .starts_with("ca_file /nonexistent/ca.pem: cannot read"),
        "{}",
        e.message()
    );
}
