//! What the server remembers about each request it served, so tests can check exactly what the
//! client sent.

use serde_json::{json, Value};

/// Which part of the server a request reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestKind {
    /// The token endpoint (`POST …/token`).
    Token,
    /// Any other non-admin path.
    Api,
}

impl RequestKind {
    /// `"token"` or `"api"`, as in the `/_admin/` JSON.
    pub fn name(self) -> &'static str {
        match self {
            RequestKind::Token => "token",
            RequestKind::Api => "api",
        }
    }
}

/// One request as the server received it.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// The method, e.g. `POST`.
    pub method: String,
    /// The path of the request target, without the query.
    pub path: String,
    /// The raw query string without the `?`; empty when there is none.
    pub query: String,
    /// Every header in the order received, names spelled as received.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
    /// Which endpoint the request reached.
    pub kind: RequestKind,
}

impl RecordedRequest {
    /// The value of the first header called `name` (compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// How many headers are called `name` (compared case-insensitively), e.g. to check that
    /// `Authorization` was sent exactly once.
    pub fn header_count(&self, name: &str) -> usize {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .count()
    }

    /// The body as text, with invalid UTF-8 replaced by U+FFFD.
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The form of the request that `GET /_admin/requests` returns.
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "kind": self.kind.name(),
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers.iter().map(|(n, v)| json!([n, v])).collect::<Vec<_>>(),
            "body": self.body_text(),
        })
    }
}
