//! Behaviour that depends on a site's files or settings: the fixture sites in `tests/sites/`
//! (and a generated large one), planned in memory by the same planner `build.rs` runs and
//! answered by the same handler, with no binary built per fixture. What needs a real build
//! (build failures, reproducible builds) stays in `tests/sites/test_sites.py`.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{body_bytes, check_response, decoded_body, header, status, AlbEvent};
use serde_json::Value;
use site_core::limits::{ALB_RESPONSE_LIMIT, MAX_RANGE};
use site_core::plan::memory;
use site_core::site::Site;

const HTML: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
/// Compressible: identity does not fit one response, gzip and br do.
const BIG_JS: usize = 1_500_000;
/// Incompressible: its base64 is 1.6 MB, nothing fits.
const BIG_BIN: usize = 1_200_000;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sites")
}

/// A scratch folder of this test process, for encode caches and generated sites.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sites-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Fixture `name`'s site with the settings file `settings` (none: the defaults).
fn fixture(name: &str, settings: Option<&str>) -> Site {
    let toml = settings
        .map(|f| std::fs::read_to_string(fixtures().join(name).join(f)).unwrap())
        .unwrap_or_default();
    let cache = scratch(&format!("cache-{name}-{}", settings.unwrap_or("default")));
    memory::load_with(&fixtures().join(name).join("site"), &toml, &cache)
        .unwrap_or_else(|e| panic!("fixture {name} ({settings:?}) does not plan: {e}"))
}

fn fixture_file(name: &str, rel: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(name).join("site").join(rel)).unwrap()
}

/// The site's answer, as sent, checked to be a response ALB accepts.
fn ask(site: &Site, method: &str, path: &str, headers: &[(&str, &str)]) -> Value {
    ask_query(site, method, path, headers, &[])
}

fn ask_query(
    site: &Site,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    query: &[(&str, &str)],
) -> Value {
    let mut event = AlbEvent::new(method, path).headers(headers);
    event.query = query
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let response = site_server::handler::handle_site(site, &event.to_string());
    let text = serde_json::to_string(&response).unwrap();
    check_response(&text).unwrap_or_else(|e| panic!("{method} {path}: {e}\n{text}"))
}

fn wire_size(r: &Value) -> u64 {
    serde_json::to_string(r).unwrap().len() as u64
}

// 1. SPA fallback -----------------------------------------------------------------------------

fn spa() -> &'static Site {
    static SITE: OnceLock<Site> = OnceLock::new();
    SITE.get_or_init(|| fixture("spa", Some("site.toml")))
}

#[test]
fn spa_serves_index_html_for_an_unknown_page_that_accepts_html() {
    let index = ask(spa(), "GET", "/", &[("accept", HTML)]);
    for method in ["GET", "HEAD"] {
        let r = ask(spa(), method, "/app/settings", &[("accept", HTML)]);
        assert_eq!(status(&r), 200, "{method}");
        assert_eq!(header(&r, "content-type"), Some("text/html; charset=utf-8"));
        assert_eq!(header(&r, "cache-control"), Some("no-cache"));
        assert_eq!(header(&r, "etag"), header(&index, "etag"));
        if method == "GET" {
            assert_eq!(body_bytes(&r), fixture_file("spa", "index.html"));
        } else {
            assert_eq!(r["body"], "");
        }
    }
}

#[test]
fn spa_missing_asset_is_404_not_the_index_page() {
    let r = ask(spa(), "GET", "/app.3f9a2c1b.js", &[("accept", "*/*")]);
    assert_eq!(status(&r), 404);
    assert!(!String::from_utf8_lossy(&body_bytes(&r)).contains("SPA shell"));
    assert_eq!(header(&r, "etag"), None);
}

#[test]
fn spa_does_not_fall_back_for_a_client_that_wants_json() {
    let r = ask(
        spa(),
        "GET",
        "/api/users",
        &[("accept", "application/json")],
    );
    assert_eq!(status(&r), 404);
    assert!(!String::from_utf8_lossy(&body_bytes(&r)).contains("SPA shell"));
}

#[test]
fn spa_off_answers_unknown_pages_with_404() {
    let site = fixture("spa", Some("off.toml"));
    let r = ask(&site, "GET", "/app/settings", &[("accept", HTML)]);
    assert_eq!(status(&r), 404);
    assert!(!String::from_utf8_lossy(&body_bytes(&r)).contains("SPA shell"));
    assert_eq!(status(&ask(&site, "GET", "/", &[("accept", HTML)])), 200);
}

