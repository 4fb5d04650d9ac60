//! Methods: GET and HEAD are served, anything else is 405.

use crate::common::*;

#[test]
fn post_gets_405_with_allow_get_head() {
    for m in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "get"] {
        let r = call(&event(m, "/", &[]));
        assert_eq!(status(&r), 405, "{m}");
        assert_eq!(header(&r, "allow"), Some("GET, HEAD"));
    }
}

#[test]
fn head_request_has_headers_but_no_body() {
    let get_r = call(&event(
        "GET",
        "/css/site.css",
        &[("accept-encoding", "gzip")],
    ));
    let head_r = call(&event(
        "HEAD",
        "/css/site.css",
        &[("accept-encoding", "gzip")],
    ));
    assert_eq!(status(&head_r), 200);
    assert_eq!(head_r["body"], "");
    assert_eq!(head_r["headers"], get_r["headers"]);
}
