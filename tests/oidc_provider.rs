//! Interop with a strict third-party authorization server: panva's oidc-provider (npm, pinned in
//! interop/oidc-provider), a certified OpenID Provider, run by Node.js on a free loopback port.
//! Every client authentication method lucidauth speaks, issuer discovery through the only
//! metadata it serves (`openid-configuration`), and DPoP with a nonce it demands; the API calls
//! go to its little protected resource, which checks the token and the DPoP proof.
//!
//! Needs `node` and `npm ci --prefix interop/oidc-provider` (scripts/install-test-deps.sh does
//! both); without them these tests fail and say so. `LUCID_SKIP_INTEROP=1` skips them.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use lucidauth::{Client, CredentialsBuilder, ErrorKind};
use serde_json::Value;

/// The secrets interop/oidc-provider/server.mjs gives its clients.
const BASIC_SECRET: &str = "basic-secret-0123456789";
const RESERVED_SECRET: &str = "p@ss:w/rd%+=&";
const POST_SECRET: &str = "post-secret-0123456789";
const JWT_SECRET: &str = "a-shared-secret-of-at-least-32-bytes-for-HS256";

/// A running oidc-provider; killed when dropped.
struct OidcProvider {
    child: Child,
    /// Held so the server sees its stdin close (and stops) should this process die first.
    _stdin: Option<ChildStdin>,
    port: u16,
    stderr: Arc<Mutex<String>>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

impl OidcProvider {
    /// Starts the server, or `None` when `LUCID_SKIP_INTEROP=1`.
    fn start() -> Option<OidcProvider> {
        if std::env::var("LUCID_SKIP_INTEROP").as_deref() == Ok("1") {
            eprintln!("skipped: LUCID_SKIP_INTEROP=1");
            return None;
        }
        let dir = root().join("interop/oidc-provider");
        assert!(
            dir.join("node_modules/oidc-provider").is_dir(),
            "oidc-provider is not installed: run `npm ci --prefix interop/oidc-provider` \
             (scripts/install-test-deps.sh does), or set LUCID_SKIP_INTEROP=1"
        );
        let keys = root().join("tests/keys");
        let mut child = Command::new("node")
            .arg(dir.join("server.mjs"))
            .arg(keys.join("rsa2048.pub.pem"))
            .arg(keys.join("ec_p256.pub.pem"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run node ({e}): install Node.js, or set LUCID_SKIP_INTEROP=1")
            });
        let stderr = Arc::new(Mutex::new(String::new()));
        collect(child.stderr.take().unwrap(), Arc::clone(&stderr));
        let port = listening_port(child.stdout.take().unwrap());
        let stdin = child.stdin.take();
        let server = OidcProvider {
            child,
            _stdin: stdin,
            port: port.unwrap_or(0),
            stderr,
        };
        assert!(
            port.is_some(),
            "oidc-provider did not start: {}",
            server.log()
        );
        Some(server)
    }

