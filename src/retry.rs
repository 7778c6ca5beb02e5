//! The one retry loop: a bounded number of attempts, exponential backoff with jitter, a wait the
//! server asked for honoured up to a cap, all inside one deadline. What is worth retrying is the
//! caller's to judge (see `http::retryable` for HTTP exchanges).

use crate::clock::Deadline;
use crate::config::RetrySettings;
use crate::error::Result;
use crate::log;
use crate::stats::Counters;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

/// The longest backoff between two attempts, whatever the attempt number.
pub const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// Whether an outcome is worth another attempt, and how long the server asked us to wait.
pub enum Verdict {
    Final,
    Retry { retry_after: Option<Duration> },
}

/// Runs `attempt` (given the time left before `deadline`) until `judge` calls its outcome final,
/// the retries of `settings` are used up, or the next wait would end past the deadline; returns
/// the last outcome, and adds the retries made to `retries`. With no time left for a first
/// attempt, a timeout error. `what` names the exchange in messages: written only for one.
pub fn run<T>(
    settings: &RetrySettings,
    what: impl std::fmt::Display,
    deadline: Deadline,
    retries: &AtomicU64,
    mut attempt: impl FnMut(Duration) -> Result<T>,
    judge: impl Fn(&Result<T>) -> Verdict,
) -> Result<T> {
    let mut made = 0;
    let outcome = loop {
        let left = deadline.left();
        if left.is_zero() {
            break Err(Deadline::passed(&what.to_string()));
        }
        let began = Instant::now();
        let outcome = attempt(left);
        let Verdict::Retry { retry_after } = judge(&outcome) else {
            break outcome;
        };
        let Some(wait) = next_wait(settings, made, retry_after, deadline, &what) else {
            break outcome;
        };
        made += 1;
        log::info(&format!(
            "{what}: attempt {made} failed ({}) after {} ms; retrying in {} ms",
            describe(&outcome),
            began.elapsed().as_millis(),
            wait.as_millis()
        ));
        std::thread::sleep(wait);
    };
    Counters::add(retries, u64::from(made));
    outcome
}

/// The wait before retry number `made + 1`, or `None` when no retry is left or the wait would
/// end past `deadline`.
fn next_wait(
    settings: &RetrySettings,
    made: u32,
    retry_after: Option<Duration>,
    deadline: Deadline,
    what: &dyn std::fmt::Display,
) -> Option<Duration> {
    if made >= settings.max_retries {
        return None;
    }
    let wait = match retry_after {
        Some(asked) => asked.min(settings.max_retry_after),
        None => backoff(settings.backoff, made, MAX_BACKOFF),
    };
    if wait >= deadline.left() {
        log::info(&format!(
            "{what}: giving up, the next attempt would pass the deadline"
        ));
        return None;
    }
    Some(wait)
}

/// Exponential backoff with jitter: a random time between half and all of `first * 2^n`, at
/// most `max`.
pub fn backoff(first: Duration, n: u32, max: Duration) -> Duration {
    let full = first.saturating_mul(1u32 << n.min(16)).min(max);
    let half = full / 2;
    let spread = u64::try_from((full - half).as_nanos()).unwrap_or(u64::MAX);
    half + Duration::from_nanos(if spread == 0 {
        0
    } else {
        random() % (spread + 1)
    })
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
    use crate::error::{Error, ErrorKind};
    use std::cell::Cell;

    fn fast() -> RetrySettings {
        RetrySettings {
            max_retries: 3,
            backoff: Duration::from_millis(1),
            deadline: Duration::from_secs(5),
            max_retry_after: Duration::from_millis(5),
        }
    }

    fn retry_unless_done(o: &Result<u16>) -> Verdict {
        match o {
            Ok(200) => Verdict::Final,
            Ok(_) => Verdict::Retry {
                retry_after: Some(Duration::from_secs(30)),
            },
            Err(_) => Verdict::Retry { retry_after: None },
        }
    }

    #[test]
    fn retries_are_bounded_and_counted() {
        let (calls, retries) = (Cell::new(0), AtomicU64::new(0));
        let out = run(
            &fast(),
            "t",
            Deadline::after(fast().deadline),
            &retries,
            |_| {
                calls.set(calls.get() + 1);
                Err::<u16, _>(Error::new(ErrorKind::Transport, "refused"))
            },
            retry_unless_done,
        );
        assert_eq!(out.unwrap_err().kind(), ErrorKind::Transport);
        assert_eq!(calls.get(), 4);
        assert_eq!(retries.load(std::sync::atomic::Ordering::Relaxed), 3);
    }

    #[test]
    fn the_deadline_stops_waiting() {
        let settings = RetrySettings {
            deadline: Duration::from_millis(50),
            max_retry_after: Duration::from_secs(60),
            ..fast()
        };
        let calls = Cell::new(0);
        let started = Instant::now();
        let out = run(
            &settings,
            "t",
            Deadline::after(settings.deadline),
            &AtomicU64::new(0),
            |_| {
                calls.set(calls.get() + 1);
                Ok(503)
            },
            retry_unless_done,
        );
        assert_eq!(out.unwrap(), 503);
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
        let out = run(
            &fast(),
            "t",
            Deadline::after(Duration::ZERO),
            &AtomicU64::new(0),
            |_| {
                calls.set(calls.get() + 1);
                Ok(200)
            },
            retry_unless_done,
        );
        assert_eq!(out.unwrap_err().kind(), ErrorKind::Timeout);
        assert_eq!(calls.get(), 0);
        // And a deadline too far for the clock is no panic.
        assert!(Deadline::after(Duration::MAX).left() > Duration::from_secs(3600));
    }

    #[test]
    fn backoff_grows_with_jitter_inside_bounds() {
        let first = Duration::from_millis(100);
        for n in 0..6 {
            let full = Duration::from_millis(100 << n).min(MAX_BACKOFF);
            let d = backoff(first, n, MAX_BACKOFF);
            assert!(d >= full / 2 && d <= full, "{n}: {d:?}");
        }
        let far = backoff(first, 40, MAX_BACKOFF);
        assert!(far <= MAX_BACKOFF && far >= MAX_BACKOFF / 2);
    }
}
