//! The proxy setting and `NO_PROXY`: line 1 is the `proxy` key (or `HTTPS_PROXY`), line 2
//! `NO_PROXY`, line 3 a host to match. Never a panic; what is shown of a proxy never holds its
//! password.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lucidauth::internal::ProxySetting;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.splitn(3, '\n');
    let (proxy, no_proxy, host) = (
        lines.next().unwrap_or(""),
        lines.next().unwrap_or(""),
        lines.next().unwrap_or(""),
    );
    let env = |name: &str| match name {
        "HTTPS_PROXY" | "https_proxy" => Some(proxy.to_string()),
        "NO_PROXY" | "no_proxy" => Some(no_proxy.to_string()),
        _ => None,
    };
    for key in [Some(proxy), None] {
        let Ok(Some(setting)) = ProxySetting::choose(key, &env) else {
            continue;
        };
        let _ = setting.no_proxy().matches(host);
        if let Some(password) = password(proxy) {
            assert!(
                !setting.describe().contains(password),
                "{}",
                setting.describe()
            );
        }
    }
});

/// The password of `scheme://user:password@host`, when it is distinctive (6 or more letters and
/// digits) and appears nowhere else in the URL.
fn password(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let userinfo = rest.split(['/', '?', '#']).next()?.rsplit_once('@')?.0;
    let password = userinfo.split_once(':')?.1;
    let distinctive = password.len() >= 6 && password.bytes().all(|b| b.is_ascii_alphanumeric());
    (distinctive && url.matches(password).count() == 1).then_some(password)
}
