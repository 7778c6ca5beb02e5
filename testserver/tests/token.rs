//! The token endpoint: client authentication forms, grant type, scope, response shape, scripted
//! responses and counts.

mod support;

use lucidauth_testserver::{ClientAuth, RequestKind, Scripted, ServerConfig};
use serde_json::json;
use support::{api_get, send, start, token, DEFAULT_BASIC};

const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");
const RAW_BASIC: &str = "Basic Q0xJRU5UX0lEPz86Q0xJRU5UX1NFQ1JFVD8/";
const URLENCODED_BASIC: &str = "Basic Q0xJRU5UX0lEJTNGJTNGOkNMSUVOVF9TRUNSRVQlM0YlM0Y=";
const POST_BODY: &str =
    "grant_type=client_credentials&client_id=CLIENT_ID%3F%3F&client_secret=CLIENT_SECRET%3F%3F";

fn question_marks(client_auth: ClientAuth) -> ServerConfig {
    ServerConfig {
        client_id: "CLIENT_ID??".to_string(),
        client_secret: "CLIENT_SECRET??".to_string(),
        client_auth,
        ..ServerConfig::default()
    }
}

/// The status of a token request authenticated in each form: (raw Basic, urlencoded Basic, post).
fn statuses(client_auth: ClientAuth) -> (u16, u16, u16) {
    let server = start(question_marks(client_auth));
    let basic = |authorization| {
        send(
            server.port(),
            "POST",
            "/oauth2/token?grant_type=client_credentials",
            &[("Authorization", authorization)],
            b"",
        )
        .status
    };
    let post = send(
        server.port(),
        "POST",
        "/oauth2/token",
        &[FORM],
        POST_BODY.as_bytes(),
    );
    let result = (basic(RAW_BASIC), basic(URLENCODED_BASIC), post.status);
    assert_eq!(server.token_requests(), 3);
    result
}

#[test]
fn each_client_auth_form_accepts_exactly_its_own_credentials() {
    assert_eq!(statuses(ClientAuth::Basic), (200, 401, 401));
    assert_eq!(statuses(ClientAuth::BasicUrlencoded), (401, 200, 401));
    assert_eq!(statuses(ClientAuth::Post), (401, 401, 200));
    assert_eq!(statuses(ClientAuth::Any), (200, 200, 200));
}

#[test]
fn issues_a_bearer_token_as_json() {
    let server = start(ServerConfig::default());
    let response = send(
        server.port(),
        "POST",
        "/oauth2/token?grant_type=client_credentials",
        &[("Authorization", DEFAULT_BASIC)],
        b"",
    );
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.header("connection"), Some("close"));
    let body = response.json();
    let token = body["access_token"].as_str().expect("access_token");
    assert!(
        token.starts_with("tok-1-") && token.len() == "tok-1-".len() + 16,
        "{token}"
    );
    assert_eq!(body["expires_in"], json!(3600));
    assert_eq!(body["token_type"], json!("Bearer"));
    assert!(body.get("scope").is_none());

    let second = support::token(&server, "grant_type=client_credentials");
    assert_ne!(second, token);
}

#[test]
fn scope_comes_back_and_works_from_query_or_body() {
    let server = start(ServerConfig::default());
    let auth = ("Authorization", DEFAULT_BASIC);
    let from_query = send(
        server.port(),
        "POST",
        "/oauth2/AUTHID/v1/token?grant_type=client_credentials&scope=machinelearning.predict",
        &[auth],
        b"",
    );
    assert_eq!(from_query.status, 200);
    assert_eq!(from_query.json()["scope"], json!("machinelearning.predict"));

    let body = b"grant_type=client_credentials&scope=a+b%3Ac";
    let from_body = send(server.port(), "POST", "/oauth2/token", &[auth, FORM], body);
    assert_eq!(from_body.status, 200);
    assert_eq!(from_body.json()["scope"], json!("a b:c"));
}

#[test]
fn rejects_a_missing_grant_type_and_a_wrong_secret() {
    let server = start(ServerConfig::default());
    let no_grant = send(
        server.port(),
        "POST",
        "/oauth2/token",
        &[("Authorization", DEFAULT_BASIC)],
        b"",
    );
    assert_eq!(no_grant.status, 400);
    assert_eq!(
        no_grant.json(),
        json!({"error": "unsupported_grant_type",
               "error_description": "grant_type must be client_credentials"})
    );

    // A form field only counts in a form body.
    let not_form = send(
        server.port(),
        "POST",
        "/oauth2/token",
        &[
            ("Authorization", DEFAULT_BASIC),
            ("Content-Type", "text/plain"),
        ],
        b"grant_type=client_credentials",
    );
    assert_eq!(not_form.status, 400);

    // base64("CLIENT_ID:WRONG")
    let wrong = send(
        server.port(),
        "POST",
        "/oauth2/token?grant_type=client_credentials",
        &[("Authorization", "Basic Q0xJRU5UX0lEOldST05H")],
        b"",
    );
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.header("content-type"), Some("application/json"));
    assert_eq!(
        wrong.json(),
        json!({"error": "invalid_client", "error_description": "Client authentication failed"})
    );
    // RFC 6749 §5.2: a client that tried the Authorization header gets a challenge.
    assert_eq!(
        wrong.header("www-authenticate"),
        Some("Basic realm=\"lucid-testserver\"")
    );
    let missing = send(
        server.port(),
        "POST",
        "/oauth2/token?grant_type=client_credentials",
        &[],
        b"",
    );
    assert_eq!(missing.status, 401);
    assert_eq!(missing.header("www-authenticate"), None);
    assert_eq!(server.token_requests(), 4);
    assert_eq!(server.api_requests(), 0);
}

