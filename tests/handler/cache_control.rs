//! Caching: `Cache-Control` per kind of file, and `Last-Modified`.

use crate::common::*;

#[test]
fn html_is_no_cache() {
    assert_eq!(header(&get("/"), "cache-control"), Some("no-cache"));
    assert_eq!(header(&get("/about"), "cache-control"), Some("no-cache"));
}

#[test]
fn fingerprinted_asset_is_immutable_for_a_year() {
    assert_eq!(
        header(&get("/assets/app.3f9a2c1b.js"), "cache-control"),
        Some("public, max-age=31536000, immutable")
    );
}

#[test]
fn other_files_get_a_short_public_max_age() {
    assert_eq!(
        header(&get("/js/analytics.js"), "cache-control"),
        Some("public, max-age=3600")
    );
    assert_eq!(
        header(&get("/img/logo.png"), "cache-control"),
        Some("public, max-age=3600")
    );
}

#[test]
fn files_carry_last_modified_as_an_http_date() {
    let lm = header(&get("/"), "last-modified").unwrap().to_string();
    assert!(httpdate::parse_http_date(&lm).is_ok(), "{lm}");
}
