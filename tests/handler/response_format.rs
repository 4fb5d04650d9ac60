//! The ALB response format: header modes, the status line, the body's encoding.

use crate::common::*;

#[test]
fn single_value_request_gets_headers_and_no_multi_value_headers() {
    let r = get("/");
    assert!(r.get("headers").is_some());
    assert!(r.get("multiValueHeaders").is_none());
}

#[test]
fn multi_value_request_gets_multi_value_headers_only() {
    let r = call(&event_multi("GET", "/", &[]));
    assert!(r.get("multiValueHeaders").is_some());
    assert!(r.get("headers").is_none());
}

#[test]
fn status_description_has_code_and_reason() {
    assert_eq!(get("/")["statusDescription"], "200 OK");
    assert_eq!(get("/nope")["statusDescription"], "404 Not Found");
}

#[test]
fn empty_body_is_an_empty_string_not_null() {
    let r = get("/docs/guide");
    assert_eq!(r["body"], "");
    assert_eq!(r["isBase64Encoded"], false);
}
