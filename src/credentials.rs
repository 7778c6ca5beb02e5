//! Credentials: who the client is and where and how it talks. Built key by key with the same keys
//! and rules as the credentials file, so a program without a file can say everything a file can.

use crate::endpoint;
use crate::error::{Error, ErrorKind, Result};
use crate::retry::RetryPolicy;
use crate::secret::Secret;
use std::path::PathBuf;
use std::time::Duration;

pub const DEFAULT_AUTH_ENDPOINT: &str = "auth.lucidtech.ai";
pub const DEFAULT_API_ENDPOINT: &str = "https://api.lucidtech.ai/v1";
/// Seconds for one HTTP exchange when `timeout` is not set.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long before expiry a token counts as stale when `refresh_margin` is not set.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(300);
/// Seconds to establish a connection (TCP and TLS) when `connect_timeout` is not set.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Most bytes of an API answer read when `max_response_bytes` is not set.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;

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
}

/// Every key the credentials file and [`CredentialsBuilder::set`] accept.
pub const KEYS: &[&str] = &[
    "client_id",
    "client_secret",
    "api_key",
    "auth_endpoint",
    "api_endpoint",
    "scope",
    "token_params",
    "client_auth",
    "use_cache",
    "cache_dir",
    "cache_url",
    "ca_file",
    "timeout",
    "refresh_margin",
    "allow_http",
    "connect_timeout",
    "max_response_bytes",
    "max_retries",
    "retry_backoff_ms",
    "retry_deadline",
    "max_retry_after",
];

/// Complete, validated credentials. Immutable; cheap to share between threads behind an `Arc`.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub(crate) client_id: String,
    pub(crate) client_secret: Secret,
    pub(crate) api_key: Option<Secret>,
    pub(crate) token_url: String,
    pub(crate) api_endpoint: String,
    pub(crate) scope: Option<String>,
    pub(crate) token_params: TokenParams,
    pub(crate) client_auth: ClientAuth,
    pub(crate) use_cache: bool,
    pub(crate) cache_dir: Option<PathBuf>,
    pub(crate) cache_url: Option<Secret>,
    pub(crate) ca_file: Option<PathBuf>,
    pub(crate) timeout: Duration,
    pub(crate) refresh_margin: Duration,
    pub(crate) allow_http: bool,
    pub(crate) connect_timeout: Duration,
    pub(crate) max_response_bytes: u64,
    pub(crate) retry: RetryPolicy,
}

impl Credentials {
    /// Credentials with just an id and a secret; everything else takes its default.
    pub fn new(client_id: &str, client_secret: &str) -> Result<Self> {
        let mut builder = CredentialsBuilder::new();
        builder.set("client_id", client_id)?;
        builder.set("client_secret", client_secret)?;
        builder.build()
    }

    pub fn builder() -> CredentialsBuilder {
        CredentialsBuilder::new()
    }

