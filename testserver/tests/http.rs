//! The server's own HTTP/1.1 reading: `Expect: 100-continue`, chunked bodies, the limits on head
//! and body, malformed requests, keep-alive under a burst of connections, and the port being free
//! once the server is dropped.

mod support;

use std::io::{BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use lucidauth_testserver::{ServerConfig, TestServer};
use support::{read_response, start, token, Response, DEFAULT_BASIC};

const FORM: &str = "Content-Type: application/x-www-form-urlencoded";

/// A raw connection: the test writes bytes and reads responses.
struct Raw {
    reader: BufReader<TcpStream>,
}

impl Raw {
    fn open(server: &TestServer) -> Raw {
        let stream = TcpStream::connect(("127.0.0.1", server.port())).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        Raw {
            reader: BufReader::new(stream),
        }
    }

    fn write(&mut self, bytes: &[u8]) {
        self.reader.get_mut().write_all(bytes).expect("write");
    }

    fn response(&mut self) -> Response {
        read_response(&mut self.reader)
    }

    /// Reads exactly `len` bytes.
    fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut bytes = vec![0; len];
        self.reader.read_exact(&mut bytes).expect("bytes");
        bytes
    }

    /// Whether the server closed the connection (EOF, or a reset after it closed).
    fn closed_by_server(&mut self) -> bool {
        let mut byte = [0u8; 1];
        match self.reader.read(&mut byte) {
            Ok(n) => n == 0,
            Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
        }
    }
}

fn keep_alive() -> ServerConfig {
    ServerConfig {
        keep_alive: true,
        ..ServerConfig::default()
    }
}

fn token_head(extra: &str) -> String {
    format!(
        "POST /oauth2/token HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {DEFAULT_BASIC}\r\n\
         {FORM}\r\n{extra}\r\n"
    )
}

#[test]
fn expect_100_continue_is_answered_before_the_body_is_read() {
    let server = start(ServerConfig::default());
    let body = "grant_type=client_credentials";
    let mut raw = Raw::open(&server);
    raw.write(
        token_head(&format!(
            "Content-Length: {}\r\nExpect: 100-continue\r\n",
            body.len()
        ))
        .as_bytes(),
    );
    assert_eq!(raw.bytes(25), b"HTTP/1.1 100 Continue\r\n\r\n");
    raw.write(body.as_bytes());
    let response = raw.response();
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(server.requests()[0].body, body.as_bytes());
    assert!(raw.closed_by_server());
}

#[test]
fn a_chunked_body_is_decoded() {
    let server = start(ServerConfig::default());
    let mut raw = Raw::open(&server);
    raw.write(token_head("Transfer-Encoding: chunked\r\n").as_bytes());
    raw.write(b"a;ext=1\r\ngrant_type\r\n13\r\n=client_credentials\r\n0\r\nX-Trailer: t\r\n\r\n");
    let response = raw.response();
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(server.token_requests(), 1);
    assert_eq!(server.requests()[0].body, b"grant_type=client_credentials");
}

#[test]
fn a_head_longer_than_64_kib_is_refused_with_431_and_closed() {
    let server = start(keep_alive());
    let mut raw = Raw::open(&server);
    let big = "a".repeat(70 * 1024);
    raw.write(format!("GET /_admin/stats HTTP/1.1\r\nX-Big: {big}\r\n\r\n").as_bytes());
    let response = raw.response();
    assert_eq!(response.status, 431);
    assert_eq!(response.header("connection"), Some("close"));
    assert!(raw.closed_by_server());
}

#[test]
fn a_body_longer_than_16_mib_is_refused_with_413_without_100_continue() {
    let server = start(keep_alive());
    let mut raw = Raw::open(&server);
    let extra = "Content-Length: 16777217\r\nExpect: 100-continue\r\n";
    raw.write(token_head(extra).as_bytes());
    let response = raw.response();
    assert_eq!(response.status, 413);
    assert_eq!(response.header("connection"), Some("close"));
    assert!(raw.closed_by_server());

    let mut raw = Raw::open(&server);
    raw.write(token_head("Transfer-Encoding: chunked\r\n").as_bytes());
    raw.write(b"1000001\r\n");
    assert_eq!(raw.response().status, 413);
    assert!(raw.closed_by_server());
    assert_eq!(server.token_requests(), 0);
}

