//! Every key of the credentials file and the builder, described once: its name, what its value
//! is, its default, whether it is secret, and a line of documentation. The builder, the file
//! reader, the docs table (README.md, kept equal by a test) and the bindings' key lists (tested
//! against `lucid_credentials_key`) all follow this table.

use super::url;
use crate::jwt;
use crate::secret::Secret;
use std::time::Duration;

/// The longest duration any key accepts: a year. Longer would only overflow clock arithmetic.
pub const MAX_SECONDS: u64 = 365 * 24 * 3600;

/// One key.
#[derive(Debug)]
pub struct KeySpec {
    pub name: &'static str,
    pub kind: ValueKind,
    pub default: DefaultValue,
    /// Never shown in a message, a log line or `Debug`, and wiped when freed.
    pub secret: bool,
    pub doc: &'static str,
}

/// What a key's value is, and so how it is checked.
#[derive(Debug)]
pub enum ValueKind {
    /// Any text; surrounding blanks are trimmed; empty is refused.
    Text,
    /// A file or directory path.
    Path,
    /// `true/false`, `yes/no`, `on/off`, `1/0`.
    Bool,
    /// Whole seconds in `min..=MAX_SECONDS`.
    Seconds { min: u64 },
    /// Whole milliseconds up to `MAX_SECONDS` seconds.
    Millis,
    /// A whole number in `min..=max`.
    Count { min: u64, max: u64 },
    /// One of these words.
    Choice(&'static [&'static str]),
    /// Space-separated words, kept with single spaces.
    Scope,
    /// Checked by a rule of its own (an endpoint or a URL).
    Checked(fn(&str) -> Result<(), String>),
}

