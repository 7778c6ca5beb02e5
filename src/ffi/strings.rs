//! Strings the library hands out, and the version.

use super::raw::guard_value;
use std::ffi::CString;
use std::os::raw::c_char;

/// The library's version, e.g. "0.1.0". Static: never free it.
#[no_mangle]
pub extern "C" fn lucid_version() -> *const c_char {
    guard_value(std::ptr::null(), || {
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
    })
}

/// Frees a `char *` this library returned as a result (a token, say); its bytes are wiped first.
/// NULL is accepted. Never pass a string borrowed from a handle or a static one.
#[no_mangle]
pub extern "C" fn lucid_string_free(string: *mut c_char) {
    guard_value((), || {
        if !string.is_null() {
            free_c_string(string);
        }
    })
}

/// Hands `text` to the caller as a `char *` to free with `lucid_string_free`.
pub(crate) fn into_c_string(text: CString) -> *mut c_char {
    text.into_raw()
}

fn free_c_string(string: *mut c_char) {
    // SAFETY: a string passed to lucid_string_free was made by CString::into_raw in this library
    // and, by the API contract, is freed only once.
    let owned = unsafe { CString::from_raw(string) };
    let mut bytes = owned.into_bytes_with_nul();
    // explicit_bzero: a memset the compiler may not remove (vectorized, unlike a loop of
    // volatile byte stores). Windows's C library has none: zeroize's volatile stores there.
    // SAFETY: bytes is a live, writable buffer of bytes.len() bytes.
    #[cfg(unix)]
    unsafe {
        libc::explicit_bzero(bytes.as_mut_ptr().cast(), bytes.len())
    };
    #[cfg(not(unix))]
    zeroize::Zeroize::zeroize(&mut bytes);
}
