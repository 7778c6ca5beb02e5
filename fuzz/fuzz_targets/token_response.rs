//! The token endpoint's answer: the first two bytes are the status, the rest the body. A token
//! read is a valid header value and lives at most MAX_LIFETIME; an error never shows the client
//! secret, however the server echoes it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lucidauth::internal::{parse_response, Redactor, MAX_LIFETIME};
use lucidauth::Moment;
use std::time::{Duration, UNIX_EPOCH};

const SECRET: &str = "s3cr3t-fuzz-client-secret";

fuzz_target!(|data: &[u8]| {
    let (status, body) = match data {
        [a, b, rest @ ..] => (100 + u16::from_be_bytes([*a, *b]) % 500, rest),
        _ => return,
    };
    let sent = Moment {
        mono: 1_000_000_000,
        wall: UNIX_EPOCH + Duration::from_secs(1_767_225_600),
    };
    let redactor = Redactor::new().secret(SECRET);
    match parse_response(status, body, sent, Duration::from_secs(300), &redactor) {
        Ok(token) => {
            let value = token.secret();
            assert!(!value.is_empty() && value.bytes().all(|b| (0x21..=0x7e).contains(&b)));
            assert!(token.lifetime() <= MAX_LIFETIME);
        }
        Err(e) => assert!(!e.message().contains(SECRET), "{}", e.message()),
    }
});
