//! The token endpoint: the exact request each configuration sends, and the reading of its answer.

use crate::clock::{nanos, Moment};
use crate::credentials::{ClientAuth, Credentials, TokenParams};
use crate::error::{Error, ErrorKind, Result};
use crate::form;
use crate::secret::Secret;
use crate::stats::Origin;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::Value;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use zeroize::{Zeroize, Zeroizing};

/// Lifetime assumed when the answer has neither `expires_in` nor a JWT `exp` claim.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(60);
/// Longer lifetimes are cut to this, so that a lying server cannot pin a token forever.
pub const MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// An access token, when it goes stale (is renewed) and when it really expires.
#[derive(Clone, Debug)]
pub struct Token {
    value: Secret,
    lifetime: Duration,
    /// Monotonic nanoseconds: from here on the token is renewed.
    stale_at: u64,
    expires_at: Moment,
    origin: Origin,
}

/// Whether `value` can be a token: non-empty, only visible ASCII (0x21..=0x7e), so that it fits an
/// `Authorization` header as it is, and, which the C layer relies on, holds no NUL byte.
pub fn is_valid_token(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

impl Token {
    /// A token valid for `lifetime` (at most [`MAX_LIFETIME`]) from `sent` (when its request went
    /// out); `None` unless [`is_valid_token`].
    pub fn new(value: &str, sent: Moment, lifetime: Duration, margin: Duration) -> Option<Self> {
        let lifetime = lifetime.min(MAX_LIFETIME);
        Self::expiring(value, lifetime, sent.after(lifetime), margin)
    }

    /// A token of `lifetime` that expires at `expires_at` (read from a shared cache, say); stale
    /// `margin` before that, but never more than half its lifetime before, so that short-lived
    /// tokens are still used. `None` unless [`is_valid_token`].
    pub fn expiring(
        value: &str,
        lifetime: Duration,
        expires_at: Moment,
        margin: Duration,
    ) -> Option<Self> {
        let lifetime = lifetime.min(MAX_LIFETIME);
        let margin = margin.min(lifetime / 2);
        is_valid_token(value).then(|| Token {
            value: Secret::new(value),
            lifetime,
            stale_at: expires_at.mono.saturating_sub(nanos(margin)),
            expires_at,
            origin: Origin::TokenEndpoint,
        })
    }

    /// The token, marked as coming from `origin`.
    pub fn from_origin(mut self, origin: Origin) -> Self {
        self.origin = origin;
        self
    }

    /// Where the token came from.
    pub fn origin(&self) -> Origin {
        self.origin
    }

    /// A token handed over already issued (the `access_token` key), `left` before it expires
    /// (at most [`MAX_LIFETIME`]): stale exactly `margin` before that, not at most half its
    /// lifetime as a fetched one, since no server said how long it lives. `None` unless
    /// [`is_valid_token`].
    pub fn pre_issued(value: &str, now: Moment, left: Duration, margin: Duration) -> Option<Self> {
        let left = left.min(MAX_LIFETIME);
        let expires_at = now.after(left);
        is_valid_token(value).then(|| Token {
            value: Secret::new(value),
            lifetime: left,
            stale_at: expires_at.mono.saturating_sub(nanos(margin)).max(now.mono),
            expires_at,
            origin: Origin::PreIssued,
        })
    }

    /// The token itself, for an `Authorization: Bearer` header.
    pub fn secret(&self) -> &str {
        self.value.expose()
    }

    /// The lifetime the server granted (after the cap).
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// When the token really expires, on both clocks.
    pub fn expires_at(&self) -> Moment {
        self.expires_at
    }

    /// Whether the token is still before its refresh time (`now`: monotonic nanoseconds).
    pub fn is_fresh(&self, now: u64) -> bool {
        now < self.stale_at
    }

    /// Monotonic nanoseconds from which the token is renewed.
    pub fn stale_at(&self) -> u64 {
        self.stale_at
    }

    /// Whether the token has not expired yet (`now`: monotonic nanoseconds).
    pub fn is_unexpired(&self, now: u64) -> bool {
        now < self.expires_at.mono
    }
}

/// A token request, ready to send. Its headers and body (which carry the client secret, plainly
/// or in Base64) are wiped when it is dropped, and `Debug` shows neither.
pub struct TokenRequest {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl std::fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let shown = if name.eq_ignore_ascii_case("authorization") {
                    "<redacted>"
                } else {
                    value.as_str()
                };
                (*name, shown)
            })
            .collect();
        f.debug_struct("TokenRequest")
            .field("url", &self.url)
            .field("headers", &headers)
            .field(
                "body",
                &format_args!("<{} bytes redacted>", self.body.len()),
            )
            .finish()
    }
}

