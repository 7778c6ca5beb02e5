//! Minimal leveled logging to stderr, switched on by `LUCIDAUTH_LOG=error|warn|info|debug`.
//! Callers pass messages that already hold no secrets.

use once_cell::sync::Lazy;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }
}

static THRESHOLD: Lazy<Option<Level>> = Lazy::new(|| {
    match std::env::var("LUCIDAUTH_LOG")
        .ok()?
        .trim()
        .to_ascii_lowercase()
        .as_str()
    {
        "error" => Some(Level::Error),
        "warn" | "warning" => Some(Level::Warn),
        "info" => Some(Level::Info),
        "debug" | "trace" => Some(Level::Debug),
        _ => None,
    }
});

/// Writes `message` to stderr when `level` is enabled.
pub fn log(level: Level, message: &str) {
    if THRESHOLD.is_some_and(|t| level <= t) {
        eprintln!("lucidauth: {}: {message}", level.name());
    }
}

pub fn warn(message: &str) {
    log(Level::Warn, message);
}

pub fn info(message: &str) {
    log(Level::Info, message);
}
