//! One HTTP exchange over ureq: verified TLS (system roots plus `ca_file`), no redirects,
//! HTTPS through a CONNECT proxy when one is configured, a timeout per exchange and a cap on
//! how much of a body is read. A request goes through three phases: made, sent, read.

use super::failure::exchange_error;
use super::proxy::ProxyRoute;
use super::resolver::CachingResolver;
use super::response::Response;
use super::socket::{with_deadline, DeadlineConnector};
use super::tls;
use crate::config::url::without_query;
use crate::config::HttpConfig;
use crate::error::{Error, ErrorKind, Result};
use crate::log;
use crate::secret::Redactor;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use ureq::http::{self, Method};
use ureq::tls::{RootCerts, TlsConfig};
use ureq::unversioned::transport::{ConnectProxyConnector, Connector, RustlsConnector};

/// Most bytes of a token endpoint answer that are read.
pub const MAX_TOKEN_RESPONSE: u64 = 1024 * 1024;
/// `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("lucidauth/", env!("CARGO_PKG_VERSION"));

/// An HTTP agent with the client's TLS roots and timeouts; keeps connections alive between calls.
pub struct Transport {
    /// ureq's own reading of proxy variables is off: requests that `proxy` sends through the
    /// proxy (curl's rules) go by `proxied`, the others by `direct`; each has its own pool.
    direct: ureq::Agent,
    proxied: Option<ureq::Agent>,
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
        let roots = tls::roots(config.uses_tls, config.ca_file.as_deref())?;
        let tls = TlsConfig::builder()
            .root_certs(RootCerts::Specific(Arc::new(roots)))
            .build();
        let agent = |proxy: Option<&ProxyRoute>| {
            let agent_config = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .proxy(proxy.map(|p| p.ureq_proxy().clone()))
                .user_agent(USER_AGENT)
                .timeout_connect(Some(config.connect_timeout))
                .allow_non_standard_methods(true)
                .tls_config(tls.clone())
                .build();
            ureq::Agent::with_parts(agent_config, connector(), CachingResolver::default())
        };
        Ok(Transport {
            direct: agent(None),
            proxied: proxy.as_ref().map(|p| agent(Some(p))),
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
        // Only HTTPS outside NO_PROXY goes through the proxy.
        let proxy = self.proxy.as_ref().filter(|p| p.applies_to(request.uri()));
        let agent = match (proxy, &self.proxied) {
            (Some(_), Some(proxied)) => proxied,
            _ => &self.direct,
        };
        let fail = |e| exchange_error(&where_(x, proxy), e, proxy, &self.redactor);
        let timeout = self.timeout.min(x.time_left.max(Duration::from_millis(1)));
        let deadline = crate::clock::later(Instant::now(), timeout);
        with_deadline(deadline, || {
            let mut response = run(agent, request, x).map_err(fail)?;
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let body = response
                .body_mut()
                .with_config()
                .limit(x.max_body)
                .read_to_vec()
                .map_err(fail)?;
            Ok(Response {
                status,
                headers,
                body,
            })
        })
    }
}

/// ureq's connectors in ureq's order, with the deadline-keeping socket in place of its TCP one:
/// a CONNECT tunnel through the proxy (itself reached through this chain), else a socket; TLS
/// over either for HTTPS.
fn connector() -> impl Connector {
    ().chain(ConnectProxyConnector::default())
        .chain(DeadlineConnector)
        .chain(RustlsConnector::default())
}

/// Sends `request`; a bodiless method without a body goes without a `Content-Length`.
fn run(
    agent: &ureq::Agent,
    request: http::Request<&[u8]>,
    x: &Exchange<'_>,
) -> std::result::Result<http::Response<ureq::Body>, ureq::Error> {
    let no_body = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::DELETE | Method::OPTIONS
    ) && x.body.is_empty();
    if no_body {
        agent.run(request.map(|_| ()))
    } else {
        agent.run(request)
    }
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

/// The request of an exchange; a method or header that HTTP cannot carry is refused.
fn make_request<'a>(x: &Exchange<'a>) -> Result<http::Request<&'a [u8]>> {
    let method = http_method(x.method)?;
    let mut builder = http::Request::builder().method(method).uri(x.url);
    for (name, value) in x.headers {
        builder = builder.header(*name, *value);
    }
    builder.body(x.body).map_err(|e| {
        let url = without_query(x.url);
        Error::new(
            ErrorKind::InvalidArgument,
            format!("cannot make a request to {url}: {e}"),
        )
    })
}

/// Where the exchange went, for an error message: made only when one is needed.
fn where_(x: &Exchange<'_>, proxy: Option<&ProxyRoute>) -> String {
    let url = without_query(x.url);
    match proxy {
        Some(p) => format!("{} {url} via the proxy {}", x.method, p.describe()),
        None => format!("{} {url}", x.method),
    }
}
