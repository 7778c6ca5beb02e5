//! What the user wrote and where it came from: the key table, the INI and JSON readers, where
//! credentials are found, the forms of endpoint URLs, proxy settings, and the resolved
//! [`Credentials`] with the views each other part gets of them (`parts`). Imports nothing of
//! HTTP, tokens, caches, the client or the FFI.

mod credentials;
mod discover;
mod file;
mod ini;
mod keys;
mod parts;
mod paths;
mod proxy;
pub mod url;

pub use credentials::{Credentials, CredentialsBuilder};
pub use discover::{discover, Discovery};
pub use file::{from_file, from_ini_str, from_json_str, DEFAULT_PROFILE};
pub use keys::{DefaultValue, KeySpec, ValueKind, KEYS, MAX_SECONDS};
pub use parts::{
    ApiConfig, CacheIdentity, ClientAuth, DpopConfig, HttpConfig, MemoryConfig, PreIssuedConfig,
    RetrySettings, SharedCacheConfig, SharedStore, TokenEndpointConfig, TokenParams,
};
pub use paths::{default_cradl_path, default_path};
pub use proxy::ProxySetting;
