//! The C ABI: opaque handles, status codes, strings in and out, and the panic boundary. This layer
//! only converts arguments and results; everything it does is delegated to the Rust core.
//!
//! The conventions it keeps (ownership, statuses, errors, strings, threads) are written once, in
//! `docs/API.md#conventions`.

mod boundary;
mod client;
mod credentials;
mod error;
mod log;
mod raw;
mod response;
mod stats;
mod status;
mod strings;

pub use client::*;
pub use credentials::*;
pub use error::*;
pub use log::*;
pub use response::*;
pub use stats::*;
pub use status::*;
pub use strings::*;
