//! Conditional requests: 304 on a current validator, 412 on `If-Match` that fails.

use crate::common::*;

#[test]
fn if_none_match_with_current_etag_gives_304_with_validators_and_no_body() {
    let first = call(&event(
        "GET",
        "/css/site.css",
        &[("accept-encoding", "gzip")],
    ));
    let etag = header(&first, "etag").unwrap();
    let r = call(&event(
        "GET",
        "/css/site.css",
        &[("accept-encoding", "gzip"), ("if-none-match", etag)],
    ));
    assert_eq!(status(&r), 304);
    assert_eq!(r["body"], "");
    assert_eq!(header(&r, "etag"), Some(etag));
    assert_eq!(header(&r, "cache-control"), header(&first, "cache-control"));
    assert_eq!(header(&r, "vary"), Some("Accept-Encoding"));
}

#[test]
fn if_none_match_compares_weakly_and_reads_lists() {
    let etag = header(&get("/robots.txt"), "etag").unwrap().to_string();
    let weak = format!("W/{etag}");
    let list = format!("\"nope\", {etag}");
    for inm in [weak.as_str(), list.as_str(), "*"] {
        let r = call(&event("GET", "/robots.txt", &[("if-none-match", inm)]));
        assert_eq!(status(&r), 304, "{inm}");
    }
}

#[test]
fn stale_etag_gets_the_full_response() {
    let r = call(&event(
        "GET",
        "/robots.txt",
        &[("if-none-match", "\"stale\"")],
    ));
    assert_eq!(status(&r), 200);
}

#[test]
fn if_modified_since_at_last_modified_gives_304() {
    let lm = header(&get("/robots.txt"), "last-modified")
        .unwrap()
        .to_string();
    let r = call(&event("GET", "/robots.txt", &[("if-modified-since", &lm)]));
    assert_eq!(status(&r), 304);
}

#[test]
fn if_modified_since_is_ignored_when_if_none_match_is_present() {
    let lm = header(&get("/robots.txt"), "last-modified")
        .unwrap()
        .to_string();
    let r = call(&event(
        "GET",
        "/robots.txt",
        &[("if-modified-since", &lm), ("if-none-match", "\"stale\"")],
    ));
    assert_eq!(status(&r), 200);
}

#[test]
fn if_match_mismatch_gives_412() {
    let r = call(&event("GET", "/robots.txt", &[("if-match", "\"other\"")]));
    assert_eq!(status(&r), 412);
}
