//! The TLS front of `--tls`: the HTTP listener ([`crate::http`]) speaks plain HTTP on an inner
//! loopback port, and this listener, the public one, terminates TLS (rustls) for each client
//! connection and passes the bytes through to a connection of its own to the inner port.
//!
//! The inner port answers only connections this front opened (see [`TlsPeers`]), so nothing
//! reaches the endpoints in plain text. Requests are recorded with the client's own address.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::open_sockets::OpenSockets;
use crate::state::lock;

/// Which inner connection carries which client's: inner local address -> client address.
#[derive(Default)]
pub(crate) struct TlsPeers(Mutex<HashMap<SocketAddr, SocketAddr>>);

impl TlsPeers {
    /// The client behind the inner connection from `inner`, if the front opened it.
    pub(crate) fn client_of(&self, inner: SocketAddr) -> Option<SocketAddr> {
        lock(&self.0).get(&inner).copied()
    }
}

/// The public listener and its accepting thread. Dropping it stops accepting, closes the
/// listener, and shuts down the client connections still open.
pub(crate) struct TlsFront {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
    /// The client sockets of the tunnels still running, so `drop` can end them.
    live: Arc<OpenSockets>,
}

impl TlsFront {
    /// Accepts TLS connections on `listener` and tunnels each to `inner`, registering it in `peers`.
    pub(crate) fn start(
        listener: TcpListener,
        config: Arc<rustls::ServerConfig>,
        inner: SocketAddr,
        peers: Arc<TlsPeers>,
    ) -> io::Result<TlsFront> {
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let live = Arc::new(OpenSockets::default());
        let (thread_stop, thread_live) = (Arc::clone(&stop), Arc::clone(&live));
        let acceptor = thread::Builder::new()
            .name("lucid-testserver-tls".to_string())
            .spawn(move || {
                for client in listener.incoming() {
                    if thread_stop.load(Ordering::SeqCst) {
                        break;
                    }
                    // A failed accept (the client gave up already) concerns no one else.
                    let Ok(client) = client else { continue };
                    let (config, peers, live) = (
                        Arc::clone(&config),
                        Arc::clone(&peers),
                        Arc::clone(&thread_live),
                    );
                    let _ = thread::Builder::new()
                        .name("lucid-testserver-tls-conn".to_string())
                        .spawn(move || {
                            let _ = run_tunnel(client, config, inner, &peers, &live);
                        });
                }
            })?;
        Ok(TlsFront {
            addr,
            stop,
            acceptor: Some(acceptor),
            live,
        })
    }

    /// The public address: `127.0.0.1:PORT`.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // One connection wakes the accepting thread, which then sees `stop`.
        let woke = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)).is_ok();
        if let Some(acceptor) = self.acceptor.take() {
            if woke {
                let _ = acceptor.join();
            }
        }
        self.live.shut_down_all();
    }
}

/// One client connection: registers it, runs both directions, and cleans up.
fn run_tunnel(
    client: TcpStream,
    config: Arc<rustls::ServerConfig>,
    inner_addr: SocketAddr,
    peers: &TlsPeers,
    live: &OpenSockets,
) -> io::Result<()> {
    let client_addr = client.peer_addr()?;
    let mut tls = rustls::ServerConnection::new(config).map_err(io::Error::other)?;
    tls.set_buffer_limit(None);
    let inner = TcpStream::connect(inner_addr)?;
    let _ = inner.set_nodelay(true);
    let _ = client.set_nodelay(true);
    let inner_local = inner.local_addr()?;
    lock(&peers.0).insert(inner_local, client_addr);
    let id = live.register(&client)?;

    let shared = Arc::new(Shared {
        conn: Mutex::new(tls),
        out: Mutex::new(client.try_clone()?),
    });
    let (down_inner, down_shared) = (inner.try_clone()?, Arc::clone(&shared));
    let down = thread::Builder::new()
        .name("lucid-testserver-tls-down".to_string())
        .spawn(move || downstream(down_inner, &down_shared));
    let up = upstream(&client, &inner, &shared);
    if up.is_err() {
        // Nothing more can reach the inner port: end both sides so the other direction ends too.
        let _ = inner.shutdown(Shutdown::Both);
        let _ = client.shutdown(Shutdown::Both);
    }
    if let Ok(down) = down {
        let _ = down.join();
    }
    live.forget(id);
    lock(&peers.0).remove(&inner_local);
    up
}

/// The TLS state both directions use, and the client socket's writing side. `out` is taken while
/// `conn` is still held, so TLS records leave in the order rustls made them.
struct Shared {
    conn: Mutex<rustls::ServerConnection>,
    out: Mutex<TcpStream>,
}

impl Shared {
    /// Runs `f` on the TLS connection, then sends the TLS records it produced (handshake
    /// messages, encrypted data, alerts), also when `f` failed.
    fn with_conn<T>(
        &self,
        f: impl FnOnce(&mut rustls::ServerConnection) -> io::Result<T>,
    ) -> io::Result<T> {
        let mut conn = lock(&self.conn);
        let result = f(&mut conn);
        let mut records = Vec::new();
        while conn.wants_write() {
            if conn.write_tls(&mut records)? == 0 {
                break;
            }
        }
        let mut out = lock(&self.out);
        drop(conn);
        out.write_all(&records)?;
        result
    }
}

/// Client to server: TLS records in, plaintext to the inner port, until the client closes.
fn upstream(mut client: &TcpStream, mut inner: &TcpStream, shared: &Shared) -> io::Result<()> {
    let mut buf = vec![0; 16 * 1024];
    loop {
        let n = client.read(&mut buf)?;
        if n == 0 {
            break;
        }
        let (plain, closed) = shared.with_conn(|conn| plaintext(conn, &buf[..n]))?;
        inner.write_all(&plain)?;
        if closed {
            break;
        }
    }
    inner.shutdown(Shutdown::Write)
}

/// Feeds `records` to rustls and takes the plaintext out, and whether the client sent
/// close_notify. A TLS error leaves an alert queued for [`Shared::with_conn`] to send.
fn plaintext(
    conn: &mut rustls::ServerConnection,
    mut records: &[u8],
) -> io::Result<(Vec<u8>, bool)> {
    let mut plain = Vec::new();
    let mut closed = false;
    while !records.is_empty() {
        conn.read_tls(&mut records)?;
        let state = conn.process_new_packets().map_err(io::Error::other)?;
        let start = plain.len();
        plain.resize(start + state.plaintext_bytes_to_read(), 0);
        conn.reader().read_exact(&mut plain[start..])?;
        closed |= state.peer_has_closed();
    }
    Ok((plain, closed))
}

/// Server to client: plaintext from the inner port, TLS records out; close_notify when it closes.
fn downstream(mut inner: TcpStream, shared: &Shared) -> io::Result<()> {
    let mut buf = vec![0; 16 * 1024];
    let result = loop {
        let n = match inner.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => n,
            Err(e) => break Err(e),
        };
        if let Err(e) = shared.with_conn(|conn| conn.writer().write_all(&buf[..n])) {
            break Err(e);
        }
    };
    if result.is_err() {
        // The client is gone: let the inner server's writes fail instead of filling the socket.
        let _ = inner.shutdown(Shutdown::Both);
    }
    let _ = shared.with_conn(|conn| {
        conn.send_close_notify();
        Ok(())
    });
    let _ = lock(&shared.out).shutdown(Shutdown::Write);
    result
}
