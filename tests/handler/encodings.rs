//! Content negotiation: which encoding is sent, `Vary`, and an ETag per encoding.

use crate::common::*;

#[test]
fn gzip_is_sent_when_accepted() {
    let r = call(&event(
        "GET",
        "/css/site.css",
        &[("accept-encoding", "gzip")],
    ));
    assert_eq!(header(&r, "content-encoding"), Some("gzip"));
    assert_eq!(r["isBase64Encoded"], true);
    assert_eq!(decoded_body(&r), site_file("/css/site.css"));
}

#[test]
fn brotli_is_preferred_when_smaller_and_equally_accepted() {
    let r = call(&event(
        "GET",
        "/css/site.css",
        &[("accept-encoding", "gzip, deflate, br")],
    ));
    assert_eq!(header(&r, "content-encoding"), Some("br"));
    assert_eq!(decoded_body(&r), site_file("/css/site.css"));
}

#[test]
fn gzip_q_zero_refuses_gzip() {
    let r = call(&event(
        "GET",
        "/css/site.css",
        &[("accept-encoding", "gzip;q=0")],
    ));
    assert_eq!(header(&r, "content-encoding"), None);
    assert_eq!(body_bytes(&r), site_file("/css/site.css"));
}

#[test]
fn no_accept_encoding_gets_identity() {
    let r = get("/css/site.css");
    assert_eq!(header(&r, "content-encoding"), None);
}

#[test]
fn identity_refused_with_nothing_else_acceptable_gets_406() {
    let r = call(&event(
        "GET",
        "/img/logo.png",
        &[("accept-encoding", "identity;q=0")],
    ));
    assert_eq!(status(&r), 406);
}

#[test]
fn vary_accept_encoding_on_resources_with_variants_even_uncompressed() {
    let r = get("/css/site.css");
    assert_eq!(header(&r, "vary"), Some("Accept-Encoding"));
}

#[test]
fn no_vary_on_files_without_variants() {
    assert_eq!(header(&get("/img/logo.png"), "vary"), None);
}

#[test]
fn etag_differs_per_encoding() {
    let id = get("/css/site.css");
    let gz = call(&event(
        "GET",
        "/css/site.css",
        &[("accept-encoding", "gzip")],
    ));
    let br = call(&event("GET", "/css/site.css", &[("accept-encoding", "br")]));
    let tags = [
        header(&id, "etag"),
        header(&gz, "etag"),
        header(&br, "etag"),
    ];
    assert!(tags
        .iter()
        .all(|t| t.is_some_and(|t| t.starts_with('"') && t.ends_with('"'))));
    assert_ne!(tags[0], tags[1]);
    assert_ne!(tags[1], tags[2]);
}
