//! The conversions that cannot fail: running an accessor's body behind the panic boundary,
//! borrowing a handle that may be NULL, and freeing one.

use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs the body of an infallible exported function (an accessor); a panic gives `fallback`.
pub fn guard_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// Borrows a handle that may be NULL (for accessors, which answer a default for NULL).
pub fn maybe<'a, T>(ptr: *const T) -> Option<&'a T> {
    // SAFETY: a non-NULL handle was made by this library (Box::into_raw) and, by the API contract,
    // is not freed while the call runs; as_ref checks for NULL.
    unsafe { ptr.as_ref() }
}

/// Frees a handle made by `Box::into_raw`; NULL is accepted and does nothing.
pub fn free<T>(ptr: *mut T) {
    if !ptr.is_null() {
        // SAFETY: a non-NULL pointer passed to a *_free function was made by Box::into_raw in this
        // library and, by the API contract, is freed only once.
        drop(unsafe { Box::from_raw(ptr) });
    }
}
