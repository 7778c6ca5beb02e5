//! Status codes: fixed numbers that never change meaning; 0 is success.

use crate::ErrorKind;
use std::os::raw::c_char;

/// The result of every fallible function. The numbers are part of the ABI and never renumbered;
/// new codes are only ever added at the end. Fixed to 32 bits so that Go and C# read it as `int32`.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LucidStatus {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL.
    NullArgument = 1,
    /// A string argument was not valid UTF-8.
    InvalidUtf8 = 2,
    /// An argument was malformed, empty, out of range or an unknown key.
    InvalidArgument = 3,
    /// Credentials are missing, incomplete or inconsistent (or a file is not valid INI).
    Config = 4,
    /// A file could not be read.
    Io = 5,
    /// A URL was refused: plain http:// to a non-loopback host, or another origin than the API's.
    InsecureUrl = 6,
    /// The connection failed (name lookup, refused, reset, TLS verification).
    Transport = 7,
    /// An exchange exceeded the timeout.
    Timeout = 8,
    /// The token endpoint rejected the client (HTTP 400 or 401); not retried.
    CredentialsRejected = 9,
    /// The token endpoint answered with another error status.
    TokenEndpoint = 10,
    /// A server answer could not be understood.
    Protocol = 11,
    /// A response exceeded its size cap.
    TooLarge = 12,
    /// An internal error (a bug): a panic was caught at the boundary.
    Internal = 13,
    /// The server's TLS certificate could not be verified, or the TLS handshake failed; not retried.
    Tls = 14,
}

impl From<ErrorKind> for LucidStatus {
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::InvalidArgument => LucidStatus::InvalidArgument,
            ErrorKind::Config => LucidStatus::Config,
            ErrorKind::Io => LucidStatus::Io,
            ErrorKind::InsecureUrl => LucidStatus::InsecureUrl,
            ErrorKind::Transport => LucidStatus::Transport,
            ErrorKind::Timeout => LucidStatus::Timeout,
            ErrorKind::CredentialsRejected => LucidStatus::CredentialsRejected,
            ErrorKind::TokenEndpoint => LucidStatus::TokenEndpoint,
            ErrorKind::Protocol => LucidStatus::Protocol,
            ErrorKind::TooLarge => LucidStatus::TooLarge,
            ErrorKind::Tls => LucidStatus::Tls,
            _ => LucidStatus::Internal,
        }
    }
}

impl LucidStatus {
    /// The constant's name as C sees it, NUL-terminated.
    fn name(code: i32) -> &'static str {
        match code {
            0 => "LUCID_STATUS_OK\0",
            1 => "LUCID_STATUS_NULL_ARGUMENT\0",
            2 => "LUCID_STATUS_INVALID_UTF8\0",
            3 => "LUCID_STATUS_INVALID_ARGUMENT\0",
            4 => "LUCID_STATUS_CONFIG\0",
            5 => "LUCID_STATUS_IO\0",
            6 => "LUCID_STATUS_INSECURE_URL\0",
            7 => "LUCID_STATUS_TRANSPORT\0",
            8 => "LUCID_STATUS_TIMEOUT\0",
            9 => "LUCID_STATUS_CREDENTIALS_REJECTED\0",
            10 => "LUCID_STATUS_TOKEN_ENDPOINT\0",
            11 => "LUCID_STATUS_PROTOCOL\0",
            12 => "LUCID_STATUS_TOO_LARGE\0",
            13 => "LUCID_STATUS_INTERNAL\0",
            14 => "LUCID_STATUS_TLS\0",
            _ => "LUCID_STATUS_UNKNOWN\0",
        }
    }
}

/// The name of a status constant, e.g. `"LUCID_STATUS_TIMEOUT"`; `"LUCID_STATUS_UNKNOWN"` for a
/// number that is not a status. The string is static: never free it.
#[no_mangle]
pub extern "C" fn lucid_status_name(status: i32) -> *const c_char {
    LucidStatus::name(status).as_ptr().cast()
}
