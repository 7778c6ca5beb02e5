//! Reading and discovering credentials: profiles, literal values, line ends, the environment.

mod support;

use lucidauth::{from_file, Credentials, Discovery, ErrorKind, Result};

/// Discovery with the environment `env` and at most one default file.
fn discover_with(
    profile: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
    default_file: Option<PathBuf>,
) -> Result<Credentials> {
    discover_from(profile, env, default_file.as_slice())
}

/// Discovery with the environment `env` and these default files.
fn discover_from(
    profile: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
    files: &[PathBuf],
) -> Result<Credentials> {
    let files = files.to_vec();
    Discovery { env, files }.find(profile)
}
use std::path::PathBuf;
use support::TempDir;

const FULL: &str = "client_id = ID0\nclient_secret = SECRET0\n\n[prod]\nclient_id = ID1\nclient_secret = SECRET1\napi_key = KEY1\n";

/// A JWT whose `exp` is 2100-01-01: {"alg":"none"}.{"exp":4102444800}.sig
const JWT: &str = "eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.sig";

/// `~/.cradl/credentials.json` as the cradl SDK reads it: one object per profile.
const CRADL_JSON: &str = r#"{
  "default": {
    "client_id": "CRADL_ID",
    "client_secret": "CRADL_SECRET",
    "auth_endpoint": "auth.lucidtech.ai/oauth2",
    "api_endpoint": "https://api.lucidtech.ai/v1",
    "use_cache": false
  },
  "kinde": {
    "client_id": "K_ID",
    "client_secret": "K_SECRET",
    "auth_endpoint": "https://auth.cradl.ai/oauth2/token",
    "api_endpoint": "https://api.cradl.ai/v1",
    "access_token": null
  }
}"#;

#[test]
fn sectionless_keys_are_the_default_profile() {
    let dir = TempDir::new("cf");
    let c = from_file(&dir.write("c.cfg", FULL), None).unwrap();
    assert_eq!(c.client_id(), "ID0");
    assert!(!c.is_set("api_key"));
}

#[test]
fn a_named_profile() {
    let dir = TempDir::new("cf");
    let c = from_file(&dir.write("c.cfg", FULL), Some("prod")).unwrap();
    assert_eq!(c.client_id(), "ID1");
    assert!(c.is_set("api_key"));
}

