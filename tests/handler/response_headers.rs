//! Headers from `_headers` rules and the default security headers.

use crate::common::*;

#[test]
fn headers_rule_applies_to_matching_paths_only() {
    assert_eq!(
        header(
            &get("/assets/app.3f9a2c1b.js"),
            "access-control-allow-origin"
        ),
        Some("*")
    );
    assert_eq!(
        header(&get("/css/site.css"), "access-control-allow-origin"),
        None
    );
    assert_eq!(
        header(&get("/blog/first-post"), "x-robots-tag"),
        Some("noindex")
    );
}

#[test]
fn security_headers_are_sent_by_default() {
    for r in [get("/"), get("/img/logo.png"), get("/nope"), get("/blog")] {
        assert_eq!(header(&r, "x-content-type-options"), Some("nosniff"));
        assert_eq!(
            header(&r, "referrer-policy"),
            Some("strict-origin-when-cross-origin")
        );
    }
    assert_eq!(header(&get("/"), "x-frame-options"), Some("SAMEORIGIN"));
}

#[test]
fn headers_file_can_detach_a_default_header() {
    let r = get("/.well-known/security.txt");
    assert_eq!(header(&r, "x-frame-options"), None);
    assert_eq!(header(&r, "x-content-type-options"), Some("nosniff"));
}

#[test]
fn hsts_is_off_by_default_even_over_https() {
    let r = call(&event("GET", "/", &[("x-forwarded-proto", "https")]));
    assert_eq!(header(&r, "strict-transport-security"), None);
}
