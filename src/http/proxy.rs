//! The configured proxy as ureq takes it: which requests go through it, and the proxy itself
//! (with its user name and password, sent only to it).

use crate::config::ProxySetting;
use crate::error::{Error, ErrorKind, Result};
use std::fmt;
use ureq::http::Uri;

#[derive(Clone)]
pub struct ProxyRoute {
    setting: ProxySetting,
    /// ureq keeps its own, unwiped, copy of the user name and password.
    proxy: ureq::Proxy,
}

impl fmt::Debug for ProxyRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.setting.fmt(f)
    }
}

impl ProxyRoute {
    pub fn new(setting: ProxySetting) -> Result<Self> {
        let proxy = ureq::Proxy::new(setting.url().expose()).map_err(|_| {
            Error::new(
                ErrorKind::Config,
                format!("{}: not a usable proxy URL", setting.describe()),
            )
        })?;
        Ok(ProxyRoute { setting, proxy })
    }

    /// Whether a request to `uri` goes through the proxy (HTTPS outside NO_PROXY).
    pub fn applies_to(&self, uri: &Uri) -> bool {
        self.setting.applies_to(uri)
    }

    pub fn ureq_proxy(&self) -> &ureq::Proxy {
        &self.proxy
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
    fn the_user_name_and_password_reach_ureq_decoded() {
        let setting = ProxySetting::choose(Some("http://us%65r:pa%24%24@p:3128"), &|_| None)
            .unwrap()
            .unwrap();
        let route = ProxyRoute::new(setting).unwrap();
        assert_eq!(route.ureq_proxy().username(), Some("user"));
        assert_eq!(route.ureq_proxy().password(), Some("pa$$"));
        assert!(route.has_credentials());
    }
}
