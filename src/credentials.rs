//! Credentials: who the client is and where and how it talks. Built key by key with the same keys
//! and rules as the credentials file, so a program without a file can say everything a file can.

use crate::endpoint;
use crate::error::{Error, ErrorKind, Result};
use crate::keys::{self, DefaultValue, Value, KEYS};
use crate::retry::RetryPolicy;
use crate::secret::Secret;
use std::collections::BTreeMap;
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
}

/// Complete, validated credentials. Immutable; cheap to share between threads behind an `Arc`.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// Empty when only an `access_token` was given.
    pub(crate) client_id: String,
    /// `None` when only an `access_token` was given.
    pub(crate) client_secret: Option<Secret>,
    pub(crate) api_key: Option<Secret>,
    /// A pre-issued token (the `access_token` key).
    pub(crate) access_token: Option<Secret>,
    pub(crate) audience: Option<String>,
    pub(crate) token_url: String,
    pub(crate) api_endpoint: String,
    pub(crate) scope: Option<String>,
    pub(crate) token_params: TokenParams,
    pub(crate) client_auth: ClientAuth,
    pub(crate) use_cache: bool,
    pub(crate) cache_dir: Option<PathBuf>,
    pub(crate) cache_url: Option<Secret>,
    pub(crate) ca_file: Option<PathBuf>,
    /// The `proxy` key: a proxy URL or `none`; when not set, the environment decides.
    pub(crate) proxy: Option<Secret>,
    pub(crate) timeout: Duration,
    pub(crate) refresh_margin: Duration,
    pub(crate) refresh_ahead: bool,
    pub(crate) connect_timeout: Duration,
    pub(crate) max_response_bytes: u64,
    pub(crate) retry: RetryPolicy,
    /// The keys as they were set, for [`Credentials::to_builder`] and [`Credentials::value`].
    source: CredentialsBuilder,
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
        self.source.clone()
    }

    /// The value of key `name` as it was set (normalized, as the file would write it); `None`
    /// when it was not set, and always for a secret key.
    pub fn value(&self, name: &str) -> Option<String> {
        self.source.values.get(name).and_then(Value::shown)
    }

    /// Whether key `name` was set (secret or not).
    pub fn is_set(&self, name: &str) -> bool {
        self.source.values.contains_key(name)
    }

    /// The client id; empty when only an `access_token` was given.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
    /// Whether there are a client id and secret to fetch tokens with.
    pub fn has_client_credentials(&self) -> bool {
        self.client_secret.is_some()
    }
    /// The token endpoint's URL, worked out from `auth_endpoint`.
    pub fn token_url(&self) -> &str {
        &self.token_url
    }
    /// The API's base URL, without a trailing slash.
    pub fn api_endpoint(&self) -> &str {
        &self.api_endpoint
    }
    /// The directory of the shared token cache on disk (`cache_dir`, else `~/.lucidtech/cache`).
    pub(crate) fn cache_dir(&self) -> Option<PathBuf> {
        self.cache_dir.clone().or_else(|| {
            crate::credentials_file::default_path()
                .and_then(|p| p.parent().map(|d| d.join("cache")))
        })
    }
}

/// Collects keys one at a time, checking each value as it comes (by its description in
/// [`KEYS`]), then checks the whole.
#[derive(Clone, Debug, Default)]
pub struct CredentialsBuilder {
    values: BTreeMap<&'static str, Value>,
}

