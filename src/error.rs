//! The one error type of the library: a kind (what went wrong, stable for callers to branch on),
//! a message (for people; never holds a secret or a token) and, where a server answered, the HTTP
//! status and the OAuth error fields of RFC 6749 §5.2.

use std::fmt;

/// What kind of failure happened. The FFI layer maps each kind to a fixed status number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// An argument is not acceptable (empty, malformed, unknown key, bad value).
    InvalidArgument,
    /// Credentials are incomplete or inconsistent, or no credentials were found.
    Config,
    /// A file could not be read.
    Io,
    /// A URL may not be used: plain `http://` to a non-loopback host, or another origin.
    InsecureUrl,
    /// The connection could not be made or broke (DNS, refused, reset, TLS).
    Transport,
    /// An exchange took longer than the configured timeout.
    Timeout,
    /// The server's TLS certificate could not be verified (or the handshake failed).
    Tls,
    /// The token endpoint refused the client (HTTP 400 or 401).
    CredentialsRejected,
    /// The token endpoint answered with another non-success status.
    TokenEndpoint,
    /// A server's answer could not be understood (bad JSON, missing `access_token`, ...).
    Protocol,
    /// A response was larger than the configured cap.
    TooLarge,
    /// A bug inside the library (a caught panic).
    Internal,
    /// The API rejected fresh tokens (401) faster than the client refetches them: the refetch
    /// is damped, and the call could not wait for it.
    Unauthorized,
}

/// An error with the details a caller needs to report or act on it.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    http_status: Option<u16>,
    oauth_error: Option<String>,
    oauth_error_description: Option<String>,
}

impl Error {
    /// A new error of `kind`. The message must not contain secrets.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            http_status: None,
            oauth_error: None,
            oauth_error_description: None,
        }
    }

    pub(crate) fn with_http_status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }

    pub(crate) fn with_oauth(mut self, error: Option<String>, description: Option<String>) -> Self {
        self.oauth_error = error;
        self.oauth_error_description = description;
        self
    }

    /// Prefix the message with where the error happened (a file and profile, say).
    pub(crate) fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }

    /// The message followed by `; <more>`.
    pub(crate) fn context_after(mut self, more: &str) -> Self {
        self.message = format!("{}; {more}", self.message);
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status of the answer that caused the error, if a server answered.
    pub fn http_status(&self) -> Option<u16> {
        self.http_status
    }

    /// The OAuth `error` code (`invalid_client`, ...) from the token endpoint, if it sent one.
    pub fn oauth_error(&self) -> Option<&str> {
        self.oauth_error.as_deref()
    }

    /// The OAuth `error_description` from the token endpoint, if it sent one.
    pub fn oauth_error_description(&self) -> Option<&str> {
        self.oauth_error_description.as_deref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("http_status", &self.http_status)
            .field("oauth_error", &self.oauth_error)
            .field("oauth_error_description", &self.oauth_error_description)
            .finish()
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
