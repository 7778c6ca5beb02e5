//! The `/_admin/` endpoints that out-of-process users drive the server with.

mod support;

use lucidauth_testserver::{RequestKind, ServerConfig};
use serde_json::json;
use support::{api_get, get, send, start, token};

const GRANT: &str = "grant_type=client_credentials";

fn post(port: u16, target: &str, body: &str) -> support::Response {
    send(port, "POST", target, &[], body.as_bytes())
}

#[test]
fn stats_count_without_counting_admin_requests_and_reset_clears() {
    let server = start(ServerConfig::default());
    let port = server.port();
    let token = token(&server, GRANT);
    api_get(&server, "/v1/a", &token);
    api_get(&server, "/v1/b", &token);
    let stats = get(port, "/_admin/stats", &[]);
    assert_eq!(stats.status, 200);
    assert_eq!(
        stats.json(),
        json!({"token_requests": 1, "api_requests": 2})
    );

    assert_eq!(post(port, "/_admin/reset", "").status, 204);
    assert_eq!(
        get(port, "/_admin/stats", &[]).json(),
        json!({"token_requests": 0, "api_requests": 0})
    );
    assert!(server.requests().is_empty());
}

#[test]
fn script_queues_count_copies_for_the_target() {
    let server = start(ServerConfig::default());
    let port = server.port();
    let spec = r#"{"target":"token","status":500,"body":"{\"error\":\"server_error\"}",
                   "headers":{"Retry-After":"1"},"count":2}"#;
    assert_eq!(post(port, "/_admin/script", spec).status, 204);
    let target = format!("/oauth2/token?{GRANT}");
    let auth = [("Authorization", support::DEFAULT_BASIC)];
    for _ in 0..2 {
        let scripted = send(port, "POST", &target, &auth, b"");
        assert_eq!(scripted.status, 500);
        assert_eq!(scripted.header("retry-after"), Some("1"));
        // JSON bodies get a JSON content type unless the script names one.
        assert_eq!(scripted.header("content-type"), Some("application/json"));
        assert_eq!(scripted.json(), json!({"error": "server_error"}));
    }
    assert_eq!(send(port, "POST", &target, &auth, b"").status, 200);
    assert_eq!(server.token_requests(), 3);

    let api = r#"{"target":"api","status":503,"body":"busy"}"#;
    assert_eq!(post(port, "/_admin/script", api).status, 204);
    let scripted = get(port, "/v1/x", &[]);
    assert_eq!(
        (scripted.status, scripted.text()),
        (503, "busy".to_string())
    );
    assert_eq!(scripted.header("content-type"), None);
}

#[test]
fn lifetime_and_revoke_change_the_tokens() {
    let server = start(ServerConfig::default());
    let port = server.port();
    assert_eq!(post(port, "/_admin/lifetime?secs=2", "").status, 204);
    let response = send(
        port,
        "POST",
        &format!("/oauth2/token?{GRANT}"),
        &[("Authorization", support::DEFAULT_BASIC)],
        b"",
    );
    assert_eq!(response.json()["expires_in"], json!(2));

    let token = token(&server, GRANT);
    assert_eq!(api_get(&server, "/v1/x", &token).status, 200);
    assert_eq!(post(port, "/_admin/revoke", "").status, 204);
    assert_eq!(api_get(&server, "/v1/x", &token).status, 401);
}

#[test]
fn requests_lists_what_was_recorded() {
    let server = start(ServerConfig::default());
    let port = server.port();
    send(
        port,
        "PUT",
        "/v1/docs?x=1",
        &[("X-Thing", "yes")],
        b"payload",
    );
    let listed = get(port, "/_admin/requests", &[]).json();
    let requests = listed.as_array().expect("array");
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request["kind"], json!("api"));
    assert_eq!(request["method"], json!("PUT"));
    assert_eq!(request["path"], json!("/v1/docs"));
    assert_eq!(request["query"], json!("x=1"));
    assert_eq!(request["body"], json!("payload"));
    assert!(request["headers"]
        .as_array()
        .expect("headers")
        .contains(&json!(["X-Thing", "yes"])));
    assert_eq!(server.requests()[0].kind, RequestKind::Api);
}

#[test]
fn bad_admin_requests_are_refused() {
    let server = start(ServerConfig::default());
    let port = server.port();
    assert_eq!(get(port, "/_admin/nothing", &[]).status, 404);
    assert_eq!(post(port, "/_admin/lifetime?secs=soon", "").status, 400);
    for spec in [
        "not json",
        r#"{"target":"elsewhere","status":500}"#,
        r#"{"target":"api","status":42}"#,
        r#"{"target":"api","status":500,"headers":{"A":1}}"#,
    ] {
        let response = post(port, "/_admin/script", spec);
        assert_eq!(response.status, 400, "{spec}");
        assert!(response.json()["error"].is_string());
    }
    assert_eq!(server.api_requests() + server.token_requests(), 0);
}

