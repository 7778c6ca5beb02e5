//! Client assertions (`private_key_jwt`, `client_secret_jwt`; RFC 7523 §3): the signature, then
//! the claims, then the `jti`, which is used up once all else is good.
//!
//! Every refusal is 400 `invalid_client` (RFC 7521 §4.2.1) with a fixed description.

use ring::hmac;
use serde_json::Value;

use crate::config::{AssertionAudience, ClientAuth, ServerConfig};
use crate::form;
use crate::jwt::DecodedJwt;
use crate::keys::ClientKey;
use crate::record::RecordedRequest;
use crate::reject::Rejection;
use crate::state::{lock, State};

/// The longest an assertion may live: `exp` at most this many seconds after `iat`.
pub(crate) const MAX_LIFETIME_SECS: i64 = 300;

/// How far in the future `iat` (and `nbf`) may be, for clocks that differ a little.
pub(crate) const CLOCK_LEEWAY_SECS: i64 = 30;

/// Verifies the `client_assertion` of a token request.
pub(crate) fn verify(
    state: &State,
    request: &RecordedRequest,
    body: &[(String, String)],
    text: &str,
) -> Result<(), Rejection> {
    let jwt = DecodedJwt::parse(text).map_err(|why| {
        invalid(
            "assertion_malformed",
            format!("client_assertion is not a compact JWS: {why}"),
        )
    })?;
    check_signature(&state.config, &jwt)?;
    check_identity(&state.config, body, &jwt)?;
    check_audience(state, request, &jwt)?;
    check_times(state.now(), &jwt)?;
    use_up_jti(state, &jwt)
}

fn invalid(reason: &'static str, description: impl Into<String>) -> Rejection {
    Rejection::oauth(reason, 400, "invalid_client", description)
}

/// HS256 with the client secret for `client_secret_jwt`; RS256 or ES256 with a client key for
/// `private_key_jwt`.
fn check_signature(config: &ServerConfig, jwt: &DecodedJwt) -> Result<(), Rejection> {
    let alg = jwt.alg();
    let bad_signature = || {
        invalid(
            "assertion_signature",
            "client_assertion signature is invalid",
        )
    };
    if config.client_auth == ClientAuth::ClientSecretJwt {
        if alg != "HS256" {
            return Err(invalid(
                "assertion_alg",
                format!(
                    "client_assertion alg {alg} is not accepted: client_secret_jwt takes HS256"
                ),
            ));
        }
        let key = hmac::Key::new(hmac::HMAC_SHA256, config.client_secret.as_bytes());
        return hmac::verify(&key, jwt.signing_input(), jwt.signature())
            .map_err(|_| bad_signature());
    }
    if alg != "RS256" && alg != "ES256" {
        return Err(invalid(
            "assertion_alg",
            format!(
                "client_assertion alg {alg} is not accepted: private_key_jwt takes RS256 or ES256"
            ),
        ));
    }
    let keys = candidate_keys(&config.client_keys, jwt)?;
    match keys
        .iter()
        .any(|key| key.verifies(alg, jwt.signing_input(), jwt.signature()))
    {
        true => Ok(()),
        false => Err(bad_signature()),
    }
}

/// The keys the assertion may be signed with: those with its `kid`, or the only key when it has
/// none; and of them, those that check its `alg`.
fn candidate_keys<'a>(
    keys: &'a [ClientKey],
    jwt: &DecodedJwt,
) -> Result<Vec<&'a ClientKey>, Rejection> {
    let named: Vec<&ClientKey> = match jwt.header.get("kid") {
        Some(Value::String(kid)) => keys.iter().filter(|k| k.kid() == Some(kid)).collect(),
        Some(_) => {
            return Err(invalid(
                "assertion_kid",
                "client_assertion kid must be a string",
            ))
        }
        None if keys.len() > 1 => {
            return Err(invalid(
                "assertion_kid",
                format!(
                    "client_assertion has no kid and the server holds {} client keys",
                    keys.len()
                ),
            ))
        }
        None => keys.iter().collect(),
    };
    let Some(first) = named.first() else {
        let kid = jwt.header_str("kid").unwrap_or("");
        return Err(invalid(
            "assertion_kid",
            format!("no client key has kid {kid}"),
        ));
    };
    let alg = jwt.alg();
    let fitting: Vec<&ClientKey> = named.iter().copied().filter(|k| k.alg() == alg).collect();
    if fitting.is_empty() {
        return Err(invalid(
            "assertion_alg",
            format!(
                "client_assertion alg {alg} does not fit the client key ({})",
                first.alg()
            ),
        ));
    }
    Ok(fitting)
}

