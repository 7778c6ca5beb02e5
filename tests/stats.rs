//! Client stats: exact counts after known sequences of calls against the local server.

mod support;

use lucidauth::{Client, ErrorKind, ManualClock, TokenOrigin as Origin};
use lucidauth_testserver::Scripted;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::*;

#[test]
fn a_fetch_then_reads_from_memory() {
    let server = server();
    let clock = Arc::new(ManualClock::new());
    let client = Client::with_clock(credentials_for(&server), clock.clone()).unwrap();
    let before = client.stats();
    assert_eq!((before.token_fetches, before.memory_reads), (0, 0));
    assert!(before.scopes.is_empty());
    client.access_token(None).unwrap();
    for _ in 0..9 {
        client.access_token(None).unwrap();
    }
    let mut buf = [0u8; 256];
    client.access_token_into(None, &mut buf).unwrap().unwrap();
    clock.advance(Duration::from_secs(100));
    let s = client.stats();
    assert_eq!(s.token_fetches, 1);
    assert_eq!(s.token_fetch_failures, 0);
    assert_eq!(
        s.memory_reads, 10,
        "9 reads and one buffer read after the fetch"
    );
    assert_eq!(
        (s.retries, s.unauthorized_refetches, s.background_refreshes),
        (0, 0, 0)
    );
    assert_eq!(s.last_error, None);
    assert_eq!(s.scopes.len(), 1);
    let scope = &s.scopes[0];
    assert_eq!(
        (scope.scope.as_str(), scope.origin),
        ("", Origin::TokenEndpoint)
    );
    // 3600 s tokens, renewed 300 s before expiry, 100 s after the fetch (sent at the clock's 0).
    assert_eq!(scope.expires_in, Duration::from_secs(3500));
    assert_eq!(scope.refresh_in, Duration::from_secs(3200));
}

#[test]
fn failures_retries_and_the_last_error() {
    let server = server();
    let mut b = builder_for(&server);
    b.set("retry_backoff_ms", "1").unwrap();
    let client = Client::new(b.build().unwrap()).unwrap();
    server.push_token_response(Scripted::json(503, "{}"));
    server.push_token_response(Scripted::json(401, r#"{"error":"invalid_client"}"#));
    let e = client.access_token(None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CredentialsRejected);
    let s = client.stats();
    assert_eq!(
        (s.token_fetches, s.token_fetch_failures, s.retries),
        (0, 1, 1)
    );
    assert_eq!(s.last_error, Some(ErrorKind::CredentialsRejected));
    client.access_token(None).unwrap();
    let s = client.stats();
    assert_eq!((s.token_fetches, s.token_fetch_failures), (1, 1));
    assert_eq!(
        s.last_error,
        Some(ErrorKind::CredentialsRejected),
        "the last error stays"
    );
}

#[test]
fn a_401_refetch_and_a_background_refresh_are_counted() {
    let server = server();
    let client = Client::new(credentials_for(&server)).unwrap();
    client.request("GET", "/documents", &[], b"").unwrap();
    server.revoke_all();
    let r = client.request("GET", "/documents", &[], b"").unwrap();
    assert_eq!(r.status(), 200);
    let s = client.stats();
    assert_eq!((s.token_fetches, s.unauthorized_refetches), (2, 1));

    let short = support::server();
    short.set_token_lifetime(2);
    let client = Client::new(credentials_for(&short)).unwrap();
    client.access_token(None).unwrap();
    // A 2 s token is in its refresh window after 1 s; a read then starts the renewal.
    std::thread::sleep(Duration::from_millis(1100));
    client.access_token(None).unwrap();
    let until = Instant::now() + Duration::from_secs(10);
    while client.stats().background_refreshes == 0 {
        assert!(Instant::now() < until, "no background refresh");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(client.stats().token_fetches, 2);
}
