//! The handler's behaviour, one test per rule, through the real embedded sample site.

mod common;

use common::*;
use serde_json::json;

// ---- ALB response format -------------------------------------------------------------------

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

// ---- health checks -------------------------------------------------------------------------

#[test]
fn alb_health_check_event_gets_200() {
    let r = call(&event(
        "GET",
        "/health",
        &[("user-agent", "ELB-HealthChecker/2.0")],
    ));
    assert_eq!(status(&r), 200);
    assert_eq!(header(&r, "cache-control"), Some("no-store"));
}

#[test]
fn health_check_in_multi_value_mode_gets_200() {
    let r = call(&event_multi(
        "GET",
        "/health",
        &[("user-agent", "ELB-HealthChecker/2.0")],
    ));
    assert_eq!(status(&r), 200);
    assert!(r.get("multiValueHeaders").is_some());
}

#[test]
fn seed_page_sample_event_gets_200() {
    let r = call_raw(include_str!("../events/health.json"));
    assert_eq!(status(&r), 200);
}

#[test]
fn health_check_with_head_gets_200_without_body() {
    let r = call(&event("HEAD", "/health", &[]));
    assert_eq!(status(&r), 200);
    assert_eq!(r["body"], "");
}

// ---- paths ---------------------------------------------------------------------------------

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

#[test]
fn unknown_path_gets_the_site_404_page_with_status_404() {
    let r = get("/no-such-page");
    assert_eq!(status(&r), 404);
    assert_eq!(body_bytes(&r), site_file("/404.html"));
    assert_eq!(header(&r, "content-type"), Some("text/html; charset=utf-8"));
}

#[test]
fn missing_asset_gets_a_plain_text_404_never_html() {
    for p in [
        "/assets/app.0badc0de.js",
        "/css/missing.css",
        "/img/none.png",
    ] {
        let r = get(p);
        assert_eq!(status(&r), 404, "{p}");
        assert_eq!(
            header(&r, "content-type"),
            Some("text/plain; charset=utf-8"),
            "{p}"
        );
        assert!(!r["body"].as_str().unwrap().contains("<html"), "{p}");
    }
}

#[test]
fn missing_html_file_gets_the_site_404_page() {
    let r = get("/old/page.html");
    assert_eq!(status(&r), 404);
    assert_eq!(body_bytes(&r), site_file("/404.html"));
}

#[test]
fn nested_unknown_path_gets_the_nearest_404_page() {
    let r = get("/blog/2020/missing");
    assert_eq!(status(&r), 404);
    assert_eq!(body_bytes(&r), site_file("/404.html"));
}

#[test]
fn dotfiles_are_not_served() {
    assert_eq!(status(&get("/.env")), 404);
    assert_eq!(status(&get("/%2eenv")), 404);
}

#[test]
fn well_known_folder_is_served() {
    let r = get("/.well-known/security.txt");
    assert_eq!(status(&r), 200);
    assert_eq!(body_bytes(&r), site_file("/.well-known/security.txt"));
}

#[test]
fn headers_file_is_never_served() {
    assert_eq!(status(&get("/_headers")), 404);
}

#[test]
fn dot_dot_segments_are_a_bad_request() {
    for p in [
        "/../Cargo.toml",
        "/css/../../build.rs",
        "/%2e%2e/Cargo.toml",
        "/css/%2E%2E/index.html",
    ] {
        assert_eq!(status(&get(p)), 400, "{p}");
    }
}

#[test]
fn encoded_slash_backslash_and_nul_are_a_bad_request() {
    for p in [
        "/css%2fsite.css",
        "/css\\site.css",
        "/css%5csite.css",
        "/index.html%00.png",
    ] {
        assert_eq!(status(&get(p)), 400, "{p}");
    }
}

#[test]
fn bad_request_explains_why() {
    let r = get("/%2e%2e/x");
    assert!(r["body"].as_str().unwrap().contains("'..'"));
}

#[test]
fn very_long_path_gets_414() {
    assert_eq!(status(&get(&format!("/{}", "a".repeat(10_000)))), 414);
}

#[test]
fn double_slash_path_is_not_found_and_never_redirects_off_site() {
    let r = get("//evil.example/");
    assert_eq!(status(&r), 404);
    assert!(header(&r, "location").is_none());
}

// ---- methods -------------------------------------------------------------------------------

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

// ---- content types and bodies --------------------------------------------------------------

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

// ---- content negotiation -------------------------------------------------------------------

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

// ---- caching and conditional requests ------------------------------------------------------

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

#[test]
fn html_is_no_cache() {
    assert_eq!(header(&get("/"), "cache-control"), Some("no-cache"));
    assert_eq!(header(&get("/about"), "cache-control"), Some("no-cache"));
}

#[test]
fn fingerprinted_asset_is_immutable_for_a_year() {
    assert_eq!(
        header(&get("/assets/app.3f9a2c1b.js"), "cache-control"),
        Some("public, max-age=31536000, immutable")
    );
}

#[test]
fn other_files_get_a_short_public_max_age() {
    assert_eq!(
        header(&get("/js/analytics.js"), "cache-control"),
        Some("public, max-age=3600")
    );
    assert_eq!(
        header(&get("/img/logo.png"), "cache-control"),
        Some("public, max-age=3600")
    );
}

#[test]
fn files_carry_last_modified_as_an_http_date() {
    let lm = header(&get("/"), "last-modified").unwrap().to_string();
    assert!(httpdate::parse_http_date(&lm).is_ok(), "{lm}");
}

// ---- ranges --------------------------------------------------------------------------------

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

// ---- _headers, cookies, security headers ---------------------------------------------------

