//! Opening a connection: the host's addresses, a socket to the first that answers by the connect
//! deadline, then for HTTPS through a proxy TLS to the proxy (when it is an `https://` one) and
//! a CONNECT tunnel, and TLS to the origin. Every step ends by the exchange's deadline.

use super::connection::{Connection, Origin};
use super::failure::Failure;
use super::proxy::ProxyRoute;
use super::request::USER_AGENT;
use super::resolver::CachingResolver;
use super::socket::TimedTcp;
use super::stream::Stream;
use rustls::pki_types::ServerName;
use rustls::ClientConfig;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Most bytes of a proxy's answer to CONNECT.
const MAX_CONNECT_ANSWER: usize = 16 * 1024;

/// What every new connection is opened with.
#[derive(Debug)]
pub struct Connector {
    pub resolver: CachingResolver,
    pub tls: Arc<ClientConfig>,
    pub connect_timeout: Duration,
}

impl Connector {
    /// A new connection to `origin`, through `proxy`'s tunnel when one is given.
    pub fn open(
        &self,
        origin: Origin<'_>,
        proxy: Option<&ProxyRoute>,
        deadline: Instant,
    ) -> Result<Connection, Failure> {
        let stream = match proxy {
            Some(p) => {
                let to_proxy = self.reach(p.tls, &p.host, p.port, deadline)?;
                let mut tunnel = Connection::new(to_proxy, origin);
                open_tunnel(&mut tunnel, origin, p)?;
                let first = tunnel.input().to_vec();
                self.with_tls(tunnel.stream, origin.host, first)?
            }
            None => self.reach(origin.https, origin.host, origin.port, deadline)?,
        };
        Ok(Connection::new(stream, origin))
    }

    /// A socket to `host:port`, with TLS over it when `tls`.
    fn reach(
        &self,
        tls: bool,
        host: &str,
        port: u16,
        deadline: Instant,
    ) -> Result<Stream, Failure> {
        let connect_by = deadline.min(crate::clock::later(Instant::now(), self.connect_timeout));
        let addrs = self.resolver.resolve(host, port, connect_by)?;
        let mut tcp = TimedTcp::connect(&addrs, connect_by)?;
        tcp.set_deadline(deadline);
        let stream = Stream::Plain(tcp);
        if tls {
            return self.with_tls(stream, host, Vec::new());
        }
        Ok(stream)
    }

    /// `stream` with TLS to `host` over it, the handshake done (`first`: bytes read from
    /// `stream` already, for TLS).
    fn with_tls(&self, stream: Stream, host: &str, first: Vec<u8>) -> Result<Stream, Failure> {
        let name = host.trim_start_matches('[').trim_end_matches(']');
        let name = ServerName::try_from(name.to_string()).map_err(|_| {
            Failure::Tls(rustls::Error::General(format!(
                "'{name}' is not a name TLS can verify"
            )))
        })?;
        let connection =
            rustls::ClientConnection::new(self.tls.clone(), name).map_err(Failure::Tls)?;
        Ok(stream.with_tls(connection, first)?)
    }
}

/// Asks the proxy at the other end of `tunnel` for a tunnel to `origin`: the CONNECT request as
/// curl and ureq write it, its answer read with ureq-proto's parser; only a 200 opens it.
fn open_tunnel(
    tunnel: &mut Connection,
    origin: Origin<'_>,
    proxy: &ProxyRoute,
) -> Result<(), Failure> {
    let target = format!("{}:{}", origin.host, origin.port);
    let mut head = format!(
        "CONNECT {target} HTTP/1.1\r\nHost: {target}\r\nUser-Agent: {USER_AGENT}\r\nProxy-Connection: Keep-Alive\r\n"
    );
    if let Some(credentials) = proxy.authorization() {
        head.push_str("Proxy-Authorization: ");
        head.push_str(credentials);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let sent = tunnel
        .stream
        .write_all(head.as_bytes())
        .and_then(|_| tunnel.stream.flush());
    zeroize::Zeroize::zeroize(&mut head);
    sent?;
    loop {
        if let Some((used, answer)) = ureq_proto::parser::try_parse_response::<64>(tunnel.input())?
        {
            tunnel.consume(used);
            return match answer.status().as_u16() {
                200 => Ok(()),
                code => Err(Failure::ProxyRefused(code)),
            };
        }
        match tunnel.fill(MAX_CONNECT_ANSWER)? {
            Some(true) => {}
            Some(false) => return Err(Failure::ProxySilent),
            None => return Err(Failure::HeadTooLarge(MAX_CONNECT_ANSWER)),
        }
    }
}
