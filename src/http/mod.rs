//! HTTP: the transport (TLS roots, proxy route, name resolution, deadlines), the HTTP/1.1
//! driver over ureq-proto, the response it reads, and which outcomes are worth another attempt.
//! Imports the configuration it is handed, nothing of tokens, caches, the client or the FFI.

mod connect;
mod connection;
mod exchange;
mod failure;
mod pool;
mod proxy;
mod request;
mod resolver;
mod response;
mod retryable;
mod socket;
mod stream;
mod tls;
mod transport;

pub use request::{http_method, Exchange, MAX_TOKEN_RESPONSE, USER_AGENT};
pub use resolver::CachingResolver;
pub use response::{Response, ResponseHeaders};
pub use retryable::judge_exchange;
pub use socket::TimedTcp;
pub use tls::root_certificates;
pub use transport::Transport;
