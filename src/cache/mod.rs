//! Where tokens are kept: in memory per scope (`memory`, its `slot`s and their lock-free `copy`),
//! and shared with other processes (`shared`, its `entry` format, and the `disk` and `redis`
//! stores; `kept`, the issuer's token endpoint kept in the same store). `sync` names the locks and atomics of the first two, std's or loom's. Imports tokens and the configuration; nothing of the client or the FFI.

mod copy;
mod damp;
mod disk;
mod entry;
mod kept;
mod memory;
#[cfg(all(test, loom))]
mod models;
mod redis;
pub mod resp;
mod shared;
mod slot;
mod sync;

pub use disk::DiskStore;
pub use entry::{entry_example, entry_round_trips};
pub use kept::SharedEndpoint;
pub use memory::TokenCache;
pub use redis::RedisStore;
pub use shared::{SharedCache, Store};
