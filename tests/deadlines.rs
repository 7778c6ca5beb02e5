//! Absolute deadlines on the wire: a peer that trickles its answer a byte at a time (a server,
//! or a proxy that answers CONNECT and then trickles, or trickles the answer itself) cannot
//! hold a call past `retry_deadline`: the call ends within it plus 2 s, with a timeout.

mod support;

use lucidauth::{Client, CredentialsBuilder, ErrorKind};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use support::raw::{send, RawServer};

const RETRY_DEADLINE: u64 = 3;

/// Writes `head` then `filler` one byte every 200 ms, for at most a minute or until the client
/// goes away.
fn trickle(stream: &mut TcpStream, head: &[u8], filler: u8) {
    let started = Instant::now();
    let bytes = head.iter().copied().chain(std::iter::repeat(filler));
    for byte in bytes {
        if started.elapsed() > Duration::from_secs(60) {
            return;
        }
        if std::io::Write::write_all(stream, &[byte]).is_err() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Credentials with a 30 s exchange timeout and a 3 s `retry_deadline`, the token endpoint at
/// `auth`.
fn builder(auth: &str) -> CredentialsBuilder {
    let mut b = CredentialsBuilder::new();
    b.set("client_id", "CLIENT_ID").unwrap();
    b.set("client_secret", "CLIENT_SECRET").unwrap();
    b.set("auth_endpoint", auth).unwrap();
    b.set("timeout", "30").unwrap();
    b.set("retry_deadline", &RETRY_DEADLINE.to_string())
        .unwrap();
    b.set("retry_backoff_ms", "1").unwrap();
    b
}

/// Fetches a token with `client`: it must fail with a timeout within the deadline plus 2 s.
fn assert_ends_in_time(client: &Client) {
    let started = Instant::now();
    let error = client.access_token(None).unwrap_err();
    let took = started.elapsed();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    assert!(
        took <= Duration::from_secs(RETRY_DEADLINE + 2),
        "took {took:?}: {error}"
    );
}

#[test]
fn a_server_that_trickles_its_answer_cannot_hold_the_call() {
    let server = RawServer::start(|_, stream| trickle(stream, b"HTTP/1.1 200 OK\r\n", b'x'));
    let creds = builder(&server.url()).build().unwrap();
    assert_ends_in_time(&Client::new(creds).unwrap());
}

/// The proxy's CONNECT answer, then the start of a 16 KiB TLS handshake record whose bytes
/// come one at a time: the TLS handshake waits for them.
#[test]
fn a_proxy_that_trickles_after_connect_cannot_hold_the_call() {
    let proxy = RawServer::start(|_, stream| {
        send(stream, b"HTTP/1.1 200 Connection established\r\n\r\n");
        trickle(stream, &[0x16, 0x03, 0x03, 0x40, 0x00], 0);
    });
    let mut b = builder("https://127.0.0.1:9/oauth2/token");
    b.set("proxy", &proxy.url()).unwrap();
    let client = Client::with_proxy_env(b.build().unwrap(), &|_| None).unwrap();
    assert_ends_in_time(&client);
    assert!(proxy.connections() >= 1, "the call went through the proxy");
}

#[test]
fn a_proxy_that_trickles_its_connect_answer_cannot_hold_the_call() {
    let proxy = RawServer::start(|_, stream| {
        trickle(stream, b"HTTP/1.1 200 Connection established\r\n", b'x')
    });
    let mut b = builder("https://127.0.0.1:9/oauth2/token");
    b.set("proxy", &proxy.url()).unwrap();
    let client = Client::with_proxy_env(b.build().unwrap(), &|_| None).unwrap();
    assert_ends_in_time(&client);
    assert!(proxy.connections() >= 1, "the call went through the proxy");
}
