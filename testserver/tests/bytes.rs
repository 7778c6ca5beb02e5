//! `…/bytes/N`: N bytes of the fixed pattern, authorized like the rest of the API, bounded by
//! `MAX_BYTES`, over HTTP and HTTPS, on a kept-alive connection too.

mod support;

use std::io::{BufReader, Read, Write};
use std::net::TcpStream;

use lucidauth_testserver::{pattern_byte, ServerConfig, MAX_BYTES};
use serde_json::json;
use support::{api_get, get, read_response, start, tls_stream, token, DEFAULT_BASIC};

const GRANT: &str = "grant_type=client_credentials";

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(pattern_byte).collect()
}

#[test]
fn answers_n_bytes_of_the_pattern() {
    let server = start(ServerConfig::default());
    let token = token(&server, GRANT);
    assert_eq!(pattern(3), [0, 1, 2]);
    assert_eq!(pattern(258)[255..], [255, 0, 1]);
    for n in [0, 1, 300, 1024 * 1024] {
        let response = api_get(&server, &format!("/v1/bytes/{n}"), &token);
        assert_eq!(response.status, 200, "{n}");
        assert_eq!(
            response.header("content-type"),
            Some("application/octet-stream")
        );
        assert_eq!(
            response.header("content-length"),
            Some(n.to_string().as_str())
        );
        assert!(response.body == pattern(n), "the body of bytes/{n}");
    }
    assert_eq!(server.api_requests(), 4);
    let recorded = server.requests().pop().expect("recorded");
    assert_eq!(recorded.path, "/v1/bytes/1048576");
    assert_eq!(recorded.outcome.expect("answered").status, 200);
}

#[test]
fn is_authorized_like_the_other_api_endpoints() {
    let server = start(ServerConfig::default());
    let unauthorized = get(server.port(), "/v1/bytes/10", &[("x-api-key", "API_KEY")]);
    assert_eq!(unauthorized.status, 401);
    assert_eq!(unauthorized.json(), json!({"message": "Unauthorized"}));
    let bearer = format!("Bearer {}", token(&server, GRANT));
    let forbidden = get(server.port(), "/v1/bytes/10", &[("Authorization", &bearer)]);
    assert_eq!(forbidden.status, 403);
    assert_eq!(forbidden.json(), json!({"message": "Forbidden"}));
    let rejections = server.rejections();
    assert_eq!(rejections.get("token_invalid"), Some(&1));
    assert_eq!(rejections.get("api_key"), Some(&1));
}

#[test]
fn a_count_that_is_not_a_decimal_up_to_64_mib_answers_400() {
    let server = start(ServerConfig::default());
    let token = token(&server, GRANT);
    assert_eq!(MAX_BYTES, 67_108_864);
    let message = "bytes/N wants N from 0 to 67108864, in decimal";
    let refused = [
        "67108865",
        "99999999999999999999999",
        "",
        "-1",
        "+5",
        "1e3",
        "0x10",
    ];
    for count in refused {
        let response = api_get(&server, &format!("/v1/bytes/{count}"), &token);
        assert_eq!(response.status, 400, "bytes/{count}");
        assert_eq!(response.json(), json!({ "message": message }));
    }
    assert_eq!(server.rejections().get("bytes_count"), Some(&refused.len()));
}

#[test]
fn the_largest_count_is_allowed() {
    let server = start(ServerConfig::default());
    let token = token(&server, GRANT);
    let mut stream = TcpStream::connect(("127.0.0.1", server.port())).expect("connect");
    let request = format!(
        "HEAD /v1/bytes/{MAX_BYTES} HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Authorization: Bearer {token}\r\nx-api-key: API_KEY\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).expect("write");
    let mut head = String::new();
    stream.read_to_string(&mut head).expect("read to EOF");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.contains("\r\nContent-Length: 67108864\r\n"), "{head}");
    assert!(
        head.ends_with("\r\n\r\n"),
        "a HEAD answer has no body: {head}"
    );
}

#[test]
fn only_the_last_two_segments_count() {
    let server = start(ServerConfig::default());
    let token = token(&server, GRANT);
    for target in ["/v1/bytes/12/x", "/v1/bytes", "/v1/megabytes"] {
        let echo = api_get(&server, target, &token);
        assert_eq!(echo.status, 200, "{target}");
        assert_eq!(echo.header("content-type"), Some("application/json"));
    }
    let nested = api_get(&server, "/v1/documents/bytes/5", &token);
    assert_eq!(nested.body, pattern(5));
}

#[test]
fn a_kept_alive_tls_connection_carries_a_mebibyte_twice() {
    let server = start(ServerConfig {
        tls: true,
        keep_alive: true,
        ..ServerConfig::default()
    });
    let ca = server.ca_pem().expect("CA");
    let mut stream = tls_stream(server.port(), ca, "127.0.0.1").expect("TLS");
    let token_request = format!(
        "POST /oauth2/token?{GRANT} HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Authorization: {DEFAULT_BASIC}\r\nContent-Length: 0\r\n\r\n"
    );
    stream.write_all(token_request.as_bytes()).expect("write");
    let token = read_response(&mut BufReader::new(&mut stream)).json()["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    for _ in 0..2 {
        let request = format!(
            "GET /v1/bytes/1048576 HTTP/1.1\r\nHost: 127.0.0.1\r\n\
             Authorization: Bearer {token}\r\nx-api-key: API_KEY\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).expect("write");
        let response = read_response(&mut BufReader::new(&mut stream));
        assert_eq!(response.status, 200);
        assert_eq!(response.header("connection"), Some("keep-alive"));
        assert!(response.body == pattern(1024 * 1024));
    }
    assert_eq!((server.api_requests(), server.connections()), (2, 1));
}
