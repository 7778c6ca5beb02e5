//! URLs: the three forms of `auth_endpoint`, joining request paths to `api_endpoint`, and the rules
//! that keep secrets on the right origin and off plain HTTP.

use crate::error::{Error, ErrorKind, Result};
use std::net::IpAddr;
use ureq::http::Uri;

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

/// Parses an absolute `http://` or `https://` URL and returns its origin.
pub fn origin_of(url: &str) -> Result<Origin> {
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
pub fn token_url(auth_endpoint: &str) -> Result<String> {
    let value = auth_endpoint.trim();
    if value.is_empty() {
        return Err(invalid("auth_endpoint is empty".to_string()));
    }
    let scheme_less = !value.contains("://");
    let url = if scheme_less {
        format!("https://{value}")
    } else {
        value.to_string()
    };
    origin_of(&url)?;
    let uri: Uri = url
        .parse()
        .map_err(|_| invalid(format!("'{value}' is not a valid URL")))?;
    let path = uri.path().trim_end_matches('/');
    if path.is_empty() {
        return Ok(format!("{}{TOKEN_PATH}", url.trim_end_matches('/')));
    }
    if !scheme_less || path.ends_with("/token") {
        return Ok(url);
    }
    let cut = url.find(['?', '#']).unwrap_or(url.len());
    let (base, rest) = url.split_at(cut);
    Ok(format!("{}/token{rest}", base.trim_end_matches('/')))
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
    if path.contains("://") {
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
    checked(format!("{}/{}", base, path.trim_start_matches('/')))
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
