//! What a failed exchange is, for the caller: ureq's errors mapped to the library's kinds, with
//! where the exchange went and nothing secret in the message.

use super::proxy::ProxyRoute;
use crate::error::{Error, ErrorKind};
use crate::secret::Redactor;

/// The error of an exchange to `where_` (through `proxy`, if one) that failed with `error`; the
/// message passes through `redactor`.
pub fn exchange_error(
    where_: &str,
    error: ureq::Error,
    proxy: Option<&ProxyRoute>,
    redactor: &Redactor,
) -> Error {
    use std::io::ErrorKind as Io;
    if let ureq::Error::ConnectProxyFailed(reason) = &error {
        return connect_failed(where_, reason, proxy, redactor);
    }
    let kind = match &error {
        ureq::Error::Timeout(_) => ErrorKind::Timeout,
        ureq::Error::Io(e) if matches!(e.kind(), Io::TimedOut | Io::WouldBlock) => {
            ErrorKind::Timeout
        }
        ureq::Error::Io(e) if caused_by_tls(e) => ErrorKind::Tls,
        ureq::Error::BodyExceedsLimit(_) => ErrorKind::TooLarge,
        ureq::Error::LargeResponseHeader(_, _) => ErrorKind::TooLarge,
        ureq::Error::Protocol(_) => ErrorKind::Protocol,
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Pem(_) => ErrorKind::Tls,
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => ErrorKind::InvalidArgument,
        _ => ErrorKind::Transport,
    };
    let detail = match &error {
        ureq::Error::BodyExceedsLimit(limit) => format!("response body larger than {limit} bytes"),
        other => other.to_string(),
    };
    Error::new(kind, redactor.scrub(&format!("{where_}: {detail}")))
}

/// The proxy did not open the tunnel. A 407 (or the 401 that tinyproxy sends for a wrong
/// password) means it refused the credentials of the proxy URL, or wants some: a configuration
/// error, not retried. Other refusals are transport errors.
fn connect_failed(
    where_: &str,
    reason: &str,
    proxy: Option<&ProxyRoute>,
    redactor: &Redactor,
) -> Error {
    // ureq's reason reads "proxy server responded 407/Proxy Authentication Required".
    let status = reason
        .split_once("responded ")
        .and_then(|(_, rest)| rest.get(..3))
        .and_then(|code| code.parse::<u16>().ok());
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
            format!("the proxy's CONNECT failed: {reason}"),
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
fn caused_by_tls(error: &std::io::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = error.get_ref().map(|e| e as _);
    while let Some(e) = cause {
        if e.is::<rustls::Error>() {
            return true;
        }
        cause = match e.downcast_ref::<std::io::Error>() {
            Some(io) => io.get_ref().map(|e| e as _),
            None => e.source(),
        };
    }
    false
}
