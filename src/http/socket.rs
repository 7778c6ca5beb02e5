//! The socket under every exchange: a TCP connection whose connect, reads and writes all end by
//! the deadline last set, however slowly the peer sends its bytes (a server, a proxy that
//! answers CONNECT and then trickles, or the TLS handshake over either).
//!
//! The socket's timeouts are set only when the one set no longer fits the time left (it would
//! wait past the deadline, or wake up long before it), so keep-alive requests set none; the
//! liveness check of a pooled connection is one non-blocking peek.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// The time left before `deadline`, or the error of an exchange that ran out of it.
fn left_before(deadline: Instant) -> io::Result<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the exchange's deadline passed while waiting for the peer",
        ));
    }
    Ok(left)
}

/// Sets a socket timeout (through `set`) when the one set in `current` does not fit `left`:
/// it would wait past the deadline, or wake up before half of the time left.
fn fit_timeout(
    current: &mut Option<Duration>,
    left: Duration,
    set: impl FnOnce(Option<Duration>) -> io::Result<()>,
) -> io::Result<()> {
    if current.is_some_and(|c| c <= left && c * 2 >= left) {
        return Ok(());
    }
    // Three quarters of the time left: the next exchanges, with their deadline as far off,
    // still fit it. A read that wakes up early finds time left and waits again.
    let timeout = if left < Duration::from_millis(40) {
        left.max(Duration::from_millis(1))
    } else {
        left * 3 / 4
    };
    set(Some(timeout))?;
    *current = Some(timeout);
    Ok(())
}

/// Whether an I/O error only says the wait was cut short (a timeout, a signal).
fn waited(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

/// Connects to the first of `addrs` that answers, each given an equal share of the time left.
fn connect(addrs: &[SocketAddr], deadline: Instant) -> io::Result<TcpStream> {
    let mut last = io::Error::new(io::ErrorKind::ConnectionRefused, "no address to connect to");
    for (i, addr) in addrs.iter().enumerate() {
        let left = left_before(deadline)?;
        let remaining = u32::try_from(addrs.len() - i).unwrap_or(u32::MAX);
        let share = (left / remaining).max(Duration::from_millis(1));
        match TcpStream::connect_timeout(addr, share) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// A TCP connection whose every read and write ends by the deadline last set: under each HTTP
/// exchange, and under the Redis store's commands.
#[derive(Debug)]
pub struct TimedTcp {
    stream: TcpStream,
    deadline: Instant,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
}

impl TimedTcp {
    /// Connects to the first of `addrs` that answers by `deadline`.
    pub fn connect(addrs: &[SocketAddr], deadline: Instant) -> io::Result<TimedTcp> {
        let stream = connect(addrs, deadline)?;
        stream.set_nodelay(true)?;
        Ok(TimedTcp {
            stream,
            deadline,
            read_timeout: None,
            write_timeout: None,
        })
    }

    /// Reads and writes from now on end by `deadline`.
    pub fn set_deadline(&mut self, deadline: Instant) {
        self.deadline = deadline;
    }

    /// Whether a connection taken from the pool is still usable: one non-blocking peek finds
    /// neither data the peer should not have sent nor the end of the stream.
    pub fn is_open(&self) -> bool {
        nothing_waiting(&self.stream)
    }
}

impl Read for TimedTcp {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let left = left_before(self.deadline)?;
            let stream = &self.stream;
            fit_timeout(&mut self.read_timeout, left, |t| stream.set_read_timeout(t))?;
            match (&self.stream).read(buf) {
                Err(e) if waited(&e) => {}
                other => return other,
            }
        }
    }
}

impl Write for TimedTcp {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        loop {
            let left = left_before(self.deadline)?;
            let stream = &self.stream;
            fit_timeout(&mut self.write_timeout, left, |t| {
                stream.set_write_timeout(t)
            })?;
            match (&self.stream).write(buf) {
                Err(e) if waited(&e) => {}
                other => return other,
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// One non-blocking peek: whether nothing is waiting on `stream` (and it has not ended).
#[cfg(unix)]
fn nothing_waiting(stream: &std::net::TcpStream) -> bool {
    let mut byte = [0u8; 1];
    let flags = rustix::net::RecvFlags::PEEK | rustix::net::RecvFlags::DONTWAIT;
    matches!(
        rustix::net::recv(stream, &mut byte, flags),
        Err(rustix::io::Errno::AGAIN)
    )
}

/// One non-blocking peek (Windows has no per-call flag: the socket is non-blocking meanwhile).
#[cfg(not(unix))]
fn nothing_waiting(stream: &std::net::TcpStream) -> bool {
    let mut byte = [0u8; 1];
    if stream.set_nonblocking(true).is_err() {
        return false;
    }
    let peeked = stream.peek(&mut byte);
    let restored = stream.set_nonblocking(false).is_ok();
    restored && matches!(peeked, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}
