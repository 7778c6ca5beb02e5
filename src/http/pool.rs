//! Idle keep-alive connections, a few per origin, each checked before it is used again: not
//! idle too long, and one non-blocking peek finds it still open.

use super::connection::{Connection, Origin};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most idle connections kept, and most to one origin: enough for 8 threads calling one API
/// through one client to keep theirs.
const MAX_IDLE: usize = 16;
const MAX_IDLE_PER_ORIGIN: usize = 8;
/// An idle connection older than this is closed rather than used again.
const MAX_IDLE_AGE: Duration = Duration::from_secs(15);

#[derive(Default)]
pub struct Pool {
    idle: Mutex<Vec<(Connection, Instant)>>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool").finish_non_exhaustive()
    }
}

impl Pool {
    /// The connection to `origin` put back last that is still usable, if any.
    pub fn take(&self, origin: &Origin<'_>) -> Option<Connection> {
        loop {
            let (mut connection, since) = {
                let mut idle = self.lock();
                let at = idle.iter().rposition(|(c, _)| c.goes_to(origin))?;
                idle.remove(at)
            };
            if since.elapsed() < MAX_IDLE_AGE && connection.stream.tcp().is_open() {
                return Some(connection);
            }
        }
    }

    /// Keeps `connection` for another exchange, closing the oldest one to its origin (or of all)
    /// when there are too many.
    pub fn put(&self, connection: Connection) {
        let closed = {
            let origin = &connection.origin();
            let mut idle = self.lock();
            let to_origin = idle.iter().filter(|(c, _)| c.goes_to(origin)).count();
            let oldest = if to_origin >= MAX_IDLE_PER_ORIGIN {
                idle.iter().position(|(c, _)| c.goes_to(origin))
            } else if idle.len() >= MAX_IDLE {
                Some(0)
            } else {
                None
            };
            let closed = oldest.map(|at| idle.remove(at));
            idle.push((connection, Instant::now()));
            closed
        };
        drop(closed);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(Connection, Instant)>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }
}
