//! The HTTP/1.1 listener: one thread accepts on a loopback port, one thread per connection reads
//! the requests on it one after another and hands each, complete with its body, to a
//! [`Handler`]. Connections are few in tests, so a thread each costs nothing and no connection
//! waits for another (the thread pool of tiny_http, used before, could leave a connection of a
//! burst unserved until some other connection closed).
//!
//! What the reading accepts: `METHOD target HTTP/1.x`, header lines (names in any case, values
//! trimmed), a body by `Content-Length` or `Transfer-Encoding: chunked`, `Expect: 100-continue`.
//! A request it cannot read is refused (400, 413, 431, 501, 505) and the connection closed.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::open_sockets::OpenSockets;
use crate::state::lock;

/// Request bodies longer than this are refused (413); no test needs more.
pub(crate) const MAX_BODY: u64 = 16 * 1024 * 1024;

/// The request line and the header lines together, and the trailers of a chunked body, may not be
/// longer than this (431).
pub(crate) const MAX_HEAD: u64 = 64 * 1024;

/// A chunk-size line (with its extensions) may not be longer than this (400).
const MAX_CHUNK_LINE: u64 = 1024;

/// One request, read completely.
pub(crate) struct Request {
    pub(crate) method: String,
    /// As received: the path and the query.
    pub(crate) target: String,
    /// HTTP/1.0 rather than HTTP/1.1.
    pub(crate) http_1_0: bool,
    /// In order, names as sent, values trimmed.
    pub(crate) headers: Vec<(String, String)>,
    /// Decoded when it came chunked.
    pub(crate) body: Vec<u8>,
    /// The address of the connection's other end.
    pub(crate) remote_addr: SocketAddr,
}

impl Request {
    /// The first value of the header `name` (any case).
    fn header<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        self.headers_named(name).next()
    }

    fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the client lets the connection stay open after this request: not after
    /// `Connection: close` or `upgrade`, and over HTTP/1.0 only with `Connection: keep-alive`.
    pub(crate) fn client_keeps_alive(&self) -> bool {
        match self.header("connection").map(str::to_ascii_lowercase) {
            Some(value) if value.contains("close") || value.contains("upgrade") => false,
            Some(value) => !self.http_1_0 || value.contains("keep-alive"),
            None => !self.http_1_0,
        }
    }
}

/// What the server does with the requests.
pub(crate) trait Handler: Send + Sync + 'static {
    /// Writes the response to `request` on `out`; returns whether the connection stays open for
    /// another request.
    fn answer(&self, request: Request, out: &mut dyn Write) -> io::Result<bool>;

    /// Writes the response to a request that could not be read, with `status` and why; the
    /// connection is closed after it.
    fn refuse(&self, status: u16, why: &str, out: &mut dyn Write) -> io::Result<()>;
}

/// The listener and its accepting thread. Dropping it (or [`stop`](Self::stop)) stops accepting,
/// closes the listening socket, and shuts down the connections still open.
pub(crate) struct HttpServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    /// `Some` until `stop` joins it; it owns the listener.
    acceptor: Option<JoinHandle<()>>,
    live: Arc<Live>,
}

/// The connections still open, so that stopping can end them and wait for their threads.
#[derive(Default)]
struct Live {
    sockets: OpenSockets,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl HttpServer {
    /// Accepts connections on `listener` and serves each on a thread of its own.
    pub(crate) fn start(listener: TcpListener, handler: Arc<dyn Handler>) -> io::Result<Self> {
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let live = Arc::new(Live::default());
        let (thread_stop, thread_live) = (Arc::clone(&stop), Arc::clone(&live));
        let acceptor = thread::Builder::new()
            .name("lucid-testserver-accept".to_string())
            .spawn(move || accept(&listener, &handler, &thread_stop, &thread_live))?;
        Ok(HttpServer {
            addr,
            stop,
            acceptor: Some(acceptor),
            live,
        })
    }

    /// The listening address: `127.0.0.1:PORT`.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Closes the listener (before returning), shuts down the open connections and waits up to
    /// `grace` for their threads. A thread still running then is left behind: under Wine a write
    /// to a client that has gone is sometimes never woken by the shutdown. It holds only its own
    /// connection, not the listener.
    pub(crate) fn stop(&mut self, grace: Duration) {
        let deadline = Instant::now() + grace;
        self.stop.store(true, Ordering::SeqCst);
        if let Some(acceptor) = self.acceptor.take() {
            // One connection wakes the accepting thread, which then sees `stop` and returns,
            // dropping the listener.
            if TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)).is_ok() {
                let _ = acceptor.join();
            }
        }
        // The acceptor registers each connection before its thread starts, so after the join
        // every connection is here.
        self.live.sockets.shut_down_all();
        let threads = std::mem::take(&mut *lock(&self.live.threads));
        for thread in threads {
            while !thread.is_finished() && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(1));
            }
            if thread.is_finished() {
                let _ = thread.join();
            }
        }
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        if self.acceptor.is_some() {
            self.stop(Duration::ZERO);
        }
    }
}

