//! The shared token cache on one host: a `0700` directory of `0600` JSON entries, written
//! atomically (temporary file, then rename), and an advisory lock file per entry (`flock`, through
//! the standard library's `File::lock`), which the system releases when its process dies.
//!
//! What it trusts: only a directory owned by this process's effective user (checked on the path
//! and on what it leads to); anything else is refused and the cache is off. In it, entries and
//! locks are opened without following symbolic links and without blocking, and anything that is
//! not a regular file is ignored; temporary files get unpredictable names and are created
//! exclusively. An entry is used only if its MAC, keyed by the client secret, matches.

use super::entry::{Entry, EntryId, MAX_ENTRY};
use super::shared::{store_error, Held, Store};
use crate::clock::Deadline;
use crate::error::Result;
use crate::log;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug)]
pub struct DiskStore {
    dir: PathBuf,
}

struct LockFile(#[allow(dead_code)] File);
impl Held for LockFile {}

impl DiskStore {
    /// A store in `dir`, created (with its parents) as needed and made private to this user;
    /// refused when `dir` (or what a link there leads to) is not a directory of this user.
    pub fn new(dir: &Path) -> Result<DiskStore> {
        let fail =
            |e: std::io::Error| store_error(format!("cache directory {}: {e}", dir.display()));
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(fail)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::{MetadataExt, PermissionsExt};
            let me = rustix::process::geteuid().as_raw();
            let link = std::fs::symlink_metadata(dir).map_err(fail)?;
            let target = std::fs::metadata(dir).map_err(fail)?;
            if !target.is_dir() {
                return Err(store_error(format!(
                    "cache directory {} is not a directory",
                    dir.display()
                )));
            }
            for meta in [&link, &target] {
                if meta.uid() != me {
                    return Err(store_error(format!(
                        "cache directory {} belongs to user {}, not to this process's user {me}; not used",
                        dir.display(),
                        meta.uid()
                    )));
                }
            }
            if target.permissions().mode() & 0o077 != 0 {
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                    .map_err(fail)?;
            }
        }
        Ok(DiskStore {
            dir: dir.to_path_buf(),
        })
    }

    fn path(&self, key: &EntryId, extension: &str) -> PathBuf {
        self.dir.join(format!("{}.{extension}", key.name))
    }

    fn read(&self, key: &EntryId) -> Result<Option<Entry>> {
        let path = self.path(key, "json");
        let mut options = OpenOptions::new();
        options.read(true);
        no_follow_no_block(&mut options);
        let file = match options.open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) if is_a_link(&e) => {
                log::warn(&format!(
                    "shared token cache: entry {} is a symbolic link; ignored, it will be replaced",
                    path.display()
                ));
                return Ok(None);
            }
            Err(e) => return Err(store_error(format!("{}: {e}", path.display()))),
        };
        let meta = file
            .metadata()
            .map_err(|e| store_error(format!("{}: {e}", path.display())))?;
        if !meta.is_file() {
            log::warn(&format!(
                "shared token cache: entry {} is not a regular file; ignored",
                path.display()
            ));
            return Ok(None);
        }
        if meta.len() > MAX_ENTRY {
            log::warn(&format!(
                "shared token cache: entry {} is larger than {MAX_ENTRY} bytes; it will be replaced",
                path.display()
            ));
            return Ok(None);
        }
        // Sized up front (at most MAX_ENTRY), so that no unwiped copy is left by a reallocation.
        let capacity = usize::try_from(meta.len() + 1).unwrap_or(0);
        let mut bytes = zeroize::Zeroizing::new(Vec::with_capacity(capacity));
        file.take(MAX_ENTRY)
            .read_to_end(&mut bytes)
            .map_err(|e| store_error(format!("{}: {e}", path.display())))?;
        match Entry::from_json(&bytes, key) {
            Ok(entry) => Ok(Some(entry)),
            Err(why) => {
                log::warn(&format!(
                    "shared token cache: entry {} is {why}; it will be replaced",
                    path.display()
                ));
                Ok(None)
            }
        }
    }
}

/// Opens without following a symbolic link in the last component and without blocking (a FIFO
/// planted as an entry must not hang the call).
fn no_follow_no_block(options: &mut OpenOptions) {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(options, libc::O_NOFOLLOW | libc::O_NONBLOCK);
    #[cfg(not(unix))]
    let _ = options;
}

/// Whether an open failed because `O_NOFOLLOW` met a symbolic link.
fn is_a_link(error: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        error.raw_os_error() == Some(libc::ELOOP)
    }
    #[cfg(not(unix))]
    {
        let _ = error;
        false
    }
}

/// 128 random bits as hex, for names no other user can guess.
fn random_hex() -> Result<String> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| store_error("no random numbers for a temporary file name"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

impl Store for DiskStore {
    fn load(&self, key: &EntryId) -> Result<Option<Entry>> {
        self.read(key)
    }

    fn save(&self, key: &EntryId, entry: &Entry, _fresh_for: Duration) -> Result<()> {
        let path = self.path(key, "json");
        let temp = self.dir.join(format!("{}.{}.tmp", key.name, random_hex()?));
        let fail = |e: std::io::Error| store_error(format!("{}: {e}", temp.display()));
        let mut options = OpenOptions::new();
        // O_EXCL (create_new) with O_NOFOLLOW: never a file or link that was already there.
        options.write(true).create_new(true);
        no_follow_no_block(&mut options);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temp).map_err(fail)?;
        let json = zeroize::Zeroizing::new(entry.to_json(key));
        let written = file
            .write_all(json.as_bytes())
            .and_then(|()| file.sync_all());
        drop(file);
        if let Err(e) = written {
            let _ = std::fs::remove_file(&temp);
            return Err(fail(e));
        }
        // rename replaces whatever is at `path` (a planted link included) without following it.
        std::fs::rename(&temp, &path).map_err(|e| {
            let _ = std::fs::remove_file(&temp);
            store_error(format!("{}: {e}", path.display()))
        })
    }

    fn lock<'a>(&'a self, key: &EntryId, wait: Duration) -> Result<Option<Box<dyn Held + 'a>>> {
        let path = self.path(key, "lock");
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        no_follow_no_block(&mut options);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options
            .open(&path)
            .map_err(|e| store_error(format!("{}: {e}", path.display())))?;
        let is_file = file
            .metadata()
            .map_err(|e| store_error(format!("{}: {e}", path.display())))?
            .is_file();
        if !is_file {
            return Err(store_error(format!(
                "{} is not a regular file",
                path.display()
            )));
        }
        let until = Deadline::after(wait);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Some(Box::new(LockFile(file)))),
                Err(std::fs::TryLockError::WouldBlock) if !until.left().is_zero() => {
                    std::thread::sleep(until.left().min(Duration::from_millis(5)));
                }
                Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(store_error(format!("{}: {e}", path.display())))
                }
            }
        }
    }

    fn remove_if(&self, key: &EntryId, token: &str, wait: Duration) -> Result<()> {
        let Some(_held) = self.lock(key, wait)? else {
            return Ok(());
        };
        if self.read(key)?.is_some_and(|e| e.token.expose() == token) {
            let path = self.path(key, "json");
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(store_error(format!("{}: {e}", path.display()))),
            }
        }
        Ok(())
    }
}
