//! DPoP (RFC 9449): proofs at the token endpoint and the API, tokens bound by `cnf.jkt`, nonce
//! challenges and rotation, and every refusal by its exact answer.

mod support;

use lucidauth_testserver::{DpopMode, ServerConfig, TestServer};
use serde_json::{json, Value};
use support::jose::{ath, dpop_proof, now, payload, sign, EcKey, Signer};
use support::{send, start, Response, DEFAULT_BASIC};

const TOKEN_PATH: &str = "/oauth2/token?grant_type=client_credentials";

fn dpop_server(nonce: bool) -> TestServer {
    start(ServerConfig {
        dpop: DpopMode::Required,
        dpop_nonce: nonce,
        ..ServerConfig::default()
    })
}

fn token_url(server: &TestServer) -> String {
    format!("{}/oauth2/token", server.base_url())
}

/// A token request with Basic credentials and `proof` (if any) in the DPoP header.
fn token_request(server: &TestServer, proof: Option<&str>) -> Response {
    let mut headers = vec![("Authorization", DEFAULT_BASIC)];
    if let Some(proof) = proof {
        headers.push(("DPoP", proof));
    }
    send(server.port(), "POST", TOKEN_PATH, &headers, b"")
}

/// A DPoP-bound token for `key`.
fn bound_token(server: &TestServer, key: &EcKey, extra: Value) -> String {
    let proof = dpop_proof(key, "POST", &token_url(server), extra);
    let response = token_request(server, Some(&proof));
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()["access_token"]
        .as_str()
        .expect("token")
        .to_string()
}

/// An API GET of `/v1/docs` with `Authorization: <scheme> <token>` and `proof`.
fn api_request(server: &TestServer, scheme: &str, token: &str, proof: Option<&str>) -> Response {
    let authorization = format!("{scheme} {token}");
    let mut headers = vec![
        ("Authorization", authorization.as_str()),
        ("x-api-key", "API_KEY"),
    ];
    if let Some(proof) = proof {
        headers.push(("DPoP", proof));
    }
    support::get(server.port(), "/v1/docs?page=2", &headers)
}

fn api_url(server: &TestServer) -> String {
    format!("{}/v1/docs", server.base_url())
}

/// The reason recorded for the last request.
fn last_reason(server: &TestServer) -> Option<String> {
    server
        .requests()
        .pop()
        .and_then(|r| r.outcome)
        .and_then(|o| o.reason)
}

/// A token endpoint refusal: 400 `invalid_dpop_proof` with `description`, for `reason`.
fn assert_invalid_proof(server: &TestServer, response: &Response, description: &str, reason: &str) {
    assert_eq!(response.status, 400, "{}", response.text());
    assert_eq!(
        response.json(),
        json!({"error": "invalid_dpop_proof", "error_description": description})
    );
    assert_eq!(last_reason(server).as_deref(), Some(reason));
}

/// An API refusal: 401 with exactly `challenge` in `WWW-Authenticate`.
fn assert_api_challenge(server: &TestServer, response: &Response, challenge: &str, reason: &str) {
    assert_eq!(response.status, 401, "{}", response.text());
    assert_eq!(response.json(), json!({"message": "Unauthorized"}));
    assert_eq!(response.header("www-authenticate"), Some(challenge));
    assert_eq!(last_reason(server).as_deref(), Some(reason));
}

