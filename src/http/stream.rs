//! The byte stream of a connection: the socket, TLS over it, or TLS to the origin inside TLS to
//! an `https://` proxy. Whatever the layers, the socket at the bottom keeps the deadline.

use super::socket::TimedTcp;
use rustls::{ClientConnection, StreamOwned};
use std::io::{self, Read, Write};

type Tls<S> = StreamOwned<ClientConnection, S>;
/// TLS over a socket: to an origin, or to an `https://` proxy.
type Layer = Tls<Prefixed<TimedTcp>>;

pub enum Stream {
    Plain(TimedTcp),
    Tls(Box<Layer>),
    TlsInTls(Box<Tls<Prefixed<Layer>>>),
}

impl Stream {
    /// The socket under every layer.
    pub fn tcp(&mut self) -> &mut TimedTcp {
        match self {
            Stream::Plain(tcp) => tcp,
            Stream::Tls(tls) => &mut tls.sock.inner,
            Stream::TlsInTls(tls) => &mut tls.sock.inner.sock.inner,
        }
    }

    /// This stream with TLS (`connection`) over it, the handshake done; `first`: bytes
    /// already read from this stream that TLS reads first (what a proxy sent right after its
    /// answer to CONNECT).
    pub fn with_tls(self, connection: ClientConnection, first: Vec<u8>) -> io::Result<Stream> {
        let stream = match self {
            Stream::Plain(tcp) => {
                Stream::Tls(Box::new(handshake(connection, Prefixed::new(first, tcp))?))
            }
            Stream::Tls(layer) => Stream::TlsInTls(Box::new(handshake(
                connection,
                Prefixed::new(first, *layer),
            )?)),
            Stream::TlsInTls(_) => {
                return Err(io::Error::other(
                    "TLS is nested only once (origin in proxy)",
                ))
            }
        };
        Ok(stream)
    }
}

/// A stream whose first bytes were already read: they are read again first.
pub struct Prefixed<S> {
    first: Vec<u8>,
    at: usize,
    inner: S,
}

impl<S> Prefixed<S> {
    fn new(first: Vec<u8>, inner: S) -> Self {
        Prefixed {
            first,
            at: 0,
            inner,
        }
    }
}

impl<S: Read> Read for Prefixed<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(first) = self.first.get(self.at..).filter(|f| !f.is_empty()) else {
            return self.inner.read(buf);
        };
        let n = first.len().min(buf.len());
        buf[..n].copy_from_slice(&first[..n]);
        self.at += n;
        Ok(n)
    }
}

impl<S: Write> Write for Prefixed<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// TLS over `inner`, the handshake done (its failure is a TLS error, before any request).
fn handshake<S: Read + Write>(
    mut connection: ClientConnection,
    mut inner: S,
) -> io::Result<Tls<S>> {
    while connection.is_handshaking() {
        connection.complete_io(&mut inner)?;
    }
    Ok(StreamOwned::new(connection, inner))
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
            Stream::TlsInTls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
            Stream::TlsInTls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
            Stream::TlsInTls(s) => s.flush(),
        }
    }
}
