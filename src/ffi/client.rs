//! Clients from C: tokens and authorized requests.

use super::boundary::{
    bytes, guard, handle, optional_string, out_buf, out_ptr, string, string_array,
};
use super::credentials::LucidCredentials;
use super::error::LucidError;
use super::raw::{free, guard_value};
use super::response::LucidResponse;
use super::status::LucidStatus;
use super::strings::into_c_string;
use crate::Client;
use std::ffi::CString;
use std::os::raw::c_char;

/// A client: credentials, a connection pool and the token cache. Made by `lucid_client_new`,
/// freed with `lucid_client_free`. Safe to use from many threads at once; share one per process
/// (per credentials) so that all threads share its tokens.
pub struct LucidClient {
    pub(crate) inner: Client,
}

/// A client for `credentials` (copied: they may be freed right after).
/// On success writes a new object to `*out` (free with `lucid_client_free`).
#[no_mangle]
pub extern "C" fn lucid_client_new(
    credentials: *const LucidCredentials,
    out: *mut *mut LucidClient,
    err: *mut *mut LucidError,
) -> LucidStatus {
    guard(err, || {
        let credentials = handle(credentials, "credentials")?;
        let out = out_ptr(out, "out")?;
        out.write_box(LucidClient {
            inner: Client::new(credentials.inner.clone())?,
        });
        Ok(())
    })
}

/// Frees a client. NULL is accepted. No call on it may be running.
#[no_mangle]
pub extern "C" fn lucid_client_free(client: *mut LucidClient) {
    guard_value((), || free(client))
}

/// A fresh access token for `scope` (NULL: the credentials' scope; "": no scope), from the cache
/// while fresh, else fetched once for all waiting threads. On success writes a new string to
/// `*token_out`, which the caller frees with `lucid_string_free`.
#[no_mangle]
pub extern "C" fn lucid_client_access_token(
    client: *const LucidClient,
    scope: *const c_char,
    token_out: *mut *mut c_char,
    err: *mut *mut LucidError,
) -> LucidStatus {
    guard(err, || {
        let client = handle(client, "client")?;
        let scope = optional_string(scope, "scope")?;
        let token_out = out_ptr(token_out, "token_out")?;
        let token = client.inner.access_token_with_nul(scope)?;
        // SAFETY: every Token is made through token::is_valid_token (printable ASCII, 0x21 to
        // 0x7e), so the bytes hold no NUL but the one access_token_with_nul puts at the end.
        let token = unsafe { CString::from_vec_with_nul_unchecked(token) };
        token_out.write(into_c_string(token));
        Ok(())
    })
}

/// Copies a fresh access token for `scope` (as `lucid_client_access_token`) and a NUL into the
/// caller's `buf` of `buf_len` bytes, and its length (without the NUL) to `*token_len`: no
/// allocation while the token is cached. When `buf_len` is less than the length plus one, returns
/// `LUCID_STATUS_BUFFER_TOO_SMALL`, sets `*token_len` to the length and writes nothing else (so
/// `buf` NULL with `buf_len` 0 asks only for the length). `token_len` is required.
#[no_mangle]
pub extern "C" fn lucid_client_access_token_buf(
    client: *const LucidClient,
    scope: *const c_char,
    buf: *mut c_char,
    buf_len: usize,
    token_len: *mut usize,
    err: *mut *mut LucidError,
) -> LucidStatus {
    guard(err, || {
        let client = handle(client, "client")?;
        let scope = optional_string(scope, "scope")?;
        let token_len = out_ptr(token_len, "token_len")?;
        let buf = out_buf(buf, buf_len, "buf")?;
        let copied = buf.write_with_nul(|room| client.inner.access_token_into(scope, room))?;
        match copied {
            Ok(len) => {
                token_len.write(len);
                Ok(())
            }
            Err(needed) => {
                token_len.write(needed);
                Err(LucidError::new(
                    LucidStatus::BufferTooSmall,
                    format!(
                        "the token is {needed} bytes; buf needs {} with its NUL",
                        needed + 1
                    ),
                ))
            }
        }
    })
}

/// Sends `method` (e.g. "GET") to `path` joined to the API endpoint, with `x-api-key` (when
/// set), `Authorization: Bearer <token>`, the `header_count` extra headers in `headers` (each
/// "Name: value"; NULL when 0) and the `body_len` bytes of `body` (NULL when 0); a body without a
/// `Content-Type` among `headers` goes as `application/json`, as the official SDKs send. Any HTTP status
/// is a success: read it from the response. On a 401 the token is renewed and the request sent
/// once more. On success writes a new response to `*out` (free with `lucid_response_free`).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn lucid_client_request(
    client: *const LucidClient,
    method: *const c_char,
    path: *const c_char,
    headers: *const *const c_char,
    header_count: usize,
    body: *const u8,
    body_len: usize,
    out: *mut *mut LucidResponse,
    err: *mut *mut LucidError,
) -> LucidStatus {
    guard(err, || {
        let client = handle(client, "client")?;
        let method = string(method, "method")?;
        let path = string(path, "path")?;
        let lines = string_array(headers, header_count, "headers")?;
        let body = bytes(body, body_len, "body")?;
        let out = out_ptr(out, "out")?;
        let mut pairs = Vec::with_capacity(lines.len());
        for (number, line) in lines.iter().enumerate() {
            // The line is not quoted in the message: it may hold a secret.
            let (name, value) = line.split_once(':').ok_or_else(|| {
                LucidError::new(
                    LucidStatus::InvalidArgument,
                    format!("header number {number} is not 'Name: value'"),
                )
            })?;
            pairs.push((name.trim(), value.trim()));
        }
        let response = client.inner.request(method, path, &pairs, body)?;
        out.write_box(LucidResponse::new(response));
        Ok(())
    })
}
