//! `ServerConfig::tls`: HTTPS with a certificate from the server's own CA, for 127.0.0.1 and
//! localhost, and nothing in plain text.

mod support;

use std::io::{BufReader, Read, Write};

use lucidauth_testserver::ServerConfig;
use serde_json::json;
use support::{read_response, send_tls, start, tls_stream, DEFAULT_BASIC};

fn tls_server() -> lucidauth_testserver::TestServer {
    start(ServerConfig {
        tls: true,
        ..ServerConfig::default()
    })
}

#[test]
fn serves_tokens_and_the_api_over_https_to_both_names() {
    let server = tls_server();
    let ca = server.ca_pem().expect("a CA with TLS");
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"), "{ca}");
    assert_eq!(
        server.base_url(),
        format!("https://127.0.0.1:{}", server.port())
    );

    let target = "/oauth2/token?grant_type=client_credentials";
    let auth = [("Authorization", DEFAULT_BASIC)];
    let token = send_tls(server.port(), ca, "127.0.0.1", "POST", target, &auth, b"");
    assert_eq!(token.status, 200, "{}", token.text());
    assert_eq!(token.header("connection"), Some("close"));
    let access_token = token.json()["access_token"]
        .as_str()
        .expect("token")
        .to_string();

    let bearer = format!("Bearer {access_token}");
    let headers = [("Authorization", bearer.as_str()), ("x-api-key", "API_KEY")];
    let api = send_tls(
        server.port(),
        ca,
        "localhost",
        "GET",
        "/v1/docs?x=1",
        &headers,
        b"",
    );
    assert_eq!(api.status, 200, "{}", api.text());
    assert_eq!(api.json()["path"], json!("/v1/docs"));
    assert_eq!(
        api.json()["headers"]["host"],
        json!(format!("localhost:{}", server.port()))
    );
    assert_eq!((server.token_requests(), server.api_requests()), (1, 1));
    assert_eq!(server.connections(), 2);
}

#[test]
fn a_client_without_the_ca_or_for_another_name_is_refused() {
    let server = tls_server();
    let other = tls_server();
    let wrong_ca = other.ca_pem().expect("CA");
    let error = tls_stream(server.port(), wrong_ca, "127.0.0.1")
        .expect_err("a certificate from another CA is refused");
    assert!(error.to_string().contains("UnknownIssuer"), "{error}");

    let ca = server.ca_pem().expect("CA");
    let error = tls_stream(server.port(), ca, "example.com")
        .expect_err("a name the certificate does not have is refused");
    assert!(
        error.to_string().ends_with(
            "certificate is only valid for IpAddress(127.0.0.1) or DnsName(\"localhost\")"
        ),
        "{error}"
    );
    assert_eq!(server.token_requests() + server.api_requests(), 0);
}

#[test]
fn plain_http_to_the_tls_port_gets_no_http_answer() {
    let server = tls_server();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", server.port())).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .expect("timeout");
    stream
        .write_all(b"GET /_admin/stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("write");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    assert!(
        !answer.starts_with(b"HTTP/"),
        "{:?}",
        String::from_utf8_lossy(&answer)
    );
    assert_eq!(server.requests().len(), 0);
}

#[test]
fn keep_alive_carries_several_requests_on_one_tls_connection() {
    let server = start(ServerConfig {
        tls: true,
        keep_alive: true,
        ..ServerConfig::default()
    });
    let ca = server.ca_pem().expect("CA");
    let mut stream = tls_stream(server.port(), ca, "127.0.0.1").expect("TLS");
    for n in 1..=3 {
        let request = format!(
            "POST /oauth2/token?grant_type=client_credentials HTTP/1.1\r\nHost: 127.0.0.1\r\n\
             Authorization: {DEFAULT_BASIC}\r\nContent-Length: 0\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).expect("write");
        let response = read_response(&mut BufReader::new(&mut stream));
        assert_eq!(response.status, 200, "request {n}");
        assert_eq!(response.header("connection"), Some("keep-alive"));
    }
    assert_eq!(server.token_requests(), 3);
    assert_eq!(server.connections(), 1);
    let stats = support::send_tls(
        server.port(),
        ca,
        "127.0.0.1",
        "GET",
        "/_admin/stats",
        &[],
        b"",
    );
    assert_eq!(
        stats.json(),
        json!({"token_requests": 3, "api_requests": 0, "connections": 1})
    );
}

#[test]
fn dropping_the_server_closes_its_port() {
    let server = tls_server();
    let port = server.port();
    drop(server);
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}
