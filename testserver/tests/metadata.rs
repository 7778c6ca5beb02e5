//! RFC 8414 metadata: where it answers for an issuer with and without a path, which forms can be
//! turned off, a served issuer that differs, scripted documents and the counts.

mod support;

use lucidauth_testserver::{Metadata, RequestKind, Scripted, ServerConfig, TestServer};
use serde_json::json;
use support::{get, start};

fn metadata_server(metadata: Metadata) -> TestServer {
    start(ServerConfig {
        metadata: Some(metadata),
        ..ServerConfig::default()
    })
}

fn with_path() -> Metadata {
    Metadata {
        issuer_path: "/oauth2/abc".to_string(),
        ..Metadata::default()
    }
}

#[test]
fn an_issuer_with_a_path_answers_at_every_well_known_form() {
    let server = metadata_server(with_path());
    let issuer = format!("{}/oauth2/abc", server.base_url());
    assert_eq!(server.issuer(), issuer);
    let expected = json!({
        "issuer": issuer,
        "token_endpoint": format!("{issuer}/v1/token"),
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    });
    for path in [
        "/.well-known/oauth-authorization-server/oauth2/abc",
        "/oauth2/abc/.well-known/oauth-authorization-server",
        "/oauth2/abc/.well-known/openid-configuration",
        "/.well-known/openid-configuration/oauth2/abc",
    ] {
        let response = get(server.port(), path, &[]);
        assert_eq!(response.status, 200, "{path}");
        assert_eq!(response.header("content-type"), Some("application/json"));
        assert_eq!(response.json(), expected, "{path}");
    }
    let elsewhere = get(
        server.port(),
        "/.well-known/oauth-authorization-server",
        &[],
    );
    assert_eq!(elsewhere.status, 404);
    assert_eq!(elsewhere.json()["error"], json!("not_found"));
    assert_eq!(server.metadata_requests(), 5);
    assert_eq!((server.api_requests(), server.token_requests()), (0, 0));
    assert_eq!(
        server.metadata_token_endpoint(),
        Some(format!("{issuer}/v1/token"))
    );
    let stats = get(server.port(), "/_admin/stats", &[]).json();
    assert_eq!(
        stats,
        json!({"token_requests": 0, "api_requests": 0, "metadata_requests": 5})
    );
    assert_eq!(server.rejections()["metadata_not_served"], 1);
}

#[test]
fn forms_turned_off_answer_404_so_clients_must_fall_back_in_order() {
    let server = metadata_server(Metadata {
        rfc8414: false,
        path_suffix: false,
        ..with_path()
    });
    let status = |path| get(server.port(), path, &[]).status;
    assert_eq!(
        status("/.well-known/oauth-authorization-server/oauth2/abc"),
        404
    );
    assert_eq!(
        status("/oauth2/abc/.well-known/oauth-authorization-server"),
        404
    );
    assert_eq!(status("/oauth2/abc/.well-known/openid-configuration"), 200);
    let paths: Vec<String> = server.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths.len(), 3);
    assert!(server
        .requests()
        .iter()
        .all(|r| r.kind == RequestKind::Metadata));
}

#[test]
fn a_mismatching_issuer_and_another_token_endpoint_are_served_as_configured() {
    let server = metadata_server(Metadata {
        served_issuer: Some("https://attacker.example".to_string()),
        token_endpoint: Some("http://example.com/token".to_string()),
        ..Metadata::default()
    });
    let document = get(
        server.port(),
        "/.well-known/oauth-authorization-server",
        &[],
    )
    .json();
    assert_eq!(document["issuer"], json!("https://attacker.example"));
    assert_eq!(
        document["token_endpoint"],
        json!("http://example.com/token")
    );
    assert_eq!(server.issuer(), server.base_url());

    let plain = metadata_server(Metadata::default());
    let document = get(plain.port(), "/.well-known/openid-configuration", &[]).json();
    assert_eq!(document["issuer"], json!(plain.base_url()));
    assert_eq!(
        document["token_endpoint"],
        json!(format!("{}/oauth2/token", plain.base_url()))
    );
}

#[test]
fn without_metadata_well_known_paths_are_404_and_scripts_can_answer_instead() {
    let server = start(ServerConfig::default());
    let response = get(
        server.port(),
        "/.well-known/oauth-authorization-server",
        &[],
    );
    assert_eq!(response.status, 404);
    assert_eq!(
        response.json(),
        json!({"error": "not_found", "error_description": "this server publishes no metadata"})
    );
    assert_eq!(server.rejections()["metadata_disabled"], 1);
    // The stats keep their shape without metadata.
    let stats = get(server.port(), "/_admin/stats", &[]).json();
    assert_eq!(stats, json!({"token_requests": 0, "api_requests": 0}));

    server.push_metadata_response(Scripted::json(200, r#"{"issuer": 42"#));
    let scripted = get(
        server.port(),
        "/.well-known/oauth-authorization-server",
        &[],
    );
    assert_eq!(
        (scripted.status, scripted.text()),
        (200, r#"{"issuer": 42"#.to_string())
    );
    assert_eq!(server.metadata_requests(), 2);
    let outcome = server
        .requests()
        .pop()
        .and_then(|r| r.outcome)
        .expect("outcome");
    assert!(outcome.scripted);
}

#[test]
fn dpop_and_jwt_methods_show_in_the_document() {
    let key = support::jose::EcKey::generate();
    let server = start(ServerConfig {
        client_auth: lucidauth_testserver::ClientAuth::PrivateKeyJwt,
        client_keys: vec![key.client_key()],
        dpop: lucidauth_testserver::DpopMode::Required,
        metadata: Some(Metadata::default()),
        ..ServerConfig::default()
    });
    let document = get(
        server.port(),
        "/.well-known/oauth-authorization-server",
        &[],
    )
    .json();
    assert_eq!(
        document["token_endpoint_auth_methods_supported"],
        json!(["private_key_jwt"])
    );
    assert_eq!(
        document["token_endpoint_auth_signing_alg_values_supported"],
        json!(["RS256", "ES256"])
    );
    assert_eq!(
        document["dpop_signing_alg_values_supported"],
        json!(["ES256"])
    );
}

#[test]
fn a_bad_issuer_path_is_refused_at_start() {
    for path in ["oauth2", "/oauth2/", "/a?b"] {
        let result = TestServer::start(ServerConfig {
            metadata: Some(Metadata {
                issuer_path: path.to_string(),
                ..Metadata::default()
            }),
            ..ServerConfig::default()
        });
        assert!(result.is_err(), "{path}");
    }
}
