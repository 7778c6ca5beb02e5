//! Which HTTP outcomes are worth another attempt: connection failures, timeouts, 429 and 5xx
//! when the request may be sent twice (idempotent, or the token endpoint); 429 and 503 always,
//! after the wait the server asks for in `Retry-After`.

use super::response::Response;
use crate::error::{ErrorKind, Result};
use crate::retry::Verdict;
use std::time::{Duration, SystemTime};

/// The verdict for an exchange whose failure or answer may be temporary; `transient_ok`: the
/// request may be sent again after a failure that may have reached the server.
pub fn judge_exchange(outcome: &Result<Response>, transient_ok: bool) -> Verdict {
    match outcome {
        Ok(r) if r.status == 429 || r.status == 503 => Verdict::Retry {
            retry_after: retry_after(r),
        },
        Ok(r) if r.status >= 500 && transient_ok => Verdict::Retry {
            retry_after: retry_after(r),
        },
        Err(e) if transient_ok && matches!(e.kind(), ErrorKind::Transport | ErrorKind::Timeout) => {
            Verdict::Retry { retry_after: None }
        }
        _ => Verdict::Final,
    }
}

/// `Retry-After` as seconds or an HTTP date, as a wait from now.
fn retry_after(response: &Response) -> Option<Duration> {
    let value = response.header("retry-after")?.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Deadline;
    use crate::config::RetrySettings;
    use crate::error::Error;
    use std::cell::Cell;
    use std::sync::atomic::AtomicU64;

    fn response(status: u16, retry_after: Option<&str>) -> Response {
        let headers: Vec<(&str, &str)> = retry_after
            .map(|v| ("retry-after", v))
            .into_iter()
            .collect();
        Response::with(status, &headers, Vec::new())
    }

    #[test]
    fn a_lasting_500_is_tried_max_retries_more_times() {
        let settings = RetrySettings {
            max_retries: 3,
            backoff: Duration::from_millis(1),
            deadline: Duration::from_secs(5),
            max_retry_after: Duration::from_millis(5),
        };
        let calls = Cell::new(0);
        let out = crate::retry::run(
            &settings,
            "t",
            Deadline::after(settings.deadline),
            &AtomicU64::new(0),
            |_| {
                calls.set(calls.get() + 1);
                Ok(response(500, None))
            },
            |o| judge_exchange(o, true),
        );
        assert_eq!(out.unwrap().status, 500);
        assert_eq!(calls.get(), 4);
    }

    #[test]
    fn what_is_retried() {
        let t = |status| {
            matches!(
                judge_exchange(&Ok(response(status, None)), true),
                Verdict::Retry { .. }
            )
        };
        let nonidem = |status| {
            matches!(
                judge_exchange(&Ok(response(status, None)), false),
                Verdict::Retry { .. }
            )
        };
        assert!(t(500) && t(502) && t(503) && t(429));
        assert!(!t(400) && !t(401) && !t(404) && !t(200));
        assert!(nonidem(429) && nonidem(503) && !nonidem(500) && !nonidem(502));
        let refused = Err(Error::new(ErrorKind::Transport, "refused"));
        assert!(matches!(
            judge_exchange(&refused, true),
            Verdict::Retry { .. }
        ));
        assert!(matches!(judge_exchange(&refused, false), Verdict::Final));
        assert!(matches!(
            judge_exchange(&Err(Error::new(ErrorKind::TooLarge, "x")), true),
            Verdict::Final
        ));
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        assert_eq!(
            retry_after(&response(503, Some("7"))),
            Some(Duration::from_secs(7))
        );
        let soon = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
        let got = retry_after(&response(503, Some(&soon))).unwrap();
        assert!(
            got > Duration::from_secs(115) && got <= Duration::from_secs(120),
            "{got:?}"
        );
        assert_eq!(
            retry_after(&response(503, Some("Sun, 06 Nov 1994 08:49:37 GMT"))),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&response(503, Some("soon"))), None);
    }
}
