//! `lucid token` works with each credentials example of the README that authenticates without
//! a plain secret (`private_key_jwt`, `client_secret_jwt`, `dpop`, `issuer`): each profile is
//! taken from the README as written, its endpoints pointed at a testserver that wants exactly
//! that method, and its key file at a test key.

mod support;

use lucidauth_testserver::{ClientAuth, ClientKey, DpopMode, Metadata, ServerConfig, TestServer};
use support::c::{lucid_command, root};
use support::{server_with, TempDir};

/// The `[profile]` blocks of the README's `ini` examples that use one of the new methods.
fn examples() -> Vec<(String, Vec<String>)> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut profiles = Vec::new();
    for block in readme.split("```ini\n").skip(1) {
        let block = block.split("```").next().unwrap();
        let mut current: Option<(String, Vec<String>)> = None;
        for line in block.lines() {
            let line = line.trim();
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                profiles.extend(current.take());
                current = Some((name.to_string(), Vec::new()));
            } else if !line.is_empty() && !line.starts_with('#') {
                if let Some((_, lines)) = current.as_mut() {
                    lines.push(line.to_string());
                }
            }
        }
        profiles.extend(current);
    }
    profiles
        .into_iter()
        .filter(|(_, lines)| {
            lines
                .iter()
                .any(|l| l.contains("_jwt") || l.starts_with("dpop") || l.starts_with("issuer"))
        })
        .collect()
}

fn value<'a>(lines: &'a [String], key: &str) -> Option<&'a str> {
    lines.iter().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == key).then(|| v.trim())
    })
}

/// The path of an `https://host/path` URL.
fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.find('/').map_or("", |i| &rest[i..])
}

/// A server that wants what the profile's `lines` say.
fn server_for(lines: &[String]) -> TestServer {
    let key = std::fs::read_to_string(root().join("tests/keys/ec_p256.pub.pem")).unwrap();
    let client_auth = match value(lines, "client_auth") {
        Some("private_key_jwt") => ClientAuth::PrivateKeyJwt,
        Some("client_secret_jwt") => ClientAuth::ClientSecretJwt,
        _ => ClientAuth::Any,
    };
    server_with(ServerConfig {
        client_id: value(lines, "client_id").unwrap().to_string(),
        client_secret: value(lines, "client_secret")
            .unwrap_or("unused")
            .to_string(),
        client_auth,
        client_keys: ClientKey::parse(&key).unwrap(),
        dpop: match value(lines, "dpop") {
            Some("true") => DpopMode::Required,
            _ => DpopMode::Off,
        },
        metadata: value(lines, "issuer").map(|issuer| Metadata {
            issuer_path: path_of(issuer).to_string(),
            ..Metadata::default()
        }),
        ..ServerConfig::default()
    })
}

/// The profile as the README writes it, but for `server` and the test key.
fn profile_for(name: &str, lines: &[String], server: &TestServer) -> String {
    let mut text = format!("[{name}]\n");
    for line in lines {
        let (key, value) = line.split_once('=').unwrap();
        let value = match key.trim() {
            "auth_endpoint" | "issuer" => format!("{}{}", server.base_url(), path_of(value.trim())),
            "client_key_file" => root().join("tests/keys/ec_p256.pem").display().to_string(),
            _ => value.trim().to_string(),
        };
        text.push_str(&format!("{} = {value}\n", key.trim()));
    }
    text
}

#[test]
fn lucid_token_works_with_each_secretless_example() {
    let examples = examples();
    let names: Vec<&str> = examples.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "lucidworks-key",
            "lucidworks-hs256",
            "lucidworks-discovered",
            "lucidworks-dpop"
        ]
    );
    for (name, lines) in &examples {
        let server = server_for(lines);
        let home = TempDir::new("readme");
        let file = home.write("credentials.cfg", &profile_for(name, lines, &server));
        let out = lucid_command(
            &home.0,
            &[
                "--credentials",
                file.to_str().unwrap(),
                "--profile",
                name,
                "token",
            ],
        )
        .output()
        .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{name}: {stderr}");
        assert_eq!(server.token_requests(), 1, "{name}");
        let outcome = server
            .requests()
            .into_iter()
            .find(|r| r.kind == lucidauth_testserver::RequestKind::Token)
            .and_then(|r| r.outcome);
        assert_eq!(outcome.map(|o| o.status), Some(200), "{name}");
    }
}
