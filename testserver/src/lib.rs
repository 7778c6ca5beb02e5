//! A local stand-in for the OAuth2 token endpoint and the document API that `lucidauth` talks to.
//!
//! It lets the library's tests, the C example, the language bindings and the demo run against real
//! HTTP (or HTTPS, [`ServerConfig::tls`]) without reaching the internet. Start one in process with
//! [`TestServer::start`], or run the `lucid-testserver` binary and drive it through its `/_admin/`
//! endpoints.
//!
//! What it serves:
//! - `POST …/token`: the client-credentials token endpoint (see [`ClientAuth`] for how clients may
//!   authenticate, [`DpopMode`] for DPoP). Issued tokens are remembered with their expiry, scope
//!   and DPoP binding.
//! - `GET …/.well-known/…`: RFC 8414 metadata, when [`ServerConfig::metadata`] is set.
//! - `/_admin/…`: controls for out-of-process users (counts, scripted responses, lifetime, revoke,
//!   recorded requests, rejections, DPoP nonce, clock). These are neither counted nor recorded.
//! - everything else: the API, which checks the access token (and DPoP proof) and api key and
//!   echoes the request back as JSON; a path ending in `/bytes/N` answers N bytes instead
//!   ([`MAX_BYTES`], [`pattern_byte`]).
//!
//! Every check the server makes has a stable reason code when it fails ([`Outcome::reason`]),
//! and every token request's decoded client assertion and DPoP proof can be read back
//! ([`RecordedRequest::client_assertion`], [`RecordedRequest::dpop_proof`]).

mod admin;
mod api;
mod assertion;
mod bytes;
mod client_auth;
mod config;
mod dpop;
mod form;
mod http;
mod jwt;
mod keys;
mod metadata;
mod open_sockets;
mod record;
mod reject;
mod script;
mod server;
mod signer;
mod state;
mod tls;
mod token;
mod tunnel;

pub use bytes::{pattern_byte, MAX_BYTES};
pub use client_auth::JWT_BEARER;
pub use config::{AssertionAudience, ClientAuth, DpopMode, Metadata, ServerConfig};
pub use jwt::DecodedJwt;
pub use keys::ClientKey;
pub use record::{Outcome, RecordedRequest, RequestKind};
pub use script::Scripted;
pub use server::TestServer;
