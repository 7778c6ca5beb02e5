//! The shared token cache on one host: a `0700` directory of `0600` JSON entries, written
//! atomically (temporary file, then rename), and an advisory lock file per entry (`flock`, through
//! the standard library's `File::lock`), which the system releases when its process dies.

use crate::error::Result;
use crate::log;
use crate::shared_cache::{store_error, Entry, Held, Key, Store};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Larger entry files are not ones this library wrote.
const MAX_ENTRY: u64 = 64 * 1024;

#[derive(Debug)]
pub struct DiskStore {
    dir: PathBuf,
}

struct LockFile(#[allow(dead_code)] File);
impl Held for LockFile {}

impl DiskStore {
    /// A store in `dir`, created (with its parents) as needed and made private to this user.
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
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir).map_err(fail)?.permissions().mode();
            if mode & 0o077 != 0 {
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                    .map_err(fail)?;
            }
        }
        Ok(DiskStore {
            dir: dir.to_path_buf(),
        })
    }

    fn path(&self, key: &Key, extension: &str) -> PathBuf {
        self.dir.join(format!("{}.{extension}", key.name))
    }

    fn read(&self, key: &Key) -> Result<Option<Entry>> {
        let path = self.path(key, "json");
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(store_error(format!("{}: {e}", path.display()))),
        };
        let mut bytes = Vec::new();
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

impl Store for DiskStore {
    fn load(&self, key: &Key) -> Result<Option<Entry>> {
        self.read(key)
    }

    fn save(&self, key: &Key, entry: &Entry, _fresh_for: Duration) -> Result<()> {
        let path = self.path(key, "json");
        let temp = self
            .dir
            .join(format!("{}.{}.tmp", key.name, std::process::id()));
        let fail = |e: std::io::Error| store_error(format!("{}: {e}", temp.display()));
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temp).map_err(fail)?;
        file.write_all(entry.to_json(key).as_bytes())
            .map_err(fail)?;
        file.sync_all().map_err(fail)?;
        drop(file);
        std::fs::rename(&temp, &path).map_err(|e| store_error(format!("{}: {e}", path.display())))
    }

    fn lock<'a>(&'a self, key: &Key, wait: Duration) -> Result<Option<Box<dyn Held + 'a>>> {
        let path = self.path(key, "lock");
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options
            .open(&path)
            .map_err(|e| store_error(format!("{}: {e}", path.display())))?;
        let until = Instant::now() + wait;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Some(Box::new(LockFile(file)))),
                Err(std::fs::TryLockError::WouldBlock) if Instant::now() < until => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(store_error(format!("{}: {e}", path.display())))
                }
            }
        }
    }

    fn remove_if(&self, key: &Key, token: &str) -> Result<()> {
        let Some(_held) = self.lock(key, Duration::from_secs(10))? else {
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
