//! `private_key_jwt` and `client_secret_jwt` (RFC 7523) against the testserver, which verifies
//! the assertions: the exact request on the wire, the claims, a fresh `jti` per request, and a
//! clear configuration error for every key that cannot sign.

mod support;

use lucidauth::{Client, CredentialsBuilder, ErrorKind};
use lucidauth_testserver::{
    AssertionAudience, ClientAuth as ServerAuth, ClientKey, RecordedRequest, RequestKind, Scripted,
    ServerConfig, TestServer,
};
use serde_json::{json, Value};
use std::path::PathBuf;
use support::server_with;

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const SECRET: &str = "a client secret of thirty-two bytes or more";

fn key_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/keys")
        .join(name)
}

fn server_key(name: &str) -> Vec<ClientKey> {
    ClientKey::parse(&std::fs::read_to_string(key_path(name)).unwrap()).unwrap()
}

fn key_server(keys: Vec<ClientKey>) -> TestServer {
    server_with(ServerConfig {
        client_auth: ServerAuth::PrivateKeyJwt,
        client_keys: keys,
        ..ServerConfig::default()
    })
}

/// Credentials for `server` that sign with the key file `key` and no secret.
fn key_builder(server: &TestServer, key: &str) -> CredentialsBuilder {
    let mut b = CredentialsBuilder::new();
    b.set("client_id", "CLIENT_ID").unwrap();
    b.set("auth_endpoint", &server.base_url()).unwrap();
    b.set("client_auth", "private_key_jwt").unwrap();
    b.set("client_key_file", key_path(key).to_str().unwrap())
        .unwrap();
    b.set("max_retries", "0").unwrap();
    b
}

fn token_requests(server: &TestServer) -> Vec<RecordedRequest> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.kind == RequestKind::Token)
        .collect()
}

fn fetch(b: &CredentialsBuilder) -> lucidauth::Result<String> {
    let client = Client::new(b.build()?)?;
    client.access_token(None).map(|t| t.secret().to_string())
}

/// The body's parameters in order, decoded.
fn form(body: &[u8]) -> Vec<(String, String)> {
    let text = std::str::from_utf8(body).unwrap();
    text.split('&')
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap();
            let decode = |s: &str| {
                let s = s.replace('+', " ");
                let mut out = Vec::new();
                let bytes = s.as_bytes();
                let mut i = 0;
                while i < bytes.len() {
                    if bytes[i] == b'%' {
                        out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                        i += 3;
                    } else {
                        out.push(bytes[i]);
                        i += 1;
                    }
                }
                String::from_utf8(out).unwrap()
            };
            (decode(k), decode(v))
        })
        .collect()
}

/// Checks one assertion request: the body holds exactly grant_type, the assertion type and the
/// assertion, no secret and no Basic header; returns the assertion's header and claims.
fn assertion_of(r: &RecordedRequest) -> (Value, Value) {
    assert_eq!(r.query, "");
    assert_eq!(r.header_count("Authorization"), 0);
    let params = form(&r.body);
    let names: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
    let scoped = names.get(1) == Some(&"scope");
    let expected: &[&str] = if scoped {
        &[
            "grant_type",
            "scope",
            "client_assertion_type",
            "client_assertion",
        ]
    } else {
        &["grant_type", "client_assertion_type", "client_assertion"]
    };
    assert_eq!(names, expected);
    assert_eq!(params[0].1, "client_credentials");
    let n = params.len();
    assert_eq!(params[n - 2].1, JWT_BEARER);
    let jwt = r.client_assertion().expect("a JWT assertion");
    assert_eq!(jwt.raw, params[n - 1].1);
    (Value::Object(jwt.header), Value::Object(jwt.claims))
}

fn outcome_reason(r: &RecordedRequest) -> Option<String> {
    r.outcome.as_ref().and_then(|o| o.reason.clone())
}

