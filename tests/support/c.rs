//! Building and running the C programs: compiled against the library cargo built for the tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The directory holding the library cargo built for these tests: target/<profile>/deps, next
/// to the test binary (the copy in target/<profile> is refreshed only by `cargo build`).
pub fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().to_path_buf()
}

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Compiles `source` (C99, warnings as errors) into target/<profile>/deps/c-tests/`name`.
pub fn compile(source: &str, name: &str) -> PathBuf {
    compile_with(source, name, &[])
}

/// `compile`, linked with the libraries `libs` too (e.g. `-lcurl`).
pub fn compile_with(source: &str, name: &str, libs: &[&str]) -> PathBuf {
    let out_dir = lib_dir().join("c-tests");
    std::fs::create_dir_all(&out_dir).unwrap();
    let out = out_dir.join(name);
    let lib = lib_dir();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let status = Command::new(cc)
        .args([
            "-std=c99",
            "-g",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
            "-I",
        ])
        .arg(root().join("include"))
        .arg("-o")
        .arg(&out)
        .arg(root().join(source))
        .arg(format!("-L{}", lib.display()))
        .arg("-llucidauth")
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .args(libs)
        .status()
        .expect("a C compiler (cc) is installed");
    assert!(status.success(), "compiling {source} failed");
    out
}

pub fn lucid() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| compile("examples/c/lucid.c", "lucid"))
}

/// A command for a C program (or valgrind running one) with a clean environment, so that only
/// what the test gives it counts: the caller's PATH, and HOME a directory that does not exist
/// (tests that want a home set their own). None of the caller's LAS_*, CRADL_*, LUCIDAUTH_LOG or
/// proxy variables, and no LD_LIBRARY_PATH: the program finds the library through its rpath
/// (cargo's LD_LIBRARY_PATH may name target/<profile>, where an older copy lives).
pub fn c_program(program: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .env("HOME", "/nonexistent/lucidauth-test-home");
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd
}

/// `program` under valgrind memcheck when valgrind is installed (zero errors and zero definite
/// leaks, enforced through the exit status), else as it is.
pub fn under_valgrind(program: &Path) -> Command {
    let found = Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!(
            "valgrind not found: running {} without it",
            program.display()
        );
        return c_program(program);
    }
    let mut cmd = c_program(Path::new("valgrind"));
    cmd.args([
        "--tool=memcheck",
        "--leak-check=full",
        "--errors-for-leak-kinds=definite",
        "--show-leak-kinds=definite",
        "--error-exitcode=99",
        "--quiet",
    ])
    .arg(program);
    cmd
}

/// The `lucid` tool with `args` and HOME set to `home`, in the clean environment of
/// [`c_program`].
pub fn lucid_command(home: &Path, args: &[&str]) -> Command {
    let mut cmd = c_program(lucid());
    cmd.env("HOME", home).args(args);
    cmd
}

/// Whether the C compiler finds `header` (e.g. `curl/curl.h`): tests of programs that need an
/// optional library are skipped, with a line saying so, when it is missing.
pub fn has_header(header: &str) -> bool {
    use std::io::Write;
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let Ok(mut child) = Command::new(cc)
        .args(["-E", "-x", "c", "-o", "/dev/null", "-"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
    else {
        return false;
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = writeln!(stdin, "#include <{header}>");
    }
    child.wait().is_ok_and(|s| s.success())
}
