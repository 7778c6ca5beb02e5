//! The public keys `private_key_jwt` clients sign their assertions with (RFC 7523): read from a
//! PEM file or a JWKS, or given in process, and signatures checked with ring.

use std::fmt;

use ring::signature::{
    self, EcdsaKeyPair, KeyPair, RsaKeyPair, RsaPublicKeyComponents, UnparsedPublicKey,
};
use rustls_pki_types::pem::SectionKind;
use serde_json::Value;

use crate::jwt::b64url_decode;

/// One client public key: RSA (checks `RS256`, 2048 to 8192 bits) or EC P-256 (checks `ES256`),
/// with an optional key id (`kid`).
#[derive(Clone, PartialEq, Eq)]
pub struct ClientKey {
    kid: Option<String>,
    public: Public,
}

#[derive(Clone, PartialEq, Eq)]
enum Public {
    /// Modulus and exponent, big-endian without leading zeros.
    Rsa { n: Vec<u8>, e: Vec<u8> },
    /// The uncompressed point `04 || x || y`.
    Ec(Vec<u8>),
}

/// Object identifiers of SubjectPublicKeyInfo.
const RSA_ENCRYPTION: [u64; 7] = [1, 2, 840, 113549, 1, 1, 1];
const EC_PUBLIC_KEY: [u64; 6] = [1, 2, 840, 10045, 2, 1];
const P256: [u64; 7] = [1, 2, 840, 10045, 3, 1, 7];

impl ClientKey {
    /// An EC P-256 key from its uncompressed point (65 bytes, `04 || x || y`), as ring's
    /// `EcdsaKeyPair::public_key()` gives it.
    pub fn ec_p256(point: &[u8]) -> Result<ClientKey, String> {
        if point.len() != 65 || point[0] != 4 {
            return Err("an EC P-256 public key is 65 bytes starting with 04".to_string());
        }
        Ok(ClientKey {
            kid: None,
            public: Public::Ec(point.to_vec()),
        })
    }

    /// An RSA key from its modulus and public exponent (big-endian bytes).
    pub fn rsa(n: &[u8], e: &[u8]) -> Result<ClientKey, String> {
        let strip = |bytes: &[u8]| {
            let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
            bytes[start..].to_vec()
        };
        let (n, e) = (strip(n), strip(e));
        let leading = n.first().map_or(0, |b| b.leading_zeros() as usize);
        let bits = (n.len() * 8).saturating_sub(leading);
        if !(2048..=8192).contains(&bits) {
            return Err(format!(
                "an RSA key of {bits} bits: RS256 needs 2048 to 8192"
            ));
        }
        Ok(ClientKey {
            kid: None,
            public: Public::Rsa { n, e },
        })
    }

    /// The same key with the key id `kid`.
    pub fn with_kid(mut self, kid: &str) -> ClientKey {
        self.kid = Some(kid.to_string());
        self
    }

    /// The key id, if the key has one.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The JWS algorithm the key checks: `RS256` or `ES256`.
    pub fn alg(&self) -> &'static str {
        match self.public {
            Public::Rsa { .. } => "RS256",
            Public::Ec(_) => "ES256",
        }
    }

    /// Whether `sig` is a valid `alg` signature of `input` by this key (`alg` must be
    /// [`ClientKey::alg`]).
    pub(crate) fn verifies(&self, alg: &str, input: &[u8], sig: &[u8]) -> bool {
        if alg != self.alg() {
            return false;
        }
        match &self.public {
            Public::Rsa { n, e } => RsaPublicKeyComponents { n, e }
                .verify(&signature::RSA_PKCS1_2048_8192_SHA256, input, sig)
                .is_ok(),
            Public::Ec(point) => UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                .verify(input, sig)
                .is_ok(),
        }
    }

    /// The keys in `text`: a JWKS (`{"keys":[...]}`), a single JWK, or PEM: `PUBLIC KEY`
    /// (SubjectPublicKeyInfo, RSA or EC P-256) or `PRIVATE KEY` (PKCS#8, whose public half is
    /// taken, so one file can serve the client and the server).
    pub fn parse(text: &str) -> Result<Vec<ClientKey>, String> {
        if text.trim_start().starts_with('{') {
            return from_jwks(text);
        }
        let mut reader = text.as_bytes();
        let (kind, der) = rustls_pki_types::pem::from_buf(&mut reader)
            .map_err(|e| format!("not PEM: {e}"))?
            .ok_or("neither PEM nor a JWKS")?;
        let key = match kind {
            SectionKind::PublicKey => from_spki(&der)?,
            SectionKind::PrivateKey => from_pkcs8(&der)?,
            other => {
                return Err(format!(
                    "a PEM {other:?}: expected PUBLIC KEY or PRIVATE KEY"
                ))
            }
        };
        Ok(vec![key])
    }
}

