//! `LucidError`: the details of a failure, handed to the caller through an optional
//! `LucidError **` out-parameter rather than thread-local state (a goroutine may change threads).

use super::raw::{free, guard_value, maybe};
use super::status::LucidStatus;
use crate::Error;
use std::ffi::CString;
use std::os::raw::c_char;

/// The details of one failure. Owned by the caller, who frees it with `lucid_error_free`.
/// Immutable: may be read from any thread. Its strings are borrowed from it and stay valid until
/// it is freed. No message ever holds a secret or a token.
pub struct LucidError {
    status: LucidStatus,
    message: CString,
    http_status: u16,
    oauth_error: Option<CString>,
    oauth_error_description: Option<CString>,
}

impl LucidError {
    pub(crate) fn new(status: LucidStatus, message: impl Into<String>) -> Self {
        LucidError {
            status,
            message: c_string(message.into()),
            http_status: 0,
            oauth_error: None,
            oauth_error_description: None,
        }
    }

    pub(crate) fn status(&self) -> LucidStatus {
        self.status
    }
}

impl From<Error> for LucidError {
    fn from(error: Error) -> Self {
        LucidError {
            status: error.kind().into(),
            message: c_string(error.message().to_string()),
            http_status: error.http_status().unwrap_or(0),
            oauth_error: error.oauth_error().map(|s| c_string(s.to_string())),
            oauth_error_description: error
                .oauth_error_description()
                .map(|s| c_string(s.to_string())),
        }
    }
}

/// A C string from text that might hold a NUL (from a server, say): NULs become U+FFFD.
pub(crate) fn c_string(text: String) -> CString {
    CString::new(text).unwrap_or_else(|e| {
        let cleaned = String::from_utf8_lossy(&e.into_vec()).replace('\0', "\u{FFFD}");
        CString::new(cleaned).unwrap_or_default()
    })
}

fn borrowed(s: Option<&CString>) -> *const c_char {
    s.map_or(std::ptr::null(), |s| s.as_ptr())
}

/// The status of the failure; `LUCID_STATUS_NULL_ARGUMENT` when `error` is NULL.
#[no_mangle]
pub extern "C" fn lucid_error_status(error: *const LucidError) -> LucidStatus {
    guard_value(LucidStatus::Internal, || {
        maybe(error).map_or(LucidStatus::NullArgument, |e| e.status)
    })
}

/// A message for people, e.g. "token endpoint answered 401: invalid_client (...)". Borrowed from
/// `error`: valid until `lucid_error_free(error)`. NULL when `error` is NULL.
#[no_mangle]
pub extern "C" fn lucid_error_message(error: *const LucidError) -> *const c_char {
    guard_value(std::ptr::null(), || {
        borrowed(maybe(error).map(|e| &e.message))
    })
}

/// The HTTP status of the answer that caused the failure, or 0 when no server answered (or
/// `error` is NULL).
#[no_mangle]
pub extern "C" fn lucid_error_http_status(error: *const LucidError) -> u16 {
    guard_value(0, || maybe(error).map_or(0, |e| e.http_status))
}

/// The OAuth `error` code from the token endpoint (e.g. "invalid_client"), or NULL when it sent
/// none. Borrowed from `error`: valid until `lucid_error_free(error)`.
#[no_mangle]
pub extern "C" fn lucid_error_oauth_error(error: *const LucidError) -> *const c_char {
    guard_value(std::ptr::null(), || {
        borrowed(maybe(error).and_then(|e| e.oauth_error.as_ref()))
    })
}

/// The OAuth `error_description` from the token endpoint, or NULL when it sent none. Borrowed
/// from `error`: valid until `lucid_error_free(error)`.
#[no_mangle]
pub extern "C" fn lucid_error_oauth_error_description(error: *const LucidError) -> *const c_char {
    guard_value(std::ptr::null(), || {
        borrowed(maybe(error).and_then(|e| e.oauth_error_description.as_ref()))
    })
}

/// Frees an error. NULL is accepted.
#[no_mangle]
pub extern "C" fn lucid_error_free(error: *mut LucidError) {
    guard_value((), || free(error))
}
