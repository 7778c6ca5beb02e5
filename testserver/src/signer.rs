//! The server's own key, which signs its JWT access tokens (ES256, made at start), and random
//! values (nonces) from ring.

use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};

use crate::jwt::{b64url, encode};

/// The `kid` of the server's signing key.
pub(crate) const TOKEN_KID: &str = "lucid-testserver";

/// Signs access tokens.
pub(crate) struct TokenSigner {
    key: EcdsaKeyPair,
    rng: SystemRandom,
}

impl TokenSigner {
    /// A signer with a fresh P-256 key.
    pub(crate) fn new() -> Result<TokenSigner, String> {
        let rng = SystemRandom::new();
        let alg = &ECDSA_P256_SHA256_FIXED_SIGNING;
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng)
            .map_err(|_| "cannot make the token signing key".to_string())?;
        let key = EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng)
            .map_err(|e| format!("cannot load the token signing key: {e}"))?;
        Ok(TokenSigner { key, rng })
    }

    /// `claims` as a JWT access token: header `{"alg":"ES256","typ":"at+jwt","kid":...}`
    /// (RFC 9068). `None` only if ring fails to sign.
    pub(crate) fn sign(&self, claims: &Value) -> Option<String> {
        let header = json!({"alg": "ES256", "typ": "at+jwt", "kid": TOKEN_KID});
        encode(&header, claims, |input| {
            self.key
                .sign(&self.rng, input)
                .ok()
                .map(|sig| sig.as_ref().to_vec())
        })
    }

    /// The public key as a JWK, for checking the tokens' signatures.
    pub(crate) fn public_jwk(&self) -> Value {
        let point = self.key.public_key().as_ref();
        let (x, y) = point
            .get(1..)
            .unwrap_or_default()
            .split_at(point.len().saturating_sub(1) / 2);
        json!({
            "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": TOKEN_KID,
            "x": b64url(x), "y": b64url(y),
        })
    }
}

/// `bytes` random bytes, base64url: unguessable values such as nonces.
pub(crate) fn random_b64url(bytes: usize) -> Result<String, String> {
    let mut buf = vec![0; bytes];
    SystemRandom::new()
        .fill(&mut buf)
        .map_err(|_| "the system random generator failed".to_string())?;
    Ok(b64url(&buf))
}
