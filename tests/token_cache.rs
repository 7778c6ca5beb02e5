//! How many token requests the cache makes: once per lifetime, once per expiry however many
//! threads ask, measured at the local server with a clock the test moves.

mod support;

use lucidauth::{Client, ManualClock};
use std::sync::{Arc, Barrier};
use std::time::Duration;
use support::*;

fn client_with_clock(server: &lucidauth_testserver::TestServer) -> (Client, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new());
    let client = Client::with_clock(credentials_for(server), clock.clone()).unwrap();
    (client, clock)
}

#[test]
fn hundred_calls_make_one_request() {
    let server = server();
    let (client, _) = client_with_clock(&server);
    let first = client.access_token(None).unwrap();
    for _ in 0..99 {
        assert_eq!(client.access_token(None).unwrap().secret(), first.secret());
    }
    assert_eq!(server.token_requests(), 1);
}

#[test]
fn refresh_happens_at_the_margin_not_a_nanosecond_before() {
    let server = server();
    let (client, clock) = client_with_clock(&server);
    let first = client.access_token(None).unwrap();
    // 3600 s lifetime, 300 s margin: stale at 3300 s after the request was sent.
    clock.advance(Duration::from_secs(3300) - Duration::from_nanos(1));
    assert_eq!(client.access_token(None).unwrap().secret(), first.secret());
    assert_eq!(server.token_requests(), 1);
    clock.advance(Duration::from_nanos(1));
    let second = client.access_token(None).unwrap();
    assert_ne!(second.secret(), first.secret());
    assert_eq!(server.token_requests(), 2);
    assert_eq!(client.access_token(None).unwrap().secret(), second.secret());
    assert_eq!(server.token_requests(), 2);
}

#[test]
fn sixteen_threads_at_the_moment_of_expiry_make_one_request() {
    let server = server();
    let (client, clock) = client_with_clock(&server);
    client.access_token(None).unwrap();
    clock.advance(Duration::from_secs(3300));
    let barrier = Barrier::new(16);
    let tokens: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    client.access_token(None).unwrap().secret().to_string()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(server.token_requests(), 2);
    assert!(
        tokens.iter().all(|t| t == &tokens[0]),
        "every thread got the one new token"
    );
}

#[test]
fn a_short_real_lifetime_is_refreshed_once() {
    let server = server();
    server.set_token_lifetime(2);
    let client = Client::new(credentials_for(&server)).unwrap();
    let first = client.access_token(None).unwrap();
    assert_eq!(first.lifetime(), Duration::from_secs(2));
    // The margin is at most half the lifetime: stale after 1 s.
    std::thread::sleep(Duration::from_millis(1100));
    let second = client.access_token(None).unwrap();
    assert_ne!(first.secret(), second.secret());
    for _ in 0..10 {
        client.access_token(None).unwrap();
    }
    assert_eq!(server.token_requests(), 2);
}
