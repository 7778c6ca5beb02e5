//! `ClientKey::parse`: the key files `--client-key` reads, and the keys it refuses.

mod support;

use lucidauth_testserver::ClientKey;
use serde_json::json;
use support::jose::{fixture, EcKey};

#[test]
fn pem_public_keys_private_keys_and_jwks_give_the_same_keys() {
    let ec = EcKey::generate();
    assert_eq!(ClientKey::parse(&ec.spki_pem()), Ok(vec![ec.client_key()]));
    assert_eq!(ClientKey::parse(&ec.pkcs8_pem()), Ok(vec![ec.client_key()]));

    let rsa = ClientKey::parse(&fixture("rsa2048.pub.pem")).expect("RSA public key");
    assert_eq!(rsa.len(), 1);
    assert_eq!((rsa[0].alg(), rsa[0].kid()), ("RS256", None));
    assert_eq!(ClientKey::parse(&fixture("rsa2048.pem")), Ok(rsa));

    let mut jwk = ec.jwk();
    jwk["kid"] = json!("one");
    jwk["alg"] = json!("ES256");
    let jwks = json!({"keys": [jwk, ec.jwk()]}).to_string();
    let keys = ClientKey::parse(&jwks).expect("JWKS");
    assert_eq!(keys, vec![ec.client_key().with_kid("one"), ec.client_key()]);
    assert_eq!(
        ClientKey::parse(&ec.jwk().to_string()),
        Ok(vec![ec.client_key()])
    );
}

#[test]
fn weak_foreign_and_malformed_keys_are_refused_with_what_is_wrong() {
    let cases = [
        (
            fixture("rsa1024.pub.pem"),
            "an RSA key of 1024 bits: RS256 needs 2048 to 8192",
        ),
        (
            fixture("p384.pub.pem"),
            "an EC key on curve 1.3.132.0.34: only P-256 is supported",
        ),
        ("hello".to_string(), "neither PEM nor a JWKS"),
        (
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_string(),
            "a PEM Certificate: expected PUBLIC KEY or PRIVATE KEY",
        ),
        (
            r#"{"kty":"oct","k":"AAAA"}"#.to_string(),
            "a JWK that is neither RSA nor EC P-256",
        ),
        (r#"{"keys":{}}"#.to_string(), "keys must be an array"),
        (
            r#"{"kty":"RSA","n":"","e":"AQAB"}"#.to_string(),
            "an RSA key of 0 bits: RS256 needs 2048 to 8192",
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(ClientKey::parse(&text), Err(expected.to_string()), "{text}");
    }
    let mut jwk = EcKey::generate().jwk();
    jwk["alg"] = json!("RS256");
    assert_eq!(
        ClientKey::parse(&jwk.to_string()),
        Err("a JWK with alg RS256 for a key that checks ES256".to_string())
    );
    jwk["alg"] = json!("ES256");
    jwk["x"] = json!("AAAA");
    assert_eq!(
        ClientKey::parse(&jwk.to_string()),
        Err("an EC P-256 JWK needs 32-byte x and y".to_string())
    );
}
