//! How a server is set up: the credentials it accepts and how its tokens behave.

use std::fmt;
use std::str::FromStr;

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
    /// Any of the three forms above.
    #[default]
    Any,
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
        }
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
        ]
        .into_iter()
        .find(|auth| auth.name() == s)
        .ok_or_else(|| {
            format!("unknown client auth {s:?}: use basic, basic_urlencoded, post or any")
        })
    }
}

/// Settings for a [`TestServer`](crate::TestServer); start from `ServerConfig::default()` and
/// change what a test needs.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The client id the token endpoint accepts. Default `CLIENT_ID`.
    pub client_id: String,
    /// The client secret the token endpoint accepts. Default `CLIENT_SECRET`.
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
        }
    }
}
