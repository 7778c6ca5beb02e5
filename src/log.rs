//! Leveled logging: to stderr when `LUCIDAUTH_LOG=error|warn|info|debug` is set, and to a sink a
//! program installs (the C callback). Callers pass messages that already hold no secrets.

use std::io::Write;
use std::sync::LazyLock as Lazy;
use std::sync::{Arc, RwLock};

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

    /// The level for a number 1..=4; anything else is `None` (logging off).
    pub fn from_number(n: i32) -> Option<Level> {
        match n {
            1 => Some(Level::Error),
            2 => Some(Level::Warn),
            3 => Some(Level::Info),
            4 => Some(Level::Debug),
            _ => None,
        }
    }
}

/// Receives every log line at or above its level.
pub type Sink = Arc<dyn Fn(Level, &str) + Send + Sync>;

static STDERR_LEVEL: Lazy<Option<Level>> = Lazy::new(|| {
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

static SINK: RwLock<Option<(Sink, Level)>> = RwLock::new(None);

/// Installs (or with `None` removes) the process-wide sink, receiving lines up to `level`;
/// waits for calls of the previous sink to end.
pub fn set_sink(sink: Option<(Sink, Level)>) {
    *SINK.write().unwrap_or_else(|e| e.into_inner()) = sink;
}

/// Writes `message` to stderr and the sink, where `level` is enabled for them.
pub fn log(level: Level, message: &str) {
    if STDERR_LEVEL.is_some_and(|t| level <= t) {
        // A closed or broken stderr must never fail (or panic) the call that logs.
        let line = format!("lucidauth: {}: {message}\n", level.name());
        let _ = std::io::stderr().write_all(line.as_bytes());
    }
    // The sink runs under the read lock, so that once `set_sink` returns the old sink is
    // no longer running anywhere (a C program may free what its callback uses).
    let sink = SINK.read().unwrap_or_else(|e| e.into_inner());
    if let Some((sink, max)) = sink.as_ref() {
        if level <= *max {
            sink(level, message);
        }
    }
}

pub fn warn(message: &str) {
    log(Level::Warn, message);
}

pub fn info(message: &str) {
    log(Level::Info, message);
}

pub fn debug(message: &str) {
    log(Level::Debug, message);
}