    fn issuer(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// What the server counted: requests by path, grants issued, the errors of those refused.
    fn stats(&self) -> Value {
        let mut b = CredentialsBuilder::new();
        b.set("access_token", &unsigned_jwt()).unwrap();
        b.set("api_endpoint", &self.issuer()).unwrap();
        let client = Client::new(b.build().unwrap()).unwrap();
        let response = client.request("GET", "/_stats", &[], b"").unwrap();
        assert_eq!(response.status(), 200);
        serde_json::from_slice(response.body()).unwrap()
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Copies the child's stderr into `into` as it comes.
fn collect(mut from: impl Read + Send + 'static, into: Arc<Mutex<String>>) {
    thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = from.read(&mut buf) {
            into.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
}

/// The port of the `LISTENING <port>` line, within 30 s.
fn listening_port(stdout: impl Read + Send + 'static) -> Option<u16> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(port) = line.strip_prefix("LISTENING ") {
                let _ = tx.send(port.trim().parse::<u16>().ok());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(30)).ok().flatten()
}

/// A pre-issued token for reading `/_stats` (the resource there checks nothing).
fn unsigned_jwt() -> String {
    use base64::Engine;
    let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"exp":4102444800}"#);
    format!("eyJhbGciOiJub25lIn0.{claims}.x")
}

/// Credentials for client `id` of the server, found by its issuer, with `pairs` on top.
fn builder(server: &OidcProvider, id: &str, pairs: &[(&str, &str)]) -> CredentialsBuilder {
    let mut b = CredentialsBuilder::new();
    b.set("client_id", id).unwrap();
    b.set("issuer", &server.issuer()).unwrap();
    b.set("api_endpoint", &server.issuer()).unwrap();
    b.set("scope", "api:read").unwrap();
    b.set("max_retries", "0").unwrap();
    for (key, value) in pairs {
        b.set(key, value).unwrap();
    }
    b
}

fn key_file(name: &str) -> String {
    root().join("tests/keys").join(name).display().to_string()
}

/// Fetches a token, calls the protected resource with it, and returns what the resource said
/// the token is.
fn whoami(server: &OidcProvider, b: &CredentialsBuilder) -> Value {
    let client = Client::new(b.build().unwrap()).unwrap();
    let token = client
        .access_token(None)
        .unwrap_or_else(|e| panic!("{e}\nserver log:\n{}", server.log()));
    assert!(!token.secret().is_empty());
    let response = client.request("GET", "/api/whoami", &[], b"").unwrap();
    let body: Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(response.status(), 200, "{body}");
    let stats = client.stats();
    assert_eq!((stats.token_fetches, stats.token_fetch_failures), (1, 0));
    body
}

/// The error of a token request the server refuses.
fn refused(b: &CredentialsBuilder) -> lucidauth::Error {
    let client = Client::new(b.build().unwrap()).unwrap();
    client.access_token(None).unwrap_err()
}

/// The requests that reached `path`.
fn hits(stats: &Value, path: &str) -> u64 {
    stats["paths"][path].as_u64().unwrap_or(0)
}

fn assert_served(server: &OidcProvider, client_id: &str, b: &CredentialsBuilder) {
    let me = whoami(server, b);
    assert_eq!(me["client_id"], client_id);
    assert_eq!(me["scope"], "api:read");
    assert_eq!(me["bound"], false);
    let stats = server.stats();
    assert_eq!(hits(&stats, "/token"), 1, "{stats}");
    assert_eq!(
        (
            stats["grants"].as_u64(),
            stats["refused"].as_array().map(Vec::len)
        ),
        (Some(1), Some(0))
    );
}

#[test]
fn discovery_reads_the_openid_configuration_after_the_rfc_8414_urls() {
    let Some(server) = OidcProvider::start() else {
        return;
    };
    assert_served(
        &server,
        "basic",
        &builder(&server, "basic", &[("client_secret", BASIC_SECRET)]),
    );
    let stats = server.stats();
    // RFC 8414's URL first (oidc-provider has none), then the OpenID one; an issuer without a
    // path has no path-suffixed URL to try.
    assert_eq!(
        hits(&stats, "/.well-known/oauth-authorization-server"),
        1,
        "{stats}"
    );
    assert_eq!(
        hits(&stats, "/.well-known/openid-configuration"),
        1,
        "{stats}"
    );
}

#[test]
fn the_vendors_query_form_is_refused_so_an_issuer_sends_the_body() {
    let Some(server) = OidcProvider::start() else {
        return;
    };
    let b = builder(
        &server,
        "basic",
        &[("client_secret", BASIC_SECRET), ("token_params", "query")],
    );
    let e = refused(&b);
    assert_eq!(
        (e.kind(), e.oauth_error()),
        (ErrorKind::CredentialsRejected, Some("invalid_request")),
        "{e}"
    );
    assert_eq!(server.stats()["refused"][0], "invalid_request");
}

#[test]
fn client_secret_post() {
    let Some(server) = OidcProvider::start() else {
        return;
    };
    let b = builder(
        &server,
        "post",
        &[("client_secret", POST_SECRET), ("client_auth", "post")],
    );
    assert_served(&server, "post", &b);
}

#[test]
fn a_secret_with_reserved_characters_goes_form_urlencoded_in_the_basic_header() {
    let Some(server) = OidcProvider::start() else {
        return;
    };
    // RFC 6749 §2.3.1 wants the id and secret form-urlencoded before Basic; the vendors' servers
    // take them raw (`basic`), and this one refuses those.
    let raw = builder(&server, "reserved", &[("client_secret", RESERVED_SECRET)]);
    let e = refused(&raw);
    assert_eq!(
        (e.kind(), e.http_status(), e.oauth_error()),
        (
            ErrorKind::CredentialsRejected,
            Some(400),
            Some("invalid_request")
        )
    );
    assert!(!e.to_string().contains(RESERVED_SECRET), "{e}");
    let mut encoded = raw;
    encoded.set("client_auth", "basic_urlencoded").unwrap();
    let me = whoami(&server, &encoded);
    assert_eq!(me["client_id"], "reserved");
    let stats = server.stats();
    assert_eq!(
        (hits(&stats, "/token"), stats["grants"].as_u64()),
        (2, Some(1)),
        "{stats}"
    );
}

#[test]
fn client_secret_jwt() {
    let Some(server) = OidcProvider::start() else {
        return;
    };
    let b = builder(
        &server,
        "secret-jwt",
        &[
            ("client_secret", JWT_SECRET),
            ("client_auth", "client_secret_jwt"),
        ],
    );
    assert_served(&server, "secret-jwt", &b);
}

#[test]
fn private_key_jwt_with_rsa_and_a_key_id() {
    let Some(server) = OidcProvider::start() else {
        return;
    };
    let key = key_file("rsa2048.pem");
    let pairs = [
        ("client_auth", "private_key_jwt"),
        ("client_key_file", key.as_str()),
        ("client_key_id", "rsa-1"),
    ];
    assert_served(&server, "rsa-jwt", &builder(&server, "rsa-jwt", &pairs));
}

#[test]
fn private_key_jwt_with_ec_p256() {
    let Some(server) = OidcProvider::start() else {
        return;
    };
    let key = key_file("ec_p256.pem");
    let pairs = [
        ("client_auth", "private_key_jwt"),
        ("client_key_file", key.as_str()),
    ];
    assert_served(&server, "ec-jwt", &builder(&server, "ec-jwt", &pairs));
}

#[test]
fn a_private_key_the_server_does_not_hold_is_refused() {
    let Some(server) = OidcProvider::start() else {
        return;
    };
    let key = key_file("other_p256.pem");
    let pairs = [
        ("client_auth", "private_key_jwt"),
        ("client_key_file", key.as_str()),
    ];
    let e = refused(&builder(&server, "ec-jwt", &pairs));
    assert_eq!(
        (e.kind(), e.http_status(), e.oauth_error()),
        (
            ErrorKind::CredentialsRejected,
            Some(401),
            Some("invalid_client")
        )
    );
    let stats = server.stats();
    assert_eq!(
        (hits(&stats, "/token"), stats["refused"][0].as_str()),
        (1, Some("invalid_client")),
        "{stats}"
    );
}

#[test]
fn dpop_answers_the_nonce_challenge_and_proves_the_token_at_the_resource() {
    let Some(server) = OidcProvider::start() else {
        return;
    };
    let b = builder(
        &server,
        "dpop",
        &[("client_secret", BASIC_SECRET), ("dpop", "true")],
    );
    let client = Client::new(b.build().unwrap()).unwrap();
    let token = client
        .access_token(None)
        .unwrap_or_else(|e| panic!("{e}\nserver log:\n{}", server.log()));
    assert!(token.is_dpop_bound());
    for _ in 0..2 {
        let response = client.request("GET", "/api/whoami", &[], b"").unwrap();
        let me: Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(response.status(), 200, "{me}");
        assert_eq!(
            (me["client_id"].as_str(), me["bound"].as_bool()),
            (Some("dpop"), Some(true))
        );
    }
    // The first proof has no nonce: refused with `use_dpop_nonce` and the nonce; the second has it.
    let stats = server.stats();
    assert_eq!(hits(&stats, "/token"), 2, "{stats}");
    assert_eq!(
        (
            stats["grants"].as_u64(),
            stats["refused"].as_array().map(Vec::len)
        ),
        (Some(1), Some(1))
    );
    assert_eq!(stats["refused"][0], "use_dpop_nonce");
    assert_eq!(hits(&stats, "/api/whoami"), 2);
}

#[test]
fn a_client_bound_to_dpop_gets_no_token_without_a_proof() {
    let Some(server) = OidcProvider::start() else {
        return;
    };
    let b = builder(&server, "dpop", &[("client_secret", BASIC_SECRET)]);
    let e = refused(&b);
    assert_eq!(
        (e.kind(), e.oauth_error()),
        (ErrorKind::CredentialsRejected, Some("invalid_grant"))
    );
}

#[test]
fn the_metadata_must_name_this_issuer_exactly() {
    let Some(server) = OidcProvider::start() else {
        return;
    };
    // `localhost` reaches the same server, whose metadata says `127.0.0.1`.
    let other = server.issuer().replace("127.0.0.1", "localhost");
    let mut b = builder(&server, "basic", &[("client_secret", BASIC_SECRET)]);
    b.set("issuer", &other).unwrap();
    let e = refused(&b);
    assert_eq!(e.kind(), ErrorKind::Config, "{e}");
    assert_eq!(hits(&server.stats(), "/token"), 0);
}