impl Drop for TokenRequest {
    fn drop(&mut self) {
        for (_, value) in &mut self.headers {
            value.zeroize();
        }
        self.body.zeroize();
    }
}

/// Builds the token request for the credentials' `token_params` and `client_auth`: by default
/// the vendors' form (Basic header, parameters in the query), else the RFC 6749 forms. With
/// `client_auth = post` the id and secret come first in the body, then `grant_type`, `scope` and
/// `audience`: the order of the cradl SDK's Kinde request.
pub fn build_request(creds: &Credentials, scope: Option<&str>) -> TokenRequest {
    let mut params: Vec<(&str, &str)> = vec![("grant_type", "client_credentials")];
    if let Some(scope) = scope.filter(|s| !s.is_empty()) {
        params.push(("scope", scope));
    }
    if let Some(audience) = &creds.audience {
        params.push(("audience", audience));
    }
    let mut body_pairs: Vec<(&str, &str)> = Vec::new();
    let mut headers: Vec<(&'static str, String)> = Vec::with_capacity(4);
    let secret = creds.client_secret.as_ref().map_or("", Secret::expose);
    match creds.client_auth {
        ClientAuth::Basic => headers.push(("Authorization", basic(&creds.client_id, secret))),
        ClientAuth::BasicUrlencoded => headers.push((
            "Authorization",
            basic(
                &form::encode_basic(&creds.client_id),
                &Zeroizing::new(form::encode_basic(secret)),
            ),
        )),
        ClientAuth::Post => {
            body_pairs.push(("client_id", &creds.client_id));
            body_pairs.push(("client_secret", secret));
        }
    }
    let mut url = creds.token_url.clone();
    match creds.token_params {
        TokenParams::Query => {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&form::serialize(&params));
        }
        TokenParams::Body => body_pairs.extend(params),
    }
    headers.push((
        "Content-Type",
        "application/x-www-form-urlencoded".to_string(),
    ));
    headers.push(("Accept", "application/json".to_string()));
    headers.push(("Cache-Control", "no-cache".to_string()));
    TokenRequest {
        url,
        headers,
        body: form::serialize(&body_pairs).into_bytes(),
    }
}

/// Whether a token endpoint's 400 is not an RFC 6749 §5.2 error (a JSON object with an `error`
/// member): Kinde, behind auth.cradl.ai, sometimes answers such a bogus 400, and the cradl SDK
/// tries again; a 400 that says what is wrong stays final.
pub fn is_bogus_400(status: u16, body: &[u8]) -> bool {
    if status != 400 {
        return false;
    }
    let json: Option<Value> = serde_json::from_slice(body).ok();
    !json
        .as_ref()
        .and_then(|j| j.get("error"))
        .is_some_and(Value::is_string)
}

/// `Basic base64(id:secret)`, built in buffers of the exact size, the plain one wiped.
fn basic(id: &str, secret: &str) -> String {
    let mut plain = Zeroizing::new(Vec::with_capacity(id.len() + 1 + secret.len()));
    plain.extend_from_slice(id.as_bytes());
    plain.push(b':');
    plain.extend_from_slice(secret.as_bytes());
    let encoded_len = base64::encoded_len(plain.len(), true).unwrap_or(0);
    let mut out = String::with_capacity("Basic ".len() + encoded_len);
    out.push_str("Basic ");
    STANDARD.encode_string(&*plain, &mut out);
    out
}

