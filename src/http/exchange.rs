//! One request and its answer over a connection, driven through ureq-proto's HTTP/1.1 client
//! state machine: the head (and the body, when it fits) written in one go, the answer's status
//! line and headers read, then its body up to a limit; whether the connection may be used
//! again is the machine's verdict (and nothing left unread).

use super::connection::{Connection, MAX_HEAD};
use super::failure::Failure;
use super::response::Response;
use http::Request;
use std::io::{self, Write};
use ureq_proto::client::state::{RecvBody, RecvResponse, SendBody, SendRequest};
use ureq_proto::client::{
    Await100Result, Call, RecvBodyResult, RecvResponseResult, SendRequestResult,
};
use ureq_proto::BodyMode;
use zeroize::Zeroize;

/// The room a body of unknown length is first given.
const BODY_START: usize = 8 * 1024;

/// Sends `request` with `body` over `connection` and reads the whole answer, its body up to
/// `max_body` bytes; the flag says whether the connection may carry another exchange.
pub fn run(
    connection: &mut Connection,
    request: Request<()>,
    body: &[u8],
    max_body: u64,
) -> Result<(Response, bool), Failure> {
    let mut call = Call::new(request)?;
    call.allow_non_standard_methods(true);
    let call = send(connection, call.proceed(), body)?;
    let (answer, next) = receive_head(connection, call)?;
    let mut response = Response::from_head(answer.status().as_u16(), answer.headers());
    let reusable = match next {
        RecvResponseResult::RecvBody(call) => {
            let (body, reusable) = receive_body(connection, call, max_body)?;
            response.body = body;
            reusable
        }
        RecvResponseResult::Redirect(_) => false,
        RecvResponseResult::Cleanup(call) => !call.must_close_connection(),
    };
    connection.wipe_used_input();
    Ok((response, reusable && connection.input().is_empty()))
}

/// Writes the request's head, then its body; returns the call waiting for the answer.
fn send(
    connection: &mut Connection,
    mut call: Call<SendRequest>,
    body: &[u8],
) -> Result<Call<RecvResponse>, Failure> {
    let mut used = 0;
    while !call.can_proceed() {
        if used > 0 {
            flush(connection, &mut used)?;
        }
        used += call.write(&mut connection.output)?;
    }
    let call = match call.proceed()? {
        Some(SendRequestResult::SendBody(call)) => call,
        Some(SendRequestResult::Await100(call)) => match call.proceed()? {
            Await100Result::SendBody(call) => call,
            Await100Result::RecvResponse(call) => return sent(connection, used, call),
        },
        Some(SendRequestResult::RecvResponse(call)) => return sent(connection, used, call),
        None => return Err(stuck("the request's head could not be written")),
    };
    send_body(connection, call, body, used)
}

/// Writes `body` after the `used` bytes of head waiting in the output buffer.
fn send_body(
    connection: &mut Connection,
    mut call: Call<SendBody>,
    mut body: &[u8],
    mut used: usize,
) -> Result<Call<RecvResponse>, Failure> {
    while !call.can_proceed() {
        let room = connection.output.get_mut(used..).unwrap_or_default();
        let max = call.calculate_max_input(room.len()).min(body.len());
        let (taken, written) = call.write(body.get(..max).unwrap_or_default(), room)?;
        body = body.get(taken..).unwrap_or_default();
        used += written;
        if taken == 0 && written == 0 {
            if used == 0 {
                return Err(stuck("the request's body could not be written"));
            }
            flush(connection, &mut used)?;
        }
    }
    let call = call
        .proceed()
        .ok_or_else(|| stuck("the request's body was not all sent"))?;
    sent(connection, used, call)
}

/// Flushes what waits in the output buffer; the call now waits for the answer.
fn sent(
    connection: &mut Connection,
    mut used: usize,
    call: Call<RecvResponse>,
) -> Result<Call<RecvResponse>, Failure> {
    flush(connection, &mut used)?;
    Ok(call)
}

