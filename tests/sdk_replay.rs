//! What real users already have, replayed over HTTPS: the credentials the official SDKs
//! (lucidtech-las, cradl) read, used through the `lucid` tool (the C API), against a local TLS
//! server with a throwaway CA (given through `ca_file` or `SSL_CERT_FILE`) that records every
//! request byte for byte. Each case prints its recorded requests (`--nocapture`).
//!
//! The SDKs' own requests, for comparison (recorded from lucidtech-las 11.4.1 and cradl 0.6.8):
//!
//! ```text
//! POST /oauth2/token?grant_type=client_credentials HTTP/1.1       (las; cradl's legacy flow)
//! Content-Type: application/x-www-form-urlencoded
//! Content-Length: 0
//! Authorization: Basic Q0xJRU5UX0lEOkNMSUVOVF9TRUNSRVQ=
//!
//! POST /oauth2/token HTTP/1.1                                      (cradl's Kinde flow)
//! Content-Length: 118
//! Content-Type: application/x-www-form-urlencoded
//!
//! client_id=CLIENT_ID&client_secret=CLIENT_SECRET&grant_type=client_credentials&audience=https%3A%2F%2Fapi.cradl.ai%2Fv1
//!
//! POST /v1/datasets HTTP/1.1                                       (both, every API call)
//! Authorization: Bearer <token>
//! Content-Type: application/json
//! ```

mod support;

use lucidauth::{Client, Clock, CredentialsBuilder, ManualClock};
use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use support::c::lucid_command;
use support::tls::{Recorded, TlsRecorder};
use support::TempDir;

/// base64("CLIENT_ID:CLIENT_SECRET")
const BASIC: &str = "Basic Q0xJRU5UX0lEOkNMSUVOVF9TRUNSRVQ=";
const DATASET: &str = r#"{"name": "invoices", "description": "replayed"}"#;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn show(case: &str, server: &TlsRecorder) -> Vec<Recorded> {
    let requests = server.requests();
    eprintln!("==== {case}: {} requests", requests.len());
    for r in &requests {
        eprintln!("{}\n----", r.text());
    }
    requests
}

/// `lucid` with HOME `home` and `vars`, and nothing else from this process's environment.
fn lucid(home: &Path, vars: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = lucid_command(home, args);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    out
}

/// The headers of a request other than those that vary by run (Host's port, User-Agent's
/// version), in the order sent.
fn stable_headers(r: &Recorded) -> Vec<String> {
    r.headers
        .iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case("host") && !n.eq_ignore_ascii_case("user-agent"))
        .map(|(n, v)| format!("{n}: {v}"))
        .collect()
}