    /// A builder holding these credentials' keys, to make a copy with some keys changed.
    pub fn to_builder(&self) -> CredentialsBuilder {
        CredentialsBuilder {
            client_id: Some(self.client_id.clone()),
            client_secret: Some(self.client_secret.clone()),
            api_key: self.api_key.clone(),
            auth_endpoint: Some(self.token_url.clone()),
            api_endpoint: Some(self.api_endpoint.clone()),
            scope: self.scope.clone(),
            token_params: Some(self.token_params),
            client_auth: Some(self.client_auth),
            use_cache: Some(self.use_cache),
            cache_dir: self.cache_dir.clone(),
            cache_url: self.cache_url.clone(),
            ca_file: self.ca_file.clone(),
            timeout: Some(self.timeout),
            refresh_margin: Some(self.refresh_margin),
            allow_http: Some(self.allow_http),
            connect_timeout: Some(self.connect_timeout),
            max_response_bytes: Some(self.max_response_bytes),
            max_retries: Some(self.retry.max_retries),
            retry_backoff: Some(self.retry.backoff),
            retry_deadline: Some(self.retry.deadline),
            max_retry_after: Some(self.retry.max_retry_after),
        }
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }
    pub fn token_url(&self) -> &str {
        &self.token_url
    }
    pub fn api_endpoint(&self) -> &str {
        &self.api_endpoint
    }
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }
    pub fn has_api_key(&self) -> bool {
        self.api_key.is_some()
    }
    pub fn token_params(&self) -> TokenParams {
        self.token_params
    }
    pub fn client_auth(&self) -> ClientAuth {
        self.client_auth
    }
    /// The directory of the shared token cache on disk (`cache_dir`, else `~/.lucidtech/cache`).
    pub fn cache_dir(&self) -> Option<PathBuf> {
        self.cache_dir.clone().or_else(|| {
            crate::credentials_file::default_path()
                .and_then(|p| p.parent().map(|d| d.join("cache")))
        })
    }
    /// Whether a Redis cache is configured (`cache_url`); the URL may hold a password.
    pub fn has_cache_url(&self) -> bool {
        self.cache_url.is_some()
    }
    pub fn use_cache(&self) -> bool {
        self.use_cache
    }
    pub fn ca_file(&self) -> Option<&std::path::Path> {
        self.ca_file.as_deref()
    }
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
    pub fn refresh_margin(&self) -> Duration {
        self.refresh_margin
    }
    pub fn allow_http(&self) -> bool {
        self.allow_http
    }
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }
    pub fn max_response_bytes(&self) -> u64 {
        self.max_response_bytes
    }
    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }
}

/// Collects keys one at a time, checking each value as it comes, then checks the whole.
#[derive(Clone, Debug, Default)]
pub struct CredentialsBuilder {
    client_id: Option<String>,
    client_secret: Option<Secret>,
    api_key: Option<Secret>,
    auth_endpoint: Option<String>,
    api_endpoint: Option<String>,
    scope: Option<String>,
    token_params: Option<TokenParams>,
    client_auth: Option<ClientAuth>,
    use_cache: Option<bool>,
    cache_dir: Option<PathBuf>,
    cache_url: Option<Secret>,
    ca_file: Option<PathBuf>,
    timeout: Option<Duration>,
    refresh_margin: Option<Duration>,
    allow_http: Option<bool>,
    connect_timeout: Option<Duration>,
    max_response_bytes: Option<u64>,
    max_retries: Option<u32>,
    retry_backoff: Option<Duration>,
    retry_deadline: Option<Duration>,
    max_retry_after: Option<Duration>,
}

