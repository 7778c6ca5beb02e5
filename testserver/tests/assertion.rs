//! `private_key_jwt` and `client_secret_jwt` (RFC 7523): what is accepted, and every refusal with
//! its exact status, error, description and reason code.

mod support;

use lucidauth_testserver::{AssertionAudience, ClientAuth, ClientKey, ServerConfig, TestServer};
use serde_json::{json, Value};
use support::jose::{
    assertion_body, assertion_claims, fixture, merge, rsa_key, sign, EcKey, Signer, JWT_BEARER,
};
use support::{send, start, Response, DEFAULT_BASIC};

const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");
const SECRET: &str = "a client secret of thirty-two bytes or more";

fn pkjwt_server(keys: Vec<ClientKey>) -> TestServer {
    start(ServerConfig {
        client_auth: ClientAuth::PrivateKeyJwt,
        client_keys: keys,
        ..ServerConfig::default()
    })
}

fn token_url(server: &TestServer) -> String {
    format!("{}/oauth2/token", server.base_url())
}

/// POSTs `body` as a form to the token endpoint, with `extra` headers.
fn post(server: &TestServer, body: &str, extra: &[(&str, &str)]) -> Response {
    let mut headers = vec![FORM];
    headers.extend_from_slice(extra);
    send(
        server.port(),
        "POST",
        "/oauth2/token",
        &headers,
        body.as_bytes(),
    )
}

/// An ES256 assertion by `key` with the usual claims changed by `extra`.
fn es256(server: &TestServer, key: &EcKey, header: Value, extra: Value) -> String {
    let mut claims = assertion_claims("CLIENT_ID", &token_url(server));
    merge(&mut claims, extra);
    sign(&header, &claims, Signer::Es256(key))
}

/// Asserts a refusal: status, OAuth error and description, and the reason in the record.
fn refused(
    response: &Response,
    status: u16,
    error: &str,
    description: &str,
    reason: &str,
    server: &TestServer,
) {
    assert_eq!(response.status, status, "{}", response.text());
    assert_eq!(
        response.json(),
        json!({"error": error, "error_description": description})
    );
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let last = server.requests().pop().expect("recorded");
    let outcome = last.outcome.expect("answered");
    assert_eq!(outcome.reason.as_deref(), Some(reason));
    assert_eq!(outcome.error.as_deref(), Some(error));
    assert_eq!(outcome.error_description.as_deref(), Some(description));
}

#[test]
fn es256_and_rs256_assertions_are_accepted_and_recorded_exactly() {
    let ec = EcKey::generate();
    let rsa_public = ClientKey::parse(&fixture("rsa2048.pub.pem")).expect("RSA key");
    let server = pkjwt_server(vec![
        ec.client_key().with_kid("ec"),
        rsa_public[0].clone().with_kid("rsa"),
    ]);

    let claims = assertion_claims("CLIENT_ID", &token_url(&server));
    let assertion = sign(
        &json!({"kid": "ec", "typ": "JWT"}),
        &claims,
        Signer::Es256(&ec),
    );
    let response = post(&server, &assertion_body(&assertion), &[]);
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["token_type"], json!("Bearer"));
    assert_eq!(response.header("cache-control"), Some("no-store"));

    let recorded = server.requests().pop().expect("recorded");
    let decoded = recorded.client_assertion().expect("decoded assertion");
    assert_eq!(Value::Object(decoded.claims), claims);
    assert_eq!(
        Value::Object(decoded.header),
        json!({"kid": "ec", "typ": "JWT", "alg": "ES256"})
    );
    let outcome = recorded.outcome.expect("answered");
    assert_eq!((outcome.status, outcome.reason), (200, None));

    let rsa = rsa_key();
    let claims = assertion_claims("CLIENT_ID", &token_url(&server));
    let assertion = sign(&json!({"kid": "rsa"}), &claims, Signer::Rs256(&rsa));
    // A client_id parameter is allowed when it is the assertion's.
    let body = format!("{}&client_id=CLIENT_ID", assertion_body(&assertion));
    assert_eq!(post(&server, &body, &[]).status, 200);
    assert_eq!(server.token_requests(), 2);
    assert!(server.rejections().is_empty());
}

