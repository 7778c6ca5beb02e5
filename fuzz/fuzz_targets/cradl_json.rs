//! The cradl SDK's JSON credentials (`~/.cradl/credentials.json`): never a panic, and a secret's
//! value is never read back.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for profile in [None, Some("other")] {
        if let Ok(credentials) = lucidauth::from_json_str(text, profile) {
            for key in lucidauth::KEYS.iter().filter(|k| k.secret) {
                assert_eq!(credentials.value(key.name), None, "{}", key.name);
            }
        }
    }
});
