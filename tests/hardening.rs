//! Hardening: a broken stderr, one deadline for a whole call, and out-of-range durations, seen
//! through the `lucid` tool and the Rust API.
#![cfg(unix)]

mod support;

use lucidauth::{CredentialsBuilder, ErrorKind, MAX_SECONDS};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use support::c::{c_program, lucid};
use support::raw::{send, RawServer};
use support::*;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn home_with(auth_url: &str, extra: &str) -> TempDir {
    let home = TempDir::new("hardening");
    home.write(
        ".lucidtech/credentials.cfg",
        &format!(
            "client_id = CLIENT_ID\nclient_secret = CLIENT_SECRET\napi_key = API_KEY\nauth_endpoint = {auth_url}\napi_endpoint = {auth_url}/v1\n{extra}"
        ),
    );
    home
}

/// `lucid args` run by a shell that ignores SIGPIPE first (as many C programs do), so that a
/// write to a closed pipe is an EPIPE error rather than the end of the process.
fn lucid_ignoring_sigpipe(home: &Path, args: &[&str]) -> std::process::Command {
    let mut cmd = c_program(Path::new("sh"));
    cmd.env("HOME", home)
        .arg("-c")
        .arg("trap '' PIPE; exec \"$0\" \"$@\"")
        .arg(lucid())
        .args(args);
    cmd
}

#[test]
fn a_closed_stderr_does_not_fail_a_call_that_logs() {
    let server = server();
    let home = home_with(&server.base_url(), "");
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = lucid_ignoring_sigpipe(&home.0, &["token"])
        .env("LUCIDAUTH_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(writer)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "stdout: {}", text(&out.stdout));
    assert!(
        text(&out.stdout).starts_with("tok-"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(server.token_requests(), 1);
}

#[test]
fn retry_deadline_bounds_a_whole_request() {
    // The token endpoint takes 1.5 s; the API never answers.
    let raw = RawServer::start(|n, s| {
        if n == 0 {
            std::thread::sleep(Duration::from_millis(1500));
            let body = r#"{"access_token":"tok-slow","expires_in":3600,"token_type":"Bearer"}"#;
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            send(s, head.as_bytes());
            send(s, body.as_bytes());
            return;
        }
        std::thread::sleep(Duration::from_secs(30));
    });
    let home = home_with(
        &raw.url(),
        "timeout = 2\nretry_deadline = 5\nretry_backoff_ms = 1\n",
    );
    lucid();
    let started = Instant::now();
    let out = c_program(lucid())
        .env("HOME", &home.0)
        .args(["request", "GET", "/documents"])
        .output()
        .unwrap();
    let took = started.elapsed();
    println!("lucid request with a 1.5 s token endpoint and a silent API: {took:?}");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).starts_with("lucid: LUCID_STATUS_TIMEOUT: "),
        "{}",
        text(&out.stderr)
    );
    // 5 s of retry_deadline, plus slack for a busy machine; before, the API's retries got a
    // deadline of their own after the token's 1.5 s (6.5 s and more).
    assert!(took < Duration::from_millis(6400), "{took:?}");
}

#[test]
fn huge_durations_are_refused_naming_the_key_with_any_cache() {
    for key in [
        "retry_deadline",
        "timeout",
        "connect_timeout",
        "refresh_margin",
        "max_retry_after",
    ] {
        let mut b = CredentialsBuilder::new();
        b.set("client_id", "i").unwrap();
        b.set("client_secret", "s").unwrap();
        b.set("use_cache", "true").unwrap();
        b.set("cache_url", "redis://127.0.0.1:1/0").unwrap();
        let e = b.set(key, "18446744073709551615").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{key}");
        assert!(
            e.message().contains(&format!("key '{key}'")),
            "{}",
            e.message()
        );
    }
    let e = CredentialsBuilder::new()
        .set("retry_backoff_ms", "18446744073709551615")
        .unwrap_err();
    assert!(e.message().contains("retry_backoff_ms"), "{}", e.message());

    // Through the C tool, from a file.
    let home = home_with(
        "http://127.0.0.1:1",
        "use_cache = true\ncache_url = redis://127.0.0.1:1/0\nretry_deadline = 18446744073709551615\n",
    );
    let out = c_program(lucid())
        .env("HOME", &home.0)
        .arg("token")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("lucid: LUCID_STATUS_INVALID_ARGUMENT: ")
            && stderr.contains("key 'retry_deadline'"),
        "{stderr}"
    );
}

#[test]
fn the_longest_durations_accepted_cause_no_overflow() {
    let server = server();
    let cache = TempDir::new("hardening-cache");
    let mut b = builder_for(&server);
    let longest = MAX_SECONDS.to_string();
    for key in [
        "retry_deadline",
        "timeout",
        "connect_timeout",
        "refresh_margin",
        "max_retry_after",
    ] {
        b.set(key, &longest).unwrap();
    }
    b.set("retry_backoff_ms", &(MAX_SECONDS * 1000).to_string())
        .unwrap();
    b.set("use_cache", "true").unwrap();
    b.set("cache_dir", cache.0.to_str().unwrap()).unwrap();
    let client = lucidauth::Client::new(b.build().unwrap()).unwrap();
    assert!(client
        .access_token(None)
        .unwrap()
        .secret()
        .starts_with("tok-"));
    let response = client.request("GET", "/documents", &[], b"").unwrap();
    assert_eq!(response.status(), 200);

    // And with Redis (down: the call goes on without it).
    let mut b = builder_for(&server);
    b.set("retry_deadline", &longest).unwrap();
    b.set("timeout", &longest).unwrap();
    b.set("cache_url", "redis://127.0.0.1:1/0").unwrap();
    let client = lucidauth::Client::new(b.build().unwrap()).unwrap();
    assert!(client
        .access_token(None)
        .unwrap()
        .secret()
        .starts_with("tok-"));
}