/// A JWT (`{"alg":"none"}`, unsigned) whose `exp` is `exp`.
fn jwt(exp: u64) -> String {
    use base64::Engine;
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!(r#"{{"sub":"replay","exp":{exp}}}"#));
    format!("eyJhbGciOiJub25lIn0.{payload}.sig")
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// The las (and cradl legacy) token request: Basic, grant_type in the query, no body.
fn assert_las_token_request(r: &Recorded) {
    assert_eq!(
        r.request_line,
        "POST /oauth2/token?grant_type=client_credentials HTTP/1.1"
    );
    assert_eq!(
        stable_headers(r),
        [
            "content-length: 0",
            &format!("authorization: {BASIC}"),
            "content-type: application/x-www-form-urlencoded",
            "accept: application/json",
            "cache-control: no-cache",
        ]
    );
    assert_eq!(r.body, b"");
}

/// An API call: the token as Bearer, JSON when there is a body.
fn assert_api_request(r: &Recorded, line: &str, token: &str, body: Option<&str>) {
    assert_eq!(r.request_line, line);
    let mut expected = Vec::new();
    if let Some(body) = body {
        expected.push(format!("content-length: {}", body.len()));
    }
    expected.push("accept: */*".to_string());
    expected.push(format!("authorization: Bearer {token}"));
    if body.is_some() {
        expected.push("content-type: application/json".to_string());
    }
    assert_eq!(stable_headers(r), expected);
    assert_eq!(text(&r.body), body.unwrap_or(""));
    assert_eq!(r.header_count("x-api-key"), 0);
}

/// lucidtech-las ≥ 2.0 writes `auth_endpoint = auth.lucidtech.ai/oauth2` and posts to
/// `https://{auth_endpoint}/token`; the same file, with a JSON POST through `lucid request`.
#[test]
fn las_credentials_cfg_with_a_path_prefix_and_a_json_post() {
    let server = TlsRecorder::start();
    let home = TempDir::new("replay");
    let ca = home.write("ca.pem", &server.ca_pem);
    home.write(
        ".lucidtech/credentials.cfg",
        &format!(
            "[default]\nclient_id = CLIENT_ID\nclient_secret = CLIENT_SECRET\nauth_endpoint = {0}/oauth2\napi_endpoint = https://{0}/v1\nca_file = {1}\n",
            server.host(),
            ca.display()
        ),
    );
    let out = lucid(
        &home.0,
        &[],
        &["request", "POST", "/datasets", "--data", DATASET],
    );
    assert_eq!(text(&out.stdout), r#"{"ok":true}"#);
    let r = show(
        "las credentials.cfg, auth_endpoint HOST/oauth2, JSON POST",
        &server,
    );
    assert_eq!(r.len(), 2);
    assert_las_token_request(&r[0]);
    assert_api_request(
        &r[1],
        "POST /v1/datasets HTTP/1.1",
        "token-1",
        Some(DATASET),
    );
}

/// The cradl SDK's `~/.cradl/credentials.json`, a legacy (non-Kinde) profile: found by
/// discovery when there is no ~/.lucidtech file; the CA through SSL_CERT_FILE.
#[test]
fn cradl_json_legacy_profile() {
    let server = TlsRecorder::start();
    let home = TempDir::new("replay");
    let ca = home.write("ca.pem", &server.ca_pem);
    home.write(
        ".cradl/credentials.json",
        &format!(
            r#"{{
  "default": {{"client_id": "OTHER", "client_secret": "OTHER", "auth_endpoint": "auth.example.com/oauth2", "api_endpoint": "https://api.example.com/v1"}},
  "legacy": {{
    "client_id": "CLIENT_ID",
    "client_secret": "CLIENT_SECRET",
    "auth_endpoint": "{0}/oauth2",
    "api_endpoint": "https://{0}/v1",
    "use_cache": false
  }}
}}"#,
            server.host()
        ),
    );
    let ca = ca.display().to_string();
    lucid(
        &home.0,
        &[("SSL_CERT_FILE", &ca)],
        &["--profile", "legacy", "request", "GET", "/datasets"],
    );
    let r = show("~/.cradl/credentials.json, legacy profile", &server);
    assert_eq!(r.len(), 2);
    assert_las_token_request(&r[0]);
    assert_api_request(&r[1], "GET /v1/datasets HTTP/1.1", "token-1", None);
}

/// The Kinde flow of the cradl SDK, from the JSON file, with the flow's keys given (the host
/// here is 127.0.0.1, not auth.cradl.ai; the host default is tested without a network below).
/// Kinde's bogus 400 (no `error` member) is retried.
#[test]
fn cradl_kinde_flow_from_the_json_file() {
    let server = TlsRecorder::start();
    let home = TempDir::new("replay");
    let ca = home.write("ca.pem", &server.ca_pem);
    home.write(
        ".cradl/credentials.json",
        &format!(
            r#"{{"default": {{
    "client_id": "CLIENT_ID",
    "client_secret": "CLIENT_SECRET",
    "auth_endpoint": "https://{0}/oauth2/token",
    "api_endpoint": "https://{0}/v1",
    "client_auth": "post",
    "token_params": "body",
    "audience": "https://api.cradl.ai/v1"
}}}}"#,
            server.host()
        ),
    );
    server.push(400, "<html><body>Bad Request</body></html>");
    let ca = ca.display().to_string();
    lucid(
        &home.0,
        &[("SSL_CERT_FILE", &ca)],
        &["request", "POST", "/datasets", "--data", DATASET],
    );
    let r = show(
        "~/.cradl/credentials.json, Kinde flow, a bogus 400 first",
        &server,
    );
    assert_eq!(r.len(), 3);
    for token_request in &r[..2] {
        assert_kinde_token_request(token_request);
    }
    assert_api_request(
        &r[2],
        "POST /v1/datasets HTTP/1.1",
        "token-2",
        Some(DATASET),
    );
}

