//! The shared-cache entry (a file on disk, a Redis value): never a panic, and an entry that
//! reads writes back to the same entry.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    assert!(lucidauth::internal::entry_round_trips(data));
});
