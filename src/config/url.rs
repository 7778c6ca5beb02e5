//! URLs: the three forms of `auth_endpoint`, joining request paths to `api_endpoint`, and the rules
//! that keep secrets on the right origin and off plain HTTP.

use crate::error::{Error, ErrorKind, Result};
use http::Uri;
use std::net::IpAddr;

/// The path a bare host or origin gets as its token endpoint.
pub const TOKEN_PATH: &str = "/oauth2/token";

/// The `audience` the cradl SDK sends to its Kinde token endpoints.
pub const CRADL_AUDIENCE: &str = "https://api.cradl.ai/v1";

/// Whether `token_url` is one of the token endpoints for which the cradl SDK uses its Kinde
/// flow (`auth.cradl.ai`, `auth.lucidtech.io`, a `kinde.com` host). The SDK looks for these
/// names anywhere in `auth_endpoint`; here only the host counts.
pub fn is_kinde_token_url(token_url: &str) -> bool {
    let Ok(origin) = origin_of(token_url) else {
        return false;
    };
    let host = origin.host.trim_end_matches('.');
    host == "auth.cradl.ai"
        || host == "auth.lucidtech.io"
        || host == "kinde.com"
        || host.ends_with(".kinde.com")
}

/// Whether `token_url` is Lucidworks AI's identity endpoint (`identity.lucidworks.com`), which
/// invalidates a client's earlier tokens each time it issues one: there tokens are shared by
/// default (`use_cache`).
pub fn is_lucidworks_token_url(token_url: &str) -> bool {
    origin_of(token_url).is_ok_and(|o| o.host.trim_end_matches('.') == "identity.lucidworks.com")
}

/// Scheme, host and port of a URL: where a request really goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    /// Whether the host is a loopback address (`localhost`, `127.0.0.0/8`, `::1`).
    pub fn is_loopback(&self) -> bool {
        is_loopback_host(&self.host)
    }

    pub fn is_https(&self) -> bool {
        self.scheme == "https"
    }
}

/// Whether `host` (a name, an IP address, or an IPv6 address in brackets) is `localhost`,
/// `127.0.0.0/8` or `::1`.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A URL or path without its query and fragment, for messages and log lines (a query may say
/// more than a message should).
pub fn without_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

/// Whether `url` starts with a scheme (`letter *(letter / digit / "+" / "-" / ".") "://"`):
/// only then is it absolute. A `://` later on (in a query, say) does not count.
pub fn has_scheme(url: &str) -> bool {
    let Some((scheme, _)) = url.split_once("://") else {
        return false;
    };
    let mut bytes = scheme.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// Whether the authority of `url` (with or without a scheme) holds userinfo (`user:pw@`).
pub fn has_userinfo(url: &str) -> bool {
    let rest = if has_scheme(url) {
        url.split_once("://").map_or(url, |(_, r)| r)
    } else {
        url
    };
    rest.split(['/', '?', '#'])
        .next()
        .is_some_and(|authority| authority.contains('@'))
}

/// Parses an absolute `http://` or `https://` URL and returns its origin. A URL with userinfo
/// is refused without being quoted: the message must not show a password.
pub fn origin_of(url: &str) -> Result<Origin> {
    if has_userinfo(url) {
        return Err(invalid(
            "a URL with a user name or password (user:password@host) is refused; put credentials in their own keys".to_string(),
        ));
    }
    let uri: Uri = url
        .parse()
        .map_err(|_| invalid(format!("'{url}' is not a valid URL")))?;
    let scheme = uri.scheme_str().unwrap_or("").to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => 443,
        "http" => 80,
        _ => {
            return Err(invalid(format!(
                "'{url}' must start with https:// or http://"
            )))
        }
    };
    let host = uri
        .host()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| invalid(format!("'{url}' has no host")))?;
    Ok(Origin {
        scheme,
        host: host.to_ascii_lowercase(),
        port: uri.port_u16().unwrap_or(default_port),
    })
}

