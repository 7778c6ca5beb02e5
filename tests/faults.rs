//! The fault matrix: what each failure of the token endpoint or the API gives the caller (the
//! exact error kind), how many requests the server saw, and that no secret, api key or token
//! reaches an error message or a log line.

mod support;

use lucidauth::{log, Client, Credentials, ErrorKind};
use lucidauth_testserver::{Scripted, TestServer};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use support::raw::{send, BlackHole, RawServer};
use support::*;

/// Every log line of this test binary, at debug level.
fn log_lines() -> &'static Mutex<Vec<String>> {
    static LINES: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    LINES.get_or_init(|| {
        log::set_sink(Some((
            Arc::new(|_, line: &str| log_lines().lock().unwrap().push(line.to_string())),
            log::Level::Debug,
        )));
        Mutex::new(Vec::new())
    })
}

/// Credentials for `url` with fast retries; `extra` keys override.
fn creds(url: &str, extra: &[(&str, &str)]) -> Credentials {
    log_lines();
    let mut b = lucidauth::CredentialsBuilder::new();
    b.set("client_id", "CLIENT_ID")
        .unwrap()
        .set("client_secret", "CLIENT_SECRET")
        .unwrap();
    b.set("api_key", "API_KEY").unwrap();
    b.set("auth_endpoint", url)
        .unwrap()
        .set("api_endpoint", &format!("{url}/v1"))
        .unwrap();
    b.set("retry_backoff_ms", "1")
        .unwrap()
        .set("max_retries", "3")
        .unwrap();
    b.set("timeout", "2").unwrap();
    for (k, v) in extra {
        b.set(k, v).unwrap();
    }
    b.build().unwrap()
}

/// Asserts that no secret, api key or issued token appears in `text` or in any log line.
fn assert_no_secrets(text: &str) {
    let lines = log_lines().lock().unwrap().join("\n");
    for secret in ["CLIENT_SECRET", "API_KEY", "tok-"] {
        assert!(!text.contains(secret), "'{secret}' in the message: {text}");
        assert!(!lines.contains(secret), "'{secret}' in the log:\n{lines}");
    }
}

/// Fetches a token from `server` after scripting `answers`; returns the error kind (or Ok) and
/// the number of token requests the server saw.
fn token_after(
    answers: &[Scripted],
    extra: &[(&str, &str)],
) -> (Result<Duration, ErrorKind>, usize) {
    let server = server();
    for a in answers {
        server.push_token_response(a.clone());
    }
    let client = Client::new(creds(&server.base_url(), extra)).unwrap();
    let outcome = client.access_token(None);
    if let Err(e) = &outcome {
        assert_no_secrets(e.message());
    }
    (
        outcome.map(|t| t.lifetime()).map_err(|e| e.kind()),
        server.token_requests(),
    )
}

fn json(status: u16, body: &str) -> Scripted {
    Scripted::json(status, body)
}

fn with_retry_after(status: u16, value: &str) -> Scripted {
    let mut s = Scripted::json(status, r#"{"error":"temporarily_unavailable"}"#);
    s.headers.push(("Retry-After".into(), value.into()));
    s
}

const HOUR: Duration = Duration::from_secs(3600);

#[test]
fn temporary_statuses_then_success_are_retried() {
    assert_eq!(token_after(&[json(500, "{}")], &[]), (Ok(HOUR), 2));
    assert_eq!(token_after(&[json(502, "bad gateway")], &[]), (Ok(HOUR), 2));
    assert_eq!(token_after(&[json(503, "{}")], &[]), (Ok(HOUR), 2));
    assert_eq!(token_after(&[json(429, "{}")], &[]), (Ok(HOUR), 2));
    assert_eq!(
        token_after(&[json(500, "{}"), json(503, "{}"), json(500, "{}")], &[]),
        (Ok(HOUR), 4)
    );
}

#[test]
fn retry_after_is_honoured_within_the_cap() {
    let started = Instant::now();
    assert_eq!(
        token_after(&[with_retry_after(503, "1")], &[]),
        (Ok(HOUR), 2)
    );
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited the second the server asked"
    );
    let started = Instant::now();
    assert_eq!(
        token_after(
            &[with_retry_after(429, "3600")],
            &[("max_retry_after", "0")]
        ),
        (Ok(HOUR), 2)
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "an hour is cut to the cap"
    );
}

