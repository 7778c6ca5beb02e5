//! A JWT's payload (the `exp` of a pre-issued or fetched token): the input as the payload of a
//! JWT, and as a token as it comes. An `exp` is read only from a JSON object's number.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lucidauth::internal::{jwt_claims, jwt_exp};

fuzz_target!(|data: &[u8]| {
    use base64::Engine;
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data);
    let token = format!("eyJhbGciOiJub25lIn0.{payload}.sig");
    check(&token);
    if let Ok(text) = std::str::from_utf8(data) {
        check(text);
    }
});

fn check(token: &str) {
    let claims = jwt_claims(token);
    if let Some(exp) = jwt_exp(token) {
        let claims = claims.expect("an exp comes from claims");
        let number = claims["exp"].as_f64().expect("exp is a number");
        // Whole seconds, rounded down: never above the claim.
        assert!(number >= 0.0 && exp as f64 <= number.floor().max(0.0) * (1.0 + 1e-12) + 1.0);
    }
}