/// What a key is when it is not set.
#[derive(Debug)]
pub enum DefaultValue {
    /// Credentials cannot be built without it.
    Required,
    /// Not set: the feature is off or the value absent.
    None,
    /// This value, checked like any other.
    Value(&'static str),
    /// Worked out when needed; the text says how (for the docs).
    Computed(&'static str),
}

/// A checked value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Text(String),
    Secret(Secret),
    Bool(bool),
    Duration(Duration),
    Number(u64),
}

impl Value {
    /// The value as the file would write it; `None` for a secret.
    pub fn shown(&self) -> Option<String> {
        match self {
            Value::Text(t) => Some(t.clone()),
            Value::Secret(_) => None,
            Value::Bool(b) => Some(b.to_string()),
            Value::Duration(d) if d.subsec_nanos() == 0 => Some(d.as_secs().to_string()),
            Value::Duration(d) => Some(d.as_millis().to_string()),
            Value::Number(n) => Some(n.to_string()),
        }
    }
}

/// The table.
pub const KEYS: &[KeySpec] = &[
    KeySpec { name: "client_id", kind: ValueKind::Text,
        default: DefaultValue::Computed("required, unless `access_token` is set"), secret: false,
        doc: "the OAuth2 client id" },
    KeySpec { name: "client_secret", kind: ValueKind::Text,
        default: DefaultValue::Computed("required with `client_id`, unless `client_auth = private_key_jwt`"), secret: true,
        doc: "the OAuth2 client secret" },
    KeySpec { name: "api_key", kind: ValueKind::Text, default: DefaultValue::None, secret: true,
        doc: "sent as `x-api-key` on API calls" },
    KeySpec { name: "auth_endpoint", kind: ValueKind::Checked(check_auth_endpoint),
        default: DefaultValue::Value("auth.lucidtech.ai"), secret: false,
        doc: "a host or an origin (`https://host[:port]`): gets `/oauth2/token`; a host with a path prefix and no scheme, as the official SDKs write it (`auth.lucidtech.ai/oauth2`): gets `/token` appended; an `https://` URL with a path: kept as it is" },
    KeySpec { name: "api_endpoint", kind: ValueKind::Checked(check_api_endpoint),
        default: DefaultValue::Value("https://api.lucidtech.ai/v1"), secret: false,
        doc: "base URL; request paths are joined to it" },
    KeySpec { name: "scope", kind: ValueKind::Scope, default: DefaultValue::None, secret: false,
        doc: "space-separated scopes to ask for" },
    KeySpec { name: "token_params", kind: ValueKind::Choice(&["query", "body"]),
        default: DefaultValue::Computed("`query`; `body` for a Cradl/Kinde token endpoint, a JWT `client_auth` or an `issuer`"), secret: false,
        doc: "`query` (the vendors' form) or `body` (RFC 6749 §4.4.2)" },
    KeySpec { name: "client_auth",
        kind: ValueKind::Choice(&["basic", "basic_urlencoded", "post", "private_key_jwt", "client_secret_jwt"]),
        default: DefaultValue::Computed("`basic`; `post` for a Cradl/Kinde token endpoint"), secret: false,
        doc: "`basic`, `basic_urlencoded` (RFC 6749 §2.3.1), `post`, or a signed JWT assertion instead of the secret (RFC 7523): `private_key_jwt` (signed with `client_key_file`) or `client_secret_jwt` (HS256 with `client_secret`, at least 32 bytes)" },
    KeySpec { name: "use_cache", kind: ValueKind::Bool,
        default: DefaultValue::Computed("`false`; `true` for a Lucidworks token URL (`identity.lucidworks.com`)"), secret: false,
        doc: "`true` shares tokens with other processes through a cache on disk" },
    KeySpec { name: "cache_dir", kind: ValueKind::Path, default: DefaultValue::Computed("`~/.lucidtech/cache`"),
        secret: false, doc: "where that cache lives" },
    KeySpec { name: "cache_url", kind: ValueKind::Checked(check_redis_url), default: DefaultValue::None,
        secret: true,
        doc: "`redis://host:port/db` or `rediss://...`: share tokens between hosts through Redis (implies a shared cache); plain `redis://` only to loopback unless `allow_http`" },
    KeySpec { name: "proxy", kind: ValueKind::Checked(super::proxy::check_key),
        default: DefaultValue::Computed("from the environment: `https_proxy`, `HTTPS_PROXY`, `all_proxy`, `ALL_PROXY`"), secret: true,
        doc: "`http://[user:password@]host[:port]` (port 1080 if none) or `https://...` (TLS to the proxy too, port 443 if none): HTTPS goes through it as a CONNECT tunnel, except to hosts in `NO_PROXY`; `none` ignores the environment" },
    KeySpec { name: "ca_file", kind: ValueKind::Path, default: DefaultValue::Computed("system roots"),
        secret: false, doc: "PEM bundle of extra trusted roots, added to the system's" },
    KeySpec { name: "timeout", kind: ValueKind::Seconds { min: 1 }, default: DefaultValue::Value("30"),
        secret: false, doc: "seconds for one HTTP exchange, cut to what is left of `retry_deadline`" },
    KeySpec { name: "refresh_margin", kind: ValueKind::Seconds { min: 0 }, default: DefaultValue::Value("300"),
        secret: false, doc: "seconds before expiry at which a token is renewed, at most half its lifetime" },
    KeySpec { name: "allow_http", kind: ValueKind::Bool, default: DefaultValue::Value("false"), secret: false,
        doc: "`true` permits plain `http://` (and `redis://`) to a host that is not loopback" },
    KeySpec { name: "connect_timeout", kind: ValueKind::Seconds { min: 1 }, default: DefaultValue::Value("10"),
        secret: false, doc: "seconds to connect (TCP and TLS), within `timeout`" },
    KeySpec { name: "max_response_bytes", kind: ValueKind::Count { min: 1, max: u64::MAX },
        default: DefaultValue::Value("67108864"), secret: false,
        doc: "largest API response body read (64 MiB by default); beyond it `LUCID_STATUS_TOO_LARGE`" },
    KeySpec { name: "max_retries", kind: ValueKind::Count { min: 0, max: 100 }, default: DefaultValue::Value("3"),
        secret: false, doc: "retries after the first attempt" },
    KeySpec { name: "retry_backoff_ms", kind: ValueKind::Millis, default: DefaultValue::Value("200"),
        secret: false,
        doc: "first backoff; each further one doubles (at most 10 s), with jitter (a random time between half and all of it)" },
    KeySpec { name: "retry_deadline", kind: ValueKind::Seconds { min: 1 }, default: DefaultValue::Value("60"),
        secret: false,
        doc: "seconds within which one whole call ends: lock waits, the token fetch, the API exchange, their retries and the refetch after a 401" },
    KeySpec { name: "max_retry_after", kind: ValueKind::Seconds { min: 0 }, default: DefaultValue::Value("30"),
        secret: false, doc: "longest `Retry-After` honoured, in seconds" },
    KeySpec { name: "refresh_ahead", kind: ValueKind::Bool, default: DefaultValue::Value("true"),
        secret: false,
        doc: "renew a token in the background during its refresh window (its last `refresh_margin`), serving the current one meanwhile; `false`: the caller that finds it stale waits for the new one" },
    KeySpec { name: "audience", kind: ValueKind::Text,
        default: DefaultValue::Computed("`https://api.cradl.ai/v1` for a Cradl/Kinde token endpoint, else none"),
        secret: false,
        doc: "sent as `audience` with `grant_type` (in the query or the body, as `token_params` says)" },
    KeySpec { name: "access_token", kind: ValueKind::Checked(check_access_token), default: DefaultValue::None,
        secret: true,
        doc: "a pre-issued JWT, used without any fetch until its `exp` less `refresh_margin`; then the client credentials fetch tokens, and without them a call fails with `LUCID_STATUS_CONFIG`" },
    KeySpec { name: "client_key_file", kind: ValueKind::Path, default: DefaultValue::None, secret: false,
        doc: "with `client_auth = private_key_jwt`: a PEM private key (PKCS#8 or traditional, not encrypted): RSA of 2048 to 4096 bits signs RS256, EC P-256 signs ES256" },
    KeySpec { name: "client_key_id", kind: ValueKind::Text, default: DefaultValue::None, secret: false,
        doc: "the `kid` of the assertion's JWT header (for a server that holds several keys of the client)" },
    KeySpec { name: "client_assertion_audience", kind: ValueKind::Text,
        default: DefaultValue::Computed("the token endpoint URL"), secret: false,
        doc: "the `aud` of the client assertion (some servers want their issuer)" },
    KeySpec { name: "issuer", kind: ValueKind::Checked(check_issuer), default: DefaultValue::None,
        secret: false,
        doc: "instead of `auth_endpoint`: the authorization server's issuer URL; its `token_endpoint` is read from its RFC 8414 metadata on first use (the document's `issuer` must equal this exactly)" },
    KeySpec { name: "dpop", kind: ValueKind::Bool, default: DefaultValue::Value("false"), secret: false,
        doc: "`true` binds tokens to a key (DPoP, RFC 9449): a proof on every token request and API call, `Authorization: DPoP`; such tokens are kept in memory only, never in a shared cache" },
    KeySpec { name: "dpop_key_file", kind: ValueKind::Path,
        default: DefaultValue::Computed("a new P-256 key per client"), secret: false,
        doc: "with `dpop = true`: the EC P-256 PEM private key the proofs are signed with (ES256)" },
];

/// The description of key `name`, if it is one.
pub fn spec(name: &str) -> Option<&'static KeySpec> {
    KEYS.iter().find(|k| k.name == name)
}

