//! The embedded site: the index and body segments build.rs wrote from the site folder (see
//! `site_core::plan::embed`), included with `include_bytes!` and read through
//! [`Site`]. Opening it reads the header and the settings only: files and routes are read from
//! their records per request (routes through a perfect hash computed at build time), and each
//! body is checked as JSON on first use.

use std::sync::OnceLock;

use serde_json::value::RawValue;

pub use site_core::site::*;

include!(concat!(env!("OUT_DIR"), "/site_table.rs"));

/// The embedded site, opened on first use; an index this server cannot read is an error here,
/// which the binary reports at start-up.
pub fn embedded() -> Result<&'static Site, &'static FormatError> {
    static OPENED: OnceLock<Result<Site, FormatError>> = OnceLock::new();
    OPENED
        .get_or_init(|| Site::open_static(INDEX, &SEGMENTS, &RAW_SLOTS))
        .as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> &'static Site {
        embedded().expect("the embedded site opens")
    }

    #[test]
    fn the_embedded_bytes_read_back_whole() {
        site()
            .verify()
            .expect("every record, string and body reads back");
    }

    #[test]
    fn every_route_is_found_through_the_perfect_hash() {
        let site = site();
        assert!(site.routes_len() > 0);
        for (url, route) in site.routes() {
            assert_eq!(site.route(url), Some(route), "{url}");
        }
        assert!(site.route("/no/such/route").is_none());
    }

    #[test]
    fn not_found_pages_are_sorted_for_binary_search() {
        let pages: Vec<_> = site().not_found_pages().collect();
        assert!(pages.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn every_stored_body_is_a_json_string_with_a_slot_shared_only_by_identical_bodies() {
        let site = site();
        let mut by_slot = std::collections::HashMap::new();
        for v in site.files().flat_map(|f| f.variants.iter()) {
            if let Body::Stored(slot) = v.body {
                let json = site.body_json(&v).expect("stored");
                assert_eq!(*by_slot.entry(slot).or_insert(json), json);
                assert!(site.raw_body(&v).is_some_and(|r| r.get().starts_with('"')));
            }
        }
        let mut slots: Vec<u32> = by_slot.into_keys().collect();
        slots.sort();
        assert_eq!(slots, (0..RAW_SLOTS.len() as u32).collect::<Vec<_>>());
    }

    #[test]
    fn no_segment_is_over_the_segment_size() {
        for segment in SEGMENTS.iter() {
            assert!(segment.len() <= site_core::data::SEGMENT_BYTES);
        }
    }

    #[test]
    fn every_stored_body_has_the_length_the_build_recorded() {
        let site = site();
        for f in site.files() {
            for v in f.variants.iter() {
                let bytes =
                    crate::body::bytes(site, f, v).expect("the sample site keeps nothing in S3");
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
        assert_eq!(facts["health_path"], *site().options.health_path);
        assert_eq!(facts["files"], site().files_len());
    }

    #[test]
    fn every_file_has_identity_first() {
        assert!(site()
            .files()
            .all(|f| f.identity().encoding == Encoding::Identity));
    }
}
