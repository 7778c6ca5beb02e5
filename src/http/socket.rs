//! The socket under every exchange: a TCP connection whose connect, reads and writes all end by
//! the exchange's absolute deadline, however slowly the peer sends its bytes (a server, or a
//! proxy that answers CONNECT and then trickles). ureq's own TCP transport gives each read the
//! time its caller passes, which the CONNECT and TLS handshake code pass afresh for every read.
//!
//! The socket's timeouts are set only when the one set no longer fits the time left (it would
//! wait past the deadline, or wake up long before it), so keep-alive requests set none; the
//! liveness check of a pooled connection is one non-blocking peek, and none when the connection
//! is put back right after its last read.

use std::cell::Cell;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, ShutdownHandle,
    Transport,
};

thread_local! {
    /// When the exchange running on this thread must be over.
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Runs `exchange` with every socket connect, read and write on this thread ending by `deadline`.
pub fn with_deadline<T>(deadline: Instant, exchange: impl FnOnce() -> T) -> T {
    struct Restore(Option<Instant>);
    impl Drop for Restore {
        fn drop(&mut self) {
            DEADLINE.set(self.0);
        }
    }
    let _restore = Restore(DEADLINE.replace(Some(deadline)));
    exchange()
}

/// The deadline of one socket operation: the exchange's, or ureq's own timeout if earlier.
fn deadline_of(timeout: &NextTimeout) -> Instant {
    let now = Instant::now();
    let own = (!timeout.after.is_not_happening()).then(|| crate::clock::later(now, *timeout.after));
    match (DEADLINE.get(), own) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a
            .or(b)
            .unwrap_or_else(|| crate::clock::later(now, crate::clock::FAR)),
    }
}

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

/// Opens TCP connections whose every operation ends by the exchange's deadline.
#[derive(Debug, Default)]
pub struct DeadlineConnector;

impl<In: Transport> Connector<In> for DeadlineConnector {
    type Out = Either<In, DeadlineSocket>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        if let Some(chained) = chained {
            return Ok(Some(Either::A(chained)));
        }
        let stream = connect(&details.addrs, deadline_of(&details.timeout))?;
        if details.config.no_delay() {
            stream.set_nodelay(true)?;
        }
        let config = details.config;
        let socket = DeadlineSocket {
            stream: Arc::new(stream),
            buffers: LazyBuffers::new(config.input_buffer_size(), config.output_buffer_size()),
            read_timeout: None,
            write_timeout: None,
            just_read: false,
        };
        (details.register_shutdown)(Arc::downgrade(&socket.stream) as Weak<dyn ShutdownHandle>)?;
        Ok(Some(Either::B(socket)))
    }
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

/// A TCP connection with the exchange's deadline on each read and write.
#[derive(Debug)]
pub struct DeadlineSocket {
    /// Shared (weakly) with the agent's shutdown handle.
    stream: Arc<TcpStream>,
    buffers: LazyBuffers,
    /// The socket's timeouts as last set.
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    /// The last operation was a read, and the liveness check has not run since.
    just_read: bool,
}

impl Transport for DeadlineSocket {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        let deadline = deadline_of(&timeout);
        let stream = &*self.stream;
        let mut output = self.buffers.output().get(..amount).unwrap_or_default();
        self.just_read = false;
        while !output.is_empty() {
            let left = left_before(deadline)?;
            fit_timeout(&mut self.write_timeout, left, |t| {
                stream.set_write_timeout(t)
            })?;
            match (&*self.stream).write(output) {
                Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero).into()),
                Ok(n) => output = output.get(n..).unwrap_or_default(),
                Err(e) if waited(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        let deadline = deadline_of(&timeout);
        loop {
            let left = left_before(deadline)?;
            let stream = &*self.stream;
            fit_timeout(&mut self.read_timeout, left, |t| stream.set_read_timeout(t))?;
            match (&*self.stream).read(self.buffers.input_append_buf()) {
                Ok(n) => {
                    self.buffers.input_appended(n);
                    self.just_read = true;
                    return Ok(n > 0);
                }
                Err(e) if waited(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Right after a read (the pool taking the connection back) there is nothing to learn;
    /// otherwise one non-blocking peek: open when nothing is waiting, neither data the peer
    /// should not have sent nor the end of the stream.
    fn is_open(&mut self) -> bool {
        if std::mem::take(&mut self.just_read) {
            return true;
        }
        nothing_waiting(&self.stream)
    }
}

/// A TCP connection for a protocol client of our own (the Redis store): every read and write
/// ends by the deadline last set, however slowly the peer sends, as the transport's sockets do.
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
