//! TLS is always verified: a server whose certificate chains to no trusted root is refused, and
//! accepted once its CA is in `ca_file`.

mod support;

use lucidauth::{Client, CredentialsBuilder, ErrorKind};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use std::io::{Read, Write};
use std::net::TcpListener;
use support::tls_proxy::TlsServer;
use support::TempDir;

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
    let server = TlsServer::start();
    let e = Client::new(builder(&server.url).build().unwrap())
        .unwrap()
        .access_token(None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Tls, "{}", e.message());
    assert!(
        e.message()
            .contains("invalid peer certificate: UnknownIssuer"),
        "{}",
        e.message()
    );
    assert_eq!(server.requests(), 0, "no request was sent");
}

#[test]
fn the_ca_in_ca_file_is_trusted() {
    let server = TlsServer::start();
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

/// A server that speaks only TLS 1.2 (corporate proxies, older gateways) is reached too: the
/// library's rustls has TLS 1.2 and 1.3, whatever else is built beside it.
#[test]
fn a_tls_1_2_server_is_reached() {
    let ca = support::ca::TestCa::new();
    let server = TlsServer::start_with_config(&ca, ca.server_config_tls12());
    let dir = TempDir::new("tls12");
    let ca_file = dir.write("ca.pem", &server.ca_pem);
    let mut b = builder(&server.url);
    b.set("ca_file", ca_file.to_str().unwrap()).unwrap();
    let token = Client::new(b.build().unwrap())
        .unwrap()
        .access_token(None)
        .unwrap_or_else(|e| panic!("{e}"));
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

/// A self-signed server certificate in `ca_file`, as the README describes: rustls accepts one
/// without the CA flag as its own root, but not a CA certificate (`CA:TRUE`, what
/// `openssl req -x509` makes) served as the server's own.
#[test]
fn a_self_signed_leaf_in_ca_file() {
    for (is_ca, expected) in [
        (IsCa::NoCa, None),
        (IsCa::ExplicitNoCa, None),
        (
            IsCa::Ca(BasicConstraints::Unconstrained),
            Some("CaUsedAsEndEntity"),
        ),
    ] {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
        params.is_ca = is_ca;
        let cert = params.self_signed(&key).unwrap();
        let config = support::ca::server_config(&cert, &key);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("https://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let Ok(conn) = rustls::ServerConnection::new(config.clone()) else {
                    return;
                };
                let mut tls = rustls::StreamOwned::new(conn, stream);
                let mut buf = [0u8; 4096];
                if tls.read(&mut buf).unwrap_or(0) == 0 {
                    continue;
                }
                let body = r#"{"access_token":"t","expires_in":3600}"#;
                let _ = write!(
                    tls,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                tls.conn.send_close_notify();
                let _ = tls.flush();
            }
        });
        let dir = TempDir::new("tls");
        let mut b = builder(&url);
        b.set(
            "ca_file",
            dir.write("leaf.pem", &cert.pem()).to_str().unwrap(),
        )
        .unwrap();
        b.set("max_retries", "0").unwrap();
        let outcome = Client::new(b.build().unwrap()).unwrap().access_token(None);
        match expected {
            None => assert!(outcome.is_ok(), "{:?}", outcome.err()),
            Some(word) => {
                let e = outcome.unwrap_err();
                assert_eq!(e.kind(), ErrorKind::Tls, "{}", e.message());
                assert!(e.message().contains(word), "{}", e.message());
            }
        }
    }
}
