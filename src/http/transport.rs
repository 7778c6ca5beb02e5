//! One HTTP exchange over connections of our own: verified TLS (system roots plus `ca_file`), no
//! redirects, HTTPS through a CONNECT proxy when one is configured, a timeout per exchange and a
//! cap on how much of a body is read. A request goes through three phases: made, a connection
//! found (kept alive, or opened), the exchange driven over it.

use super::connect::Connector;
use super::connection::{Connection, Origin};
use super::exchange;
use super::failure::exchange_error;
use super::pool::Pool;
use super::proxy::ProxyRoute;
use super::request::{self, Exchange};
use super::resolver::CachingResolver;
use super::response::Response;
use super::tls;
use crate::config::url::without_query;
use crate::config::HttpConfig;
use crate::error::Result;
use crate::log;
use crate::secret::Redactor;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    ///
    /// A kept-alive connection that the server closed after the pool's liveness check (it gets
    /// the request and answers nothing, or resets) is not the server's answer: the request is
    /// sent once more on a new connection, as curl and Go's `http.Transport` do, whatever the
    /// method. Not when any byte of an answer came back.
    pub fn send(&self, x: &Exchange<'_>) -> Result<Response> {
        let (origin, request) = request::prepare(x)?;
        // Only HTTPS outside NO_PROXY goes through the proxy.
        let proxy = self.proxy.as_ref().filter(|p| p.applies_to(&origin));
        let pool = self.pool_for(proxy);
        let fail = |e| exchange_error(&where_(x, proxy), e, proxy, &self.redactor);
        let timeout = self.timeout.min(x.time_left.max(Duration::from_millis(1)));
        let deadline = crate::clock::later(Instant::now(), timeout);
        if let Some(mut kept) = pool.take(&origin) {
            kept.stream.tcp().set_deadline(deadline);
            match exchange::run(&mut kept, request, x.body, x.max_body) {
                Err(failure) if failure.is_closed_connection() && kept.heard_nothing() => {
                    log::info(&format!(
                        "{}: a kept-alive connection was closed unanswered; sending on a new one",
                        where_(x, proxy)
                    ));
                }
                outcome => return Ok(keep(pool, kept, outcome.map_err(fail)?)),
            }
            let (origin, request) = request::prepare(x)?;
            return self.send_new(x, origin, request, proxy, deadline);
        }
        self.send_new(x, origin, request, proxy, deadline)
    }

    /// The exchange on a connection opened for it.
    fn send_new(
        &self,
        x: &Exchange<'_>,
        origin: Origin<'_>,
        request: http::Request<()>,
        proxy: Option<&ProxyRoute>,
        deadline: Instant,
    ) -> Result<Response> {
        let fail = |e| exchange_error(&where_(x, proxy), e, proxy, &self.redactor);
        let mut connection = self.connector.open(origin, proxy, deadline).map_err(fail)?;
        connection.stream.tcp().set_deadline(deadline);
        let outcome = exchange::run(&mut connection, request, x.body, x.max_body);
        Ok(keep(
            self.pool_for(proxy),
            connection,
            outcome.map_err(fail)?,
        ))
    }

    /// The connections of requests through `proxy`, or of direct ones.
    fn pool_for(&self, proxy: Option<&ProxyRoute>) -> &Pool {
        if proxy.is_some() {
            &self.proxied
        } else {
            &self.direct
        }
    }
}

/// Puts `connection` back in `pool` when the exchange left it reusable; the response.
fn keep(pool: &Pool, connection: Connection, done: (Response, bool)) -> Response {
    let (response, reusable) = done;
    if reusable {
        pool.put(connection);
    }
    response
}

/// Where the exchange went, for an error message: made only when one is needed.
fn where_(x: &Exchange<'_>, proxy: Option<&ProxyRoute>) -> String {
    let url = without_query(x.url);
    match proxy {
        Some(p) => format!("{} {url} via the proxy {}", x.method, p.describe()),
        None => format!("{} {url}", x.method),
    }
}
