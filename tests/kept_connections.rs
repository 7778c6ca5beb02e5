//! A kept-alive connection the server closes between the pool's liveness check and the answer:
//! the request goes once more on a new connection, whatever its method, but only when no byte
//! of an answer came back.

mod support;

use lucidauth::{Client, CredentialsBuilder, ErrorKind};
use std::io::Read;
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use support::raw::{send, RawServer};

/// A pre-issued token (`exp` in 2100): the calls need no token endpoint.
const JWT: &str = "eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.sig";

const OK_KEEP_ALIVE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok";

fn client(url: &str) -> Client {
    let mut b = CredentialsBuilder::new();
    b.set("access_token", JWT).unwrap();
    b.set("api_endpoint", url).unwrap();
    b.set("retry_backoff_ms", "1").unwrap();
    Client::new(b.build().unwrap()).unwrap()
}

/// Waits for the next request's first bytes on `stream`, so that the client's liveness check
/// has passed; returns whether any came.
fn next_request_arrives(stream: &mut TcpStream) -> bool {
    let mut byte = [0u8; 1];
    matches!(stream.read(&mut byte), Ok(1))
}

/// The first connection answers one request, then takes the second and closes, saying `last`
/// (nothing, or the start of an answer); later connections answer each request once.
fn server(last: &'static [u8], answered: Arc<AtomicUsize>) -> RawServer {
    RawServer::start(move |n, stream| {
        send(stream, OK_KEEP_ALIVE);
        answered.fetch_add(1, Ordering::SeqCst);
        if n == 0 && next_request_arrives(stream) {
            send(stream, last);
        }
    })
}

#[test]
fn a_post_on_a_connection_closed_unanswered_goes_again_on_a_new_one() {
    let answered = Arc::new(AtomicUsize::new(0));
    let server = server(b"", answered.clone());
    let client = client(&server.url());
    for _ in 0..2 {
        let response = client.request("POST", "/documents", &[], b"{}").unwrap();
        assert_eq!((response.status(), response.body()), (200, &b"ok"[..]));
    }
    assert_eq!(
        server.connections(),
        2,
        "the second POST went on a new connection"
    );
    assert_eq!(answered.load(Ordering::SeqCst), 2);
}

#[test]
fn a_connection_closed_in_the_middle_of_an_answer_is_an_error_not_a_second_post() {
    let answered = Arc::new(AtomicUsize::new(0));
    let server = server(b"HTTP/1.1 20", answered.clone());
    let client = client(&server.url());
    let first = client.request("POST", "/documents", &[], b"{}").unwrap();
    assert_eq!(first.status(), 200);
    let e = client
        .request("POST", "/documents", &[], b"{}")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert_eq!(
        server.connections(),
        1,
        "a POST that may have been taken is not sent again"
    );
}
