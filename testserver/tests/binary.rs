//! The `lucid-testserver` binary: the LISTENING line, the files it writes, its options, and how it
//! stops.

mod support;

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use support::send;

const BINARY: &str = env!("CARGO_BIN_EXE_lucid-testserver");

/// A fresh, empty directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("binary-{name}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Starts the binary (exiting when its stdin closes) and returns it with its base URL.
fn spawn(args: &[&str]) -> (Child, String, BufReader<ChildStdout>) {
    let mut child = Command::new(BINARY)
        .arg("--exit-on-stdin-eof")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn lucid-testserver");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("LISTENING line");
    let base_url = line
        .strip_suffix('\n')
        .and_then(|line| line.strip_prefix("LISTENING "))
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    (child, base_url, stdout)
}

/// Closes the child's stdin and checks that it exits successfully, soon.
fn stop(mut child: Child) {
    drop(child.stdin.take());
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "{status}");
            return;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("lucid-testserver did not exit on stdin EOF");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn port_of(base_url: &str) -> u16 {
    base_url
        .strip_prefix("http://127.0.0.1:")
        .or_else(|| base_url.strip_prefix("https://127.0.0.1:"))
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("bad base URL {base_url}"))
}

fn path_arg(path: &std::path::Path) -> &str {
    path.to_str().expect("utf-8 path")
}

#[test]
fn announces_itself_writes_its_files_and_serves() {
    let dir = scratch("files");
    let credentials = dir.join("nested/dir/credentials.cfg");
    let port_file = dir.join("port");
    let (child, base_url, mut stdout) = spawn(&[
        "--client-id",
        "ID??",
        "--client-secret",
        "SECRET??",
        "--api-key",
        "KEY",
        "--lifetime",
        "60",
        "--credentials-out",
        credentials.to_str().expect("utf-8 path"),
        "--port-file",
        port_file.to_str().expect("utf-8 path"),
    ]);
    let port = port_of(&base_url);

    let text = fs::read_to_string(&credentials).expect("credentials written");
    assert_eq!(
        text,
        format!(
            "client_id = ID??\nclient_secret = SECRET??\napi_key = KEY\n\
             auth_endpoint = {base_url}\napi_endpoint = {base_url}/v1\n"
        )
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&credentials)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert_eq!(
        fs::read_to_string(&port_file).expect("port file"),
        format!("{port}\n")
    );

    // base64("ID??:SECRET??")
    let response = send(
        port,
        "POST",
        "/oauth2/token?grant_type=client_credentials",
        &[("Authorization", "Basic SUQ/PzpTRUNSRVQ/Pw==")],
        b"",
    );
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["expires_in"], json!(60));
    let stats = support::get(port, "/_admin/stats", &[]).json();
    assert_eq!(stats, json!({"token_requests": 1, "api_requests": 0}));

    // Nothing else is printed on stdout.
    stop(child);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).expect("rest of stdout");
    assert_eq!(rest, "");
}

#[test]
fn no_api_key_and_client_auth_show_in_the_credentials() {
    let dir = scratch("options");
    let credentials = dir.join("credentials.cfg");
    let (child, base_url, _stdout) = spawn(&[
        "--no-api-key",
        "--client-auth",
        "post",
        "--invalidate-previous",
        "--credentials-out",
        credentials.to_str().expect("utf-8 path"),
    ]);
    let text = fs::read_to_string(&credentials).expect("credentials written");
    assert_eq!(
        text,
        format!(
            "client_id = CLIENT_ID\nclient_secret = CLIENT_SECRET\n\
             auth_endpoint = {base_url}\napi_endpoint = {base_url}/v1\nclient_auth = post\n"
        )
    );
    // Basic is refused in post mode.
    let response = send(
        port_of(&base_url),
        "POST",
        "/oauth2/token?grant_type=client_credentials",
        &[("Authorization", support::DEFAULT_BASIC)],
        b"",
    );
    assert_eq!(response.status, 401);
    stop(child);
}

#[test]
fn bad_arguments_exit_with_status_2() {
    for args in [
        &["--bogus"][..],
        &["--lifetime"],
        &["--lifetime", "soon"],
        &["--client-auth", "digest"],
        &["--client-auth", "private_key_jwt"],
        &["--client-auth", "client_secret_jwt"],
        &["--client-key-id", "k"],
        &["--client-key", "/nonexistent/key.pem"],
        &["--ca-out", "ca.pem"],
        &["--metadata-forms", "rfc8414,webfinger"],
        &["--issuer-path", "oauth2"],
        &["--assertion-audience", ""],
        &["--dpop-iat-window", "-1"],
    ] {
        let output = Command::new(BINARY).args(args).output().expect("run");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.starts_with("lucid-testserver: "), "{stderr}");
    }
    let help = Command::new(BINARY).arg("--help").output().expect("run");
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).starts_with("usage: lucid-testserver"));
}