#[test]
fn rejections_count_refusals_by_reason_and_reset_clears_them() {
    let server = start(ServerConfig::default());
    let port = server.port();
    let target = format!("/oauth2/token?{GRANT}");
    send(port, "POST", &target, &[], b"");
    send(port, "POST", &target, &[], b"");
    send(port, "POST", "/oauth2/token", &[], b"");
    get(port, "/v1/x", &[]);
    let token = token(&server, GRANT);
    support::get(
        port,
        "/v1/x",
        &[("Authorization", &format!("Bearer {token}"))],
    );
    let rejections = get(port, "/_admin/rejections", &[]);
    assert_eq!(rejections.status, 200);
    assert_eq!(
        rejections.json(),
        json!({"api_key": 1, "client_auth_failed": 2, "token_invalid": 1,
               "unsupported_grant_type": 1})
    );
    post(port, "/_admin/reset", "");
    assert_eq!(get(port, "/_admin/rejections", &[]).json(), json!({}));
}

#[test]
fn requests_show_the_outcome_and_the_decoded_assertion_and_proof() {
    let key = support::jose::EcKey::generate();
    let server = start(ServerConfig {
        client_auth: lucidauth_testserver::ClientAuth::PrivateKeyJwt,
        client_keys: vec![key.client_key()],
        dpop: lucidauth_testserver::DpopMode::Required,
        ..ServerConfig::default()
    });
    let url = format!("{}/oauth2/token", server.base_url());
    let claims = support::jose::assertion_claims("CLIENT_ID", &url);
    let assertion = support::jose::sign(&json!({}), &claims, support::jose::Signer::Es256(&key));
    let proof = support::jose::dpop_proof(&key, "POST", &url, json!({"nonce": null}));
    let body = support::jose::assertion_body(&assertion);
    let headers = [
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("DPoP", proof.as_str()),
    ];
    let response = send(
        server.port(),
        "POST",
        "/oauth2/token",
        &headers,
        body.as_bytes(),
    );
    assert_eq!(response.status, 200, "{}", response.text());

    let listed = get(server.port(), "/_admin/requests", &[]).json();
    let request = &listed[0];
    assert_eq!(request["client_assertion"]["claims"], claims);
    assert_eq!(
        request["client_assertion"]["header"],
        json!({"alg": "ES256"})
    );
    assert_eq!(request["dpop_proof"]["header"]["typ"], json!("dpop+jwt"));
    assert_eq!(request["dpop_proof"]["claims"]["htu"], json!(url));
    assert_eq!(
        request["outcome"],
        json!({"status": 200, "scripted": false, "reason": null, "error": null,
               "error_description": null, "dpop_jkt": key.thumbprint()})
    );
}

#[test]
fn dpop_nonce_clock_and_jwks_endpoints() {
    let server = start(ServerConfig {
        jwt_tokens: true,
        ..ServerConfig::default()
    });
    let port = server.port();
    assert_eq!(
        get(port, "/_admin/dpop_nonce", &[]).json(),
        json!({"nonce": null})
    );
    assert_eq!(post(port, "/_admin/dpop_nonce", "").status, 204);
    let random = get(port, "/_admin/dpop_nonce", &[]).json()["nonce"].clone();
    assert_eq!(random.as_str().map(str::len), Some(22));
    assert_eq!(server.dpop_nonce().as_deref(), random.as_str());
    assert_eq!(post(port, "/_admin/dpop_nonce?value=n-2", "").status, 204);
    assert_eq!(server.dpop_nonce().as_deref(), Some("n-2"));
    assert_eq!(post(port, "/_admin/dpop_nonce?value=a%20b", "").status, 400);

    assert_eq!(
        post(port, "/_admin/clock?offset_secs=-3000", "").status,
        204
    );
    assert_eq!(post(port, "/_admin/clock?offset_secs=soon", "").status, 400);
    let iat = support::jose::payload(&token(&server, GRANT))["iat"].as_i64();
    let behind = iat.map(|iat| support::jose::now() - iat);
    assert!(
        behind.is_some_and(|secs| (3000..3003).contains(&secs)),
        "{behind:?}"
    );

    let jwks = get(port, "/_admin/jwks", &[]).json();
    assert_eq!(jwks, server.token_jwks());
    assert_eq!(jwks["keys"][0]["kid"], json!("lucid-testserver"));
    assert_eq!(jwks["keys"][0]["crv"], json!("P-256"));

    let spec = r#"{"target":"metadata","status":500}"#;
    assert_eq!(post(port, "/_admin/script", spec).status, 204);
    let scripted = get(port, "/.well-known/openid-configuration", &[]);
    assert_eq!(scripted.status, 500);
    assert_eq!(server.metadata_requests(), 1);
}
