//! Requests that the caller's own HTTP client sends, from C: the headers they need
//! (`lucid_client_authorize`, read with `lucid_headers_*`) and the 401 they got
//! (`lucid_client_unauthorized`).

use super::boundary::{guard, handle, optional_string, out_ptr, string};
use super::client::LucidClient;
use super::error::LucidError;
use super::raw::{free, guard_value, maybe};
use super::status::LucidStatus;
use crate::Authorization;
use std::ffi::CString;
use std::os::raw::c_char;
use zeroize::Zeroizing;

/// The headers one API request needs, from `lucid_client_authorize`, freed with
/// `lucid_headers_free`. Immutable: may be read from any thread. The names and values it returns
/// are borrowed from it; the values are secrets, wiped when it is freed.
pub struct LucidHeaders {
    authorization: Authorization,
    names: Vec<CString>,
    /// Each value with a NUL after it.
    values: Vec<Zeroizing<Vec<u8>>>,
}

impl LucidHeaders {
    fn new(authorization: Authorization) -> Result<Self, LucidError> {
        let mut names = Vec::with_capacity(authorization.headers().len());
        let mut values = Vec::with_capacity(names.capacity());
        for (name, value) in authorization.headers() {
            if value.contains('\0') {
                // Not quoted: it is a secret.
                return Err(LucidError::new(
                    LucidStatus::Internal,
                    format!("internal error: the value of header {name} holds a NUL"),
                ));
            }
            let mut bytes = Zeroizing::new(Vec::with_capacity(value.len() + 1));
            bytes.extend_from_slice(value.as_bytes());
            bytes.push(0);
            names.push(super::error::c_string(name.to_string()));
            values.push(bytes);
        }
        Ok(LucidHeaders {
            authorization,
            names,
            values,
        })
    }
}

/// The headers an API request `method url` needs, for a request your own HTTP client sends:
/// `x-api-key` (when the credentials have an api key), `Authorization: Bearer <token>`, and any
/// header a later version adds (read them with `lucid_headers_count`, `_name`, `_value`; do not
/// assume two). `url` must be on the credentials' API origin (`api_endpoint`'s scheme, host and
/// port; a path is joined to `api_endpoint`): any other origin is refused with
/// `LUCID_STATUS_INSECURE_URL`, and no token is fetched or handed out. The token is read as
/// `lucid_client_access_token(client, NULL, ...)` reads it. On success writes a new list to
/// `*out` (free with `lucid_headers_free`; keep it until the answer is in, for
/// `lucid_client_unauthorized`).
#[no_mangle]
pub extern "C" fn lucid_client_authorize(
    client: *const LucidClient,
    method: *const c_char,
    url: *const c_char,
    out: *mut *mut LucidHeaders,
    err: *mut *mut LucidError,
) -> LucidStatus {
    guard(err, || {
        let client = handle(client, "client")?;
        let method = string(method, "method")?;
        let url = string(url, "url")?;
        let out = out_ptr(out, "out")?;
        let headers = LucidHeaders::new(client.inner.authorize(method, url)?)?;
        out.write_box(headers);
        Ok(())
    })
}

/// The number of headers in `headers`; 0 when it is NULL.
#[no_mangle]
pub extern "C" fn lucid_headers_count(headers: *const LucidHeaders) -> usize {
    guard_value(0, || maybe(headers).map_or(0, |h| h.names.len()))
}

/// The name of header `index` of `headers` (for example `"Authorization"`); NULL past the last
/// or when `headers` is NULL. Borrowed: valid until `lucid_headers_free(headers)`.
#[no_mangle]
pub extern "C" fn lucid_headers_name(headers: *const LucidHeaders, index: usize) -> *const c_char {
    guard_value(std::ptr::null(), || {
        maybe(headers)
            .and_then(|h| h.names.get(index))
            .map_or(std::ptr::null(), |name| name.as_ptr())
    })
}

/// The value of header `index` of `headers` (for example `"Bearer eyJ..."`); NULL past the last
/// or when `headers` is NULL. Borrowed: valid until `lucid_headers_free(headers)`, which wipes it.
/// A secret: do not log it.
#[no_mangle]
pub extern "C" fn lucid_headers_value(headers: *const LucidHeaders, index: usize) -> *const c_char {
    guard_value(std::ptr::null(), || {
        maybe(headers)
            .and_then(|h| h.values.get(index))
            .map_or(std::ptr::null(), |value| value.as_ptr().cast())
    })
}

/// Frees a header list (its values are wiped). NULL is accepted.
#[no_mangle]
pub extern "C" fn lucid_headers_free(headers: *mut LucidHeaders) {
    guard_value((), || free(headers))
}

/// Tells `client` that the request sent with `sent` (from `lucid_client_authorize` on the same
/// client) was answered 401, with the answer's `WWW-Authenticate` and `DPoP-Nonce` headers (each
/// NULL when absent): the token that was sent is dropped if it is still the current one (so
/// concurrent 401s make one new fetch), and the next `lucid_client_authorize` fetches a new one.
/// Send the request again with new headers at most once. With `dpop = true` the nonce is kept
/// for the next proofs, and a challenge that only asks for it (`DPoP error="use_dpop_nonce"`)
/// keeps the token. `sent` stays the caller's.
#[no_mangle]
pub extern "C" fn lucid_client_unauthorized(
    client: *const LucidClient,
    sent: *const LucidHeaders,
    www_authenticate: *const c_char,
    dpop_nonce: *const c_char,
    err: *mut *mut LucidError,
) -> LucidStatus {
    guard(err, || {
        let client = handle(client, "client")?;
        let sent = handle(sent, "sent")?;
        let www_authenticate = optional_string(www_authenticate, "www_authenticate")?;
        let dpop_nonce = optional_string(dpop_nonce, "dpop_nonce")?;
        client
            .inner
            .unauthorized(&sent.authorization, www_authenticate, dpop_nonce)?;
        Ok(())
    })
}