/// The token URL for an `auth_endpoint`:
/// - a host without a scheme (`auth.lucidtech.ai`) or an origin (`https://host[:port]`) gets
///   [`TOKEN_PATH`];
/// - a host with a path prefix and no scheme (`auth.lucidtech.ai/oauth2`), as the official SDKs
///   write it, gets `/token` appended to the path, as the SDKs do (`https://{auth_endpoint}/token`);
///   a path that already ends in `/token` is kept, so that files written for earlier versions of
///   this library keep working;
/// - an `http(s)://` URL with a path (Lucidworks) is used as it is.
///
/// A fragment is refused; a query is kept after the path (the grant parameters are appended to
/// it with `&`).
pub fn token_url(auth_endpoint: &str) -> Result<String> {
    let value = auth_endpoint.trim();
    if value.is_empty() {
        return Err(invalid("auth_endpoint is empty".to_string()));
    }
    if value.contains('#') {
        return Err(invalid(
            "auth_endpoint must not have a fragment ('#...')".to_string(),
        ));
    }
    let scheme_less = !has_scheme(value);
    let url = if scheme_less {
        format!("https://{value}")
    } else {
        value.to_string()
    };
    origin_of(&url)?;
    let uri: Uri = url
        .parse()
        .map_err(|_| invalid(format!("'{value}' is not a valid URL")))?;
    let (before, query) = match url.split_once('?') {
        Some((before, query)) => (before, format!("?{query}")),
        None => (url.as_str(), String::new()),
    };
    let path = uri.path().trim_end_matches('/');
    if path.is_empty() {
        return Ok(format!(
            "{}{TOKEN_PATH}{query}",
            before.trim_end_matches('/')
        ));
    }
    if !scheme_less || path.ends_with("/token") {
        return Ok(url);
    }
    Ok(format!("{}/token{query}", before.trim_end_matches('/')))
}

/// A validated API base URL, without a trailing slash.
pub fn api_base(api_endpoint: &str) -> Result<String> {
    let value = api_endpoint.trim();
    origin_of(value)?;
    if value.contains(['?', '#']) {
        return Err(invalid(format!(
            "api_endpoint '{value}' must not have a query or fragment"
        )));
    }
    Ok(value.trim_end_matches('/').to_string())
}

/// The URL for `path` under `base`. An absolute URL is accepted only on the base's own origin,
/// so the api key and token never travel anywhere else.
pub fn join(base: &str, path: &str) -> Result<String> {
    if has_scheme(path) {
        let (target, own) = (origin_of(path)?, origin_of(base)?);
        if target != own {
            return Err(Error::new(
                ErrorKind::InsecureUrl,
                format!("'{path}' is on another origin than api_endpoint; refused so that credentials are not sent there"),
            ));
        }
        return checked(path.to_string());
    }
    if path.chars().any(|c| c.is_ascii_control() || c == ' ') {
        return Err(invalid(
            "the request path contains spaces or control characters".to_string(),
        ));
    }
    let path = path.trim_start_matches('/');
    let mut url = String::with_capacity(base.len() + 1 + path.len());
    url.push_str(base);
    url.push('/');
    url.push_str(path);
    // `base` is a valid URL already: what is joined to it is checked as HTTP reads it.
    match http::uri::PathAndQuery::try_from(url.get(base.len()..).unwrap_or_default()) {
        Ok(_) => Ok(url),
        Err(_) => Err(invalid(format!("'{url}' is not a valid URL"))),
    }
}

/// Checks an `issuer` (RFC 8414 §2): an absolute `https://` (or `http://`, by the transport
/// rules) URL without a query or fragment.
pub fn check_issuer(issuer: &str) -> Result<()> {
    origin_of(issuer)?;
    if issuer.contains(['?', '#']) {
        return Err(invalid(format!(
            "'{issuer}' has a query or fragment, which an issuer cannot have"
        )));
    }
    Ok(())
}