const KINDE_BODY: &str = "client_id=CLIENT_ID&client_secret=CLIENT_SECRET&grant_type=client_credentials&audience=https%3A%2F%2Fapi.cradl.ai%2Fv1";

fn assert_kinde_token_request(r: &Recorded) {
    assert_eq!(r.request_line, "POST /oauth2/token HTTP/1.1");
    assert_eq!(
        stable_headers(r),
        [
            "content-length: 118",
            "content-type: application/x-www-form-urlencoded",
            "accept: application/json",
            "cache-control: no-cache",
        ]
    );
    assert_eq!(text(&r.body), KINDE_BODY);
    assert_eq!(r.header_count("authorization"), 0);
}

/// CRADL_* variables with a Kinde host: the flow is the cradl SDK's without any key saying so.
/// (auth.cradl.ai cannot be reached from a test: the request is built, not sent.)
#[test]
fn cradl_env_with_a_kinde_host_gets_the_kinde_flow() {
    let vars = [
        ("CRADL_CLIENT_ID", "CLIENT_ID"),
        ("CRADL_CLIENT_SECRET", "CLIENT_SECRET"),
        ("CRADL_AUTH_ENDPOINT", "https://auth.cradl.ai/oauth2/token"),
        ("CRADL_API_ENDPOINT", "https://api.cradl.ai/v1"),
    ];
    let env = |name: &str| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    };
    let creds = lucidauth::Discovery {
        env: &env,
        files: Vec::new(),
    }
    .find(None)
    .unwrap();
    let request = lucidauth::internal::build_request(&creds.token_endpoint().unwrap(), None, None);
    assert_eq!(request.url, "https://auth.cradl.ai/oauth2/token");
    assert_eq!(text(&request.body), KINDE_BODY);
    assert!(request.headers.iter().all(|(n, _)| *n != "Authorization"));
    eprintln!(
        "==== CRADL_* with auth.cradl.ai (built, not sent)\nPOST {}\n{:?}\n\n{}",
        request.url,
        request.headers,
        text(&request.body)
    );
}

/// CRADL_* variables end to end (a legacy, non-Kinde endpoint), the CA through SSL_CERT_FILE.
#[test]
fn cradl_env_end_to_end() {
    let server = TlsRecorder::start();
    let home = TempDir::new("replay");
    let ca = home.write("ca.pem", &server.ca_pem).display().to_string();
    let auth = format!("{}/oauth2", server.host());
    let api = format!("https://{}/v1", server.host());
    lucid(
        &home.0,
        &[
            ("CRADL_CLIENT_ID", "CLIENT_ID"),
            ("CRADL_CLIENT_SECRET", "CLIENT_SECRET"),
            ("CRADL_AUTH_ENDPOINT", &auth),
            ("CRADL_API_ENDPOINT", &api),
            ("SSL_CERT_FILE", &ca),
        ],
        &["request", "POST", "/datasets", "--data", DATASET],
    );
    let r = show("CRADL_* variables", &server);
    assert_eq!(r.len(), 2);
    assert_las_token_request(&r[0]);
    assert_api_request(
        &r[1],
        "POST /v1/datasets HTTP/1.1",
        "token-1",
        Some(DATASET),
    );
}