/// Overwrites every string in `value` (a token answer holds the token).
fn wipe_json(value: &mut Value) {
    match value {
        Value::String(s) => s.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(wipe_json),
        Value::Object(map) => map.values_mut().for_each(wipe_json),
        _ => {}
    }
}

/// Reads the token endpoint's answer. `sent` is when the request went out: expiry counts from
/// there. Text from the server ends up in messages only after `scrub` removed any secret.
pub fn parse_response(
    status: u16,
    body: &[u8],
    sent: Moment,
    margin: Duration,
    scrub: &dyn Fn(&str) -> String,
) -> Result<Token> {
    let mut json: Option<Value> = serde_json::from_slice(body).ok();
    let result = read_answer(status, json.as_ref(), sent, margin, scrub);
    if let Some(json) = json.as_mut() {
        wipe_json(json);
    }
    result
}

fn read_answer(
    status: u16,
    json: Option<&Value>,
    sent: Moment,
    margin: Duration,
    scrub: &dyn Fn(&str) -> String,
) -> Result<Token> {
    if !(200..300).contains(&status) {
        return Err(endpoint_error(status, json, scrub));
    }
    let protocol = |what: &str| {
        Error::new(
            ErrorKind::Protocol,
            format!("token endpoint answered {status} but {what}"),
        )
        .with_http_status(status)
    };
    let object = json
        .and_then(Value::as_object)
        .ok_or_else(|| protocol("the body is not a JSON object"))?;
    let access_token = match object.get("access_token") {
        Some(Value::String(s)) if !s.is_empty() => s.as_str(),
        _ => return Err(protocol("the body has no access_token")),
    };
    match object.get("token_type") {
        None => {}
        Some(Value::String(t)) if t.eq_ignore_ascii_case("bearer") => {}
        Some(other) => {
            return Err(protocol(&format!(
                "token_type is {}, not Bearer",
                scrub(&other.to_string())
            )));
        }
    }
    let lifetime = match object.get("expires_in") {
        Some(value) => expires_in(value)
            .ok_or_else(|| protocol("expires_in is not a number of seconds at or above 0"))?,
        None => jwt_lifetime(access_token, sent.wall).unwrap_or(DEFAULT_LIFETIME),
    };
    Token::new(access_token, sent, lifetime, margin)
        .ok_or_else(|| protocol("the access_token has characters a header cannot carry"))
}

/// `expires_in` as a JSON number (fractions rounded down) or a string of digits.
fn expires_in(value: &Value) -> Option<Duration> {
    let secs = match value {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0)
                .map(|f| f.min(u64::MAX as f64) as u64)
        })?,
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().unwrap_or(u64::MAX)
        }
        _ => return None,
    };
    Some(Duration::from_secs(secs).min(MAX_LIFETIME))
}

/// The time from `now` to the JWT `exp` claim of `token`, if it is a JWT with one.
pub fn jwt_lifetime(token: &str, now: SystemTime) -> Option<Duration> {
    let exp = jwt_exp(token)?;
    let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(exp.saturating_sub(now)))
}

/// The `exp` claim (seconds since the epoch) of `token`, if it is a JWT with one.
pub fn jwt_exp(token: &str) -> Option<u64> {
    let mut parts = token.split('.');
    let (_, payload, _) = (parts.next()?, parts.next()?, parts.next()?);
    let claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?)
            .ok()?;
    claims.get("exp")?.as_u64()
}