#[test]
fn only_5xx_gives_up_after_the_retries_or_at_the_deadline() {
    let five = vec![json(500, "{}"); 10];
    assert_eq!(token_after(&five, &[]), (Err(ErrorKind::TokenEndpoint), 4));
    assert_eq!(
        token_after(&five, &[("max_retries", "0")]),
        (Err(ErrorKind::TokenEndpoint), 1)
    );
    let started = Instant::now();
    let slow = vec![with_retry_after(503, "5"); 3];
    assert_eq!(
        token_after(&slow, &[("retry_deadline", "1")]),
        (Err(ErrorKind::TokenEndpoint), 1)
    );
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[test]
fn rejections_are_not_retried() {
    let rejected = Err(ErrorKind::CredentialsRejected);
    assert_eq!(
        token_after(&[json(400, r#"{"error":"invalid_client"}"#)], &[]),
        (rejected, 1)
    );
    assert_eq!(
        token_after(&[json(400, r#"{"error":"invalid_scope"}"#)], &[]),
        (rejected, 1)
    );
    assert_eq!(
        token_after(&[json(401, r#"{"error":"invalid_client"}"#)], &[]),
        (rejected, 1)
    );
    assert_eq!(
        token_after(&[json(403, "forbidden")], &[]),
        (Err(ErrorKind::TokenEndpoint), 1)
    );
}

/// Kinde (behind auth.cradl.ai) sometimes answers a bogus 400: one that is not an RFC 6749 error
/// is retried like a 5xx; after the retries it is still "credentials rejected".
#[test]
fn a_400_without_an_oauth_error_is_retried() {
    assert_eq!(token_after(&[json(400, "")], &[]), (Ok(HOUR), 2));
    assert_eq!(
        token_after(&[json(400, r#"{"message":"Bad Request"}"#)], &[]),
        (Ok(HOUR), 2)
    );
    assert_eq!(
        token_after(&vec![json(400, "<html>"); 10], &[]),
        (Err(ErrorKind::CredentialsRejected), 4)
    );
}

#[test]
fn answers_that_lie() {
    let protocol = Err(ErrorKind::Protocol);
    let html = Scripted {
        status: 200,
        headers: vec![("Content-Type".into(), "text/html".into())],
        body: b"<html>hello</html>".to_vec(),
    };
    assert_eq!(token_after(&[html], &[]), (protocol, 1));
    assert_eq!(
        token_after(&[json(200, r#"{"expires_in":3600}"#)], &[]),
        (protocol, 1)
    );
    assert_eq!(
        token_after(
            &[json(200, r#"{"access_token":"a","token_type":"mac"}"#)],
            &[]
        ),
        (protocol, 1)
    );
    assert_eq!(
        token_after(&[json(200, r#"{"access_token":"a","expires_in":-1}"#)], &[]),
        (protocol, 1)
    );
    assert_eq!(
        token_after(
            &[json(200, r#"{"access_token":"a b","expires_in":60}"#)],
            &[]
        ),
        (protocol, 1)
    );
}

#[test]
fn expires_in_forms() {
    let ok = |body: &str| token_after(&[json(200, body)], &[]);
    assert_eq!(
        ok(r#"{"access_token":"a","expires_in":"120","token_type":"bearer"}"#),
        (Ok(Duration::from_secs(120)), 1)
    );
    assert_eq!(
        ok(r#"{"access_token":"a","expires_in":0}"#),
        (Ok(Duration::ZERO), 1)
    );
    assert_eq!(
        ok(r#"{"access_token":"a","expires_in":59.5}"#),
        (Ok(Duration::from_secs(59)), 1)
    );
    assert_eq!(
        ok(r#"{"access_token":"a","expires_in":1e300}"#),
        (Ok(Duration::from_secs(86400)), 1)
    );
    assert_eq!(
        ok(r#"{"access_token":"a","expires_in":99999999999999999999}"#),
        (Ok(Duration::from_secs(86400)), 1)
    );
}

#[test]
fn a_zero_lifetime_token_is_fetched_for_every_call() {
    let server = server();
    server.set_token_lifetime(0);
    let client = Client::new(creds(&server.base_url(), &[])).unwrap();
    for _ in 0..3 {
        client.access_token(None).unwrap();
    }
    assert_eq!(server.token_requests(), 3);
}

#[test]
fn a_token_answer_over_the_cap_is_refused() {
    let big = format!(
        r#"{{"access_token":"a","pad":"{}"}}"#,
        "x".repeat(2 * 1024 * 1024)
    );
    assert_eq!(
        token_after(&[json(200, &big)], &[]),
        (Err(ErrorKind::TooLarge), 1)
    );
}

#[test]
fn an_api_answer_over_the_cap_is_refused() {
    let server = server();
    server.push_api_response(json(200, &"y".repeat(5000)));
    let client = Client::new(creds(&server.base_url(), &[("max_response_bytes", "1000")])).unwrap();
    let e = client.request("GET", "/big", &[], b"").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TooLarge);
    assert_eq!(
        e.message(),
        format!(
            "GET {}/v1/big: response body larger than 1000 bytes",
            server.base_url()
        )
    );
    assert_eq!(server.api_requests(), 1);
}

#[test]
fn refused_connection() {
    let url = {
        let gone = server();
        gone.base_url()
    };
    let e = Client::new(creds(&url, &[]))
        .unwrap()
        .access_token(None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport);
    assert_no_secrets(e.message());
}

#[test]
fn connect_timeout() {
    let hole = BlackHole::new();
    let started = Instant::now();
    let c = creds(&hole.url, &[("connect_timeout", "1"), ("max_retries", "0")]);
    let e = Client::new(c).unwrap().access_token(None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{}", e.message());
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "{took:?}"
    );
}

#[test]
fn a_stall_mid_body_is_cut_off_within_the_timeout() {
    let raw = RawServer::start(|_, s| {
        send(s, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"access_");
        std::thread::sleep(Duration::from_secs(4));
    });
    let started = Instant::now();
    let e = Client::new(creds(&raw.url(), &[("timeout", "1"), ("max_retries", "1")]))
        .unwrap()
        .access_token(None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{}", e.message());
    assert_eq!(
        raw.connections(),
        2,
        "a timeout is retried once (max_retries = 1)"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_truncated_body_is_a_transport_error_and_retried() {
    let raw = RawServer::start(|_, s| {
        send(s, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"access_token\":\"tok-x\"");
    });
    let e = Client::new(creds(&raw.url(), &[]))
        .unwrap()
        .access_token(None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{}", e.message());
    assert_eq!(raw.connections(), 4);
    assert_no_secrets(e.message());
}

#[test]
fn api_retries_depend_on_the_method() {
    let server = server();
    let client = Client::new(creds(&server.base_url(), &[])).unwrap();
    client.access_token(None).unwrap();
    let api = |method: &str, scripted: &[Scripted]| {
        server.reset_counts();
        for s in scripted {
            server.push_api_response(s.clone());
        }
        let status = client
            .request(method, "/documents", &[], b"x")
            .unwrap()
            .status();
        (status, server.api_requests())
    };
    assert_eq!(api("POST", &[json(503, "{}")]), (200, 2));
    assert_eq!(api("POST", &[json(429, "{}")]), (200, 2));
    assert_eq!(api("POST", &[json(500, "{}")]), (500, 1));
    assert_eq!(api("PATCH", &[json(502, "{}")]), (502, 1));
    assert_eq!(api("GET", &[json(500, "{}")]), (200, 2));
    assert_eq!(api("PUT", &[json(502, "{}")]), (200, 2));
    assert_eq!(api("DELETE", &vec![json(500, "{}"); 6]), (500, 4));
}

#[test]
fn a_redirect_from_the_api_is_not_followed() {
    let server = server();
    let other = support::server();
    let mut redirect = json(302, "");
    redirect
        .headers
        .push(("Location".into(), format!("{}/v1/steal", other.base_url())));
    server.push_api_response(redirect);
    let client = Client::new(creds(&server.base_url(), &[])).unwrap();
    let response = client.request("GET", "/documents", &[], b"").unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(
        other.requests().len(),
        0,
        "the other origin received nothing"
    );
    assert_eq!(server.api_requests(), 1);
}

#[test]
fn a_retry_and_a_fetch_each_log_one_line_with_timing() {
    let server = server();
    server.push_token_response(json(500, "{}"));
    Client::new(creds(&server.base_url(), &[]))
        .unwrap()
        .access_token(None)
        .unwrap();
    let url = format!("token request to {}/oauth2/token", server.base_url());
    let lines: Vec<String> = log_lines()
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.starts_with(&url))
        .cloned()
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with(&format!(
            "{url}: attempt 1 failed (a temporary HTTP status) after "
        )),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains(" ms; retrying in "), "{}", lines[0]);
    assert!(
        lines[1].starts_with(&format!("{url} for scope '': HTTP 200 in "))
            && lines[1].ends_with(" ms"),
        "{}",
        lines[1]
    );
    assert_no_secrets("");
}

#[test]
fn thirty_two_threads_through_failure_and_recovery() {
    let server = Arc::new(server());
    server.set_token_lifetime(1);
    let client = Arc::new(Client::new(creds(&server.base_url(), &[("max_retries", "1")])).unwrap());
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    for i in 0..32 {
        let (client, done) = (client.clone(), done_tx.clone());
        std::thread::spawn(move || {
            for _ in 0..40 {
                let _ = client.access_token(None);
                let _ = client.request(
                    if i % 2 == 0 { "GET" } else { "POST" },
                    "/documents",
                    &[],
                    b"",
                );
            }
            let _ = done.send(());
        });
    }
    // The server fails in bursts while the threads run.
    for _ in 0..5 {
        for _ in 0..6 {
            server.push_token_response(json(503, "{}"));
            server.push_api_response(json(500, "{}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    for _ in 0..32 {
        done_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("every thread returns: no deadlock");
    }
    // The server recovers: failures no thread took are dropped (how many the threads took
    // depends on the scheduling), and the last token outlives its one second.
    assert!(
        server.requests().len() >= 2,
        "the threads reached the server"
    );
    server.clear_scripted_responses();
    std::thread::sleep(Duration::from_millis(1100));
    let before = server.token_requests();
    let token = client.access_token(None).unwrap();
    assert_eq!(
        server.token_requests(),
        before + 1,
        "the stale token was renewed"
    );
    assert!(token.lifetime() == Duration::from_secs(1) || token.lifetime() == HOUR);
    let mut ok = false;
    for _ in 0..10 {
        if client
            .request("GET", "/documents", &[], b"")
            .map(|r| r.status())
            == Ok(200)
        {
            ok = true;
            break;
        }
    }
    assert!(ok, "API calls succeed once the server recovered");
    assert_no_secrets("");
}

#[test]
fn debug_output_redacts_secrets() {
    let server = TestServer::start(Default::default()).unwrap();
    let c = creds(&server.base_url(), &[]);
    let client = Client::new(c.clone()).unwrap();
    let token = client.access_token(None).unwrap();
    for text in [
        format!("{c:?}"),
        format!("{client:?}"),
        format!("{token:?}"),
    ] {
        assert!(
            !text.contains("CLIENT_SECRET")
                && !text.contains("API_KEY")
                && !text.contains(token.secret()),
            "{text}"
        );
    }
}
