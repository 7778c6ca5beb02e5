//! The synchronization the in-memory cache is built of: std's, or loom's when the crate is built
//! with `--cfg loom`, so that the model tests (`make loom`) run the real `copy` and `slot` code
//! through every interleaving loom can reach.

#[cfg(loom)]
pub use loom::sync::{atomic, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
pub use std::sync::TryLockError;
#[cfg(not(loom))]
pub use std::sync::{atomic, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// A busy-wait's pause: the processor's hint, or under loom a yield to the other threads.
pub fn spin_loop() {
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(not(loom))]
    std::hint::spin_loop();
}

/// Waits `wait` for another thread to finish something: a sleep, or under loom (which has no
/// time) a yield.
pub fn pause(wait: std::time::Duration) {
    #[cfg(loom)]
    {
        let _ = wait;
        loom::thread::yield_now();
    }
    #[cfg(not(loom))]
    std::thread::sleep(wait);
}
