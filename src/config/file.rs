//! Reading credentials from the INI file the vendors document (`~/.lucidtech/credentials.cfg`) or
//! the JSON file of the cradl SDK (`~/.cradl/credentials.json`). Which file is read is
//! `discover`'s business.

use super::credentials::{Credentials, CredentialsBuilder};
use super::ini;
use super::keys;
use crate::error::{Error, ErrorKind, Result};
use crate::log;
use std::io::Read;
use std::path::Path;
use zeroize::{Zeroize, Zeroizing};

/// The profile used when none is named.
pub const DEFAULT_PROFILE: &str = "default";
/// Larger credentials files are refused rather than read into memory.
pub const MAX_FILE_SIZE: u64 = 1024 * 1024;

/// Reads `profile` (or `default`) from the credentials file at `path`, INI or JSON by its content
/// (JSON when its first character other than a blank is `{`), whatever its name.
///
/// INI: keys before any section belong to `default`; a `[default]` section adds to them and wins
/// where both set a key. Values are literal: see `config::ini` for the dialect.
///
/// JSON, as the cradl SDK writes `~/.cradl/credentials.json`: an object with one object per
/// profile, whose members are keys; a string, number or boolean value is taken as the INI text of
/// it would be, `null` as not set.
pub fn from_file(path: &Path, profile: Option<&str>) -> Result<Credentials> {
    let where_ = format!("credentials file {}", path.display());
    let text = read_limited(path).map_err(|e| e.context(&where_))?;
    warn_if_shared(path);
    if is_json(&text) {
        parse_json(&text, profile, &where_)
    } else {
        parse(&text, profile, &where_)
    }
}

/// Reads `profile` (or `default`) from the JSON text of a cradl SDK credentials file.
pub fn from_json_str(text: &str, profile: Option<&str>) -> Result<Credentials> {
    parse_json(text, profile, "credentials text")
}

fn is_json(text: &str) -> bool {
    text.trim_start().starts_with('{')
}

fn parse_json(text: &str, profile: Option<&str>, where_: &str) -> Result<Credentials> {
    use serde_json::Value;
    let profile = profile.unwrap_or(DEFAULT_PROFILE);
    // serde_json's messages give a line and column, never the text.
    let json: Value = serde_json::from_str(text)
        .map_err(|e| Error::new(ErrorKind::Config, format!("{where_}: not valid JSON: {e}")))?;
    let profiles = json.as_object().ok_or_else(|| {
        Error::new(
            ErrorKind::Config,
            format!("{where_}: not a JSON object of profiles"),
        )
    })?;
    let Some(found) = profiles.get(profile) else {
        let names: Vec<&str> = profiles.keys().map(String::as_str).collect();
        let names = if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        };
        return Err(Error::new(
            ErrorKind::Config,
            format!("{where_}: profile '{profile}' not found (profiles in the file: {names})"),
        ));
    };
    let members = found.as_object().ok_or_else(|| {
        Error::new(
            ErrorKind::Config,
            format!("{where_}: profile '{profile}' is not a JSON object"),
        )
    })?;
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (key, value) in members {
        let text = match value {
            Value::Null => continue,
            Value::String(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            _ => {
                return Err(Error::new(
                    ErrorKind::Config,
                    format!("{where_}, profile '{profile}': key '{key}' must be a string, a number or a boolean"),
                ))
            }
        };
        pairs.push((key.to_ascii_lowercase(), text));
    }
    build(
        pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        profile,
        where_,
    )
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
    build(pairs, profile, &where_())
}

/// Credentials from the `key = value` pairs of `profile` in a file; unknown keys are ignored
/// with a warning.
fn build<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    profile: &str,
    where_: &str,
) -> Result<Credentials> {
    let where_ = || where_.to_string();
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
