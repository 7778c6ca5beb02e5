//! One HTTP exchange over ureq: verified TLS (system roots plus `ca_file`), no redirects,
//! HTTPS through a CONNECT proxy when one is configured (see `proxy`), a timeout per exchange
//! and a cap on how much of a body is read.

use crate::credentials::Credentials;
use crate::endpoint::without_query;
use crate::error::{Error, ErrorKind, Result};
use crate::log;
use crate::proxy::ProxyChoice;
use once_cell::sync::Lazy;
use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use ureq::http::{self, Method};
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

/// Most bytes of a token endpoint answer that are read.
pub const MAX_TOKEN_RESPONSE: u64 = 1024 * 1024;
/// `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("lucidauth/", env!("CARGO_PKG_VERSION"));

/// What came back, fully read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// An HTTP agent with the client's TLS roots and timeouts; keeps connections alive between calls.
pub struct Transport {
    /// ureq's own reading of proxy variables is off: each request is given its proxy (or none)
    /// by `proxy`, with curl's rules.
    agent: ureq::Agent,
    timeout: Duration,
    proxy: Option<ProxyChoice>,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("timeout", &self.timeout)
            .field("proxy", &self.proxy)
            .finish_non_exhaustive()
    }
}

/// The system's trusted roots, loaded once per process and only when HTTPS is used.
static SYSTEM_ROOTS: Lazy<Vec<Certificate<'static>>> = Lazy::new(|| {
    rustls_native_certs::load_native_certs()
        .certs
        .iter()
        .map(|der| Certificate::from_der(der.as_ref()).to_owned())
        .collect()
});

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
    /// A transport for `creds`; the proxy variables are read from `env`, once, here.
    pub fn new(creds: &Credentials, env: &dyn Fn(&str) -> Option<String>) -> Result<Self> {
        let proxy = ProxyChoice::choose(creds.proxy.as_ref().map(|s| s.expose()), env)?;
        if let Some(p) = &proxy {
            let bypass = p.no_proxy();
            let except = if bypass.is_empty() {
                String::new()
            } else {
                format!(", except to NO_PROXY hosts {bypass}")
            };
            log::info(&format!("HTTPS through the proxy {}{except}", p.describe()));
        }
        let uses_tls = [&creds.token_url, &creds.api_endpoint]
            .iter()
            .any(|u| u.starts_with("https"));
        let mut roots: Vec<Certificate<'static>> = Vec::new();
        if uses_tls {
            roots.extend(SYSTEM_ROOTS.iter().cloned());
        }
        if let Some(path) = &creds.ca_file {
            roots.extend(read_pem_roots(path)?);
        }
        let tls = TlsConfig::builder()
            .root_certs(RootCerts::Specific(Arc::new(roots)))
            .build();
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .proxy(None)
            .user_agent(USER_AGENT)
            .timeout_global(Some(creds.timeout))
            .timeout_connect(Some(creds.connect_timeout.min(creds.timeout)))
            .allow_non_standard_methods(true)
            .tls_config(tls)
            .build();
        Ok(Transport {
            agent: ureq::Agent::with_parts(
                config,
                DefaultConnector::default(),
                CachingResolver::default(),
            ),
            timeout: creds.timeout,
            proxy,
        })
    }

    /// Sends one request and reads the whole answer, up to `max_body` bytes.
    pub fn send(&self, x: &Exchange<'_>) -> Result<RawResponse> {
        let method = Method::from_bytes(x.method.as_bytes()).map_err(|_| {
            let m = x.method;
            Error::new(
                ErrorKind::InvalidArgument,
                format!("'{m}' is not an HTTP method"),
            )
        })?;
        let mut builder = http::Request::builder().method(method.clone()).uri(x.url);
        for (name, value) in x.headers {
            builder = builder.header(*name, *value);
        }
        let no_body = matches!(
            method,
            Method::GET | Method::HEAD | Method::DELETE | Method::OPTIONS
        );
        let request = builder.body(x.body).map_err(|e| {
            let url = without_query(x.url);
            Error::new(
                ErrorKind::InvalidArgument,
                format!("cannot make a request to {url}: {e}"),
            )
        })?;
        let timeout = self.timeout.min(x.time_left.max(Duration::from_millis(1)));
        // Only HTTPS outside NO_PROXY goes through the proxy; connections through it and
        // direct ones are pooled apart.
        let proxy = self.proxy.as_ref().filter(|p| p.applies_to(request.uri()));
        let request = self
            .agent
            .configure_request(request)
            .timeout_global(Some(timeout))
            .proxy(proxy.map(|p| p.ureq_proxy().clone()))
            .build();
        // Where the exchange went, for an error message: made only when one is needed.
        let where_ = || match proxy {
            Some(p) => format!(
                "{method} {} via the proxy {}",
                without_query(x.url),
                p.describe()
            ),
            None => format!("{method} {}", without_query(x.url)),
        };
        let result = if no_body && x.body.is_empty() {
            self.agent.run(request.map(|_| ()))
        } else {
            self.agent.run(request)
        };
        let mut response = result.map_err(|e| transport_error(&where_(), e, proxy))?;
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
            .map_err(|e| transport_error(&where_(), e, proxy))?;
        Ok(RawResponse {
            status,
            headers,
            body,
        })
    }
}

