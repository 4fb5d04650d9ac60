//! CORS preflight: 204 with the CORS headers where `_headers` allows cross-origin; 405 elsewhere,
//! and for an OPTIONS request that is no preflight.

use crate::common::*;

fn preflight(path: &str, headers: &[(&str, &str)]) -> serde_json::Value {
    call(&event("OPTIONS", path, headers))
}

#[test]
fn a_cors_preflight_to_a_path_that_allows_cross_origin_gets_204_with_its_cors_headers() {
    let r = preflight(
        "/assets/app.3f9a2c1b.js",
        &[
            ("origin", "https://other.example"),
            ("access-control-request-method", "GET"),
        ],
    );
    assert_eq!(status(&r), 204);
    assert_eq!(header(&r, "access-control-allow-origin"), Some("*"));
    assert_eq!(
        header(&r, "access-control-allow-methods"),
        Some("GET, HEAD")
    );
    assert_eq!(header(&r, "access-control-max-age"), Some("86400"));
    assert_eq!(body_bytes(&r), b"");
}

#[test]
fn a_cors_preflight_elsewhere_is_405_with_allow() {
    let r = preflight(
        "/about",
        &[
            ("origin", "https://other.example"),
            ("access-control-request-method", "GET"),
        ],
    );
    assert_eq!(status(&r), 405);
    assert_eq!(header(&r, "allow"), Some("GET, HEAD"));
}

#[test]
fn an_options_request_that_is_no_preflight_stays_405() {
    let r = preflight(
        "/assets/app.3f9a2c1b.js",
        &[("origin", "https://other.example")],
    );
    assert_eq!(status(&r), 405);
}