#[test]
fn a_proof_gets_a_dpop_bound_jwt_that_works_only_with_a_proof_by_the_same_key() {
    let server = dpop_server(false);
    let key = EcKey::generate();
    let proof = dpop_proof(&key, "POST", &token_url(&server), json!({}));
    let response = token_request(&server, Some(&proof));
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json();
    assert_eq!(body["token_type"], json!("DPoP"));
    let token = body["access_token"].as_str().expect("token");
    let claims = payload(token);
    assert_eq!(claims["cnf"], json!({"jkt": key.thumbprint()}));
    assert_eq!(claims["sub"], json!("CLIENT_ID"));
    assert_eq!(
        claims["exp"]
            .as_i64()
            .zip(claims["iat"].as_i64())
            .map(|(e, i)| e - i),
        Some(3600)
    );
    let recorded = server.requests().pop().expect("recorded");
    assert_eq!(
        recorded.outcome.clone().expect("outcome").dpop_jkt,
        Some(key.thumbprint())
    );
    let decoded = recorded.dpop_proof().expect("decoded proof");
    assert_eq!(decoded.header["jwk"], key.jwk());
    assert_eq!(decoded.claims["htu"], json!(token_url(&server)));

    let proof = dpop_proof(&key, "GET", &api_url(&server), json!({"ath": ath(token)}));
    let ok = api_request(&server, "DPoP", token, Some(&proof));
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(ok.json()["headers"]["dpop"], json!(proof));

    let as_bearer = api_request(&server, "Bearer", token, None);
    let challenge = "DPoP error=\"invalid_token\", error_description=\"the token is DPoP-bound: \
                     send it with the DPoP scheme and a proof\"";
    assert_api_challenge(&server, &as_bearer, challenge, "dpop_bound_as_bearer");

    let thief = EcKey::generate();
    let stolen = dpop_proof(&thief, "GET", &api_url(&server), json!({"ath": ath(token)}));
    let response = api_request(&server, "DPoP", token, Some(&stolen));
    let challenge = "DPoP error=\"invalid_dpop_proof\", error_description=\"DPoP proof key does \
                     not match the token's cnf.jkt\"";
    assert_api_challenge(&server, &response, challenge, "dpop_jkt");
}

#[test]
fn api_proofs_need_ath_a_fresh_jti_and_the_right_method_and_url() {
    let server = dpop_server(false);
    let key = EcKey::generate();
    let token = bound_token(&server, &key, json!({}));
    let challenge =
        |why: &str| format!("DPoP error=\"invalid_dpop_proof\", error_description=\"{why}\"");
    let url = api_url(&server);
    let cases = [
        (
            dpop_proof(&key, "GET", &url, json!({})),
            "DPoP proof ath is missing".to_string(),
            "dpop_ath",
        ),
        (
            dpop_proof(&key, "GET", &url, json!({"ath": ath("other")})),
            "DPoP proof ath does not match the access token".to_string(),
            "dpop_ath",
        ),
        (
            dpop_proof(&key, "POST", &url, json!({"ath": ath(&token)})),
            "DPoP proof htm must be the request method".to_string(),
            "dpop_htm",
        ),
        (
            dpop_proof(
                &key,
                "GET",
                &format!("{url}?page=2"),
                json!({"ath": ath(&token)}),
            ),
            "DPoP proof htu must not have a query or fragment".to_string(),
            "dpop_htu",
        ),
        (
            dpop_proof(
                &key,
                "GET",
                &format!("{}/v1/other", server.base_url()),
                json!({"ath": ath(&token)}),
            ),
            format!("DPoP proof htu must be {url}"),
            "dpop_htu",
        ),
    ];
    for (proof, why, reason) in cases {
        let response = api_request(&server, "DPoP", &token, Some(&proof));
        assert_api_challenge(&server, &response, &challenge(&why), reason);
    }
    let missing = api_request(&server, "DPoP", &token, None);
    assert_api_challenge(
        &server,
        &missing,
        &challenge("a DPoP proof is required"),
        "dpop_missing",
    );

    let proof = dpop_proof(&key, "GET", &url, json!({"ath": ath(&token)}));
    assert_eq!(
        api_request(&server, "DPoP", &token, Some(&proof)).status,
        200
    );
    let replayed = api_request(&server, "DPoP", &token, Some(&proof));
    let why = challenge("DPoP proof jti has been used before");
    assert_api_challenge(&server, &replayed, &why, "dpop_replayed");

    let bearer_server = start(ServerConfig::default());
    let bearer = support::token(&bearer_server, "grant_type=client_credentials");
    let response = api_request(&bearer_server, "DPoP", &bearer, Some(&proof));
    let why = "DPoP error=\"invalid_token\", error_description=\"the token is not DPoP-bound\"";
    assert_api_challenge(&bearer_server, &response, why, "dpop_unbound");
}

