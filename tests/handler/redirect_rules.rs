//! `_redirects` rules: redirects with splats and placeholders, rewrites, and what shadows a rule.

use crate::common::*;
use serde_json::json;

#[test]
fn redirect_rule_sends_its_status_and_target() {
    let r = get("/home");
    assert_eq!(status(&r), 301);
    assert_eq!(header(&r, "location"), Some("/"));
}

#[test]
fn splat_is_carried_into_the_target() {
    let r = get("/news/2024/hello");
    assert_eq!(status(&r), 302);
    assert_eq!(header(&r, "location"), Some("/blog/2024/hello"));
}

#[test]
fn placeholder_is_carried_into_the_target() {
    let r = get("/posts/first-post");
    assert_eq!(status(&r), 308);
    assert_eq!(header(&r, "location"), Some("/blog/first-post"));
}

#[test]
fn redirect_rule_keeps_the_query_string() {
    let mut e = event("GET", "/news/x", &[]);
    e["queryStringParameters"] = json!({"utm": "a%20b"});
    assert_eq!(header(&call(&e), "location"), Some("/blog/x?utm=a%20b"));
}

#[test]
fn redirect_rule_to_another_site_is_allowed_when_written_out() {
    assert_eq!(
        header(&get("/source"), "location"),
        Some("https://github.com/")
    );
}

#[test]
fn rewrite_serves_the_target_with_200_at_the_same_url() {
    let r = get("/old-home");
    assert_eq!(status(&r), 200);
    assert!(header(&r, "location").is_none());
    assert_eq!(body_bytes(&r), site_file("/index.html"));
}

#[test]
fn rule_trailing_slash_variant_also_matches() {
    assert_eq!(status(&get("/home/")), 301);
}

#[test]
fn existing_file_shadows_an_unforced_rule() {
    // "/docs" has no file, so its rule applies; "/about" is a page, and no rule touches it.
    assert_eq!(header(&get("/docs"), "location"), Some("/docs/guide/"));
    assert_eq!(status(&get("/about")), 200);
}

#[test]
fn splat_captures_are_encoded_and_cannot_leave_the_site() {
    let r = get("/news/%2F%2Fevil.example");
    assert_eq!(status(&r), 400, "an encoded slash never reaches a rule");
    let r = get("/news/a%20b%3Fc");
    assert_eq!(header(&r, "location"), Some("/blog/a%20b%3Fc"));
}