// 2. Nearest 404.html -------------------------------------------------------------------------

#[test]
fn missing_page_gets_the_nearest_404_html() {
    let site = fixture("notfound", None);
    let r = ask(&site, "GET", "/docs/x/missing", &[("accept", HTML)]);
    assert_eq!(status(&r), 404);
    assert_eq!(body_bytes(&r), fixture_file("notfound", "docs/404.html"));
    let r = ask(&site, "GET", "/blog/x/missing", &[("accept", HTML)]);
    assert_eq!(status(&r), 404);
    assert_eq!(body_bytes(&r), fixture_file("notfound", "404.html"));
    let r = ask(&site, "GET", "/missing", &[("accept", HTML)]);
    assert_eq!(body_bytes(&r), fixture_file("notfound", "404.html"));
}

// 3. The 1 MB line ----------------------------------------------------------------------------

/// `size` bytes of JavaScript-like text that compresses to about a quarter.
fn compressible_js(size: usize) -> Vec<u8> {
    const WORDS: [&str; 16] = [
        "render",
        "state",
        "props",
        "element",
        "update",
        "value",
        "index",
        "handler",
        "component",
        "effect",
        "memo",
        "context",
        "dispatch",
        "reducer",
        "node",
        "child",
    ];
    let mut rng = Rng(1);
    let mut out = String::with_capacity(size + 200);
    let mut n = 0;
    while out.len() < size {
        let (a, b, c) = (rng.pick(&WORDS), rng.pick(&WORDS), rng.pick(&WORDS));
        out.push_str(&format!(
            "function {a}{n}({b}, {c}) {{ const {a}_{n} = {b}.{c} + {}; if ({a}_{n} > {}) {{ return {c}({a}_{n}, \"{b}-{n}\"); }} return {b}; }}\n",
            rng.next() % 100_000,
            rng.next() % 1000
        ));
        n += 1;
    }
    out.truncate(size);
    out.into_bytes()
}

/// xorshift64: reproducible bytes without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[(self.next() % words.len() as u64) as usize]
    }
}

fn random_bytes(size: usize) -> Vec<u8> {
    let mut rng = Rng(2);
    (0..size).map(|_| rng.next() as u8).collect()
}

/// The large fixture with a compressible `big.js` and an incompressible `blob.bin`.
fn large_site_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = scratch("large-site");
        std::fs::write(dir.join("index.html"), fixture_file("large", "index.html")).unwrap();
        std::fs::write(dir.join("big.js"), compressible_js(BIG_JS)).unwrap();
        std::fs::write(dir.join("blob.bin"), random_bytes(BIG_BIN)).unwrap();
        dir
    })
}

fn large(settings: &str) -> (Site, Vec<String>) {
    let toml = std::fs::read_to_string(fixtures().join("large").join(settings)).unwrap();
    let config = site_core::plan::Config::parse(&toml).unwrap();
    let input = site_core::plan::Input {
        site_dir: large_site_dir().to_path_buf(),
        config: PathBuf::new(),
        cache_dir: scratch("cache-large"),
        epoch: None,
    };
    let plan = site_core::plan::plan_with(&input, config).unwrap();
    let warnings = plan.warnings.clone();
    (memory::into_site(&plan).unwrap(), warnings)
}

/// The large site with `too_large = "skip"`: big.js kept, blob.bin left out.
fn large_skip() -> &'static (Site, Vec<String>) {
    static SITE: OnceLock<(Site, Vec<String>)> = OnceLock::new();
    SITE.get_or_init(|| large("skip.toml"))
}

#[test]
fn big_compressible_file_is_kept_and_served_gzip_within_the_limit() {
    let (site, _) = large_skip();
    let r = ask(site, "GET", "/big.js", &[("accept-encoding", "gzip")]);
    assert_eq!(status(&r), 200);
    assert_eq!(header(&r, "content-encoding"), Some("gzip"));
    assert_eq!(r["isBase64Encoded"], true);
    assert!(wire_size(&r) < ALB_RESPONSE_LIMIT);
    assert_eq!(decoded_body(&r), compressible_js(BIG_JS));
}