#[test]
fn a_wrong_key_an_unknown_kid_and_a_missing_kid_are_refused() {
    let (good, other) = (EcKey::generate(), EcKey::generate());
    let server = pkjwt_server(vec![good.client_key()]);
    let forged = es256(&server, &other, json!({}), json!({}));
    let response = post(&server, &assertion_body(&forged), &[]);
    refused(
        &response,
        400,
        "invalid_client",
        "client_assertion signature is invalid",
        "assertion_signature",
        &server,
    );

    let unknown = es256(&server, &good, json!({"kid": "nope"}), json!({}));
    let response = post(&server, &assertion_body(&unknown), &[]);
    refused(
        &response,
        400,
        "invalid_client",
        "no client key has kid nope",
        "assertion_kid",
        &server,
    );

    let two = pkjwt_server(vec![
        good.client_key().with_kid("a"),
        other.client_key().with_kid("b"),
    ]);
    let unnamed = es256(&two, &good, json!({}), json!({}));
    let response = post(&two, &assertion_body(&unnamed), &[]);
    let why = "client_assertion has no kid and the server holds 2 client keys";
    refused(&response, 400, "invalid_client", why, "assertion_kid", &two);
    let named = es256(&two, &other, json!({"kid": "b"}), json!({}));
    assert_eq!(post(&two, &assertion_body(&named), &[]).status, 200);

    // RS256 named for an EC key.
    let rsa = sign(
        &json!({"kid": "a"}),
        &assertion_claims("CLIENT_ID", &token_url(&two)),
        Signer::Rs256(&rsa_key()),
    );
    let response = post(&two, &assertion_body(&rsa), &[]);
    let why = "client_assertion alg RS256 does not fit the client key (ES256)";
    refused(&response, 400, "invalid_client", why, "assertion_alg", &two);
}

#[test]
fn expired_replayed_and_misaddressed_assertions_are_refused() {
    let key = EcKey::generate();
    let server = pkjwt_server(vec![key.client_key()]);
    let now = support::jose::now();
    let cases = [
        (
            json!({"exp": now - 1, "iat": now - 61}),
            "client_assertion has expired",
            "assertion_expired",
        ),
        (
            json!({"exp": null}),
            "client_assertion exp is missing",
            "assertion_exp",
        ),
        (
            json!({"iat": null}),
            "client_assertion iat is missing",
            "assertion_iat",
        ),
        (
            json!({"iat": now + 60, "exp": now + 120}),
            "client_assertion iat is in the future",
            "assertion_iat",
        ),
        (
            json!({"iat": now, "exp": now + 301}),
            "client_assertion exp must be after iat and at most 300 seconds after it",
            "assertion_lifetime",
        ),
        (
            json!({"nbf": now + 120}),
            "client_assertion is not valid yet (nbf)",
            "assertion_nbf",
        ),
        (
            json!({"aud": "https://elsewhere/token"}),
            "",
            "assertion_aud",
        ),
        (
            json!({"iss": "SOMEONE"}),
            "client_assertion iss must be the client id",
            "assertion_iss",
        ),
        (
            json!({"sub": "SOMEONE"}),
            "client_assertion sub must be the client id",
            "assertion_sub",
        ),
        (
            json!({"jti": ""}),
            "client_assertion jti is missing",
            "assertion_jti",
        ),
    ];
    let aud_why = format!("client_assertion aud must contain {}", token_url(&server));
    for (extra, why, reason) in cases {
        let why = if reason == "assertion_aud" {
            aud_why.as_str()
        } else {
            why
        };
        let assertion = es256(&server, &key, json!({}), extra.clone());
        let response = post(&server, &assertion_body(&assertion), &[]);
        refused(&response, 400, "invalid_client", why, reason, &server);
    }

    let once = es256(&server, &key, json!({}), json!({}));
    assert_eq!(post(&server, &assertion_body(&once), &[]).status, 200);
    let again = post(&server, &assertion_body(&once), &[]);
    let why = "client_assertion jti has been used before";
    refused(
        &again,
        400,
        "invalid_client",
        why,
        "assertion_replayed",
        &server,
    );
    assert_eq!(server.rejections()["assertion_replayed"], 1);
    assert_eq!(server.rejections()["assertion_iat"], 2);
    assert_eq!(server.rejections().values().sum::<usize>(), 11);
}

