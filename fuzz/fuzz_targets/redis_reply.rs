//! A Redis reply, read with a byte budget: never a panic, never more than the budget kept.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lucidauth::internal::{redis_reply, RedisReply};

const BUDGET: usize = 64;

fuzz_target!(|data: &[u8]| {
    if let Ok(RedisReply::Bulk(Some(bytes))) = redis_reply(data, BUDGET) {
        assert!(bytes.len() <= BUDGET);
    }
});
