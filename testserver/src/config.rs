//! How a server is set up: the credentials it accepts and how its tokens behave.

use std::fmt;
use std::str::FromStr;

use crate::keys::ClientKey;

/// How the token endpoint expects the client to authenticate.
///
/// The vendors document plain Basic; RFC 6749 §2.3.1 asks for the id and secret to be
/// form-urlencoded before Base64; some servers want them in the form body instead. Selecting one
/// form lets tests prove the library sends exactly what its configuration says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ClientAuth {
    /// `Authorization: Basic base64(id:secret)`, id and secret as they are.
    Basic,
    /// `Authorization: Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1).
    BasicUrlencoded,
    /// `client_id` and `client_secret` in the `application/x-www-form-urlencoded` body.
    Post,
    /// Any of the three forms above (never the two below).
    #[default]
    Any,
    /// `private_key_jwt` (RFC 7523 §2.2, RFC 7521 §4.2): `client_assertion_type` and a
    /// `client_assertion` JWT signed RS256 or ES256 by one of [`ServerConfig::client_keys`], in
    /// the form body, and no client secret.
    PrivateKeyJwt,
    /// `client_secret_jwt`: the same assertion signed HS256 with [`ServerConfig::client_secret`].
    ClientSecretJwt,
}

impl ClientAuth {
    /// The name used on the command line and in `credentials.cfg` (`basic`, `basic_urlencoded`,
    /// `post`, `any`).
    pub fn name(self) -> &'static str {
        match self {
            ClientAuth::Basic => "basic",
            ClientAuth::BasicUrlencoded => "basic_urlencoded",
            ClientAuth::Post => "post",
            ClientAuth::Any => "any",
            ClientAuth::PrivateKeyJwt => "private_key_jwt",
            ClientAuth::ClientSecretJwt => "client_secret_jwt",
        }
    }

    /// Whether the client authenticates with a `client_assertion` JWT.
    pub fn uses_assertion(self) -> bool {
        matches!(
            self,
            ClientAuth::PrivateKeyJwt | ClientAuth::ClientSecretJwt
        )
    }
}

impl fmt::Display for ClientAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ClientAuth {
    type Err = String;

    /// Parses the names that [`ClientAuth::name`] returns.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            ClientAuth::Basic,
            ClientAuth::BasicUrlencoded,
            ClientAuth::Post,
            ClientAuth::Any,
            ClientAuth::PrivateKeyJwt,
            ClientAuth::ClientSecretJwt,
        ]
        .into_iter()
        .find(|auth| auth.name() == s)
        .ok_or_else(|| {
            format!(
                "unknown client auth {s:?}: use basic, basic_urlencoded, post, any, \
                 private_key_jwt or client_secret_jwt"
            )
        })
    }
}

/// Whether and how the server takes DPoP proofs (RFC 9449).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DpopMode {
    /// A `DPoP` header is ignored and tokens are Bearer tokens, as at a server that knows no DPoP.
    #[default]
    Off,
    /// A token request with a proof gets a DPoP-bound token (`token_type` `DPoP`), one without a
    /// proof a Bearer token.
    Optional,
    /// Every token request needs a valid proof; every token is DPoP-bound.
    Required,
}

/// An `aud` value the server accepts in client assertions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AssertionAudience {
    /// The URL of the token endpoint the request was sent to, without the query:
    /// `http[s]://<Host header>/<path>` (Okta's rule).
    TokenEndpoint,
    /// The issuer ([`TestServer::issuer`](crate::TestServer::issuer)).
    Issuer,
    /// This exact string.
    Url(String),
}

impl FromStr for AssertionAudience {
    type Err = String;

    /// `token_endpoint`, `issuer`, or any other text as a [`AssertionAudience::Url`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "token_endpoint" => AssertionAudience::TokenEndpoint,
            "issuer" => AssertionAudience::Issuer,
            "" => return Err("an assertion audience cannot be empty".to_string()),
            url => AssertionAudience::Url(url.to_string()),
        })
    }
}

/// The RFC 8414 metadata the server publishes about itself, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Metadata {
    /// The issuer's path after the origin: empty for the issuer `http[s]://127.0.0.1:PORT`, or
    /// e.g. `/oauth2/abc` (starting with `/`, not ending with one).
    pub issuer_path: String,
    /// `GET /.well-known/oauth-authorization-server<issuer path>` (RFC 8414 §3.1) answers.
    pub rfc8414: bool,
    /// `GET <issuer path>/.well-known/oauth-authorization-server` (the older, path-suffixed form)
    /// answers.
    pub path_suffix: bool,
    /// `GET <issuer path>/.well-known/openid-configuration` (OpenID Connect Discovery §4) and
    /// `GET /.well-known/openid-configuration<issuer path>` answer.
    pub openid: bool,
    /// Serve this `issuer` in the document instead of the real one (to test that clients refuse a
    /// mismatch). Default `None`.
    pub served_issuer: Option<String>,
    /// Serve this `token_endpoint` instead of the default: `<issuer>/v1/token` when the issuer
    /// has a path, else `<origin>/oauth2/token`. Default `None`.
    pub token_endpoint: Option<String>,
}