/// The accepting thread: serves every connection until `stop`.
fn accept(listener: &TcpListener, handler: &Arc<dyn Handler>, stop: &AtomicBool, live: &Arc<Live>) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        match stream {
            Ok(stream) => live.spawn(stream, handler),
            // The client gave up already, or the process is out of descriptors for a moment.
            Err(_) => thread::sleep(Duration::from_millis(10)),
        }
    }
}

impl Live {
    /// Registers `stream` and starts its thread; a connection that cannot get one is closed.
    fn spawn(self: &Arc<Self>, stream: TcpStream, handler: &Arc<dyn Handler>) {
        let Ok(id) = self.sockets.register(&stream) else {
            return;
        };
        let (live, handler) = (Arc::clone(self), Arc::clone(handler));
        let spawned = thread::Builder::new()
            .name("lucid-testserver-conn".to_string())
            .spawn(move || {
                serve(stream, handler.as_ref());
                live.sockets.forget(id);
            });
        match spawned {
            Ok(thread) => {
                let mut threads = lock(&self.threads);
                threads.retain(|t| !t.is_finished());
                threads.push(thread);
            }
            Err(_) => self.sockets.forget(id),
        }
    }
}

/// Why a request was not handed to the handler.
enum Failure {
    /// The connection failed or the client closed it before a request: nothing to answer.
    Gone,
    /// A request that cannot be read: refused with this status and why, then closed.
    Refused(u16, &'static str),
}

/// One connection: reads and answers requests until either side closes it.
fn serve(stream: TcpStream, handler: &dyn Handler) {
    let (Ok(remote_addr), Ok(read_half)) = (stream.peer_addr(), stream.try_clone()) else {
        return;
    };
    let _ = stream.set_nodelay(true);
    let mut reader = BufReader::new(read_half);
    let mut out = &stream;
    loop {
        match read_request(&mut reader, &mut out, remote_addr) {
            Ok(Some(request)) => match handler.answer(request, &mut out) {
                Ok(true) => {}
                Ok(false) | Err(_) => break,
            },
            Ok(None) | Err(Failure::Gone) => break,
            Err(Failure::Refused(status, why)) => {
                if handler.refuse(status, why, &mut out).is_ok() {
                    linger(&stream, reader.get_mut());
                }
                break;
            }
        }
    }
}

/// After a refusal: ends the sending side, then reads what the client still sends for a moment.
/// Closing with unread data would reset the connection, and the client might lose the answer.
fn linger(stream: &TcpStream, mut reader: &TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
    let deadline = Instant::now() + Duration::from_secs(1);
    let mut buf = [0u8; 8192];
    while Instant::now() < deadline {
        match reader.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
}

/// Reads one request; `None` when the client closed the connection before starting one.
/// `Expect: 100-continue` is answered before the body is read.
fn read_request(
    reader: &mut impl BufRead,
    out: &mut impl Write,
    remote_addr: SocketAddr,
) -> Result<Option<Request>, Failure> {
    let Some(lines) = read_head(reader)? else {
        return Ok(None);
    };
    let (first, header_lines) = lines.split_first().ok_or(Failure::Gone)?;
    let (method, target, http_1_0) = parse_request_line(first)?;
    let mut request = Request {
        method,
        target,
        http_1_0,
        headers: parse_headers(header_lines)?,
        body: Vec::new(),
        remote_addr,
    };
    let framing = framing(&request)?;
    let continues = request
        .header("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
    if continues && !http_1_0 && !matches!(framing, Framing::Length(0)) {
        out.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .and_then(|()| out.flush())
            .map_err(|_| Failure::Gone)?;
    }
    request.body = match framing {
        Framing::Length(length) => read_exactly(reader, length)?,
        Framing::Chunked => read_chunked(reader)?,
    };
    Ok(Some(request))
}

/// One line of at most `limit` bytes, without its line end (CRLF or LF); `None` when the stream
/// ends before any byte.
fn read_line(reader: &mut impl BufRead, limit: u64) -> Result<Option<Vec<u8>>, LineError> {
    let mut line = Vec::new();
    let n = reader
        .take(limit)
        .read_until(b'\n', &mut line)
        .map_err(|_| LineError::Gone)?;
    if line.pop() != Some(b'\n') {
        return match n {
            _ if n as u64 >= limit => Err(LineError::TooLong),
            0 => Ok(None),
            _ => Err(LineError::Ended),
        };
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(Some(line))
}

/// Why [`read_line`] found no line.
enum LineError {
    /// The connection failed.
    Gone,
    /// `limit` bytes and no line end.
    TooLong,
    /// The stream ended within the line.
    Ended,
}

impl LineError {
    /// The failure in a request: a line too long is `too_long`.
    fn in_request(self, too_long: Failure) -> Failure {
        match self {
            LineError::Gone => Failure::Gone,
            LineError::TooLong => too_long,
            LineError::Ended => ended(),
        }
    }
}

fn ended() -> Failure {
    Failure::Refused(400, "the request ended early")
}

fn head_too_large() -> Failure {
    Failure::Refused(431, "the request head is longer than 64 KiB")
}

fn body_too_large() -> Failure {
    Failure::Refused(413, "the request body is longer than 16 MiB")
}

/// The request line and the header lines of a request, at most [`MAX_HEAD`] bytes together.
/// Empty lines before the request line are skipped. `None` when the stream ends before a request.
fn read_head(reader: &mut impl BufRead) -> Result<Option<Vec<String>>, Failure> {
    let mut lines = Vec::new();
    let mut budget = MAX_HEAD;
    loop {
        let line = match read_line(reader, budget) {
            Ok(Some(line)) => line,
            Ok(None) if lines.is_empty() => return Ok(None),
            Ok(None) => return Err(ended()),
            Err(e) => return Err(e.in_request(head_too_large())),
        };
        // The line end counts too: an endless run of empty lines runs out of budget.
        budget = budget.saturating_sub(line.len() as u64 + 1);
        if line.is_empty() {
            if lines.is_empty() {
                continue;
            }
            return Ok(Some(lines));
        }
        let line = String::from_utf8(line)
            .map_err(|_| Failure::Refused(400, "the request head is not UTF-8"))?;
        lines.push(line);
    }
}

/// `METHOD target HTTP/1.x` -> (method, target, whether HTTP/1.0).
fn parse_request_line(line: &str) -> Result<(String, String, bool), Failure> {
    let malformed = Failure::Refused(400, "malformed request line");
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed);
    };
    let target_ok = !target.is_empty() && !target.chars().any(|c| c.is_control());
    if method.is_empty() || !method.bytes().all(is_token_byte) || !target_ok {
        return Err(malformed);
    }
    let http_1_0 = match version.strip_prefix("HTTP/").map(str::as_bytes) {
        Some([b'1', b'.', minor]) if minor.is_ascii_digit() => *minor == b'0',
        Some([major, b'.', minor]) if major.is_ascii_digit() && minor.is_ascii_digit() => {
            return Err(Failure::Refused(505, "only HTTP/1.x is spoken here"));
        }
        _ => return Err(malformed),
    };
    Ok((method.to_string(), target.to_string(), http_1_0))
}

/// A `tchar` of RFC 9110 §5.6.2: what methods and header names are made of.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// `Name: value` lines -> (name, trimmed value). Folded lines (obsolete) are refused.
fn parse_headers(lines: &[String]) -> Result<Vec<(String, String)>, Failure> {
    let malformed = || Failure::Refused(400, "malformed header line");
    lines
        .iter()
        .map(|line| {
            let (name, value) = line.split_once(':').ok_or_else(malformed)?;
            if name.is_empty() || !name.bytes().all(is_token_byte) {
                return Err(malformed());
            }
            Ok((name.to_string(), value.trim().to_string()))
        })
        .collect()
}

/// How the length of a request body is known.
#[derive(Clone, Copy)]
enum Framing {
    Length(u64),
    Chunked,
}

/// The body framing the headers declare: `Transfer-Encoding: chunked`, else `Content-Length`
/// (the same value however often repeated), else no body.
fn framing(request: &Request) -> Result<Framing, Failure> {
    let codings: Vec<&str> = request
        .headers_named("transfer-encoding")
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut lengths = request
        .headers_named("content-length")
        .flat_map(|v| v.split(','))
        .map(str::trim);
    if !codings.is_empty() {
        if lengths.next().is_some() {
            return Err(Failure::Refused(
                400,
                "both Transfer-Encoding and Content-Length",
            ));
        }
        return match codings.as_slice() {
            [coding] if coding.eq_ignore_ascii_case("chunked") => Ok(Framing::Chunked),
            _ => Err(Failure::Refused(
                501,
                "only the chunked transfer coding is read",
            )),
        };
    }
    let Some(first) = lengths.next() else {
        return Ok(Framing::Length(0));
    };
    if lengths.any(|other| other != first) {
        return Err(Failure::Refused(400, "conflicting Content-Length values"));
    }
    if first.is_empty() || !first.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Failure::Refused(400, "malformed Content-Length"));
    }
    // All digits: a number that does not fit is too large.
    match first.parse::<u64>() {
        Ok(length) if length <= MAX_BODY => Ok(Framing::Length(length)),
        _ => Err(body_too_large()),
    }
}

