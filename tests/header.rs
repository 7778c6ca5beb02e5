//! The committed C header must be what cbindgen makes from the code now. Regenerate it with
//! `make header` (which runs this test with LUCIDAUTH_BLESS=1).

use std::path::Path;

fn generate() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config =
        cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml is valid");
    let version = format!(
        "\n#define LUCIDAUTH_VERSION_MAJOR {}\n#define LUCIDAUTH_VERSION_MINOR {}\n#define LUCIDAUTH_VERSION_PATCH {}\n#define LUCIDAUTH_VERSION_STRING \"{}\"",
        env!("CARGO_PKG_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_PATCH"),
        env!("CARGO_PKG_VERSION"),
    );
    let mut out = Vec::new();
    cbindgen::Builder::new()
        .with_crate(root)
        .with_config(config)
        .with_after_include(version)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut out);
    String::from_utf8(out).expect("the header is UTF-8")
}

#[test]
fn committed_header_matches_the_code() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/lucidauth.h");
    let fresh = generate();
    if std::env::var_os("LUCIDAUTH_BLESS").is_some() {
        std::fs::write(&path, &fresh).expect("write include/lucidauth.h");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "include/lucidauth.h differs from what cbindgen makes from the code; run `make header` and commit it"
    );
}
