//! Paths with no file: the site's 404 page for pages, plain text for assets.

use crate::common::*;

#[test]
fn unknown_path_gets_the_site_404_page_with_status_404() {
    let r = get("/no-such-page");
    assert_eq!(status(&r), 404);
    assert_eq!(body_bytes(&r), site_file("/404.html"));
    assert_eq!(header(&r, "content-type"), Some("text/html; charset=utf-8"));
}

#[test]
fn missing_asset_gets_a_plain_text_404_never_html() {
    for p in [
        "/assets/app.0badc0de.js",
        "/css/missing.css",
        "/img/none.png",
    ] {
        let r = get(p);
        assert_eq!(status(&r), 404, "{p}");
        assert_eq!(
            header(&r, "content-type"),
            Some("text/plain; charset=utf-8"),
            "{p}"
        );
        assert!(!r["body"].as_str().unwrap().contains("<html"), "{p}");
    }
}

#[test]
fn missing_html_file_gets_the_site_404_page() {
    let r = get("/old/page.html");
    assert_eq!(status(&r), 404);
    assert_eq!(body_bytes(&r), site_file("/404.html"));
}

#[test]
fn nested_unknown_path_gets_the_nearest_404_page() {
    let r = get("/blog/2020/missing");
    assert_eq!(status(&r), 404);
    assert_eq!(body_bytes(&r), site_file("/404.html"));
}
