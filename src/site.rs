//! The embedded site: the `static SITE` that build.rs generated from the site folder (see
//! `site_core::plan::codegen`). Nothing is done at start-up: every field borrows `'static` data,
//! routes are found through a perfect hash, and bodies are checked as JSON on first use.

use std::borrow::Cow;
use std::sync::OnceLock;

use serde_json::value::RawValue;

pub use site_core::site::*;

include!(concat!(env!("OUT_DIR"), "/site_table.rs"));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_found_through_the_perfect_hash() {
        let Routes::Embedded { index, table } = &SITE.routes else {
            panic!("the embedded site has embedded routes");
        };
        assert_eq!(index.len(), table.len());
        for (slot, (url, route)) in table.iter().enumerate() {
            assert_eq!(index.get(*url), Some(&(slot as u32)), "{url}");
            assert_eq!(SITE.route(url), Some(route), "{url}");
        }
        assert!(SITE.route("/no/such/route").is_none());
    }

    #[test]
    fn not_found_pages_are_sorted_for_binary_search() {
        assert!(SITE.not_found_pages.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn every_embedded_body_is_a_json_string_with_a_slot_shared_only_by_identical_bodies() {
        let mut by_slot = std::collections::HashMap::new();
        for v in SITE.files.iter().flat_map(|f| f.variants.iter()) {
            if let Body::Embedded { json, slot } = v.body {
                assert_eq!(*by_slot.entry(slot).or_insert(json), json);
                assert!(SITE.raw_body(v).is_some_and(|r| r.get().starts_with('"')));
            }
        }
        let mut slots: Vec<u32> = by_slot.into_keys().collect();
        slots.sort();
        assert_eq!(slots, (0..SITE.raw_slots.len() as u32).collect::<Vec<_>>());
    }

    #[test]
    fn every_stored_body_has_the_length_the_build_recorded() {
        for f in SITE.files.iter() {
            for v in f.variants.iter() {
                let bytes = crate::body::bytes(f, v).expect("the sample site keeps nothing in S3");
                assert_eq!(bytes.len() as u64, v.len, "{} {:?}", f.path, v.encoding);
            }
        }
    }

    #[test]
    fn the_deploy_info_names_the_health_path_the_server_answers() {
        let text = std::str::from_utf8(&DEPLOY_INFO).expect("ASCII");
        let json = text
            .trim()
            .strip_prefix(DEPLOY_INFO_MARKER.trim())
            .expect("marker first");
        let facts: serde_json::Value = serde_json::from_str(json).expect("one JSON object");
        assert_eq!(facts["health_path"], *SITE.options.health_path);
        assert_eq!(facts["files"], SITE.files.len());
    }

    #[test]
    fn every_file_has_identity_first() {
        assert!(SITE
            .files
            .iter()
            .all(|f| f.identity().encoding == Encoding::Identity));
    }
}