#[test]
fn a_missing_profile_lists_those_there_are() {
    let dir = TempDir::new("cf");
    let path = dir.write("c.cfg", FULL);
    let e = from_file(&path, Some("staging")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert_eq!(
        e.message(),
        format!("credentials file {}: profile 'staging' not found (profiles in the file: default, prod)", path.display())
    );
}

#[test]
fn a_missing_key_is_named_and_no_secret_shown() {
    let dir = TempDir::new("cf");
    let path = dir.write("c.cfg", "[prod]\nclient_secret = TOPSECRET\n");
    let e = from_file(&path, Some("prod")).unwrap_err();
    assert_eq!(
        e.message(),
        format!(
            "credentials file {}, profile 'prod': missing key 'client_id'",
            path.display()
        )
    );
    assert!(!e.message().contains("TOPSECRET"));
}

#[test]
fn a_bad_value_names_file_profile_and_key() {
    let dir = TempDir::new("cf");
    let path = dir.write(
        "c.cfg",
        "client_id = a\nclient_secret = b\ntimeout = soon\n",
    );
    let e = from_file(&path, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert_eq!(
        e.message(),
        format!(
            "credentials file {}, profile 'default': key 'timeout': value 'soon' must be a whole number above 0",
            path.display()
        )
    );
}

#[test]
fn percent_and_semicolon_in_a_secret_are_literal_and_crlf_is_fine() {
    let dir = TempDir::new("cf");
    let path = dir.write(
        "c.cfg",
        "[p]\r\nclient_id = id;1\r\nclient_secret = s%ec;ret#x%%\r\napi_key = k%20\r\n",
    );
    let c = from_file(&path, Some("p")).unwrap();
    assert_eq!(c.client_id(), "id;1");
    // The secret is only visible on the wire: check the Basic header built from it.
    let request = lucidauth::internal::build_request(&c.token_endpoint().unwrap(), None, None);
    let basic = &request.headers[0].1;
    use base64::Engine;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(basic.trim_start_matches("Basic "))
        .unwrap();
    assert_eq!(decoded, b"id;1:s%ec;ret#x%%");
}

/// A valid value for every key of the table, different from its default where it has one.
fn sample(key: &lucidauth::KeySpec) -> String {
    use lucidauth::ValueKind as Kind;
    match (&key.kind, key.name) {
        (_, "auth_endpoint") => "https://auth.example.com".into(),
        (_, "api_endpoint") => "https://api.example.com/v2".into(),
        (_, "cache_url") => "redis://127.0.0.1:6379/0".into(),
        (_, "access_token") => JWT.into(),
        (_, "audience") => "https://api.example.com/v2".into(),
        (_, "issuer") => "https://issuer-value.example.com/oauth2/abc".into(),
        // client_auth is its last word, client_secret_jwt, which signs with 32 bytes or more.
        (_, "client_secret") => "client_secret-value-of-32-bytes-or-more".into(),
        (Kind::Bool, _) => "true".into(),
        (Kind::Seconds { .. } | Kind::Millis, _) => "7".into(),
        (Kind::Count { min, .. }, _) => (min + 2).to_string(),
        (Kind::Choice(words), _) => words[words.len() - 1].to_string(),
        (Kind::Scope, _) => "machinelearning.predict".into(),
        (Kind::Path, _) => format!("/etc/{}", key.name),
        _ => format!("{}-value", key.name),
    }
}

/// Every key, in two files: `issuer` stands instead of `auth_endpoint`, never with it.
#[test]
fn every_key_of_the_table_is_read_from_a_file() {
    let dir = TempDir::new("cf");
    for (left_out, token_url) in [
        ("issuer", "https://auth.example.com/oauth2/token"),
        (
            "auth_endpoint",
            "https://issuer-value.example.com/oauth2/abc",
        ),
    ] {
        let keys = || lucidauth::KEYS.iter().filter(|k| k.name != left_out);
        let text: String = keys()
            .map(|k| format!("{} = {}\n", k.name, sample(k)))
            .collect();
        let c = from_file(&dir.write("c.cfg", &text), None).unwrap();
        for key in keys() {
            assert!(c.is_set(key.name), "{}", key.name);
            let expected = (!key.secret).then(|| sample(key));
            assert_eq!(c.value(key.name), expected, "{}", key.name);
        }
        assert!(!c.is_set(left_out));
        assert_eq!(c.token_url(), token_url);
        assert_eq!(c.api_endpoint(), "https://api.example.com/v2");
    }
}

#[test]
fn unreadable_and_malformed_files() {
    let dir = TempDir::new("cf");
    assert_eq!(from_file(&dir.0, None).unwrap_err().kind(), ErrorKind::Io);
    assert_eq!(
        from_file(&dir.0.join("nope"), None).unwrap_err().kind(),
        ErrorKind::Io
    );
    let bad = dir.write("bad.cfg", "[unclosed\nclient_id = x\n");
    assert_eq!(from_file(&bad, None).unwrap_err().kind(), ErrorKind::Config);
    let binary = dir.0.join("bin.cfg");
    std::fs::write(&binary, b"client_id = \xff\xfe\n").unwrap();
    assert_eq!(
        from_file(&binary, None).unwrap_err().message(),
        format!("credentials file {}: not valid UTF-8", binary.display())
    );
}

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }
}

#[test]
fn environment_wins_over_the_file() {
    let dir = TempDir::new("cf");
    let file = dir.write("c.cfg", FULL);
    let c = discover_with(
        None,
        &env(&[
            ("LAS_CLIENT_ID", "ENV_ID"),
            ("LAS_CLIENT_SECRET", "ENV_SECRET"),
            ("LAS_API_ENDPOINT", "https://api.example.com/v9"),
        ]),
        Some(file),
    )
    .unwrap();
    assert_eq!(c.client_id(), "ENV_ID");
    assert_eq!(c.api_endpoint(), "https://api.example.com/v9");
}

#[test]
fn only_one_of_id_and_secret_in_the_environment_is_an_error() {
    let e = discover_with(None, &env(&[("LAS_CLIENT_ID", "ENV_ID")]), None).unwrap_err();
    assert_eq!(
        (e.kind(), e.message()),
        (
            ErrorKind::Config,
            "LAS_CLIENT_ID is set but LAS_CLIENT_SECRET is not"
        )
    );
    let e = discover_with(None, &env(&[("LAS_CLIENT_SECRET", "S")]), None).unwrap_err();
    assert_eq!(
        e.message(),
        "LAS_CLIENT_SECRET is set but LAS_CLIENT_ID is not"
    );
}