#[test]
fn big_compressible_file_is_served_brotli_to_a_browser() {
    let (site, _) = large_skip();
    let r = ask(
        site,
        "GET",
        "/big.js",
        &[("accept-encoding", "gzip, deflate, br, zstd")],
    );
    assert_eq!(status(&r), 200);
    assert_eq!(header(&r, "content-encoding"), Some("br"));
    assert!(wire_size(&r) < ALB_RESPONSE_LIMIT);
}

#[test]
fn big_file_without_a_usable_encoding_is_406_explaining_why() {
    let (site, _) = large_skip();
    for headers in [&[][..], &[("accept-encoding", "identity")][..]] {
        let r = ask(site, "GET", "/big.js", headers);
        assert_eq!(status(&r), 406, "{headers:?}");
        let text = r["body"].as_str().unwrap();
        assert!(
            text.contains("too large") && text.contains("Range"),
            "{text}"
        );
        assert!(text.contains("gzip") && text.contains("br"), "{text}");
        assert_eq!(header(&r, "accept-ranges"), Some("bytes"));
    }
}

#[test]
fn big_file_open_range_is_206_capped_with_a_correct_content_range() {
    let (site, _) = large_skip();
    let data = compressible_js(BIG_JS);
    let r = ask(site, "GET", "/big.js", &[("range", "bytes=0-")]);
    assert_eq!(status(&r), 206);
    let want = format!("bytes 0-{}/{}", MAX_RANGE - 1, data.len());
    assert_eq!(header(&r, "content-range"), Some(want.as_str()));
    assert_eq!(body_bytes(&r), &data[..MAX_RANGE as usize]);
    assert_eq!(header(&r, "content-encoding"), None);
}

#[test]
fn big_file_consecutive_ranges_reassemble_byte_exact() {
    // What a video player or download manager does: ask from where the last part ended.
    let (site, _) = large_skip();
    let data = compressible_js(BIG_JS);
    let (mut got, mut start, mut requests) = (Vec::new(), 0usize, 0);
    while start < data.len() {
        let range = format!("bytes={start}-");
        let r = ask(
            site,
            "GET",
            "/big.js",
            &[("range", range.as_str()), ("accept-encoding", "gzip")],
        );
        assert_eq!(status(&r), 206);
        let cr = header(&r, "content-range").unwrap();
        let (span, total) = cr.strip_prefix("bytes ").unwrap().split_once('/').unwrap();
        let (first, last) = span.split_once('-').unwrap();
        let (first, last): (usize, usize) = (first.parse().unwrap(), last.parse().unwrap());
        assert_eq!(
            (first, total.parse::<usize>().unwrap()),
            (start, data.len())
        );
        let part = body_bytes(&r);
        assert_eq!(part.len(), last - first + 1);
        assert!(part.len() as u64 <= MAX_RANGE);
        got.extend_from_slice(&part);
        start = last + 1;
        requests += 1;
    }
    assert_eq!(got, data);
    assert_eq!(requests, data.len().div_ceil(MAX_RANGE as usize));
    let past = format!("bytes={}-", data.len());
    let r = ask(site, "GET", "/big.js", &[("range", past.as_str())]);
    assert_eq!(status(&r), 416);
    let want = format!("bytes */{}", data.len());
    assert_eq!(header(&r, "content-range"), Some(want.as_str()));
}

#[test]
fn big_file_suffix_range_gets_the_last_bytes() {
    let (site, _) = large_skip();
    let data = compressible_js(BIG_JS);
    let r = ask(site, "GET", "/big.js", &[("range", "bytes=-1000")]);
    assert_eq!(status(&r), 206);
    assert_eq!(body_bytes(&r), &data[data.len() - 1000..]);
}

#[test]
fn incompressible_big_file_is_left_out_with_a_warning_when_skip() {
    let (site, warnings) = large_skip();
    let warning = warnings.join("\n");
    assert!(warning.contains("left out, too large"), "{warning}");
    assert!(
        warning.contains(&format!("/blob.bin (identity {BIG_BIN} bytes)")),
        "{warning}"
    );
    assert_eq!(status(&ask(site, "GET", "/blob.bin", &[])), 404);
    assert_eq!(status(&ask(site, "GET", "/", &[])), 200);
}

