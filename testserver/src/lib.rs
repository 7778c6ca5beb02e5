//! A local stand-in for the OAuth2 token endpoint and the document API that `lucidauth` talks to.
//!
//! It lets the library's tests, the C example, the language bindings and the demo run against real
//! HTTP without reaching the internet. Start one in process with [`TestServer::start`], or run the
//! `lucid-testserver` binary and drive it through its `/_admin/` endpoints.
//!
//! What it serves:
//! - `POST …/token`: the client-credentials token endpoint (see [`ClientAuth`] for how clients may
//!   authenticate). Issued tokens are remembered with their expiry and scope.
//! - `/_admin/…`: controls for out-of-process users (counts, scripted responses, lifetime, revoke,
//!   recorded requests). These are neither counted nor recorded.
//! - everything else: the API, which checks the bearer token and api key and echoes the request back
//!   as JSON.

mod admin;
mod api;
mod config;
mod form;
mod record;
mod script;
mod server;
mod state;
mod token;

pub use config::{ClientAuth, ServerConfig};
pub use record::{RecordedRequest, RequestKind};
pub use script::Scripted;
pub use server::TestServer;
