//! The request of an exchange as ureq-proto takes it, made with as few allocations as the
//! `http` types allow: the URL split here (its origin picks the connection), the request's URI
//! only its path and query, the headers in the order they go out.

use super::connection::Origin;
use crate::config::url::without_query;
use crate::error::{Error, ErrorKind, Result};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Uri};
use std::fmt;
use std::time::Duration;

/// Most bytes of a token endpoint answer that are read.
pub const MAX_TOKEN_RESPONSE: u64 = 1024 * 1024;
/// `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("lucidauth/", env!("CARGO_PKG_VERSION"));

/// One request to send.
pub struct Exchange<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
    /// Most bytes of the answer's body that are read.
    pub max_body: u64,
    /// Time left before an overall deadline; the exchange's timeout is cut to it.
    pub time_left: Duration,
}

/// Header names of the library's own requests that `http` does not know: taken as they are
/// rather than copied for each request.
const KNOWN_NAMES: &[&str] = &["x-api-key", "dpop"];

/// `method` as HTTP carries it; a name that is not an HTTP token is refused.
pub fn http_method(method: &str) -> Result<Method> {
    Method::from_bytes(method.as_bytes()).map_err(|_| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("'{method}' is not an HTTP method"),
        )
    })
}

/// Where an exchange goes and its request; a method, URL or header that HTTP cannot carry is
/// refused.
pub fn prepare<'a>(x: &Exchange<'a>) -> Result<(Origin<'a>, Request<()>)> {
    let method = http_method(x.method)?;
    let parts = split(x.url).ok_or_else(|| match x.url.parse::<Uri>() {
        Err(e) => refused(x, &e),
        Ok(_) => refused(x, &"not an http:// or https:// URL with a host"),
    })?;
    let uri = match parts.path {
        "" => Ok(Uri::from_static("/")),
        path if path.starts_with('?') => Uri::try_from(format!("/{path}")),
        path => Uri::try_from(path),
    }
    .map_err(|e| refused(x, &e))?;
    let headers = headers(x, &method, parts.host_header).map_err(|e| refused(x, &e))?;
    let mut request = Request::new(());
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    *request.headers_mut() = headers;
    Ok((parts.origin, request))
}

/// The headers in the order they go out: `content-length` (for a body, or a method that has
/// one; a bodiless GET, HEAD, DELETE or OPTIONS goes without), `user-agent` and `accept` unless
/// given, `host`, then those given.
fn headers(
    x: &Exchange<'_>,
    method: &Method,
    host: &str,
) -> std::result::Result<HeaderMap, http::Error> {
    let given = |name: &HeaderName| {
        x.headers
            .iter()
            .any(|(n, _)| name.as_str().eq_ignore_ascii_case(n.trim()))
    };
    let mut headers = HeaderMap::with_capacity(x.headers.len() + 4);
    let bodiless = matches!(
        *method,
        Method::GET | Method::HEAD | Method::DELETE | Method::OPTIONS
    );
    if !(bodiless && x.body.is_empty()) {
        headers.append(header::CONTENT_LENGTH, HeaderValue::from(x.body.len()));
    }
    if !given(&header::USER_AGENT) {
        headers.append(header::USER_AGENT, HeaderValue::from_static(USER_AGENT));
    }
    if !given(&header::ACCEPT) {
        headers.append(header::ACCEPT, HeaderValue::from_static("*/*"));
    }
    headers.append(header::HOST, HeaderValue::from_str(host)?);
    for (name, value) in x.headers {
        headers.append(header_name(name)?, HeaderValue::from_str(value)?);
    }
    Ok(headers)
}

/// `name` as `http` holds it, without a copy for the names the library sends itself.
fn header_name(name: &str) -> std::result::Result<HeaderName, http::Error> {
    match KNOWN_NAMES.iter().find(|k| k.eq_ignore_ascii_case(name)) {
        Some(known) => Ok(HeaderName::from_static(known)),
        None => Ok(HeaderName::from_bytes(name.as_bytes())?),
    }
}

/// A URL's parts, borrowed from it.
#[derive(Debug, PartialEq, Eq)]
struct Parts<'a> {
    origin: Origin<'a>,
    /// `Host`: the authority, without its port when that is the scheme's default.
    host_header: &'a str,
    /// The path and query (no fragment), as written.
    path: &'a str,
}

/// `http(s)://host[:port][/path][?query][#fragment]` split; `None` for another scheme, no
/// host, a bad port, or a character a host cannot have.
fn split(url: &str) -> Option<Parts<'_>> {
    let (scheme, rest) = url.split_once("://")?;
    let https = match scheme {
        s if s.eq_ignore_ascii_case("https") => true,
        s if s.eq_ignore_ascii_case("http") => false,
        _ => return None,
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let path = path.split('#').next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let (host, port) = host_and_port(authority)?;
    let default = if https { 443 } else { 80 };
    let host_header = if port == Some(default) {
        host
    } else {
        authority
    };
    let port = port.unwrap_or(default);
    let origin = Origin { https, host, port };
    Some(Parts {
        origin,
        host_header,
        path,
    })
}

/// `host[:port]` (an IPv6 address in brackets) split; `None` when either is not valid.
fn host_and_port(authority: &str) -> Option<(&str, Option<u16>)> {
    let after_host = if authority.starts_with('[') {
        authority.find(']')? + 1
    } else {
        authority.find(':').unwrap_or(authority.len())
    };
    let (host, port) = authority.split_at(after_host);
    let host_ok = |b: u8| b.is_ascii_alphanumeric() || b"-._~%!$&'()*+,;=[]:".contains(&b);
    if host.is_empty() || !host.bytes().all(host_ok) {
        return None;
    }
    let port = match port.strip_prefix(':') {
        None if port.is_empty() => None,
        None => return None,
        Some("") => None,
        Some(digits) if digits.bytes().all(|b| b.is_ascii_digit()) => Some(digits.parse().ok()?),
        Some(_) => return None,
    };
    Some((host, port))
}

/// The error of a request that cannot be made, for `why`.
fn refused(x: &Exchange<'_>, why: &dyn fmt::Display) -> Error {
    let url = without_query(x.url);
    Error::new(
        ErrorKind::InvalidArgument,
        format!("cannot make a request to {url}: {why}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(url: &str) -> Option<(bool, &str, u16, &str, &str)> {
        split(url).map(|p| {
            let o = p.origin;
            (o.https, o.host, o.port, p.host_header, p.path)
        })
    }

    #[test]
    fn urls_are_split_as_http_reads_them() {
        assert_eq!(
            parts("https://api.lucidtech.ai/v1/documents?x=1#top"),
            Some((
                true,
                "api.lucidtech.ai",
                443,
                "api.lucidtech.ai",
                "/v1/documents?x=1"
            ))
        );
        assert_eq!(
            parts("HTTP://127.0.0.1:8080"),
            Some((false, "127.0.0.1", 8080, "127.0.0.1:8080", ""))
        );
        assert_eq!(parts("https://h:443?q"), Some((true, "h", 443, "h", "?q")));
        assert_eq!(
            parts("http://[::1]:9/t"),
            Some((false, "[::1]", 9, "[::1]:9", "/t"))
        );
        for bad in [
            "ftp://h/",
            "http:///x",
            "http://h:x/",
            "http://h:99999/",
            "http://h h/",
            "h/x",
        ] {
            assert_eq!(parts(bad), None, "{bad}");
        }
    }
}
