//! Canned HTTP responses.
//!
//! Tests queue these to make the server misbehave on cue (a 503 with `Retry-After`, a malformed
//! token body, …); the server's own handlers build their answers with the same type.

/// A complete HTTP response: status, headers and body. `Content-Length` is added when sent.
#[derive(Clone, Debug)]
pub struct Scripted {
    /// The status code, e.g. 503.
    pub status: u16,
    /// Headers to send, in order.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl Scripted {
    /// A response with `Content-Type: application/json` and `body` as given (it need not be valid
    /// JSON, so tests can send malformed bodies).
    pub fn json(status: u16, body: &str) -> Scripted {
        Scripted {
            status,
            headers: vec![("Content-Type".to_string(), "application/json".to_string())],
            body: body.as_bytes().to_vec(),
        }
    }

    /// A response with no body.
    pub(crate) fn empty(status: u16) -> Scripted {
        Scripted {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A JSON response built from a value.
    pub(crate) fn json_value(status: u16, body: &serde_json::Value) -> Scripted {
        Scripted::json(status, &body.to_string())
    }
}