#[test]
fn token_endpoint_proofs_are_checked_in_order_with_exact_descriptions() {
    let server = dpop_server(false);
    let key = EcKey::generate();
    let url = token_url(&server);
    let window = "DPoP proof iat is more than 60 seconds from the server's clock";
    let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": key.jwk()});
    let claims = json!({"jti": "j", "htm": "POST", "htu": url, "iat": now()});
    let mut private_jwk = key.jwk();
    private_jwk["d"] = json!("AAAA");
    let with_header = |extra: Value| {
        let mut header = header.clone();
        support::jose::merge(&mut header, extra);
        sign(&header, &claims, Signer::Es256(&key))
    };
    let other = EcKey::generate();
    let cases = [
        (
            with_header(json!({"typ": "JWT"})),
            "DPoP proof typ must be dpop+jwt",
            "dpop_typ",
        ),
        (
            with_header(json!({"alg": "ES384"})),
            "DPoP proof alg must be ES256",
            "dpop_alg",
        ),
        (
            with_header(json!({"jwk": null})),
            "DPoP proof jwk must be a public EC P-256 key",
            "dpop_jwk",
        ),
        (
            with_header(json!({"jwk": private_jwk})),
            "DPoP proof jwk must be a public EC P-256 key",
            "dpop_jwk",
        ),
        (
            with_header(json!({"jwk": other.jwk()})),
            "DPoP proof signature is invalid",
            "dpop_signature",
        ),
        (
            dpop_proof(&key, "POST", &url, json!({"jti": null})),
            "DPoP proof jti is missing",
            "dpop_jti",
        ),
        (
            dpop_proof(&key, "GET", &url, json!({})),
            "DPoP proof htm must be the request method",
            "dpop_htm",
        ),
        (
            dpop_proof(&key, "POST", &url, json!({"iat": null})),
            "DPoP proof iat is missing",
            "dpop_iat",
        ),
        (
            dpop_proof(&key, "POST", &url, json!({"iat": now() - 90})),
            window,
            "dpop_iat",
        ),
        (
            dpop_proof(&key, "POST", &url, json!({"iat": now() + 90})),
            window,
            "dpop_iat",
        ),
        (
            "a.b".to_string(),
            "DPoP proof is not a compact JWS: expected three base64url parts separated by dots",
            "dpop_malformed",
        ),
    ];
    for (proof, why, reason) in cases {
        let response = token_request(&server, Some(&proof));
        assert_invalid_proof(&server, &response, why, reason);
    }
    let missing = token_request(&server, None);
    assert_invalid_proof(
        &server,
        &missing,
        "a DPoP proof is required",
        "dpop_missing",
    );
    let proof = dpop_proof(&key, "POST", &url, json!({}));
    let twice = send(
        server.port(),
        "POST",
        TOKEN_PATH,
        &[
            ("Authorization", DEFAULT_BASIC),
            ("DPoP", &proof),
            ("DPoP", &proof),
        ],
        b"",
    );
    assert_invalid_proof(
        &server,
        &twice,
        "more than one DPoP header",
        "dpop_multiple",
    );

    assert_eq!(token_request(&server, Some(&proof)).status, 200);
    let replayed = token_request(&server, Some(&proof));
    assert_invalid_proof(
        &server,
        &replayed,
        "DPoP proof jti has been used before",
        "dpop_replayed",
    );
    assert_eq!(server.rejections()["dpop_iat"], 3);
    assert_eq!(server.rejections()["dpop_jwk"], 2);
}

