//! The embedded site: the table build.rs generated, and its lookups (a perfect hash for routes; nothing done at start-up).

use std::sync::OnceLock;

use serde_json::value::RawValue;

pub use crate::table::{Encoding, File, Redirect, Route, Settings, Spa, Variant};

include!(concat!(env!("OUT_DIR"), "/site_table.rs"));

/// One slot per variant for its body as a `&'static RawValue`, filled on first use: checking
/// the build-time JSON once lets every later response copy the bytes without escaping them.
/// A slot is 16 bytes and nothing is done at start-up.
static RAW_BODIES: [OnceLock<Option<&'static RawValue>>; VARIANT_COUNT] =
    [const { OnceLock::new() }; VARIANT_COUNT];

/// The variant's body as raw JSON (a string literal), or None if it were ever not valid JSON
/// (build.rs writes it with serde_json, so it is; the caller then falls back to decoding).
pub fn raw_body(v: &'static Variant) -> Option<&'static RawValue> {
    *RAW_BODIES
        .get(v.id as usize)?
        .get_or_init(|| serde_json::from_str::<&'static RawValue>(v.json).ok())
}

/// The variant's bytes (decoded from the stored JSON), for byte ranges.
pub fn body_bytes(v: &'static Variant) -> Vec<u8> {
    use base64::Engine;
    let Ok(s) = serde_json::from_str::<String>(v.json) else {
        return Vec::new();
    };
    if v.base64 {
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .unwrap_or_default()
    } else {
        s.into_bytes()
    }
}

/// What the decoded URL path leads to, if anything: O(1), a perfect hash made at build time.
pub fn route(path: &str) -> Option<Route> {
    ROUTE_INDEX
        .get(path)
        .and_then(|&slot| ROUTES.get(slot as usize))
        .map(|&(_, route)| route)
}

/// The file at `FILES[index]`.
pub fn file(index: u32) -> &'static File {
    &FILES[index as usize]
}

/// The nearest `404.html` at or above the folder of `path` (Cloudflare Pages' rule).
pub fn not_found_page(path: &str) -> Option<&'static File> {
    let mut dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
    loop {
        if let Ok(i) = NOT_FOUND_PAGES.binary_search_by(|(d, _)| (*d).cmp(dir)) {
            return Some(file(NOT_FOUND_PAGES[i].1));
        }
        if dir.len() <= 1 {
            return None;
        }
        // "/a/b/" -> "/a/"
        let trimmed = &dir[..dir.len() - 1];
        dir = &trimmed[..trimmed.rfind('/').map_or(0, |i| i + 1)];
        if dir.is_empty() {
            return None;
        }
    }
}

/// The top-level `index.html`, for the single-page-app fallback.
pub fn index() -> Option<&'static File> {
    INDEX.map(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_found_through_the_perfect_hash() {
        assert_eq!(ROUTE_INDEX.len(), ROUTES.len());
        for (slot, (url, _)) in ROUTES.iter().enumerate() {
            assert_eq!(ROUTE_INDEX.get(*url), Some(&(slot as u32)), "{url}");
        }
        assert!(route("/no/such/route").is_none());
    }

    #[test]
    fn not_found_pages_are_sorted_for_binary_search() {
        assert!(NOT_FOUND_PAGES.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn every_variant_body_is_a_json_string_and_has_its_own_slot() {
        let mut ids: Vec<u32> = FILES
            .iter()
            .flat_map(|f| f.variants.iter().map(|v| v.id))
            .collect();
        ids.sort();
        assert_eq!(ids, (0..VARIANT_COUNT as u32).collect::<Vec<_>>());
        for v in FILES.iter().flat_map(|f| f.variants.iter()) {
            assert!(raw_body(v).is_some_and(|r| r.get().starts_with('"')));
            assert_eq!(body_bytes(v).len() as u64, v.len);
        }
    }

    #[test]
    fn every_file_has_identity_first() {
        assert!(FILES
            .iter()
            .all(|f| f.variants[0].encoding == Encoding::Identity));
    }
}
