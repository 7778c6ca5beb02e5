//! Reading the token endpoint's answer: a token whose expiry counts from when its request was
//! sent, or the RFC 6749 §5.2 error the server gave.

use super::{Token, DEFAULT_LIFETIME, MAX_LIFETIME};
use crate::clock::Moment;
use crate::error::{Error, ErrorKind, Result};
use crate::jwt;
use crate::secret::Redactor;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;
use std::time::Duration;
use zeroize::Zeroize;

/// A JSON body read as serde_json reads it, except that a top-level object remembers the first
/// member it holds twice (serde_json keeps the last one silently).
struct Checked {
    json: Value,
    duplicate: Option<String>,
}

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        deserializer.deserialize_any(CheckedVisitor)
    }
}

struct CheckedVisitor;

impl<'de> Visitor<'de> for CheckedVisitor {
    type Value = Checked;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> std::result::Result<Checked, A::Error> {
        let (mut map, mut duplicate) = (Map::new(), None);
        while let Some((name, value)) = access.next_entry::<String, Value>()? {
            if map.contains_key(&name) && duplicate.is_none() {
                duplicate = Some(name.clone());
            }
            map.insert(name, value);
        }
        Ok(Checked {
            json: Value::Object(map),
            duplicate,
        })
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut access: A,
    ) -> std::result::Result<Checked, A::Error> {
        while access.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(Checked {
            json: Value::Array(Vec::new()),
            duplicate: None,
        })
    }

    fn visit_bool<E>(self, _: bool) -> std::result::Result<Checked, E> {
        Ok(Checked {
            json: Value::Null,
            duplicate: None,
        })
    }
    fn visit_i64<E>(self, _: i64) -> std::result::Result<Checked, E> {
        Ok(Checked {
            json: Value::Null,
            duplicate: None,
        })
    }
    fn visit_u64<E>(self, _: u64) -> std::result::Result<Checked, E> {
        Ok(Checked {
            json: Value::Null,
            duplicate: None,
        })
    }
    fn visit_f64<E>(self, _: f64) -> std::result::Result<Checked, E> {
        Ok(Checked {
            json: Value::Null,
            duplicate: None,
        })
    }
    fn visit_str<E>(self, _: &str) -> std::result::Result<Checked, E> {
        Ok(Checked {
            json: Value::Null,
            duplicate: None,
        })
    }
    fn visit_unit<E>(self) -> std::result::Result<Checked, E> {
        Ok(Checked {
            json: Value::Null,
            duplicate: None,
        })
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
/// there. Text from the server ends up in messages only after `redactor` removed any secret.
pub fn parse_response(
    status: u16,
    body: &[u8],
    sent: Moment,
    margin: Duration,
    redactor: &Redactor,
) -> Result<Token> {
    let mut checked: Option<Checked> = serde_json::from_slice(body).ok();
    let result = match checked.as_ref() {
        Some(Checked {
            duplicate: Some(name),
            ..
        }) if (200..300).contains(&status) => Err(Error::new(
            ErrorKind::Protocol,
            format!(
                "token endpoint answered {status} but the body has the member '{}' twice",
                redactor.scrub(name)
            ),
        )
        .with_http_status(status)),
        _ => read_answer(
            status,
            checked.as_ref().map(|c| &c.json),
            sent,
            margin,
            redactor,
        ),
    };
    if let Some(checked) = checked.as_mut() {
        wipe_json(&mut checked.json);
    }
    result
}

fn read_answer(
    status: u16,
    json: Option<&Value>,
    sent: Moment,
    margin: Duration,
    redactor: &Redactor,
) -> Result<Token> {
    if !(200..300).contains(&status) {
        return Err(endpoint_error(status, json, redactor));
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
    let bound = match object.get("token_type") {
        None => false,
        Some(Value::String(t)) if t.eq_ignore_ascii_case("bearer") => false,
        Some(Value::String(t)) if t.eq_ignore_ascii_case("dpop") => true,
        Some(other) => {
            return Err(protocol(&format!(
                "token_type is {}, not Bearer or DPoP",
                redactor.scrub(&other.to_string())
            )));
        }
    };
    let lifetime = match object.get("expires_in") {
        Some(value) => expires_in(value)
            .ok_or_else(|| protocol("expires_in is not a number of seconds at or above 0"))?,
        None => jwt::lifetime(access_token, sent.wall).unwrap_or(DEFAULT_LIFETIME),
    };
    let token = Token::new(access_token, sent, lifetime, margin)
        .ok_or_else(|| protocol("the access_token has characters a header cannot carry"))?;
    Ok(if bound { token.dpop_bound() } else { token })
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

fn endpoint_error(status: u16, json: Option<&Value>, redactor: &Redactor) -> Error {
    let field = |name: &str| {
        json.and_then(|j| j.get(name))
            .and_then(Value::as_str)
            .map(|text| redactor.scrub(text))
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
    use crate::clock::{Clock, SystemClock};
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use std::time::{SystemTime, UNIX_EPOCH};

    fn parse(status: u16, body: &str) -> Result<Token> {
        parse_response(
            status,
            body.as_bytes(),
            SystemClock.moment(),
            Duration::from_secs(300),
            &Redactor::new(),
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

    #[test]
    fn a_member_given_twice_is_refused_by_name() {
        for (body, name) in [
            (r#"{"access_token":"a","access_token":"b"}"#, "access_token"),
            (
                r#"{"access_token":"a","expires_in":1,"expires_in":3600}"#,
                "expires_in",
            ),
            (r#"{"access_token":"a","x":{"y":1},"x":[]}"#, "x"),
        ] {
            let e = parse(200, body).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Protocol, "{body}");
            assert_eq!(
                e.message(),
                format!("token endpoint answered 200 but the body has the member '{name}' twice")
            );
        }
        // Nested objects and distinct members are as before.
        let t = parse(
            200,
            r#"{"access_token":"a","x":{"y":1,"z":2},"expires_in":7}"#,
        )
        .unwrap();
        assert_eq!(t.lifetime(), Duration::from_secs(7));
        assert_eq!(parse(200, "[1,2]").unwrap_err().kind(), ErrorKind::Protocol);
        assert_eq!(parse(200, "\"a\"").unwrap_err().kind(), ErrorKind::Protocol);
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
