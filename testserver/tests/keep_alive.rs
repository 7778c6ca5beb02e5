//! The opt-in keep-alive mode: connections stay open between requests, the responses say so, and
//! the server counts the connections that carried requests. Off by default.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use lucidauth_testserver::ServerConfig;
use serde_json::json;
use support::{get, start, token, DEFAULT_BASIC};

/// One connection on which requests are sent one after another.
struct Connection {
    reader: BufReader<TcpStream>,
}

impl Connection {
    fn open(port: u16) -> Connection {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        Connection {
            reader: BufReader::new(stream),
        }
    }

    /// Sends a bodiless request with `extra` header lines and returns the status, the
    /// `Connection` header and the body.
    fn request(&mut self, method: &str, target: &str, extra: &[&str]) -> (u16, String, Vec<u8>) {
        let mut head = format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for line in extra {
            head.push_str(line);
            head.push_str("\r\n");
        }
        if method == "POST" {
            head.push_str("Content-Length: 0\r\n");
        }
        head.push_str("\r\n");
        self.reader
            .get_mut()
            .write_all(head.as_bytes())
            .expect("write");
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("status line");
        let status = line[9..12].parse().expect("status");
        let (mut connection, mut length) = (String::new(), 0);
        loop {
            line.clear();
            self.reader.read_line(&mut line).expect("header line");
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').expect("colon");
            if name.eq_ignore_ascii_case("connection") {
                connection = value.trim().to_string();
            } else if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().expect("length");
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).expect("body");
        (status, connection, body)
    }

    /// Whether the server closed its side (EOF) rather than keeping the connection open.
    fn closed_by_server(&mut self) -> bool {
        let mut byte = [0u8; 1];
        matches!(self.reader.read(&mut byte), Ok(0))
    }
}

fn keep_alive() -> ServerConfig {
    ServerConfig {
        keep_alive: true,
        ..ServerConfig::default()
    }
}

#[test]
fn requests_share_one_connection_and_are_counted_once() {
    let server = start(keep_alive());
    let port = server.port();
    let bearer = format!(
        "Authorization: Bearer {}",
        token(&server, "grant_type=client_credentials")
    );
    let mut connection = Connection::open(port);
    for n in 0..5 {
        let (status, header, _) = connection.request(
            "GET",
            &format!("/v1/doc/{n}"),
            &[&bearer, "x-api-key: API_KEY"],
        );
        assert_eq!((status, header.as_str()), (200, "keep-alive"));
    }
    let auth = format!("Authorization: {DEFAULT_BASIC}");
    let (status, header, _) = connection.request(
        "POST",
        "/oauth2/token?grant_type=client_credentials",
        &[&auth],
    );
    assert_eq!((status, header.as_str()), (200, "keep-alive"));
    // Admin requests use the connection too, but are not counted.
    let (status, _, body) = connection.request("GET", "/_admin/stats", &[]);
    assert_eq!(status, 200);
    // One connection from `token` above (closed by that client) and this one.
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&body).expect("json"),
        json!({"token_requests": 2, "api_requests": 5, "connections": 2})
    );
    assert_eq!(server.connections(), 2);

    let (status, _, _) = connection.request("POST", "/_admin/reset", &[]);
    assert_eq!(status, 204);
    assert_eq!(server.connections(), 0);
    drop(connection);
}

#[test]
fn a_client_asking_to_close_gets_connection_close() {
    let server = start(keep_alive());
    let mut connection = Connection::open(server.port());
    let (status, header, _) = connection.request("GET", "/_admin/stats", &["Connection: close"]);
    assert_eq!((status, header.as_str()), (200, "close"));
    assert!(connection.closed_by_server());
}

#[test]
fn off_by_default_every_response_closes() {
    let server = start(ServerConfig::default());
    let mut connection = Connection::open(server.port());
    let (status, header, _) = connection.request("GET", "/_admin/stats", &[]);
    assert_eq!((status, header.as_str()), (200, "close"));
    assert_eq!(
        get(server.port(), "/_admin/stats", &[]).json(),
        json!({"token_requests": 0, "api_requests": 0})
    );
}