/// Where the metadata of `issuer` may be, in the order they are tried: RFC 8414's form (the
/// well-known segment between host and path), the older form after the path, then OpenID
/// Connect discovery's `openid-configuration` after the path.
pub fn metadata_urls(issuer: &str) -> Vec<String> {
    let issuer = issuer.trim_end_matches('/');
    let after_scheme = issuer.find("://").map_or(0, |i| i + 3);
    let (origin, path) = match issuer[after_scheme..].find('/') {
        Some(i) => issuer.split_at(after_scheme + i),
        None => (issuer, ""),
    };
    let rfc8414 = format!("{origin}/.well-known/oauth-authorization-server{path}");
    let suffix = format!("{issuer}/.well-known/oauth-authorization-server");
    let openid = format!("{issuer}/.well-known/openid-configuration");
    let mut urls = vec![rfc8414, suffix, openid];
    urls.dedup();
    urls
}

/// Refuses plain HTTP to a host that is not loopback unless `allow_http` is set.
pub fn check_transport(url: &str, allow_http: bool) -> Result<()> {
    let origin = origin_of(url)?;
    if origin.is_https() || origin.is_loopback() || allow_http {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::InsecureUrl,
            format!("'{url}' uses plain http:// to a host that is not loopback; set allow_http = true to permit it"),
        ))
    }
}

