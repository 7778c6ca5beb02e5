//! What the manifests promise beyond what cargo checks: the features a build of the whole
//! workspace gives the library are the library's own.

use std::path::Path;

/// The rustls features of `manifest`'s `[dependencies]` line.
fn rustls_features(manifest: &str) -> Vec<String> {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(manifest)).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("rustls = "))
        .unwrap_or_else(|| panic!("no rustls in {manifest}"));
    let list = line
        .split("features = [")
        .nth(1)
        .unwrap()
        .split(']')
        .next()
        .unwrap();
    let mut features: Vec<String> = list
        .split(',')
        .map(|f| f.trim().trim_matches('"').to_string())
        .collect();
    features.sort();
    features
}

/// In-process tests build the library with the testserver beside it, whose rustls features would
/// be added to the library's: the library alone (`cargo build --lib`, `make install`) must have
/// TLS 1.2 itself, and the testserver ask for nothing more.
#[test]
fn the_library_alone_has_tls_1_2_and_the_testserver_adds_no_rustls_feature() {
    let library = rustls_features("Cargo.toml");
    assert!(library.iter().any(|f| f == "tls12"), "{library:?}");
    assert_eq!(rustls_features("testserver/Cargo.toml"), library);
}