impl KeySpec {
    /// Checks `raw` and returns its value; `Err` says what is wrong with it (without the value).
    pub fn parse(&self, raw: &str) -> Result<Value, String> {
        let v = raw.trim();
        let value = match &self.kind {
            ValueKind::Text | ValueKind::Path => text(v)?,
            ValueKind::Checked(check) => {
                check(v).map_err(|why| format!("is not usable: {why}"))?;
                text(v)?
            }
            ValueKind::Bool => Value::Bool(parse_bool(v).ok_or("must be true or false")?),
            ValueKind::Seconds { min } => {
                Value::Duration(Duration::from_secs(number(v, *min, MAX_SECONDS)?))
            }
            ValueKind::Millis => {
                Value::Duration(Duration::from_millis(number(v, 0, MAX_SECONDS * 1000)?))
            }
            ValueKind::Count { min, max } => Value::Number(number(v, *min, *max)?),
            ValueKind::Choice(words) => {
                if !words.contains(&v) {
                    return Err(format!("must be {}", one_of(words)));
                }
                Value::Text(v.to_string())
            }
            ValueKind::Scope => {
                let words: Vec<&str> = v.split_whitespace().collect();
                if words.is_empty() {
                    return Err("is empty".to_string());
                }
                Value::Text(words.join(" "))
            }
        };
        Ok(match value {
            Value::Text(t) if self.secret => Value::Secret(Secret::new(t)),
            other => other,
        })
    }

