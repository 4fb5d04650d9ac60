//! Identifiers that look like the ones AWS hands out (request ids, X-Ray trace ids).
//!
//! They only need to be unique and well-formed, not unpredictable, so std's
//! randomly seeded SipHash is enough and saves a dependency on `rand`.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;

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

pub fn epoch_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// The time as API Gateway writes it in `requestContext.time` / `requestTime`, in UTC, which
/// is the format of a common log file: `30/Nov/2026:19:00:00 +0000`.
pub fn log_time(epoch_millis: u64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = epoch_millis / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Days to a civil date (Howard Hinnant's algorithm), std having no calendar.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{day:02}/{}/{year}:{:02}:{:02}:{:02} +0000",
        MONTHS[(month - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// An id shaped like an API Gateway HTTP API's `requestContext.requestId` (`JKJaXmPLvHcESHA=`).
pub fn gateway_request_id() -> String {
    let mut bytes = [0u8; 11];
    bytes[..8].copy_from_slice(&random_u64().to_le_bytes());
    bytes[8..].copy_from_slice(&random_u64().to_le_bytes()[..3]);
    base64::engine::general_purpose::STANDARD.encode(bytes)
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
    fn log_time_is_api_gateways_utc_format() {
        assert_eq!(log_time(0), "01/Jan/1970:00:00:00 +0000");
        // The timeEpoch of AWS's documented payload 2.0 event.
        assert_eq!(log_time(1_583_348_638_390), "04/Mar/2020:19:03:58 +0000");
        assert_eq!(log_time(1_795_978_800_000), "29/Nov/2026:19:00:00 +0000");
        assert_eq!(log_time(951_782_400_000), "29/Feb/2000:00:00:00 +0000");
    }

    #[test]
    fn gateway_request_ids_are_sixteen_base64_characters() {
        let id = gateway_request_id();
        assert_eq!(id.len(), 16);
        assert!(id.ends_with('='));
        assert_ne!(id, gateway_request_id());
    }

    #[test]
    fn request_ids_are_uuid_shaped_and_distinct() {
        let (a, b) = (request_id(), request_id());
        assert_ne!(a, b);
        let lens: Vec<usize> = a.split('-').map(str::len).collect();
        assert_eq!(lens, [8, 4, 4, 4, 12]);
    }
}
