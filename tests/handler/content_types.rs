//! Content types and bodies: charsets, and text as a string or base64.

use crate::common::*;

#[test]
fn text_types_carry_utf8_charset() {
    assert_eq!(
        header(&get("/"), "content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(
        header(&get("/css/site.css"), "content-type"),
        Some("text/css; charset=utf-8")
    );
    assert_eq!(
        header(&get("/assets/app.3f9a2c1b.js"), "content-type"),
        Some("text/javascript; charset=utf-8")
    );
}

#[test]
fn binary_types_have_no_charset() {
    assert_eq!(
        header(&get("/img/logo.png"), "content-type"),
        Some("image/png")
    );
    assert_eq!(
        header(
            &get("/assets/fonts/dejavu-sans-subset.woff2"),
            "content-type"
        ),
        Some("font/woff2")
    );
}

#[test]
fn utf8_text_in_identity_goes_as_a_plain_string() {
    let r = get("/");
    assert_eq!(r["isBase64Encoded"], false);
    assert!(r["body"].as_str().unwrap().contains("日本語"));
}

#[test]
fn binary_file_goes_as_base64_and_decodes_to_the_file() {
    let r = get("/img/logo.png");
    assert_eq!(r["isBase64Encoded"], true);
    assert_eq!(body_bytes(&r), site_file("/img/logo.png"));
}

#[test]
fn non_utf8_text_goes_as_base64_and_is_not_labelled_utf8() {
    let r = get("/legacy-latin1.txt");
    assert_eq!(r["isBase64Encoded"], true);
    assert_eq!(header(&r, "content-type"), Some("text/plain"));
    assert_eq!(body_bytes(&r), site_file("/legacy-latin1.txt"));
}
