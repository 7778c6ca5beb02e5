//! What the server remembers about each request it served, so tests can check exactly what the
//! client sent.

use serde_json::{json, Value};

use crate::form;
use crate::jwt::DecodedJwt;

/// Which part of the server a request reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestKind {
    /// The token endpoint (`POST …/token`).
    Token,
    /// Any other non-admin path.
    Api,
    /// A `GET` or `HEAD` of a path with a `/.well-known/` segment: the metadata (RFC 8414).
    Metadata,
}

impl RequestKind {
    /// `"token"`, `"api"` or `"metadata"`, as in the `/_admin/` JSON.
    pub fn name(self) -> &'static str {
        match self {
            RequestKind::Token => "token",
            RequestKind::Api => "api",
            RequestKind::Metadata => "metadata",
        }
    }

    /// Which endpoint a request for `path` with `method` reaches.
    pub(crate) fn of(method: &str, path: &str) -> RequestKind {
        if method == "POST" && path.ends_with("/token") {
            RequestKind::Token
        } else if matches!(method, "GET" | "HEAD")
            && (path.starts_with("/.well-known/") || path.contains("/.well-known/"))
        {
            RequestKind::Metadata
        } else {
            RequestKind::Api
        }
    }
}

/// How the server answered a request, filled in once the answer is made.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The status sent.
    pub status: u16,
    /// Whether a scripted response answered (then nothing was checked).
    pub scripted: bool,
    /// Why the request was refused: a stable code such as `assertion_replayed`,
    /// `dpop_nonce` or `client_auth_failed` (README, "lucid-testserver"). `None` when accepted.
    pub reason: Option<String>,
    /// The error code sent: the OAuth `error` of a token endpoint answer, or the `error` of the
    /// API's `WWW-Authenticate: DPoP` challenge.
    pub error: Option<String>,
    /// The `error_description` sent with `error`.
    pub error_description: Option<String>,
    /// The RFC 7638 thumbprint of the key of a DPoP proof that was verified and accepted.
    pub dpop_jkt: Option<String>,
}

impl Outcome {
    /// The form of the outcome that `GET /_admin/requests` returns.
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "status": self.status,
            "scripted": self.scripted,
            "reason": self.reason,
            "error": self.error,
            "error_description": self.error_description,
            "dpop_jkt": self.dpop_jkt,
        })
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
    /// How it was answered; `None` while it is still being handled.
    pub outcome: Option<Outcome>,
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

    /// The decoded query string.
    pub fn query_params(&self) -> Vec<(String, String)> {
        form::parse(&self.query)
    }

    /// The decoded form body: empty unless the body is `application/x-www-form-urlencoded`.
    pub fn form_params(&self) -> Vec<(String, String)> {
        let is_form = self.header("content-type").is_some_and(|value| {
            let media_type = value.split(';').next().unwrap_or("").trim();
            media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
        if is_form {
            form::parse(&self.body_text())
        } else {
            Vec::new()
        }
    }

    /// The `client_assertion` the request carried (in the form body, else the query), decoded
    /// but not verified; `None` when there is none or it is not a JWT.
    pub fn client_assertion(&self) -> Option<DecodedJwt> {
        let body = self.form_params();
        let query = self.query_params();
        let text =
            form::get(&body, "client_assertion").or(form::get(&query, "client_assertion"))?;
        DecodedJwt::parse(text).ok()
    }

    /// The first `DPoP` header's proof, decoded but not verified; `None` when there is none or it
    /// is not a JWT.
    pub fn dpop_proof(&self) -> Option<DecodedJwt> {
        DecodedJwt::parse(self.header("dpop")?.trim()).ok()
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
            "client_assertion": self.client_assertion().map(|jwt| jwt.to_json()),
            "dpop_proof": self.dpop_proof().map(|jwt| jwt.to_json()),
            "outcome": self.outcome.as_ref().map(Outcome::to_json),
        })
    }
}
