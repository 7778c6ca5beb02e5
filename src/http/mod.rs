//! HTTP: the transport (TLS roots, proxy route, name resolution, deadlines), the response it
//! reads, and which outcomes are worth another attempt. Imports the configuration it is handed,
//! nothing of tokens, caches, the client or the FFI.

mod failure;
mod proxy;
mod resolver;
mod response;
mod retryable;
mod socket;
mod tls;
mod transport;

pub use response::Response;
pub use retryable::judge_exchange;
pub use socket::TimedTcp;
pub use tls::root_certificates;
pub use transport::{http_method, Exchange, Transport, MAX_TOKEN_RESPONSE, USER_AGENT};
