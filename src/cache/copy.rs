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
    /// A fixed number of words, so that reading them needs no bounds checks.
    words: Box<[AtomicU64; CAPACITY / WORD]>,
}

impl Default for TokenCopy {
    fn default() -> Self {
        TokenCopy {
            seq: AtomicU64::new(0),
            len: AtomicUsize::new(0),
            fresh_until: AtomicU64::new(0),
            words: Box::new(std::array::from_fn(|_| AtomicU64::new(0))),
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
    /// writer kept changing it). `out` is written only when the answer is `Some(Ok(_))`.
    pub fn read_into(&self, now: u64, out: &mut [u8]) -> Option<Result<usize, usize>> {
        self.read(now, out.len(), |bytes| {
            out[..bytes.len()].copy_from_slice(bytes);
            bytes.len()
        })
    }

    /// The token, when it is fresh at `now`, and a NUL after it (the C API's string) in a vector
    /// of exactly that length: one allocation, made once the bytes are known whole.
    pub fn read_with_nul(&self, now: u64) -> Option<Vec<u8>> {
        let read = self.read(now, usize::MAX, |bytes| {
            let mut vec = Vec::with_capacity(bytes.len() + 1);
            vec.extend_from_slice(bytes);
            vec.push(0);
            vec
        });
        read.and_then(Result::ok)
    }

    /// Reads the token under the sequence check into a buffer of the reader's own, sized for
    /// it (a buffer of the whole capacity would be zeroed on every read), then hands its bytes
    /// to `put` if they fit in `room`.
    fn read<R>(
        &self,
        now: u64,
        room: usize,
        put: impl FnOnce(&[u8]) -> R,
    ) -> Option<Result<R, usize>> {
        match self.len.load(Ordering::Relaxed) {
            0..=64 => self.read_sized::<64, R>(now, room, put),
            65..=1280 => self.read_long::<1280, R>(now, room, put),
            _ => self.read_long::<CAPACITY, R>(now, room, put),
        }
    }

    /// [`TokenCopy::read_sized`] for longer tokens, kept apart so that the short one's frame
    /// stays small.
    #[inline(never)]
    fn read_long<const B: usize, R>(
        &self,
        now: u64,
        room: usize,
        put: impl FnOnce(&[u8]) -> R,
    ) -> Option<Result<R, usize>> {
        self.read_sized::<B, R>(now, room, put)
    }

    /// [`TokenCopy::read`] with a buffer of `B` bytes (a multiple of the word); a token that grew
    /// past it meanwhile is not read here (`None`: the caller takes the slot's path).
    fn read_sized<const B: usize, R>(
        &self,
        now: u64,
        room: usize,
        put: impl FnOnce(&[u8]) -> R,
    ) -> Option<Result<R, usize>> {
        let mut buf = [0u8; B];
        for _ in 0..4 {
            let seq = self.seq.load(Ordering::Acquire);
            if seq & 1 == 1 {
                spin_loop();
                continue;
            }
            let len = self.len.load(Ordering::Relaxed);
            let fresh = len != 0 && now < self.fresh_until.load(Ordering::Relaxed);
            let (fits, held) = (len <= room, len <= B);
            if fresh && fits && held {
                let used = len.div_ceil(WORD);
                for (chunk, word) in buf.chunks_exact_mut(WORD).zip(self.words.iter().take(used)) {
                    chunk.copy_from_slice(&word.load(Ordering::Relaxed).to_ne_bytes());
                }
            }
            fence(Ordering::Acquire);
            if self.seq.load(Ordering::Relaxed) != seq {
                continue;
            }
            return match (fresh, fits, held) {
                (false, _, _) | (true, true, false) => None,
                (true, false, _) => Some(Err(len)),
                (true, true, true) => Some(Ok(put(&buf[..len]))),
            };
        }
        None
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
    fn every_length_reads_whole_into_a_vector_with_its_nul_and_into_a_buffer() {
        let clock = ManualClock::new();
        let copy = TokenCopy::default();
        assert_eq!(copy.read_with_nul(clock.now()), None);
        // Across the reader's buffer sizes (64, 1280 and all the bytes), shorter and longer in
        // turn.
        for len in (1..=80).chain([1279, 1280, 1281, 2000, CAPACITY, 7, CAPACITY - 1]) {
            let value: String = (0..len)
                .map(|i| char::from(b'!' + (i % 90) as u8))
                .collect();
            copy.set(Some(&token(&value, &clock)));
            let bytes = copy.read_with_nul(clock.now()).unwrap();
            assert_eq!(bytes, format!("{value}\0").as_bytes(), "length {len}");
            let mut out = vec![0u8; CAPACITY];
            assert_eq!(copy.read_into(clock.now(), &mut out), Some(Ok(len)));
            assert_eq!(&out[..len], value.as_bytes());
        }
        clock.advance(Duration::from_secs(90));
        assert_eq!(copy.read_with_nul(clock.now()), None, "stale");
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