impl CredentialsBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets one key (a name from [`KEYS`]). The error names the key and, for keys that are not
    /// secret, the rejected value.
    pub fn set(&mut self, key: &str, value: &str) -> Result<&mut Self> {
        let spec = keys::spec(key).ok_or_else(|| {
            let names: Vec<&str> = KEYS.iter().map(|k| k.name).collect();
            Error::new(
                ErrorKind::InvalidArgument,
                format!("unknown key '{key}' (known keys: {})", names.join(", ")),
            )
        })?;
        let parsed = spec.parse(value).map_err(|why| {
            // A URL with userinfo is not quoted either: it holds a password.
            let shown = if spec.secret || endpoint::has_userinfo(value) {
                String::new()
            } else {
                format!(" '{value}'")
            };
            Error::new(
                ErrorKind::InvalidArgument,
                format!("key '{key}': value{shown} {why}"),
            )
        })?;
        self.values.insert(spec.name, parsed);
        Ok(self)
    }

    /// Checks that the required keys are there and that the endpoints may be used.
    pub fn build(&self) -> Result<Credentials> {
        let get = |name: &str| self.get(name);
        let text = |name: &str| match get(name) {
            Some(Value::Text(t)) => Some(t),
            _ => None,
        };
        let secret = |name: &str| match get(name) {
            Some(Value::Secret(s)) => Some(s),
            _ => None,
        };
        let flag = |name: &str| matches!(get(name), Some(Value::Bool(true)));
        let duration = |name: &str| match get(name) {
            Some(Value::Duration(d)) => d,
            _ => Duration::ZERO,
        };
        let number = |name: &str| match get(name) {
            Some(Value::Number(n)) => n,
            _ => 0,
        };
        let missing = |key: &str| Error::new(ErrorKind::Config, format!("missing key '{key}'"));
        let access_token = secret("access_token");
        let (client_id, client_secret) = match (text("client_id"), secret("client_secret")) {
            (Some(id), Some(secret)) => (id, Some(secret)),
            (Some(_), None) => return Err(missing("client_secret")),
            (None, Some(_)) => return Err(missing("client_id")),
            (None, None) if access_token.is_some() => (String::new(), None),
            (None, None) => {
                return Err(Error::new(
                    ErrorKind::Config,
                    "missing key 'client_id' (with 'client_secret'), or 'access_token'",
                ))
            }
        };
        let allow_http = flag("allow_http");
        let token_url = endpoint::token_url(&text("auth_endpoint").unwrap_or_default())?;
        // The cradl SDK's flow for its Kinde hosts: id, secret, grant_type and audience in the
        // form body. Keys that are set win.
        let kinde = endpoint::is_kinde_token_url(&token_url);
        let api_endpoint = endpoint::api_base(&text("api_endpoint").unwrap_or_default())?;
        endpoint::check_transport(&token_url, allow_http)
            .map_err(|e| e.context("key 'auth_endpoint'"))?;
        let cache_url = secret("cache_url");
        if let Some(url) = &cache_url {
            check_redis_transport(url.expose(), allow_http)?;
        }
        endpoint::check_transport(&api_endpoint, allow_http)
            .map_err(|e| e.context("key 'api_endpoint'"))?;
        Ok(Credentials {
            client_id,
            client_secret,
            api_key: secret("api_key"),
            access_token,
            audience: text("audience")
                .or_else(|| kinde.then(|| endpoint::CRADL_AUDIENCE.to_string())),
            token_url,
            api_endpoint,
            scope: text("scope"),
            token_params: match text("token_params").as_deref() {
                Some("body") => TokenParams::Body,
                Some(_) => TokenParams::Query,
                None if kinde => TokenParams::Body,
                None => TokenParams::Query,
            },
            client_auth: match text("client_auth").as_deref() {
                Some("basic_urlencoded") => ClientAuth::BasicUrlencoded,
                Some("post") => ClientAuth::Post,
                Some(_) => ClientAuth::Basic,
                None if kinde => ClientAuth::Post,
                None => ClientAuth::Basic,
            },
            use_cache: flag("use_cache"),
            cache_dir: text("cache_dir").map(PathBuf::from),
            cache_url,
            ca_file: text("ca_file").map(PathBuf::from),
            proxy: secret("proxy"),
            timeout: duration("timeout"),
            refresh_margin: duration("refresh_margin"),
            refresh_ahead: flag("refresh_ahead"),
            connect_timeout: duration("connect_timeout"),
            max_response_bytes: number("max_response_bytes"),
            retry: RetryPolicy {
                max_retries: u32::try_from(number("max_retries")).unwrap_or(u32::MAX),
                backoff: duration("retry_backoff_ms"),
                deadline: duration("retry_deadline"),
                max_retry_after: duration("max_retry_after"),
            },
            source: self.clone(),
        })
    }

    /// The value of key `name`: as set, else its default value from the table.
    fn get(&self, name: &str) -> Option<Value> {
        if let Some(v) = self.values.get(name) {
            return Some(v.clone());
        }
        let spec = keys::spec(name)?;
        match spec.default {
            DefaultValue::Value(default) => spec.parse(default).ok(),
            _ => None,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_with_userinfo_are_refused_naming_the_key_not_the_password() {
        for key in ["auth_endpoint", "api_endpoint"] {
            let mut b = CredentialsBuilder::new();
            let e = b
                .set(key, "https://user:pa55word@api.example.com/v1")
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            assert!(e.message().contains(key), "{}", e.message());
            assert!(
                !e.message().contains("pa55word") && !e.message().contains("api.example.com"),
                "{}",
                e.message()
            );
        }
    }

    #[test]
    fn defaults() {
        let c = Credentials::new("id", "secret").unwrap();
        assert_eq!(c.token_url(), "https://auth.lucidtech.ai/oauth2/token");
        assert_eq!(c.api_endpoint(), "https://api.lucidtech.ai/v1");
        assert_eq!(c.token_params, TokenParams::Query);
        assert_eq!(c.client_auth, ClientAuth::Basic);
        assert_eq!(c.timeout, Duration::from_secs(30));
        assert_eq!(c.refresh_margin, Duration::from_secs(300));
        assert_eq!(c.max_response_bytes, 64 * 1024 * 1024);
        assert_eq!(c.retry, RetryPolicy::default());
        assert!(!c.use_cache && c.api_key.is_none());
        assert_eq!(
            c.value("timeout"),
            None,
            "a default is not a value that was set"
        );
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
    fn cradl_kinde_hosts_default_to_the_cradl_flow_and_keys_win() {
        for (endpoint, kinde) in [
            ("https://auth.cradl.ai/oauth2/token", true),
            ("auth.lucidtech.io", true),
            ("https://acme.kinde.com/oauth2/token", true),
            ("auth.lucidtech.ai/oauth2", false),
            ("https://notkinde.com.example/token", false),
        ] {
            let mut b = CredentialsBuilder::new();
            b.set("client_id", "i")
                .unwrap()
                .set("client_secret", "s")
                .unwrap();
            b.set("auth_endpoint", endpoint).unwrap();
            let c = b.build().unwrap();
            let expected = if kinde {
                (
                    TokenParams::Body,
                    ClientAuth::Post,
                    Some("https://api.cradl.ai/v1"),
                )
            } else {
                (TokenParams::Query, ClientAuth::Basic, None)
            };
            assert_eq!(
                (c.token_params, c.client_auth, c.audience.as_deref()),
                expected,
                "{endpoint}"
            );
            b.set("token_params", "query").unwrap();
            b.set("client_auth", "basic").unwrap();
            b.set("audience", "https://api.example/v2").unwrap();
            let c = b.build().unwrap();
            assert_eq!(
                (c.token_params, c.client_auth, c.audience.as_deref()),
                (
                    TokenParams::Query,
                    ClientAuth::Basic,
                    Some("https://api.example/v2")
                ),
                "{endpoint}: keys that are set win"
            );
        }
    }

    #[test]
    fn an_access_token_makes_client_credentials_optional() {
        use base64::Engine;
        let payload =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"exp":4102444800}"#);
        let jwt = format!("eyJhbGciOiJub25lIn0.{payload}.sig");
        let mut b = CredentialsBuilder::new();
        b.set("access_token", &jwt).unwrap();
        let c = b.build().unwrap();
        assert!(!c.has_client_credentials() && c.client_id().is_empty());
        let e = b.set("access_token", "opaque-token").unwrap_err();
        assert_eq!(
            e.message(),
            "key 'access_token': value is not usable: must be a JWT with an exp claim"
        );
        b.set("client_id", "i").unwrap();
        assert_eq!(
            b.build().unwrap_err().message(),
            "missing key 'client_secret'"
        );
        let e = CredentialsBuilder::new().build().unwrap_err();
        assert_eq!(
            (e.kind(), e.message()),
            (
                ErrorKind::Config,
                "missing key 'client_id' (with 'client_secret'), or 'access_token'"
            )
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

    #[test]
    fn values_read_back_as_set_and_secrets_never() {
        let mut b = CredentialsBuilder::new();
        b.set("client_id", "i").unwrap();
        b.set("client_secret", "s").unwrap();
        b.set("scope", " a   b ").unwrap();
        b.set("retry_backoff_ms", "250").unwrap();
        let c = b.build().unwrap();
        assert_eq!(c.value("scope").as_deref(), Some("a b"));
        assert_eq!(c.value("retry_backoff_ms").as_deref(), Some("250"));
        assert_eq!(c.value("client_secret"), None);
        assert!(c.is_set("client_secret") && !c.is_set("api_key"));
        assert_eq!(
            c.to_builder().build().unwrap().value("scope").as_deref(),
            Some("a b")
        );
    }
}
