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
    /// writer kept changing it). `out` is written only when the answer is `Some(Ok(_))`.
    pub fn read_into(&self, now: u64, out: &mut [u8]) -> Option<Result<usize, usize>> {
        self.read(now, out.len(), |words, len| {
            copy_words(words, &mut out[..len]);
            len
        })
    }

    /// The token, when it is fresh at `now`, in a vector of its length with room for one byte
    /// more (the C API's NUL): one allocation, made once the bytes are known whole.
    pub fn read_to_vec(&self, now: u64) -> Option<Vec<u8>> {
        let read = self.read(now, usize::MAX, |words, len| {
            let mut bytes = Vec::with_capacity(len + 1);
            let whole = len / WORD;
            for word in words.iter().take(whole) {
                bytes.extend_from_slice(&word.to_ne_bytes());
            }
            if let Some(last) = words.get(whole) {
                bytes.extend_from_slice(&last.to_ne_bytes()[..len % WORD]);
            }
            bytes
        });
        read.and_then(Result::ok)
    }

    /// Reads the words under the sequence check into a buffer of the reader's own, sized for
    /// the token (a buffer of the whole capacity would be zeroed on every read), then hands them
    /// and the length to `put` if the token fits in `room` bytes.
    fn read<R>(
        &self,
        now: u64,
        room: usize,
        put: impl FnOnce(&[u64], usize) -> R,
    ) -> Option<Result<R, usize>> {
        match self.len.load(Ordering::Relaxed).div_ceil(WORD) {
            0..=8 => self.read_words::<8, R>(now, room, put),
            9..=160 => self.read_words::<160, R>(now, room, put),
            _ => self.read_words::<{ CAPACITY / WORD }, R>(now, room, put),
        }
    }

    /// [`TokenCopy::read`] with a buffer of `N` words; a token that grew past it meanwhile is
    /// not read here (`None`: the caller takes the slot's path).
    fn read_words<const N: usize, R>(
        &self,
        now: u64,
        room: usize,
        put: impl FnOnce(&[u64], usize) -> R,
    ) -> Option<Result<R, usize>> {
        let mut words = [0u64; N];
        for _ in 0..4 {
            let seq = self.seq.load(Ordering::Acquire);
            if seq & 1 == 1 {
                spin_loop();
                continue;
            }
            let len = self.len.load(Ordering::Relaxed);
            let fresh = len != 0 && now < self.fresh_until.load(Ordering::Relaxed);
            let used = len.div_ceil(WORD);
            let fits = len <= room;
            if fresh && fits && used <= N {
                for (mine, word) in words.iter_mut().zip(self.words.iter().take(used)) {
                    *mine = word.load(Ordering::Relaxed);
                }
            }
            fence(Ordering::Acquire);
            if self.seq.load(Ordering::Relaxed) != seq {
                continue;
            }
            return match (fresh, fits) {
                (false, _) => None,
                _ if used > N => None,
                (true, false) => Some(Err(len)),
                (true, true) => Some(Ok(put(&words[..used], len))),
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
    fn every_length_reads_whole_into_a_vector_and_a_buffer_with_room_for_the_nul() {
        let clock = ManualClock::new();
        let copy = TokenCopy::default();
        assert_eq!(copy.read_to_vec(clock.now()), None);
        // Across the reader's buffer sizes (8, 160 and all the words), shorter and longer in turn.
        for len in (1..=80).chain([1279, 1280, 1281, 2000, CAPACITY, 7, CAPACITY - 1]) {
            let value: String = (0..len)
                .map(|i| char::from(b'!' + (i % 90) as u8))
                .collect();
            copy.set(Some(&token(&value, &clock)));
            let bytes = copy.read_to_vec(clock.now()).unwrap();
            assert_eq!(bytes, value.as_bytes(), "length {len}");
            assert!(bytes.capacity() > len, "room for the NUL at length {len}");
            let mut out = vec![0u8; CAPACITY];
            assert_eq!(copy.read_into(clock.now(), &mut out), Some(Ok(len)));
            assert_eq!(&out[..len], value.as_bytes());
        }
        clock.advance(Duration::from_secs(90));
        assert_eq!(copy.read_to_vec(clock.now()), None, "stale");
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