#[test]
fn an_array_aud_and_the_issuer_audience_when_configured() {
    let key = EcKey::generate();
    let server = start(ServerConfig {
        client_auth: ClientAuth::PrivateKeyJwt,
        client_keys: vec![key.client_key()],
        assertion_audiences: vec![AssertionAudience::Issuer],
        ..ServerConfig::default()
    });
    let issuer = server.issuer();
    assert_eq!(issuer, server.base_url());
    let to_endpoint = es256(&server, &key, json!({}), json!({}));
    let response = post(&server, &assertion_body(&to_endpoint), &[]);
    let why = format!("client_assertion aud must contain {issuer}");
    refused(
        &response,
        400,
        "invalid_client",
        &why,
        "assertion_aud",
        &server,
    );
    let to_issuer = es256(&server, &key, json!({}), json!({"aud": ["x", issuer]}));
    assert_eq!(post(&server, &assertion_body(&to_issuer), &[]).status, 200);
}

#[test]
fn the_assertion_must_come_alone_in_the_form_body_with_its_type() {
    let key = EcKey::generate();
    let server = pkjwt_server(vec![key.client_key()]);
    let assertion = es256(&server, &key, json!({}), json!({}));
    let body = assertion_body(&assertion);
    let why = "the client used more than one authentication method";
    let basic = post(&server, &body, &[("Authorization", DEFAULT_BASIC)]);
    refused(
        &basic,
        400,
        "invalid_request",
        why,
        "multiple_client_auth",
        &server,
    );
    let secret = post(&server, &format!("{body}&client_secret=CLIENT_SECRET"), &[]);
    refused(
        &secret,
        400,
        "invalid_request",
        why,
        "multiple_client_auth",
        &server,
    );

    let in_query = send(
        server.port(),
        "POST",
        &format!("/oauth2/token?{body}"),
        &[],
        b"",
    );
    let why = "client_assertion and client_assertion_type must be in the form body";
    refused(
        &in_query,
        400,
        "invalid_request",
        why,
        "assertion_in_query",
        &server,
    );

    let no_type = post(
        &server,
        &format!("grant_type=client_credentials&client_assertion={assertion}"),
        &[],
    );
    refused(
        &no_type,
        400,
        "invalid_request",
        "client_assertion_type is missing",
        "assertion_type_missing",
        &server,
    );
    let wrong_type = body.replace("jwt-bearer", "saml2-bearer");
    let why = format!("client_assertion_type must be {JWT_BEARER}");
    refused(
        &post(&server, &wrong_type, &[]),
        400,
        "invalid_client",
        &why,
        "assertion_type",
        &server,
    );
    let twice = format!("{body}&client_assertion={assertion}");
    let why = "client_assertion and client_assertion_type must not be repeated";
    refused(
        &post(&server, &twice, &[]),
        400,
        "invalid_request",
        why,
        "assertion_repeated",
        &server,
    );

    let mismatch = es256(&server, &key, json!({}), json!({}));
    let body = format!("{}&client_id=OTHER", assertion_body(&mismatch));
    let why = "client_id does not match the client_assertion";
    refused(
        &post(&server, &body, &[]),
        400,
        "invalid_client",
        why,
        "assertion_client_id",
        &server,
    );

    let garbage = post(&server, &assertion_body("not.a-jwt"), &[]);
    let why =
        "client_assertion is not a compact JWS: expected three base64url parts separated by dots";
    refused(
        &garbage,
        400,
        "invalid_client",
        why,
        "assertion_malformed",
        &server,
    );
    // None of them used the good assertions' jtis up: the first is still accepted.
    assert_eq!(post(&server, &assertion_body(&assertion), &[]).status, 200);
}

