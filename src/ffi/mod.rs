//! The C ABI: opaque handles, status codes, strings in and out, and the panic boundary. This layer
//! only converts arguments and results; everything it does is delegated to the Rust core.
//!
//! Conventions (also in the README's "API conventions"): a fallible function returns a
//! [`LucidStatus`] and writes its result through an out-parameter only on success; error details
//! go to an optional `LucidError **` out-parameter, never to thread-local state.

mod boundary;
mod client;
mod credentials;
mod error;
mod log;
pub(crate) mod os;
mod response;
mod status;
mod strings;

pub use client::*;
pub use credentials::*;
pub use error::*;
pub use log::*;
pub use response::*;
pub use status::*;
pub use strings::*;
