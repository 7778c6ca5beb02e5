//! One connection to an origin (directly or through a proxy's tunnel): its stream, where it
//! goes, and the buffers its exchanges read into and write from, kept with it between
//! exchanges so that a keep-alive request allocates none; what they held is wiped after each
//! exchange (requests carry secrets, answers tokens).

use super::stream::Stream;
use std::io::{self, Read};
use zeroize::{Zeroize, Zeroizing};

/// The room first given to received bytes; the status line and headers may grow it up to
/// [`MAX_HEAD`].
const INPUT_SIZE: usize = 16 * 1024;
/// The room for a request's head and body, written in one go when they fit.
const OUTPUT_SIZE: usize = 16 * 1024;
/// Most bytes of an answer's status line and headers.
pub const MAX_HEAD: usize = 128 * 1024;

/// Where a connection goes: the origin's scheme, host (as the URL writes it) and port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin<'a> {
    pub https: bool,
    pub host: &'a str,
    pub port: u16,
}

pub struct Connection {
    pub stream: Stream,
    https: bool,
    host: String,
    port: u16,
    /// Both buffers are wiped when the connection is dropped.
    input: Zeroizing<Vec<u8>>,
    /// How much of `input` holds received bytes not used yet (from its start).
    filled: usize,
    /// How much of `input` has held bytes since it was last wiped.
    touched: usize,
    pub output: Zeroizing<Vec<u8>>,
}

impl Connection {
    pub fn new(stream: Stream, origin: Origin<'_>) -> Connection {
        Connection {
            stream,
            https: origin.https,
            host: origin.host.to_string(),
            port: origin.port,
            input: Zeroizing::new(vec![0; INPUT_SIZE]),
            filled: 0,
            touched: 0,
            output: Zeroizing::new(vec![0; OUTPUT_SIZE]),
        }
    }

    /// Whether this connection goes to `origin` (host names compared without regard to case).
    pub fn goes_to(&self, origin: &Origin<'_>) -> bool {
        self.https == origin.https
            && self.port == origin.port
            && self.host.eq_ignore_ascii_case(origin.host)
    }

    /// Where this connection goes.
    pub fn origin(&self) -> Origin<'_> {
        Origin {
            https: self.https,
            host: &self.host,
            port: self.port,
        }
    }

    /// Received bytes not used yet.
    pub fn input(&self) -> &[u8] {
        self.input.get(..self.filled).unwrap_or_default()
    }

    /// The first `amount` bytes of [`Connection::input`] are used.
    pub fn consume(&mut self, amount: usize) {
        let amount = amount.min(self.filled);
        self.input.copy_within(amount..self.filled, 0);
        self.filled -= amount;
    }

    /// Reads more bytes after those not used yet; `Ok(false)` at the end of the stream. The
    /// room grows while it is full, up to `limit`; `Ok(None)` when it is full at `limit`.
    pub fn fill(&mut self, limit: usize) -> io::Result<Option<bool>> {
        if self.filled == self.input.len() {
            if self.input.len() >= limit {
                return Ok(None);
            }
            // A new buffer rather than a reallocation, so that the old one is wiped.
            let mut grown = Zeroizing::new(vec![0; (self.input.len() * 2).min(limit)]);
            grown[..self.filled].copy_from_slice(self.input());
            self.input = grown;
        }
        let room = self.input.get_mut(self.filled..).unwrap_or_default();
        let n = self.stream.read(room)?;
        self.filled += n;
        self.touched = self.touched.max(self.filled);
        Ok(Some(n > 0))
    }

    /// Whether nothing was received since the last exchange ended (of a failed one: no byte of
    /// an answer came).
    pub fn heard_nothing(&self) -> bool {
        self.touched == 0
    }

    /// Wipes the received bytes already used (an answer may hold a token): a connection kept
    /// in the pool holds nothing of its last exchange.
    pub fn wipe_used_input(&mut self) {
        if let Some(used) = self.input.get_mut(self.filled..self.touched) {
            used.zeroize();
        }
        self.touched = self.filled;
    }
}