/// CRADL_ACCESS_TOKEN (and LAS_ACCESS_TOKEN) with no id or secret: the JWT is used as it is,
/// with no token request; once it has expired the call fails with a CONFIG error.
#[test]
fn a_jwt_access_token_without_a_secret() {
    let server = TlsRecorder::start();
    let home = TempDir::new("replay");
    let ca = home.write("ca.pem", &server.ca_pem).display().to_string();
    let api = format!("https://{}/v1", server.host());
    let token = jwt(unix(SystemTime::now()) + 3600);
    for prefix in ["CRADL", "LAS"] {
        let (t, e) = (
            format!("{prefix}_ACCESS_TOKEN"),
            format!("{prefix}_API_ENDPOINT"),
        );
        lucid(
            &home.0,
            &[(&t, &token), (&e, &api), ("SSL_CERT_FILE", &ca)],
            &["request", "GET", "/datasets"],
        );
    }
    let r = show(
        "CRADL_ACCESS_TOKEN, then LAS_ACCESS_TOKEN, no secret",
        &server,
    );
    assert_eq!(r.len(), 2, "no token request");
    for api_request in &r {
        assert_api_request(api_request, "GET /v1/datasets HTTP/1.1", &token, None);
    }

    let expired = jwt(unix(SystemTime::now()) - 10);
    let out = lucid_command(&home.0, &["request", "GET", "/datasets"])
        .env("CRADL_ACCESS_TOKEN", &expired)
        .env("CRADL_API_ENDPOINT", &api)
        .env("SSL_CERT_FILE", &ca)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "lucid: LUCID_STATUS_CONFIG: the access_token has expired (or expires within refresh_margin) and there is no client_id/client_secret to fetch another\n"
    );
    assert!(!text(&out.stderr).contains(&expired));
    assert_eq!(
        server.requests().len(),
        2,
        "nothing sent with an expired token"
    );
}

/// With client credentials too, the pre-issued token serves until its exp less the margin, on
/// the client's clock; then the client fetches.
#[test]
fn an_access_token_then_the_client_credentials() {
    let server = TlsRecorder::start();
    let dir = TempDir::new("replay");
    let ca = dir.write("ca.pem", &server.ca_pem);
    let clock = Arc::new(ManualClock::new());
    let token = jwt(unix(clock.wall()) + 1000);
    let mut b = CredentialsBuilder::new();
    b.set("client_id", "CLIENT_ID").unwrap();
    b.set("client_secret", "CLIENT_SECRET").unwrap();
    b.set("access_token", &token).unwrap();
    b.set("auth_endpoint", &format!("{}/oauth2", server.host()))
        .unwrap();
    b.set("api_endpoint", &format!("https://{}/v1", server.host()))
        .unwrap();
    b.set("ca_file", ca.to_str().unwrap()).unwrap();
    // The caller that finds the token stale fetches (with refresh ahead, a background thread
    // would, and the order of the recorded requests would be a race).
    b.set("refresh_ahead", "false").unwrap();
    let client = Client::with_clock(b.build().unwrap(), clock.clone()).unwrap();
    client.request("GET", "/datasets", &[], b"").unwrap();
    clock.advance(Duration::from_secs(699));
    client.request("GET", "/datasets", &[], b"").unwrap();
    clock.advance(Duration::from_secs(1));
    client.request("GET", "/datasets", &[], b"").unwrap();
    let r = show(
        "access_token, then client credentials after exp - 300 s",
        &server,
    );
    assert_eq!(r.len(), 4);
    assert_api_request(&r[0], "GET /v1/datasets HTTP/1.1", &token, None);
    assert_api_request(&r[1], "GET /v1/datasets HTTP/1.1", &token, None);
    assert_las_token_request(&r[2]);
    assert_api_request(&r[3], "GET /v1/datasets HTTP/1.1", "token-3", None);
}
