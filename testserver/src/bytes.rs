//! `…/bytes/N`: an authorized API request that answers N bytes of a fixed pattern, for measuring
//! how a client reads a large body (`make bench-wire`).

use crate::record::Outcome;
use crate::script::Scripted;

/// The most bytes one `…/bytes/N` request may ask for: 64 MiB.
pub const MAX_BYTES: usize = 64 * 1024 * 1024;

/// What a path ending in `/bytes/N` asks for: `Ok(N)` when N is a decimal count up to
/// [`MAX_BYTES`], `Err` for anything else after `/bytes/`. `None` when the path's last two
/// segments are not `bytes/<something>`.
pub(crate) fn requested(path: &str) -> Option<Result<usize, ()>> {
    let (_, count) = path.rsplit_once("/bytes/")?;
    if count.contains('/') {
        return None;
    }
    let digits = !count.is_empty() && count.bytes().all(|b| b.is_ascii_digit());
    let n = match digits {
        true => count.parse::<usize>().ok().filter(|&n| n <= MAX_BYTES),
        false => None,
    };
    Some(n.ok_or(()))
}

/// The byte at offset `i` of every `…/bytes/N` body: `i mod 256`.
pub fn pattern_byte(i: usize) -> u8 {
    (i % 256) as u8
}

/// `n` bytes of the pattern, copied a 256-byte block at a time (fast in a debug build too).
fn pattern(n: usize) -> Vec<u8> {
    let block: Vec<u8> = (0..256).map(pattern_byte).collect();
    let mut body = Vec::with_capacity(n);
    while body.len() < n {
        let take = (n - body.len()).min(block.len());
        body.extend_from_slice(&block[..take]);
    }
    body
}

/// The answer to an authorized `…/bytes/N` request: 200 with N bytes of the pattern as
/// `application/octet-stream`, or 400 `bytes_count` when N is not allowed.
pub(crate) fn reply(count: Result<usize, ()>, dpop_jkt: Option<String>) -> (Scripted, Outcome) {
    let Ok(n) = count else {
        let message = format!("bytes/N wants N from 0 to {MAX_BYTES}, in decimal");
        let reply = Scripted::json_value(400, &serde_json::json!({ "message": message }));
        let outcome = Outcome {
            status: 400,
            reason: Some("bytes_count".to_string()),
            dpop_jkt,
            ..Outcome::default()
        };
        return (reply, outcome);
    };
    let reply = Scripted {
        status: 200,
        headers: vec![(
            "Content-Type".to_string(),
            "application/octet-stream".to_string(),
        )],
        body: pattern(n),
    };
    let outcome = Outcome {
        status: 200,
        dpop_jkt,
        ..Outcome::default()
    };
    (reply, outcome)
}
