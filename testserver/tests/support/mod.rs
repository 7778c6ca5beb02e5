//! A deliberately tiny HTTP/1.1 client for testing the server: requests are written byte by byte,
//! so the tests control exactly what goes over the wire, and responses are checked for exact
//! framing (`Content-Length` matches the body, nothing follows it).

#![allow(dead_code)] // each test binary uses a different part

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use lucidauth_testserver::{ServerConfig, TestServer};
use serde_json::Value;

pub mod jose;

/// A parsed response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text()))
    }
}

/// Sends one request (`Connection: close`) and reads the response.
pub fn send(
    port: u16,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let mut stream = connect(port);
    let host = format!("127.0.0.1:{port}");
    exchange(&mut stream, &host, method, target, headers, body)
}

/// Like [`send`], over TLS to the server name `name` (`127.0.0.1` or `localhost`), trusting only
/// the CA in `ca_pem`. The response must end with the server's close_notify.
pub fn send_tls(
    port: u16,
    ca_pem: &str,
    name: &str,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let mut stream = tls_stream(port, ca_pem, name).expect("TLS connection");
    let host = format!("{name}:{port}");
    exchange(&mut stream, &host, method, target, headers, body)
}

fn connect(port: u16) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    stream
}

/// A TLS connection (handshake done) to `name` on `port`, trusting the CA in `ca_pem`.
pub fn tls_stream(
    port: u16,
    ca_pem: &str,
    name: &str,
) -> Result<rustls::StreamOwned<rustls::ClientConnection, TcpStream>, std::io::Error> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName};
    let mut roots = rustls::RootCertStore::empty();
    let ca = CertificateDer::from_pem_slice(ca_pem.as_bytes()).expect("CA PEM");
    roots.add(ca).expect("CA certificate");
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from(name.to_string()).expect("server name");
    let conn = rustls::ClientConnection::new(std::sync::Arc::new(config), name).expect("client");
    let mut stream = rustls::StreamOwned::new(conn, connect(port));
    while stream.conn.is_handshaking() {
        stream.conn.complete_io(&mut stream.sock)?;
    }
    Ok(stream)
}

/// Writes one request on `stream` and reads the response up to the end of the stream.
fn exchange(
    stream: &mut (impl Read + Write),
    host: &str,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let mut request = format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    request.push_str("Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).expect("write head");
    stream.write_all(body).expect("write body");
    stream.flush().expect("flush");

    let mut reader = BufReader::new(stream);
    let response = read_response(&mut reader);
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).expect("read to EOF");
    assert!(rest.is_empty(), "bytes after the body: {rest:?}");
    response
}

/// Reads one response (status line, headers, a `Content-Length` body) from `reader`.
pub fn read_response(reader: &mut impl BufRead) -> Response {
    let mut line = String::new();
    reader.read_line(&mut line).expect("status line");
    let status = line
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {line:?}"));
    let mut response_headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).expect("header line");
        let line = line.trim_end_matches("\r\n");
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').expect("header has a colon");
        response_headers.push((name.to_string(), value.trim().to_string()));
    }
    let mut response = Response {
        status,
        headers: response_headers,
        body: Vec::new(),
    };
    let length: usize = match response.header("content-length") {
        Some(length) => length.parse().expect("Content-Length is a number"),
        None if status == 204 => 0,
        None => panic!("no Content-Length in {response:?}"),
    };
    response.body = vec![0; length];
    reader.read_exact(&mut response.body).expect("body");
    response
}

pub fn get(port: u16, target: &str, headers: &[(&str, &str)]) -> Response {
    send(port, "GET", target, headers, b"")
}

/// `Authorization: Basic` for the default credentials.
pub const DEFAULT_BASIC: &str = "Basic Q0xJRU5UX0lEOkNMSUVOVF9TRUNSRVQ=";

pub fn start(config: ServerConfig) -> TestServer {
    TestServer::start(config).expect("server starts")
}

/// Gets a token from the default-configured `server` the way the vendors document it.
pub fn token(server: &TestServer, query: &str) -> String {
    let response = send(
        server.port(),
        "POST",
        &format!("/oauth2/token?{query}"),
        &[("Authorization", DEFAULT_BASIC)],
        b"",
    );
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

/// Calls the API with a bearer token and the default api key.
pub fn api_get(server: &TestServer, target: &str, token: &str) -> Response {
    let bearer = format!("Bearer {token}");
    get(
        server.port(),
        target,
        &[("Authorization", &bearer), ("x-api-key", "API_KEY")],
    )
}
