//! Reading credentials from the INI file the vendors document, and finding them the way the
//! official SDKs do: environment first, then `LAS_CREDENTIALS_FILE`, then the per-user default file.

use crate::credentials::{Credentials, CredentialsBuilder};
use crate::error::{Error, ErrorKind, Result};
use crate::ini;
use crate::keys;
use crate::log;
use std::io::Read;
use std::path::{Path, PathBuf};
use zeroize::{Zeroize, Zeroizing};

/// The profile used when none is named.
pub const DEFAULT_PROFILE: &str = "default";
/// Larger credentials files are refused rather than read into memory.
pub const MAX_FILE_SIZE: u64 = 1024 * 1024;

/// Reads `profile` (or `default`) from the INI file at `path`. Keys before any section belong to
/// `default`; a `[default]` section adds to them and wins where both set a key. Values are literal:
/// see [`crate::ini`] for the dialect.
pub fn from_file(path: &Path, profile: Option<&str>) -> Result<Credentials> {
    let where_ = format!("credentials file {}", path.display());
    let text = read_limited(path).map_err(|e| e.context(&where_))?;
    warn_if_shared(path);
    parse(&text, profile, &where_)
}

/// Reads `profile` (or `default`) from INI text, with the rules of [`from_file`].
pub fn from_ini_str(text: &str, profile: Option<&str>) -> Result<Credentials> {
    parse(text, profile, "credentials text")
}