/// Exactly `length` bytes (at most [`MAX_BODY`], checked by [`framing`]).
fn read_exactly(reader: &mut impl BufRead, length: u64) -> Result<Vec<u8>, Failure> {
    let mut body = Vec::new();
    append(reader, length, &mut body)?;
    Ok(body)
}

/// Appends exactly `length` bytes to `body`.
fn append(reader: &mut impl BufRead, length: u64, body: &mut Vec<u8>) -> Result<(), Failure> {
    let start = body.len();
    reader
        .take(length)
        .read_to_end(body)
        .map_err(|_| Failure::Gone)?;
    if ((body.len() - start) as u64) < length {
        return Err(ended());
    }
    Ok(())
}

/// A chunked body, decoded (chunk extensions and trailers are read and dropped).
fn read_chunked(reader: &mut impl BufRead) -> Result<Vec<u8>, Failure> {
    let malformed = || Failure::Refused(400, "malformed chunked body");
    let mut body = Vec::new();
    loop {
        let line = read_line(reader, MAX_CHUNK_LINE)
            .map_err(|e| e.in_request(malformed()))?
            .ok_or_else(ended)?;
        let size = chunk_size(&line).ok_or_else(malformed)?;
        if size == 0 {
            break;
        }
        if size > MAX_BODY - body.len() as u64 {
            return Err(body_too_large());
        }
        append(reader, size, &mut body)?;
        let end = read_line(reader, 2)
            .map_err(|e| e.in_request(malformed()))?
            .ok_or_else(ended)?;
        if !end.is_empty() {
            return Err(malformed());
        }
    }
    skip_trailers(reader)?;
    Ok(body)
}

