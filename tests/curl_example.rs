//! The libcurl example (examples/curl/curl_requests.c): requests sent by libcurl, authorized by
//! lucid_client_authorize. 20 GETs with the token revoked after the 10th: at least 19 answers
//! 200 (it sends the 11th again after telling lucid_client_unauthorized, so 20) and exactly 2
//! token requests. Skipped, with a line saying so, without the libcurl headers.

mod support;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use support::c::{c_program, compile_with, has_header, under_valgrind};
use support::*;

/// The example, compiled once for the tests of this file (which run in parallel).
fn lucid_curl() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| compile_with("examples/curl/curl_requests.c", "lucid-curl", &["-lcurl"]))
}

/// Credentials pointing at `server`, in a file of `dir`.
fn credentials_file(
    dir: &TempDir,
    server: &lucidauth_testserver::TestServer,
    api_key: bool,
) -> PathBuf {
    let base = server.base_url();
    let key = if api_key { "api_key = API_KEY\n" } else { "" };
    dir.write(
        "credentials.cfg",
        &format!("client_id = CLIENT_ID\nclient_secret = CLIENT_SECRET\n{key}auth_endpoint = {base}\napi_endpoint = {base}/v1\n"),
    )
}

#[test]
fn twenty_gets_with_the_token_revoked_after_the_tenth() {
    if !has_header("curl/curl.h") {
        eprintln!("skipped: curl/curl.h not found (apt-get install libcurl4-openssl-dev)");
        return;
    }
    let server = server();
    let dir = TempDir::new("curl");
    let creds = credentials_file(&dir, &server, true);
    let base = server.base_url();
    let url = format!("{base}/v1/documents");
    let revoke = format!("{base}/_admin/revoke");
    let mut args: Vec<&str> = Vec::new();
    for i in 1..=20 {
        args.extend(["GET", url.as_str()]);
        if i == 10 {
            args.extend(["POST", revoke.as_str()]); // the testserver's revocation, same origin
        }
    }
    let out = under_valgrind(lucid_curl())
        .arg("--credentials")
        .arg(&creds)
        .args(&args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ok = format!("GET {url}: HTTP 200");
    let answered_200 = stdout.lines().filter(|l| *l == ok).count();
    assert!(answered_200 >= 19, "{answered_200} answers 200:\n{stdout}");
    assert_eq!(answered_200, 20, "the 11th is sent again:\n{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[10], format!("POST {revoke}: HTTP 204"));
    assert_eq!(lines[11], format!("GET {url}: HTTP 401, sent again"));
    assert_eq!(lines.len(), 22, "{stdout}");
    assert_eq!(server.token_requests(), 2, "exactly 2 token requests");
    assert_eq!(server.api_requests(), 21, "20 GETs and the one sent again");
}

/// A URL on another origin: lucid-curl stops with lucid_client_authorize's refusal, nothing is
/// sent there and no token is fetched.
#[test]
fn another_origin_is_refused() {
    if !has_header("curl/curl.h") {
        eprintln!("skipped: curl/curl.h not found (apt-get install libcurl4-openssl-dev)");
        return;
    }
    let server = server();
    let dir = TempDir::new("curl");
    let creds = credentials_file(&dir, &server, false);
    let elsewhere = format!("http://localhost:{}/v1/documents", server.port());
    let out = c_program(lucid_curl())
        .arg("--credentials")
        .arg(&creds)
        .args(["GET", elsewhere.as_str()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("lucid_client_authorize: LUCID_STATUS_INSECURE_URL"),
        "{stderr}"
    );
    assert_eq!(server.token_requests() + server.api_requests(), 0);
}
