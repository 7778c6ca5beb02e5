//! The sockets of the connections a listener still has open, so that stopping it can end them:
//! the HTTP listener's and the TLS front's.

use std::collections::HashMap;
use std::io;
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crate::state::lock;

#[derive(Default)]
pub(crate) struct OpenSockets {
    next: AtomicU64,
    sockets: Mutex<HashMap<u64, TcpStream>>,
}

impl OpenSockets {
    /// Keeps a handle of `stream` until [`forget`](Self::forget) is given the id returned.
    pub(crate) fn register(&self, stream: &TcpStream) -> io::Result<u64> {
        let handle = stream.try_clone()?;
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        lock(&self.sockets).insert(id, handle);
        Ok(id)
    }

    pub(crate) fn forget(&self, id: u64) {
        lock(&self.sockets).remove(&id);
    }

    /// Shuts every socket still registered down both ways, which ends its readers and writers.
    pub(crate) fn shut_down_all(&self) {
        for socket in lock(&self.sockets).values() {
            let _ = socket.shutdown(Shutdown::Both);
        }
    }
}