#[test]
fn a_nonce_is_demanded_then_rotated_mid_life_at_both_endpoints() {
    let server = dpop_server(true);
    let key = EcKey::generate();
    let url = token_url(&server);
    let first = server.dpop_nonce().expect("a nonce is demanded");

    let challenged = token_request(&server, Some(&dpop_proof(&key, "POST", &url, json!({}))));
    assert_eq!(challenged.status, 400);
    assert_eq!(
        challenged.json(),
        json!({"error": "use_dpop_nonce",
               "error_description": "Authorization server requires nonce in DPoP proof"})
    );
    assert_eq!(challenged.header("dpop-nonce"), Some(first.as_str()));
    assert_eq!(last_reason(&server).as_deref(), Some("dpop_nonce"));
    let token = bound_token(&server, &key, json!({"nonce": first}));

    let rotated = server.rotate_dpop_nonce().expect("rotated");
    assert_ne!(rotated, first);
    let stale = token_request(
        &server,
        Some(&dpop_proof(&key, "POST", &url, json!({"nonce": first}))),
    );
    assert_eq!(stale.json()["error"], json!("use_dpop_nonce"));
    assert_eq!(stale.header("dpop-nonce"), Some(rotated.as_str()));

    let api_proof = |nonce: &str| {
        dpop_proof(
            &key,
            "GET",
            &api_url(&server),
            json!({"ath": ath(&token), "nonce": nonce}),
        )
    };
    let api = api_request(&server, "DPoP", &token, Some(&api_proof(&first)));
    let challenge = "DPoP error=\"use_dpop_nonce\", error_description=\"Resource server requires \
                     nonce in DPoP proof\"";
    assert_api_challenge(&server, &api, challenge, "dpop_nonce");
    assert_eq!(api.header("dpop-nonce"), Some(rotated.as_str()));
    assert_eq!(
        api_request(&server, "DPoP", &token, Some(&api_proof(&rotated))).status,
        200
    );

    server.set_dpop_nonce("chosen-nonce").expect("valid nonce");
    assert_eq!(server.dpop_nonce().as_deref(), Some("chosen-nonce"));
    assert!(server.set_dpop_nonce("not a nonce").is_err());
    assert_eq!(server.rejections()["dpop_nonce"], 3);
}

#[test]
fn optional_dpop_binds_only_requests_with_a_proof_and_off_ignores_proofs() {
    let optional = start(ServerConfig {
        dpop: DpopMode::Optional,
        ..ServerConfig::default()
    });
    let plain = token_request(&optional, None);
    assert_eq!(plain.json()["token_type"], json!("Bearer"));
    let key = EcKey::generate();
    let proof = dpop_proof(&key, "POST", &token_url(&optional), json!({}));
    assert_eq!(
        token_request(&optional, Some(&proof)).json()["token_type"],
        json!("DPoP")
    );

    let off = start(ServerConfig::default());
    let proof = dpop_proof(&key, "POST", &token_url(&off), json!({}));
    let response = token_request(&off, Some(&proof));
    assert_eq!(response.json()["token_type"], json!("Bearer"));
    let token = response.json()["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    assert!(token.starts_with("tok-1-"), "{token}");
}

#[test]
fn jwt_tokens_makes_bearer_tokens_jwts_signed_by_the_published_key() {
    let server = start(ServerConfig {
        jwt_tokens: true,
        ..ServerConfig::default()
    });
    let token = support::token(&server, "grant_type=client_credentials&scope=a+b");
    let claims = payload(&token);
    assert_eq!(claims["scope"], json!("a b"));
    assert_eq!(claims["iss"], json!(server.base_url()));
    assert!(claims.get("cnf").is_none());
    assert!(claims["jti"]
        .as_str()
        .is_some_and(|jti| jti.starts_with("tok-1-")));

    let jwks = server.token_jwks();
    let jwk = &jwks["keys"][0];
    let coordinate =
        |name: &str| support::jose::b64url_decode(jwk[name].as_str().expect("coordinate"));
    let point = [vec![4], coordinate("x"), coordinate("y")].concat();
    let (input, signature) = token.rsplit_once('.').expect("JWT");
    let signature = support::jose::b64url_decode(signature);
    let key =
        ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, point);
    assert!(key.verify(input.as_bytes(), &signature).is_ok());
    assert_eq!(support::api_get(&server, "/v1/x", &token).status, 200);
}