#[test]
fn incompressible_big_file_redirects_to_the_external_prefix() {
    let (site, warnings) = large("redirect.toml");
    assert!(
        warnings
            .join("\n")
            .contains("redirected to https://assets.example.com"),
        "{warnings:?}"
    );
    // Answered with the settings' redirect_status (302 in redirect.toml).
    let r = ask(&site, "GET", "/blob.bin", &[]);
    assert_eq!(status(&r), 302);
    assert_eq!(
        header(&r, "location"),
        Some("https://assets.example.com/blob.bin")
    );
    let r = ask_query(&site, "HEAD", "/blob.bin", &[], &[("v", "2")]);
    assert_eq!(status(&r), 302);
    assert_eq!(
        header(&r, "location"),
        Some("https://assets.example.com/blob.bin?v=2")
    );
    // The compressible big file still fits and is served here.
    let r = ask(&site, "GET", "/big.js", &[("accept-encoding", "gzip")]);
    assert_eq!(status(&r), 200);
}

// 4. Trailing slash ---------------------------------------------------------------------------

#[test]
fn trailing_slash_never_redirects_folders_to_the_slashless_url() {
    let site = fixture("slashes", Some("never.toml"));
    let r = ask(&site, "GET", "/blog/", &[("accept", HTML)]);
    assert_eq!((status(&r), header(&r, "location")), (308, Some("/blog")));
    let r = ask(&site, "GET", "/blog", &[("accept", HTML)]);
    assert_eq!(status(&r), 200);
    assert_eq!(body_bytes(&r), fixture_file("slashes", "blog/index.html"));
    let r = ask(&site, "GET", "/about/", &[("accept", HTML)]);
    assert_eq!((status(&r), header(&r, "location")), (308, Some("/about")));
}

#[test]
fn trailing_slash_always_redirects_pages_to_the_slashed_url() {
    let site = fixture("slashes", Some("always.toml"));
    let r = ask(&site, "GET", "/about", &[("accept", HTML)]);
    assert_eq!((status(&r), header(&r, "location")), (308, Some("/about/")));
    let r = ask(&site, "GET", "/about/", &[("accept", HTML)]);
    assert_eq!(status(&r), 200);
    assert_eq!(body_bytes(&r), fixture_file("slashes", "about.html"));
    let r = ask_query(&site, "GET", "/blog", &[("accept", HTML)], &[("page", "2")]);
    assert_eq!(
        (status(&r), header(&r, "location")),
        (308, Some("/blog/?page=2"))
    );
}

// 5. Rewrites and HSTS ------------------------------------------------------------------------

#[test]
fn rewrite_to_a_percent_encoded_page_serves_it() {
    // A `_redirects` target is a URL path, so a page named café.html is written /caf%C3%A9;
    // the planner decodes it before checking that the site has it.
    let page = "<!doctype html><title>Café</title><h1>Café</h1>\n";
    let site = memory::from_files(
        &[
            ("index.html", b"<h1>home</h1>"),
            ("café.html", page.as_bytes()),
            ("_redirects", b"/menu  /caf%C3%A9  200\n"),
        ],
        "",
    )
    .unwrap();
    let r = ask(&site, "GET", "/menu", &[("accept", HTML)]);
    assert_eq!(status(&r), 200);
    assert_eq!(body_bytes(&r), page.as_bytes());
}

#[test]
fn hsts_only_over_https() {
    for path in ["/", "/assets/site.css", "/missing.txt"] {
        let https = ask(spa(), "GET", path, &[("x-forwarded-proto", "https")]);
        let http = ask(spa(), "GET", path, &[("x-forwarded-proto", "http")]);
        assert_eq!(
            header(&https, "strict-transport-security"),
            Some("max-age=63072000"),
            "{path}"
        );
        assert_eq!(header(&http, "strict-transport-security"), None, "{path}");
        assert_eq!(status(&https), status(&http), "{path}");
    }
}

// 6. Large headers at the 1 MB line ----------------------------------------------------------