#[test]
fn file_and_profile_from_the_environment_then_the_default_path() {
    let dir = TempDir::new("cf");
    let file = dir.write("c.cfg", FULL);
    let default = dir.write(
        "home/.lucidtech/credentials.cfg",
        "client_id = HOME_ID\nclient_secret = s\n",
    );
    let file = file.display().to_string();
    let vars = [
        ("LAS_CREDENTIALS_FILE", file.as_str()),
        ("LAS_PROFILE", "prod"),
    ];
    assert_eq!(
        discover_with(None, &env(&vars), Some(default.clone()))
            .unwrap()
            .client_id(),
        "ID1"
    );
    assert_eq!(
        discover_with(Some("default"), &env(&vars), Some(default.clone()))
            .unwrap()
            .client_id(),
        "ID0"
    );
    assert_eq!(
        discover_with(None, &env(&[]), Some(default))
            .unwrap()
            .client_id(),
        "HOME_ID"
    );
    let e = discover_with(
        None,
        &env(&[]),
        Some(PathBuf::from("/nonexistent/credentials.cfg")),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
}

#[cfg(unix)]
#[test]
fn a_fifo_as_the_credentials_file_is_refused_at_once() {
    let dir = TempDir::new("cf-fifo");
    let fifo = dir.0.join("credentials.cfg");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let (tx, rx) = std::sync::mpsc::channel();
    let path = fifo.clone();
    // On a FIFO with no writer, a blocking open never returns: run it where a hang is seen.
    std::thread::spawn(move || {
        let _ = tx.send(from_file(&path, None).map(drop));
    });
    let e = rx
        .recv_timeout(std::time::Duration::from_secs(5))
        .expect("reading a FIFO as the credentials file returns at once")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    assert!(
        e.message().contains("not a regular file"),
        "{}",
        e.message()
    );
}

#[test]
fn a_cradl_json_file_is_read_by_its_content() {
    let dir = TempDir::new("cf");
    for name in ["credentials.json", "credentials.cfg", "no-extension"] {
        let path = dir.write(name, CRADL_JSON);
        let c = from_file(&path, None).unwrap();
        assert_eq!(c.client_id(), "CRADL_ID", "{name}");
        assert_eq!(c.token_url(), "https://auth.lucidtech.ai/oauth2/token");
        assert_eq!(c.value("use_cache").as_deref(), Some("false"));
        let c = from_file(&path, Some("kinde")).unwrap();
        assert_eq!(c.token_url(), "https://auth.cradl.ai/oauth2/token");
        assert!(!c.is_set("access_token"), "null is not set");
    }
    // An INI file named .json is still INI.
    let c = from_file(&dir.write("ini.json", FULL), None).unwrap();
    assert_eq!(c.client_id(), "ID0");
}

#[test]
fn json_errors_name_file_and_profile_and_show_no_secret() {
    let dir = TempDir::new("cf");
    let path = dir.write("c.json", CRADL_JSON);
    let e = from_file(&path, Some("prod")).unwrap_err();
    assert_eq!(
        (e.kind(), e.message().to_string()),
        (
            ErrorKind::Config,
            format!(
                "credentials file {}: profile 'prod' not found (profiles in the file: default, kinde)",
                path.display()
            )
        )
    );
    let path = dir.write("bad.json", r#"{"default": {"client_secret": "TOPSECRET""#);
    let e = from_file(&path, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.message().contains("not valid JSON"), "{}", e.message());
    assert!(!e.message().contains("TOPSECRET"));
    let path = dir.write(
        "half.json",
        r#"{"default": {"client_secret": "TOPSECRET"}}"#,
    );
    let e = from_file(&path, None).unwrap_err();
    assert_eq!(
        e.message(),
        format!(
            "credentials file {}, profile 'default': missing key 'client_id'",
            path.display()
        )
    );
}

#[test]
fn an_access_token_alone_is_enough() {
    let dir = TempDir::new("cf");
    let path = dir.write(
        "c.json",
        &format!(r#"{{"default": {{"access_token": "{JWT}", "api_endpoint": "https://api.cradl.ai/v1"}}}}"#),
    );
    let c = from_file(&path, None).unwrap();
    assert!(!c.has_client_credentials() && c.is_set("access_token"));
    let c = discover_with(None, &env(&[("LAS_ACCESS_TOKEN", JWT)]), None).unwrap();
    assert!(!c.has_client_credentials() && c.is_set("access_token"));
    let c = discover_with(None, &env(&[("CRADL_ACCESS_TOKEN", JWT)]), None).unwrap();
    assert!(c.is_set("access_token"));
}

/// The whole order: LAS_* variables, CRADL_* variables, LAS_CREDENTIALS_FILE,
/// ~/.lucidtech/credentials.cfg, ~/.cradl/credentials.json.
#[test]
fn discovery_precedence() {
    let dir = TempDir::new("cf");
    let las_file = dir.write(
        "home/.lucidtech/credentials.cfg",
        "client_id = LAS_FILE\nclient_secret = s\n",
    );
    let cradl_file = dir.write("home/.cradl/credentials.json", CRADL_JSON);
    let named = dir.write(
        "named.json",
        r#"{"default": {"client_id": "NAMED", "client_secret": "s"}}"#,
    );
    let named = named.display().to_string();
    let defaults = [las_file.clone(), cradl_file.clone()];
    let las = [("LAS_CLIENT_ID", "LAS_ENV"), ("LAS_CLIENT_SECRET", "s")];
    let cradl = [
        ("CRADL_CLIENT_ID", "CRADL_ENV"),
        ("CRADL_CLIENT_SECRET", "s"),
        ("CRADL_AUTH_ENDPOINT", "https://auth.cradl.ai/oauth2/token"),
        ("CRADL_API_ENDPOINT", "https://api.cradl.ai/v1"),
    ];
    let file = [("LAS_CREDENTIALS_FILE", named.as_str())];
    let id = |vars: &[(&str, &str)], files: &[PathBuf]| {
        discover_from(None, &env(vars), files)
            .map(|c| c.client_id().to_string())
            .map_err(|e| e.message().to_string())
    };
    let all: Vec<(&str, &str)> = [&las[..], &cradl[..], &file[..]].concat();
    assert_eq!(id(&all, &defaults).unwrap(), "LAS_ENV");
    let no_las: Vec<(&str, &str)> = [&cradl[..], &file[..]].concat();
    assert_eq!(id(&no_las, &defaults).unwrap(), "CRADL_ENV");
    let c = discover_from(None, &env(&cradl), &defaults).unwrap();
    assert_eq!(
        (c.token_url(), c.api_endpoint()),
        (
            "https://auth.cradl.ai/oauth2/token",
            "https://api.cradl.ai/v1"
        )
    );
    assert_eq!(id(&file, &defaults).unwrap(), "NAMED");
    assert_eq!(id(&[], &defaults).unwrap(), "LAS_FILE");
    assert_eq!(id(&[], &defaults[1..]).unwrap(), "CRADL_ID");
    std::fs::remove_file(&las_file).unwrap();
    assert_eq!(
        id(&[], &defaults).unwrap(),
        "CRADL_ID",
        "the cradl file when there is no .lucidtech one"
    );
    std::fs::remove_file(&cradl_file).unwrap();
    let e = id(&[], &defaults).unwrap_err();
    assert!(
        e.starts_with(&format!(
            "credentials file {}: cannot read",
            las_file.display()
        )),
        "{e}"
    );
    assert!(
        e.ends_with(&format!(
            "; no {} either, and no LAS_* or CRADL_* credentials in the environment",
            cradl_file.display()
        )),
        "{e}"
    );
    // A partial set is an error that names what is missing, not a reason to look further.
    assert_eq!(
        id(&[("CRADL_CLIENT_ID", "x")], &defaults).unwrap_err(),
        "CRADL_CLIENT_ID is set but CRADL_CLIENT_SECRET is not"
    );
    assert_eq!(
        id(
            &[("CRADL_CLIENT_SECRET", "x"), ("CRADL_ACCESS_TOKEN", JWT)],
            &defaults
        )
        .unwrap_err(),
        "CRADL_CLIENT_SECRET is set but CRADL_CLIENT_ID is not"
    );
}