/// Writes the first `used` bytes of the output buffer to the connection, then wipes them (a
/// request carries secrets).
fn flush(connection: &mut Connection, used: &mut usize) -> Result<(), Failure> {
    let bytes = connection.output.get_mut(..*used).unwrap_or_default();
    let written = connection
        .stream
        .write_all(bytes)
        .and_then(|_| connection.stream.flush());
    bytes.zeroize();
    *used = 0;
    Ok(written?)
}

/// Reads until the answer's status line and headers are in (past any `100 Continue`).
fn receive_head(
    connection: &mut Connection,
    mut call: Call<RecvResponse>,
) -> Result<(http::Response<()>, RecvResponseResult), Failure> {
    loop {
        if !connection.input().is_empty() {
            let (used, answer) = call.try_response(connection.input(), false)?;
            connection.consume(used);
            if let Some(answer) = answer {
                let next = call
                    .proceed()
                    .ok_or_else(|| stuck("the answer has no body mode"))?;
                return Ok((answer, next));
            }
            if used > 0 {
                continue;
            }
        }
        match connection.fill(MAX_HEAD)? {
            Some(true) => {}
            Some(false) => return Err(closed("before answering")),
            None => return Err(Failure::HeadTooLarge(MAX_HEAD)),
        }
    }
}

/// Reads the answer's body, at most `max_body` bytes.
fn receive_body(
    connection: &mut Connection,
    mut call: Call<RecvBody>,
    max_body: u64,
) -> Result<(Vec<u8>, bool), Failure> {
    let length = match call.body_mode() {
        BodyMode::LengthDelimited(n) => Some(n),
        _ => None,
    };
    if length.is_some_and(|n| n > max_body) {
        return Err(Failure::BodyTooLarge(max_body));
    }
    let limit = usize::try_from(max_body).unwrap_or(usize::MAX);
    let until_close = matches!(call.body_mode(), BodyMode::CloseDelimited);
    let first = length.map_or(BODY_START, |n| usize::try_from(n).unwrap_or(limit));
    // One byte more: the C API puts a NUL after the body.
    let mut body = Vec::with_capacity(first.min(limit).saturating_add(1));
    while until_close || !call.can_proceed() {
        if !connection.input().is_empty() && decode(connection, &mut call, &mut body, limit)? {
            continue;
        }
        match connection.fill(MAX_HEAD)? {
            Some(true) => {}
            Some(false) if until_close => break,
            Some(false) => return Err(closed("before the end of the body")),
            None => return Err(stuck("a chunk header longer than the input buffer")),
        }
    }
    let reusable = match call.proceed() {
        Some(RecvBodyResult::Cleanup(call)) => !call.must_close_connection(),
        _ => false,
    };
    Ok((body, reusable))
}

/// Decodes received bytes into `body`; `Ok(false)` when more input is needed first.
fn decode(
    connection: &mut Connection,
    call: &mut Call<RecvBody>,
    body: &mut Vec<u8>,
    limit: usize,
) -> Result<bool, Failure> {
    if body.len() == body.capacity() {
        body.reserve(body.len().clamp(BODY_START, 1024 * 1024));
    }
    let start = body.len();
    // Decoding never makes more bytes than it reads; room for one byte past the limit, to
    // know it was passed.
    let room = (body.capacity() - start)
        .min(connection.input().len())
        .min(limit.saturating_add(1).saturating_sub(start));
    if room == 0 {
        return Err(Failure::BodyTooLarge(limit as u64));
    }
    body.resize(start + room, 0);
    let decoded = call.read(
        connection.input(),
        body.get_mut(start..).unwrap_or_default(),
    );
    let (used, written) = match decoded {
        Ok(v) => v,
        Err(e) => {
            body.truncate(start);
            return Err(e.into());
        }
    };
    body.truncate(start + written);
    connection.consume(used);
    if body.len() > limit {
        return Err(Failure::BodyTooLarge(limit as u64));
    }
    Ok(used > 0 || written > 0)
}

fn closed(when: &str) -> Failure {
    Failure::Io(io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("the server closed the connection {when}"),
    ))
}

fn stuck(what: &str) -> Failure {
    Failure::Io(io::Error::other(what.to_string()))
}
