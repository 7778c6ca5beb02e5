//! The panic boundary every exported function goes through, and the typed conversions of raw
//! arguments, so that no pointer is dereferenced without a NULL check and no panic unwinds into C.

use super::error::LucidError;
use super::raw::maybe;
use super::status::LucidStatus;
use std::ffi::CStr;
use std::os::raw::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs the body of a fallible exported function. A failure, or a caught panic, becomes a status
/// and, when `err_out` is not NULL, an error object written there for the caller to free.
pub fn guard(
    err_out: *mut *mut LucidError,
    body: impl FnOnce() -> Result<(), LucidError>,
) -> LucidStatus {
    let failure = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => return LucidStatus::Ok,
        Ok(Err(error)) => error,
        Err(_) => LucidError::new(
            LucidStatus::Internal,
            "internal error: a panic was caught at the C boundary",
        ),
    };
    let status = failure.status();
    if !err_out.is_null() {
        // SAFETY: err_out is not NULL and, by the API contract, points to writable storage for one
        // pointer; the Box is handed to the caller, who frees it with lucid_error_free.
        unsafe { *err_out = Box::into_raw(Box::new(failure)) };
    }
    status
}

/// Borrows a handle the caller passed; NULL is an error naming the argument.
pub fn handle<'a, T>(ptr: *const T, name: &str) -> Result<&'a T, LucidError> {
    maybe(ptr).ok_or_else(|| null(name))
}

/// Borrows a handle the caller passed for changing; NULL is an error naming the argument.
pub fn handle_mut<'a, T>(ptr: *mut T, name: &str) -> Result<&'a mut T, LucidError> {
    // SAFETY: as in `handle`; the API contract says a mutable handle is not used from two threads
    // at once.
    unsafe { ptr.as_mut() }.ok_or_else(|| null(name))
}

/// Reads a NUL-terminated UTF-8 string argument; NULL or invalid UTF-8 is an error naming it.
pub fn string<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, LucidError> {
    if ptr.is_null() {
        return Err(null(name));
    }
    // SAFETY: ptr is not NULL and, by the API contract, points to a NUL-terminated string that
    // stays valid for the duration of the call.
    let bytes = unsafe { CStr::from_ptr(ptr) }.to_bytes();
    std::str::from_utf8(bytes).map_err(|_| {
        LucidError::new(
            LucidStatus::InvalidUtf8,
            format!("argument '{name}' is not valid UTF-8"),
        )
    })
}

/// Reads a string argument that may be NULL (meaning "not given").
pub fn optional_string<'a>(ptr: *const c_char, name: &str) -> Result<Option<&'a str>, LucidError> {
    if ptr.is_null() {
        Ok(None)
    } else {
        string(ptr, name).map(Some)
    }
}

/// Borrows `len` bytes at `ptr`; NULL is allowed only when `len` is 0.
pub fn bytes<'a>(ptr: *const u8, len: usize, name: &str) -> Result<&'a [u8], LucidError> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(null(name));
    }
    // SAFETY: ptr is not NULL and, by the API contract, points to `len` readable bytes that stay
    // valid for the duration of the call.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Borrows an array of `count` string pointers; NULL is allowed only when `count` is 0.
pub fn string_array<'a>(
    ptr: *const *const c_char,
    count: usize,
    name: &str,
) -> Result<Vec<&'a str>, LucidError> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if ptr.is_null() {
        return Err(null(name));
    }
    // SAFETY: ptr is not NULL and, by the API contract, points to `count` readable pointers.
    let items = unsafe { std::slice::from_raw_parts(ptr, count) };
    items.iter().map(|item| string(*item, name)).collect()
}

/// Checks that an out-parameter can be written.
pub fn out_ptr<T>(ptr: *mut T, name: &str) -> Result<OutPtr<T>, LucidError> {
    if ptr.is_null() {
        Err(null(name))
    } else {
        Ok(OutPtr(ptr))
    }
}

/// A checked, non-NULL out-parameter, written only once the result is ready.
pub struct OutPtr<T>(*mut T);

impl<T> OutPtr<T> {
    pub fn write(self, value: T) {
        // SAFETY: the pointer was checked for NULL in out_ptr and, by the API contract, points to
        // writable storage for one T.
        unsafe { self.0.write(value) }
    }
}

impl<T> OutPtr<*mut T> {
    /// Hands a new object to the caller, who frees it with the type's `*_free` function.
    pub fn write_box(self, value: T) {
        self.write(Box::into_raw(Box::new(value)));
    }
}

/// Checks a caller's output buffer of `len` bytes; NULL is allowed only when `len` is 0.
pub fn out_buf<'a>(ptr: *mut c_char, len: usize, name: &str) -> Result<OutBuf<'a>, LucidError> {
    if len == 0 {
        return Ok(OutBuf(&mut []));
    }
    if ptr.is_null() {
        return Err(null(name));
    }
    // SAFETY: ptr is not NULL and, by the API contract, points to `len` writable bytes that stay
    // valid, and are not otherwise used, for the duration of the call.
    Ok(OutBuf(unsafe {
        std::slice::from_raw_parts_mut(ptr.cast::<u8>(), len)
    }))
}

/// A checked caller buffer for a string.
pub struct OutBuf<'a>(&'a mut [u8]);

impl OutBuf<'_> {
    /// Lets `fill` copy a string into the buffer less its last byte (`Ok(len)`, or `Err(len)`
    /// when it does not fit), then ends a copied string with a NUL.
    pub fn write_with_nul<E>(
        self,
        fill: impl FnOnce(&mut [u8]) -> Result<Result<usize, usize>, E>,
    ) -> Result<Result<usize, usize>, E> {
        let room = self.0.len().saturating_sub(1);
        let copied = fill(&mut self.0[..room])?;
        if let Ok(len) = copied {
            match self.0.get_mut(len) {
                Some(end) => *end = 0,
                None => return Ok(Err(len)),
            }
        }
        Ok(copied)
    }
}

fn null(name: &str) -> LucidError {
    LucidError::new(
        LucidStatus::NullArgument,
        format!("argument '{name}' is NULL"),
    )
}
