//! From URL to file: index pages, clean URLs, and the redirects to the canonical URL.

use crate::common::*;
use serde_json::json;

#[test]
fn root_serves_index_html() {
    let r = get("/");
    assert_eq!(status(&r), 200);
    assert_eq!(body_bytes(&r), site_file("/index.html"));
}

#[test]
fn folder_with_slash_serves_its_index() {
    let r = get("/blog/");
    assert_eq!(status(&r), 200);
    assert_eq!(body_bytes(&r), site_file("/blog/index.html"));
    assert_eq!(
        body_bytes(&get("/docs/guide/")),
        site_file("/docs/guide/index.html")
    );
}

#[test]
fn folder_without_slash_redirects_to_slash_keeping_the_query() {
    let mut e = event("GET", "/docs/guide", &[]);
    e["queryStringParameters"] = json!({"lang": "en", "q": "a%20b+c"});
    let r = call(&e);
    assert_eq!(status(&r), 308);
    assert_eq!(
        header(&r, "location"),
        Some("/docs/guide/?lang=en&q=a%20b+c")
    );
}

#[test]
fn multi_value_query_is_kept_in_redirects() {
    let mut e = event_multi("GET", "/blog", &[]);
    e["multiValueQueryStringParameters"] = json!({"tag": ["a", "b"]});
    let r = call(&e);
    assert_eq!(header(&r, "location"), Some("/blog/?tag=a&tag=b"));
}

#[test]
fn clean_url_serves_the_html_file() {
    let r = get("/about");
    assert_eq!(status(&r), 200);
    assert_eq!(body_bytes(&r), site_file("/about.html"));
}

#[test]
fn html_extension_redirects_to_the_clean_url() {
    let r = get("/about.html");
    assert_eq!(status(&r), 308);
    assert_eq!(header(&r, "location"), Some("/about"));
}

#[test]
fn index_html_redirects_to_its_folder() {
    assert_eq!(header(&get("/index.html"), "location"), Some("/"));
    assert_eq!(header(&get("/blog/index.html"), "location"), Some("/blog/"));
}

#[test]
fn percent_encoded_path_is_decoded_once() {
    let r = get("/docs/release%20notes.txt");
    assert_eq!(status(&r), 200);
    assert_eq!(body_bytes(&r), site_file("/docs/release notes.txt"));
    assert_eq!(status(&get("/docs/release%2520notes.txt")), 404);
}
