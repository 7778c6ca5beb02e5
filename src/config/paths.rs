//! Where the per-user files live: under `~`, on Windows `%USERPROFILE%` (else `%HOME%`).

use std::path::PathBuf;

/// The user's home: on Windows `%USERPROFILE%`, else `%HOME%`.
fn home() -> Option<PathBuf> {
    if cfg!(windows) {
        std::env::var_os("USERPROFILE")
            .or_else(|| std::env::var_os("HOME"))
            .map(PathBuf::from)
    } else {
        dirs::home_dir()
    }
}

/// `~/.lucidtech/credentials.cfg`.
pub fn default_path() -> Option<PathBuf> {
    home().map(|h| h.join(".lucidtech").join("credentials.cfg"))
}

/// `~/.cradl/credentials.json`, the cradl SDK's file.
pub fn default_cradl_path() -> Option<PathBuf> {
    home().map(|h| h.join(".cradl").join("credentials.json"))
}

/// `~/.lucidtech/cache`, the shared token cache's directory when `cache_dir` is not set.
pub fn default_cache_dir() -> Option<PathBuf> {
    home().map(|h| h.join(".lucidtech").join("cache"))
}
