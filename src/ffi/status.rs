//! Status codes: fixed numbers that never change meaning; 0 is success.

use super::raw::guard_value;
use crate::ErrorKind;
use std::ffi::{CStr, CString};
use std::os::raw::c_char;
use std::sync::LazyLock as Lazy;

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
    /// An exchange exceeded the timeout, or the call its `retry_deadline`.
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
    /// A caller's buffer was too small for the result; the size needed was written instead.
    BufferTooSmall = 15,
    /// The API kept rejecting fresh tokens (HTTP 401): another process or host with the same
    /// client id is probably fetching its own, which invalidates this one's. The refetch is damped
    /// and this call could not wait for it; share tokens (`use_cache`, `cache_url`).
    Unauthorized = 16,
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
            ErrorKind::Tls => LucidStatus::Tls,
            ErrorKind::CredentialsRejected => LucidStatus::CredentialsRejected,
            ErrorKind::TokenEndpoint => LucidStatus::TokenEndpoint,
            ErrorKind::Protocol => LucidStatus::Protocol,
            ErrorKind::TooLarge => LucidStatus::TooLarge,
            ErrorKind::Internal => LucidStatus::Internal,
            ErrorKind::Unauthorized => LucidStatus::Unauthorized,
        }
    }
}

impl LucidStatus {
    /// Every status, in number order: `ALL[n]` is the status numbered `n` (a test checks this
    /// and that the header names no other).
    pub const ALL: [LucidStatus; 17] = [
        LucidStatus::Ok,
        LucidStatus::NullArgument,
        LucidStatus::InvalidUtf8,
        LucidStatus::InvalidArgument,
        LucidStatus::Config,
        LucidStatus::Io,
        LucidStatus::InsecureUrl,
        LucidStatus::Transport,
        LucidStatus::Timeout,
        LucidStatus::CredentialsRejected,
        LucidStatus::TokenEndpoint,
        LucidStatus::Protocol,
        LucidStatus::TooLarge,
        LucidStatus::Internal,
        LucidStatus::Tls,
        LucidStatus::BufferTooSmall,
        LucidStatus::Unauthorized,
    ];
}

/// `LUCID_STATUS_<NAME>` for each status, in number order, derived from the variant names as
/// cbindgen derives the header's (`BufferTooSmall` is `LUCID_STATUS_BUFFER_TOO_SMALL`).
static NAMES: Lazy<Vec<CString>> = Lazy::new(|| {
    LucidStatus::ALL
        .iter()
        .filter_map(|s| {
            CString::new(format!(
                "LUCID_STATUS_{}",
                screaming_snake(&format!("{s:?}"))
            ))
            .ok()
        })
        .collect()
});

fn screaming_snake(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// The name of a status constant, e.g. `"LUCID_STATUS_TIMEOUT"`; `"LUCID_STATUS_UNKNOWN"` for a
/// number that is not a status. The string is static: never free it.
#[no_mangle]
pub extern "C" fn lucid_status_name(status: i32) -> *const c_char {
    guard_value(UNKNOWN.as_ptr(), || {
        usize::try_from(status)
            .ok()
            .and_then(|n| NAMES.get(n))
            .map_or(UNKNOWN.as_ptr(), |name| name.as_ptr())
    })
}

const UNKNOWN: &CStr = c"LUCID_STATUS_UNKNOWN";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_in_number_order_and_names_follow_the_variants() {
        for (n, status) in LucidStatus::ALL.iter().enumerate() {
            assert_eq!(*status as i32 as usize, n);
        }
        assert_eq!(NAMES[15].to_str(), Ok("LUCID_STATUS_BUFFER_TOO_SMALL"));
        assert_eq!(NAMES[16].to_str(), Ok("LUCID_STATUS_UNAUTHORIZED"));
        assert_eq!(
            LucidStatus::from(ErrorKind::Unauthorized),
            LucidStatus::Unauthorized
        );
        assert_eq!(NAMES[1].to_str(), Ok("LUCID_STATUS_NULL_ARGUMENT"));
        assert_eq!(NAMES[14].to_str(), Ok("LUCID_STATUS_TLS"));
    }
}
