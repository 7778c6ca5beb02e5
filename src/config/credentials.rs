//! Credentials: who the client is and where and how it talks. Built key by key with the same keys
//! and rules as the credentials file, so a program without a file can say everything a file can.
//! Its fields are private: each part of the library gets what it needs through a view of
//! `parts`, made here.

use super::keys::{self, DefaultValue, Value, KEYS};
use super::parts::{
    ApiConfig, AssertionConfig, CacheIdentity, ClientAuth, DpopConfig, HttpConfig, MemoryConfig,
    PreIssuedConfig, RetrySettings, SharedCacheConfig, SharedStore, TokenEndpointConfig,
    TokenParams,
};
use super::paths;
use super::proxy::ProxySetting;
use super::url;
use crate::error::{Error, ErrorKind, Result};
use crate::secret::{Redactor, Secret};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// Complete, validated credentials. Immutable; cheap to share between threads behind an `Arc`.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// Empty when only an `access_token` was given.
    client_id: String,
    /// `None` when only an `access_token` was given, or with `client_auth = private_key_jwt`.
    client_secret: Option<Secret>,
    api_key: Option<Secret>,
    /// A pre-issued token (the `access_token` key).
    access_token: Option<Secret>,
    audience: Option<String>,
    token_url: String,
    api_endpoint: String,
    scope: Option<String>,
    token_params: TokenParams,
    client_auth: ClientAuth,
    /// The keys as they were set, for [`Credentials::to_builder`] and [`Credentials::value`],
    /// and for the settings read only by one part (timeouts, cache, proxy).
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
    /// Whether there are client credentials to fetch tokens with: an id and a secret or key.
    pub fn has_client_credentials(&self) -> bool {
        !self.client_id.is_empty()
    }
    /// How the client proves who it is to the token endpoint.
    pub fn client_auth(&self) -> ClientAuth {
        self.client_auth
    }
    /// The token endpoint's URL, worked out from `auth_endpoint`; with `issuer`, the issuer
    /// (the endpoint is read from its metadata when the first token is fetched).
    pub fn token_url(&self) -> &str {
        &self.token_url
    }
    /// The API's base URL, without a trailing slash.
    pub fn api_endpoint(&self) -> &str {
        &self.api_endpoint
    }

    /// The retry settings of every call.
    pub fn retry(&self) -> RetrySettings {
        let count = |name| u32::try_from(self.source.number(name)).unwrap_or(u32::MAX);
        RetrySettings {
            max_retries: count("max_retries"),
            backoff: self.source.duration("retry_backoff_ms"),
            deadline: self.source.duration("retry_deadline"),
            max_retry_after: self.source.duration("max_retry_after"),
        }
    }

    fn timeout(&self) -> Duration {
        self.source.duration("timeout")
    }

    fn refresh_margin(&self) -> Duration {
        self.source.duration("refresh_margin")
    }

    /// The transport's settings; the proxy variables are read from `env`, once, here.
    pub fn http(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<HttpConfig> {
        let proxy = self.source.secret("proxy");
        let timeout = self.timeout();
        Ok(HttpConfig {
            timeout,
            connect_timeout: self.source.duration("connect_timeout").min(timeout),
            uses_tls: [&self.token_url, &self.api_endpoint]
                .iter()
                .any(|u| u.starts_with("https")),
            ca_file: self.source.text("ca_file").map(PathBuf::from),
            proxy: ProxySetting::choose(proxy.as_ref().map(Secret::expose), env)?,
        })
    }

    /// What the token endpoint needs; `None` without client credentials.
    pub fn token_endpoint(&self) -> Option<TokenEndpointConfig> {
        if !self.has_client_credentials() {
            return None;
        }
        Some(TokenEndpointConfig {
            token_url: self.token_url.clone(),
            issuer: self.source.text("issuer"),
            allow_http: self.source.flag("allow_http"),
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            audience: self.audience.clone(),
            token_params: self.token_params,
            client_auth: self.client_auth,
            assertion: AssertionConfig {
                key_file: self.source.text("client_key_file").map(PathBuf::from),
                key_id: self.source.text("client_key_id"),
                audience: self.source.text("client_assertion_audience"),
            },
            refresh_margin: self.refresh_margin(),
            retry: self.retry(),
        })
    }

    /// The shared cache the keys ask for: Redis with `cache_url`, else a directory with
    /// `use_cache`; `None` without client credentials (a pre-issued token is not shared). A
    /// Redis lock's lease outlives a fetch that takes the whole retry deadline.
    pub fn shared_cache(&self) -> Result<Option<SharedCacheConfig>> {
        if !self.has_client_credentials() {
            return Ok(None);
        }
        if self.dpop().is_some() {
            // A DPoP-bound token is useless to a process without the key: never shared.
            if self.is_set("cache_url") || self.source.flag("use_cache") {
                crate::log::warn("dpop = true: tokens are bound to this client's key and kept in memory only; use_cache and cache_url are not used");
            }
            return Ok(None);
        }
        let wait = self.retry().deadline;
        let store = if let Some(url) = self.source.secret("cache_url") {
            SharedStore::Redis {
                url,
                lease: wait.saturating_add(self.timeout()),
                ca_file: self.source.text("ca_file").map(PathBuf::from),
            }
        } else if self.use_cache() {
            match self.cache_dir() {
                Ok(dir) => SharedStore::Disk { dir },
                // Shared by default only (a Lucidworks URL): without a home, not shared.
                Err(_) if !self.is_set("use_cache") => {
                    crate::log::warn("no home directory and no cache_dir: tokens are not shared with other processes (set cache_dir)");
                    return Ok(None);
                }
                Err(e) => return Err(e),
            }
        } else {
            return Ok(None);
        };
        Ok(Some(SharedCacheConfig {
            store,
            identity: CacheIdentity {
                token_url: self.token_url.clone(),
                client_id: self.client_id.clone(),
                secret: self.entry_secret()?,
            },
            refresh_margin: self.refresh_margin(),
            lock_wait: wait,
        }))
    }

    /// What authenticates this client's shared cache entries: its secret, or the PEM text of
    /// its private key (which only the holders of the key can read).
    fn entry_secret(&self) -> Result<Secret> {
        if let Some(secret) = &self.client_secret {
            return Ok(secret.clone());
        }
        let path = self.source.text("client_key_file").unwrap_or_default();
        let pem = std::fs::read(&path).map_err(|e| {
            Error::new(
                ErrorKind::Config,
                format!("client_key_file {path}: cannot read: {e}"),
            )
        })?;
        let pem = zeroize::Zeroizing::new(pem);
        Ok(Secret::new(String::from_utf8_lossy(&pem)))
    }

    /// `use_cache` as set, else `true` for a Lucidworks token URL (which invalidates a client's
    /// earlier tokens when it issues one, so processes must share them) and `false` otherwise.
    fn use_cache(&self) -> bool {
        match self.source.values.get("use_cache") {
            Some(Value::Bool(on)) => *on,
            _ => url::is_lucidworks_token_url(&self.token_url),
        }
    }

    /// The directory of the shared token cache on disk: `cache_dir`, else `cache` beside the
    /// default credentials file.
    fn cache_dir(&self) -> Result<PathBuf> {
        self.source
            .text("cache_dir")
            .map(PathBuf::from)
            .or_else(paths::default_cache_dir)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Config,
                    "use_cache is set but there is no cache_dir and no home directory",
                )
            })
    }

    /// DPoP's settings, when `dpop = true`.
    pub fn dpop(&self) -> Option<DpopConfig> {
        self.source.flag("dpop").then(|| DpopConfig {
            key_file: self.source.text("dpop_key_file").map(PathBuf::from),
        })
    }

    /// The in-memory cache's settings.
    pub fn memory(&self) -> MemoryConfig {
        MemoryConfig {
            default_scope: self.scope.clone().unwrap_or_default(),
            refresh_ahead: self.source.flag("refresh_ahead"),
            refresh_within: self.timeout(),
        }
    }

    /// The pre-issued token, if one was given.
    pub fn pre_issued(&self) -> Option<PreIssuedConfig> {
        Some(PreIssuedConfig {
            token: self.access_token.clone()?,
            scope: self.scope.clone().unwrap_or_default(),
            refresh_margin: self.refresh_margin(),
        })
    }

    /// What API calls need.
    pub fn api(&self) -> ApiConfig {
        ApiConfig {
            base: self.api_endpoint.clone(),
            api_key: self.api_key.clone(),
            scope: self.scope.clone(),
            max_response_bytes: self.source.number("max_response_bytes"),
            retry: self.retry(),
        }
    }

    /// Every form of every secret of these credentials that a message must not show.
    pub fn redactor(&self) -> Redactor {
        let mut redactor = Redactor::new();
        if let Some(secret) = &self.client_secret {
            redactor = redactor
                .secret(secret.expose())
                .basic_pair(&self.client_id, secret.expose());
        }
        for other in [&self.api_key, &self.access_token].into_iter().flatten() {
            redactor = redactor.secret(other.expose());
        }
        redactor
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
            let shown = if spec.secret || url::has_userinfo(value) {
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
        let (client_id, client_secret) = self.client()?;
        let token_url = self.token_url()?;
        let api_endpoint = url::api_base(&self.text("api_endpoint").unwrap_or_default())?;
        self.check_transports(&token_url, &api_endpoint)?;
        // The cradl SDK's flow for its Kinde hosts: id, secret, grant_type and audience in the
        // form body. Keys that are set win.
        let kinde = url::is_kinde_token_url(&token_url);
        let client_auth = self.client_auth(kinde);
        Ok(Credentials {
            client_id,
            client_secret,
            api_key: self.secret("api_key"),
            access_token: self.secret("access_token"),
            audience: self
                .text("audience")
                .or_else(|| kinde.then(|| url::CRADL_AUDIENCE.to_string())),
            token_url,
            api_endpoint,
            scope: self.text("scope"),
            token_params: match self.text("token_params").as_deref() {
                Some("body") => TokenParams::Body,
                Some(_) => TokenParams::Query,
                // A standards server (a JWT assertion, or one found by its issuer's metadata)
                // reads the parameters from the body only (RFC 6749 §4.4.2).
                None if kinde
                    || client_auth.is_assertion()
                    || self.values.contains_key("issuer") =>
                {
                    TokenParams::Body
                }
                None => TokenParams::Query,
            },
            client_auth,
            source: self.clone(),
        })
    }

    /// The token URL from `auth_endpoint`, or the `issuer` whose metadata names it: one of
    /// them, not both.
    fn token_url(&self) -> Result<String> {
        match (self.text("issuer"), self.values.contains_key("auth_endpoint")) {
            (Some(_), true) => Err(Error::new(
                ErrorKind::Config,
                "set either 'issuer' (the token endpoint is read from its metadata) or 'auth_endpoint', not both",
            )),
            (Some(issuer), false) => Ok(issuer),
            (None, _) => url::token_url(&self.text("auth_endpoint").unwrap_or_default()),
        }
    }

    /// `client_auth` as set, else `post` for a Cradl/Kinde token URL and `basic` otherwise.
    fn client_auth(&self, kinde: bool) -> ClientAuth {
        match self.text("client_auth").as_deref() {
            Some("basic_urlencoded") => ClientAuth::BasicUrlencoded,
            Some("post") => ClientAuth::Post,
            Some("private_key_jwt") => ClientAuth::PrivateKeyJwt,
            Some("client_secret_jwt") => ClientAuth::ClientSecretJwt,
            Some(_) => ClientAuth::Basic,
            None if kinde => ClientAuth::Post,
            None => ClientAuth::Basic,
        }
    }

    /// The client id and secret: both, the id alone with a private key, or neither when an
    /// `access_token` stands in for them.
    fn client(&self) -> Result<(String, Option<Secret>)> {
        let missing = |key: &str| Error::new(ErrorKind::Config, format!("missing key '{key}'"));
        if self.text("client_auth").as_deref() == Some("private_key_jwt") {
            return self.key_client().map(|id| (id, None));
        }
        match (self.text("client_id"), self.secret("client_secret")) {
            (Some(_), Some(secret))
                if self.text("client_auth").as_deref() == Some("client_secret_jwt")
                    && secret.expose().len() < MIN_HMAC_SECRET =>
            {
                Err(Error::new(
                    ErrorKind::Config,
                    format!("key 'client_secret': client_secret_jwt signs HS256 with it, which needs at least {MIN_HMAC_SECRET} bytes (RFC 7518 §3.2)"),
                ))
            }
            (Some(id), Some(secret)) => Ok((id, Some(secret))),
            (Some(_), None) => Err(missing("client_secret")),
            (None, Some(_)) => Err(missing("client_id")),
            (None, None) if self.secret("access_token").is_some() => Ok((String::new(), None)),
            (None, None) => Err(Error::new(
                ErrorKind::Config,
                "missing key 'client_id' (with 'client_secret'), or 'access_token'",
            )),
        }
    }

    /// The client id of a `private_key_jwt` client, which needs a key file and no secret.
    fn key_client(&self) -> Result<String> {
        let need = |what: &str| {
            Error::new(
                ErrorKind::Config,
                format!("client_auth = private_key_jwt needs {what}"),
            )
        };
        let id = self
            .text("client_id")
            .ok_or_else(|| need("key 'client_id'"))?;
        if self.text("client_key_file").is_none() {
            return Err(need(
                "key 'client_key_file' (the PEM private key it signs with)",
            ));
        }
        Ok(id)
    }

    /// Plain `http://` and `redis://` only to loopback, unless `allow_http` is set.
    fn check_transports(&self, token_url: &str, api_endpoint: &str) -> Result<()> {
        let allow_http = self.flag("allow_http");
        url::check_transport(token_url, allow_http)
            .map_err(|e| e.context("key 'auth_endpoint'"))?;
        if let Some(cache_url) = self.secret("cache_url") {
            check_redis_transport(cache_url.expose(), allow_http)?;
        }
        url::check_transport(api_endpoint, allow_http).map_err(|e| e.context("key 'api_endpoint'"))
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

    fn text(&self, name: &str) -> Option<String> {
        match self.get(name) {
            Some(Value::Text(t)) => Some(t),
            _ => None,
        }
    }

    fn secret(&self, name: &str) -> Option<Secret> {
        match self.get(name) {
            Some(Value::Secret(s)) => Some(s),
            _ => None,
        }
    }

    fn flag(&self, name: &str) -> bool {
        matches!(self.get(name), Some(Value::Bool(true)))
    }

    fn duration(&self, name: &str) -> Duration {
        match self.get(name) {
            Some(Value::Duration(d)) => d,
            _ => Duration::ZERO,
        }
    }

    fn number(&self, name: &str) -> u64 {
        match self.get(name) {
            Some(Value::Number(n)) => n,
            _ => 0,
        }
    }
}

/// The shortest secret `client_secret_jwt` signs with: HS256's key is at least its hash's size.
const MIN_HMAC_SECRET: usize = 32;

/// Plain `redis://` carries tokens in the clear: only to loopback, unless `allow_http` is set.
/// Messages never show the URL, which may hold a password.
fn check_redis_transport(url: &str, allow_http: bool) -> Result<()> {
    if url.starts_with("rediss://") || allow_http {
        return Ok(());
    }
    let uri: http::Uri = url.parse().map_err(|_| {
        Error::new(
            ErrorKind::InvalidArgument,
            "key 'cache_url': not a valid URL",
        )
    })?;
    if uri.host().is_some_and(url::is_loopback_host) {
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
        assert_eq!(c.timeout(), Duration::from_secs(30));
        assert_eq!(c.refresh_margin(), Duration::from_secs(300));
        assert_eq!(c.api().max_response_bytes, 64 * 1024 * 1024);
        assert_eq!(c.retry(), RetrySettings::default());
        assert!(c.shared_cache().unwrap().is_none() && c.api_key.is_none());
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
    fn a_lucidworks_token_url_shares_tokens_by_default_and_the_key_wins() {
        let dir = "/nonexistent-lucidauth-cache";
        for (endpoint, shared) in [
            ("https://identity.lucidworks.com/oauth2/aus1/v1/token", true),
            (
                "https://identity.lucidworks.com./oauth2/aus1/v1/token",
                true,
            ),
            (
                "https://identity.lucidworks.com.example/oauth2/token",
                false,
            ),
            ("https://lucidworks.com/oauth2/token", false),
            ("auth.lucidtech.ai", false),
            ("https://auth.cradl.ai/oauth2/token", false),
        ] {
            let mut b = CredentialsBuilder::new();
            b.set("client_id", "i")
                .unwrap()
                .set("client_secret", "s")
                .unwrap();
            b.set("auth_endpoint", endpoint).unwrap();
            b.set("cache_dir", dir).unwrap();
            let store = |b: &CredentialsBuilder| {
                let cache = b.build().unwrap().shared_cache().unwrap();
                cache.map(|c| match c.store {
                    SharedStore::Disk { dir } => dir,
                    SharedStore::Redis { .. } => PathBuf::from("redis"),
                })
            };
            let disk = Some(PathBuf::from(dir));
            let expected = if shared { disk.clone() } else { None };
            assert_eq!(store(&b), expected, "{endpoint}");
            b.set("use_cache", "false").unwrap();
            assert_eq!(store(&b), None, "{endpoint}: use_cache = false wins");
            b.set("use_cache", "true").unwrap();
            assert_eq!(store(&b), disk, "{endpoint}: use_cache = true wins");
        }
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
    fn an_issuer_puts_the_parameters_in_the_body_unless_told_otherwise() {
        let mut b = CredentialsBuilder::new();
        b.set("client_id", "i")
            .unwrap()
            .set("client_secret", "s")
            .unwrap();
        b.set("issuer", "https://login.example/tenant").unwrap();
        let c = b.build().unwrap();
        assert_eq!(
            (c.token_params, c.client_auth),
            (TokenParams::Body, ClientAuth::Basic)
        );
        b.set("token_params", "query").unwrap();
        assert_eq!(b.build().unwrap().token_params, TokenParams::Query);
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