fn read_pem_roots(path: &std::path::Path) -> Result<Vec<Certificate<'static>>> {
    let bad = |what: String| {
        Error::new(
            ErrorKind::Config,
            format!("ca_file {}: {what}", path.display()),
        )
    };
    let pem = std::fs::read(path).map_err(|e| bad(format!("cannot read: {e}")))?;
    let mut roots = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(cert)) => roots.push(cert),
            Ok(_) => {}
            Err(e) => return Err(bad(format!("not a PEM certificate bundle: {e}"))),
        }
    }
    if roots.is_empty() {
        return Err(bad("holds no certificate".to_string()));
    }
    Ok(roots)
}

fn transport_error(where_: &str, error: ureq::Error, proxy: Option<&ProxyChoice>) -> Error {
    use std::io::ErrorKind as Io;
    if let ureq::Error::ConnectProxyFailed(reason) = &error {
        return connect_failed(where_, reason, proxy);
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
    let message = format!("{where_}: {detail}");
    Error::new(kind, proxy.map_or(message.clone(), |p| p.scrub(&message)))
}

/// The proxy did not open the tunnel. A 407 (or the 401 that tinyproxy sends for a wrong
/// password) means it refused the credentials of the proxy URL, or wants some: a configuration
/// error, not retried. Other refusals are transport errors.
fn connect_failed(where_: &str, reason: &str, proxy: Option<&ProxyChoice>) -> Error {
    // ureq's reason reads "proxy server responded 407/Proxy Authentication Required".
    let status = reason
        .split_once("responded ")
        .and_then(|(_, rest)| rest.get(..3))
        .and_then(|code| code.parse::<u16>().ok());
    let with_credentials = proxy.is_some_and(ProxyChoice::has_credentials);
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
    let message = format!("{where_}: {detail}");
    let error = Error::new(kind, proxy.map_or(message.clone(), |p| p.scrub(&message)));
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

/// How long a host name's addresses are reused, as libcurl's DNS cache does by default.
const DNS_CACHE_TIME: Duration = Duration::from_secs(60);

/// ureq's resolver spawns a thread for every lookup that has a timeout, which is every request
/// here, even one that reuses a pooled connection. This one answers IP literals at once and
/// reuses a host's addresses for `DNS_CACHE_TIME`.
#[derive(Debug, Default)]
struct CachingResolver {
    inner: DefaultResolver,
    cache: Mutex<HashMap<String, (Instant, ResolvedSocketAddrs)>>,
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> std::result::Result<ResolvedSocketAddrs, ureq::Error> {
        let (Some(authority), Some(scheme)) = (uri.authority(), uri.scheme_str()) else {
            return self.inner.resolve(uri, config, timeout);
        };
        let port = authority
            .port_u16()
            .unwrap_or(if scheme == "https" { 443 } else { 80 });
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        if let Ok(ip) = host.parse::<IpAddr>() {
            let mut addrs = self.empty();
            addrs.push(SocketAddr::new(ip, port));
            return Ok(addrs);
        }
        let key = format!("{host}:{port}");
        if let Some((at, addrs)) = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            if at.elapsed() < DNS_CACHE_TIME {
                return Ok(addrs.clone());
            }
        }
        let addrs = self.inner.resolve(uri, config, timeout)?;
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, (Instant::now(), addrs.clone()));
        Ok(addrs)
    }
}
