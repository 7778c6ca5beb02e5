//! Which proxy, if any, an HTTPS request goes through, the way curl decides: the `proxy` key,
//! else `https_proxy`/`HTTPS_PROXY`, else `all_proxy`/`ALL_PROXY`; hosts in
//! `no_proxy`/`NO_PROXY` go direct. This is the setting as written and checked; `http::proxy`
//! turns it into a route. HTTPS goes through the proxy only as a CONNECT tunnel (TLS end to
//! end); plain `http://` never goes through a proxy. The proxy's user name and password are sent
//! only to the proxy, as `Proxy-Authorization`, and never shown in a message or a log line.

use super::url::{has_scheme, has_userinfo};
use crate::error::{Error, ErrorKind, Result};
use crate::secret::{Redactor, Secret};
use http::Uri;
use std::fmt;
use std::net::IpAddr;

/// The value of the `proxy` key that turns proxies off, whatever the environment says.
pub const NONE: &str = "none";

/// The port of an `http://` proxy URL that names none, as curl assumes.
pub const DEFAULT_PORT: u16 = 1080;
/// The port of an `https://` proxy URL that names none, as curl assumes.
pub const DEFAULT_TLS_PORT: u16 = 443;

/// Variables that name the proxy for `https://` URLs, in the order they are read.
pub const PROXY_VARS: &[&str] = &["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"];

/// Variables that list the hosts that go direct, in the order they are read.
pub const NO_PROXY_VARS: &[&str] = &["no_proxy", "NO_PROXY"];

/// A proxy to tunnel HTTPS through, and the hosts that bypass it.
#[derive(Clone)]
pub struct ProxySetting {
    /// `scheme://[userinfo@]host:port`, the userinfo as written.
    url: Secret,
    /// `http(s)://host:port`, without user name or password: what messages show.
    shown: String,
    /// Where it came from: `key 'proxy'` or the variable's name.
    source: String,
    /// Whether the URL holds a user name or password.
    authenticated: bool,
    /// The userinfo with its password, and the password, to scrub from foreign messages.
    redactor: Redactor,
    no_proxy: NoProxy,
}

impl fmt::Debug for ProxySetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxySetting")
            .field("proxy", &self.shown)
            .field("source", &self.source)
            .field("authenticated", &self.authenticated)
            .field("no_proxy", &self.no_proxy)
            .finish()
    }
}

impl ProxySetting {
    /// The proxy for the `proxy` key's value (`None`: not set) and the environment `env`. The
    /// environment is read here, once.
    pub fn choose(key: Option<&str>, env: &dyn Fn(&str) -> Option<String>) -> Result<Option<Self>> {
        let (value, source) = match key.map(str::trim) {
            Some(v) if v.eq_ignore_ascii_case(NONE) => return Ok(None),
            Some(v) => (v.to_string(), "key 'proxy'".to_string()),
            // As curl: the first variable that is set decides, and an empty one means no proxy.
            None => match PROXY_VARS.iter().find_map(|n| env(n).map(|v| (v, *n))) {
                Some((v, name)) if !v.trim().is_empty() => (v.trim().to_string(), name.to_string()),
                _ => return Ok(None),
            },
        };
        let parsed = parse(&value).map_err(|why| {
            let kind = if key.is_some() {
                ErrorKind::InvalidArgument
            } else {
                ErrorKind::Config
            };
            Error::new(kind, format!("{source}: {why}"))
        })?;
        let no_proxy = NO_PROXY_VARS
            .iter()
            .find_map(|n| env(n))
            .map(|list| NoProxy::parse(&list))
            .unwrap_or_default();
        Ok(Some(ProxySetting {
            source,
            no_proxy,
            ..parsed
        }))
    }

    /// Whether a request to `uri` goes through the proxy: only `https://` URLs whose host is
    /// not in NO_PROXY do.
    pub fn applies_to(&self, uri: &Uri) -> bool {
        let https = uri
            .scheme_str()
            .is_some_and(|s| s.eq_ignore_ascii_case("https"));
        uri.host()
            .is_some_and(|host| self.applies_to_host(https, host))
    }

