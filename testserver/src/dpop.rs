//! DPoP (RFC 9449): the proof in the `DPoP` header of token and API requests, checked as §4.3
//! says, the key's RFC 7638 thumbprint that binds tokens (`cnf.jkt`), and server nonces (§8, §9).
//!
//! Checks run in this order, and the first that fails is the answer: one `DPoP` header, a compact
//! JWS, `typ` `dpop+jwt`, `alg` `ES256`, a public EC P-256 `jwk`, the signature, `jti`, `htm`,
//! `htu`, `iat`, then on the API `ath` and the token's `cnf.jkt`, then the nonce, and last the
//! `jti` is used up (so only a proof that passed everything is remembered).

use ring::digest::{digest, SHA256};
use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_FIXED};
use serde_json::Value;

use crate::config::DpopMode;
use crate::jwt::{b64url, b64url_decode, DecodedJwt};
use crate::record::RecordedRequest;
use crate::reject::{dpop_challenge, Rejection};
use crate::state::{lock, State};

/// Why a proof was refused, before it is worded for the endpoint.
pub(crate) struct ProofError {
    reason: &'static str,
    description: String,
    /// The proof lacked the current nonce: answered with `use_dpop_nonce` and `DPoP-Nonce`.
    nonce: Option<String>,
}

fn refuse(reason: &'static str, description: impl Into<String>) -> ProofError {
    ProofError {
        reason,
        description: description.into(),
        nonce: None,
    }
}

/// What a proof must be bound to.
struct Expected<'a> {
    method: &'a str,
    url: String,
    /// On the API: the access token (for `ath`) and its `cnf.jkt`.
    token: Option<(&'a str, &'a str)>,
}

/// The DPoP check of a token request: `Ok(Some(jkt))` binds the new token to the proof's key,
/// `Ok(None)` means a Bearer token. Refusals are 400 `invalid_dpop_proof`, or 400
/// `use_dpop_nonce` with a `DPoP-Nonce` header.
pub(crate) fn at_token_endpoint(
    state: &State,
    request: &RecordedRequest,
) -> Result<Option<String>, Rejection> {
    let present = request.header_count("dpop") > 0;
    match state.config.dpop {
        DpopMode::Off => return Ok(None),
        DpopMode::Optional if !present => return Ok(None),
        _ => {}
    }
    let expected = Expected {
        method: &request.method,
        url: state.url_of(request),
        token: None,
    };
    let result = match present {
        true => verify(state, request, &expected),
        false => Err(refuse("dpop_missing", "a DPoP proof is required")),
    };
    result.map(Some).map_err(|e| match e.nonce {
        Some(nonce) => Rejection::oauth(
            e.reason,
            400,
            "use_dpop_nonce",
            "Authorization server requires nonce in DPoP proof",
        )
        .with_header("DPoP-Nonce", &nonce),
        None => Rejection::oauth(e.reason, 400, "invalid_dpop_proof", e.description),
    })
}

/// The DPoP check of an API request with a valid `token`, sent with the `DPoP` scheme or not, and
/// bound to the key `jkt` or not: `Ok(Some(jkt))` when a proof was verified. Refusals are 401
/// with a `WWW-Authenticate: DPoP` challenge (and `DPoP-Nonce` for `use_dpop_nonce`).
pub(crate) fn at_api(
    state: &State,
    request: &RecordedRequest,
    token: &str,
    dpop_scheme: bool,
    jkt: Option<&str>,
) -> Result<Option<String>, Rejection> {
    let challenge = |reason, error, description: &str| {
        let rejection = Rejection::oauth(reason, 401, error, description);
        let header = dpop_challenge(error, description);
        rejection.with_header("WWW-Authenticate", &header)
    };
    let jkt = match (dpop_scheme, jkt) {
        (false, None) => return Ok(None),
        (false, Some(_)) => {
            let why = "the token is DPoP-bound: send it with the DPoP scheme and a proof";
            return Err(challenge("dpop_bound_as_bearer", "invalid_token", why));
        }
        (true, None) => {
            let why = "the token is not DPoP-bound";
            return Err(challenge("dpop_unbound", "invalid_token", why));
        }
        (true, Some(jkt)) => jkt,
    };
    let expected = Expected {
        method: &request.method,
        url: state.url_of(request),
        token: Some((token, jkt)),
    };
    let result = match request.header_count("dpop") > 0 {
        true => verify(state, request, &expected),
        false => Err(refuse("dpop_missing", "a DPoP proof is required")),
    };
    result.map(Some).map_err(|e| match e.nonce {
        Some(nonce) => challenge(
            e.reason,
            "use_dpop_nonce",
            "Resource server requires nonce in DPoP proof",
        )
        .with_header("DPoP-Nonce", &nonce),
        None => challenge(e.reason, "invalid_dpop_proof", &e.description),
    })
}

