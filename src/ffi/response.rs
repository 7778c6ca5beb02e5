//! API responses from C: status, headers and body, borrowed from the response handle.

use super::boundary::{guard, handle, out_ptr, string};
use super::error::LucidError;
use super::raw::{free, guard_value, maybe};
use super::status::LucidStatus;
use crate::Response;
use std::os::raw::c_char;

/// An API response. Made by `lucid_client_request`, freed with `lucid_response_free`.
/// Immutable: may be read from any thread. Everything it returns is borrowed from it and stays
/// valid until it is freed.
pub struct LucidResponse {
    /// Its headers' names and values are each followed by a NUL in the response's buffer: the
    /// pointers handed out point into it, nothing is copied.
    response: Response,
}

impl LucidResponse {
    /// `response`, its body with one NUL byte after it (not counted), so that text bodies can
    /// be used as C strings.
    pub(crate) fn new(mut response: Response) -> Self {
        response.body.push(0);
        LucidResponse { response }
    }

    fn body(&self) -> &[u8] {
        let body = &self.response.body;
        body.get(..body.len().saturating_sub(1)).unwrap_or_default()
    }
}

/// The HTTP status code; 0 when `response` is NULL.
#[no_mangle]
pub extern "C" fn lucid_response_status(response: *const LucidResponse) -> u16 {
    guard_value(0, || maybe(response).map_or(0, |r| r.response.status))
}

/// The body: returns a pointer to its bytes and writes their number to `*len` (when `len` is not
/// NULL). A NUL byte follows the body (not counted), so a text body can be printed as a C string.
/// Borrowed: valid until `lucid_response_free(response)`. NULL (and length 0) when `response` is NULL.
#[no_mangle]
pub extern "C" fn lucid_response_body(
    response: *const LucidResponse,
    len: *mut usize,
) -> *const u8 {
    guard_value(std::ptr::null(), || {
        let (data, count) = maybe(response).map_or((std::ptr::null(), 0), |r| {
            (r.body().as_ptr(), r.body().len())
        });
        if let Ok(len) = out_ptr(len, "len") {
            len.write(count);
        }
        data
    })
}

/// The number of response headers; 0 when `response` is NULL.
#[no_mangle]
pub extern "C" fn lucid_response_header_count(response: *const LucidResponse) -> usize {
    guard_value(0, || maybe(response).map_or(0, |r| r.response.header_count))
}

/// Header number `index` (from 0, in the order received; names in lower case): writes borrowed
/// pointers to `*name` and `*value`, valid until `lucid_response_free(response)`. An index past
/// the end is `LUCID_STATUS_INVALID_ARGUMENT`.
#[no_mangle]
pub extern "C" fn lucid_response_header_at(
    response: *const LucidResponse,
    index: usize,
    name: *mut *const c_char,
    value: *mut *const c_char,
    err: *mut *mut LucidError,
) -> LucidStatus {
    guard(err, || {
        let response = handle(response, "response")?;
        let (name, value) = (out_ptr(name, "name")?, out_ptr(value, "value")?);
        let (k, v) = response.response.headers().nth(index).ok_or_else(|| {
            LucidError::new(
                LucidStatus::InvalidArgument,
                format!("header index {index} is past the last header"),
            )
        })?;
        // Each is followed by a NUL in the response's buffer (Response::head).
        name.write(k.as_ptr().cast());
        value.write(v.as_ptr().cast());
        Ok(())
    })
}

/// The first value of header `name` (any case), borrowed until `lucid_response_free(response)`;
/// NULL when there is no such header or an argument is NULL or not UTF-8.
#[no_mangle]
pub extern "C" fn lucid_response_header(
    response: *const LucidResponse,
    name: *const c_char,
) -> *const c_char {
    guard_value(std::ptr::null(), || {
        let (Some(response), Ok(name)) = (maybe(response), string(name, "name")) else {
            return std::ptr::null();
        };
        response
            .response
            .header(name)
            .map_or(std::ptr::null(), |v| v.as_ptr().cast())
    })
}

/// Frees a response. NULL is accepted.
#[no_mangle]
pub extern "C" fn lucid_response_free(response: *mut LucidResponse) {
    guard_value((), || free(response))
}
