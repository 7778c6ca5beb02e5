//! For the proxy tests: a CA made for one test, an HTTPS token endpoint and API on 127.0.0.1
//! with a certificate from it (its PEM in `ca_pem`, to give as `ca_file`), answering
//! `/oauth2/token` with a token and any other path with `{"ok":true}` and keeping the head of
//! every request, and an HTTPS CONNECT proxy with a certificate from the same CA.

pub use super::ca::TestCa;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct TlsServer {
    /// `https://127.0.0.1:<port>`
    pub url: String,
    pub port: u16,
    pub ca_pem: String,
    heads: Arc<Mutex<Vec<String>>>,
}

impl TlsServer {
    pub fn start() -> TlsServer {
        Self::start_with(&TestCa::new())
    }

    /// A server whose certificate is from `ca`.
    pub fn start_with(ca: &TestCa) -> TlsServer {
        Self::start_with_config(ca, ca.server_config())
    }

    /// A server with `config`, whose certificate is from `ca`.
    pub fn start_with_config(ca: &TestCa, config: Arc<rustls::ServerConfig>) -> TlsServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let seen = heads.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (config, seen) = (config.clone(), seen.clone());
                std::thread::spawn(move || {
                    let Ok(conn) = rustls::ServerConnection::new(config) else {
                        return;
                    };
                    let mut tls = rustls::StreamOwned::new(conn, stream);
                    let mut buf = [0u8; 4096];
                    let mut head = Vec::new();
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match tls.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    let body = if head.contains("/oauth2/token") {
                        r#"{"access_token":"tls-token","expires_in":3600,"token_type":"Bearer"}"#
                    } else {
                        r#"{"ok":true}"#
                    };
                    seen.lock().unwrap().push(head);
                    let response = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = tls.write_all(response.as_bytes());
                    let _ = tls.flush();
                    tls.conn.send_close_notify();
                    let _ = tls.flush();
                });
            }
        });
        TlsServer {
            url: format!("https://127.0.0.1:{port}"),
            port,
            ca_pem: ca.pem.clone(),
            heads,
        }
    }

    /// The heads (request line and headers) of the requests answered so far.
    pub fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }

    pub fn requests(&self) -> usize {
        self.heads.lock().unwrap().len()
    }
}

/// An HTTPS proxy on 127.0.0.1 (TLS to the proxy, then CONNECT) with a certificate from a
/// test CA; keeps the head of every CONNECT request.
pub struct TlsProxy {
    pub url: String,
    heads: Arc<Mutex<Vec<String>>>,
}

impl TlsProxy {
    pub fn start(ca: &TestCa) -> TlsProxy {
        let config = ca.server_config();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let seen = heads.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (config, seen) = (config.clone(), seen.clone());
                std::thread::spawn(move || tunnel(config, stream, &seen));
            }
        });
        TlsProxy {
            url: format!("https://127.0.0.1:{port}"),
            heads,
        }
    }

    pub fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

/// One proxied connection: TLS from the client, its CONNECT, then bytes both ways.
fn tunnel(config: Arc<rustls::ServerConfig>, stream: TcpStream, seen: &Mutex<Vec<String>>) {
    let Ok(conn) = rustls::ServerConnection::new(config) else {
        return;
    };
    let mut tls = rustls::StreamOwned::new(conn, stream);
    let mut buf = [0u8; 16 * 1024];
    let mut head = Vec::new();
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match tls.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    seen.lock().unwrap().push(head.clone());
    let target = head
        .strip_prefix("CONNECT ")
        .and_then(|rest| rest.split(' ').next())
        .map(str::to_string);
    let Some(mut origin) = target.and_then(|t| TcpStream::connect(t).ok()) else {
        let _ = tls.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        return;
    };
    let _ = tls.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
    let _ = tls.flush();
    let tick = Some(Duration::from_millis(5));
    let _ = tls.sock.set_read_timeout(tick);
    let _ = origin.set_read_timeout(tick);
    let idle = |e: &std::io::Error| matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut);
    loop {
        match tls.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if origin.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            Err(e) if idle(&e) => {}
            Err(_) => break,
        }
        match origin.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if tls.write_all(&buf[..n]).and_then(|_| tls.flush()).is_err() {
                    break;
                }
            }
            Err(e) if idle(&e) => {}
            Err(_) => break,
        }
    }
    tls.conn.send_close_notify();
    let _ = tls.flush();
}