#[test]
fn a_range_of_a_file_with_large_headers_is_shortened_so_the_206_still_fits() {
    // 25 headers of 1,000 quotes: 25 KB as HTTP headers, about 50 KB as JSON (each quote is
    // escaped), so the usual 720,000-byte range would make a response over 1 MB.
    let mut rules = String::from("/big.js\n");
    for i in 0..25 {
        rules.push_str(&format!("  X-Quoted-{i}: {}\n", "\"".repeat(1000)));
    }
    let data = compressible_js(BIG_JS);
    let site = memory::from_files(
        &[
            ("index.html", b"<h1>home</h1>"),
            ("big.js", &data),
            ("_headers", rules.as_bytes()),
        ],
        "",
    )
    .unwrap();
    let (mut got, mut start) = (Vec::new(), 0usize);
    while start < data.len() {
        let range = format!("bytes={start}-");
        // `ask` checks each answer with the ALB check: under 1 MB, headers under 32 KB.
        let r = ask(&site, "GET", "/big.js", &[("range", range.as_str())]);
        assert_eq!(status(&r), 206);
        let part = body_bytes(&r);
        assert!(
            !part.is_empty() && (part.len() as u64) < MAX_RANGE,
            "{}",
            part.len()
        );
        assert!(wire_size(&r) < ALB_RESPONSE_LIMIT);
        got.extend_from_slice(&part);
        start += part.len();
    }
    assert_eq!(got, data);
}

#[test]
fn headers_alb_would_refuse_fail_the_plan_naming_the_file() {
    let rules = format!("/big.js\n  X-Huge: {}\n", "a".repeat(40_000));
    let e = memory::from_files(&[("big.js", b"x"), ("_headers", rules.as_bytes())], "")
        .unwrap_err()
        .to_string();
    assert!(e.contains("/big.js would be sent with"), "{e}");
    assert!(
        e.contains("ALB refuses a header block over 32768 bytes"),
        "{e}"
    );
}

// 7. Ranges with conditions and encodings; caching ------------------------------------------

/// A site with a compressible script, a page rewritten at another URL, the SPA fallback on,
/// and `_headers` that set and remove Cache-Control.
fn conditions() -> &'static Site {
    static SITE: OnceLock<Site> = OnceLock::new();
    SITE.get_or_init(|| {
        let script = "console.log('a fairly compressible line of script');\n".repeat(100);
        memory::from_files(
            &[
                ("index.html", b"<!doctype html><title>app</title><h1>the app shell</h1>\n"),
                ("app.js", script.as_bytes()),
                ("notes.txt", b"plain notes, cached by default"),
                ("_headers", b"/app.js\n  Cache-Control: public, max-age=60\n/notes.txt\n  ! Cache-Control\n"),
                ("_redirects", b"/old-home  /index.html  200\n"),
            ],
            "spa = \"on\"",
        )
        .unwrap()
    })
}

