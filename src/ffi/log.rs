//! Log lines to a C callback.

use super::error::c_string;
use super::raw::guard_value;
use crate::log::{self, Level};
use std::os::raw::{c_char, c_void};
use std::sync::Arc;

/// Receives one log line: `level` is 1 (error) to 4 (debug), `message` is valid only during the
/// call and never holds a secret or token. Called from whichever thread logs, possibly several at
/// once: it must be thread-safe and must not call back into lucidauth.
pub type LucidLogCallback =
    Option<extern "C" fn(user_data: *mut c_void, level: i32, message: *const c_char)>;

/// The user data pointer, handed back to the callback untouched.
struct UserData(*mut c_void);
// SAFETY: the pointer is never dereferenced here, only handed back to the caller's callback,
// which the API contract requires to be thread-safe.
unsafe impl Send for UserData {}
// SAFETY: as above.
unsafe impl Sync for UserData {}

impl UserData {
    fn get(&self) -> *mut c_void {
        self.0
    }
}

/// Installs `callback` process-wide to receive log lines of `max_level` (1 error, 2 warn, 3 info,
/// 4 debug) and more severe, with `user_data` passed back to it; a NULL callback or a level
/// outside 1..4 removes it. When this returns, the previous callback is no longer running on any
/// thread, so its user data may be freed. Independent of `LUCIDAUTH_LOG`, which logs to stderr.
#[no_mangle]
pub extern "C" fn lucid_set_log_callback(
    callback: LucidLogCallback,
    user_data: *mut c_void,
    max_level: i32,
) {
    guard_value((), || {
        let (Some(callback), Some(max)) = (callback, Level::from_number(max_level)) else {
            log::set_sink(None);
            return;
        };
        let data = UserData(user_data);
        let sink: log::Sink = Arc::new(move |level: Level, message: &str| {
            let text = c_string(message.to_string());
            callback(data.get(), level as i32, text.as_ptr());
        });
        log::set_sink(Some((sink, max)));
    })
}