/// The whole check of the request's proof; returns its key's thumbprint.
fn verify(
    state: &State,
    request: &RecordedRequest,
    expected: &Expected,
) -> Result<String, ProofError> {
    if request.header_count("dpop") != 1 {
        return Err(refuse("dpop_multiple", "more than one DPoP header"));
    }
    let text = request.header("dpop").unwrap_or("").trim();
    let jwt = DecodedJwt::parse(text).map_err(|why| {
        refuse(
            "dpop_malformed",
            format!("DPoP proof is not a compact JWS: {why}"),
        )
    })?;
    if jwt.header_str("typ") != Some("dpop+jwt") {
        return Err(refuse("dpop_typ", "DPoP proof typ must be dpop+jwt"));
    }
    if jwt.alg() != "ES256" {
        return Err(refuse("dpop_alg", "DPoP proof alg must be ES256"));
    }
    let (point, jkt) = public_key(&jwt)?;
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point)
        .verify(jwt.signing_input(), jwt.signature())
        .map_err(|_| refuse("dpop_signature", "DPoP proof signature is invalid"))?;
    check_claims(state, &jwt, expected)?;
    if let Some((token, bound)) = expected.token {
        check_token_binding(&jwt, token, bound, &jkt)?;
    }
    check_nonce(state, &jwt)?;
    let jti = jwt.claim_str("jti").unwrap_or("");
    if !lock(&state.dpop_jtis).insert(jti.to_string()) {
        return Err(refuse(
            "dpop_replayed",
            "DPoP proof jti has been used before",
        ));
    }
    Ok(jkt)
}

/// The header's `jwk`: a public EC P-256 key. Returns its point and its thumbprint.
fn public_key(jwt: &DecodedJwt) -> Result<(Vec<u8>, String), ProofError> {
    let bad = || refuse("dpop_jwk", "DPoP proof jwk must be a public EC P-256 key");
    let jwk = jwt
        .header
        .get("jwk")
        .and_then(Value::as_object)
        .ok_or_else(bad)?;
    let text = |name: &str| jwk.get(name).and_then(Value::as_str);
    if text("kty") != Some("EC") || text("crv") != Some("P-256") || jwk.contains_key("d") {
        return Err(bad());
    }
    let coordinate = |name| {
        text(name)
            .and_then(b64url_decode)
            .filter(|c| c.len() == 32)
            .ok_or_else(bad)
    };
    let (x, y) = (coordinate("x")?, coordinate("y")?);
    let jkt = thumbprint(&x, &y);
    Ok(([&[4u8][..], &x, &y].concat(), jkt))
}

/// The RFC 7638 thumbprint of an EC P-256 key: base64url(SHA-256 of
/// `{"crv":"P-256","kty":"EC","x":"...","y":"..."}`).
pub(crate) fn thumbprint(x: &[u8], y: &[u8]) -> String {
    let members = format!(
        r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
        b64url(x),
        b64url(y)
    );
    b64url(digest(&SHA256, members.as_bytes()).as_ref())
}