fn ask_multi(site: &Site, method: &str, path: &str, headers: &[(&str, &str)]) -> Value {
    let event = AlbEvent::new(method, path)
        .headers(headers)
        .multi_value(true)
        .to_string();
    let response = site_server::handler::handle_site(site, &event);
    let text = serde_json::to_string(&response).unwrap();
    let v = check_response(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert!(v.get("multiValueHeaders").is_some(), "{text}");
    v
}

fn etag_of(site: &Site, path: &str, accept_encoding: &str) -> String {
    let r = ask(site, "GET", path, &[("accept-encoding", accept_encoding)]);
    header(&r, "etag").unwrap().to_string()
}

#[test]
fn a_range_with_the_identity_etag_in_if_none_match_is_304_and_with_a_compressed_one_206() {
    let site = conditions();
    let identity = etag_of(site, "/app.js", "identity");
    let gzip = etag_of(site, "/app.js", "gzip");
    assert_ne!(identity, gzip);
    let r = ask(
        site,
        "GET",
        "/app.js",
        &[("range", "bytes=0-9"), ("if-none-match", &identity)],
    );
    assert_eq!((status(&r), r["body"].as_str()), (304, Some("")));
    // The range is cut from the identity bytes, which the gzip ETag does not name.
    let r = ask(
        site,
        "GET",
        "/app.js",
        &[("range", "bytes=0-9"), ("if-none-match", &gzip)],
    );
    assert_eq!(status(&r), 206);
    assert_eq!(body_bytes(&r), b"console.lo");
}

#[test]
fn if_range_with_the_last_modified_date_keeps_the_range_and_an_older_date_gets_the_whole_file() {
    let site = conditions();
    let whole = ask(site, "GET", "/app.js", &[("accept-encoding", "identity")]);
    let modified = header(&whole, "last-modified").unwrap().to_string();
    let r = ask(
        site,
        "GET",
        "/app.js",
        &[("range", "bytes=0-9"), ("if-range", &modified)],
    );
    assert_eq!(status(&r), 206);
    let old = "Thu, 01 Jan 1970 00:00:01 GMT";
    let r = ask(
        site,
        "GET",
        "/app.js",
        &[
            ("range", "bytes=0-9"),
            ("if-range", old),
            ("accept-encoding", "identity"),
        ],
    );
    assert_eq!(status(&r), 200);
    assert_eq!(body_bytes(&r), body_bytes(&whole));
}

#[test]
fn head_with_a_range_gets_the_whole_files_headers_and_no_body() {
    let site = conditions();
    let r = ask(site, "HEAD", "/app.js", &[("range", "bytes=0-9")]);
    assert_eq!(status(&r), 200);
    assert_eq!(header(&r, "content-range"), None);
    assert_eq!(r["body"], "");
}

#[test]
fn a_client_that_refuses_identity_gets_the_whole_compressed_file_for_a_range() {
    let site = conditions();
    let r = ask(
        site,
        "GET",
        "/app.js",
        &[
            ("range", "bytes=0-9"),
            ("accept-encoding", "gzip, identity;q=0"),
        ],
    );
    assert_eq!(status(&r), 200);
    assert_eq!(header(&r, "content-encoding"), Some("gzip"));
    assert_eq!(header(&r, "content-range"), None);
}

#[test]
fn ranges_on_the_spa_fallback_and_on_a_rewrite_cut_the_file_they_serve() {
    let site = conditions();
    for path in ["/some/app/route", "/old-home"] {
        let r = ask(
            site,
            "GET",
            path,
            &[("range", "bytes=15-26"), ("accept", HTML)],
        );
        assert_eq!(status(&r), 206, "{path}");
        assert_eq!(body_bytes(&r), b"<title>app</", "{path}");
    }
}

#[test]
fn a_206_and_a_416_answer_in_multi_value_mode() {
    let site = conditions();
    let r = ask_multi(site, "GET", "/app.js", &[("range", "bytes=0-9")]);
    assert_eq!(status(&r), 206);
    assert_eq!(
        r["multiValueHeaders"]["Content-Range"][0]
            .as_str()
            .unwrap()
            .split('/')
            .next(),
        Some("bytes 0-9")
    );
    let r = ask_multi(site, "GET", "/app.js", &[("range", "bytes=999999-")]);
    assert_eq!(status(&r), 416);
    assert!(r["multiValueHeaders"]["Content-Range"][0]
        .as_str()
        .unwrap()
        .starts_with("bytes */"));
}

#[test]
fn cache_control_from_headers_and_its_removal_hold_for_the_200_and_the_304_alike() {
    let site = conditions();
    let r = ask(site, "GET", "/app.js", &[("accept-encoding", "gzip")]);
    assert_eq!(header(&r, "cache-control"), Some("public, max-age=60"));
    let etag = header(&r, "etag").unwrap().to_string();
    let r = ask(
        site,
        "GET",
        "/app.js",
        &[("accept-encoding", "gzip"), ("if-none-match", &etag)],
    );
    assert_eq!(
        (status(&r), header(&r, "cache-control")),
        (304, Some("public, max-age=60"))
    );
    let r = ask(site, "GET", "/notes.txt", &[]);
    assert_eq!((status(&r), header(&r, "cache-control")), (200, None));
    let etag = header(&r, "etag").unwrap().to_string();
    let r = ask(site, "GET", "/notes.txt", &[("if-none-match", &etag)]);
    assert_eq!((status(&r), header(&r, "cache-control")), (304, None));
}

#[test]
fn the_spa_fallback_and_a_rewrite_answer_304_to_the_etag_of_the_file_they_serve() {
    let site = conditions();
    let index = ask(site, "GET", "/", &[("accept", HTML)]);
    let etag = header(&index, "etag").unwrap().to_string();
    for path in ["/some/app/route", "/old-home"] {
        let r = ask(
            site,
            "GET",
            path,
            &[("accept", HTML), ("if-none-match", &etag)],
        );
        assert_eq!(status(&r), 304, "{path}");
        assert_eq!(header(&r, "etag"), Some(etag.as_str()), "{path}");
    }
}

/// A site whose `_headers` differ by URL, with a 200 rewrite, a 404 rewrite and the SPA fallback
/// serving `index.html` and `gone.html` at URLs of their own.
fn headers_by_url() -> &'static Site {
    static SITE: OnceLock<Site> = OnceLock::new();
    SITE.get_or_init(|| {
        memory::from_files(
            &[
                ("index.html", b"<!doctype html><title>home</title>\n".as_slice()),
                ("gone.html", b"<!doctype html><title>gone</title>\n"),
                (
                    "_headers",
                    b"/\n  Set-Cookie: home=1; Path=/\n/old-home\n  X-Old: yes\n  Cache-Control: public, max-age=5\n/app/*\n  X-App: shell\n  ! X-Frame-Options\n/removed/*\n  X-Removed: 1\n",
                ),
                (
                    "_redirects",
                    b"/old-home  /index.html  200\n/removed/*  /gone  404\n",
                ),
            ],
            "spa = \"on\"",
        )
        .unwrap()
    })
}

