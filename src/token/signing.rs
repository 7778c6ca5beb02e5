//! The keys a client signs its JWTs with: its private key for `private_key_jwt` (RSA of 2048
//! to 4096 bits signs RS256, EC P-256 signs ES256; read from PEM, PKCS#8 or traditional), its
//! secret for `client_secret_jwt` (HS256), and the P-256 key of DPoP proofs. The signing is
//! ring's (already linked under rustls); what is here only reads PEM and lays out JWS.

use crate::error::{Error, ErrorKind, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::PrivateKeyDer;
use serde_json::{json, Value};
use std::path::Path;
use zeroize::Zeroizing;

/// The largest key file read: a PEM RSA-4096 key is about 3.3 KB.
const MAX_KEY_FILE: u64 = 64 * 1024;

/// A key that signs JWTs.
pub enum SigningKey {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Hmac(ring::hmac::Key),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl SigningKey {
    /// The private key in the PEM file at `path` (the value of key `key`). Errors name the key,
    /// the file and the key's type, never the key.
    pub fn from_pem_file(key: &str, path: &Path) -> Result<SigningKey> {
        let bad = |why: String| {
            Error::new(
                ErrorKind::Config,
                format!("{key} {}: {why}", path.display()),
            )
        };
        let pem = read_bounded(path).map_err(|e| bad(format!("cannot read: {e}")))?;
        from_pem(&pem).map_err(bad)
    }

    /// The HS256 key of `client_secret_jwt`.
    pub fn hmac(secret: &str) -> SigningKey {
        SigningKey::Hmac(ring::hmac::Key::new(
            ring::hmac::HMAC_SHA256,
            secret.as_bytes(),
        ))
    }

    /// A new P-256 key, for the DPoP proofs of a client that was given none.
    pub fn generate_ec() -> Result<SigningKey> {
        let rng = SystemRandom::new();
        let alg = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).map_err(|_| no_random())?;
        EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng)
            .map(SigningKey::Ec)
            .map_err(|e| Error::new(ErrorKind::Internal, format!("new P-256 key: {e}")))
    }

    /// The JWS `alg` this key signs with.
    pub fn alg(&self) -> &'static str {
        match self {
            SigningKey::Rsa(_) => "RS256",
            SigningKey::Ec(_) => "ES256",
            SigningKey::Hmac(_) => "HS256",
        }
    }

    /// What kind of key this is, for `lucid info` and messages: never the key.
    pub fn describe(&self) -> String {
        match self {
            SigningKey::Rsa(key) => format!("RSA {} bits", key.public().modulus_len() * 8),
            SigningKey::Ec(_) => "EC P-256".to_string(),
            SigningKey::Hmac(_) => "HS256 client secret".to_string(),
        }
    }

    /// The public key as a JWK (RFC 7517), members in the order RFC 7638's thumbprint hashes
    /// them; `None` for a shared secret.
    pub fn public_jwk(&self) -> Option<Value> {
        match self {
            SigningKey::Ec(key) => {
                // An uncompressed point: 0x04, then x and y of 32 bytes each.
                let point = key.public_key().as_ref();
                let (x, y) = (point.get(1..33)?, point.get(33..65)?);
                Some(json!({"crv": "P-256", "kty": "EC",
                    "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y)}))
            }
            SigningKey::Rsa(key) => {
                let public = signature::RsaPublicKeyComponents::<Vec<u8>>::from(key.public());
                Some(json!({"e": URL_SAFE_NO_PAD.encode(public.e), "kty": "RSA",
                    "n": URL_SAFE_NO_PAD.encode(public.n)}))
            }
            SigningKey::Hmac(_) => None,
        }
    }

    /// The key's JWK SHA-256 thumbprint (RFC 7638), Base64url; `None` for a shared secret.
    pub fn thumbprint(&self) -> Option<String> {
        // serde_json writes an object's members sorted, without blanks: RFC 7638's form.
        let canonical = self.public_jwk()?.to_string();
        let digest = ring::digest::digest(&ring::digest::SHA256, canonical.as_bytes());
        Some(URL_SAFE_NO_PAD.encode(digest.as_ref()))
    }

    /// The compact JWS of `claims` with the header `header` (to which `alg` is added).
    pub fn jws(&self, mut header: Value, claims: &Value) -> Result<String> {
        header["alg"] = Value::from(self.alg());
        let mut jws = URL_SAFE_NO_PAD.encode(header.to_string());
        jws.push('.');
        URL_SAFE_NO_PAD.encode_string(claims.to_string(), &mut jws);
        let signature = self.sign(jws.as_bytes())?;
        jws.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut jws);
        Ok(jws)
    }

    fn sign(&self, input: &[u8]) -> Result<Vec<u8>> {
        let rng = SystemRandom::new();
        match self {
            SigningKey::Rsa(key) => {
                let mut out = vec![0; key.public().modulus_len()];
                key.sign(&signature::RSA_PKCS1_SHA256, &rng, input, &mut out)
                    .map_err(|_| no_random())?;
                Ok(out)
            }
            SigningKey::Ec(key) => key
                .sign(&rng, input)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| no_random()),
            SigningKey::Hmac(key) => Ok(ring::hmac::sign(key, input).as_ref().to_vec()),
        }
    }
}

