//! The embedded site: the `static SITE` that build.rs generated from the site folder (see
//! `site_core::plan::codegen`). Nothing is done at start-up: every field borrows `'static` data,
//! routes are found through a perfect hash, and bodies are the package's own bytes.

use std::borrow::Cow;

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