impl CredentialsBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets one key (a name from [`KEYS`]). The error names the key and, for keys that are not
    /// secret, the rejected value.
    pub fn set(&mut self, key: &str, value: &str) -> Result<&mut Self> {
        let bad = |what: &str| {
            let shown = if matches!(key, "client_secret" | "api_key" | "cache_url") {
                String::new()
            } else {
                format!(" '{value}'")
            };
            Error::new(
                ErrorKind::InvalidArgument,
                format!("key '{key}': value{shown} {what}"),
            )
        };
        let number = |value: &str, min: u64| -> Result<u64> {
            parse_number(value).filter(|n| *n >= min).ok_or_else(|| {
                bad(if min == 0 {
                    "must be a whole number"
                } else {
                    "must be a whole number above 0"
                })
            })
        };
        let text = || -> Result<String> {
            let v = value.trim();
            if v.is_empty() {
                return Err(bad("is empty"));
            }
            Ok(v.to_string())
        };
        match key {
            "client_id" => self.client_id = Some(text()?),
            "client_secret" => self.client_secret = Some(Secret::new(text()?)),
            "api_key" => self.api_key = Some(Secret::new(text()?)),
            "auth_endpoint" => {
                endpoint::token_url(value)
                    .map_err(|e| bad(&format!("is not usable: {}", e.message())))?;
                self.auth_endpoint = Some(text()?);
            }
            "api_endpoint" => {
                endpoint::api_base(value)
                    .map_err(|e| bad(&format!("is not usable: {}", e.message())))?;
                self.api_endpoint = Some(text()?);
            }
            "scope" => {
                let scopes: Vec<&str> = value.split_whitespace().collect();
                if scopes.is_empty() {
                    return Err(bad("is empty"));
                }
                self.scope = Some(scopes.join(" "));
            }
            "token_params" => {
                self.token_params = Some(match value.trim() {
                    "query" => TokenParams::Query,
                    "body" => TokenParams::Body,
                    _ => return Err(bad("must be 'query' or 'body'")),
                })
            }
            "client_auth" => {
                self.client_auth = Some(match value.trim() {
                    "basic" => ClientAuth::Basic,
                    "basic_urlencoded" => ClientAuth::BasicUrlencoded,
                    "post" => ClientAuth::Post,
                    _ => return Err(bad("must be 'basic', 'basic_urlencoded' or 'post'")),
                })
            }
            "use_cache" => {
                self.use_cache =
                    Some(parse_bool(value).ok_or_else(|| bad("must be true or false"))?)
            }
            "allow_http" => {
                self.allow_http =
                    Some(parse_bool(value).ok_or_else(|| bad("must be true or false"))?)
            }
            "ca_file" => self.ca_file = Some(PathBuf::from(text()?)),
            "cache_dir" => self.cache_dir = Some(PathBuf::from(text()?)),
            "cache_url" => {
                let url = text()?;
                if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
                    return Err(Error::new(
                        ErrorKind::InvalidArgument,
                        format!("key '{key}': must start with redis:// or rediss://"),
                    ));
                }
                self.cache_url = Some(Secret::new(url));
            }
            "timeout" => self.timeout = Some(Duration::from_secs(number(value, 1)?)),
            "refresh_margin" => self.refresh_margin = Some(Duration::from_secs(number(value, 0)?)),
            "connect_timeout" => {
                self.connect_timeout = Some(Duration::from_secs(number(value, 1)?))
            }
            "max_response_bytes" => self.max_response_bytes = Some(number(value, 1)?),
            "max_retries" => {
                let n = number(value, 0)?;
                self.max_retries = Some(
                    u32::try_from(n)
                        .ok()
                        .filter(|n| *n <= 100)
                        .ok_or_else(|| bad("must be at most 100"))?,
                );
            }
            "retry_backoff_ms" => {
                self.retry_backoff = Some(Duration::from_millis(number(value, 0)?))
            }
            "retry_deadline" => self.retry_deadline = Some(Duration::from_secs(number(value, 1)?)),
            "max_retry_after" => {
                self.max_retry_after = Some(Duration::from_secs(number(value, 0)?))
            }
            _ => {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    format!("unknown key '{key}' (known keys: {})", KEYS.join(", ")),
                ))
            }
        }
        Ok(self)
    }

    /// Checks that the required keys are there and that the endpoints may be used.
    pub fn build(&self) -> Result<Credentials> {
        let missing = |key: &str| Error::new(ErrorKind::Config, format!("missing key '{key}'"));
        let client_id = self.client_id.clone().ok_or_else(|| missing("client_id"))?;
        let client_secret = self
            .client_secret
            .clone()
            .ok_or_else(|| missing("client_secret"))?;
        let allow_http = self.allow_http.unwrap_or(false);
        let defaults = RetryPolicy::default();
        let token_url = endpoint::token_url(
            self.auth_endpoint
                .as_deref()
                .unwrap_or(DEFAULT_AUTH_ENDPOINT),
        )?;
        let api_endpoint =
            endpoint::api_base(self.api_endpoint.as_deref().unwrap_or(DEFAULT_API_ENDPOINT))?;
        endpoint::check_transport(&token_url, allow_http)
            .map_err(|e| e.context("key 'auth_endpoint'"))?;
        if let Some(url) = &self.cache_url {
            check_redis_transport(url.expose(), allow_http)?;
        }
        endpoint::check_transport(&api_endpoint, allow_http)
            .map_err(|e| e.context("key 'api_endpoint'"))?;
        Ok(Credentials {
            client_id,
            client_secret,
            api_key: self.api_key.clone(),
            token_url,
            api_endpoint,
            scope: self.scope.clone(),
            token_params: self.token_params.unwrap_or(TokenParams::Query),
            client_auth: self.client_auth.unwrap_or(ClientAuth::Basic),
            use_cache: self.use_cache.unwrap_or(false),
            cache_dir: self.cache_dir.clone(),
            cache_url: self.cache_url.clone(),
            ca_file: self.ca_file.clone(),
            timeout: self.timeout.unwrap_or(DEFAULT_TIMEOUT),
            refresh_margin: self.refresh_margin.unwrap_or(DEFAULT_REFRESH_MARGIN),
            allow_http,
            connect_timeout: self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
            max_response_bytes: self
                .max_response_bytes
                .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
            retry: RetryPolicy {
                max_retries: self.max_retries.unwrap_or(defaults.max_retries),
                backoff: self.retry_backoff.unwrap_or(defaults.backoff),
                deadline: self.retry_deadline.unwrap_or(defaults.deadline),
                max_retry_after: self.max_retry_after.unwrap_or(defaults.max_retry_after),
            },
        })
    }
}