/// `iss` and `sub` are the client id, and so is a `client_id` parameter if there is one.
fn check_identity(
    config: &ServerConfig,
    body: &[(String, String)],
    jwt: &DecodedJwt,
) -> Result<(), Rejection> {
    let id = config.client_id.as_str();
    if jwt.claim_str("iss") != Some(id) {
        return Err(invalid(
            "assertion_iss",
            "client_assertion iss must be the client id",
        ));
    }
    if jwt.claim_str("sub") != Some(id) {
        return Err(invalid(
            "assertion_sub",
            "client_assertion sub must be the client id",
        ));
    }
    if form::get(body, "client_id").is_some_and(|given| given != id) {
        return Err(invalid(
            "assertion_client_id",
            "client_id does not match the client_assertion",
        ));
    }
    Ok(())
}

/// `aud` (a string, or an array of strings) names one of the accepted audiences.
fn check_audience(
    state: &State,
    request: &RecordedRequest,
    jwt: &DecodedJwt,
) -> Result<(), Rejection> {
    let accepted: Vec<String> = state
        .config
        .assertion_audiences
        .iter()
        .map(|audience| match audience {
            AssertionAudience::TokenEndpoint => state.url_of(request),
            AssertionAudience::Issuer => state.issuer(),
            AssertionAudience::Url(url) => url.clone(),
        })
        .collect();
    let given: Vec<&str> = match jwt.claims.get("aud") {
        Some(Value::String(aud)) => vec![aud.as_str()],
        Some(Value::Array(auds)) => auds.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if given.iter().any(|aud| accepted.iter().any(|a| a == aud)) {
        return Ok(());
    }
    Err(invalid(
        "assertion_aud",
        format!(
            "client_assertion aud must contain {}",
            accepted.join(" or ")
        ),
    ))
}

/// `exp` after now and after `iat`, at most [`MAX_LIFETIME_SECS`] later; `iat` and `nbf` not
/// beyond [`CLOCK_LEEWAY_SECS`] in the future.
fn check_times(now: i64, jwt: &DecodedJwt) -> Result<(), Rejection> {
    let exp = jwt
        .claim_time("exp")
        .ok_or_else(|| invalid("assertion_exp", "client_assertion exp is missing"))?;
    let iat = jwt
        .claim_time("iat")
        .ok_or_else(|| invalid("assertion_iat", "client_assertion iat is missing"))?;
    if exp <= now {
        return Err(invalid("assertion_expired", "client_assertion has expired"));
    }
    if iat > now.saturating_add(CLOCK_LEEWAY_SECS) {
        return Err(invalid(
            "assertion_iat",
            "client_assertion iat is in the future",
        ));
    }
    if exp <= iat || exp.saturating_sub(iat) > MAX_LIFETIME_SECS {
        return Err(invalid(
            "assertion_lifetime",
            format!("client_assertion exp must be after iat and at most {MAX_LIFETIME_SECS} seconds after it"),
        ));
    }
    let nbf = jwt.claim_time("nbf");
    if jwt.claims.contains_key("nbf") && nbf.is_none() {
        return Err(invalid(
            "assertion_nbf",
            "client_assertion nbf must be a number",
        ));
    }
    if nbf.is_some_and(|nbf| nbf > now.saturating_add(CLOCK_LEEWAY_SECS)) {
        return Err(invalid(
            "assertion_nbf",
            "client_assertion is not valid yet (nbf)",
        ));
    }
    Ok(())
}

/// A non-empty `jti` never seen in an accepted assertion before; remembered from now on.
fn use_up_jti(state: &State, jwt: &DecodedJwt) -> Result<(), Rejection> {
    let jti = jwt
        .claim_str("jti")
        .filter(|jti| !jti.is_empty())
        .ok_or_else(|| invalid("assertion_jti", "client_assertion jti is missing"))?;
    if !lock(&state.assertion_jtis).insert(jti.to_string()) {
        return Err(invalid(
            "assertion_replayed",
            "client_assertion jti has been used before",
        ));
    }
    Ok(())
}
