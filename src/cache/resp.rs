//! RESP2, the Redis protocol, as far as the Redis store needs it: commands written as arrays of
//! bulk strings, and one reply read with a byte budget. A length the server declares is checked
//! against the budget before anything is allocated for it, and a line (a status, an error, a
//! number) is at most [`MAX_LINE`] bytes, so a server that lies or floods costs a bounded
//! amount of memory; one that trickles is stopped by the socket's deadline.

use std::io::BufRead;

/// The longest reply line read: `+OK`, `-ERR ...`, `:1`, `$65536`.
pub const MAX_LINE: usize = 1024;

/// One reply. Arrays, RESP3 types and inline replies are not used by our commands: they are
/// refused as malformed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// `+OK`.
    Status(String),
    /// `-ERR ...`: the server's words, control characters removed.
    Error(String),
    Integer(i64),
    /// `$n`: `None` for the nil reply `$-1`.
    Bulk(Option<Vec<u8>>),
}

/// The command `args` as RESP: an array of bulk strings.
pub fn encode(args: &[&[u8]]) -> Vec<u8> {
    let size: usize = args.iter().map(|a| a.len() + 16).sum();
    let mut out = Vec::with_capacity(size + 16);
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Reads one reply from `input`; a bulk reply may be at most `budget` bytes. The error says
/// what was wrong, without the reply's contents (they may be a token).
pub fn read_reply(input: &mut impl BufRead, budget: usize) -> Result<Reply, String> {
    let line = read_line(input)?;
    let (kind, rest) = line.split_first().ok_or("an empty reply line")?;
    let text = || String::from_utf8_lossy(rest).into_owned();
    match kind {
        b'+' => Ok(Reply::Status(text())),
        b'-' => Ok(Reply::Error(printable(rest))),
        b':' => number(rest).map(Reply::Integer),
        b'$' => read_bulk(input, number(rest)?, budget),
        b'*' => Err("an array reply, which none of the commands sent has".to_string()),
        other => Err(format!("a reply of unknown type 0x{other:02x}")),
    }
}

/// [`read_reply`] over a slice: the fuzzing entry point.
pub fn parse_reply(bytes: &[u8], budget: usize) -> Result<Reply, String> {
    read_reply(&mut &bytes[..], budget)
}

/// The bulk string of declared length `len`, its CRLF after it.
fn read_bulk(input: &mut impl BufRead, len: i64, budget: usize) -> Result<Reply, String> {
    if len == -1 {
        return Ok(Reply::Bulk(None));
    }
    let len = usize::try_from(len).map_err(|_| format!("a bulk length of {len}"))?;
    if len > budget {
        return Err(format!(
            "a bulk reply of {len} bytes, more than the {budget} allowed"
        ));
    }
    let mut data = vec![0; len + 2];
    input.read_exact(&mut data).map_err(io_error)?;
    if !data.ends_with(b"\r\n") {
        return Err("a bulk reply not ended by CRLF".to_string());
    }
    data.truncate(len);
    Ok(Reply::Bulk(Some(data)))
}

/// One line without its CRLF, at most [`MAX_LINE`] bytes.
fn read_line(input: &mut impl BufRead) -> Result<Vec<u8>, String> {
    let mut line = Vec::new();
    loop {
        let available = input.fill_buf().map_err(io_error)?;
        if available.is_empty() {
            return Err("the connection closed in the middle of a reply".to_string());
        }
        let (used, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        if line.len() + used > MAX_LINE + 2 {
            return Err(format!("a reply line longer than {MAX_LINE} bytes"));
        }
        line.extend_from_slice(&available[..used]);
        input.consume(used);
        if done {
            break;
        }
    }
    match line.strip_suffix(b"\r\n") {
        Some(body) => Ok(body.to_vec()),
        None => Err("a reply line not ended by CRLF".to_string()),
    }
}

/// A RESP integer: an optional `-` and 1 to 19 digits.
fn number(digits: &[u8]) -> Result<i64, String> {
    let text = std::str::from_utf8(digits).unwrap_or("");
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let valid = !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit());
    valid
        .then(|| text.parse::<i64>().ok())
        .flatten()
        .ok_or_else(|| "a number that is not a whole number".to_string())
}

/// The server's words, for a message: printable ASCII only, at most 200 characters.
fn printable(bytes: &[u8]) -> String {
    bytes
        .iter()
        .filter(|b| (0x20..0x7f).contains(*b))
        .take(200)
        .map(|&b| char::from(b))
        .collect()
}

fn io_error(e: std::io::Error) -> String {
    e.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> Result<Reply, String> {
        parse_reply(bytes, 16)
    }

    #[test]
    fn commands_are_arrays_of_bulk_strings() {
        assert_eq!(
            encode(&[b"AUTH", b"user", b"p w"]),
            b"*3\r\n$4\r\nAUTH\r\n$4\r\nuser\r\n$3\r\np w\r\n"
        );
    }

    #[test]
    fn every_reply_type() {
        assert_eq!(parse(b"+OK\r\n"), Ok(Reply::Status("OK".into())));
        assert_eq!(
            parse(b"-ERR no\x07pe\r\n"),
            Ok(Reply::Error("ERR nope".into()))
        );
        assert_eq!(parse(b":-12\r\n"), Ok(Reply::Integer(-12)));
        assert_eq!(
            parse(b"$3\r\na\r\n\r\n"),
            Ok(Reply::Bulk(Some(b"a\r\n".to_vec())))
        );
        assert_eq!(parse(b"$0\r\n\r\n"), Ok(Reply::Bulk(Some(Vec::new()))));
        assert_eq!(parse(b"$-1\r\n"), Ok(Reply::Bulk(None)));
    }

    #[test]
    fn lies_are_errors_before_any_allocation() {
        assert_eq!(
            parse(b"$2000000000\r\n"),
            Err("a bulk reply of 2000000000 bytes, more than the 16 allowed".into())
        );
        assert_eq!(parse(b"$-2\r\n"), Err("a bulk length of -2".into()));
        assert!(parse(b"$99999999999999999999\r\n").is_err());
        assert!(parse(b"$1a\r\n").is_err() && parse(b"$\r\n").is_err());
        assert!(parse(b":+1\r\n").is_err() && parse(b":1 \r\n").is_err());
        assert!(parse(b"*1\r\n$1\r\na\r\n").is_err());
        assert!(parse(b"_\r\n").is_err() && parse(b"\r\n").is_err());
    }

    #[test]
    fn truncated_and_overlong_input() {
        assert!(parse(b"").is_err());
        assert!(parse(b"+OK").is_err());
        assert!(parse(b"+OK\n").is_err());
        assert!(parse(b"$5\r\nab").is_err());
        assert!(parse(b"$2\r\nabcd").is_err());
        let mut long = vec![b'+'; MAX_LINE + 10];
        long.extend_from_slice(b"\r\n");
        assert_eq!(
            parse(&long),
            Err(format!("a reply line longer than {MAX_LINE} bytes"))
        );
        let mut fits = vec![b'+'; MAX_LINE];
        fits.extend_from_slice(b"\r\n");
        assert!(parse(&fits).is_ok());
    }
}
