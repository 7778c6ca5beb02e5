//! One HTTP exchange over connections of our own: verified TLS (system roots plus `ca_file`), no
//! redirects, HTTPS through a CONNECT proxy when one is configured, a timeout per exchange and a
//! cap on how much of a body is read. A request goes through three phases: made, a connection
//! found (kept alive, or opened), the exchange driven over it.

use super::connect::Connector;
use super::connection::Origin;
use super::exchange;
use super::failure::exchange_error;
use super::pool::Pool;
use super::proxy::ProxyRoute;
use super::resolver::CachingResolver;
use super::response::Response;
use super::tls;
use crate::config::url::without_query;
use crate::config::HttpConfig;
use crate::error::{Error, ErrorKind, Result};
use crate::log;
use crate::secret::Redactor;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Uri};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Most bytes of a token endpoint answer that are read.
pub const MAX_TOKEN_RESPONSE: u64 = 1024 * 1024;
/// `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("lucidauth/", env!("CARGO_PKG_VERSION"));

/// Sends requests with the client's TLS roots and timeouts; keeps connections alive between
/// calls.
pub struct Transport {
    connector: Connector,
    /// Requests that `proxy` sends through the proxy (curl's rules) reuse `proxied`
    /// connections, the others `direct` ones.
    direct: Pool,
    proxied: Pool,
    timeout: Duration,
    proxy: Option<ProxyRoute>,
    /// Every secret of the client, scrubbed from error messages.
    redactor: Arc<Redactor>,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("timeout", &self.timeout)
            .field("proxy", &self.proxy)
            .finish_non_exhaustive()
    }
}

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

impl Transport {
    pub fn new(config: HttpConfig, redactor: Arc<Redactor>) -> Result<Self> {
        let proxy = config.proxy.map(ProxyRoute::new).transpose()?;
        if let Some(p) = &proxy {
            let bypass = p.setting().no_proxy();
            let except = if bypass.is_empty() {
                String::new()
            } else {
                format!(", except to NO_PROXY hosts {bypass}")
            };
            log::info(&format!("HTTPS through the proxy {}{except}", p.describe()));
        }
        let connector = Connector {
            resolver: CachingResolver::default(),
            tls: tls::client_config(config.uses_tls, config.ca_file.as_deref())?,
            connect_timeout: config.connect_timeout,
        };
        Ok(Transport {
            connector,
            direct: Pool::default(),
            proxied: Pool::default(),
            timeout: config.timeout,
            proxy,
            redactor,
        })
    }

    /// Sends one request and reads the whole answer, up to `max_body` bytes, by the earlier of
    /// the client's timeout and the time left: every connect, handshake, CONNECT, write and read
    /// of the exchange ends by then.
    pub fn send(&self, x: &Exchange<'_>) -> Result<Response> {
        let request = make_request(x)?;
        let origin = origin_of(request.uri())
            .ok_or_else(|| refused(x, &"not an http:// or https:// URL"))?;
        // Only HTTPS outside NO_PROXY goes through the proxy.
        let proxy = self.proxy.as_ref().filter(|p| p.applies_to(request.uri()));
        let pool = if proxy.is_some() {
            &self.proxied
        } else {
            &self.direct
        };
        let fail = |e| exchange_error(&where_(x, proxy), e, proxy, &self.redactor);
        let timeout = self.timeout.min(x.time_left.max(Duration::from_millis(1)));
        let deadline = crate::clock::later(Instant::now(), timeout);
        let taken = pool.take(&origin);
        let mut connection = match taken {
            Some(connection) => connection,
            None => self.connector.open(origin, proxy, deadline).map_err(fail)?,
        };
        connection.stream.tcp().set_deadline(deadline);
        let (response, reusable) =
            exchange::run(&mut connection, request, x.body, x.max_body).map_err(fail)?;
        if reusable {
            pool.put(connection);
        }
        Ok(response)
    }
}

/// Where a request to `uri` goes; `None` for a scheme other than HTTP's.
fn origin_of(uri: &Uri) -> Option<Origin<'_>> {
    let https = match uri.scheme_str()? {
        s if s.eq_ignore_ascii_case("https") => true,
        s if s.eq_ignore_ascii_case("http") => false,
        _ => return None,
    };
    let host = uri.host().filter(|h| !h.is_empty())?;
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    Some(Origin { https, host, port })
}

/// `method` as HTTP carries it; a name that is not an HTTP token is refused.
pub fn http_method(method: &str) -> Result<Method> {
    Method::from_bytes(method.as_bytes()).map_err(|_| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("'{method}' is not an HTTP method"),
        )
    })
}

/// The request of an exchange, its headers in the order they go out: `content-length` (for a
/// body, or a method that has one; a bodiless GET, HEAD, DELETE or OPTIONS goes without),
/// `user-agent` and `accept` unless given, `host`, then those given. A method, URL or header
/// that HTTP cannot carry is refused.
fn make_request(x: &Exchange<'_>) -> Result<Request<()>> {
    let method = http_method(x.method)?;
    let uri: Uri = x.url.parse().map_err(|e| refused(x, &e))?;
    let given = |name: &HeaderName| {
        x.headers
            .iter()
            .any(|(n, _)| name.as_str().eq_ignore_ascii_case(n.trim()))
    };
    let mut headers = HeaderMap::with_capacity(x.headers.len() + 4);
    let bodiless = matches!(
        method,
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
    headers.append(header::HOST, host_value(&uri).map_err(|e| refused(x, &e))?);
    for (name, value) in x.headers {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| refused(x, &e))?;
        let value = HeaderValue::from_str(value).map_err(|e| refused(x, &e))?;
        headers.append(name, value);
    }
    let mut request = Request::new(());
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    *request.headers_mut() = headers;
    Ok(request)
}

/// `Host`: the URL's host, with its port when that is not the scheme's default.
fn host_value(uri: &Uri) -> std::result::Result<HeaderValue, http::Error> {
    let host = uri.host().unwrap_or_default();
    let default = if uri.scheme_str() == Some("https") {
        443
    } else {
        80
    };
    Ok(match uri.port_u16() {
        Some(port) if port != default => HeaderValue::try_from(format!("{host}:{port}"))?,
        _ => HeaderValue::from_str(host)?,
    })
}

/// The error of a request that cannot be made, for `why`.
fn refused(x: &Exchange<'_>, why: &dyn fmt::Display) -> Error {
    let url = without_query(x.url);
    Error::new(
        ErrorKind::InvalidArgument,
        format!("cannot make a request to {url}: {why}"),
    )
}

/// Where the exchange went, for an error message: made only when one is needed.
fn where_(x: &Exchange<'_>, proxy: Option<&ProxyRoute>) -> String {
    let url = without_query(x.url);
    match proxy {
        Some(p) => format!("{} {url} via the proxy {}", x.method, p.describe()),
        None => format!("{} {url}", x.method),
    }
}
