//! No token storm: clients that share a client id but not their tokens, against a token
//! endpoint that invalidates a client's earlier tokens whenever it issues one (as Lucidworks'
//! does; `invalidate_previous`). Several `Client`s in one process, sharing nothing, model
//! separate processes. Short token lifetimes; counts of token requests bounded.

mod support;

use lucidauth::{Client, ErrorKind};
use lucidauth_testserver::ServerConfig;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use support::{builder_for, server_with, TempDir};

const CLIENTS: usize = 4;
const RUN: Duration = Duration::from_secs(4);

struct Outcome {
    token_requests: usize,
    calls: usize,
    failed: usize,
    unauthorized: usize,
}

/// `CLIENTS` clients, 2 s tokens renewed in their last second, each calling the API from its own
/// thread for `RUN`; `shared` is a cache directory they share, if any.
fn run_fleet(shared: Option<&TempDir>) -> Outcome {
    let server = server_with(ServerConfig {
        token_lifetime_secs: 2,
        invalidate_previous: true,
        ..ServerConfig::default()
    });
    let mut b = builder_for(&server);
    b.set("refresh_margin", "1").unwrap();
    b.set("retry_deadline", "2").unwrap();
    if let Some(dir) = shared {
        b.set("use_cache", "true").unwrap();
        b.set("cache_dir", dir.0.to_str().unwrap()).unwrap();
    }
    let creds = b.build().unwrap();
    let (calls, failed, unauthorized) = (
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    );
    let end = Instant::now() + RUN;
    std::thread::scope(|s| {
        for _ in 0..CLIENTS {
            let client = Client::new(creds.clone()).unwrap();
            let (calls, failed, unauthorized) = (&calls, &failed, &unauthorized);
            s.spawn(move || {
                while Instant::now() < end {
                    calls.fetch_add(1, Ordering::SeqCst);
                    match client.request("GET", "/documents", &[], b"") {
                        Ok(r) if r.status() == 200 => {}
                        Ok(_) => drop(failed.fetch_add(1, Ordering::SeqCst)),
                        Err(e) => {
                            failed.fetch_add(1, Ordering::SeqCst);
                            if e.kind() == ErrorKind::Unauthorized {
                                unauthorized.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
            });
        }
    });
    Outcome {
        token_requests: server.token_requests(),
        calls: calls.into_inner(),
        failed: failed.into_inner(),
        unauthorized: unauthorized.into_inner(),
    }
}

/// Warnings that name the fix, counted for the whole process.
static ADVICE: AtomicUsize = AtomicUsize::new(0);

#[test]
fn separate_clients_invalidating_each_other_do_not_storm() {
    let sink: lucidauth::log::Sink = std::sync::Arc::new(|level, message: &str| {
        let advice = message.contains("use_cache = true") && message.contains("cache_url");
        if level == lucidauth::log::Level::Warn && advice {
            ADVICE.fetch_add(1, Ordering::SeqCst);
        }
    });
    lucidauth::log::set_sink(Some((sink, lucidauth::log::Level::Warn)));
    let o = run_fleet(None);
    lucidauth::log::set_sink(None);
    assert_eq!(
        ADVICE.load(Ordering::SeqCst),
        1,
        "one warning in the process"
    );
    eprintln!(
        "unshared: {} token requests, {} calls, {} failed ({} unauthorized)",
        o.token_requests, o.calls, o.failed, o.unauthorized
    );
    // Undamped, each 401 refetched at once: hundreds of token requests in 4 s. Damped, each
    // client refetches after 0.5-1 s, 1-2 s, 2-4 s of backoff in a row, besides its renewals.
    assert!(
        o.token_requests <= 24,
        "{} token requests",
        o.token_requests
    );
    assert!(o.calls > 100, "calls kept being made: {}", o.calls);
}

#[test]
fn clients_sharing_the_cache_fetch_once_per_renewal_and_no_call_fails() {
    let dir = TempDir::new("fleet");
    let o = run_fleet(Some(&dir));
    eprintln!(
        "shared: {} token requests, {} calls, {} failed",
        o.token_requests, o.calls, o.failed
    );
    // One token for all four, renewed each second of a 4 s run.
    assert!(o.token_requests <= 6, "{} token requests", o.token_requests);
    assert_eq!(o.failed, 0);
}