    /// [`ProxySetting::applies_to`] for a URL already split: its scheme is `https` (`https`)
    /// and its host is `host` (an IPv6 address in brackets, as a URL writes it).
    pub fn applies_to_host(&self, https: bool, host: &str) -> bool {
        https && !self.no_proxy.matches(host)
    }

    /// The proxy URL with its user name and password, for the transport only.
    pub fn url(&self) -> &Secret {
        &self.url
    }

    /// `http://host:port (from HTTPS_PROXY)`: the proxy as messages show it.
    pub fn describe(&self) -> String {
        format!("{} (from {})", self.shown, self.source)
    }

    /// Whether the proxy URL holds a user name or password (sent as `Proxy-Authorization`).
    pub fn has_credentials(&self) -> bool {
        self.authenticated
    }

    /// `user:password` percent-decoded, as `Proxy-Authorization: Basic` carries it; `None`
    /// when the proxy URL holds neither.
    pub fn credentials(&self) -> Option<Secret> {
        if !self.authenticated {
            return None;
        }
        let url = self.url.expose();
        let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
        let (userinfo, _) = after_scheme.rsplit_once('@')?;
        let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
        let (user, password) = (percent_decode(user)?, percent_decode(password)?);
        Some(Secret::new(format!(
            "{}:{}",
            user.expose(),
            password.expose()
        )))
    }

    /// The proxy's scheme (`http` or `https`), host and port, as the URL names them.
    pub fn address(&self) -> Option<(bool, &str, u16)> {
        let shown = self.shown.as_str();
        let (scheme, host_port) = shown.split_once("://")?;
        let (host, port) = host_port.rsplit_once(':')?;
        Some((scheme == "https", host, port.parse().ok()?))
    }

    /// The NO_PROXY list as read, for the log.
    pub fn no_proxy(&self) -> &NoProxy {
        &self.no_proxy
    }

    /// The forms of the proxy's password (and user name with password, as written) that a
    /// message must not show.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }
}

/// Checks a proxy URL: `http://[user[:password]@]host[:port][/]`, the same without `http://`,
/// or `https://...` (TLS to the proxy too). Other schemes are refused; the port defaults to
/// 1080 (`https://`: 443) as in curl. `Err` says why without quoting the value when it holds a
/// user name or password.
fn parse(value: &str) -> std::result::Result<ProxySetting, String> {
    let quoted = if has_userinfo(value) {
        String::new()
    } else {
        format!(" '{value}'")
    };
    let bad = |why: &str| format!("proxy{quoted} {why}");
    let url = if has_scheme(value) {
        value.to_string()
    } else {
        format!("http://{value}")
    };
    let uri: Uri = url.parse().map_err(|_| bad("is not a valid URL"))?;
    let (scheme, default_port) = scheme_of(&uri).map_err(&bad)?;
    let parts = Authority::of(&uri, default_port).map_err(&bad)?;
    let shown = format!("{scheme}://{}:{}", parts.host, parts.port);
    let full = match parts.userinfo {
        Some(u) => format!("{scheme}://{u}@{}:{}", parts.host, parts.port),
        None => shown.clone(),
    };
    Ok(ProxySetting {
        url: Secret::new(full),
        shown,
        source: String::new(),
        authenticated: parts.userinfo.is_some(),
        redactor: password_forms(parts.userinfo).map_err(bad)?,
        no_proxy: NoProxy::default(),
    })
}

/// The scheme (in lower case) and its default port; only `http` and `https` are proxies here.
fn scheme_of(uri: &Uri) -> std::result::Result<(String, u16), &'static str> {
    let scheme = uri.scheme_str().unwrap_or("").to_ascii_lowercase();
    match scheme.as_str() {
        "http" => Ok((scheme, DEFAULT_PORT)),
        "https" => Ok((scheme, DEFAULT_TLS_PORT)),
        _ => Err("is not usable: only http:// and https:// proxies are supported (HTTPS goes through them as a CONNECT tunnel)"),
    }
}

/// The parts of a proxy URL's authority.
struct Authority<'a> {
    userinfo: Option<&'a str>,
    host: &'a str,
    port: u16,
}

