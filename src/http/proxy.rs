//! The configured proxy as the transport reaches it: which requests go through it, where it is,
//! and the `Proxy-Authorization` its URL's user name and password make (sent only to it).

use super::connection::Origin;
use crate::config::ProxySetting;
use crate::error::{Error, ErrorKind, Result};
use crate::secret::Secret;
use base64::Engine;
use std::fmt;

#[derive(Clone)]
pub struct ProxyRoute {
    setting: ProxySetting,
    /// TLS to the proxy itself (an `https://` proxy URL).
    pub tls: bool,
    pub host: String,
    pub port: u16,
    /// `Basic base64(user:password)`, when the proxy URL holds credentials.
    authorization: Option<Secret>,
}

impl fmt::Debug for ProxyRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.setting.fmt(f)
    }
}

impl ProxyRoute {
    pub fn new(setting: ProxySetting) -> Result<Self> {
        let unusable = || {
            Error::new(
                ErrorKind::Config,
                format!("{}: not a usable proxy URL", setting.describe()),
            )
        };
        let (tls, host, port) = setting.address().ok_or_else(unusable)?;
        let authorization = match (setting.has_credentials(), setting.credentials()) {
            (false, _) => None,
            (true, Some(pair)) => Some(Secret::new(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair.expose())
            ))),
            (true, None) => return Err(unusable()),
        };
        Ok(ProxyRoute {
            tls,
            host: host.to_string(),
            port,
            authorization,
            setting,
        })
    }

    /// Whether a request to `origin` goes through the proxy (HTTPS outside NO_PROXY).
    pub fn applies_to(&self, origin: &Origin<'_>) -> bool {
        self.setting.applies_to_host(origin.https, origin.host)
    }

    /// The `Proxy-Authorization` value, when the proxy URL holds credentials.
    pub fn authorization(&self) -> Option<&str> {
        self.authorization.as_ref().map(Secret::expose)
    }

    /// `http://host:port (from HTTPS_PROXY)`: the proxy as messages show it.
    pub fn describe(&self) -> String {
        self.setting.describe()
    }

    pub fn has_credentials(&self) -> bool {
        self.setting.has_credentials()
    }

    pub fn setting(&self) -> &ProxySetting {
        &self.setting
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_name_and_password_are_sent_decoded() {
        let setting = ProxySetting::choose(Some("http://us%65r:pa%24%24@p:3128"), &|_| None)
            .unwrap()
            .unwrap();
        let route = ProxyRoute::new(setting).unwrap();
        // base64("user:pa$$")
        assert_eq!(route.authorization(), Some("Basic dXNlcjpwYSQk"));
        assert_eq!(
            (route.tls, route.host.as_str(), route.port),
            (false, "p", 3128)
        );
        assert!(route.has_credentials());
    }
}
