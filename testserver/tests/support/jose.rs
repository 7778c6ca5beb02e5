//! JWTs made the way a client makes them, with ring: client assertions (ES256, RS256, HS256) and
//! DPoP proofs, written out here independently of the server's code.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use lucidauth_testserver::ClientKey;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::PrivatePkcs8KeyDer;
use serde_json::{json, Value};

pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The system clock in Unix seconds.
pub fn now() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    i64::try_from(secs).expect("seconds")
}

/// A `jti` no other call returns.
pub fn fresh_jti() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("jti-{}-{}", now(), NEXT.fetch_add(1, Ordering::SeqCst))
}

/// An EC P-256 key made for one test.
pub struct EcKey {
    pair: EcdsaKeyPair,
    pkcs8: Vec<u8>,
}

impl EcKey {
    pub fn generate() -> EcKey {
        let rng = SystemRandom::new();
        let alg = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).expect("generate");
        EcKey::from_pkcs8(pkcs8.as_ref())
    }

    /// The key of a PKCS#8 document.
    pub fn from_pkcs8(pkcs8: &[u8]) -> EcKey {
        let rng = SystemRandom::new();
        let alg = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
        let pair = EcdsaKeyPair::from_pkcs8(alg, pkcs8, &rng).expect("EC P-256 PKCS#8");
        EcKey {
            pair,
            pkcs8: pkcs8.to_vec(),
        }
    }

    /// The public key as the server is given it in process.
    pub fn client_key(&self) -> ClientKey {
        ClientKey::ec_p256(self.pair.public_key().as_ref()).expect("P-256 point")
    }

    /// `(x, y)`, base64url.
    fn coordinates(&self) -> (String, String) {
        let point = self.pair.public_key().as_ref();
        (b64(&point[1..33]), b64(&point[33..65]))
    }

    /// The public JWK: `{"kty":"EC","crv":"P-256","x","y"}`.
    pub fn jwk(&self) -> Value {
        let (x, y) = self.coordinates();
        json!({"kty": "EC", "crv": "P-256", "x": x, "y": y})
    }

    /// The RFC 7638 thumbprint: SHA-256 of the required members in lexicographic order.
    pub fn thumbprint(&self) -> String {
        let (x, y) = self.coordinates();
        let members = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        b64(ring::digest::digest(&ring::digest::SHA256, members.as_bytes()).as_ref())
    }

    /// The private key, PKCS#8 PEM.
    pub fn pkcs8_pem(&self) -> String {
        let key = rcgen::KeyPair::try_from(self.pkcs8.as_slice()).expect("rcgen key");
        key.serialize_pem()
    }

    /// The public key, SubjectPublicKeyInfo PEM.
    pub fn spki_pem(&self) -> String {
        let key = rcgen::KeyPair::try_from(self.pkcs8.as_slice()).expect("rcgen key");
        key.public_key_pem()
    }
}

/// The 2048-bit RSA key of `tests/keys/rsa2048.pem` (its public half is `rsa2048.pub.pem`): a
/// fixture, because ring cannot generate RSA keys.
pub fn rsa_key() -> RsaKeyPair {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/rsa2048.pem");
    let der = PrivatePkcs8KeyDer::from_pem_file(path).expect("RSA fixture");
    RsaKeyPair::from_pkcs8(der.secret_pkcs8_der()).expect("RSA key")
}

pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/keys/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).expect("fixture")
}

/// What signs a JWT.
pub enum Signer<'a> {
    Es256(&'a EcKey),
    Rs256(&'a RsaKeyPair),
    Hs256(&'a [u8]),
}

/// `header` (to which `alg` is added unless it has one) and `claims`, signed by `signer`.
pub fn sign(header: &Value, claims: &Value, signer: Signer) -> String {
    let mut header = header.clone();
    let alg = match signer {
        Signer::Es256(_) => "ES256",
        Signer::Rs256(_) => "RS256",
        Signer::Hs256(_) => "HS256",
    };
    if header.get("alg").is_none() {
        header["alg"] = json!(alg);
    }
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let rng = SystemRandom::new();
    let signature = match signer {
        Signer::Es256(key) => key
            .pair
            .sign(&rng, input.as_bytes())
            .expect("sign")
            .as_ref()
            .to_vec(),
        Signer::Rs256(key) => {
            let mut out = vec![0; key.public().modulus_len()];
            key.sign(
                &signature::RSA_PKCS1_SHA256,
                &rng,
                input.as_bytes(),
                &mut out,
            )
            .expect("sign");
            out
        }
        Signer::Hs256(secret) => {
            let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
            ring::hmac::sign(&key, input.as_bytes()).as_ref().to_vec()
        }
    };
    format!("{input}.{}", b64(&signature))
}

/// Good assertion claims for `client_id` and `aud`: `iat` now, `exp` two minutes on, a fresh `jti`.
pub fn assertion_claims(client_id: &str, aud: &str) -> Value {
    let now = now();
    json!({
        "iss": client_id, "sub": client_id, "aud": aud,
        "iat": now, "exp": now + 120, "jti": fresh_jti(),
    })
}

/// The form body of a token request authenticated by `assertion`.
pub fn assertion_body(assertion: &str) -> String {
    format!(
        "grant_type=client_credentials&client_assertion_type={}&client_assertion={assertion}",
        JWT_BEARER.replace(':', "%3A")
    )
}

/// A DPoP proof by `key` for `method` and `url`, with `extra` claims merged over the usual ones
/// (`jti`, `htm`, `htu`, `iat`); a claim set to null in `extra` is left out.
pub fn dpop_proof(key: &EcKey, method: &str, url: &str, extra: Value) -> String {
    let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": key.jwk()});
    let mut claims = json!({"jti": fresh_jti(), "htm": method, "htu": url, "iat": now()});
    merge(&mut claims, extra);
    sign(&header, &claims, Signer::Es256(key))
}

/// Sets every member of `extra` in `target`; a null removes the member.
pub fn merge(target: &mut Value, extra: Value) {
    let (Some(target), Value::Object(extra)) = (target.as_object_mut(), extra) else {
        return;
    };
    for (name, value) in extra {
        match value {
            Value::Null => target.remove(&name),
            value => target.insert(name, value),
        };
    }
}

/// `ath`: base64url(SHA-256(token)).
pub fn ath(token: &str) -> String {
    b64(ring::digest::digest(&ring::digest::SHA256, token.as_bytes()).as_ref())
}

/// The payload of a JWT, decoded.
pub fn payload(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
}

/// base64url without padding, decoded.
pub fn b64url_decode(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).expect("base64url")
}