#[test]
fn a_scripted_response_is_sent_once_then_normal_handling_resumes() {
    let server = start(ServerConfig::default());
    let mut busy = Scripted::json(503, r#"{"error":"temporarily_unavailable"}"#);
    busy.headers
        .push(("Retry-After".to_string(), "1".to_string()));
    server.push_token_response(busy);

    let auth = [("Authorization", DEFAULT_BASIC)];
    let target = "/oauth2/token?grant_type=client_credentials";
    let first = send(server.port(), "POST", target, &auth, b"");
    assert_eq!(first.status, 503);
    assert_eq!(first.header("retry-after"), Some("1"));
    assert_eq!(first.text(), r#"{"error":"temporarily_unavailable"}"#);
    let second = send(server.port(), "POST", target, &auth, b"");
    assert_eq!(second.status, 200);
    assert_eq!(server.token_requests(), 2);
}

#[test]
fn counts_and_records_token_and_api_requests() {
    let server = start(ServerConfig::default());
    let token = token(&server, "grant_type=client_credentials");
    send(server.port(), "POST", "/oauth2/token", &[], b"");
    api_get(&server, "/v1/documents", &token);
    // A GET to a token path is not the token endpoint.
    support::get(server.port(), "/oauth2/token", &[]);
    support::get(server.port(), "/_admin/stats", &[]);

    assert_eq!(server.token_requests(), 2);
    assert_eq!(server.api_requests(), 2);
    let kinds: Vec<RequestKind> = server.requests().iter().map(|r| r.kind).collect();
    use RequestKind::{Api, Token};
    assert_eq!(kinds, [Token, Token, Api, Api]);
    let first = &server.requests()[0];
    assert_eq!(first.method, "POST");
    assert_eq!(first.path, "/oauth2/token");
    assert_eq!(first.query, "grant_type=client_credentials");
    assert_eq!(first.header("AUTHORIZATION"), Some(DEFAULT_BASIC));
    assert_eq!(first.header_count("authorization"), 1);

    server.reset_counts();
    assert_eq!((server.token_requests(), server.api_requests()), (0, 0));
    assert!(server.requests().is_empty());
}

#[test]
fn invalidate_previous_replaces_tokens_of_the_same_scope_only() {
    let server = start(ServerConfig {
        invalidate_previous: true,
        ..ServerConfig::default()
    });
    let grant = "grant_type=client_credentials&scope=";
    let predict_1 = token(&server, &format!("{grant}predict"));
    let model = token(&server, &format!("{grant}model"));
    let predict_2 = token(&server, &format!("{grant}predict"));
    assert_eq!(api_get(&server, "/v1/x", &predict_1).status, 401);
    assert_eq!(api_get(&server, "/v1/x", &model).status, 200);
    assert_eq!(api_get(&server, "/v1/x", &predict_2).status, 200);

    let lenient = start(ServerConfig::default());
    let first = token(&lenient, "grant_type=client_credentials");
    token(&lenient, "grant_type=client_credentials");
    assert_eq!(api_get(&lenient, "/v1/x", &first).status, 200);
}

#[test]
fn concurrent_token_requests_are_all_served_and_counted() {
    let server = start(ServerConfig::default());
    let tokens: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..16)
            .map(|_| scope.spawn(|| token(&server, "grant_type=client_credentials")))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let mut unique = tokens.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 16);
    assert_eq!(server.token_requests(), 16);
}

#[test]
fn a_secret_in_the_header_and_the_body_at_once_is_refused() {
    let server = start(question_marks(ClientAuth::Any));
    let both = send(
        server.port(),
        "POST",
        "/oauth2/token",
        &[("Authorization", RAW_BASIC), FORM],
        POST_BODY.as_bytes(),
    );
    assert_eq!(both.status, 400);
    assert_eq!(
        both.json(),
        json!({"error": "invalid_request",
               "error_description": "the client used more than one authentication method"})
    );
    assert_eq!(server.rejections().get("multiple_client_auth"), Some(&1));
}
