//! Identifiers that look like the ones AWS hands out (request ids, X-Ray trace ids).
//!
//! They only need to be unique and well-formed, not unpredictable, so std's
//! randomly seeded SipHash is enough and saves a dependency on `rand`.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.finish()
}

pub fn epoch_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A UUID v4 in its usual text form, as Lambda uses for request ids.
pub fn request_id() -> String {
    let (a, b) = (random_u64(), random_u64());
    let b = (b & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

/// The `Root=1-<8 hex epoch seconds>-<24 hex>` id that ALB puts in `X-Amzn-Trace-Id`.
pub fn trace_root() -> String {
    let secs = epoch_millis() / 1000;
    format!(
        "Root=1-{:08x}-{:08x}{:016x}",
        secs as u32,
        random_u64() as u32,
        random_u64()
    )
}

/// The 16-hex segment id Lambda appends as `Parent=` in `Lambda-Runtime-Trace-Id`.
pub fn segment_id() -> String {
    format!("{:016x}", random_u64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_root_has_albs_shape() {
        let t = trace_root();
        let parts: Vec<&str> = t.trim_start_matches("Root=").split('-').collect();
        assert_eq!(parts[0], "1");
        assert_eq!(parts[1].len(), 8);
        assert_eq!(parts[2].len(), 24);
        assert!(parts[2].chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn request_ids_are_uuid_shaped_and_distinct() {
        let (a, b) = (request_id(), request_id());
        assert_ne!(a, b);
        let lens: Vec<usize> = a.split('-').map(str::len).collect();
        assert_eq!(lens, [8, 4, 4, 4, 12]);
    }
}