#[test]
fn a_200_rewrite_answers_with_the_headers_of_the_url_asked_for_not_the_targets() {
    let r = ask(headers_by_url(), "GET", "/old-home", &[("accept", HTML)]);
    assert_eq!(status(&r), 200);
    assert_eq!(header(&r, "x-old"), Some("yes"));
    assert_eq!(header(&r, "cache-control"), Some("public, max-age=5"));
    assert_eq!(header(&r, "set-cookie"), None, "/'s cookie stays on /");
    assert_eq!(header(&r, "content-type"), Some("text/html; charset=utf-8"));
    // The target itself keeps its own.
    let home = ask(headers_by_url(), "GET", "/", &[("accept", HTML)]);
    assert_eq!(header(&home, "set-cookie"), Some("home=1; Path=/"));
    assert_eq!(header(&home, "x-old"), None);
}

#[test]
fn the_spa_fallback_answers_with_the_headers_of_the_url_asked_for() {
    let r = ask(
        headers_by_url(),
        "GET",
        "/app/settings",
        &[("accept", HTML)],
    );
    assert_eq!(status(&r), 200);
    assert_eq!(header(&r, "x-app"), Some("shell"));
    assert_eq!(header(&r, "x-frame-options"), None, "detached for /app/*");
    assert_eq!(header(&r, "set-cookie"), None);
    assert_eq!(
        header(&r, "cache-control"),
        Some("no-cache"),
        "the file's own policy"
    );
}

#[test]
fn a_404_rewrite_answers_with_the_headers_of_the_url_asked_for() {
    let r = ask(headers_by_url(), "GET", "/removed/x", &[("accept", HTML)]);
    assert_eq!(status(&r), 404);
    assert_eq!(header(&r, "x-removed"), Some("1"));
}

#[test]
fn a_304_on_a_rewrite_carries_the_headers_of_the_url_asked_for() {
    let first = ask(headers_by_url(), "GET", "/old-home", &[("accept", HTML)]);
    let etag = header(&first, "etag").unwrap().to_string();
    let r = ask(
        headers_by_url(),
        "GET",
        "/old-home",
        &[("accept", HTML), ("if-none-match", &etag)],
    );
    assert_eq!(status(&r), 304);
    assert_eq!(header(&r, "cache-control"), Some("public, max-age=5"));
}

#[test]
fn rules_that_would_overflow_albs_header_limit_at_a_rewritten_url_fall_back_to_the_files_own() {
    // 40 KB of headers for /big/*: no file is served there, so the build accepts it; the SPA
    // fallback at /big/x must still never send a header block ALB refuses.
    let huge = format!("/big/*\n  X-Big: {}\n", "b".repeat(40_000));
    let site = memory::from_files(
        &[
            ("index.html", b"<!doctype html>shell".as_slice()),
            ("_headers", huge.as_bytes()),
        ],
        "spa = \"on\"",
    )
    .unwrap();
    let r = ask(&site, "GET", "/big/x", &[("accept", HTML)]);
    assert_eq!(status(&r), 200);
    assert_eq!(header(&r, "x-big"), None);
}

