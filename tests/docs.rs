//! The README's table of credentials keys is made from the key table (`src/keys.rs`), and the
//! header's status constants are exactly `lucid_status_name`'s. Regenerate the README table with
//! `make header` (which runs this test with LUCIDAUTH_BLESS=1 too).

use std::ffi::CStr;
use std::path::Path;

const BEGIN: &str = "<!-- keys: made from src/keys.rs by `make header`; do not edit -->\n";
const END: &str = "<!-- end of keys -->\n";

fn keys_table() -> String {
    let mut out = String::from("| key | meaning | default |\n|---|---|---|\n");
    for key in lucidauth::KEYS {
        let secret = if key.secret { " (secret)" } else { "" };
        out.push_str(&format!(
            "| `{}` | {}{secret} | {} |\n",
            key.name,
            key.doc,
            key.default_doc()
        ));
    }
    out
}

#[test]
fn the_readme_key_table_is_the_key_table() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let start = readme.find(BEGIN).expect("README.md has the keys marker") + BEGIN.len();
    let end = start
        + readme[start..]
            .find(END)
            .expect("README.md has the end marker");
    let fresh = keys_table();
    if std::env::var_os("LUCIDAUTH_BLESS").is_some() {
        let updated = format!("{}{fresh}{}", &readme[..start], &readme[end..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    assert!(
        readme[start..end] == fresh,
        "README.md's key table differs from src/keys.rs; run `make header` and commit it"
    );
}

#[test]
fn the_header_status_constants_are_the_names_of_their_numbers() {
    let header =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/lucidauth.h"))
            .unwrap();
    let mut count = 0;
    for line in header.lines() {
        let Some((name, number)) = line.trim().trim_end_matches(',').split_once(" = ") else {
            continue;
        };
        if !name.starts_with("LUCID_STATUS_") {
            continue;
        }
        let number: i32 = number.parse().unwrap();
        // SAFETY: lucid_status_name returns a static NUL-terminated string.
        let got = unsafe { CStr::from_ptr(lucidauth::ffi::lucid_status_name(number)) };
        assert_eq!(got.to_str(), Ok(name));
        assert_eq!(number, count, "statuses are numbered 0, 1, ... in order");
        count += 1;
    }
    assert!(count >= 16);
    // SAFETY: as above.
    let past = unsafe { CStr::from_ptr(lucidauth::ffi::lucid_status_name(count)) };
    assert_eq!(past.to_str(), Ok("LUCID_STATUS_UNKNOWN"));
}

#[test]
fn lucid_credentials_key_lists_the_table_then_null() {
    for (i, key) in lucidauth::KEYS.iter().enumerate() {
        // SAFETY: a non-NULL result is a static NUL-terminated string.
        let name = unsafe { CStr::from_ptr(lucidauth::ffi::lucid_credentials_key(i)) };
        assert_eq!(name.to_str(), Ok(key.name));
    }
    assert!(lucidauth::ffi::lucid_credentials_key(lucidauth::KEYS.len()).is_null());
    assert!(lucidauth::ffi::lucid_credentials_key(usize::MAX).is_null());
}