impl fmt::Debug for ClientKey {
    /// The algorithm and kid: enough to tell keys apart in test output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientKey")
            .field("alg", &self.alg())
            .field("kid", &self.kid)
            .finish()
    }
}

/// A DER SubjectPublicKeyInfo of an RSA or EC P-256 key.
fn from_spki(der: &[u8]) -> Result<ClientKey, String> {
    let (algorithm, curve, key) = yasna::parse_der(der, |r| {
        r.read_sequence(|r| {
            let (algorithm, curve) = r.next().read_sequence(|r| {
                let algorithm = r.next().read_oid()?;
                let curve = if algorithm.components()[..] == EC_PUBLIC_KEY {
                    Some(r.next().read_oid()?)
                } else {
                    r.next().read_null()?;
                    None
                };
                Ok((algorithm, curve))
            })?;
            let (key, _unused_bits) = r.next().read_bitvec_bytes()?;
            Ok((algorithm, curve, key))
        })
    })
    .map_err(|e| format!("not a SubjectPublicKeyInfo: {e}"))?;
    match (&algorithm.components()[..], curve) {
        (oid, None) if oid == RSA_ENCRYPTION => from_pkcs1_public(&key),
        (_, Some(curve)) if curve.components()[..] == P256 => ClientKey::ec_p256(&key),
        (_, Some(curve)) => Err(format!(
            "an EC key on curve {curve}: only P-256 is supported"
        )),
        (oid, None) => Err(format!(
            "a public key of algorithm {oid:?}: expected RSA or EC P-256"
        )),
    }
}

/// A DER RSAPublicKey (PKCS#1): `SEQUENCE { n INTEGER, e INTEGER }`.
fn from_pkcs1_public(der: &[u8]) -> Result<ClientKey, String> {
    let (n, e) = yasna::parse_der(der, |r| {
        r.read_sequence(|r| {
            let (n, _) = r.next().read_bigint_bytes()?;
            let (e, _) = r.next().read_bigint_bytes()?;
            Ok((n, e))
        })
    })
    .map_err(|e| format!("not an RSA public key: {e}"))?;
    ClientKey::rsa(&n, &e)
}

/// The public half of a PKCS#8 private key (EC P-256 or RSA).
fn from_pkcs8(der: &[u8]) -> Result<ClientKey, String> {
    let rng = ring::rand::SystemRandom::new();
    let ec = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
    if let Ok(pair) = EcdsaKeyPair::from_pkcs8(ec, der, &rng) {
        return ClientKey::ec_p256(pair.public_key().as_ref());
    }
    let pair = RsaKeyPair::from_pkcs8(der)
        .map_err(|e| format!("a PKCS#8 key that is neither EC P-256 nor usable RSA: {e}"))?;
    let public = RsaPublicKeyComponents::<Vec<u8>>::from(pair.public());
    ClientKey::rsa(&public.n, &public.e)
}

/// Every key of a JWKS (or one JWK). Keys of other types (`oct`, `OKP`, other curves) are errors,
/// as is a key whose `alg` is not the one it checks, so a typo cannot silently drop a key.
fn from_jwks(text: &str) -> Result<Vec<ClientKey>, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let jwks: Vec<Value> = match value.get("keys") {
        Some(Value::Array(keys)) => keys.clone(),
        Some(_) => return Err("keys must be an array".to_string()),
        None => vec![value],
    };
    jwks.iter().map(from_jwk).collect()
}

fn from_jwk(jwk: &Value) -> Result<ClientKey, String> {
    let member = |name: &str| -> Result<Vec<u8>, String> {
        jwk.get(name)
            .and_then(Value::as_str)
            .and_then(b64url_decode)
            .ok_or(format!("a JWK without a base64url {name}"))
    };
    let key = match jwk.get("kty").and_then(Value::as_str) {
        Some("RSA") => ClientKey::rsa(&member("n")?, &member("e")?)?,
        Some("EC") if jwk.get("crv").and_then(Value::as_str) == Some("P-256") => {
            let (x, y) = (member("x")?, member("y")?);
            if x.len() != 32 || y.len() != 32 {
                return Err("an EC P-256 JWK needs 32-byte x and y".to_string());
            }
            ClientKey::ec_p256(&[&[4], &x[..], &y[..]].concat())?
        }
        _ => return Err("a JWK that is neither RSA nor EC P-256".to_string()),
    };
    if let Some(alg) = jwk.get("alg").and_then(Value::as_str) {
        if alg != key.alg() {
            return Err(format!(
                "a JWK with alg {alg} for a key that checks {}",
                key.alg()
            ));
        }
    }
    Ok(match jwk.get("kid").and_then(Value::as_str) {
        Some(kid) => key.with_kid(kid),
        None => key,
    })
}