fn parse(text: &str, profile: Option<&str>, where_: &str) -> Result<Credentials> {
    let profile = profile.unwrap_or(DEFAULT_PROFILE);
    let where_ = || where_.to_string();
    let sections = WipedSections(ini::parse(text).map_err(|e| e.context(where_()))?);
    let sections = &sections.0;
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    let mut found = false;
    for (section, props) in sections {
        if section.as_deref().unwrap_or(DEFAULT_PROFILE) == profile {
            found |= section.is_some() || !props.is_empty();
            pairs.extend(props.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        }
    }
    if !found {
        return Err(Error::new(
            ErrorKind::Config,
            format!(
                "{}: profile '{profile}' not found (profiles in the file: {})",
                where_(),
                profiles(sections)
            ),
        ));
    }
    let mut builder = CredentialsBuilder::new();
    for (key, value) in pairs {
        if keys::spec(key).is_none() {
            log::warn(&format!(
                "{}, profile '{profile}': unknown key '{key}' ignored",
                where_()
            ));
            continue;
        }
        builder
            .set(key, value)
            .map_err(|e| e.context(format!("{}, profile '{profile}'", where_())))?;
    }
    builder
        .build()
        .map_err(|e| e.context(format!("{}, profile '{profile}'", where_())))
}

/// Finds credentials as the official SDKs do; see the README's "Credentials" section.
pub fn discover(profile: Option<&str>) -> Result<Credentials> {
    discover_with(profile, &|name| std::env::var(name).ok(), default_path())
}

/// [`discover`] with the environment and the default file path given, for tests.
pub fn discover_with(
    profile: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
    default_file: Option<PathBuf>,
) -> Result<Credentials> {
    let var = |name: &str| env(name).filter(|v| !v.is_empty());
    match (var("LAS_CLIENT_ID"), var("LAS_CLIENT_SECRET")) {
        (Some(id), Some(secret)) => {
            let mut builder = CredentialsBuilder::new();
            builder
                .set("client_id", &id)?
                .set("client_secret", &secret)?;
            for (name, key) in [
                ("LAS_API_KEY", "api_key"),
                ("LAS_AUTH_ENDPOINT", "auth_endpoint"),
                ("LAS_API_ENDPOINT", "api_endpoint"),
            ] {
                if let Some(value) = var(name) {
                    builder
                        .set(key, &value)
                        .map_err(|e| e.context(format!("environment variable {name}")))?;
                }
            }
            builder
                .build()
                .map_err(|e| e.context("credentials from the environment"))
        }
        (Some(_), None) => Err(Error::new(
            ErrorKind::Config,
            "LAS_CLIENT_ID is set but LAS_CLIENT_SECRET is not",
        )),
        (None, Some(_)) => Err(Error::new(
            ErrorKind::Config,
            "LAS_CLIENT_SECRET is set but LAS_CLIENT_ID is not",
        )),
        (None, None) => {
            let path = var("LAS_CREDENTIALS_FILE").map(PathBuf::from).or(default_file).ok_or_else(|| {
                Error::new(ErrorKind::Config, "no credentials: LAS_CLIENT_ID/LAS_CLIENT_SECRET are not set and there is no home directory")
            })?;
            let profile = profile.map(str::to_string).or_else(|| var("LAS_PROFILE"));
            from_file(&path, profile.as_deref())
        }
    }
}

/// `~/.lucidtech/credentials.cfg`; on Windows under `%USERPROFILE%`, else `%HOME%`.
pub fn default_path() -> Option<PathBuf> {
    let home = if cfg!(windows) {
        std::env::var_os("USERPROFILE")
            .or_else(|| std::env::var_os("HOME"))
            .map(PathBuf::from)
    } else {
        dirs::home_dir()
    };
    home.map(|h| h.join(".lucidtech").join("credentials.cfg"))
}

/// Reads the file, which must be a regular file (a FIFO or a device would block or never end):
/// checked before opening, and opened non-blocking so that a file swapped for a FIFO in between
/// cannot hang the call either. The text is wiped from memory when dropped.
fn read_limited(path: &Path) -> Result<Zeroizing<String>> {
    let io = |e: std::io::Error| Error::new(ErrorKind::Io, format!("cannot read: {e}"));
    let not_regular = |meta: &std::fs::Metadata| {
        if meta.is_dir() {
            Err(Error::new(ErrorKind::Io, "is a directory"))
        } else if !meta.is_file() {
            Err(Error::new(ErrorKind::Io, "is not a regular file"))
        } else {
            Ok(())
        }
    };
    not_regular(&std::fs::metadata(path).map_err(io)?)?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    not_regular(&meta)?;
    // Sized up front, so that the buffer holding the secret is not reallocated (and an unwiped
    // copy left behind) while it is read.
    let expected = usize::try_from(meta.len().min(MAX_FILE_SIZE) + 1).unwrap_or(0);
    let mut bytes = Zeroizing::new(Vec::with_capacity(expected));
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(Error::new(
            ErrorKind::Config,
            format!("larger than {MAX_FILE_SIZE} bytes"),
        ));
    }
    let start = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let text = std::str::from_utf8(&bytes[start..])
        .map_err(|_| Error::new(ErrorKind::Config, "not valid UTF-8"))?;
    let mut out = Zeroizing::new(String::with_capacity(text.len()));
    out.push_str(text);
    Ok(out)
}

/// The parsed file, its values (secrets among them) wiped when dropped.
struct WipedSections(Vec<ini::Section>);

impl Drop for WipedSections {
    fn drop(&mut self) {
        for (_, props) in &mut self.0 {
            for (_, value) in props.iter_mut() {
                value.zeroize();
            }
        }
    }
}

fn profiles(sections: &[ini::Section]) -> String {
    let mut names: Vec<&str> = Vec::new();
    for (section, props) in sections {
        let name = section.as_deref().unwrap_or(DEFAULT_PROFILE);
        if (section.is_some() || !props.is_empty()) && !names.contains(&name) {
            names.push(name);
        }
    }
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

#[cfg(unix)]
fn warn_if_shared(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.permissions().mode() & 0o077 != 0 {
            log::warn(&format!(
                "credentials file {} can be read by group or others (mode {:o}); chmod 600 it",
                path.display(),
                meta.permissions().mode() & 0o777
            ));
        }
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_path: &Path) {}
