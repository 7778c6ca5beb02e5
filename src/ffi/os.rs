//! The one operating-system call the core needs that the standard library does not offer. It
//! lives here because this is the only module where `unsafe` is allowed.

/// The effective user id of this process: whom the files it creates belong to.
#[cfg(unix)]
pub(crate) fn effective_uid() -> u32 {
    // SAFETY: geteuid takes no arguments, touches no memory of ours and cannot fail (POSIX).
    unsafe { libc::geteuid() }
}