#[test]
fn private_key_jwt_with_an_ec_key_sends_exactly_the_assertion() {
    let server = key_server(server_key("ec_p256.pem"));
    let b = key_builder(&server, "ec_p256.pem");
    let client = Client::new(b.build().unwrap()).unwrap();
    client.access_token(None).unwrap();
    client.access_token(Some("other")).unwrap();
    let requests = token_requests(&server);
    assert_eq!(requests.len(), 2);
    let (header, claims) = assertion_of(&requests[0]);
    assert_eq!(header, json!({"alg": "ES256", "typ": "JWT"}));
    let token_url = format!("{}/oauth2/token", server.base_url());
    assert_eq!(claims["iss"], "CLIENT_ID");
    assert_eq!(claims["sub"], "CLIENT_ID");
    assert_eq!(claims["aud"], token_url.as_str());
    let (iat, exp) = (
        claims["iat"].as_u64().unwrap(),
        claims["exp"].as_u64().unwrap(),
    );
    assert_eq!(
        exp - iat,
        120,
        "two minutes: at most the five servers allow"
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(iat.abs_diff(now) <= 5, "iat {iat}, now {now}");
    let (_, second) = assertion_of(&requests[1]);
    assert_ne!(claims["jti"], second["jti"], "a fresh jti on every request");
    assert_eq!(claims["jti"].as_str().unwrap().len(), 22, "16 random bytes");
    for r in &requests {
        assert_eq!(
            r.outcome.as_ref().unwrap().status,
            200,
            "{:?}",
            outcome_reason(r)
        );
    }
}

#[test]
fn traditional_pem_keys_sign_too_rsa_with_rs256() {
    for (key, public, alg) in [
        ("rsa2048.pkcs1.pem", "rsa2048.pub.pem", "RS256"),
        ("rsa2048.pem", "rsa2048.pub.pem", "RS256"),
        ("ec_p256.sec1.pem", "ec_p256.pub.pem", "ES256"),
    ] {
        let server = key_server(server_key(public));
        fetch(&key_builder(&server, key)).unwrap_or_else(|e| panic!("{key}: {e}"));
        let (header, _) = assertion_of(&token_requests(&server)[0]);
        assert_eq!(header["alg"], alg, "{key}");
    }
}

#[test]
fn client_key_id_is_the_header_kid_and_picks_the_servers_key() {
    let mut keys: Vec<ClientKey> = server_key("other_p256.pem")
        .into_iter()
        .map(|k| k.with_kid("old"))
        .collect();
    keys.extend(
        server_key("ec_p256.pub.pem")
            .into_iter()
            .map(|k| k.with_kid("k2")),
    );
    let server = key_server(keys);
    let mut b = key_builder(&server, "ec_p256.pem");
    let e = fetch(&b).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CredentialsRejected, "{e}");
    assert_eq!(
        outcome_reason(&token_requests(&server)[0]).as_deref(),
        Some("assertion_kid")
    );
    b.set("client_key_id", "k2").unwrap();
    fetch(&b).unwrap();
    let (header, _) = assertion_of(&token_requests(&server)[1]);
    assert_eq!(header, json!({"alg": "ES256", "typ": "JWT", "kid": "k2"}));
}

#[test]
fn a_wrong_key_is_refused_by_the_server_with_its_words() {
    let server = key_server(server_key("ec_p256.pub.pem"));
    let e = fetch(&key_builder(&server, "other_p256.pem")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CredentialsRejected);
    assert_eq!(e.http_status(), Some(400));
    assert_eq!(e.oauth_error(), Some("invalid_client"));
    let requests = token_requests(&server);
    assert_eq!(requests.len(), 1, "a refused assertion is not retried");
    assert_eq!(
        outcome_reason(&requests[0]).as_deref(),
        Some("assertion_signature")
    );
}

#[test]
fn the_assertion_audience_key_names_another_audience() {
    let server = server_with(ServerConfig {
        client_auth: ServerAuth::PrivateKeyJwt,
        client_keys: server_key("ec_p256.pub.pem"),
        assertion_audiences: vec![AssertionAudience::Issuer],
        ..ServerConfig::default()
    });
    let mut b = key_builder(&server, "ec_p256.pem");
    assert_eq!(
        fetch(&b).unwrap_err().kind(),
        ErrorKind::CredentialsRejected
    );
    assert_eq!(
        outcome_reason(&token_requests(&server)[0]).as_deref(),
        Some("assertion_aud")
    );
    b.set("client_assertion_audience", &server.issuer())
        .unwrap();
    fetch(&b).unwrap();
    let (_, claims) = assertion_of(&token_requests(&server)[1]);
    assert_eq!(claims["aud"], server.issuer().as_str());
}