impl<'a> Authority<'a> {
    fn of(uri: &'a Uri, default_port: u16) -> std::result::Result<Self, &'static str> {
        let authority = uri.authority().ok_or("has no host")?.as_str();
        let (userinfo, host_port) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let host = uri.host().filter(|h| !h.is_empty()).ok_or("has no host")?;
        if host_port.is_empty() {
            return Err("has no host");
        }
        if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
            return Err("must not have a path or a query");
        }
        // The http crate reads a port it cannot parse as none: check the text itself.
        let port = match host_port
            .get(host.len()..)
            .and_then(|p| p.strip_prefix(':'))
        {
            None | Some("") => default_port,
            Some(digits) => match digits.parse::<u16>() {
                Ok(port) if port != 0 && digits.bytes().all(|b| b.is_ascii_digit()) => port,
                _ => return Err("has no valid port"),
            },
        };
        Ok(Authority {
            userinfo,
            host,
            port,
        })
    }
}

/// The userinfo with a password, the password as written and decoded: what is scrubbed. The
/// user name alone is not: it is no secret, and a short one would garble every message it
/// occurs in. `Err` when the user name or password is not UTF-8 once percent-decoded.
fn password_forms(userinfo: Option<&str>) -> std::result::Result<Redactor, &'static str> {
    const UNDECODABLE: &str =
        "is not usable: its user name or password is not valid UTF-8 once decoded";
    let Some(userinfo) = userinfo else {
        return Ok(Redactor::new());
    };
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    percent_decode(user).ok_or(UNDECODABLE)?;
    let decoded = percent_decode(password).ok_or(UNDECODABLE)?;
    if password.is_empty() {
        return Ok(Redactor::new());
    }
    Ok(Redactor::new()
        .secret(userinfo)
        .secret(password)
        .secret(decoded.expose()))
}

/// `text` with its `%XX` escapes decoded; `None` when an escape is broken or the result is not
/// UTF-8.
fn percent_decode(text: &str) -> Option<Secret> {
    let mut bytes = zeroize::Zeroizing::new(Vec::with_capacity(text.len()));
    let mut rest = text.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'%' {
            let hex = std::str::from_utf8(tail.get(..2)?).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(b);
            rest = tail;
        }
    }
    std::str::from_utf8(&bytes).ok().map(Secret::new)
}

/// Checks the `proxy` key's value: `none` or a proxy URL.
pub fn check_key(value: &str) -> std::result::Result<(), String> {
    if value.trim().eq_ignore_ascii_case(NONE) {
        return Ok(());
    }
    // The key is secret: the reason never quotes the value.
    parse(value.trim()).map(|_| ()).map_err(|_| {
        "must be 'none' or a proxy URL (http://[user:password@]host[:port], or https://...)"
            .to_string()
    })
}

/// Hosts that do not go through the proxy, as curl reads `NO_PROXY`: a list separated by commas
/// (and blanks). `*` matches every host (curl honours it only as the whole list; here an entry
/// `*` anywhere counts too). A name matches itself and its subdomains, with or without a leading
/// `.` (or `*.`, which curl does not know): `example.com` and `.example.com` both match
/// `example.com` and `api.example.com`, not `notexample.com`. An IP address matches that
/// address; `ip/bits` (CIDR) matches a network. Names are compared without regard to case and
/// without a trailing dot; an entry with a port matches nothing, as in curl, which compares host
/// names only.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NoProxy {
    all: bool,
    names: Vec<String>,
    nets: Vec<(IpAddr, u8)>,
}

impl NoProxy {
    pub fn parse(list: &str) -> NoProxy {
        let mut out = NoProxy::default();
        for entry in list.split([',', ' ', '\t']).filter(|e| !e.is_empty()) {
            if entry == "*" {
                out.all = true;
                continue;
            }
            let (addr, bits) = match entry.split_once('/') {
                Some((a, b)) => (a, b.parse::<u8>().ok()),
                None => (entry, None),
            };
            let addr = addr.trim_start_matches('[').trim_end_matches(']');
            if let Ok(ip) = addr.parse::<IpAddr>() {
                let max = if ip.is_ipv4() { 32 } else { 128 };
                out.nets.push((ip, bits.unwrap_or(max).min(max)));
                continue;
            }
            let name = entry
                .strip_prefix("*.")
                .unwrap_or(entry)
                .trim_start_matches('.')
                .trim_end_matches('.')
                .to_ascii_lowercase();
            if !name.is_empty() {
                out.names.push(name);
            }
        }
        out
    }

