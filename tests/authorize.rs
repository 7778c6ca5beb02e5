//! Requests another HTTP client sends: `Client::authorize` gives exactly the headers the
//! library's own calls carry, for the API origin only; `Client::unauthorized` drops the token
//! that was sent once, however many requests saw it.

mod support;

use lucidauth::{Authorization, Client, ErrorKind};
use lucidauth_testserver::RequestKind;
use std::sync::{Arc, Barrier};
use support::*;

fn headers(a: &Authorization) -> Vec<(String, String)> {
    a.headers()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

#[test]
fn the_headers_are_the_api_key_and_the_bearer_token_in_that_order() {
    let server = server();
    let client = Client::new(credentials_for(&server)).unwrap();
    let url = format!("{}/v1/documents?limit=1", server.base_url());
    let a = client.authorize("GET", &url).unwrap();
    let token = client.access_token(None).unwrap();
    assert_eq!(
        headers(&a),
        [
            ("x-api-key".to_string(), "API_KEY".to_string()),
            (
                "Authorization".to_string(),
                format!("Bearer {}", token.secret())
            ),
        ]
    );
    assert_eq!(server.token_requests(), 1);
    assert_eq!(
        server.api_requests(),
        0,
        "authorize sends nothing to the API"
    );
    // A path is joined to api_endpoint, as for request().
    assert_eq!(
        headers(&client.authorize("POST", "documents").unwrap()),
        headers(&a)
    );
    assert_eq!(server.token_requests(), 1);
    // Debug shows the names only.
    let shown = format!("{a:?}");
    assert!(
        shown.contains("Authorization") && !shown.contains(token.secret()),
        "{shown}"
    );
}

/// What the library's own request carries is what authorize gives: the same names, values and
/// order, so a request made elsewhere reaches the API as one made here.
#[test]
fn the_headers_are_those_of_the_librarys_own_requests() {
    let server = server();
    let client = Client::new(credentials_for(&server)).unwrap();
    client.request("GET", "/documents", &[], b"").unwrap();
    let api = server
        .requests()
        .into_iter()
        .find(|r| r.kind == RequestKind::Api)
        .unwrap();
    let a = client
        .authorize("GET", &format!("{}/v1/documents", server.base_url()))
        .unwrap();
    let sent: Vec<(String, String)> = api
        .headers
        .iter()
        .filter(|(n, _)| {
            n.eq_ignore_ascii_case("authorization") || n.eq_ignore_ascii_case("x-api-key")
        })
        .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
        .collect();
    let given: Vec<(String, String)> = headers(&a)
        .into_iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v))
        .collect();
    assert_eq!(sent, given);
}

#[test]
fn without_an_api_key_only_the_bearer_token() {
    let server = server();
    let mut b = lucidauth::CredentialsBuilder::new();
    b.set("client_id", "CLIENT_ID").unwrap();
    b.set("client_secret", "CLIENT_SECRET").unwrap();
    b.set("auth_endpoint", &server.base_url()).unwrap();
    b.set("api_endpoint", &format!("{}/v1", server.base_url()))
        .unwrap();
    let client = Client::new(b.build().unwrap()).unwrap();
    let a = client.authorize("GET", "/documents").unwrap();
    let names: Vec<&str> = a.headers().map(|(n, _)| n).collect();
    assert_eq!(names, ["Authorization"]);
}

/// Another origin (host, port or scheme) is refused before any token is looked at: nothing is
/// fetched, nothing handed out.
#[test]
fn another_origin_is_refused_and_gets_nothing() {
    let server = server();
    let client = Client::new(credentials_for(&server)).unwrap();
    let other_port = format!("http://127.0.0.1:{}/v1/documents", server.port() + 1);
    let localhost = format!("http://localhost:{}/v1/documents", server.port());
    let https = format!("https://127.0.0.1:{}/v1/documents", server.port());
    for url in [
        "https://api.lucidtech.ai/v1/documents",
        other_port.as_str(),
        localhost.as_str(),
        https.as_str(),
    ] {
        let e = client.authorize("GET", url).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InsecureUrl, "{url}: {e}");
    }
    assert_eq!(server.token_requests(), 0);
    let e = client.authorize("GE T", "/documents").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    let e = client.authorize("GET", "/docu ments").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    assert_eq!(server.token_requests(), 0);
}

/// The token revoked: unauthorized drops it, the next authorize fetches one new token; telling
/// the same 401 again does not drop the new one.
#[test]
fn unauthorized_drops_the_token_that_was_sent_once() {
    let server = server();
    let client = Client::new(credentials_for(&server)).unwrap();
    let first = client.authorize("GET", "/documents").unwrap();
    server.revoke_all();
    client
        .unauthorized(&first, Some("Bearer error=\"invalid_token\""), None)
        .unwrap();
    let second = client.authorize("GET", "/documents").unwrap();
    assert_ne!(headers(&first), headers(&second));
    assert_eq!(server.token_requests(), 2);
    client.unauthorized(&first, None, Some("nonce-1")).unwrap();
    let third = client.authorize("GET", "/documents").unwrap();
    assert_eq!(
        headers(&second),
        headers(&third),
        "a stale 401 keeps the new token"
    );
    assert_eq!(server.token_requests(), 2);
    assert_eq!(client.stats().unauthorized_refetches, 2);
}

/// Eight threads whose requests met the same revoked token: one new token request.
#[test]
fn concurrent_unauthorized_make_one_fetch() {
    let server = server();
    let client = Arc::new(Client::new(credentials_for(&server)).unwrap());
    let sent = Arc::new(client.authorize("GET", "/documents").unwrap());
    server.revoke_all();
    let barrier = Arc::new(Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (client, sent, barrier) = (client.clone(), sent.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                client.unauthorized(&sent, None, None).unwrap();
                headers(&client.authorize("GET", "/documents").unwrap())
            })
        })
        .collect();
    let got: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(got.iter().all(|h| h == &got[0]), "one new token for all");
    assert_ne!(got[0], headers(&sent));
    assert_eq!(server.token_requests(), 2);
}
