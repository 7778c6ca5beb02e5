//! lucidauth: OAuth2 client-credentials access tokens for the Lucidtech (Cradl) API and the
//! Lucidworks AI identity endpoint, kept fresh and shared between threads, and authorized API
//! calls made with them. The Rust API is here; `ffi` exposes it to C.

#![warn(clippy::undocumented_unsafe_blocks)]

mod cache;
mod client;
pub mod clock;
mod credentials;
mod credentials_file;
mod disk_cache;
pub mod endpoint;
mod error;
pub mod ffi;
mod form;
mod ini;
mod keys;
pub mod log;
mod preissued;
mod proxy;
mod redis_cache;
mod response;
mod retry;
mod secret;
mod shared_cache;
mod stats;
pub mod token;
mod token_copy;
mod token_endpoint;
mod token_source;
mod transport;

pub use client::Client;
pub use clock::{Clock, ManualClock, Moment, SystemClock};
pub use credentials::{ClientAuth, Credentials, CredentialsBuilder, TokenParams};
pub use credentials_file::{
    default_cradl_path, default_path, discover, discover_from, discover_with, from_file,
    from_ini_str, from_json_str, DEFAULT_PROFILE,
};
pub use error::{Error, ErrorKind, Result};
pub use keys::{DefaultValue, KeySpec, Kind, KEYS, MAX_SECONDS};
pub use response::Response;
pub use retry::RetryPolicy;
pub use secret::Secret;
pub use stats::{Origin, ScopeStats, Stats};
pub use token::Token;
pub use transport::{MAX_TOKEN_RESPONSE, USER_AGENT};

/// The library's version, as in Cargo.toml.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
