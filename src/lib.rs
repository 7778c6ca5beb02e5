//! lucidauth: OAuth2 client-credentials access tokens for the Lucidtech (Cradl) API and the
//! Lucidworks AI identity endpoint, kept fresh and shared between threads, and authorized API
//! calls made with them. The Rust API is here; `ffi` exposes it to C.
//!
//! The parts, each a folder, import one way: `config` ← `http`, `token`, `cache` ← `client` ←
//! `ffi`; the files at this root are what every part uses (see the README's "Layout").

#![warn(clippy::undocumented_unsafe_blocks)]

mod cache;
mod client;
mod clock;
mod config;
mod error;
pub mod ffi;
mod form;
mod http;
mod jwt;
pub mod log;
mod retry;
mod secret;
mod stats;
mod token;

pub use crate::http::{Response, ResponseHeaders, MAX_TOKEN_RESPONSE, USER_AGENT};
pub use client::{Authorization, Client};
pub use clock::{Clock, Deadline, ManualClock, Moment, SystemClock};
pub use config::{
    default_cradl_path, default_path, discover, from_file, from_ini_str, from_json_str, ClientAuth,
    Credentials, CredentialsBuilder, DefaultValue, Discovery, KeySpec, RetrySettings, TokenParams,
    ValueKind, DEFAULT_PROFILE, KEYS, MAX_SECONDS,
};
pub use error::{Error, ErrorKind, Result};
pub use secret::Secret;
pub use stats::{ScopeStats, Stats, TokenOrigin};
pub use token::Token;

/// The library's version, as in Cargo.toml.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Internals that the project's own test and fuzz crates reach: the URL forms, the token
/// request and answer, the parsers of outside input. Not a stable API.
#[doc(hidden)]
pub mod internal {
    /// The Redis store's reply reader and command encoder (fuzzing, and tests that talk to a
    /// Redis themselves).
    pub use crate::cache::resp::{
        encode as redis_command, parse_reply as redis_reply, Reply as RedisReply,
    };
    pub use crate::cache::{entry_example, entry_round_trips};
    pub use crate::config::url;
    pub use crate::config::ProxySetting;
    pub use crate::jwt::{claims as jwt_claims, exp as jwt_exp};
    pub use crate::secret::Redactor;
    pub use crate::token::request::{build_request, TokenRequest};
    pub use crate::token::response::parse_response;
    pub use crate::token::MAX_LIFETIME;
}
