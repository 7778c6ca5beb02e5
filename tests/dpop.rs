//! DPoP (RFC 9449) against the testserver, which verifies every proof: the proof on the token
//! request and on API calls (`ath`), `Authorization: DPoP`, nonce challenges at both and a nonce
//! changed mid-life, a fresh `jti` per attempt, the key from a file, and bound tokens kept out of
//! the shared cache.

mod support;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use lucidauth::{Client, CredentialsBuilder, ErrorKind};
use lucidauth_testserver::{
    DpopMode, RecordedRequest, RequestKind, Scripted, ServerConfig, TestServer,
};
use serde_json::{json, Value};
use std::path::PathBuf;
use support::{builder_for, server_with};

fn dpop_server(nonce: bool) -> TestServer {
    server_with(ServerConfig {
        dpop: DpopMode::Required,
        dpop_nonce: nonce,
        ..ServerConfig::default()
    })
}

fn dpop_builder(server: &TestServer) -> CredentialsBuilder {
    let mut b = builder_for(server);
    b.set("dpop", "true").unwrap();
    b.set("retry_backoff_ms", "1").unwrap();
    b
}

fn of_kind(server: &TestServer, kind: RequestKind) -> Vec<RecordedRequest> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.kind == kind)
        .collect()
}

fn status(r: &RecordedRequest) -> u16 {
    r.outcome.as_ref().unwrap().status
}

fn reason(r: &RecordedRequest) -> Option<String> {
    r.outcome.as_ref().unwrap().reason.clone()
}