/// Plain `redis://` carries tokens in the clear: only to loopback, unless `allow_http` is set.
/// Messages never show the URL, which may hold a password.
fn check_redis_transport(url: &str, allow_http: bool) -> Result<()> {
    if url.starts_with("rediss://") || allow_http {
        return Ok(());
    }
    let uri: ureq::http::Uri = url.parse().map_err(|_| {
        Error::new(
            ErrorKind::InvalidArgument,
            "key 'cache_url': not a valid URL",
        )
    })?;
    if uri.host().is_some_and(endpoint::is_loopback_host) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::InsecureUrl,
            "key 'cache_url': plain redis:// to a host that is not loopback; use rediss:// or set allow_http = true",
        ))
    }
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Some(true),
        "false" | "no" | "off" | "0" => Some(false),
        _ => None,
    }
}

fn parse_number(value: &str) -> Option<u64> {
    let v = value.trim();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let c = Credentials::new("id", "secret").unwrap();
        assert_eq!(c.token_url(), "https://auth.lucidtech.ai/oauth2/token");
        assert_eq!(c.api_endpoint(), "https://api.lucidtech.ai/v1");
        assert_eq!(c.token_params(), TokenParams::Query);
        assert_eq!(c.client_auth(), ClientAuth::Basic);
        assert_eq!(c.timeout(), DEFAULT_TIMEOUT);
        assert_eq!(c.refresh_margin(), DEFAULT_REFRESH_MARGIN);
        assert!(!c.use_cache() && !c.allow_http() && !c.has_api_key());
    }

    #[test]
    fn bad_values_name_the_key_but_not_secrets() {
        let mut b = CredentialsBuilder::new();
        let e = b.set("timeout", "soon").unwrap_err();
        assert_eq!(
            e.message(),
            "key 'timeout': value 'soon' must be a whole number above 0"
        );
        let e = b.set("client_secret", " ").unwrap_err();
        assert_eq!(e.message(), "key 'client_secret': value is empty");
        let e = b.set("colour", "red").unwrap_err();
        assert!(e.message().starts_with("unknown key 'colour'"));
        let e = CredentialsBuilder::new()
            .set("client_id", "x")
            .unwrap()
            .build()
            .unwrap_err();
        assert_eq!(
            (e.kind(), e.message()),
            (ErrorKind::Config, "missing key 'client_secret'")
        );
    }

    #[test]
    fn plain_http_needs_loopback_or_allow_http() {
        let mut b = CredentialsBuilder::new();
        b.set("client_id", "i")
            .unwrap()
            .set("client_secret", "s")
            .unwrap();
        b.set("auth_endpoint", "http://auth.example.com").unwrap();
        assert_eq!(b.build().unwrap_err().kind(), ErrorKind::InsecureUrl);
        b.set("allow_http", "true").unwrap();
        assert_eq!(
            b.build().unwrap().token_url(),
            "http://auth.example.com/oauth2/token"
        );
    }
}
