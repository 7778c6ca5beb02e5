//! Build script: gives the shared library its SONAME, `liblucidauth.so.<major>`.
//!
//! The major version comes from Cargo.toml (`CARGO_PKG_VERSION_MAJOR`), so 0.x releases have the
//! SONAME `liblucidauth.so.0`: 0.x releases only add to the ABI (status codes are never
//! renumbered, functions never change or go away), and the first incompatible ABI is 1.0 with
//! `liblucidauth.so.1`. `make install` installs the real file `liblucidauth.so.<major>.<minor>.<patch>`
//! with the links `liblucidauth.so.<major>` and `liblucidauth.so` (see mk/install.mk).
//!
//! A program linked with `-llucidauth` records the SONAME and asks for `liblucidauth.so.<major>`
//! at run time, so programs linked in the build tree (`-Ltarget/release -llucidauth` with an
//! rpath, as `make` and the bindings do, or against `target/<profile>/deps` as the C tests do)
//! need that name next to `liblucidauth.so`: this script makes the link
//! `liblucidauth.so.<major> -> liblucidauth.so` in `target/<profile>` and in
//! `target/<profile>/deps` (dangling until cargo writes the library; a regular file of that name
//! is left alone).
//!
//! Nothing else needs doing for the exported symbols: rustc links a cdylib with its own version
//! script that exports only the `#[no_mangle] extern "C"` functions (all `lucid_*`) and hides
//! everything else (`rust_eh_personality`, `__rust_*`, the dependencies' symbols).
//! scripts/test_install.sh checks this on the installed library with `nm -D --defined-only`.

use std::env;
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");

    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let elf = matches!(
        os.as_str(),
        "linux"
            | "android"
            | "freebsd"
            | "netbsd"
            | "openbsd"
            | "dragonfly"
            | "solaris"
            | "illumos"
    );
    if !elf {
        return;
    }
    let major = env::var("CARGO_PKG_VERSION_MAJOR").expect("cargo sets CARGO_PKG_VERSION_MAJOR");
    let soname = format!("liblucidauth.so.{major}");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");

    if let Some(dir) = env::var_os("OUT_DIR").and_then(|out| profile_dir(Path::new(&out))) {
        link_soname(&dir, &soname);
        link_soname(&dir.join("deps"), &soname);
    }
}

/// `target/<profile>` (or `target/<triple>/<profile>`) from `OUT_DIR`, which cargo puts at
/// `<profile dir>/build/<package>-<hash>/out`; None when the layout is not that one.
fn profile_dir(out_dir: &Path) -> Option<PathBuf> {
    let build = out_dir.parent()?.parent()?;
    if build.file_name()? != "build" {
        return None;
    }
    Some(build.parent()?.to_path_buf())
}

/// Makes `dir/<soname> -> liblucidauth.so` unless it is there already. A failure only means that
/// programs linked in the build tree need `LD_LIBRARY_PATH` or the link made by hand, so it is a
/// warning, not an error.
#[cfg(unix)]
fn link_soname(dir: &Path, soname: &str) {
    let link = dir.join(soname);
    match std::fs::symlink_metadata(&link) {
        Ok(meta) if meta.file_type().is_symlink() => {
            if std::fs::read_link(&link).ok().as_deref() == Some(Path::new("liblucidauth.so")) {
                return;
            }
            let _ = std::fs::remove_file(&link);
        }
        Ok(_) => return, // a real file: leave it alone
        Err(_) => {}
    }
    if let Err(e) = std::os::unix::fs::symlink("liblucidauth.so", &link) {
        println!(
            "cargo:warning=could not link {} -> liblucidauth.so: {e}",
            link.display()
        );
    }
}

#[cfg(not(unix))]
fn link_soname(_dir: &Path, _soname: &str) {}
