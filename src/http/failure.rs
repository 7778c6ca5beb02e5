//! What a failed exchange is, for the caller: the driver's failures mapped to the library's
//! kinds, with where the exchange went and nothing secret in the message.

use super::proxy::ProxyRoute;
use crate::error::{Error, ErrorKind};
use crate::secret::Redactor;
use std::io;

/// How an exchange failed, as the driver saw it.
#[derive(Debug)]
pub enum Failure {
    /// The socket, or TLS over it: a timeout when the deadline passed.
    Io(io::Error),
    /// The TLS client could not be made for the host (a name TLS cannot verify).
    Tls(rustls::Error),
    /// The answer broke HTTP/1.1, or the request could not be written as it.
    Protocol(ureq_proto::Error),
    /// The answer's body is longer than the limit.
    BodyTooLarge(u64),
    /// The answer's status line and headers are longer than the limit.
    HeadTooLarge(usize),
    /// The proxy answered CONNECT with this status, not 200.
    ProxyRefused(u16),
    /// The proxy closed the connection without answering CONNECT.
    ProxySilent,
}

impl Failure {
    /// The connection was closed or reset under the exchange (not a timeout, nor an answer).
    pub fn is_closed_connection(&self) -> bool {
        matches!(self, Failure::Io(e) if matches!(
            e.kind(),
            io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe
                | io::ErrorKind::UnexpectedEof
        ))
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Io(e)
    }
}

impl From<ureq_proto::Error> for Failure {
    fn from(e: ureq_proto::Error) -> Self {
        Failure::Protocol(e)
    }
}

/// The error of an exchange to `where_` (through `proxy`, if one) that failed with `failure`;
/// the message passes through `redactor`.
pub fn exchange_error(
    where_: &str,
    failure: Failure,
    proxy: Option<&ProxyRoute>,
    redactor: &Redactor,
) -> Error {
    let (kind, detail) = match failure {
        Failure::ProxyRefused(code) => return connect_failed(where_, Some(code), proxy, redactor),
        Failure::ProxySilent => return connect_failed(where_, None, proxy, redactor),
        Failure::Io(e) => (io_kind(&e), e.to_string()),
        Failure::Tls(e) => (ErrorKind::Tls, e.to_string()),
        Failure::Protocol(e) => (ErrorKind::Protocol, e.to_string()),
        Failure::BodyTooLarge(limit) => (
            ErrorKind::TooLarge,
            format!("response body larger than {limit} bytes"),
        ),
        Failure::HeadTooLarge(limit) => (
            ErrorKind::TooLarge,
            format!("response status line and headers larger than {limit} bytes"),
        ),
    };
    Error::new(kind, redactor.scrub(&format!("{where_}: {detail}")))
}

/// A timeout when the deadline passed, a TLS error when rustls refused, else a transport error.
fn io_kind(e: &io::Error) -> ErrorKind {
    if matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    ) {
        ErrorKind::Timeout
    } else if caused_by_tls(e) {
        ErrorKind::Tls
    } else {
        ErrorKind::Transport
    }
}

/// The proxy did not open the tunnel (`status`: what it answered, if it did). A 407 (or the 401
/// that tinyproxy sends for a wrong password) means it refused the credentials of the proxy
/// URL, or wants some: a configuration error, not retried. Other refusals are transport errors.
fn connect_failed(
    where_: &str,
    status: Option<u16>,
    proxy: Option<&ProxyRoute>,
    redactor: &Redactor,
) -> Error {
    let with_credentials = proxy.is_some_and(ProxyRoute::has_credentials);
    let (kind, detail) = match status {
        Some(code @ (401 | 407)) if with_credentials => (
            ErrorKind::Config,
            format!("the proxy refused the credentials ({code}): check the user name and password in the proxy URL"),
        ),
        Some(code @ (401 | 407)) => (
            ErrorKind::Config,
            format!("the proxy wants credentials ({code}): give them in the proxy URL (http://user:password@host:port)"),
        ),
        Some(code) => (
            ErrorKind::Transport,
            format!("the proxy refused to open a tunnel (CONNECT answered {code})"),
        ),
        None => (
            ErrorKind::Transport,
            "the proxy's CONNECT failed: the proxy closed the connection without an answer"
                .to_string(),
        ),
    };
    let error = Error::new(kind, redactor.scrub(&format!("{where_}: {detail}")));
    match status {
        Some(code) => error.with_http_status(code),
        None => error,
    }
}

/// Whether an I/O error came from rustls (a certificate or handshake failure), however deeply
/// it was wrapped.
fn caused_by_tls(error: &io::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = error.get_ref().map(|e| e as _);
    while let Some(e) = cause {
        if e.is::<rustls::Error>() {
            return true;
        }
        cause = match e.downcast_ref::<io::Error>() {
            Some(io) => io.get_ref().map(|e| e as _),
            None => e.source(),
        };
    }
    false
}
