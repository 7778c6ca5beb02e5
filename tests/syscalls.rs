//! A count that cannot drift with the machine's load: a keep-alive API request makes at most 4
//! system calls (a liveness peek, the send, the receive, and a timeout set only when it changes),
//! counted by strace on a child process (this test binary again) while the test server runs in
//! this one. Skipped, with a line saying so, when strace is not installed.

mod support;

use lucidauth::Client;
use lucidauth_testserver::ServerConfig;
use std::process::Command;

const REQUESTS: usize = 50;
const BEGIN: &str = "/nonexistent/lucidauth-syscalls-begin";
const END: &str = "/nonexistent/lucidauth-syscalls-end";

/// Run by the test below under strace: one request to warm up (the token, the connection), then
/// `REQUESTS` between two marker calls that strace shows.
#[test]
#[ignore = "run under strace by a_keep_alive_request_makes_at_most_4_system_calls"]
fn strace_child() {
    let Ok(base) = std::env::var("LUCIDAUTH_SYSCALLS_SERVER") else {
        return;
    };
    let mut b = lucidauth::CredentialsBuilder::new();
    b.set("client_id", "CLIENT_ID").unwrap();
    b.set("client_secret", "CLIENT_SECRET").unwrap();
    b.set("api_key", "API_KEY").unwrap();
    b.set("auth_endpoint", &base).unwrap();
    b.set("api_endpoint", &format!("{base}/v1")).unwrap();
    let client = Client::new(b.build().unwrap()).unwrap();
    assert_eq!(
        client
            .request("GET", "/documents", &[], b"")
            .unwrap()
            .status(),
        200
    );
    let _ = std::fs::metadata(BEGIN);
    for _ in 0..REQUESTS {
        assert_eq!(
            client
                .request("GET", "/documents", &[], b"")
                .unwrap()
                .status(),
            200
        );
    }
    let _ = std::fs::metadata(END);
}

#[test]
fn a_keep_alive_request_makes_at_most_4_system_calls() {
    if Command::new("strace").arg("-V").output().is_err() {
        println!("skipped: strace not found (apt-get install strace)");
        return;
    }
    let server = support::server_with(ServerConfig {
        keep_alive: true,
        ..ServerConfig::default()
    });
    let dir = support::TempDir::new("syscalls");
    let trace = dir.0.join("trace");
    let status = Command::new("strace")
        .args(["-f", "-qq", "-o"])
        .arg(&trace)
        .arg(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "strace_child", "--test-threads=1"])
        .env("LUCIDAUTH_SYSCALLS_SERVER", server.base_url())
        .status()
        .unwrap();
    assert!(status.success());
    let text = std::fs::read_to_string(&trace).unwrap();
    let calls: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.contains(BEGIN))
        .skip(1)
        .take_while(|l| !l.contains(END))
        .filter(|l| !l.contains(" resumed>") && !l.contains("+++") && !l.contains("---"))
        .collect();
    assert!(text.contains(END), "no end marker in the trace:\n{text}");
    println!("{} system calls for {REQUESTS} requests", calls.len());
    assert!(
        calls.len() <= 4 * REQUESTS,
        "{} system calls for {REQUESTS} requests:\n{}",
        calls.len(),
        calls.join("\n")
    );
    assert_eq!(server.connections(), 1, "one keep-alive connection");
}
