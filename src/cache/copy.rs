//! A lock-free copy of a slot's current token for the hot read: a reader copies its bytes out
//! under a sequence counter (a seqlock made of atomics) and so never takes a lock, touches a
//! reference count or writes shared memory. Writers are serialized by the slot's write lock.

use super::sync::atomic::{fence, AtomicU64, AtomicUsize, Ordering};
use super::sync::spin_loop;
use crate::token::Token;

/// Longer tokens are not copied here; they are read through the slot's lock instead.
pub const CAPACITY: usize = if cfg!(loom) { 16 } else { 4096 };
const WORD: usize = std::mem::size_of::<u64>();

#[derive(Debug)]
pub struct TokenCopy {
    /// Odd while a writer changes the copy.
    seq: AtomicU64,
    /// Bytes of the token; 0 when there is none.
    len: AtomicUsize,
    /// Monotonic nanoseconds until which the token is fresh.
    fresh_until: AtomicU64,
    words: Box<[AtomicU64]>,
}

impl Default for TokenCopy {
    fn default() -> Self {
        TokenCopy {
            seq: AtomicU64::new(0),
            len: AtomicUsize::new(0),
            fresh_until: AtomicU64::new(0),
            words: (0..CAPACITY / WORD).map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

impl TokenCopy {
    /// Makes `token` (or none) the copy. Callers never run this from two threads at once.
    pub fn set(&self, token: Option<&Token>) {
        let seq = self.seq.load(Ordering::Relaxed);
        self.seq.store(seq.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::Release);
        let fitting = token.filter(|t| t.secret().len() <= CAPACITY);
        let bytes = fitting.map_or(&[][..], |t| t.secret().as_bytes());
        for (word, chunk) in self.words.iter().zip(bytes.chunks(WORD)) {
            let mut buf = [0u8; WORD];
            buf[..chunk.len()].copy_from_slice(chunk);
            word.store(u64::from_ne_bytes(buf), Ordering::Relaxed);
        }
        // Wipe what is left of a longer token before.
        let used = bytes.len().div_ceil(WORD);
        let before = self.len.load(Ordering::Relaxed).div_ceil(WORD);
        for word in self.words.iter().take(before).skip(used) {
            word.store(0, Ordering::Relaxed);
        }
        self.len.store(bytes.len(), Ordering::Relaxed);
        self.fresh_until
            .store(fitting.map_or(0, Token::stale_at), Ordering::Relaxed);
        self.seq.store(seq.wrapping_add(2), Ordering::Release);
    }

    /// Copies the token into `out` when it is fresh at `now`: `Some(Ok(len))` when copied,
    /// `Some(Err(len))` when it does not fit, `None` when there is no fresh token here (or a
    /// writer kept changing it). `out` is written only when the answer is `Some(Ok(_))`: the
    /// words are read into a buffer of the reader's own and copied out once the sequence check
    /// has shown them whole.
    pub fn read_into(&self, now: u64, out: &mut [u8]) -> Option<Result<usize, usize>> {
        let mut words = [0u64; CAPACITY / WORD];
        for _ in 0..4 {
            let seq = self.seq.load(Ordering::Acquire);
            if seq & 1 == 1 {
                spin_loop();
                continue;
            }
            let len = self.len.load(Ordering::Relaxed);
            let fresh = len != 0 && now < self.fresh_until.load(Ordering::Relaxed);
            let used = len.div_ceil(WORD).min(words.len());
            let fits = len <= out.len();
            if fresh && fits {
                for (mine, word) in words.iter_mut().zip(&self.words[..used]) {
                    *mine = word.load(Ordering::Relaxed);
                }
            }
            fence(Ordering::Acquire);
            if self.seq.load(Ordering::Relaxed) != seq {
                continue;
            }
            return match (fresh, out.get_mut(..len)) {
                (false, _) => None,
                (true, None) => Some(Err(len)),
                (true, Some(dest)) => {
                    copy_words(&words[..used], dest);
                    Some(Ok(len))
                }
            };
        }
        None
    }
}

/// Copies `dest.len()` bytes of `words` into `dest`: whole words as fixed-size copies (a move
/// each, no memmove call), then the last bytes one by one.
fn copy_words(words: &[u64], dest: &mut [u8]) {
    let mut chunks = dest.chunks_exact_mut(WORD);
    let mut words = words.iter();
    for (chunk, word) in chunks.by_ref().zip(words.by_ref()) {
        chunk.copy_from_slice(&word.to_ne_bytes());
    }
    let tail = chunks.into_remainder();
    if let Some(word) = words.next() {
        for (d, s) in tail.iter_mut().zip(word.to_ne_bytes()) {
            *d = s;
        }
    }
}

impl Drop for TokenCopy {
    /// The copy holds a secret: wipe it.
    fn drop(&mut self) {
        self.set(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};
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

    #[test]
    fn copies_while_fresh_and_says_when_it_does_not_fit() {
        let clock = ManualClock::new();
        let copy = TokenCopy::default();
        let mut out = [b'x'; 64];
        assert_eq!(copy.read_into(clock.now(), &mut out), None);
        copy.set(Some(&token("a-longer-token-of-27-bytes!", &clock)));
        assert_eq!(copy.read_into(clock.now(), &mut out), Some(Ok(27)));
        assert_eq!(&out[..27], b"a-longer-token-of-27-bytes!");
        let mut small = [b'x'; 26];
        assert_eq!(copy.read_into(clock.now(), &mut small), Some(Err(27)));
        assert_eq!(small, [b'x'; 26], "nothing copied");
        copy.set(Some(&token("short", &clock)));
        out = [b'x'; 64];
        assert_eq!(copy.read_into(clock.now(), &mut out), Some(Ok(5)));
        assert_eq!(&out[..6], b"shortx");
        assert!(
            copy.words[1..4]
                .iter()
                .all(|w| w.load(Ordering::Relaxed) == 0),
            "old bytes wiped"
        );
        clock.advance(Duration::from_secs(90));
        assert_eq!(copy.read_into(clock.now(), &mut out), None, "stale");
        copy.set(None);
        assert_eq!(copy.read_into(0, &mut out), None);
    }

    #[test]
    fn readers_never_see_a_torn_token() {
        let clock = ManualClock::new();
        let copy = TokenCopy::default();
        let (a, b) = ("a".repeat(1000), "b".repeat(1000));
        let (ta, tb) = (token(&a, &clock), token(&b, &clock));
        copy.set(Some(&ta));
        let stop = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                for i in 0..20_000 {
                    copy.set(Some(if i % 2 == 0 { &tb } else { &ta }));
                }
                stop.store(true, Ordering::SeqCst);
            });
            let mut out = vec![0u8; 1000];
            while !stop.load(Ordering::SeqCst) {
                if let Some(Ok(n)) = copy.read_into(clock.now(), &mut out) {
                    assert_eq!(n, 1000);
                    assert!(out.iter().all(|c| *c == out[0]), "a torn read");
                }
            }
        });
    }
}