/// A fresh random JWT id: 16 bytes, Base64url.
pub fn random_jti() -> Result<String> {
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| no_random())?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Base64url SHA-256 of `text` (DPoP's `ath`).
pub fn sha256_b64(text: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

fn no_random() -> Error {
    Error::new(
        ErrorKind::Internal,
        "the system's random number generator failed",
    )
}

/// The file's bytes, wiped when dropped; a file larger than any key is refused unread.
fn read_bounded(path: &Path) -> std::io::Result<Zeroizing<Vec<u8>>> {
    use std::io::Read;
    let mut pem = Zeroizing::new(Vec::new());
    std::fs::File::open(path)?
        .take(MAX_KEY_FILE + 1)
        .read_to_end(&mut pem)?;
    if pem.len() as u64 > MAX_KEY_FILE {
        return Err(std::io::Error::other(format!(
            "larger than {MAX_KEY_FILE} bytes: not a key"
        )));
    }
    Ok(pem)
}

/// The first private key in `pem`; the error says why it cannot sign, naming its type.
fn from_pem(pem: &[u8]) -> std::result::Result<SigningKey, String> {
    let text = String::from_utf8_lossy(pem);
    if text.contains("ENCRYPTED PRIVATE KEY") || text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err("an encrypted PEM key, which is not supported: store it unencrypted, readable only by its owner (openssl pkey -in KEY -out PLAIN)".to_string());
    }
    let key = PrivateKeyDer::from_pem_slice(pem).map_err(|_| {
        "holds no PEM private key (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)".to_string()
    })?;
    let rng = SystemRandom::new();
    let der = key.secret_der();
    match key {
        PrivateKeyDer::Pkcs1(_) => RsaKeyPair::from_der(der)
            .map(SigningKey::Rsa)
            .map_err(|e| rsa_refused(&e)),
        PrivateKeyDer::Pkcs8(_) => match pkcs8_type(der) {
            "RSA" => RsaKeyPair::from_pkcs8(der)
                .map(SigningKey::Rsa)
                .map_err(|e| rsa_refused(&e)),
            "EC P-256" => ec_from_pkcs8(der, &rng),
            other => Err(unsupported(other)),
        },
        PrivateKeyDer::Sec1(_) => match sec1_curve(der) {
            "EC P-256" => ec_from_pkcs8(&sec1_to_pkcs8(der), &rng),
            other => Err(unsupported(other)),
        },
        _ => Err(unsupported("a key of an unknown kind")),
    }
}

fn ec_from_pkcs8(der: &[u8], rng: &SystemRandom) -> std::result::Result<SigningKey, String> {
    EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, der, rng)
        .map(SigningKey::Ec)
        .map_err(|e| format!("an EC P-256 key that cannot be used: {e}"))
}

fn rsa_refused(e: &ring::error::KeyRejected) -> String {
    match e.to_string().as_str() {
        "TooSmall" => "an RSA key of fewer than 2048 bits: RS256 needs 2048 or more".to_string(),
        "TooLarge" => {
            "an RSA key of more than 4096 bits, which ring (the signer) does not take".to_string()
        }
        why => format!("an RSA key that cannot be used ({why})"),
    }
}

fn unsupported(kind: &str) -> String {
    format!("{kind}, which cannot sign a client assertion: use RSA (2048 bits or more, RS256) or EC P-256 (ES256)")
}

/// Object identifiers (their DER contents) that name a key's type.
const OIDS: &[(&[u8], &str)] = &[
    (
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
        "RSA",
    ),
    (
        &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07],
        "EC P-256",
    ),
    (&[0x2b, 0x81, 0x04, 0x00, 0x22], "an EC P-384 key"),
    (&[0x2b, 0x81, 0x04, 0x00, 0x23], "an EC P-521 key"),
    (&[0x2b, 0x65, 0x70], "an Ed25519 key"),
    (&[0x2b, 0x65, 0x71], "an Ed448 key"),
    (&[0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01], "a DSA key"),
];

/// The key type a PKCS#8 key's algorithm identifier names: the first known OID in its DER
/// (the algorithm identifier comes before the key itself).
fn pkcs8_type(der: &[u8]) -> &'static str {
    first_oid(der.get(..64).unwrap_or(der)).unwrap_or("a key of an unknown type")
}

/// The curve a traditional (SEC1) EC key names in its parameters.
fn sec1_curve(der: &[u8]) -> &'static str {
    first_oid(der).unwrap_or("an EC key on an unknown curve")
}

fn first_oid(der: &[u8]) -> Option<&'static str> {
    (0..der.len()).find_map(|at| {
        OIDS.iter().find_map(|(oid, name)| {
            let tagged = der.get(at..at + 2 + oid.len())?;
            (tagged[0] == 0x06 && usize::from(tagged[1]) == oid.len() && &tagged[2..] == *oid)
                .then_some(*name)
        })
    })
}

/// A traditional P-256 key wrapped as PKCS#8 (RFC 5208), the form ring reads: the SEC1 key is
/// the `privateKey` octet string after version 0 and the ecPublicKey/prime256v1 identifier.
fn sec1_to_pkcs8(sec1: &[u8]) -> Zeroizing<Vec<u8>> {
    const HEAD: &[u8] = &[
        0x02, 0x01, 0x00, // version 0
        0x30, 0x13, // AlgorithmIdentifier
        0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, // ecPublicKey
        0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, // prime256v1
    ];
    let mut octets = Zeroizing::new(vec![0x04]);
    octets.extend(der_length(sec1.len()));
    octets.extend_from_slice(sec1);
    let mut out = Zeroizing::new(vec![0x30]);
    out.extend(der_length(HEAD.len() + octets.len()));
    out.extend_from_slice(HEAD);
    out.extend_from_slice(&octets);
    out
}

/// A DER length: one byte below 128, else 0x81 or 0x82 and the length's bytes.
fn der_length(len: usize) -> Vec<u8> {
    match len {
        0..=127 => vec![len as u8],
        128..=255 => vec![0x81, len as u8],
        _ => vec![0x82, (len >> 8) as u8, len as u8],
    }
}