    /// Whether a request to `host` (a name or an IP address, IPv6 with or without brackets)
    /// goes direct.
    pub fn matches(&self, host: &str) -> bool {
        if self.all {
            return true;
        }
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return self
                .nets
                .iter()
                .any(|(net, bits)| in_network(ip, *net, *bits));
        }
        let host = bare.trim_end_matches('.').to_ascii_lowercase();
        self.names.iter().any(|name| {
            host == *name
                || (host.len() > name.len()
                    && host.ends_with(name.as_str())
                    && host.as_bytes()[host.len() - name.len() - 1] == b'.')
        })
    }

    pub fn is_empty(&self) -> bool {
        !self.all && self.names.is_empty() && self.nets.is_empty()
    }
}

impl fmt::Display for NoProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut entries: Vec<String> = Vec::new();
        if self.all {
            entries.push("*".to_string());
        }
        entries.extend(self.names.iter().cloned());
        entries.extend(self.nets.iter().map(|(ip, bits)| format!("{ip}/{bits}")));
        f.write_str(&entries.join(","))
    }
}

fn in_network(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    let (a, b, width) = match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u32::from(a) as u128, u32::from(b) as u128, 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
        _ => return false,
    };
    let bits = u32::from(bits).min(width);
    if bits == 0 {
        return true;
    }
    let shift = width - bits;
    (a >> shift) == (b >> shift)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn uri(s: &str) -> Uri {
        s.parse().unwrap()
    }

    #[test]
    fn no_proxy_matches_hosts_and_their_subdomains() {
        let np = NoProxy::parse("example.com, .internal,*.corp.test ,10.0.0.0/8,::1,192.168.1.5");
        for host in [
            "example.com",
            "api.example.com",
            "a.b.example.com",
            "EXAMPLE.COM",
            "example.com.",
            "x.internal",
            "internal",
            "corp.test",
            "a.corp.test",
            "10.1.2.3",
            "[::1]",
            "::1",
            "192.168.1.5",
        ] {
            assert!(np.matches(host), "{host}");
        }
        for host in [
            "notexample.com",
            "example.org",
            "com",
            "11.0.0.1",
            "192.168.1.6",
            "[::2]",
            "127.0.0.1",
        ] {
            assert!(!np.matches(host), "{host}");
        }
        assert!(NoProxy::parse("*").matches("anything.example"));
        assert!(NoProxy::parse("a.test,*").matches("127.0.0.1"));
        assert!(NoProxy::parse("").is_empty() && !NoProxy::parse("").matches("h"));
        // A port in an entry never matches, as in curl.
        assert!(!NoProxy::parse("example.com:443").matches("example.com"));
        // An IP address is compared as an address, not as a name suffix.
        assert!(!NoProxy::parse("0.0.1").matches("10.0.0.1"));
        assert!(NoProxy::parse("127.0.0.1/8").matches("127.9.9.9"));
        assert!(NoProxy::parse("0.0.0.0/0").matches("1.2.3.4"));
        assert!(!NoProxy::parse("0.0.0.0/0").matches("::1"));
    }

    #[test]
    fn the_key_wins_then_https_proxy_then_all_proxy_lower_case_first() {
        let pick = |key: Option<&str>, vars: &[(&str, &str)]| {
            ProxySetting::choose(key, &env(vars))
                .unwrap()
                .map(|p| p.describe())
        };
        assert_eq!(pick(None, &[]), None);
        assert_eq!(
            pick(
                None,
                &[
                    ("HTTPS_PROXY", "http://p:3128"),
                    ("ALL_PROXY", "http://a:1")
                ]
            ),
            Some("http://p:3128 (from HTTPS_PROXY)".to_string())
        );
        assert_eq!(
            pick(
                None,
                &[("HTTPS_PROXY", "http://p:3128"), ("https_proxy", "l:8")]
            ),
            Some("http://l:8 (from https_proxy)".to_string())
        );
        assert_eq!(
            pick(None, &[("ALL_PROXY", "a")]),
            Some("http://a:1080 (from ALL_PROXY)".to_string())
        );
        assert_eq!(
            pick(
                None,
                &[("http_proxy", "http://h:1"), ("HTTP_PROXY", "http://h:1")]
            ),
            None,
            "http_proxy is for http:// URLs, which never use a proxy"
        );
        assert_eq!(
            pick(None, &[("https_proxy", ""), ("ALL_PROXY", "http://a:1")]),
            None,
            "as in curl, a variable set to nothing means no proxy"
        );
        assert_eq!(
            pick(Some("http://k:9"), &[("HTTPS_PROXY", "http://p:3128")]),
            Some("http://k:9 (from key 'proxy')".to_string())
        );
        assert_eq!(
            pick(Some("NONE"), &[("HTTPS_PROXY", "http://p:3128")]),
            None
        );
    }

    #[test]
    fn only_https_urls_outside_no_proxy_use_the_proxy() {
        let p = ProxySetting::choose(
            None,
            &env(&[
                ("HTTPS_PROXY", "http://p:3128"),
                ("no_proxy", ".example.com"),
            ]),
        )
        .unwrap()
        .unwrap();
        assert!(p.applies_to(&uri("https://api.lucidtech.ai/v1")));
        assert!(p.applies_to(&uri("HTTPS://api.lucidtech.ai/v1")));
        assert!(!p.applies_to(&uri("http://127.0.0.1:8080/v1")));
        assert!(!p.applies_to(&uri("http://api.lucidtech.ai/v1")));
        assert!(!p.applies_to(&uri("https://auth.example.com/token")));
        assert_eq!(p.no_proxy().to_string(), "example.com");
    }

    #[test]
    fn proxy_urls_are_checked_and_their_passwords_never_shown() {
        let e = ProxySetting::choose(None, &env(&[("HTTPS_PROXY", "socks5://u:s3cret@p:1080")]))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(
            e.message().starts_with("HTTPS_PROXY: proxy "),
            "{}",
            e.message()
        );
        assert!(
            e.message().contains("only http:// and https://"),
            "{}",
            e.message()
        );
        assert!(!e.message().contains("s3cret"), "{}", e.message());
        let e = ProxySetting::choose(Some("socks5://p:1080"), &env(&[])).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.message().contains("'socks5://p:1080'"), "{}", e.message());
        let tls = ProxySetting::choose(Some("HTTPS://u:pw@p"), &env(&[]))
            .unwrap()
            .unwrap();
        assert_eq!(tls.describe(), "https://p:443 (from key 'proxy')");
        for bad in [
            "http://",
            "http://p:1/path",
            "http://p:99999",
            "http://u:%ff@p:1",
        ] {
            assert!(ProxySetting::choose(Some(bad), &env(&[])).is_err(), "{bad}");
            assert!(check_key(bad).is_err(), "{bad}");
        }
        assert!(check_key("none").is_ok() && check_key("http://u:p@h:1/").is_ok());
        assert!(!check_key("ftp://u:s3cret@h")
            .unwrap_err()
            .contains("s3cret"));

        let p = ProxySetting::choose(Some("http://us%65r:pa%24%24@p:3128"), &env(&[]))
            .unwrap()
            .unwrap();
        assert_eq!(p.describe(), "http://p:3128 (from key 'proxy')");
        assert_eq!(p.url().expose(), "http://us%65r:pa%24%24@p:3128");
        let scrubbed = p
            .redactor()
            .scrub("x http://us%65r:pa%24%24@p:3128 pa$$ pa%24%24 y");
        assert_eq!(
            scrubbed,
            "x http://<redacted>@p:3128 <redacted> <redacted> y"
        );
        let debug = format!("{p:?}");
        let user_only = ProxySetting::choose(Some("http://u@p:1"), &env(&[]))
            .unwrap()
            .unwrap();
        assert!(user_only.has_credentials());
        assert_eq!(
            user_only.redactor().scrub("u u"),
            "u u",
            "a user name alone is no secret"
        );
        assert!(!debug.contains("pa$$") && !debug.contains("%24"), "{debug}");
    }
}
