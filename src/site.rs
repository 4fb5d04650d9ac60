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
    fn every_variant_body_is_a_json_string_and_has_its_own_slot() {
        let mut slots: Vec<u32> = SITE
            .files
            .iter()
            .flat_map(|f| f.variants.iter())
            .map(|v| match v.body {
                Body::Embedded { slot, .. } => slot,
                Body::Owned(_) => panic!("the embedded site's bodies are embedded"),
            })
            .collect();
        slots.sort();
        assert_eq!(slots, (0..SITE.raw_slots.len() as u32).collect::<Vec<_>>());
        for v in SITE.files.iter().flat_map(|f| f.variants.iter()) {
            assert!(SITE.raw_body(v).is_some_and(|r| r.get().starts_with('"')));
            assert_eq!(body_bytes(v).len() as u64, v.len);
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
