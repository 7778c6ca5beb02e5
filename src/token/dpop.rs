//! DPoP (RFC 9449): the proof that goes with every token request and API call of a client whose
//! tokens are bound to its key, and the nonces servers ask proofs to carry. A proof is a JWT
//! signed ES256 with the public key in its header: `htm` and `htu` name the request, `iat` and a
//! random `jti` make it fresh, `ath` (the token's SHA-256) ties it to the token it goes with.

use super::signing::{random_jti, sha256_b64, SigningKey};
use crate::config::DpopConfig;
use crate::error::{Error, ErrorKind, Result};
use crate::http::Response;
use serde_json::{json, Value};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// The most origins whose nonce is kept (a client talks to two: the token endpoint and the API).
const MAX_ORIGINS: usize = 8;
/// The longest nonce kept; longer ones are not used.
const MAX_NONCE: usize = 512;

/// Makes a client's DPoP proofs, and remembers the latest nonce of each origin.
#[derive(Debug)]
pub struct DpopProver {
    key: SigningKey,
    jwk: Value,
    thumbprint: String,
    /// (origin, nonce), the most recently set last.
    nonces: Mutex<Vec<(String, String)>>,
}

impl DpopProver {
    /// The prover of `config`: its key file's P-256 key, or a new one.
    pub fn new(config: &DpopConfig) -> Result<DpopProver> {
        let key = match &config.key_file {
            Some(path) => SigningKey::from_pem_file("dpop_key_file", path)?,
            None => SigningKey::generate_ec()?,
        };
        let (Some(jwk), Some(thumbprint)) = (key.public_jwk(), key.thumbprint()) else {
            return Err(Error::new(
                ErrorKind::Config,
                "dpop_key_file: no public key",
            ));
        };
        if key.alg() != "ES256" {
            let file = config.key_file.as_ref().map(|p| p.display().to_string());
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "dpop_key_file {}: {}, but DPoP proofs are signed ES256: an EC P-256 key is needed",
                    file.unwrap_or_default(),
                    key.describe()
                ),
            ));
        }
        Ok(DpopProver {
            key,
            jwk,
            thumbprint,
            nonces: Mutex::new(Vec::new()),
        })
    }

    /// The key's RFC 7638 thumbprint (the `jkt` a server binds tokens to).
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// A proof of `method url` made at `now`, for `token` when it goes with one, carrying the
    /// origin's latest nonce.
    pub fn proof(
        &self,
        method: &str,
        url: &str,
        token: Option<&str>,
        now: SystemTime,
    ) -> Result<String> {
        let iat = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let mut claims = json!({
            "jti": random_jti()?,
            "htm": method,
            "htu": htu(url),
            "iat": iat,
        });
        if let Some(nonce) = self.nonce(origin(url)) {
            claims["nonce"] = Value::from(nonce);
        }
        if let Some(token) = token {
            claims["ath"] = Value::from(sha256_b64(token));
        }
        let header = json!({"typ": "dpop+jwt", "jwk": self.jwk});
        self.key.jws(header, &claims)
    }

    /// Keeps the `DPoP-Nonce` of `response` (to a request to `url`) for the next proofs to that
    /// origin. Returns whether the response asks for a proof with it (`use_dpop_nonce`): then the
    /// request is worth sending once more.
    pub fn heed(&self, url: &str, response: &Response) -> bool {
        let Some(nonce) = response.header("dpop-nonce").filter(|n| is_nonce(n)) else {
            return false;
        };
        self.remember(origin(url), nonce);
        asks_for_nonce(response)
    }

    /// Keeps `nonce` for the origin of `url` (a caller's own HTTP client saw it).
    pub fn remember_for(&self, url: &str, nonce: &str) {
        if is_nonce(nonce) {
            self.remember(origin(url), nonce);
        }
    }

    fn nonce(&self, origin: &str) -> Option<String> {
        let nonces = self.nonces.lock().unwrap_or_else(|e| e.into_inner());
        nonces
            .iter()
            .find(|(o, _)| o == origin)
            .map(|(_, n)| n.clone())
    }

    fn remember(&self, origin: &str, nonce: &str) {
        let mut nonces = self.nonces.lock().unwrap_or_else(|e| e.into_inner());
        nonces.retain(|(o, _)| o != origin);
        if nonces.len() >= MAX_ORIGINS {
            nonces.remove(0);
        }
        nonces.push((origin.to_string(), nonce.to_string()));
    }
}

/// Whether `response` asks for a proof with the server's nonce: a token endpoint's 400
/// `use_dpop_nonce` error (RFC 9449 §8), or a resource server's 401 whose `WWW-Authenticate`
/// says `DPoP error="use_dpop_nonce"` (§9).
fn asks_for_nonce(response: &Response) -> bool {
    match response.status {
        400 => serde_json::from_slice::<Value>(&response.body)
            .ok()
            .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_owned))
            .is_some_and(|e| e == "use_dpop_nonce"),
        401 => response.headers().any(|(name, value)| {
            name.eq_ignore_ascii_case("www-authenticate") && challenges_nonce(value)
        }),
        _ => false,
    }
}

/// Whether a `WWW-Authenticate` value holds a DPoP challenge with `error="use_dpop_nonce"`.
pub fn challenges_nonce(www_authenticate: &str) -> bool {
    let value = www_authenticate.trim_start();
    value.len() > 5
        && value[..5].eq_ignore_ascii_case("dpop ")
        && value.contains("error=\"use_dpop_nonce\"")
}

/// A nonce as RFC 9449 §8.1 allows (`1*NQCHAR`), not too long to keep.
fn is_nonce(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= MAX_NONCE
        && value
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
}

/// `htu`: the URL without its query and fragment (RFC 9449 §4.2).
fn htu(url: &str) -> &str {
    crate::config::url::without_query(url)
}

/// The scheme and authority of `url`, which its nonce belongs to.
fn origin(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find(['/', '?', '#']) {
        Some(i) => &url[..after_scheme + i],
        None => url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_and_htu() {
        assert_eq!(
            origin("https://a.example:8443/x/y?q#f"),
            "https://a.example:8443"
        );
        assert_eq!(origin("http://127.0.0.1:9"), "http://127.0.0.1:9");
        assert_eq!(htu("https://a/x/y?q=1#f"), "https://a/x/y");
    }

    #[test]
    fn nonce_challenges() {
        assert!(challenges_nonce(
            r#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof""#
        ));
        assert!(!challenges_nonce(r#"Bearer error="use_dpop_nonce""#));
        assert!(!challenges_nonce(r#"DPoP error="invalid_token""#));
        assert!(is_nonce("eyJ7S_zG.9a-~"));
        assert!(!is_nonce("a b") && !is_nonce("a\"b") && !is_nonce("") && !is_nonce("a\\b"));
    }

    #[test]
    fn nonces_are_kept_per_origin_and_bounded() {
        let prover = DpopProver::new(&DpopConfig { key_file: None }).unwrap();
        for i in 0..20 {
            prover.remember_for(&format!("https://h{i}/token"), &format!("n{i}"));
        }
        assert_eq!(prover.nonces.lock().unwrap().len(), MAX_ORIGINS);
        assert_eq!(prover.nonce("https://h19").as_deref(), Some("n19"));
        assert_eq!(prover.nonce("https://h0"), None);
        prover.remember_for("https://h19/api", "again");
        assert_eq!(prover.nonce("https://h19").as_deref(), Some("again"));
    }
}