impl Default for Metadata {
    /// The issuer at the origin, every form served, nothing overridden.
    fn default() -> Self {
        Metadata {
            issuer_path: String::new(),
            rfc8414: true,
            path_suffix: true,
            openid: true,
            served_issuer: None,
            token_endpoint: None,
        }
    }
}

/// Settings for a [`TestServer`](crate::TestServer); start from `ServerConfig::default()` and
/// change what a test needs.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The client id the token endpoint accepts. Default `CLIENT_ID`.
    pub client_id: String,
    /// The client secret the token endpoint accepts (and the HS256 key of
    /// [`ClientAuth::ClientSecretJwt`]). Default `CLIENT_SECRET`.
    pub client_secret: String,
    /// When set, every API request must carry `x-api-key: <this>` or gets 403.
    /// Default `Some("API_KEY")`.
    pub api_key: Option<String>,
    /// How clients must authenticate at the token endpoint. Default [`ClientAuth::Any`].
    pub client_auth: ClientAuth,
    /// The `expires_in` given to new tokens, and how long they stay valid. Default 3600.
    pub token_lifetime_secs: u64,
    /// When true, issuing a token for a scope invalidates the earlier tokens for that scope, as the
    /// Lucidworks identity service does. Default false.
    pub invalidate_previous: bool,
    /// When true, connections stay open between requests (HTTP/1.1 keep-alive) unless the client
    /// asks to close, and `/_admin/stats` also reports `connections`. Default false: every
    /// response carries `Connection: close`. Opt-in because a client may then keep a pooled
    /// connection that outlives the server (used by the benchmarks, which measure reuse).
    pub keep_alive: bool,
    /// Serve HTTPS (TLS 1.2 and 1.3) with a certificate for `127.0.0.1` and `localhost` from a CA
    /// made at start ([`TestServer::ca_pem`](crate::TestServer::ca_pem)). Default false.
    pub tls: bool,
    /// The public keys [`ClientAuth::PrivateKeyJwt`] assertions may be signed with. When there is
    /// more than one, assertions must name theirs with `kid`. Default none.
    pub client_keys: Vec<ClientKey>,
    /// The `aud` values accepted in client assertions (one must appear in `aud`). Default
    /// `[TokenEndpoint]`.
    pub assertion_audiences: Vec<AssertionAudience>,
    /// DPoP at the token endpoint and the API. Default [`DpopMode::Off`].
    pub dpop: DpopMode,
    /// Demand a server nonce in DPoP proofs from the start (RFC 9449 §8, §9); a nonce can also be
    /// set or rotated later. Default false.
    pub dpop_nonce: bool,
    /// How far (seconds) a DPoP proof's `iat` may be from the server's clock, either way.
    /// Default 60.
    pub dpop_iat_window_secs: u64,
    /// Issue Bearer tokens as signed JWTs too (DPoP-bound tokens always are). Default false:
    /// opaque `tok-N-…` strings.
    pub jwt_tokens: bool,
    /// Publish RFC 8414 metadata, which also sets the issuer. Default `None`: `/.well-known/`
    /// paths answer 404.
    pub metadata: Option<Metadata>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            client_id: "CLIENT_ID".to_string(),
            client_secret: "CLIENT_SECRET".to_string(),
            api_key: Some("API_KEY".to_string()),
            client_auth: ClientAuth::Any,
            token_lifetime_secs: 3600,
            invalidate_previous: false,
            keep_alive: false,
            tls: false,
            client_keys: Vec::new(),
            assertion_audiences: vec![AssertionAudience::TokenEndpoint],
            dpop: DpopMode::Off,
            dpop_nonce: false,
            dpop_iat_window_secs: 60,
            jwt_tokens: false,
            metadata: None,
        }
    }
}

/// RFC 7518 §3.2: an HS256 key is at least as long as the hash.
pub(crate) const MIN_HS256_SECRET: usize = 32;

impl ServerConfig {
    /// Whether the settings can work together; [`TestServer::start`](crate::TestServer::start)
    /// refuses those that cannot, with this message.
    pub fn check(&self) -> Result<(), String> {
        if self.client_auth == ClientAuth::PrivateKeyJwt && self.client_keys.is_empty() {
            return Err("private_key_jwt needs at least one client key".to_string());
        }
        if self.client_auth == ClientAuth::ClientSecretJwt
            && self.client_secret.len() < MIN_HS256_SECRET
        {
            return Err(format!(
                "client_secret_jwt needs a client secret of at least {MIN_HS256_SECRET} bytes \
                 (RFC 7518 §3.2)"
            ));
        }
        if self.assertion_audiences.is_empty() {
            return Err("at least one assertion audience is needed".to_string());
        }
        if let Some(metadata) = &self.metadata {
            let path = &metadata.issuer_path;
            if !path.is_empty() && (!path.starts_with('/') || path.ends_with('/')) {
                return Err(format!(
                    "issuer path {path:?} must start with / and not end with one"
                ));
            }
            if path.contains(['?', '#']) {
                return Err(format!(
                    "issuer path {path:?} cannot have a query or fragment"
                ));
            }
        }
        Ok(())
    }
}