#[test]
fn a_secret_is_refused_where_an_assertion_is_required_and_the_reverse() {
    let key = EcKey::generate();
    let server = pkjwt_server(vec![key.client_key()]);
    let basic = send(
        server.port(),
        "POST",
        "/oauth2/token?grant_type=client_credentials",
        &[("Authorization", DEFAULT_BASIC)],
        b"",
    );
    let why = "this client must authenticate with private_key_jwt: client_assertion_type and \
               client_assertion in the form body";
    refused(
        &basic,
        401,
        "invalid_client",
        why,
        "client_auth_method",
        &server,
    );
    assert_eq!(
        basic.header("www-authenticate"),
        Some("Basic realm=\"lucid-testserver\"")
    );

    let secret_server = start(ServerConfig::default());
    let assertion = es256(&secret_server, &key, json!({}), json!({}));
    let response = post(&secret_server, &assertion_body(&assertion), &[]);
    let why = "this client must authenticate with a client secret (any)";
    refused(
        &response,
        401,
        "invalid_client",
        why,
        "client_auth_method",
        &secret_server,
    );
    assert_eq!(response.header("www-authenticate"), None);
}

#[test]
fn client_secret_jwt_takes_hs256_with_the_secret_only() {
    let server = start(ServerConfig {
        client_auth: ClientAuth::ClientSecretJwt,
        client_secret: SECRET.to_string(),
        ..ServerConfig::default()
    });
    let claims = assertion_claims("CLIENT_ID", &token_url(&server));
    let good = sign(&json!({}), &claims, Signer::Hs256(SECRET.as_bytes()));
    assert_eq!(post(&server, &assertion_body(&good), &[]).status, 200);

    let claims = assertion_claims("CLIENT_ID", &token_url(&server));
    let wrong = sign(
        &json!({}),
        &claims,
        Signer::Hs256(b"another secret of thirty-two bytes!!"),
    );
    let response = post(&server, &assertion_body(&wrong), &[]);
    refused(
        &response,
        400,
        "invalid_client",
        "client_assertion signature is invalid",
        "assertion_signature",
        &server,
    );

    let key = EcKey::generate();
    let es = es256(&server, &key, json!({}), json!({}));
    let why = "client_assertion alg ES256 is not accepted: client_secret_jwt takes HS256";
    refused(
        &post(&server, &assertion_body(&es), &[]),
        400,
        "invalid_client",
        why,
        "assertion_alg",
        &server,
    );

    let claims = assertion_claims("CLIENT_ID", &token_url(&server));
    let none = format!(
        "{}.{}.",
        support::jose::b64(br#"{"alg":"none"}"#),
        support::jose::b64(claims.to_string().as_bytes())
    );
    let why = "client_assertion alg none is not accepted: client_secret_jwt takes HS256";
    refused(
        &post(&server, &assertion_body(&none), &[]),
        400,
        "invalid_client",
        why,
        "assertion_alg",
        &server,
    );
}

#[test]
fn settings_that_cannot_work_are_refused_at_start() {
    let short = TestServer::start(ServerConfig {
        client_auth: ClientAuth::ClientSecretJwt,
        ..ServerConfig::default()
    });
    let error = short.err().expect("a 13-byte secret is refused");
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    assert_eq!(
        error.to_string(),
        "client_secret_jwt needs a client secret of at least 32 bytes (RFC 7518 §3.2)"
    );
    let keyless = TestServer::start(ServerConfig {
        client_auth: ClientAuth::PrivateKeyJwt,
        ..ServerConfig::default()
    });
    let error = keyless
        .err()
        .expect("private_key_jwt without keys is refused");
    assert_eq!(
        error.to_string(),
        "private_key_jwt needs at least one client key"
    );
}

#[test]
fn the_server_clock_offset_expires_a_good_assertion() {
    let key = EcKey::generate();
    let server = pkjwt_server(vec![key.client_key()]);
    server.set_clock_offset(121);
    let assertion = es256(&server, &key, json!({}), json!({}));
    let response = post(&server, &assertion_body(&assertion), &[]);
    refused(
        &response,
        400,
        "invalid_client",
        "client_assertion has expired",
        "assertion_expired",
        &server,
    );
    server.set_clock_offset(0);
    assert_eq!(post(&server, &assertion_body(&assertion), &[]).status, 200);
}
