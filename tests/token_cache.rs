//! How many token requests the cache makes: once per lifetime, once per expiry however many
//! threads ask, measured at the local server with a clock the test moves.

mod support;

use lucidauth::{Client, ManualClock};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};
use support::*;

/// A client whose clock the test moves; `refresh_ahead = false`: the caller that finds the token
/// stale fetches (the refresh-ahead tests are below).
fn client_with_clock(server: &lucidauth_testserver::TestServer) -> (Client, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new());
    let mut builder = builder_for(server);
    builder.set("refresh_ahead", "false").unwrap();
    let client = Client::with_clock(builder.build().unwrap(), clock.clone()).unwrap();
    (client, clock)
}

/// The tokens 16 threads read at once, released together by a barrier.
fn sixteen_threads_read(client: &Client) -> Vec<String> {
    let barrier = Barrier::new(16);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    client.access_token(None).unwrap().secret().to_string()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// Waits (at most 10 s) until `done` holds.
fn eventually(what: &str, done: impl Fn() -> bool) {
    let until = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
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
    let tokens = sixteen_threads_read(&client);
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
    let mut builder = builder_for(&server);
    builder.set("refresh_ahead", "false").unwrap();
    let client = Client::new(builder.build().unwrap()).unwrap();
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

#[test]
fn refresh_ahead_sixteen_threads_in_the_window_get_the_old_token_and_make_one_request() {
    let server = server();
    let clock = Arc::new(ManualClock::new());
    let client = Client::with_clock(credentials_for(&server), clock.clone()).unwrap();
    let first = client.access_token(None).unwrap();
    server.set_token_delay(Duration::from_millis(300));
    clock.advance(Duration::from_secs(3300));
    let tokens = sixteen_threads_read(&client);
    assert!(
        tokens.iter().all(|t| t == first.secret()),
        "nobody waited for the renewal"
    );
    eventually("the renewed token", || {
        client.access_token(None).unwrap().secret() != first.secret()
    });
    assert_eq!(server.token_requests(), 2, "one request for the refresh");
}

/// The issue's measure: 6 s tokens renewed 3 s before expiry by a token endpoint that takes
/// 1.5 s; 4 threads read for 14 s (two refreshes). Counted, not timed tightly: no read after the
/// first waits for a fetch (a fetch takes 1.5 s; a read that took over 250 ms waited for one),
/// and the server sees one request per refresh.
#[test]
fn refresh_ahead_no_reader_waits_for_a_renewal() {
    let server = server();
    server.set_token_lifetime(6);
    server.set_token_delay(Duration::from_millis(1500));
    let mut builder = builder_for(&server);
    builder.set("refresh_margin", "3").unwrap();
    let client = Client::new(builder.build().unwrap()).unwrap();
    let first_sent = Instant::now();
    client.access_token(None).unwrap();
    let start = Instant::now();
    let run = Duration::from_secs(14);
    let (slow, reads) = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    let (mut slow, mut reads) = (0, 0u64);
                    while start.elapsed() < run {
                        let began = Instant::now();
                        client.access_token(None).unwrap();
                        if began.elapsed() > Duration::from_millis(250) {
                            slow += 1;
                        }
                        reads += 1;
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    (slow, reads)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
    });
    assert_eq!(slow, 0, "reads that waited for a fetch, of {reads}");
    // Expiry counts from when a request is sent, so a token sent at s is renewed from s + 3 s:
    // requests go out at 0, 3, 6, ... s after the first. One request per refresh: one more than
    // the whole 3 s periods that passed (give or take the one at the very end).
    let periods = (first_sent.elapsed().as_secs_f64() / 3.0).floor() as usize;
    let requests = server.token_requests();
    assert!(
        requests == periods + 1 || requests == periods,
        "{requests} token requests in {periods} refresh periods"
    );
}

/// The allocating read of the C API (`access_token_bytes`): the token of each scope, with room
/// for the NUL, whether it is shorter or longer than the last one copied; no extra token request.
#[test]
fn the_token_bytes_fit_tokens_shorter_and_longer_than_the_last_one() {
    let server = server();
    let client = Client::new(credentials_for(&server)).unwrap();
    let short = client
        .access_token(Some("short"))
        .unwrap()
        .secret()
        .to_string();
    let long_token = "L".repeat(1500);
    server.push_token_response(lucidauth_testserver::Scripted::json(
        200,
        &format!(r#"{{"access_token":"{long_token}","token_type":"Bearer","expires_in":3600}}"#),
    ));
    let long = client.access_token(Some("long")).unwrap();
    assert_eq!(long.secret(), long_token);
    for scope in ["short", "long", "short", "long"] {
        let bytes = client.access_token_bytes(Some(scope)).unwrap();
        let expected = if scope == "short" {
            &short
        } else {
            &long_token
        };
        assert_eq!(bytes, expected.as_bytes(), "{scope}");
        assert!(bytes.capacity() > bytes.len(), "room for the NUL");
    }
    assert_eq!(server.token_requests(), 2);
}