#[test]
fn headers_file_sets_a_cookie_on_the_home_page() {
    assert_eq!(
        header(&get("/"), "set-cookie"),
        Some("visited=yes; Path=/; SameSite=Lax")
    );
}

#[test]
fn several_cookies_go_out_as_a_list_in_multi_value_mode() {
    let r = call(&event_multi("GET", "/about", &[]));
    assert_eq!(
        header_values(&r, "set-cookie"),
        vec![
            "theme=light; Path=/; SameSite=Lax".to_string(),
            "seen-about=1; Path=/; Max-Age=86400; SameSite=Lax".to_string()
        ]
    );
}

#[test]
fn single_value_mode_sends_only_the_first_cookie() {
    let r = get("/about");
    let cookies: Vec<_> = r["headers"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| k.eq_ignore_ascii_case("set-cookie"))
        .collect();
    assert_eq!(cookies.len(), 1);
    assert_eq!(
        header(&r, "set-cookie"),
        Some("theme=light; Path=/; SameSite=Lax")
    );
}

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

// ---- malformed events ----------------------------------------------------------------------

#[test]
fn event_without_http_method_gets_400() {
    let r = call_raw(r#"{"path":"/","headers":{},"body":"","isBase64Encoded":false}"#);
    assert_eq!(status(&r), 400);
}

#[test]
fn event_without_path_gets_400() {
    let r = call_raw(r#"{"httpMethod":"GET","headers":{}}"#);
    assert_eq!(status(&r), 400);
}

#[test]
fn event_with_wrong_types_gets_400() {
    for e in [
        r#"{"httpMethod":1,"path":"/"}"#,
        r#"{"httpMethod":"GET","path":"/","headers":{"accept":1}}"#,
        r#"{"httpMethod":"GET","path":"/","headers":[]}"#,
        r#"{"httpMethod":"GET","path":"/","isBase64Encoded":"yes"}"#,
        r#"{"httpMethod":"GET","path":"/","multiValueHeaders":{"a":"b"}}"#,
        r#"[]"#,
        r#""just a string""#,
    ] {
        assert_eq!(status(&call_raw(e)), 400, "{e}");
    }
}

#[test]
fn invalid_base64_body_gets_400() {
    let r = call_raw(
        r#"{"httpMethod":"GET","path":"/","headers":{},"body":"%%%not base64","isBase64Encoded":true}"#,
    );
    assert_eq!(status(&r), 400);
}

#[test]
fn malformed_multi_value_event_is_answered_in_multi_value_mode() {
    let r = call_raw(r#"{"path":"/","multiValueHeaders":{}}"#);
    assert_eq!(status(&r), 400);
    assert!(r.get("multiValueHeaders").is_some());
}

#[test]
fn null_optional_fields_are_treated_as_absent() {
    let r = call_raw(
        r#"{"httpMethod":"GET","path":"/","headers":null,"queryStringParameters":null,"body":null,"isBase64Encoded":null}"#,
    );
    assert_eq!(status(&r), 200);
}

#[test]
fn minimal_event_with_only_method_and_path_is_served() {
    assert_eq!(
        status(&call_raw(r#"{"httpMethod":"GET","path":"/robots.txt"}"#)),
        200
    );
}

// ---- _redirects ----------------------------------------------------------------------------

#[test]
fn redirect_rule_sends_its_status_and_target() {
    let r = get("/home");
    assert_eq!(status(&r), 301);
    assert_eq!(header(&r, "location"), Some("/"));
}

#[test]
fn splat_is_carried_into_the_target() {
    let r = get("/news/2024/hello");
    assert_eq!(status(&r), 302);
    assert_eq!(header(&r, "location"), Some("/blog/2024/hello"));
}

#[test]
fn placeholder_is_carried_into_the_target() {
    let r = get("/posts/first-post");
    assert_eq!(status(&r), 308);
    assert_eq!(header(&r, "location"), Some("/blog/first-post"));
}

#[test]
fn redirect_rule_keeps_the_query_string() {
    let mut e = event("GET", "/news/x", &[]);
    e["queryStringParameters"] = json!({"utm": "a%20b"});
    assert_eq!(header(&call(&e), "location"), Some("/blog/x?utm=a%20b"));
}

#[test]
fn redirect_rule_to_another_site_is_allowed_when_written_out() {
    assert_eq!(
        header(&get("/source"), "location"),
        Some("https://github.com/")
    );
}

#[test]
fn rewrite_serves_the_target_with_200_at_the_same_url() {
    let r = get("/old-home");
    assert_eq!(status(&r), 200);
    assert!(header(&r, "location").is_none());
    assert_eq!(body_bytes(&r), site_file("/index.html"));
}

#[test]
fn rule_trailing_slash_variant_also_matches() {
    assert_eq!(status(&get("/home/")), 301);
}

#[test]
fn existing_file_shadows_an_unforced_rule() {
    // "/docs" has no file, so its rule applies; "/about" is a page, and no rule touches it.
    assert_eq!(header(&get("/docs"), "location"), Some("/docs/guide/"));
    assert_eq!(status(&get("/about")), 200);
}

#[test]
fn splat_captures_are_encoded_and_cannot_leave_the_site() {
    let r = get("/news/%2F%2Fevil.example");
    assert_eq!(status(&r), 400, "an encoded slash never reaches a rule");
    let r = get("/news/a%20b%3Fc");
    assert_eq!(header(&r, "location"), Some("/blog/a%20b%3Fc"));
}

#[test]
fn redirects_file_is_never_served() {
    assert_eq!(status(&get("/_redirects")), 404);
}

// ---- CORS preflight ---------------------------------------------------------------------------

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
