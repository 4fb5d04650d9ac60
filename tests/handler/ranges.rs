//! Range requests: 206, 416, and when the whole file is sent instead.

use crate::common::*;

#[test]
fn single_range_gets_206_with_content_range() {
    let png = site_file("/img/logo.png");
    let r = call(&event("GET", "/img/logo.png", &[("range", "bytes=10-109")]));
    assert_eq!(status(&r), 206);
    assert_eq!(
        header(&r, "content-range"),
        Some(format!("bytes 10-109/{}", png.len()).as_str())
    );
    assert_eq!(body_bytes(&r), &png[10..110]);
}

#[test]
fn suffix_and_open_ranges_are_served() {
    let css = site_file("/css/site.css");
    let r = call(&event("GET", "/css/site.css", &[("range", "bytes=-20")]));
    assert_eq!(body_bytes(&r), &css[css.len() - 20..]);
    let r = call(&event("GET", "/css/site.css", &[("range", "bytes=7-")]));
    assert_eq!(body_bytes(&r), &css[7..]);
}

#[test]
fn unsatisfiable_range_gets_416_with_length() {
    let png = site_file("/img/logo.png");
    let r = call(&event(
        "GET",
        "/img/logo.png",
        &[("range", "bytes=999999-")],
    ));
    assert_eq!(status(&r), 416);
    assert_eq!(
        header(&r, "content-range"),
        Some(format!("bytes */{}", png.len()).as_str())
    );
}

#[test]
fn multi_range_gets_the_whole_file() {
    let r = call(&event(
        "GET",
        "/img/logo.png",
        &[("range", "bytes=0-1,5-6")],
    ));
    assert_eq!(status(&r), 200);
}

#[test]
fn if_range_with_old_etag_gets_the_whole_file() {
    let r = call(&event(
        "GET",
        "/img/logo.png",
        &[("range", "bytes=0-9"), ("if-range", "\"old\"")],
    ));
    assert_eq!(status(&r), 200);
    let etag = header(&get("/img/logo.png"), "etag").unwrap().to_string();
    let r = call(&event(
        "GET",
        "/img/logo.png",
        &[("range", "bytes=0-9"), ("if-range", &etag)],
    ));
    assert_eq!(status(&r), 206);
}

#[test]
fn files_advertise_accept_ranges() {
    assert_eq!(
        header(&get("/img/logo.png"), "accept-ranges"),
        Some("bytes")
    );
}