#[test]
fn tls_writes_https_endpoints_and_the_ca_beside_the_credentials() {
    let dir = scratch("tls");
    let credentials = dir.join("credentials.cfg");
    let (child, base_url, _stdout) = spawn(&["--tls", "--credentials-out", path_arg(&credentials)]);
    assert!(base_url.starts_with("https://127.0.0.1:"), "{base_url}");
    let ca_path = fs::canonicalize(dir.join("ca.pem")).expect("CA written");
    let text = fs::read_to_string(&credentials).expect("credentials");
    assert_eq!(
        text,
        format!(
            "client_id = CLIENT_ID\nclient_secret = CLIENT_SECRET\napi_key = API_KEY\n\
             auth_endpoint = {base_url}\napi_endpoint = {base_url}/v1\nca_file = {}\n",
            ca_path.display()
        )
    );
    let ca = fs::read_to_string(&ca_path).expect("CA");
    let response = support::send_tls(
        port_of(&base_url),
        &ca,
        "127.0.0.1",
        "POST",
        "/oauth2/token?grant_type=client_credentials",
        &[("Authorization", support::DEFAULT_BASIC)],
        b"",
    );
    assert_eq!(response.status, 200, "{}", response.text());
    stop(child);

    let elsewhere = dir.join("elsewhere/ca.crt");
    let (child, _, _stdout) = spawn(&["--tls", "--ca-out", path_arg(&elsewhere)]);
    assert!(fs::read_to_string(&elsewhere)
        .expect("CA")
        .starts_with("-----BEGIN CERTIFICATE-----"));
    stop(child);
}

#[test]
fn a_generated_client_key_authenticates_a_private_key_jwt_request() {
    let dir = scratch("pkjwt");
    let credentials = dir.join("credentials.cfg");
    let key_path = dir.join("client_key.pem");
    let (child, base_url, _stdout) = spawn(&[
        "--client-auth",
        "private_key_jwt",
        "--client-key-out",
        path_arg(&key_path),
        "--client-key-id",
        "k1",
        "--dpop",
        "--credentials-out",
        path_arg(&credentials),
    ]);
    let key_file = fs::canonicalize(&key_path).expect("key written");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&key_file)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert_eq!(
        fs::read_to_string(&credentials).expect("credentials"),
        format!(
            "client_id = CLIENT_ID\napi_key = API_KEY\nauth_endpoint = {base_url}\n\
             api_endpoint = {base_url}/v1\nclient_auth = private_key_jwt\n\
             client_key_file = {}\nclient_key_id = k1\ndpop = true\n",
            key_file.display()
        )
    );

    use rustls::pki_types::pem::PemObject;
    let der = rustls::pki_types::PrivatePkcs8KeyDer::from_pem_file(&key_file).expect("PKCS#8 PEM");
    let key = support::jose::EcKey::from_pkcs8(der.secret_pkcs8_der());
    let url = format!("{base_url}/oauth2/token");
    let claims = support::jose::assertion_claims("CLIENT_ID", &url);
    let header = json!({"kid": "k1"});
    let assertion = support::jose::sign(&header, &claims, support::jose::Signer::Es256(&key));
    let proof = support::jose::dpop_proof(&key, "POST", &url, json!({}));
    let body = support::jose::assertion_body(&assertion);
    let headers = [
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("DPoP", proof.as_str()),
    ];
    let response = send(
        port_of(&base_url),
        "POST",
        "/oauth2/token",
        &headers,
        body.as_bytes(),
    );
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["token_type"], json!("DPoP"));
    stop(child);
}

#[test]
fn client_keys_from_files_and_the_issuer_in_the_credentials() {
    let dir = scratch("issuer");
    let credentials = dir.join("credentials.cfg");
    let public = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/rsa2048.pub.pem");
    let (child, base_url, _stdout) = spawn(&[
        "--client-auth",
        "private_key_jwt",
        "--client-key",
        public,
        "--issuer-path",
        "/oauth2/abc",
        "--metadata-forms",
        "path_suffix",
        "--assertion-audience",
        "issuer",
        "--credentials-out",
        path_arg(&credentials),
    ]);
    let issuer = format!("{base_url}/oauth2/abc");
    assert_eq!(
        fs::read_to_string(&credentials).expect("credentials"),
        format!(
            "client_id = CLIENT_ID\napi_key = API_KEY\nissuer = {issuer}\n\
             api_endpoint = {base_url}/v1\nclient_auth = private_key_jwt\n\
             client_assertion_audience = {issuer}\n"
        )
    );
    let port = port_of(&base_url);
    let rfc = support::get(
        port,
        "/.well-known/oauth-authorization-server/oauth2/abc",
        &[],
    );
    assert_eq!(rfc.status, 404);
    let suffixed = support::get(
        port,
        "/oauth2/abc/.well-known/oauth-authorization-server",
        &[],
    );
    assert_eq!(suffixed.json()["issuer"], json!(issuer));
    let stats = support::get(port, "/_admin/stats", &[]).json();
    assert_eq!(
        stats,
        json!({"token_requests": 0, "api_requests": 0, "metadata_requests": 2})
    );

    let rsa = support::jose::rsa_key();
    let claims = support::jose::assertion_claims("CLIENT_ID", &issuer);
    let assertion = support::jose::sign(&json!({}), &claims, support::jose::Signer::Rs256(&rsa));
    let body = support::jose::assertion_body(&assertion);
    let headers = [("Content-Type", "application/x-www-form-urlencoded")];
    let response = send(
        port,
        "POST",
        "/oauth2/abc/v1/token",
        &headers,
        body.as_bytes(),
    );
    assert_eq!(response.status, 200, "{}", response.text());
    stop(child);
}
