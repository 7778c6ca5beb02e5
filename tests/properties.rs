//! Property tests: arbitrary input to the INI reader, the endpoint parser and the token response
//! parser never panics, and what they accept keeps its invariants. A bounded number of cases.

use lucidauth::internal::url as endpoint;
use lucidauth::internal::{self, Redactor};
use lucidauth::{from_ini_str, Clock, ErrorKind, SystemClock};
use proptest::prelude::*;
use std::time::Duration;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Lines that look like a credentials file, mixed with noise.
fn ini_text() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("client_id".to_string()),
        Just("client_secret".to_string()),
        Just("timeout".to_string()),
        Just("auth_endpoint".to_string()),
        Just("scope".to_string()),
        "[a-z_]{1,12}",
    ];
    let line = prop_oneof![
        (key, "[^\r\n]{0,30}").prop_map(|(k, v)| format!("{k} = {v}")),
        "\\[[^\r\n]{0,12}\\]?",
        "[;#][^\r\n]{0,20}",
        "[^\r\n]{0,40}",
    ];
    (prop::collection::vec(line, 0..12), prop::bool::ANY)
        .prop_map(|(lines, crlf)| lines.join(if crlf { "\r\n" } else { "\n" }))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_ini_reader_never_panics(text in ini_text(), profile in prop::option::of("[a-z]{0,8}")) {
        if let Err(e) = from_ini_str(&text, profile.as_deref()) {
            prop_assert!(matches!(e.kind(), ErrorKind::Config | ErrorKind::InvalidArgument | ErrorKind::InsecureUrl));
        }
    }

    #[test]
    fn the_ini_reader_survives_any_bytes(text in "\\PC{0,200}") {
        let _ = from_ini_str(&text, None);
    }

    #[test]
    fn values_are_taken_literally(secret in "[!-~&&[^\\[\\]]][ -~]{0,30}[!-~]") {
        let c = from_ini_str(&format!("client_id = id\nclient_secret = {secret}\n"), None);
        let c = c.map_err(|e| TestCaseError::fail(e.to_string()))?;
        let request = internal::build_request(&c.token_endpoint().unwrap(), None, None);
        use base64::Engine;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("id:{secret}"));
        prop_assert_eq!(&request.headers[0].1, &format!("Basic {basic}"));
    }

    #[test]
    fn the_endpoint_parser_never_panics(value in "\\PC{0,80}", path in "\\PC{0,40}") {
        if let Ok(url) = endpoint::token_url(&value) {
            prop_assert!(url.starts_with("https://") || url.starts_with("http://"));
            prop_assert!(endpoint::origin_of(&url).is_ok());
        }
        if let Ok(base) = endpoint::api_base(&value) {
            if let Ok(joined) = endpoint::join(&base, &path) {
                prop_assert_eq!(endpoint::origin_of(&joined).ok(), endpoint::origin_of(&base).ok());
            }
        }
        let _ = endpoint::check_transport(&value, false);
    }

    #[test]
    fn joined_urls_never_leave_the_origin(host in "[a-z]{1,10}\\.example", path in "(https?://[a-z.]{1,12}(:[0-9]{1,5})?)?/?[a-z/?=&%.]{0,20}") {
        let base = format!("https://{host}/v1");
        if let Ok(url) = endpoint::join(&base, &path) {
            prop_assert_eq!(endpoint::origin_of(&url).unwrap(), endpoint::origin_of(&base).unwrap());
        }
    }

    #[test]
    fn the_token_parser_never_panics(status in 100u16..600, body in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = internal::parse_response(status, &body, SystemClock.moment(), Duration::from_secs(300), &Redactor::new());
    }

    #[test]
    fn token_answers_shaped_like_json(
        access in prop::option::of("[ -~]{0,20}"),
        expires in prop::option::of(prop_oneof![
            any::<i64>().prop_map(|n| n.to_string()),
            any::<f64>().prop_map(|f| if f.is_finite() { f.to_string() } else { "0".to_string() }),
            "\"[0-9a-z.-]{0,8}\"",
            Just("null".to_string()),
        ]),
        kind in prop::option::of("[A-Za-z]{0,8}"),
    ) {
        let mut fields = Vec::new();
        if let Some(a) = &access { fields.push(format!("\"access_token\":{}", serde_json::to_string(a).unwrap())); }
        if let Some(e) = &expires { fields.push(format!("\"expires_in\":{e}")); }
        if let Some(k) = &kind { fields.push(format!("\"token_type\":\"{k}\"")); }
        let body = format!("{{{}}}", fields.join(","));
        match internal::parse_response(200, body.as_bytes(), SystemClock.moment(), Duration::from_secs(300), &Redactor::new()) {
            Ok(t) => {
                prop_assert_eq!(Some(t.secret()), access.as_deref());
                prop_assert!(t.lifetime() <= internal::MAX_LIFETIME);
            }
            Err(e) => prop_assert_eq!(e.kind(), ErrorKind::Protocol),
        }
    }
}