#[test]
fn malformed_requests_are_refused_with_400_and_closed() {
    let server = start(keep_alive());
    let heads: [&[u8]; 5] = [
        b"GARBAGE\r\n\r\n",
        b"GET /\r\n\r\n",
        b"GET / HTTP/1.1\r\nno colon here\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ];
    for head in heads {
        let mut raw = Raw::open(&server);
        raw.write(head);
        let response = raw.response();
        assert_eq!(response.status, 400, "{}", String::from_utf8_lossy(head));
        assert_eq!(response.header("connection"), Some("close"));
        assert!(raw.closed_by_server());
    }
    assert!(server.requests().is_empty());
}

#[test]
fn http_1_0_closes_unless_it_asks_for_keep_alive() {
    let server = start(keep_alive());
    let mut raw = Raw::open(&server);
    raw.write(b"GET /_admin/stats HTTP/1.0\r\n\r\n");
    let response = raw.response();
    assert_eq!(
        (response.status, response.header("connection")),
        (200, Some("close"))
    );
    assert!(raw.closed_by_server());

    let mut raw = Raw::open(&server);
    for _ in 0..2 {
        raw.write(b"GET /_admin/stats HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        let response = raw.response();
        assert_eq!(response.header("connection"), Some("keep-alive"));
    }
}

#[test]
fn eight_keep_alive_connections_at_once_are_all_served() {
    const THREADS: usize = 8;
    const REQUESTS: usize = 50;
    let server = start(keep_alive());
    let bearer = token(&server, "grant_type=client_credentials");
    let request = format!(
        "GET /v1/doc HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {bearer}\r\n\
         x-api-key: API_KEY\r\n\r\n"
    );
    let barrier = Arc::new(Barrier::new(THREADS));
    let clients: Vec<_> = (0..THREADS)
        .map(|_| {
            let (barrier, request, port) = (Arc::clone(&barrier), request.clone(), server.port());
            thread::spawn(move || {
                barrier.wait();
                let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
                stream
                    .set_read_timeout(Some(Duration::from_secs(5)))
                    .expect("timeout");
                let mut raw = Raw {
                    reader: BufReader::new(stream),
                };
                for _ in 0..REQUESTS {
                    raw.write(request.as_bytes());
                    let response = raw.response();
                    assert_eq!(response.status, 200, "{}", response.text());
                    assert_eq!(response.header("connection"), Some("keep-alive"));
                }
            })
        })
        .collect();
    for client in clients {
        client.join().expect("every request answered");
    }
    assert_eq!(server.token_requests(), 1);
    assert_eq!(server.api_requests(), THREADS * REQUESTS);
    assert_eq!(server.connections(), THREADS + 1);
}

#[test]
fn dropping_the_server_frees_the_port_and_ends_idle_connections() {
    let server = start(keep_alive());
    let port = server.port();
    let mut idle = Raw::open(&server);
    idle.write(b"GET /_admin/stats HTTP/1.1\r\n\r\n");
    assert_eq!(idle.response().status, 200);
    let started = Instant::now();
    drop(server);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    TcpListener::bind(("127.0.0.1", port)).expect("the port is free again");
    assert!(idle.closed_by_server());
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let server = start(keep_alive());
    let mut raw = Raw::open(&server);
    raw.write(b"GET /_admin/stats HTTP/1.1\r\n\r\nHEAD /_admin/stats HTTP/1.1\r\n\r\n");
    let first = raw.response();
    assert_eq!(first.status, 200);
    assert!(!first.body.is_empty());
    // HEAD: the same Content-Length, no body; the next bytes are the next response.
    raw.write(b"POST /_admin/reset HTTP/1.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    let mut line = String::new();
    std::io::BufRead::read_line(&mut raw.reader, &mut line).expect("status line");
    // (The admin endpoints know no HEAD: a 404 with its JSON body's length.)
    assert_eq!(line, "HTTP/1.1 404 Not Found\r\n");
    let mut rest = Vec::new();
    raw.reader.read_to_end(&mut rest).expect("to EOF");
    let rest = String::from_utf8_lossy(&rest);
    let (head, after) = rest
        .split_once("\r\n\r\n")
        .expect("end of the HEAD response");
    assert!(head.contains("Content-Length"), "{head}");
    assert!(after.starts_with("HTTP/1.1 204 No Content\r\n"), "{after}");
}
