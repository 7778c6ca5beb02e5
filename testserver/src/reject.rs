//! Refusals: why a request was refused (a stable reason code that `/_admin/rejections` counts),
//! and how each endpoint says so on the wire.

use serde_json::json;

use crate::record::Outcome;
use crate::script::Scripted;

/// One refusal.
#[derive(Clone, Debug)]
pub(crate) struct Rejection {
    /// The stable code counted by `/_admin/rejections`, e.g. `assertion_replayed`.
    pub(crate) reason: &'static str,
    pub(crate) status: u16,
    /// The OAuth error code (`invalid_client`, `use_dpop_nonce`, ...), when the answer has one.
    pub(crate) error: Option<&'static str>,
    pub(crate) description: String,
    /// Extra response headers (`DPoP-Nonce`, `WWW-Authenticate`).
    pub(crate) headers: Vec<(String, String)>,
}

impl Rejection {
    /// A refusal with an OAuth error code.
    pub(crate) fn oauth(
        reason: &'static str,
        status: u16,
        error: &'static str,
        description: impl Into<String>,
    ) -> Rejection {
        Rejection {
            reason,
            status,
            error: Some(error),
            description: description.into(),
            headers: Vec::new(),
        }
    }

    /// The same refusal with one more response header.
    pub(crate) fn with_header(mut self, name: &str, value: &str) -> Rejection {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// The token endpoint's answer (RFC 6749 §5.2): `{"error","error_description"}`, with
    /// `Cache-Control: no-store` and the extra headers.
    pub(crate) fn token_reply(&self) -> Scripted {
        let body = json!({
            "error": self.error.unwrap_or("invalid_request"),
            "error_description": self.description,
        });
        let mut reply = Scripted::json_value(self.status, &body);
        reply
            .headers
            .push(("Cache-Control".to_string(), "no-store".to_string()));
        reply.headers.extend(self.headers.iter().cloned());
        reply
    }

    /// The API's answer: `{"message":"Unauthorized"}` (401) or `{"message":"Forbidden"}` (403),
    /// as the document API words it, with the extra headers (a DPoP challenge's details are in
    /// `WWW-Authenticate`, RFC 6750 §3).
    pub(crate) fn api_reply(&self) -> Scripted {
        let message = if self.status == 403 {
            "Forbidden"
        } else {
            "Unauthorized"
        };
        let mut reply = Scripted::json_value(self.status, &json!({ "message": message }));
        reply.headers.extend(self.headers.iter().cloned());
        reply
    }

    /// What the request record keeps about this refusal.
    pub(crate) fn outcome(&self) -> Outcome {
        Outcome {
            status: self.status,
            reason: Some(self.reason.to_string()),
            error: self.error.map(str::to_string),
            error_description: self.error.map(|_| self.description.clone()),
            ..Outcome::default()
        }
    }
}

/// The value of a `WWW-Authenticate: DPoP` challenge (RFC 9449 §7.1) with `error` and
/// `error_description`; quotes and backslashes in the description become `'`.
pub(crate) fn dpop_challenge(error: &str, description: &str) -> String {
    let description: String = description
        .chars()
        .map(|c| if c == '"' || c == '\\' { '\'' } else { c })
        .collect();
    format!("DPoP error=\"{error}\", error_description=\"{description}\"")
}
