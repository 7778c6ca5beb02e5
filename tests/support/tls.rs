//! An HTTPS server on 127.0.0.1 with a certificate from a throwaway CA made for the test, which
//! records every request as it arrives (request line, headers in order, body) and answers token
//! requests (a path ending in `/token`) with a token and anything else with `{"ok":true}`, unless
//! a scripted answer is queued.
#![allow(dead_code)]

use super::ca::TestCa;
use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// One request as received.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// `POST /oauth2/token?grant_type=client_credentials HTTP/1.1`
    pub request_line: String,
    /// In the order received, names as sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn method(&self) -> &str {
        self.request_line.split(' ').next().unwrap_or("")
    }
    /// The request target: path and query.
    pub fn target(&self) -> &str {
        self.request_line.split(' ').nth(1).unwrap_or("")
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn header_count(&self, name: &str) -> usize {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .count()
    }
    pub fn is_token(&self) -> bool {
        self.target()
            .split('?')
            .next()
            .is_some_and(|p| p.ends_with("/token"))
    }
    /// The request as text, as it came over the wire (for the test's output).
    pub fn text(&self) -> String {
        let mut out = format!("{}\n", self.request_line);
        for (n, v) in &self.headers {
            out.push_str(&format!("{n}: {v}\n"));
        }
        out.push('\n');
        out.push_str(&String::from_utf8_lossy(&self.body));
        out
    }
}

pub struct TlsRecorder {
    pub port: u16,
    pub ca_pem: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
    script: Arc<Mutex<VecDeque<(u16, String)>>>,
}

impl TlsRecorder {
    pub fn start() -> TlsRecorder {
        let ca = TestCa::new();
        let config = ca.server_config();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let script: Arc<Mutex<VecDeque<(u16, String)>>> = Arc::default();
        let (seen, queued) = (requests.clone(), script.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (config, seen, queued) = (config.clone(), seen.clone(), queued.clone());
                std::thread::spawn(move || {
                    let Ok(conn) = rustls::ServerConnection::new(config) else {
                        return;
                    };
                    let mut tls = rustls::StreamOwned::new(conn, stream);
                    let Some(request) = read_request(&mut tls) else {
                        return;
                    };
                    let n = {
                        let mut all = seen.lock().unwrap();
                        all.push(request.clone());
                        all.len()
                    };
                    let scripted = queued.lock().unwrap().pop_front();
                    let (status, body) = scripted.unwrap_or_else(|| {
                        if request.is_token() {
                            (
                                200,
                                format!(
                                    r#"{{"access_token":"token-{n}","expires_in":3600,"token_type":"Bearer"}}"#
                                ),
                            )
                        } else {
                            (200, r#"{"ok":true}"#.to_string())
                        }
                    });
                    let response = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = tls.write_all(response.as_bytes());
                    let _ = tls.flush();
                    tls.conn.send_close_notify();
                    let _ = tls.flush();
                });
            }
        });
        TlsRecorder {
            port,
            ca_pem: ca.pem,
            requests,
            script,
        }
    }

    /// `127.0.0.1:PORT`
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    /// The next request gets this answer instead of the usual one.
    pub fn push(&self, status: u16, body: &str) {
        self.script
            .lock()
            .unwrap()
            .push_back((status, body.to_string()));
    }
}

fn read_request(stream: &mut impl Read) -> Option<Recorded> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return None,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.to_string(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = data[head_end + 4..].to_vec();
    while body.len() < length {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&buf[..n]),
        }
    }
    Some(Recorded {
        request_line,
        headers,
        body,
    })
}
