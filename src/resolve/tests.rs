use super::*;
use crate::door::parse_request;
use site_core::plan::memory::from_files;

fn event(method: &str, path: &str, headers: &[(&str, &str)]) -> String {
    let h: serde_json::Map<String, serde_json::Value> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), (*v).into()))
        .collect();
    serde_json::json!({"httpMethod": method, "path": path, "headers": h}).to_string()
}

/// The outcome, reduced to what a test compares: (status, file path served).
fn decide(site: &Site, method: &str, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let text = event(method, path, headers);
    let req = parse_request(&text).unwrap();
    match resolve(site, &req) {
        Outcome::File { file, status, .. } => (status.code(), file.path.to_string()),
        Outcome::NotModified { file, .. } => (304, file.path.to_string()),
        Outcome::Redirect { status, location } => (status.code(), location),
        Outcome::Health => (200, "health".into()),
        Outcome::NotFound | Outcome::AssetNotFound => (404, String::new()),
        Outcome::MethodNotAllowed => (405, String::new()),
        other => panic!("unexpected {other:?}"),
    }
}

fn site(files: &[(&str, &[u8])], config: &str) -> Site {
    from_files(files, config).unwrap()
}

#[test]
fn the_health_path_is_answered_only_where_no_file_is() {
    let without = site(&[("index.html", b"x")], "");
    assert_eq!(
        decide(&without, "GET", "/health", &[]),
        (200, "health".into())
    );
    let with = site(&[("index.html", b"x"), ("health", b"ours")], "");
    assert_eq!(
        decide(&with, "GET", "/health", &[]),
        (200, "/health".into())
    );
}

#[test]
fn a_file_shadows_an_unforced_rule_and_a_forced_rule_wins() {
    let files: &[(&str, &[u8])] = &[
        ("index.html", b"home"),
        ("about.html", b"about"),
        ("_redirects", b"/about /  302\n"),
    ];
    assert_eq!(
        decide(&site(files, ""), "GET", "/about", &[]),
        (200, "/about.html".into())
    );
    let forced: &[(&str, &[u8])] = &[
        ("index.html", b"home"),
        ("about.html", b"about"),
        ("_redirects", b"/about /  302!\n"),
    ];
    assert_eq!(
        decide(&site(forced, ""), "GET", "/about", &[]),
        (302, "/".into())
    );
}

#[test]
fn the_first_matching_rule_in_file_order_applies() {
    let s = site(
        &[
            ("index.html", b"home"),
            (
                "_redirects",
                b"/news/* /blog/:splat 301\n/news/a /elsewhere 302\n",
            ),
        ],
        "",
    );
    assert_eq!(decide(&s, "GET", "/news/a", &[]), (301, "/blog/a".into()));
}

#[test]
fn a_404_rewrite_serves_its_target_with_404_even_to_a_matching_etag_or_a_range() {
    let s = site(
        &[
            ("index.html", b"home"),
            ("gone.html", b"gone"),
            ("_redirects", b"/old/* /gone 404\n"),
        ],
        "",
    );
    let (status, file) = decide(&s, "GET", "/old/x", &[]);
    assert_eq!((status, file.as_str()), (404, "/gone.html"));
    let gone = s.files().find(|f| f.path == "/gone.html").unwrap();
    let etag = gone.identity().etag.to_string();
    assert_eq!(
        decide(&s, "GET", "/old/x", &[("if-none-match", &etag)]),
        (404, "/gone.html".into())
    );
    let text = event("GET", "/old/x", &[("range", "bytes=0-1")]);
    match resolve(&s, &parse_request(&text).unwrap()) {
        Outcome::File { status, range, .. } => {
            assert_eq!((status, range), (Status::NotFound, None))
        }
        other => panic!("a 404 rewrite is never a 206: {other:?}"),
    }
}

#[test]
fn a_placeholder_rewrite_to_a_missing_file_falls_through_to_404() {
    let s = site(
        &[
            ("index.html", b"home"),
            ("_redirects", b"/p/:id /posts/:id 200\n"),
        ],
        "spa = \"off\"",
    );
    assert_eq!(decide(&s, "GET", "/p/7", &[]), (404, String::new()));
}

#[test]
fn the_spa_fallback_serves_index_only_to_extensionless_paths_that_accept_html() {
    let s = site(&[("index.html", b"shell")], "spa = \"on\"");
    assert_eq!(
        decide(&s, "GET", "/app/x", &[("accept", "text/html")]),
        (200, "/index.html".into())
    );
    assert_eq!(
        decide(&s, "GET", "/app/x", &[("accept", "application/json")]).0,
        404
    );
    assert_eq!(decide(&s, "GET", "/app/x.js", &[("accept", "*/*")]).0, 404);
}

#[test]
fn a_redirect_longer_than_any_url_alb_passes_is_414() {
    let s = site(
        &[
            ("index.html", b"x"),
            ("_redirects", b"/go /index.html 302\n"),
        ],
        "",
    );
    let query = format!("q={}", "a".repeat(limits::MAX_LOCATION));
    let text = event("GET", "/go", &[]);
    let mut req = parse_request(&text).unwrap();
    req.query = query.clone();
    assert!(matches!(resolve(&s, &req), Outcome::UriTooLong));
    let text = event("GET", "/index.html", &[]);
    let mut req = parse_request(&text).unwrap();
    req.query = query;
    assert!(matches!(resolve(&s, &req), Outcome::UriTooLong));
    req.query = "q=short".into();
    assert!(matches!(resolve(&s, &req), Outcome::Redirect { .. }));
}

#[test]
fn methods_other_than_get_and_head_get_405() {
    let s = site(&[("index.html", b"x")], "");
    for m in ["POST", "PUT", "DELETE", "OPTIONS", "get"] {
        assert_eq!(decide(&s, m, "/", &[]).0, 405, "{m}");
    }
    assert_eq!(decide(&s, "HEAD", "/", &[]).0, 200);
}

#[test]
fn a_range_is_cut_from_the_identity_bytes_even_when_gzip_is_accepted() {
    let text = "x".repeat(5000);
    let s = site(&[("a.txt", text.as_bytes())], "");
    let ev = event(
        "GET",
        "/a.txt",
        &[("range", "bytes=10-19"), ("accept-encoding", "gzip")],
    );
    let req = parse_request(&ev).unwrap();
    match resolve(&s, &req) {
        Outcome::File {
            variant,
            status,
            range,
            ..
        } => {
            assert_eq!(status, Status::PartialContent);
            assert_eq!(variant.encoding, crate::site::Encoding::Identity);
            assert_eq!(range, Some((10, 19)));
        }
        other => panic!("{other:?}"),
    }
}
