//! Loom models of the in-memory cache's concurrent parts, run by `make loom` (the crate built
//! with `--cfg loom`, so that `sync` gives loom's atomics and locks): every interleaving of the
//! threads below, within loom's preemption bound, is run and checked.

use super::copy::TokenCopy;
use super::slot::{Shared, Slot};
use super::sync::atomic::{AtomicBool, Ordering};
use crate::clock::{Clock, Deadline, ManualClock};
use crate::error::Result;
use crate::stats::Counters;
use crate::token::{Token, TokenSource};
use loom::thread;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Duration;

fn token(value: &str, clock: &ManualClock) -> Token {
    Token::new(
        value,
        clock.moment(),
        Duration::from_secs(100),
        Duration::from_secs(10),
    )
    .unwrap()
}

/// A reader with room for the short token but not the long one, while a writer replaces one by
/// the other: the reader gets the short one whole, or "too small", or nothing; its buffer is
/// changed only in the first case, and then only in the token's bytes.
#[test]
fn a_copy_is_whole_and_the_buffer_untouched_unless_copied() {
    loom::model(|| {
        let clock = Arc::new(ManualClock::new());
        let copy = Arc::new(TokenCopy::default());
        let (short, long) = (token("aaaaa", &clock), token("bbbbbbbbbbbb", &clock));
        copy.set(Some(&short));
        let writer = {
            let (copy, long) = (copy.clone(), long.clone());
            thread::spawn(move || copy.set(Some(&long)))
        };
        let mut out = [b'x'; 8];
        match copy.read_into(clock.now(), &mut out) {
            Some(Ok(n)) => assert_eq!((n, &out), (5, b"aaaaaxxx")),
            Some(Err(n)) => assert_eq!((n, &out), (12, b"xxxxxxxx")),
            None => assert_eq!(&out, b"xxxxxxxx"),
        }
        writer.join().unwrap();
    });
}

/// Readers with room for both tokens never see bytes of one with the length of the other.
#[test]
fn a_copy_is_never_torn() {
    loom::model(|| {
        let clock = Arc::new(ManualClock::new());
        let copy = Arc::new(TokenCopy::default());
        let (a, b) = (
            token("aaaaaaaaaaa", &clock),
            token("bbbbbbbbbbbbbbbb", &clock),
        );
        copy.set(Some(&a));
        let writer = {
            let (copy, b) = (copy.clone(), b.clone());
            thread::spawn(move || copy.set(Some(&b)))
        };
        let mut out = [b'x'; 16];
        match copy.read_into(clock.now(), &mut out) {
            Some(Ok(11)) => assert_eq!(&out, b"aaaaaaaaaaaxxxxx"),
            Some(Ok(16)) => assert_eq!(&out, b"bbbbbbbbbbbbbbbb"),
            None => assert_eq!(&out, b"xxxxxxxxxxxxxxxx"),
            other => panic!("unexpected read {other:?}"),
        }
        writer.join().unwrap();
    });
}

/// A reader copying into a vector of its own while a writer replaces the token by a longer one
/// gets one of them whole with its NUL, or nothing; never the bytes of one with the length of
/// the other.
#[test]
fn a_vector_copy_is_never_torn() {
    loom::model(|| {
        let clock = Arc::new(ManualClock::new());
        let copy = Arc::new(TokenCopy::default());
        let (a, b) = (token("aaaaa", &clock), token("bbbbbbbbbbbbbbb", &clock));
        copy.set(Some(&a));
        let writer = {
            let (copy, b) = (copy.clone(), b.clone());
            thread::spawn(move || copy.set(Some(&b)))
        };
        if let Some(bytes) = copy.read_with_nul(clock.now()) {
            assert!(
                bytes == b"aaaaa\0" || bytes == b"bbbbbbbbbbbbbbb\0",
                "{bytes:?}"
            );
        }
        writer.join().unwrap();
    });
}

/// Counts its fetches; each gives a token named by its number.
#[derive(Debug)]
struct Counting {
    clock: Arc<ManualClock>,
    fetches: Arc<AtomicUsize>,
}

impl TokenSource for Counting {
    fn fetch(&self, _scope: &str, _deadline: Deadline) -> Result<Token> {
        let n = self.fetches.fetch_add(1, Ordering::SeqCst);
        Ok(token(&format!("token-{n}"), &self.clock))
    }
}

fn shared(clock: &Arc<ManualClock>, fetches: &Arc<AtomicUsize>) -> Arc<Shared> {
    Arc::new(Shared {
        source: Box::new(Counting {
            clock: clock.clone(),
            fetches: fetches.clone(),
        }),
        clock: clock.clone(),
        counters: Arc::new(Counters::default()),
        closed: AtomicBool::new(false),
    })
}

/// Two callers find no token at once: one fetch, both get its token (the one that waited is
/// woken by the fetch's end, not left to its deadline).
#[test]
fn callers_without_a_token_share_one_fetch() {
    loom::model(|| {
        let clock = Arc::new(ManualClock::new());
        let fetches = Arc::new(AtomicUsize::new(0));
        let (slot, shared) = (Arc::new(Slot::default()), shared(&clock, &fetches));
        let other = {
            let (slot, shared) = (slot.clone(), shared.clone());
            thread::spawn(move || slot.fetch_now("", &shared, far()).unwrap())
        };
        let mine = slot.fetch_now("", &shared, far()).unwrap();
        let theirs = other.join().unwrap();
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        assert_eq!(mine.secret(), "token-0");
        assert_eq!(theirs.secret(), "token-0");
    });
}

/// A token in its refresh window: a background renewal and a caller that wants a fresh token
/// run at once; one fetch between them, and the caller gets the renewed token.
#[test]
fn a_renewal_and_a_caller_share_one_fetch() {
    loom::model(|| {
        let clock = Arc::new(ManualClock::new());
        let fetches = Arc::new(AtomicUsize::new(0));
        let (slot, shared) = (Arc::new(Slot::default()), shared(&clock, &fetches));
        slot.replace(|_| true, Some(Arc::new(token("old", &clock))));
        clock.advance(Duration::from_secs(95));
        let renewal = {
            let (slot, shared) = (slot.clone(), shared.clone());
            thread::spawn(move || slot.refresh("", &shared, far()))
        };
        let got = slot.fetch_now("", &shared, far()).unwrap();
        renewal.join().unwrap();
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        assert_eq!(got.secret(), "token-0");
        let now = clock.now();
        assert_eq!(
            slot.current(now, false).map(|t| t.secret().to_string()),
            Some("token-0".into())
        );
    });
}

/// Long enough never to end within a model run: a waiter that gives up is a failure here.
fn far() -> Deadline {
    Deadline::after(Duration::from_secs(3600))
}
