//! Compact JWS (RFC 7515) as the server meets them in client assertions and DPoP proofs: split,
//! base64url-decoded and parsed, but not yet verified. The signature checks live with the keys
//! ([`crate::keys`]) and the callers.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Map, Value};

/// A JWT split into its parts and decoded. Decoding checks only the form; nothing here says the
/// signature or the claims are good.
#[derive(Clone, Debug, PartialEq)]
pub struct DecodedJwt {
    /// The JOSE header, e.g. `{"alg":"ES256","typ":"dpop+jwt","jwk":{...}}`.
    pub header: Map<String, Value>,
    /// The claims (the payload).
    pub claims: Map<String, Value>,
    /// The compact text as received.
    pub raw: String,
    signature: Vec<u8>,
}

impl DecodedJwt {
    /// Splits and decodes `text`: three base64url parts without padding, separated by dots, the
    /// first two JSON objects, the header with a string `alg` and no `crit`. The error says what
    /// is wrong in words that do not depend on the input (so tests can match them exactly).
    pub fn parse(text: &str) -> Result<DecodedJwt, &'static str> {
        let parts: Vec<&str> = text.split('.').collect();
        let [header, claims, signature] = parts[..] else {
            return Err("expected three base64url parts separated by dots");
        };
        let header = json_object(header).ok_or("the header is not a base64url JSON object")?;
        let claims = json_object(claims).ok_or("the payload is not a base64url JSON object")?;
        let signature = b64url_decode(signature).ok_or("the signature is not base64url")?;
        if !header.get("alg").is_some_and(Value::is_string) {
            return Err("the header has no alg");
        }
        if header.contains_key("crit") {
            return Err("crit header parameters are not supported");
        }
        Ok(DecodedJwt {
            header,
            claims,
            raw: text.to_string(),
            signature,
        })
    }

    /// The header's `alg`.
    pub fn alg(&self) -> &str {
        self.header.get("alg").and_then(Value::as_str).unwrap_or("")
    }

    /// The bytes the signature covers: `base64url(header) . base64url(payload)`.
    pub(crate) fn signing_input(&self) -> &[u8] {
        let end = self.raw.rfind('.').unwrap_or(0);
        &self.raw.as_bytes()[..end]
    }

    /// The decoded signature.
    pub(crate) fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// A string header parameter.
    pub(crate) fn header_str(&self, name: &str) -> Option<&str> {
        self.header.get(name).and_then(Value::as_str)
    }

    /// A string claim.
    pub(crate) fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    /// A NumericDate claim (RFC 7519 §2) in whole seconds, rounded down; `None` when it is
    /// missing or not a finite number.
    pub(crate) fn claim_time(&self, name: &str) -> Option<i64> {
        let value = self.claims.get(name)?;
        if let Some(whole) = value.as_i64() {
            return Some(whole);
        }
        // Saturating: a float beyond i64 is far in the past or future either way.
        value
            .as_f64()
            .filter(|secs| secs.is_finite())
            .map(|secs| secs.floor() as i64)
    }

    /// `{"header": {...}, "claims": {...}}`, as `/_admin/requests` shows it.
    pub(crate) fn to_json(&self) -> Value {
        json!({"header": self.header, "claims": self.claims})
    }
}

/// base64url without padding (RFC 7515 §2).
pub(crate) fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url without padding; padding, other alphabets and non-canonical trailing bits
/// are refused.
pub(crate) fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

fn json_object(part: &str) -> Option<Map<String, Value>> {
    match serde_json::from_slice(&b64url_decode(part)?).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// Signs `claims` into a compact JWS with `header` (which must name the algorithm `sign` uses).
pub(crate) fn encode(
    header: &Value,
    claims: &Value,
    sign: impl FnOnce(&[u8]) -> Option<Vec<u8>>,
) -> Option<String> {
    let input = format!(
        "{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes())
    );
    let signature = sign(input.as_bytes())?;
    Some(format!("{input}.{}", b64url(&signature)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_parts_and_refuses_other_forms() {
        let text = encode(&json!({"alg":"HS256"}), &json!({"iat": 1.9}), |_| {
            Some(vec![1, 2, 3])
        })
        .expect("encoded");
        let jwt = DecodedJwt::parse(&text).expect("parsed");
        assert_eq!(jwt.alg(), "HS256");
        assert_eq!(jwt.claim_time("iat"), Some(1));
        assert_eq!(jwt.signature(), [1, 2, 3]);
        assert_eq!(
            jwt.signing_input(),
            text.rsplit_once('.').expect("dot").0.as_bytes()
        );

        let (head, body) = (b64url(b"{\"alg\":\"x\"}"), b64url(b"{}"));
        for (bad, why) in [
            (format!("{head}.{body}"), "expected three"),
            (format!("{head}.{body}.a.b"), "expected three"),
            (format!("{head}=.{body}.AA"), "header"),
            (format!("{}.{body}.AA", b64url(b"[]")), "header"),
            (format!("{head}.{}.AA", b64url(b"1")), "payload"),
            (format!("{head}.{body}.A+"), "signature"),
            (format!("{}.{body}.AA", b64url(b"{}")), "no alg"),
            (
                format!("{}.{body}.AA", b64url(b"{\"alg\":\"x\",\"crit\":[]}")),
                "crit",
            ),
        ] {
            let error = DecodedJwt::parse(&bad).expect_err(&bad);
            assert!(error.contains(why), "{bad}: {error}");
        }
    }
}