    /// The default as the docs show it.
    pub fn default_doc(&self) -> String {
        match self.default {
            DefaultValue::Required => "required".to_string(),
            DefaultValue::None => "none".to_string(),
            DefaultValue::Value(v) => format!("`{v}`"),
            DefaultValue::Computed(how) => how.to_string(),
        }
    }
}

fn text(v: &str) -> Result<Value, String> {
    if v.is_empty() {
        return Err("is empty".to_string());
    }
    Ok(Value::Text(v.to_string()))
}

fn number(v: &str, min: u64, max: u64) -> Result<u64, String> {
    let whole = !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit());
    let n = if whole { v.parse::<u64>().ok() } else { None };
    match n {
        Some(n) if n >= min && n <= max => Ok(n),
        Some(_) if max != u64::MAX => Err(format!("must be a whole number from {min} to {max}")),
        _ if min == 0 => Err("must be a whole number".to_string()),
        _ => Err("must be a whole number above 0".to_string()),
    }
}

fn one_of(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.join(""),
    }
}

pub fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Some(true),
        "false" | "no" | "off" | "0" => Some(false),
        _ => None,
    }
}

fn check_auth_endpoint(v: &str) -> Result<(), String> {
    url::token_url(v)
        .map(drop)
        .map_err(|e| e.message().to_string())
}

fn check_issuer(v: &str) -> Result<(), String> {
    url::check_issuer(v).map_err(|e| e.message().to_string())
}

fn check_api_endpoint(v: &str) -> Result<(), String> {
    url::api_base(v)
        .map(drop)
        .map_err(|e| e.message().to_string())
}

/// The token is never quoted: it is a secret.
fn check_access_token(v: &str) -> Result<(), String> {
    if !jwt::is_valid_token(v) {
        return Err("has characters a header cannot carry".to_string());
    }
    jwt::exp(v)
        .map(drop)
        .ok_or_else(|| "must be a JWT with an exp claim".to_string())
}

/// The URL is not quoted: it may hold a password.
fn check_redis_url(v: &str) -> Result<(), String> {
    if v.starts_with("redis://") || v.starts_with("rediss://") {
        Ok(())
    } else {
        Err("must start with redis:// or rediss://".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_value_is_a_valid_value() {
        for key in KEYS {
            if let DefaultValue::Value(v) = key.default {
                assert!(key.parse(v).is_ok(), "{}", key.name);
            }
        }
    }

    #[test]
    fn names_are_unique_lower_case_words() {
        for (i, key) in KEYS.iter().enumerate() {
            assert!(key
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_'));
            assert!(KEYS[..i].iter().all(|k| k.name != key.name), "{}", key.name);
        }
    }

    #[test]
    fn values_are_checked_by_kind() {
        let k = |name| spec(name).unwrap();
        assert_eq!(
            k("timeout").parse(" 7 "),
            Ok(Value::Duration(Duration::from_secs(7)))
        );
        assert_eq!(
            k("timeout").parse("18446744073709551615"),
            Err("must be a whole number from 1 to 31536000".to_string())
        );
        assert_eq!(
            k("retry_backoff_ms").parse("250"),
            Ok(Value::Duration(Duration::from_millis(250)))
        );
        assert_eq!(
            k("max_retries").parse("101"),
            Err("must be a whole number from 0 to 100".to_string())
        );
        assert_eq!(
            k("scope").parse(" a  b "),
            Ok(Value::Text("a b".to_string()))
        );
        assert_eq!(
            k("client_auth").parse("digest"),
            Err("must be 'basic', 'basic_urlencoded', 'post', 'private_key_jwt' or 'client_secret_jwt'".to_string())
        );
        assert_eq!(k("use_cache").parse("on"), Ok(Value::Bool(true)));
        assert!(matches!(k("api_key").parse("k"), Ok(Value::Secret(_))));
        assert_eq!(
            k("cache_url").parse("http://x"),
            Err("is not usable: must start with redis:// or rediss://".to_string())
        );
    }
}