/// The proof's header and claims, decoded.
fn proof(r: &RecordedRequest) -> (Value, Value) {
    assert_eq!(r.header_count("DPoP"), 1);
    let jwt = r.dpop_proof().expect("a DPoP proof");
    (Value::Object(jwt.header), Value::Object(jwt.claims))
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn sha256_b64(text: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

#[test]
fn the_token_request_and_api_calls_carry_exact_proofs() {
    let server = dpop_server(false);
    let client = Client::new(dpop_builder(&server).build().unwrap()).unwrap();
    let response = client
        .request("GET", "/documents?page=2", &[], b"")
        .unwrap();
    assert_eq!(response.status(), 200);

    let token_request = &of_kind(&server, RequestKind::Token)[0];
    assert_eq!(status(token_request), 200, "{:?}", reason(token_request));
    let (header, claims) = proof(token_request);
    assert_eq!(header["typ"], "dpop+jwt");
    assert_eq!(header["alg"], "ES256");
    let jwk = header["jwk"].as_object().unwrap();
    let mut names: Vec<&String> = jwk.keys().collect();
    names.sort();
    assert_eq!(names, ["crv", "kty", "x", "y"], "a public key: no d");
    assert_eq!((&jwk["kty"], &jwk["crv"]), (&json!("EC"), &json!("P-256")));
    assert_eq!(claims["htm"], "POST");
    assert_eq!(
        claims["htu"],
        format!("{}/oauth2/token", server.base_url()).as_str()
    );
    assert!(claims["iat"].as_u64().unwrap().abs_diff(now()) <= 5);
    assert!(claims.get("ath").is_none() && claims.get("nonce").is_none());
    let jkt = token_request
        .outcome
        .as_ref()
        .unwrap()
        .dpop_jkt
        .clone()
        .unwrap();
    let shown = client.stats().client_auth;
    assert_eq!(shown, format!("basic, dpop (thumbprint {jkt})"));

    let api = &of_kind(&server, RequestKind::Api)[0];
    assert_eq!(status(api), 200, "{:?}", reason(api));
    let token = client.access_token(None).unwrap();
    assert!(token.is_dpop_bound());
    assert_eq!(
        api.header("Authorization"),
        Some(format!("DPoP {}", token.secret()).as_str())
    );
    let (_, api_claims) = proof(api);
    assert_eq!(api_claims["htm"], "GET");
    assert_eq!(
        api_claims["htu"],
        format!("{}/v1/documents", server.base_url()).as_str(),
        "htu has no query"
    );
    assert_eq!(api_claims["ath"], sha256_b64(token.secret()).as_str());
    assert_ne!(api_claims["jti"], claims["jti"]);
}

#[test]
fn a_nonce_demanded_from_the_start_costs_one_more_request_at_each_server() {
    let server = dpop_server(true);
    let client = Client::new(dpop_builder(&server).build().unwrap()).unwrap();
    assert_eq!(
        client
            .request("GET", "/documents", &[], b"")
            .unwrap()
            .status(),
        200
    );
    let tokens = of_kind(&server, RequestKind::Token);
    assert_eq!(tokens.len(), 2);
    assert_eq!(
        (status(&tokens[0]), reason(&tokens[0]).as_deref()),
        (400, Some("dpop_nonce"))
    );
    assert_eq!(status(&tokens[1]), 200, "{:?}", reason(&tokens[1]));
    let nonce = server.dpop_nonce().unwrap();
    assert_eq!(proof(&tokens[1]).1["nonce"], nonce.as_str());
    // The API shares the server's nonce, already known: no challenge there.
    let api = of_kind(&server, RequestKind::Api);
    assert_eq!(api.len(), 1);
    assert_eq!(proof(&api[0]).1["nonce"], nonce.as_str());
    let stats = client.stats();
    assert_eq!((stats.token_fetches, stats.retries), (1, 0));
}

#[test]
fn a_nonce_changed_mid_life_is_picked_up_without_a_new_token() {
    let server = dpop_server(true);
    let client = Client::new(dpop_builder(&server).build().unwrap()).unwrap();
    client.request("GET", "/documents", &[], b"").unwrap();
    let fresh = server.rotate_dpop_nonce().unwrap();
    let response = client.request("GET", "/documents", &[], b"").unwrap();
    assert_eq!(response.status(), 200);
    let api = of_kind(&server, RequestKind::Api);
    assert_eq!(api.len(), 3);
    assert_eq!(status(&api[1]), 401);
    assert_eq!(reason(&api[1]).as_deref(), Some("dpop_nonce"));
    assert_eq!(proof(&api[2]).1["nonce"], fresh.as_str());
    assert_eq!(server.token_requests(), 2, "the first nonce challenge only");
    assert_eq!(client.stats().unauthorized_refetches, 0);
}

#[test]
fn every_attempt_has_a_new_proof() {
    let server = dpop_server(false);
    server.push_api_response(Scripted::json(503, "{}"));
    let client = Client::new(dpop_builder(&server).build().unwrap()).unwrap();
    assert_eq!(
        client
            .request("GET", "/documents", &[], b"")
            .unwrap()
            .status(),
        200
    );
    let api = of_kind(&server, RequestKind::Api);
    assert_eq!(api.len(), 2);
    assert_ne!(proof(&api[0]).1["jti"], proof(&api[1]).1["jti"]);
    assert_eq!(status(&api[1]), 200, "{:?}", reason(&api[1]));
}

fn key_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/keys")
        .join(name)
}

#[test]
fn the_key_comes_from_dpop_key_file_and_must_be_p256() {
    let server = dpop_server(false);
    let mut b = dpop_builder(&server);
    b.set(
        "dpop_key_file",
        key_path("ec_p256.sec1.pem").to_str().unwrap(),
    )
    .unwrap();
    let client = Client::new(b.build().unwrap()).unwrap();
    client.access_token(None).unwrap();
    let jkt = of_kind(&server, RequestKind::Token)[0]
        .outcome
        .clone()
        .unwrap()
        .dpop_jkt;
    // Computed apart, with Python's hashlib over the canonical JWK (tests/client_auth.rs).
    assert_eq!(
        jkt.as_deref(),
        Some("3JOByYkXyIVJ9hEOT2D_mw1G694iuRrGnDYEZxS__Lc")
    );
    b.set("dpop_key_file", key_path("rsa2048.pem").to_str().unwrap())
        .unwrap();
    let e = Client::new(b.build().unwrap()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert_eq!(
        e.message(),
        format!(
            "dpop_key_file {}: RSA 2048 bits, but DPoP proofs are signed ES256: an EC P-256 key is needed",
            key_path("rsa2048.pem").display()
        )
    );
}

#[test]
fn a_dpop_token_for_a_client_without_dpop_is_refused() {
    let server = support::server();
    server.push_token_response(Scripted::json(
        200,
        r#"{"access_token":"bound","expires_in":60,"token_type":"DPoP"}"#,
    ));
    let client = Client::new(support::credentials_for(&server)).unwrap();
    let e = client.access_token(None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol);
    assert!(e.message().contains("set dpop = true"), "{e}");
}

#[test]
fn bound_tokens_are_never_shared_through_the_cache() {
    let server = dpop_server(false);
    let dir = support::TempDir::new("dpop-cache");
    let mut b = dpop_builder(&server);
    b.set("use_cache", "true").unwrap();
    b.set("cache_dir", dir.0.to_str().unwrap()).unwrap();
    for _ in 0..2 {
        Client::new(b.build().unwrap())
            .unwrap()
            .access_token(None)
            .unwrap();
    }
    assert_eq!(
        server.token_requests(),
        2,
        "each client its own key and token"
    );
    assert_eq!(
        std::fs::read_dir(&dir.0).unwrap().count(),
        0,
        "nothing written"
    );
}

#[test]
fn authorize_gives_the_proof_and_a_nonce_challenge_keeps_the_token() {
    let server = dpop_server(false);
    let client = Client::new(dpop_builder(&server).build().unwrap()).unwrap();
    let url = format!("{}/v1/documents?x=1", server.base_url());
    let sent = client.authorize("POST", &url).unwrap();
    let headers: Vec<(&str, &str)> = sent.headers().collect();
    let names: Vec<&str> = headers.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["x-api-key", "Authorization", "DPoP"]);
    assert!(headers[1].1.starts_with("DPoP "));
    let claims: Value = {
        let payload = headers[2].1.split('.').nth(1).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
    };
    assert_eq!(claims["htm"], "POST");
    assert_eq!(
        claims["htu"],
        format!("{}/v1/documents", server.base_url()).as_str()
    );
    let challenge = r#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof""#;
    client
        .unauthorized(&sent, Some(challenge), Some("n-1"))
        .unwrap();
    let again = client.authorize("POST", &url).unwrap();
    let proof = again.headers().nth(2).unwrap().1.to_string();
    let payload = proof.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert_eq!(claims["nonce"], "n-1");
    assert_eq!(server.token_requests(), 1, "the token was kept");
    assert_eq!(client.stats().unauthorized_refetches, 0);
}
