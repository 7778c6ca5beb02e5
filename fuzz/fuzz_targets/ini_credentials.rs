//! The INI credentials file (`~/.lucidtech/credentials.cfg`), from text to credentials: never a
//! panic; a secret's value is never read back; a refusal never quotes `client_secret`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for profile in [None, Some("other")] {
        match lucidauth::from_ini_str(text, profile) {
            Ok(credentials) => {
                for key in lucidauth::KEYS.iter().filter(|k| k.secret) {
                    assert_eq!(credentials.value(key.name), None, "{}", key.name);
                }
            }
            Err(e) => {
                if let Some(secret) = lone_secret(text) {
                    assert!(!e.message().contains(secret), "{}", e.message());
                }
            }
        }
    }
});

/// The value of a `client_secret = ...` line, when it is distinctive (12 or more letters and
/// digits) and appears nowhere else in the text, so that finding it in a message means a leak.
fn lone_secret(text: &str) -> Option<&str> {
    let value = text.lines().find_map(|line| {
        let (key, value) = line.split_once(['=', ':'])?;
        key.trim()
            .eq_ignore_ascii_case("client_secret")
            .then(|| value.trim())
    })?;
    let distinctive = value.len() >= 12 && value.bytes().all(|b| b.is_ascii_alphanumeric());
    (distinctive && text.matches(value).count() == 1).then_some(value)
}
