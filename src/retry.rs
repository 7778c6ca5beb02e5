//! When and how long to wait before trying an exchange again: a bounded number of attempts,
//! exponential backoff with jitter, `Retry-After` honoured up to a cap, all inside one deadline.

use crate::clock::later;
use crate::error::{Error, ErrorKind, Result};
use crate::log;
use crate::transport::RawResponse;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::{Duration, Instant, SystemTime};

/// Retry settings, from the credentials (`max_retries`, `retry_backoff_ms`, `retry_deadline`,
/// `max_retry_after`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts after the first.
    pub max_retries: u32,
    /// The first backoff; each further one doubles, up to [`MAX_BACKOFF`].
    pub backoff: Duration,
    /// No attempt starts, and no wait ends, later than this after the first attempt began.
    pub deadline: Duration,
    /// A longer `Retry-After` is waited only this long.
    pub max_retry_after: Duration,
}

/// The longest backoff between two attempts, whatever the attempt number.
pub const MAX_BACKOFF: Duration = Duration::from_secs(10);

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            backoff: Duration::from_millis(200),
            deadline: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

/// When one call (`Client::access_token`, `Client::request`) must be over: made at its start,
/// `retry_deadline` later, and passed down through lock waits, token fetches, API exchanges,
/// their retries and the refetch after a 401.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadline(Instant);

impl Deadline {
    /// The deadline `within` from now.
    pub fn after(within: Duration) -> Deadline {
        Deadline(later(Instant::now(), within))
    }

    /// The time left before it (zero once it passed).
    pub fn left(&self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }

    /// The error of a call that ran out of time while `what`.
    pub fn passed(what: &str) -> Error {
        Error::new(ErrorKind::Timeout, format!("{what}: retry_deadline passed"))
    }
}

/// Whether an outcome is worth another attempt, and how long the server asked us to wait.
pub enum Verdict {
    Final,
    Retry { retry_after: Option<Duration> },
}

impl RetryPolicy {
    /// Runs `attempt` (given the time left before `deadline`) until `judge` calls its outcome
    /// final, the retries are used up, or the next wait would end past the deadline; returns the
    /// last outcome. With no time left for a first attempt, a timeout error.
    pub fn run<T>(
        &self,
        what: &str,
        deadline: Deadline,
        mut attempt: impl FnMut(Duration) -> Result<T>,
        judge: impl Fn(&Result<T>) -> Verdict,
    ) -> Result<T> {
        let mut retries = 0;
        loop {
            let left = deadline.left();
            if left.is_zero() {
                return Err(Deadline::passed(what));
            }
            let began = Instant::now();
            let outcome = attempt(left);
            let Verdict::Retry { retry_after } = judge(&outcome) else {
                return outcome;
            };
            if retries >= self.max_retries {
                return outcome;
            }
            let wait = match retry_after {
                Some(asked) => asked.min(self.max_retry_after),
                None => self.backoff_for(retries),
            };
            if wait >= deadline.left() {
                log::info(&format!(
                    "{what}: giving up, the next attempt would pass the deadline"
                ));
                return outcome;
            }
            retries += 1;
            log::info(&format!(
                "{what}: attempt {retries} failed ({}) after {} ms; retrying in {} ms",
                describe(&outcome),
                began.elapsed().as_millis(),
                wait.as_millis()
            ));
            std::thread::sleep(wait);
        }
    }

    /// Exponential backoff with jitter: a random time between half and all of `backoff * 2^n`.
    fn backoff_for(&self, retry: u32) -> Duration {
        let full = self
            .backoff
            .saturating_mul(1u32 << retry.min(16))
            .min(MAX_BACKOFF);
        let half = full / 2;
        let spread = u64::try_from((full - half).as_nanos()).unwrap_or(u64::MAX);
        half + Duration::from_nanos(if spread == 0 {
            0
        } else {
            random() % (spread + 1)
        })
    }
}

/// The verdict for an exchange whose failure or answer may be temporary: connection failures,
/// timeouts, 429 and 5xx are retried when `transient_ok` (idempotent, or the token endpoint);
/// 429 and 503 always.
pub fn judge_exchange(outcome: &Result<RawResponse>, transient_ok: bool) -> Verdict {
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
fn retry_after(response: &RawResponse) -> Option<Duration> {
    let value = response
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))?
        .1
        .trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

fn describe<T>(outcome: &Result<T>) -> String {
    match outcome {
        Ok(_) => "a temporary HTTP status".to_string(),
        Err(e) => e.message().to_string(),
    }
}

/// A random number from the standard library's per-process random hash keys.
fn random() -> u64 {
    RandomState::new().hash_one(Instant::now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use std::cell::Cell;

    fn response(status: u16, retry_after: Option<&str>) -> RawResponse {
        RawResponse {
            status,
            headers: retry_after
                .map(|v| ("retry-after".to_string(), v.to_string()))
                .into_iter()
                .collect(),
            body: Vec::new(),
        }
    }

    fn fast() -> RetryPolicy {
        RetryPolicy {
            max_retries: 3,
            backoff: Duration::from_millis(1),
            deadline: Duration::from_secs(5),
            max_retry_after: Duration::from_millis(5),
        }
    }

    #[test]
    fn retries_are_bounded() {
        let calls = Cell::new(0);
        let out = fast().run(
            "t",
            Deadline::after(fast().deadline),
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

    #[test]
    fn the_deadline_stops_waiting() {
        let policy = RetryPolicy {
            deadline: Duration::from_millis(50),
            max_retry_after: Duration::from_secs(60),
            ..fast()
        };
        let calls = Cell::new(0);
        let started = Instant::now();
        let out = policy.run(
            "t",
            Deadline::after(policy.deadline),
            |_| {
                calls.set(calls.get() + 1);
                Ok(response(503, Some("30")))
            },
            |o| judge_exchange(o, true),
        );
        assert_eq!(out.unwrap().status, 503);
        assert_eq!(
            calls.get(),
            1,
            "a 30 s Retry-After does not fit a 50 ms deadline"
        );
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn a_deadline_already_passed_makes_no_attempt() {
        let calls = Cell::new(0);
        let out = fast().run(
            "t",
            Deadline::after(Duration::ZERO),
            |_| {
                calls.set(calls.get() + 1);
                Ok(response(200, None))
            },
            |o| judge_exchange(o, true),
        );
        assert_eq!(out.unwrap_err().kind(), ErrorKind::Timeout);
        assert_eq!(calls.get(), 0);
        // And a deadline too far for the clock is no panic.
        assert!(Deadline::after(Duration::MAX).left() > Duration::from_secs(3600));
    }

    #[test]
    fn backoff_grows_with_jitter_inside_bounds() {
        let p = RetryPolicy {
            backoff: Duration::from_millis(100),
            ..fast()
        };
        for retry in 0..6 {
            let full = Duration::from_millis(100 << retry).min(MAX_BACKOFF);
            let d = p.backoff_for(retry);
            assert!(d >= full / 2 && d <= full, "{retry}: {d:?}");
        }
        assert!(p.backoff_for(40) <= MAX_BACKOFF && p.backoff_for(40) >= MAX_BACKOFF / 2);
    }
}