#[test]
fn every_attempt_carries_a_new_assertion() {
    let server = key_server(server_key("ec_p256.pub.pem"));
    server.push_token_response(Scripted::json(503, r#"{"error":"busy"}"#));
    let mut b = key_builder(&server, "ec_p256.pem");
    b.set("max_retries", "1").unwrap();
    b.set("retry_backoff_ms", "1").unwrap();
    fetch(&b).unwrap();
    let requests = token_requests(&server);
    assert_eq!(requests.len(), 2);
    let (_, first) = assertion_of(&requests[0]);
    let (_, second) = assertion_of(&requests[1]);
    assert_ne!(first["jti"], second["jti"], "a retry never replays a jti");
    assert_eq!(requests[1].outcome.as_ref().unwrap().status, 200);
}

#[test]
fn an_assertion_the_server_finds_expired_is_refused_clearly() {
    let server = key_server(server_key("ec_p256.pub.pem"));
    server.set_clock_offset(600);
    let e = fetch(&key_builder(&server, "ec_p256.pem")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CredentialsRejected);
    assert_eq!(
        outcome_reason(&token_requests(&server)[0]).as_deref(),
        Some("assertion_expired")
    );
    assert!(e.message().contains("client_assertion has expired"), "{e}");
}

#[test]
fn keys_that_cannot_sign_are_config_errors_naming_the_file_and_type() {
    let server = key_server(server_key("ec_p256.pub.pem"));
    for (key, says) in [
        ("rsa1024.pem", "an RSA key of fewer than 2048 bits"),
        ("ec_p384.pem", "an EC P-384 key, which cannot sign"),
        ("ed25519.pem", "an Ed25519 key, which cannot sign"),
        ("ec_p256.encrypted.pem", "an encrypted PEM key"),
        ("ec_p256.sec1.encrypted.pem", "an encrypted PEM key"),
        ("ec_p256.pub.pem", "holds no PEM private key"),
        ("no-such-key.pem", "cannot read"),
    ] {
        let e = fetch(&key_builder(&server, key)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{key}: {e}");
        let path = key_path(key);
        let expected = format!("client_key_file {}: {says}", path.display());
        assert!(e.message().starts_with(&expected), "{key}: {}", e.message());
        assert!(!e.message().contains("BEGIN"), "{}", e.message());
    }
    assert_eq!(server.token_requests(), 0, "nothing is sent with a bad key");
}

#[test]
fn private_key_jwt_needs_a_key_file_and_no_secret() {
    let mut b = CredentialsBuilder::new();
    b.set("client_id", "CLIENT_ID").unwrap();
    b.set("client_auth", "private_key_jwt").unwrap();
    let e = b.build().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert_eq!(
        e.message(),
        "client_auth = private_key_jwt needs key 'client_key_file' (the PEM private key it signs with)"
    );
    b.set("client_key_file", "/k.pem").unwrap();
    let c = b.build().unwrap();
    assert!(c.has_client_credentials());
    assert_eq!(c.value("client_auth").as_deref(), Some("private_key_jwt"));
}

#[test]
fn client_secret_jwt_signs_hs256_with_the_secret() {
    let server = server_with(ServerConfig {
        client_auth: ServerAuth::ClientSecretJwt,
        client_secret: SECRET.to_string(),
        ..ServerConfig::default()
    });
    let mut b = CredentialsBuilder::new();
    b.set("client_id", "CLIENT_ID").unwrap();
    b.set("client_secret", SECRET).unwrap();
    b.set("auth_endpoint", &server.base_url()).unwrap();
    b.set("client_auth", "client_secret_jwt").unwrap();
    fetch(&b).unwrap();
    let r = &token_requests(&server)[0];
    let (header, claims) = assertion_of(r);
    assert_eq!(header, json!({"alg": "HS256", "typ": "JWT"}));
    assert_eq!(
        (&claims["iss"], &claims["sub"]),
        (&json!("CLIENT_ID"), &json!("CLIENT_ID"))
    );
    assert!(!String::from_utf8_lossy(&r.body).contains("thirty-two"));
    assert_eq!(r.outcome.as_ref().unwrap().status, 200);

    b.set("client_secret", "only-thirty-one-bytes-long-here")
        .unwrap();
    let e = b.build().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert_eq!(e.message(), "key 'client_secret': client_secret_jwt signs HS256 with it, which needs at least 32 bytes (RFC 7518 §3.2)");
}

#[test]
fn a_shared_cache_entry_of_a_key_client_is_shared_by_holders_of_the_key() {
    let server = key_server(server_key("ec_p256.pub.pem"));
    let dir = support::TempDir::new("pkjwt-cache");
    let mut b = key_builder(&server, "ec_p256.pem");
    b.set("use_cache", "true").unwrap();
    b.set("cache_dir", dir.0.to_str().unwrap()).unwrap();
    let first = fetch(&b).unwrap();
    let second = fetch(&b).unwrap();
    assert_eq!(
        first, second,
        "the second client reads the first one's token"
    );
    assert_eq!(server.token_requests(), 1);
}

/// The method, key type and RFC 7638 thumbprint that `lucid info` shows. The thumbprint of
/// tests/keys/ec_p256.pub.pem was computed apart, with Python's hashlib over the canonical JWK.
#[test]
fn stats_name_the_method_the_key_type_and_its_thumbprint() {
    let server = key_server(server_key("ec_p256.pub.pem"));
    let client = Client::new(key_builder(&server, "ec_p256.pem").build().unwrap()).unwrap();
    assert_eq!(
        client.stats().client_auth,
        "private_key_jwt (EC P-256, thumbprint 3JOByYkXyIVJ9hEOT2D_mw1G694iuRrGnDYEZxS__Lc)"
    );
    let rsa = Client::new(key_builder(&server, "rsa2048.pkcs1.pem").build().unwrap()).unwrap();
    let shown = rsa.stats().client_auth;
    assert!(
        shown.starts_with("private_key_jwt (RSA 2048 bits, thumbprint "),
        "{shown}"
    );
    let basic = Client::new(support::credentials_for(&server)).unwrap();
    assert_eq!(basic.stats().client_auth, "basic");
}