fn endpoint_error(status: u16, json: Option<&Value>, scrub: &dyn Fn(&str) -> String) -> Error {
    let field = |name: &str| {
        json.and_then(|j| j.get(name))
            .and_then(Value::as_str)
            .map(scrub)
    };
    let (error, description) = (field("error"), field("error_description"));
    let kind = if status == 400 || status == 401 {
        ErrorKind::CredentialsRejected
    } else {
        ErrorKind::TokenEndpoint
    };
    let mut message = format!("token endpoint answered {status}");
    if let Some(e) = &error {
        message.push_str(&format!(": {e}"));
    }
    if let Some(d) = &description {
        message.push_str(&format!(" ({d})"));
    }
    Error::new(kind, message)
        .with_http_status(status)
        .with_oauth(error, description)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock, SystemClock};

    fn parse(status: u16, body: &str) -> Result<Token> {
        parse_response(
            status,
            body.as_bytes(),
            SystemClock.moment(),
            Duration::from_secs(300),
            &|s| s.to_string(),
        )
    }

    #[test]
    fn expires_in_forms() {
        assert_eq!(
            parse(
                200,
                r#"{"access_token":"a","expires_in":3600,"token_type":"Bearer"}"#
            )
            .unwrap()
            .lifetime(),
            Duration::from_secs(3600)
        );
        assert_eq!(
            parse(
                200,
                r#"{"access_token":"a","expires_in":"3600","token_type":"bearer"}"#
            )
            .unwrap()
            .lifetime(),
            Duration::from_secs(3600)
        );
        assert_eq!(
            parse(200, r#"{"access_token":"a","expires_in":59.9}"#)
                .unwrap()
                .lifetime(),
            Duration::from_secs(59)
        );
        assert_eq!(
            parse(200, r#"{"access_token":"a","expires_in":1e30}"#)
                .unwrap()
                .lifetime(),
            MAX_LIFETIME
        );
        assert_eq!(
            parse(200, r#"{"access_token":"a","expires_in":0}"#)
                .unwrap()
                .lifetime(),
            Duration::ZERO
        );
        assert_eq!(
            parse(200, r#"{"access_token":"a"}"#).unwrap().lifetime(),
            DEFAULT_LIFETIME
        );
        assert_eq!(
            parse(200, r#"{"access_token":"a","expires_in":-5}"#)
                .unwrap_err()
                .kind(),
            ErrorKind::Protocol
        );
        assert_eq!(
            parse(200, r#"{"access_token":"a","expires_in":"12s"}"#)
                .unwrap_err()
                .kind(),
            ErrorKind::Protocol
        );
    }

    #[test]
    fn jwt_exp_is_used_without_expires_in() {
        let exp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 1000;
        let payload = URL_SAFE_NO_PAD.encode(format!(r#"{{"sub":"x","exp":{exp}}}"#));
        let token = format!("eyJhbGciOiJub25lIn0.{payload}.sig");
        let lifetime = parse(200, &format!(r#"{{"access_token":"{token}"}}"#))
            .unwrap()
            .lifetime();
        assert!(
            lifetime <= Duration::from_secs(1000) && lifetime >= Duration::from_secs(998),
            "{lifetime:?}"
        );
    }

    #[test]
    fn jwt_exp_is_read_on_the_clock_given() {
        let clock = ManualClock::new();
        let exp = clock.wall().duration_since(UNIX_EPOCH).unwrap().as_secs() + 1000;
        let payload = URL_SAFE_NO_PAD.encode(format!(r#"{{"exp":{exp}}}"#));
        let token = format!("h.{payload}.s");
        let at = |c: &ManualClock| jwt_lifetime(&token, c.wall()).unwrap().as_secs();
        assert!((999..=1000).contains(&at(&clock)));
        clock.advance(Duration::from_secs(400));
        assert!((599..=600).contains(&at(&clock)));
        clock.advance(Duration::from_secs(4000));
        assert_eq!(at(&clock), 0);
    }

    #[test]
    fn bad_answers() {
        assert_eq!(
            parse(200, "<html>").unwrap_err().kind(),
            ErrorKind::Protocol
        );
        assert_eq!(
            parse(200, r#"{"expires_in":1}"#).unwrap_err().kind(),
            ErrorKind::Protocol
        );
        assert_eq!(
            parse(200, r#"{"access_token":"a","token_type":"mac"}"#)
                .unwrap_err()
                .kind(),
            ErrorKind::Protocol
        );
        let e = parse(
            400,
            r#"{"error":"invalid_scope","error_description":"no such scope"}"#,
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::CredentialsRejected);
        assert_eq!(
            e.message(),
            "token endpoint answered 400: invalid_scope (no such scope)"
        );
        assert_eq!(
            (
                e.http_status(),
                e.oauth_error(),
                e.oauth_error_description()
            ),
            (Some(400), Some("invalid_scope"), Some("no such scope"))
        );
        let e = parse(503, "busy").unwrap_err();
        assert_eq!(
            (e.kind(), e.message(), e.oauth_error()),
            (
                ErrorKind::TokenEndpoint,
                "token endpoint answered 503",
                None
            )
        );
    }

    fn creds(pairs: &[(&str, &str)]) -> Credentials {
        let mut b = Credentials::builder();
        b.set("client_id", "ID").unwrap();
        b.set("client_secret", "S3cr3t;# x").unwrap();
        for (k, v) in pairs {
            b.set(k, v).unwrap();
        }
        b.build().unwrap()
    }

    #[test]
    fn debug_of_a_token_request_shows_no_secret_in_any_form() {
        for auth in ["basic", "basic_urlencoded", "post"] {
            let request = build_request(&creds(&[("client_auth", auth)]), Some("s"));
            let shown = format!("{request:?}");
            for form in [
                "S3cr3t",
                &STANDARD.encode("ID:S3cr3t;# x"),
                &STANDARD.encode("ID:S3cr3t%3B%23+x"),
            ] {
                assert!(!shown.contains(form), "{auth}: {shown}");
            }
            assert!(shown.contains("<redacted>") || auth == "post", "{shown}");
            assert!(shown.contains("bytes redacted"), "{shown}");
        }
    }

    #[test]
    fn grant_parameters_follow_a_query_of_the_token_url() {
        let c = creds(&[("auth_endpoint", "http://127.0.0.1:1?tenant=acme")]);
        assert_eq!(
            build_request(&c, Some("a b")).url,
            "http://127.0.0.1:1/oauth2/token?tenant=acme&grant_type=client_credentials&scope=a+b"
        );
        let c = creds(&[
            ("auth_endpoint", "http://127.0.0.1:1/t?tenant=acme"),
            ("token_params", "body"),
        ]);
        let request = build_request(&c, None);
        assert_eq!(request.url, "http://127.0.0.1:1/t?tenant=acme");
        assert_eq!(request.body, b"grant_type=client_credentials");
    }

    #[test]
    fn the_basic_header_is_exact() {
        assert_eq!(
            basic("CLIENT_ID", "CLIENT_SECRET"),
            "Basic Q0xJRU5UX0lEOkNMSUVOVF9TRUNSRVQ="
        );
        let header = basic("a", "b");
        assert_eq!(header.capacity(), header.len());
    }

    #[test]
    fn a_400_without_an_oauth_error_is_bogus() {
        assert!(is_bogus_400(400, b""));
        assert!(is_bogus_400(400, b"<html>Bad Request</html>"));
        assert!(is_bogus_400(400, br#"{"message":"Bad Request"}"#));
        assert!(!is_bogus_400(400, br#"{"error":"invalid_client"}"#));
        assert!(!is_bogus_400(401, b""));
        assert!(!is_bogus_400(500, b""));
    }

    #[test]
    fn margin_is_at_most_half_the_lifetime() {
        let sent = SystemClock.moment();
        let t0 = sent.mono;
        let ms = |n: u64| n * 1_000_000;
        let t = Token::new("a", sent, Duration::from_secs(2), Duration::from_secs(300)).unwrap();
        assert!(t.is_fresh(t0 + ms(999)));
        assert!(!t.is_fresh(t0 + ms(1000)));
        let t = Token::new(
            "a",
            sent,
            Duration::from_secs(3600),
            Duration::from_secs(300),
        )
        .unwrap();
        assert!(t.is_fresh(t0 + ms(3_299_000)));
        assert!(!t.is_fresh(t0 + ms(3_300_000)));
    }
}