#[test]
fn a_file_only_its_own_headers_can_carry_is_406_at_a_url_with_large_headers() {
    // index.html near the 1 MB line: it fits with its own headers, not with 30 KB more.
    let page = format!("<!doctype html>{}", "é".repeat(489_000));
    let site = memory::from_files(
        &[
            ("index.html", page.as_bytes()),
            (
                "_headers",
                format!("/app/*\n  X-Pad: {}\n", "p".repeat(30_000)).as_bytes(),
            ),
        ],
        "spa = \"on\"\n[compression]\ngzip = false\nbrotli = false",
    )
    .unwrap();
    assert_eq!(status(&ask(&site, "GET", "/", &[("accept", HTML)])), 200);
    let r = ask(&site, "GET", "/app/x", &[("accept", HTML)]);
    assert_eq!(status(&r), 406, "never a response ALB would refuse");
}

#[test]
fn text_files_are_labelled_with_the_charset_of_their_bytes() {
    let site = memory::from_files(
        &[
            ("latin1.txt", b"Caf\xe9 cr\xe8me br\xfbl\xe9e".as_slice()),
            ("cp1252.txt", b"\x93smart quotes\x94 cost \x80 5"),
            ("utf16.txt", b"\xFF\xFEC\x00a\x00f\x00\xe9\x00"),
            ("utf8.txt", "Café crème brûlée".as_bytes()),
            (
                "legacy.html",
                b"<meta charset=\"windows-1252\"><p>Caf\xe9</p>",
            ),
        ],
        "",
    )
    .unwrap();
    for (path, content_type) in [
        ("/latin1.txt", "text/plain"),
        ("/cp1252.txt", "text/plain"),
        ("/utf16.txt", "text/plain; charset=utf-16le"),
        ("/utf8.txt", "text/plain; charset=utf-8"),
        ("/legacy", "text/html; charset=windows-1252"),
    ] {
        let r = ask(&site, "GET", path, &[]);
        assert_eq!(header(&r, "content-type"), Some(content_type), "{path}");
        let utf8 = content_type.ends_with("utf-8");
        assert_eq!(
            r["isBase64Encoded"], !utf8,
            "{path}: non-UTF-8 bytes travel as base64"
        );
    }
}

#[test]
fn the_values_in_the_sample_site_toml_are_the_defaults() {
    // site.toml says "the values below are the defaults": parsed, it is the empty settings.
    use site_core::plan::Config;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("site.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let written = Config::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        format!("{written:#?}"),
        format!("{:#?}", Config::default()),
        "site.toml differs from Config::default()"
    );
    assert_eq!(
        format!("{:#?}", Config::parse("").unwrap()),
        format!("{:#?}", Config::default())
    );
}

// Bad input that is served: names with spaces, `%`, `#`, `?`, any UTF-8; long paths ---------

#[test]
fn files_named_with_spaces_percent_hash_question_mark_and_any_utf8_are_served_at_their_encoded_urls(
) {
    let names = [
        "with space.txt",
        "100%.txt",
        "c#.txt",
        "why?.txt",
        "naïve café.txt",
        "日本語/ページ.txt",
        "emoji 🦀.txt",
        "plus+and&amp=.txt",
    ];
    let files: Vec<(String, Vec<u8>)> = names
        .iter()
        .map(|n| (n.to_string(), format!("body of {n}").into_bytes()))
        .collect();
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, b)| (p.as_str(), &b[..])).collect();
    let site = memory::from_files(&refs, "").unwrap();
    for name in names {
        let url = site_core::rules::encode_path(&format!("/{name}"));
        let r = ask(&site, "GET", &url, &[]);
        assert_eq!(status(&r), 200, "{name} at {url}");
        assert_eq!(
            decoded_body(&r),
            format!("body of {name}").into_bytes(),
            "{name}"
        );
    }
}

#[test]
fn a_file_whose_path_is_over_one_kilobyte_is_served() {
    let folder = "a-rather-long-folder-name-".repeat(8);
    let path = format!("{0}/{0}/{0}/{0}/{0}/{0}/page.txt", folder);
    assert!(path.len() > 1024);
    let site = memory::from_files(&[(path.as_str(), b"deep")], "").unwrap();
    let r = ask(&site, "GET", &format!("/{path}"), &[]);
    assert_eq!(status(&r), 200);
    assert_eq!(decoded_body(&r), b"deep");
}
