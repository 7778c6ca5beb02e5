//! Credentials from C: built key by key, read from a file, or discovered.

use super::boundary::{guard, handle, handle_mut, optional_string, out_ptr, string};
use super::error::LucidError;
use super::raw::{free, guard_value, maybe};
use super::status::LucidStatus;
use crate::{Credentials, CredentialsBuilder};
use std::ffi::CString;
use std::os::raw::c_char;
use std::path::Path;
use std::sync::LazyLock as Lazy;

/// Complete credentials. Made by `lucid_credentials_new`, `lucid_credentials_from_file`,
/// `lucid_credentials_discover` or `lucid_credentials_builder_build`; freed with
/// `lucid_credentials_free`. Immutable: safe to use from many threads at once.
pub struct LucidCredentials {
    pub(crate) inner: Credentials,
}

/// Credentials being assembled key by key. Made by `lucid_credentials_builder_new`, freed with
/// `lucid_credentials_builder_free`. Not for use from two threads at once.
pub struct LucidCredentialsBuilder {
    inner: CredentialsBuilder,
}

/// Credentials with an id and a secret and every other key at its default.
/// On success writes a new object to `*out` (free with `lucid_credentials_free`).
#[no_mangle]
pub extern "C" fn lucid_credentials_new(
    client_id: *const c_char,
    client_secret: *const c_char,
    out: *mut *mut LucidCredentials,
    err: *mut *mut LucidError,
) -> LucidStatus {
    guard(err, || {
        let out = out_ptr(out, "out")?;
        let inner = Credentials::new(
            string(client_id, "client_id")?,
            string(client_secret, "client_secret")?,
        )?;
        out.write_box(LucidCredentials { inner });
        Ok(())
    })
}

/// Reads profile `profile` (NULL: "default") of the credentials file at `path`: INI
/// (`~/.lucidtech/credentials.cfg`) or the cradl SDK's JSON (`~/.cradl/credentials.json`), told
/// apart by the content (JSON starts with `{`), not the name.
/// On success writes a new object to `*out` (free with `lucid_credentials_free`).
#[no_mangle]
pub extern "C" fn lucid_credentials_from_file(
    path: *const c_char,
    profile: *const c_char,
    out: *mut *mut LucidCredentials,
    err: *mut *mut LucidError,
) -> LucidStatus {
    guard(err, || {
        let out = out_ptr(out, "out")?;
        let inner = crate::from_file(
            Path::new(string(path, "path")?),
            optional_string(profile, "profile")?,
        )?;
        out.write_box(LucidCredentials { inner });
        Ok(())
    })
}

/// Finds credentials as the official SDKs do, first found wins: `LAS_CLIENT_ID` and
/// `LAS_CLIENT_SECRET` or `LAS_ACCESS_TOKEN` (with `LAS_API_KEY`, `LAS_AUTH_ENDPOINT`,
/// `LAS_API_ENDPOINT`); `CRADL_CLIENT_ID` and `CRADL_CLIENT_SECRET` or `CRADL_ACCESS_TOKEN` (with
/// `CRADL_AUTH_ENDPOINT`, `CRADL_API_ENDPOINT`); the file `LAS_CREDENTIALS_FILE`;
/// `~/.lucidtech/credentials.cfg`; `~/.cradl/credentials.json`. Profile `profile`, else
/// `LAS_PROFILE`, else "default". An id without its secret (or the reverse) is
/// `LUCID_STATUS_CONFIG` naming the missing variable.
/// On success writes a new object to `*out` (free with `lucid_credentials_free`).
#[no_mangle]
pub extern "C" fn lucid_credentials_discover(
    profile: *const c_char,
    out: *mut *mut LucidCredentials,
    err: *mut *mut LucidError,
) -> LucidStatus {
    guard(err, || {
        let out = out_ptr(out, "out")?;
        let inner = crate::discover(optional_string(profile, "profile")?)?;
        out.write_box(LucidCredentials { inner });
        Ok(())
    })
}

/// Frees credentials. NULL is accepted. Clients made from them keep their own copy.
#[no_mangle]
pub extern "C" fn lucid_credentials_free(credentials: *mut LucidCredentials) {
    guard_value((), || free(credentials))
}

/// A new, empty builder (free with `lucid_credentials_builder_free`); NULL only if out of memory.
#[no_mangle]
pub extern "C" fn lucid_credentials_builder_new() -> *mut LucidCredentialsBuilder {
    guard_value(std::ptr::null_mut(), || {
        Box::into_raw(Box::new(LucidCredentialsBuilder {
            inner: CredentialsBuilder::new(),
        }))
    })
}

/// A builder holding the keys of `credentials`, to make a copy with some keys changed (free
/// with `lucid_credentials_builder_free`); NULL when `credentials` is NULL.
#[no_mangle]
pub extern "C" fn lucid_credentials_builder_from(
    credentials: *const LucidCredentials,
) -> *mut LucidCredentialsBuilder {
    guard_value(std::ptr::null_mut(), || {
        maybe(credentials).map_or(std::ptr::null_mut(), |c| {
            Box::into_raw(Box::new(LucidCredentialsBuilder {
                inner: c.inner.to_builder(),
            }))
        })
    })
}

/// Sets one key, with the names and values of the credentials file (`client_id`, `timeout`,
/// ...). A bad value or unknown key is `LUCID_STATUS_INVALID_ARGUMENT` and leaves the builder as
/// it was. The builder copies both strings.
#[no_mangle]
pub extern "C" fn lucid_credentials_builder_set(
    builder: *mut LucidCredentialsBuilder,
    key: *const c_char,
    value: *const c_char,
    err: *mut *mut LucidError,
) -> LucidStatus {
    guard(err, || {
        let builder = handle_mut(builder, "builder")?;
        builder
            .inner
            .set(string(key, "key")?, string(value, "value")?)?;
        Ok(())
    })
}

/// Checks the keys set so far and makes credentials from them; the builder stays usable.
/// On success writes a new object to `*out` (free with `lucid_credentials_free`).
#[no_mangle]
pub extern "C" fn lucid_credentials_builder_build(
    builder: *const LucidCredentialsBuilder,
    out: *mut *mut LucidCredentials,
    err: *mut *mut LucidError,
) -> LucidStatus {
    guard(err, || {
        let builder = handle(builder, "builder")?;
        let out = out_ptr(out, "out")?;
        out.write_box(LucidCredentials {
            inner: builder.inner.build()?,
        });
        Ok(())
    })
}

/// Frees a builder (its secrets are wiped). NULL is accepted.
#[no_mangle]
pub extern "C" fn lucid_credentials_builder_free(builder: *mut LucidCredentialsBuilder) {
    guard_value((), || free(builder))
}

/// The name of key number `index` (0, 1, ...) of the credentials file and the builder, e.g.
/// `"client_id"`; NULL past the last key. Static: never free it. Lets a binding check its own
/// list of keys against the library's.
#[no_mangle]
pub extern "C" fn lucid_credentials_key(index: usize) -> *const c_char {
    guard_value(std::ptr::null(), || {
        KEY_NAMES
            .get(index)
            .map_or(std::ptr::null(), |name| name.as_ptr())
    })
}

/// The key names as C strings, made once.
static KEY_NAMES: Lazy<Vec<CString>> = Lazy::new(|| {
    crate::KEYS
        .iter()
        .filter_map(|k| CString::new(k.name).ok())
        .collect()
});
