//! C programs built against the library and run against the local server: the contract test
//! (tests/c/ffi_contract.c) and the `lucid` example tool with its exact output and exit statuses.

mod support;

use lucidauth_testserver::{Scripted, TestServer};
use std::path::Path;
use std::process::{Command, Output};
use support::c::{c_program, compile, lucid, lucid_command, root, under_valgrind};
use support::*;

/// Runs `lucid` with `args`, with no LAS_* variables and HOME set to `home`.
fn run_lucid(home: &Path, args: &[&str]) -> Output {
    lucid_command(home, args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A temporary home whose ~/.lucidtech/credentials.cfg points at `server`.
fn home_for(server: &TestServer, extra: &str) -> TempDir {
    let home = TempDir::new("home");
    home.write(
        ".lucidtech/credentials.cfg",
        &format!(
            "client_id = CLIENT_ID\nclient_secret = CLIENT_SECRET\napi_key = API_KEY\nauth_endpoint = {0}\napi_endpoint = {0}/v1\n{extra}",
            server.base_url()
        ),
    );
    home
}

#[test]
fn header_compiles_as_c99_and_as_cpp() {
    let header = root().join("include/lucidauth.h");
    for (compiler, args) in [
        ("cc", &["-std=c99", "-pedantic", "-x", "c"][..]),
        ("c++", &["-std=c++11", "-x", "c++"][..]),
    ] {
        let status = Command::new(compiler)
            .args(["-Wall", "-Wextra", "-Werror", "-fsyntax-only"])
            .args(args)
            .arg(&header)
            .status()
            .unwrap();
        assert!(status.success(), "{compiler} rejects the header");
    }
}

#[test]
fn c_contract_test_passes() {
    let server = server();
    let home = home_for(&server, "");
    let bin = compile("tests/c/ffi_contract.c", "ffi_contract");
    let scratch = TempDir::new("scratch");
    let out = under_valgrind(&bin)
        .arg(home.0.join(".lucidtech/credentials.cfg"))
        .arg(server.base_url())
        .arg(&scratch.0)
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.ends_with(" passed, 0 failed\n"), "{stdout}");
}

#[test]
fn lucid_version() {
    let out = run_lucid(Path::new("/nonexistent"), &["version"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout),
        format!("lucid {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn lucid_token_prints_the_token_and_a_newline() {
    let server = server();
    let home = home_for(&server, "");
    let out = run_lucid(&home.0, &["token"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("tok-") && stdout.ends_with('\n') && stdout.lines().count() == 1,
        "{stdout}"
    );
    assert_eq!(text(&out.stderr), "");
    assert_eq!(server.token_requests(), 1);
}

/// With `private_key_jwt`, `lucid info` names the key's type and thumbprint, never the key.
#[test]
fn lucid_info_shows_the_client_key_type_and_thumbprint() {
    let keys = root().join("tests/keys");
    let public = std::fs::read_to_string(keys.join("ec_p256.pub.pem")).unwrap();
    let server = server_with(lucidauth_testserver::ServerConfig {
        client_auth: lucidauth_testserver::ClientAuth::PrivateKeyJwt,
        client_keys: lucidauth_testserver::ClientKey::parse(&public).unwrap(),
        ..Default::default()
    });
    let home = home_for(
        &server,
        &format!(
            "client_auth = private_key_jwt\nclient_key_file = {}\n",
            keys.join("ec_p256.pem").display()
        ),
    );
    let out = run_lucid(&home.0, &["info"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout.lines().next(),
        Some("client_auth: private_key_jwt (EC P-256, thumbprint 3JOByYkXyIVJ9hEOT2D_mw1G694iuRrGnDYEZxS__Lc)"),
        "{stdout}"
    );
    assert!(!stdout.contains("PRIVATE"), "{stdout}");
    assert_eq!(server.token_requests(), 1);
}

#[test]
fn lucid_info_shows_where_the_token_came_from_and_when_it_expires_but_not_the_token() {
    let server = server();
    let home = home_for(&server, "");
    let out = run_lucid(&home.0, &["info"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0..3],
        [
            "client_auth: basic",
            "scope: (none)",
            "  from: token endpoint"
        ],
        "{stdout}"
    );
    let lines = &lines[1..];
    // Whole seconds left of a 3600 s token and its 300 s margin, a few milliseconds (one tick of
    // the coarse clock, or none) after the fetch.
    let seconds = |line: &str, prefix: &str| -> u64 {
        line.strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(" s"))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{line:?} in {stdout}"))
    };
    assert!(
        (3290..=3300).contains(&seconds(lines[2], "  renewed in: ")),
        "{stdout}"
    );
    assert!(
        (3590..=3600).contains(&seconds(lines[3], "  expires in: ")),
        "{stdout}"
    );
    assert_eq!(
        lines[4..],
        [
            "token_fetches: 1",
            "token_fetch_failures: 0",
            "memory_reads: 0",
            "shared_cache_reads: 0",
            "background_refreshes: 0",
            "unauthorized_refetches: 0",
            "retries: 0",
            lines[11],
            "last_error_status: LUCID_STATUS_OK",
        ],
        "{stdout}"
    );
    assert!(lines[11].starts_with("last_fetch_latency_ms: "), "{stdout}");
    assert!(!stdout.contains("tok-"), "the token is never printed");
    assert_eq!(server.token_requests(), 1);
}

#[test]
fn lucid_token_with_credentials_profile_and_scope() {
    let server = server();
    let home = TempDir::new("home");
    let file = home.write(
        "creds.cfg",
        &format!(
            "[work]\nclient_id = CLIENT_ID\nclient_secret = CLIENT_SECRET\nauth_endpoint = {}\n",
            server.base_url()
        ),
    );
    let out = run_lucid(
        &home.0,
        &[
            "--credentials",
            file.to_str().unwrap(),
            "--profile",
            "work",
            "--scope",
            "machinelearning.predict",
            "token",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        server.requests()[0].query,
        "grant_type=client_credentials&scope=machinelearning.predict"
    );
}

#[test]
fn lucid_request_prints_the_body_and_the_status() {
    let server = server();
    let home = home_for(&server, "");
    let out = run_lucid(
        &home.0,
        &[
            "request",
            "POST",
            "/documents?a=1",
            "--data",
            "hello",
            "--header",
            "X-Trace: 7",
            "--header",
            "Content-Type: text/plain",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "HTTP 200\n");
    let echo: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["path"], "/v1/documents");
    assert_eq!(echo["query"], "a=1");
    assert_eq!(echo["body"], "hello");
    assert_eq!(echo["headers"]["x-trace"], "7");
    assert_eq!(echo["headers"]["x-api-key"], "API_KEY");
    assert_eq!((server.token_requests(), server.api_requests()), (1, 1));
}

/// `--data` as text, `@FILE` and `-` (standard input): the body arrives as given, as JSON
/// (the SDKs' Content-Type) when no --header says otherwise.
#[test]
fn lucid_request_data_from_text_file_and_stdin_goes_as_json() {
    use std::io::Write;
    use std::process::Stdio;
    let server = server();
    let home = home_for(&server, "");
    let json = r#"{"name":"invoices","description":"from a file"}"#;
    let file = home.write("dataset.json", json);
    let at_file = format!("@{}", file.display());
    for args in [
        &["request", "POST", "/datasets", "--data", json][..],
        &["request", "POST", "/datasets", "--data", &at_file],
    ] {
        let out = run_lucid(&home.0, args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let echo: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(echo["body"], json, "{args:?}");
        assert_eq!(echo["headers"]["content-type"], "application/json");
    }
    let mut child = lucid_command(&home.0, &["request", "PUT", "/datasets/d1", "--data", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"{\"a\":\n1}")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let echo: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(echo["body"], "{\"a\":\n1}");
    assert_eq!(echo["headers"]["content-type"], "application/json");

    let out = run_lucid(
        &home.0,
        &["request", "POST", "/x", "--data", "@/nonexistent/body.json"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "lucid: cannot read /nonexistent/body.json: No such file or directory\n"
    );
    assert_eq!((server.token_requests(), server.api_requests()), (3, 3));

    // A body past 64 MiB is refused before anything is sent: /dev/zero, a (sparse) file one
    // byte too long, standard input from /dev/zero.
    let big = home.0.join("big.bin");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(64 * 1024 * 1024 + 1)
        .unwrap();
    let big_arg = format!("@{}", big.display());
    for (arg, name) in [
        ("@/dev/zero", "/dev/zero".to_string()),
        (big_arg.as_str(), big.display().to_string()),
    ] {
        let out = run_lucid(&home.0, &["request", "POST", "/x", "--data", arg]);
        assert_eq!(out.status.code(), Some(2), "{arg}");
        assert_eq!(
            text(&out.stderr),
            format!("lucid: {name} holds more than 67108864 bytes (64 MiB), the largest body --data sends\n")
        );
    }
    let out = lucid_command(&home.0, &["request", "POST", "/x", "--data", "-"])
        .stdin(std::fs::File::open("/dev/zero").unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("lucid: standard input holds more than 67108864 bytes"));
    assert_eq!((server.token_requests(), server.api_requests()), (3, 3));
}

/// On a terminal the body is followed by a newline, so "HTTP 200" is not glued to it; into a
/// pipe the body is given byte for byte. `script` runs lucid with a terminal as its output.
#[test]
fn lucid_request_ends_the_body_with_a_newline_on_a_terminal() {
    let found = Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("script (util-linux) not found: skipped");
        return;
    }
    let server = server();
    let home = home_for(&server, "");
    server.push_api_response(Scripted::json(200, r#"{"ok":true}"#));
    let line = format!("{} request GET /datasets", lucid().display());
    let out = c_program(Path::new("script"))
        .env("HOME", &home.0)
        .env("SHELL", "/bin/sh")
        .args(["-qec", &line, "/dev/null"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "{\"ok\":true}\r\nHTTP 200\r\n");
}

#[test]
fn lucid_request_outside_2xx_exits_4() {
    let server = server();
    let home = home_for(&server, "");
    server.push_api_response(Scripted::json(404, r#"{"message":"Not Found"}"#));
    let out = run_lucid(&home.0, &["request", "GET", "/documents/missing"]);
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(text(&out.stdout), r#"{"message":"Not Found"}"#);
    assert_eq!(text(&out.stderr), "HTTP 404\n");
}

#[test]
fn lucid_library_errors_exit_1_with_the_status_name() {
    let server = server();
    let home = home_for(&server, "");
    let file = home.write(
        "bad.cfg",
        &format!(
            "client_id = CLIENT_ID\nclient_secret = WRONG\nauth_endpoint = {}\n",
            server.base_url()
        ),
    );
    let out = run_lucid(&home.0, &["--credentials", file.to_str().unwrap(), "token"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "lucid: LUCID_STATUS_CREDENTIALS_REJECTED: token endpoint answered 401: invalid_client (Client authentication failed)\n"
    );
    assert_eq!(text(&out.stdout), "");

    let out = run_lucid(&home.0, &["--profile", "nope", "token"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("lucid: LUCID_STATUS_CONFIG: credentials file "),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("profile 'nope' not found (profiles in the file: default)\n"),
        "{stderr}"
    );

    let empty = TempDir::new("home");
    let out = run_lucid(&empty.0, &["token"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).starts_with("lucid: LUCID_STATUS_IO: credentials file "));
}

#[test]
fn lucid_usage_errors_exit_2() {
    let home = Path::new("/nonexistent");
    for args in [
        &[][..],
        &["frobnicate"],
        &["request", "GET"],
        &["token", "extra"],
        &["--profile"],
        &["--bogus", "token"],
        &["token", "--data", "x"],
    ] {
        let out = run_lucid(home, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(text(&out.stderr).contains("usage: lucid"), "{args:?}");
        assert_eq!(text(&out.stdout), "");
    }
}

#[test]
fn lucid_reads_credentials_from_the_environment() {
    let server = server();
    let home = TempDir::new("home");
    let out = c_program(lucid())
        .env("HOME", &home.0)
        .env("LAS_CLIENT_ID", "CLIENT_ID")
        .env("LAS_CLIENT_SECRET", "CLIENT_SECRET")
        .env("LAS_API_KEY", "API_KEY")
        .env("LAS_AUTH_ENDPOINT", server.base_url())
        .env("LAS_API_ENDPOINT", format!("{}/v1", server.base_url()))
        .args(["request", "GET", "/models"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "HTTP 200\n");
}

#[test]
fn lucid_runs_clean_under_valgrind() {
    let server = server();
    let home = home_for(&server, "");
    for args in [
        &["token"][..],
        &[
            "request",
            "POST",
            "/documents",
            "--data",
            "x",
            "--header",
            "A: b",
        ],
    ] {
        let out = under_valgrind(lucid())
            .env("HOME", &home.0)
            .args(args)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    let out = under_valgrind(lucid())
        .env("HOME", &home.0)
        .args(["--profile", "nope", "token"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a library error, and still no leak: {}",
        text(&out.stderr)
    );
}
