//! Paths that try to leave the site or overflow it: 400, 414, never an off-site redirect.

use crate::common::*;

#[test]
fn dot_dot_segments_are_a_bad_request() {
    for p in [
        "/../Cargo.toml",
        "/css/../../build.rs",
        "/%2e%2e/Cargo.toml",
        "/css/%2E%2E/index.html",
    ] {
        assert_eq!(status(&get(p)), 400, "{p}");
    }
}

#[test]
fn encoded_slash_backslash_and_nul_are_a_bad_request() {
    for p in [
        "/css%2fsite.css",
        "/css\\site.css",
        "/css%5csite.css",
        "/index.html%00.png",
    ] {
        assert_eq!(status(&get(p)), 400, "{p}");
    }
}

#[test]
fn bad_request_explains_why() {
    let r = get("/%2e%2e/x");
    assert!(r["body"].as_str().unwrap().contains("'..'"));
}

#[test]
fn very_long_path_gets_414() {
    assert_eq!(status(&get(&format!("/{}", "a".repeat(10_000)))), 414);
}

#[test]
fn double_slash_path_is_not_found_and_never_redirects_off_site() {
    let r = get("//evil.example/");
    assert_eq!(status(&r), 404);
    assert!(header(&r, "location").is_none());
}