/// The hexadecimal size at the start of a chunk-size line, before any `;` extension.
fn chunk_size(line: &[u8]) -> Option<u64> {
    let line = std::str::from_utf8(line).ok()?;
    let hex = line.split(';').next()?.trim();
    if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(hex, 16).ok()
}

/// The trailer lines after the last chunk, up to the empty line; at most [`MAX_HEAD`] bytes.
fn skip_trailers(reader: &mut impl BufRead) -> Result<(), Failure> {
    let mut budget = MAX_HEAD;
    loop {
        let line = read_line(reader, budget)
            .map_err(|e| e.in_request(head_too_large()))?
            .ok_or_else(ended)?;
        if line.is_empty() {
            return Ok(());
        }
        budget = budget.saturating_sub(line.len() as u64 + 1);
    }
}

/// The usual reason phrase of a status code (those tiny_http used); "Unknown" for others.
pub(crate) fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        102 => "Processing",
        103 => "Early Hints",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        207 => "Multi-Status",
        208 => "Already Reported",
        226 => "IM Used",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        305 => "Use Proxy",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400..=499 => client_error_phrase(status),
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        506 => "Variant Also Negotiates",
        507 => "Insufficient Storage",
        508 => "Loop Detected",
        510 => "Not Extended",
        511 => "Network Authentication Required",
        _ => "Unknown",
    }
}

/// [`reason_phrase`] of the 4xx codes.
fn client_error_phrase(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Payload Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        421 => "Misdirected Request",
        422 => "Unprocessable Entity",
        423 => "Locked",
        424 => "Failed Dependency",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        451 => "Unavailable For Legal Reasons",
        _ => "Unknown",
    }
}