/// `jti`, `htm`, `htu` and `iat`.
fn check_claims(state: &State, jwt: &DecodedJwt, expected: &Expected) -> Result<(), ProofError> {
    if jwt.claim_str("jti").is_none_or(str::is_empty) {
        return Err(refuse("dpop_jti", "DPoP proof jti is missing"));
    }
    if jwt.claim_str("htm") != Some(expected.method) {
        return Err(refuse(
            "dpop_htm",
            "DPoP proof htm must be the request method",
        ));
    }
    let htu = jwt.claim_str("htu").unwrap_or("");
    if htu.contains(['?', '#']) {
        return Err(refuse(
            "dpop_htu",
            "DPoP proof htu must not have a query or fragment",
        ));
    }
    if !same_url(htu, &expected.url) {
        return Err(refuse(
            "dpop_htu",
            format!("DPoP proof htu must be {}", expected.url),
        ));
    }
    let iat = jwt
        .claim_time("iat")
        .ok_or_else(|| refuse("dpop_iat", "DPoP proof iat is missing"))?;
    let window = state.config.dpop_iat_window_secs;
    if iat.abs_diff(state.now()) > window {
        return Err(refuse(
            "dpop_iat",
            format!("DPoP proof iat is more than {window} seconds from the server's clock"),
        ));
    }
    Ok(())
}

/// Scheme and host compare without case (RFC 3986 §6.2.2.1), the path exactly.
fn same_url(a: &str, b: &str) -> bool {
    let split = |url: &str| {
        let (scheme, rest) = url.split_once("://")?;
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let path = if path.is_empty() { "/" } else { path };
        Some((
            scheme.to_ascii_lowercase(),
            authority.to_ascii_lowercase(),
            path.to_string(),
        ))
    };
    matches!((split(a), split(b)), (Some(a), Some(b)) if a == b)
}

/// On the API: `ath` is the token's hash and the proof's key is the token's.
fn check_token_binding(
    jwt: &DecodedJwt,
    token: &str,
    bound: &str,
    jkt: &str,
) -> Result<(), ProofError> {
    let ath = b64url(digest(&SHA256, token.as_bytes()).as_ref());
    match jwt.claim_str("ath") {
        None => return Err(refuse("dpop_ath", "DPoP proof ath is missing")),
        Some(given) if given != ath => {
            return Err(refuse(
                "dpop_ath",
                "DPoP proof ath does not match the access token",
            ))
        }
        Some(_) => {}
    }
    if jkt != bound {
        return Err(refuse(
            "dpop_jkt",
            "DPoP proof key does not match the token's cnf.jkt",
        ));
    }
    Ok(())
}

/// When a nonce is demanded, the proof's `nonce` is the current one.
fn check_nonce(state: &State, jwt: &DecodedJwt) -> Result<(), ProofError> {
    let Some(nonce) = state.dpop_nonce() else {
        return Ok(());
    };
    if jwt.claim_str("nonce") == Some(nonce.as_str()) {
        return Ok(());
    }
    let description = match jwt.claims.contains_key("nonce") {
        true => "DPoP proof nonce is not the current one",
        false => "DPoP proof has no nonce",
    };
    Err(ProofError {
        reason: "dpop_nonce",
        description: description.to_string(),
        nonce: Some(nonce),
    })
}

/// Whether `nonce` may be a DPoP nonce (RFC 9449 §8.1: `1*NQCHAR`).
pub(crate) fn valid_nonce(nonce: &str) -> bool {
    !nonce.is_empty()
        && nonce
            .bytes()
            .all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_compare_scheme_and_host_without_case() {
        assert!(same_url(
            "HTTPS://LocalHost:1/a/B",
            "https://localhost:1/a/B"
        ));
        assert!(same_url("https://h", "https://h/"));
        assert!(!same_url("https://h/a/b", "https://h/a/B"));
        assert!(!same_url("http://h/a", "https://h/a"));
        assert!(!same_url("h/a", "h/a"));
    }

    #[test]
    fn thumbprint_is_rfc_9449s_example() {
        // RFC 9449 §4.1's proof key and the cnf.jkt of §6.1.
        let x = b64url_decode("l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs").expect("x");
        let y = b64url_decode("9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA").expect("y");
        assert_eq!(
            thumbprint(&x, &y),
            "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
        );
    }

    #[test]
    fn nonces_are_nqchar() {
        assert!(valid_nonce("eyJ7S_zG.9-~!"));
        for bad in ["", "a b", "a\"b", "a\\b", "é"] {
            assert!(!valid_nonce(bad), "{bad}");
        }
    }
}
