//! Reading what a token says about itself: whether a string can be a token at all, and the
//! claims of a JWT (its `exp`). Nothing here verifies a signature: the claims only tell this
//! client when to fetch again.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Whether `value` can be a token: non-empty, only visible ASCII (0x21..=0x7e), so that it fits an
/// `Authorization` header as it is, and, which the C layer relies on, holds no NUL byte.
pub fn is_valid_token(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

/// The claims of `token` if it is a JWT (three dot-separated parts, the second a Base64url JSON
/// object).
pub fn claims(token: &str) -> Option<Value> {
    let mut parts = token.split('.');
    let (_, payload, _) = (parts.next()?, parts.next()?, parts.next()?);
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice::<Value>(&bytes)
        .ok()
        .filter(Value::is_object)
}

/// The `exp` claim (seconds since the epoch) of `token`, if it is a JWT with one. RFC 7519's
/// NumericDate may have a fraction: it is rounded down (`1767225600.5` is `1767225600`).
pub fn exp(token: &str) -> Option<u64> {
    let exp = claims(token)?.get("exp")?.as_number()?.clone();
    exp.as_u64().or_else(|| {
        exp.as_f64()
            .filter(|f| f.is_finite() && *f >= 0.0)
            .map(|f| f.floor().min(u64::MAX as f64) as u64)
    })
}

/// The time from `now` to the JWT `exp` claim of `token`, if it is a JWT with one.
pub fn lifetime(token: &str, now: SystemTime) -> Option<Duration> {
    let exp = exp(token)?;
    let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(exp.saturating_sub(now)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};

    #[test]
    fn exp_is_read_on_the_clock_given() {
        let clock = ManualClock::new();
        let exp = clock.wall().duration_since(UNIX_EPOCH).unwrap().as_secs() + 1000;
        let payload = URL_SAFE_NO_PAD.encode(format!(r#"{{"exp":{exp}}}"#));
        let token = format!("h.{payload}.s");
        let at = |c: &ManualClock| lifetime(&token, c.wall()).unwrap().as_secs();
        assert!((999..=1000).contains(&at(&clock)));
        clock.advance(Duration::from_secs(400));
        assert!((599..=600).contains(&at(&clock)));
        clock.advance(Duration::from_secs(4000));
        assert_eq!(at(&clock), 0);
    }

    #[test]
    fn a_fractional_exp_is_rounded_down() {
        let jwt = |exp: &str| {
            format!(
                "h.{}.s",
                URL_SAFE_NO_PAD.encode(format!(r#"{{"exp":{exp}}}"#))
            )
        };
        assert_eq!(exp(&jwt("1767225600.5")), Some(1767225600));
        assert_eq!(exp(&jwt("1767225600.999")), Some(1767225600));
        assert_eq!(exp(&jwt("1767225600")), Some(1767225600));
        assert_eq!(exp(&jwt("1.7672256e9")), Some(1767225600));
        assert_eq!(exp(&jwt("-1.5")), None);
        assert_eq!(exp(&jwt("\"1767225600\"")), None);
    }

    #[test]
    fn what_is_not_a_jwt_has_no_claims() {
        for token in ["opaque", "a.b", "a.!!.c", "a.MTIz.c"] {
            assert_eq!(claims(token), None, "{token}");
        }
        assert!(!is_valid_token("") && !is_valid_token("a b") && is_valid_token("a.b~c"));
    }
}
