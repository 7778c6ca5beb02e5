//! Where tokens are kept: in memory per scope (`memory`, its `slot`s and their lock-free `copy`),
//! and shared with other processes (`shared`, its `entry` format, and the `disk` and `redis`
//! stores). Imports tokens and the configuration; nothing of the client or the FFI.

mod copy;
mod damp;
mod disk;
mod entry;
mod memory;
mod redis;
mod shared;
mod slot;

pub use disk::DiskStore;
pub use memory::TokenCache;
pub use redis::RedisStore;
pub use shared::{SharedCache, Store};
