//! Client authentication at the token endpoint (RFC 6749 §2.3): which method the request used,
//! whether the server's [`ClientAuth`] allows it, and the secret checks. Assertions are checked in
//! [`crate::assertion`].

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::assertion;
use crate::config::{ClientAuth, ServerConfig};
use crate::form;
use crate::record::RecordedRequest;
use crate::reject::Rejection;
use crate::state::State;

/// The `client_assertion_type` of JWT client assertions (RFC 7523 §2.2).
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// What a token request carries to authenticate its client.
struct Presented<'a> {
    /// Any `Authorization` header: an attempt at HTTP authentication.
    basic: bool,
    secret_in_body: bool,
    assertion: Option<&'a str>,
    assertion_type: Option<&'a str>,
}

/// Checks the client's authentication; `Ok` when the request may have a token.
pub(crate) fn authenticate(
    state: &State,
    request: &RecordedRequest,
    body: &[(String, String)],
) -> Result<(), Rejection> {
    let presented = presented(request, body)?;
    let used = [
        presented.basic,
        presented.secret_in_body,
        presented.assertion.is_some() || presented.assertion_type.is_some(),
    ];
    if used.iter().filter(|u| **u).count() > 1 {
        return Err(Rejection::oauth(
            "multiple_client_auth",
            400,
            "invalid_request",
            "the client used more than one authentication method",
        ));
    }
    let config = &state.config;
    if !config.client_auth.uses_assertion() {
        if used[2] {
            return Err(wrong_method(config.client_auth, presented.basic));
        }
        return match secret_matches(config, request, body) {
            true => Ok(()),
            false => Err(failed(presented.basic)),
        };
    }
    let (Some(assertion), Some(assertion_type)) = (presented.assertion, presented.assertion_type)
    else {
        return Err(match (presented.assertion, presented.assertion_type) {
            (Some(_), None) => {
                invalid_request("assertion_type_missing", "client_assertion_type is missing")
            }
            (None, Some(_)) => invalid_request("assertion_missing", "client_assertion is missing"),
            _ => wrong_method(config.client_auth, presented.basic),
        });
    };
    if assertion_type != JWT_BEARER {
        return Err(Rejection::oauth(
            "assertion_type",
            400,
            "invalid_client",
            format!("client_assertion_type must be {JWT_BEARER}"),
        ));
    }
    assertion::verify(state, request, body, assertion)
}

/// Reads what the request presents, refusing assertion parameters outside the form body (RFC 7521
/// §4.2) or given twice (RFC 6749 §3.2).
fn presented<'a>(
    request: &RecordedRequest,
    body: &'a [(String, String)],
) -> Result<Presented<'a>, Rejection> {
    let names = ["client_assertion", "client_assertion_type"];
    let query = request.query_params();
    if names.iter().any(|name| form::get(&query, name).is_some()) {
        return Err(invalid_request(
            "assertion_in_query",
            "client_assertion and client_assertion_type must be in the form body",
        ));
    }
    if names
        .iter()
        .any(|name| body.iter().filter(|(n, _)| n == name).count() > 1)
    {
        return Err(invalid_request(
            "assertion_repeated",
            "client_assertion and client_assertion_type must not be repeated",
        ));
    }
    Ok(Presented {
        basic: request.header("authorization").is_some(),
        secret_in_body: form::get(body, "client_secret").is_some(),
        assertion: form::get(body, "client_assertion"),
        assertion_type: form::get(body, "client_assertion_type"),
    })
}

fn invalid_request(reason: &'static str, description: &str) -> Rejection {
    Rejection::oauth(reason, 400, "invalid_request", description)
}

/// The client sent credentials of a method this server does not take from it. 401, with a Basic
/// challenge when it tried the `Authorization` header (RFC 6749 §5.2).
fn wrong_method(expected: ClientAuth, tried_basic: bool) -> Rejection {
    let description = match expected {
        ClientAuth::PrivateKeyJwt | ClientAuth::ClientSecretJwt => format!(
            "this client must authenticate with {expected}: client_assertion_type and \
             client_assertion in the form body"
        ),
        _ => format!("this client must authenticate with a client secret ({expected})"),
    };
    challenge(
        Rejection::oauth("client_auth_method", 401, "invalid_client", description),
        tried_basic,
    )
}

/// The client secret was missing or wrong: the answer the server always gave.
fn failed(tried_basic: bool) -> Rejection {
    let rejection = Rejection::oauth(
        "client_auth_failed",
        401,
        "invalid_client",
        "Client authentication failed",
    );
    challenge(rejection, tried_basic)
}

fn challenge(rejection: Rejection, tried_basic: bool) -> Rejection {
    match tried_basic {
        true => rejection.with_header("WWW-Authenticate", "Basic realm=\"lucid-testserver\""),
        false => rejection,
    }
}

/// Whether the request carries the configured secret in a form `config.client_auth` allows.
fn secret_matches(
    config: &ServerConfig,
    request: &RecordedRequest,
    body: &[(String, String)],
) -> bool {
    let basic = basic_credentials(request);
    let basic_is = |expected: String| basic.as_deref() == Some(expected.as_bytes());
    let raw = || basic_is(format!("{}:{}", config.client_id, config.client_secret));
    // A space may come as `+` (the form encoding) or `%20` (what percent-decoders such as
    // authlib's `unquote` need); form decoders accept both.
    let urlencoded = || {
        let (id, secret) = (
            form::encode(&config.client_id),
            form::encode(&config.client_secret),
        );
        basic_is(format!("{id}:{secret}"))
            || basic_is(format!(
                "{}:{}",
                id.replace('+', "%20"),
                secret.replace('+', "%20")
            ))
    };
    let post = || {
        form::get(body, "client_id") == Some(config.client_id.as_str())
            && form::get(body, "client_secret") == Some(config.client_secret.as_str())
    };
    match config.client_auth {
        ClientAuth::Basic => raw(),
        ClientAuth::BasicUrlencoded => urlencoded(),
        ClientAuth::Post => post(),
        ClientAuth::Any => raw() || urlencoded() || post(),
        ClientAuth::PrivateKeyJwt | ClientAuth::ClientSecretJwt => false,
    }
}

/// The decoded bytes of an `Authorization: Basic …` header, if there is a valid one.
fn basic_credentials(request: &RecordedRequest) -> Option<Vec<u8>> {
    let (scheme, encoded) = request.header("authorization")?.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    STANDARD.decode(encoded.trim()).ok()
}