fn checked(url: String) -> Result<String> {
    url.parse::<Uri>()
        .map_err(|_| invalid(format!("'{url}' is not a valid URL")))?;
    Ok(url)
}

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::InvalidArgument, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_urls_of_an_issuer_with_and_without_a_path() {
        assert_eq!(
            metadata_urls("https://host/oauth2/abc"),
            [
                "https://host/.well-known/oauth-authorization-server/oauth2/abc",
                "https://host/oauth2/abc/.well-known/oauth-authorization-server",
                "https://host/oauth2/abc/.well-known/openid-configuration",
            ]
        );
        assert_eq!(
            metadata_urls("https://host:8443/"),
            [
                "https://host:8443/.well-known/oauth-authorization-server",
                "https://host:8443/.well-known/openid-configuration",
            ]
        );
        assert!(check_issuer("https://host/a?b").is_err());
        assert!(check_issuer("host/a").is_err());
        assert!(check_issuer("https://host/oauth2/abc").is_ok());
    }

    #[test]
    fn auth_endpoint_forms() {
        assert_eq!(
            token_url("auth.lucidtech.ai").unwrap(),
            "https://auth.lucidtech.ai/oauth2/token"
        );
        assert_eq!(
            token_url("https://auth.lucidtech.ai").unwrap(),
            "https://auth.lucidtech.ai/oauth2/token"
        );
        assert_eq!(
            token_url("http://127.0.0.1:8080/").unwrap(),
            "http://127.0.0.1:8080/oauth2/token"
        );
        // The official SDKs' form: a host and a path prefix, to which they add /token.
        assert_eq!(
            token_url("auth.lucidtech.ai/oauth2").unwrap(),
            "https://auth.lucidtech.ai/oauth2/token"
        );
        assert_eq!(
            token_url("127.0.0.1:8443/prefix/").unwrap(),
            "https://127.0.0.1:8443/prefix/token"
        );
        assert_eq!(
            token_url("auth.lucidtech.ai/oauth2/token").unwrap(),
            "https://auth.lucidtech.ai/oauth2/token",
            "a path already ending in /token is kept"
        );
        assert_eq!(
            token_url("https://auth.lucidtech.ai/oauth2").unwrap(),
            "https://auth.lucidtech.ai/oauth2",
            "with a scheme, a path is the token URL itself"
        );
        let lw = "https://identity.lucidworks.com/oauth2/abc123/v1/token";
        assert_eq!(token_url(lw).unwrap(), lw);
        assert_eq!(
            token_url("").unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
        assert_eq!(
            token_url("ftp://x").unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
    }

    #[test]
    fn auth_endpoint_with_a_query_or_a_fragment() {
        assert_eq!(
            token_url("http://127.0.0.1:8080?tenant=acme").unwrap(),
            "http://127.0.0.1:8080/oauth2/token?tenant=acme"
        );
        assert_eq!(
            token_url("https://h/?tenant=acme").unwrap(),
            "https://h/oauth2/token?tenant=acme"
        );
        assert_eq!(
            token_url("https://h/custom/token?tenant=acme").unwrap(),
            "https://h/custom/token?tenant=acme"
        );
        for bad in ["http://h/oauth2/token#x", "http://h#x", "h/oauth2/token#"] {
            let e = token_url(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad}");
            assert!(e.message().contains("fragment"), "{}", e.message());
        }
    }

    #[test]
    fn userinfo_is_refused_and_never_shown() {
        for url in [
            "http://user:pw@127.0.0.1:1/oauth2/token",
            "https://user:pw@h",
            "user:pw@h",
            "https://:pw@h/v1",
        ] {
            for e in [
                token_url(url).unwrap_err(),
                origin_of(url).unwrap_err(),
                api_base(url).unwrap_err(),
            ] {
                assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{url}");
                assert!(!e.message().contains("pw"), "{}", e.message());
            }
        }
        assert!(!has_userinfo("https://h/a@b"));
        assert!(!has_userinfo("https://h?x=a@b"));
        assert!(has_userinfo("HTTPS://u@h"));
    }

    #[test]
    fn only_a_leading_scheme_makes_a_path_absolute() {
        let base = api_base("https://api.lucidtech.ai/v1").unwrap();
        assert_eq!(
            join(&base, "/documents?next=http://example.com/").unwrap(),
            "https://api.lucidtech.ai/v1/documents?next=http://example.com/"
        );
        assert_eq!(
            join(&base, "documents?next=https%3A%2F%2Fx").unwrap(),
            "https://api.lucidtech.ai/v1/documents?next=https%3A%2F%2Fx"
        );
        assert!(has_scheme("https://x") && has_scheme("a+b.c-d://x"));
        assert!(!has_scheme("/a?b=http://x") && !has_scheme("1http://x") && !has_scheme("://x"));
        assert_eq!(
            join(
                &base,
                "https://evil.example/v1?x=https://api.lucidtech.ai/v1"
            )
            .unwrap_err()
            .kind(),
            ErrorKind::InsecureUrl
        );
    }

    #[test]
    fn join_paths() {
        let base = api_base("https://api.lucidtech.ai/v1/").unwrap();
        assert_eq!(
            join(&base, "/documents").unwrap(),
            "https://api.lucidtech.ai/v1/documents"
        );
        assert_eq!(
            join(&base, "documents?x=1").unwrap(),
            "https://api.lucidtech.ai/v1/documents?x=1"
        );
        assert_eq!(
            join(&base, "https://api.lucidtech.ai:443/v1/models").unwrap(),
            "https://api.lucidtech.ai:443/v1/models"
        );
        assert_eq!(
            join(&base, "https://evil.example/v1").unwrap_err().kind(),
            ErrorKind::InsecureUrl
        );
        assert_eq!(
            join(&base, "http://api.lucidtech.ai/v1")
                .unwrap_err()
                .kind(),
            ErrorKind::InsecureUrl
        );
        assert_eq!(
            join(&base, "a b").unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
    }

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(check_transport("http://127.0.0.1:1/x", false).is_ok());
        assert!(check_transport("http://127.9.9.9/x", false).is_ok());
        assert!(check_transport("http://[::1]:80/x", false).is_ok());
        assert!(check_transport("http://localhost/x", false).is_ok());
        assert!(check_transport("https://example.com/x", false).is_ok());
        assert_eq!(
            check_transport("http://example.com/x", false)
                .unwrap_err()
                .kind(),
            ErrorKind::InsecureUrl
        );
        assert!(check_transport("http://example.com/x", true).is_ok());
    }
}
