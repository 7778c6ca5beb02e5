//! The configuration as each part of the library needs it: small typed values that the pipeline
//! assembling a client hands down, so that no part below it reads the whole [`super::Credentials`].

use super::proxy::ProxySetting;
use crate::secret::Secret;
use std::path::PathBuf;
use std::time::Duration;

/// Where the token request carries `grant_type` and `scope`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenParams {
    /// In the query string, as both vendors document.
    Query,
    /// In an `application/x-www-form-urlencoded` body (RFC 6749 §4.4.2).
    Body,
}

/// How the client proves who it is to the token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    /// `Authorization: Basic base64(id:secret)` with id and secret as given (the vendors' form).
    Basic,
    /// The same after form-urlencoding id and secret (RFC 6749 §2.3.1).
    BasicUrlencoded,
    /// `client_id` and `client_secret` in the form body.
    Post,
    /// A JWT assertion signed with the client's private key (RFC 7523 §2.2), in the body.
    PrivateKeyJwt,
    /// A JWT assertion signed HS256 with the client secret, in the body.
    ClientSecretJwt,
}

impl ClientAuth {
    /// Whether the client proves itself with a JWT assertion rather than its secret.
    pub fn is_assertion(self) -> bool {
        matches!(
            self,
            ClientAuth::PrivateKeyJwt | ClientAuth::ClientSecretJwt
        )
    }

    /// The method's name, as `client_auth` writes it.
    pub fn name(self) -> &'static str {
        match self {
            ClientAuth::Basic => "basic",
            ClientAuth::BasicUrlencoded => "basic_urlencoded",
            ClientAuth::Post => "post",
            ClientAuth::PrivateKeyJwt => "private_key_jwt",
            ClientAuth::ClientSecretJwt => "client_secret_jwt",
        }
    }
}

/// What a client assertion (`private_key_jwt`, `client_secret_jwt`) is made of, besides the
/// client id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssertionConfig {
    /// `client_key_file`: the private key (`private_key_jwt` only).
    pub key_file: Option<PathBuf>,
    /// `client_key_id`: the JWT header's `kid`.
    pub key_id: Option<String>,
    /// `client_assertion_audience`; `None`: the token endpoint's URL.
    pub audience: Option<String>,
}

/// Retry settings (`max_retries`, `retry_backoff_ms`, `retry_deadline`, `max_retry_after`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetrySettings {
    /// Attempts after the first.
    pub max_retries: u32,
    /// The first backoff; each further one doubles, up to `retry::MAX_BACKOFF`.
    pub backoff: Duration,
    /// No attempt starts, and no wait ends, later than this after a call began.
    pub deadline: Duration,
    /// A longer `Retry-After` is waited only this long.
    pub max_retry_after: Duration,
}

impl Default for RetrySettings {
    fn default() -> Self {
        RetrySettings {
            max_retries: 3,
            backoff: Duration::from_millis(200),
            deadline: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

/// What the HTTP transport needs.
#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// One exchange's timeout.
    pub timeout: Duration,
    /// Connecting (TCP and TLS), within `timeout`.
    pub connect_timeout: Duration,
    /// Whether any endpoint is HTTPS (only then are the system's roots loaded).
    pub uses_tls: bool,
    pub ca_file: Option<PathBuf>,
    /// The proxy chosen from the `proxy` key or the environment.
    pub proxy: Option<ProxySetting>,
}

/// What building a token request and reading its answer need.
#[derive(Clone, Debug)]
pub struct TokenEndpointConfig {
    /// The token endpoint; with `issuer`, the issuer until its metadata names the endpoint.
    pub token_url: String,
    /// `issuer`: the token endpoint is found in this issuer's metadata.
    pub issuer: Option<String>,
    /// `allow_http`, for the endpoint the metadata names.
    pub allow_http: bool,
    pub client_id: String,
    /// `None` only with [`ClientAuth::PrivateKeyJwt`].
    pub client_secret: Option<Secret>,
    pub audience: Option<String>,
    pub token_params: TokenParams,
    pub client_auth: ClientAuth,
    pub assertion: AssertionConfig,
    pub refresh_margin: Duration,
    pub retry: RetrySettings,
}

/// DPoP (RFC 9449): tokens bound to a key that signs a proof of every request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DpopConfig {
    /// `dpop_key_file`; `None`: a new key for each client.
    pub key_file: Option<PathBuf>,
}

/// Who a shared cache entry belongs to: it is named after the first two and the scope, and
/// authenticated with the secret (the client secret, or the PEM text of the client's private
/// key), which is never stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheIdentity {
    pub token_url: String,
    pub client_id: String,
    pub secret: Secret,
}

/// Where tokens shared with other processes are kept.
#[derive(Clone, Debug)]
pub enum SharedStore {
    /// Redis at `url` (`cache_url`); a fetch lock's lease runs out after `lease`.
    Redis {
        url: Secret,
        lease: Duration,
        ca_file: Option<PathBuf>,
    },
    /// A directory on this host (`use_cache`, `cache_dir`).
    Disk { dir: PathBuf },
}

/// The shared cache, when one is configured.
#[derive(Clone, Debug)]
pub struct SharedCacheConfig {
    pub store: SharedStore,
    pub identity: CacheIdentity,
    pub refresh_margin: Duration,
    /// How long to wait for another process's fetch.
    pub lock_wait: Duration,
}

/// The in-memory token cache.
#[derive(Clone, Debug)]
pub struct MemoryConfig {
    /// The configured `scope` ("" for none).
    pub default_scope: String,
    pub refresh_ahead: bool,
    /// How long one background renewal may take.
    pub refresh_within: Duration,
}

/// A pre-issued token (`access_token`).
#[derive(Clone, Debug)]
pub struct PreIssuedConfig {
    pub token: Secret,
    pub scope: String,
    pub refresh_margin: Duration,
}

/// What API calls need.
#[derive(Clone, Debug)]
pub struct ApiConfig {
    /// The API's base URL, without a trailing slash.
    pub base: String,
    pub api_key: Option<Secret>,
    /// The configured `scope`, if any.
    pub scope: Option<String>,
    pub max_response_bytes: u64,
    pub retry: RetrySettings,
}
