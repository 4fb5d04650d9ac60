//! Property-based fuzzing of the whole function: arbitrary text, arbitrary JSON shaped like ALB
//! events, and well-formed ALB events with hostile methods, paths, headers, queries and bodies,
//! in both header modes. For every input, `handler::handle`:
//! - does not panic;
//! - returns a response ALB accepts, in the project's shape (`common::check_response`: local-alb's
//!   `reply::parse` and more), in the request's header mode, with header values free of control
//!   characters and surrounding whitespace (see [`check_response`]);
//! - never sends a file that is not public (dotfiles, `_headers`, `_redirects`, the crate's own
//!   sources) and, when it sends a file, sends bytes of a public site file.
//!
//! Cases per property come from `PROPTEST_CASES` (`make fuzz` sets 200000); without it each
//! property runs a bounded default so the file stays well under 30 s in release. A debug build
//! (a bare `cargo test`, `make test-quick`) runs an eighth of that default: unoptimized, the full
//! count takes 45 s of the inner loop, and `make test` runs the full count in its optimized
//! build. Failures are persisted to `proptest-regressions/fuzz.txt` and replayed first on every
//! run.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

use base64::Engine;
use common::{AlbEvent, Front};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError, TestRunner};
use serde_json::{json, Map, Value};

// ---- what may and may not be sent ----------------------------------------------------------

/// Bytes of files that must never be a response body.
struct Guard {
    /// (name, bytes) of protected files: site dotfiles and config, crate sources.
    protected: Vec<(String, Vec<u8>)>,
    /// Bytes of every public site file.
    public: Vec<Vec<u8>>,
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Whether build.rs embeds this site file: no dotfile or dot-folder but `.well-known/`, and not
/// the top-level `_headers` / `_redirects`.
fn is_public(site: &Path, file: &Path) -> bool {
    let rel = file.strip_prefix(site).unwrap();
    let parts: Vec<&str> = rel.iter().map(|s| s.to_str().unwrap()).collect();
    let hidden = parts
        .iter()
        .enumerate()
        .any(|(i, p)| p.starts_with('.') && !(i == 0 && *p == ".well-known" && parts.len() > 1));
    let config = parts.len() == 1 && matches!(parts[0], "_headers" | "_redirects");
    !hidden && !config
}

fn guard() -> &'static Guard {
    static GUARD: OnceLock<Guard> = OnceLock::new();
    GUARD.get_or_init(|| {
        let site = root().join("site");
        let mut site_files = Vec::new();
        walk(&site, &mut site_files);
        let mut protected = Vec::new();
        let mut public = Vec::new();
        for f in &site_files {
            let bytes = std::fs::read(f).unwrap();
            if is_public(&site, f) {
                public.push(bytes);
            } else {
                protected.push((f.display().to_string(), bytes));
            }
        }
        assert!(
            protected.iter().any(|(n, _)| n.ends_with("site/.env")),
            "the sample site has its .env dotfile"
        );
        let mut outside: Vec<PathBuf> = ["Cargo.toml", "Cargo.lock", "build.rs", "Makefile"]
            .iter()
            .map(|f| root().join(f))
            .collect();
        walk(&root().join("src"), &mut outside);
        walk(&root().join("site-core/src"), &mut outside);
        outside.push(PathBuf::from("/etc/passwd"));
        for f in outside {
            if let Ok(bytes) = std::fs::read(&f) {
                protected.push((f.display().to_string(), bytes));
            }
        }
        Guard { protected, public }
    })
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// The bytes the client ends up with: base64 undone, then the Content-Encoding.
fn client_bytes(r: &Value) -> Result<Vec<u8>, String> {
    let body = r["body"].as_str().ok_or("body is not a string")?;
    let raw = if r["isBase64Encoded"] == true {
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|e| format!("isBase64Encoded but the body is not base64: {e}"))?
    } else {
        body.as_bytes().to_vec()
    };
    let mut out = Vec::new();
    match common::header(r, "content-encoding") {
        // HEAD and 304 keep the Content-Encoding of the representation but send no bytes.
        _ if raw.is_empty() => return Ok(raw),
        None => return Ok(raw),
        Some("gzip") => flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| format!("gzip body does not decode: {e}"))?,
        Some("br") => brotli::Decompressor::new(&raw[..], 4096)
            .read_to_end(&mut out)
            .map_err(|e| format!("br body does not decode: {e}"))?,
        Some(other) => return Err(format!("unknown Content-Encoding {other}")),
    };
    Ok(out)
}

/// No protected file, and no file that is not public, in the body.
fn check_no_leak(r: &Value) -> Result<(), String> {
    let bytes = client_bytes(r)?;
    let g = guard();
    for (name, p) in &g.protected {
        if bytes == *p {
            return Err(format!("the body is the protected file {name}"));
        }
        // A distinctive prefix of the file anywhere in the body (a 404 page quoting it, a range).
        let probe = &p[..p.len().min(48)];
        if probe.len() >= 16 && contains(&bytes, probe) {
            return Err(format!("the body contains the start of {name}"));
        }
    }
    let status = r["statusCode"].as_u64().unwrap_or(0);
    // A file's bytes go out with its ETag as a 200, a 206 (a slice) or a 404 (a 404.html page);
    // other statuses with an ETag (304, 412) carry no file.
    let from_file = matches!(status, 200 | 206 | 404)
        && common::header(r, "etag").is_some()
        && !bytes.is_empty();
    if from_file {
        let ok = match status {
            206 => g.public.iter().any(|f| contains(f, &bytes)),
            _ => g.public.contains(&bytes),
        };
        if !ok {
            return Err(format!(
                "a {status} with an ETag whose {} body bytes are not a public site file",
                bytes.len()
            ));
        }
    }
    Ok(())
}

// ---- the response check --------------------------------------------------------------------

/// A field value may hold no control character but HTAB (so no CR, LF or NUL), and no leading or
/// trailing whitespace.
fn check_header_value(name: &str, v: &str) -> Result<(), String> {
    if let Some(c) = v.chars().find(|&c| (c < ' ' && c != '\t') || c == '\u{7f}') {
        return Err(format!(
            "header {name} has the control character {c:?} in {v:?}"
        ));
    }
    if v.starts_with([' ', '\t']) || v.ends_with([' ', '\t']) {
        return Err(format!("header {name} has surrounding whitespace: {v:?}"));
    }
    Ok(())
}

/// Everything ALB needs to not answer 502 and the project's response shape
/// ([`common::check_response`]), and a bit more: the header field of `multi` (when known), header
/// values free of control characters and surrounding whitespace; a HEAD gets an empty body; no
/// file leaks.
fn check_response(text: &str, multi: Option<bool>, head: bool) -> Result<Value, String> {
    let v = common::check_response(text)?;
    let code = v["statusCode"].as_u64().unwrap_or_default();
    let is_multi = v.get("multiValueHeaders").is_some();
    if let Some(m) = multi {
        if m != is_multi {
            return Err(format!(
                "answered in {} mode to a {} mode request",
                if is_multi {
                    "multi-value"
                } else {
                    "single-value"
                },
                if m { "multi-value" } else { "single-value" }
            ));
        }
    }
    let field = if is_multi {
        "multiValueHeaders"
    } else {
        "headers"
    };
    for (name, val) in v[field].as_object().into_iter().flatten() {
        let values = match val {
            Value::Array(values) => values.iter().collect(),
            one => vec![one],
        };
        for x in values {
            check_header_value(name, x.as_str().unwrap_or_default())?;
        }
    }
    // (A HEAD whose event is refused as malformed gets its 400 explained in the body: the event
    // was not understood, so neither was the method.)
    if head && code != 400 && !v["body"].as_str().unwrap_or("x").is_empty() {
        return Err("a HEAD response has a body".into());
    }
    check_no_leak(&v)?;
    Ok(v)
}

/// Runs the handler on `event`, serializes like the runtime does, and checks the result.
fn run_event(event: &str, multi: Option<bool>, head: bool) -> Result<Value, TestCaseError> {
    let response = site_server::handler::handle_site(
        site_server::site::embedded().expect("the embedded site"),
        event,
    );
    let text = serde_json::to_string(&response)
        .map_err(|e| TestCaseError::fail(format!("the response does not serialize: {e}")))?;
    check_response(&text, multi, head)
        .map_err(|e| TestCaseError::fail(format!("{e}\nevent: {event}\nresponse: {text}")))
}

/// The header mode the handler must answer in: multi-value exactly when the event is a JSON
/// object with a non-null `multiValueHeaders` (see `door::parse_request`).
fn expected_mode(v: &Value) -> bool {
    v.get("multiValueHeaders").is_some_and(|h| !h.is_null())
}

// ---- running ---------------------------------------------------------------------------------

/// How much of a property's default count an unoptimized build runs.
const DEBUG_SHARE: u32 = if cfg!(debug_assertions) { 8 } else { 1 };

fn config(default_cases: u32) -> Config {
    // Config::default() reads PROPTEST_CASES; only the unset case gets this file's default.
    let mut c = Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = (default_cases / DEBUG_SHARE).max(1);
    }
    c.failure_persistence = Some(Box::new(FileFailurePersistence::Direct(
        "proptest-regressions/fuzz.txt",
    )));
    c.max_shrink_iters = 4096;
    c
}

/// Runs a property and reports how many inputs it executed.
fn fuzz<S: Strategy>(
    name: &str,
    default_cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let mut runner = TestRunner::new(config(default_cases));
    let cases = runner.config().cases;
    let started = Instant::now();
    let result = runner.run(&strategy, test);
    eprintln!(
        "fuzz {name}: {cases} cases in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    if let Err(e) = result {
        panic!("fuzz {name} found a failing input: {e}");
    }
}

// ---- strategies ------------------------------------------------------------------------------

/// Paths the site answers, redirects, or that have a special meaning.
const KNOWN_PATHS: &[&str] = &[
    "/",
    "/index.html",
    "/about",
    "/about.html",
    "/blog",
    "/blog/",
    "/blog/first-post",
    "/docs",
    "/docs/guide",
    "/docs/guide/",
    "/docs/release%20notes.txt",
    "/css/site.css",
    "/js/analytics.js",
    "/assets/app.3f9a2c1b.js",
    "/assets/fonts/dejavu-sans-subset.woff2",
    "/img/logo.png",
    "/legacy-latin1.txt",
    "/robots.txt",
    "/.well-known/security.txt",
    "/404.html",
    "/health",
    "/home",
    "/news/a",
    "/posts/x",
    "/source",
    "/old-home",
    "/.env",
    "/_headers",
    "/_redirects",
    "/Cargo.toml",
    "/build.rs",
];

/// Path segments an attacker would try.
fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "..", ".", "%2e%2e", "%2E%2e", ".%2e", "%2e.", "%252e%252e", "%%32%65", "%c0%ae%c0%ae",
            "%e0%80%ae", "..\\", "%5c", "\\", "%2f", "%2F", "%00", "%0d%0a", "%ff", "%e2%9c",
            "%", "%g0", "..;", ".env", "_headers", "_redirects", "Cargo.toml", "src", "etc",
            "passwd", ".well-known", "index.html", "%2eenv", "%5f%68eaders", "evil.example",
            "", "~", "%7e", "a b", "%20", "\u{202e}", "é", "%c3%a9", "\u{1F600}",
        ])
        .prop_map(String::from),
        2 => "[a-zA-Z0-9._~%-]{0,12}",
        1 => any::<String>().prop_map(|s| s.chars().take(24).collect()),
        1 => any::<u8>().prop_map(|b| format!("%{b:02x}")),
    ]
}

fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(KNOWN_PATHS).prop_map(String::from),
        4 => (
            prop::sample::select(KNOWN_PATHS),
            prop::collection::vec(segment(), 0..6),
            any::<bool>(),
        )
            .prop_map(|(base, segs, slash)| {
                let mut p = base.trim_end_matches('/').to_string();
                for s in segs {
                    p.push('/');
                    p.push_str(&s);
                }
                if slash {
                    p.push('/');
                }
                if p.is_empty() {
                    p.push('/');
                }
                p
            }),
        1 => prop::collection::vec(segment(), 0..6).prop_map(|s| s.join("/")),
        1 => any::<String>(),
        1 => (prop::sample::select(vec!["a", "%2e%2e/", "../", "%41"]), 1000usize..3000)
            .prop_map(|(s, n)| format!("/{}", s.repeat(n))),
        1 => Just("//evil.example".to_string()),
        1 => Just("//evil.example/%2e%2e".to_string()),
        1 => Just("/\\evil.example".to_string()),
    ]
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => Just("GET".to_string()),
        3 => Just("HEAD".to_string()),
        1 => prop::sample::select(vec![
            "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT", "get", "head", "",
            "GET ", "G\u{0}ET", "GET\r\n",
        ])
        .prop_map(String::from),
        1 => any::<String>(),
    ]
}

/// Hostile text: CR/LF injections, NUL, non-ASCII, long runs.
fn nasty_text() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => any::<String>(),
        1 => Just("x\r\nSet-Cookie: pwned=1".to_string()),
        1 => Just("\r\n\r\n<script>".to_string()),
        1 => Just("a\u{0}b".to_string()),
        1 => Just("%0d%0aLocation:%20//evil.example".to_string()),
        1 => Just("é\u{85}\u{2028}".to_string()),
        1 => (1usize..20_000).prop_map(|n| "A".repeat(n)),
    ]
}

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(vec![
            "accept-encoding", "Accept-Encoding", "if-none-match", "if-modified-since",
            "if-match", "if-unmodified-since", "range", "if-range", "accept", "host",
            "x-forwarded-proto", "cookie", "user-agent", "content-type", "content-encoding",
        ])
        .prop_map(String::from),
        1 => nasty_text(),
    ]
}

fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(vec![
            "gzip", "br", "gzip, br", "br;q=0, gzip;q=0", "identity;q=0", "*;q=0", "*", "",
            "\"x\"", "W/\"x\"", "*, \"a\"", "Thu, 01 Jan 2099 00:00:00 GMT",
            "Thu, 01 Jan 1970 00:00:00 GMT", "not a date", "bytes=0-0", "bytes=0-10", "bytes=-5",
            "bytes=5-", "bytes=100000-", "bytes=0-1,3-4", "bytes=-0", "bytes=18446744073709551615-",
            "bytes=9-1", "https", "HTTPS", "text/html", "*/*", "image/png", "evil.example",
        ])
        .prop_map(String::from),
        2 => nasty_text(),
    ]
}

fn body() -> impl Strategy<Value = (Option<String>, Option<bool>)> {
    prop_oneof![
        4 => Just((Some(String::new()), Some(false))),
        1 => Just((None, None)),
        2 => (nasty_text(), any::<Option<bool>>()).prop_map(|(b, f)| (Some(b), f)),
        2 => prop::collection::vec(any::<u8>(), 0..512).prop_map(|b| {
            (
                Some(base64::engine::general_purpose::STANDARD.encode(b)),
                Some(true),
            )
        }),
    ]
}

/// Query values as a crafted event can carry them: short and nasty, or long (tens of kilobytes,
/// and multi-byte characters that grow sixfold when percent-encoded into a `Location`).
fn query() -> impl Strategy<Value = Vec<(String, String)>> {
    let long = (
        prop::sample::select(vec!["a", "é", "€", "\u{1F600}", "%", " "]),
        1_000usize..40_000,
    )
        .prop_map(|(c, n)| c.repeat(n));
    prop_oneof![
        4 => prop::collection::vec((nasty_text(), nasty_text()), 0..3),
        1 => (nasty_text(), long).prop_map(|(k, v)| vec![(k, v)]),
    ]
}

fn alb_event() -> impl Strategy<Value = AlbEvent> {
    (
        any::<bool>(),
        method(),
        path(),
        prop::collection::vec((header_name(), header_value()), 0..8),
        query(),
        body(),
    )
        .prop_map(
            |(multi_value, method, path, headers, query, (body, is_base64_encoded))| AlbEvent {
                multi_value,
                method,
                path,
                headers,
                query,
                body,
                is_base64_encoded,
            },
        )
}

/// Any JSON value, nested a few levels.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::from),
        prop::sample::select(vec!["GET", "HEAD", "/", "/index.html", "/.env", "%%%"])
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z-]{0,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A field of an ALB-shaped event: absent, null, right type, or any value at all.
fn field(right: BoxedStrategy<Value>) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        2 => Just(None),
        1 => Just(Some(Value::Null)),
        4 => right.prop_map(Some),
        2 => any_json().prop_map(Some),
    ]
}

fn string_map() -> BoxedStrategy<Value> {
    prop::collection::btree_map(header_name(), header_value().prop_map(Value::from), 0..4)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
        .boxed()
}

fn list_map() -> BoxedStrategy<Value> {
    prop::collection::btree_map(
        header_name(),
        prop::collection::vec(header_value().prop_map(Value::from), 0..3).prop_map(Value::Array),
        0..4,
    )
    .prop_map(|m| Value::Object(m.into_iter().collect()))
    .boxed()
}

/// ALB-shaped JSON: each known field absent, null, well-typed or anything.
fn alb_shaped() -> impl Strategy<Value = Value> {
    (
        field(method().prop_map(Value::from).boxed()),
        field(path().prop_map(Value::from).boxed()),
        field(string_map()),
        field(list_map()),
        field(string_map()),
        field(list_map()),
        field(nasty_text().prop_map(Value::from).boxed()),
        field(any::<bool>().prop_map(Value::from).boxed()),
        field(any_json().boxed()),
    )
        .prop_map(|(m, p, h, mh, q, mq, b, b64, ctx)| {
            let mut o = Map::new();
            for (k, v) in [
                ("httpMethod", m),
                ("path", p),
                ("headers", h),
                ("multiValueHeaders", mh),
                ("queryStringParameters", q),
                ("multiValueQueryStringParameters", mq),
                ("body", b),
                ("isBase64Encoded", b64),
                ("requestContext", ctx),
            ] {
                if let Some(v) = v {
                    o.insert(k.to_string(), v);
                }
            }
            Value::Object(o)
        })
}

/// Text that is not necessarily JSON: random strings, and valid events damaged by one edit.
fn event_text() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => any::<String>(),
        1 => "[\\[\\]{}\":,0-9a-zA-Z \\\\/.-]{0,64}",
        3 => (alb_event(), any::<prop::sample::Index>(), 0usize..8, any::<String>()).prop_map(
            |(e, at, cut, insert)| {
                let text = e.to_json().to_string();
                let mut i = at.index(text.len() + 1);
                while !text.is_char_boundary(i) {
                    i -= 1;
                }
                let mut j = (i + cut).min(text.len());
                while !text.is_char_boundary(j) {
                    j -= 1;
                }
                format!("{}{}{}", &text[..i], insert, &text[j..])
            }
        ),
    ]
}

// ---- the properties --------------------------------------------------------------------------

#[test]
fn arbitrary_text_as_the_event_never_panics_and_gets_a_valid_response() {
    fuzz("arbitrary event text", 8000, event_text(), |text| {
        run_event(&text, None, false)?;
        Ok(())
    });
}

#[test]
fn alb_shaped_json_with_missing_null_or_mistyped_fields_gets_a_valid_response_in_its_mode() {
    fuzz("ALB-shaped JSON", 8000, alb_shaped(), |event| {
        run_event(&event.to_string(), Some(expected_mode(&event)), false)?;
        Ok(())
    });
}

#[test]
fn well_formed_alb_events_with_hostile_contents_are_answered_safely_in_their_mode() {
    fuzz("well-formed ALB events", 15000, alb_event(), |e| {
        let json = e.to_json();
        let head = e.method == "HEAD";
        let r = run_event(&json.to_string(), Some(e.multi_value), head)?;
        let status = r["statusCode"].as_u64().unwrap();
        // A method other than GET / HEAD is never served, whatever else the event says.
        if e.method != "GET" && !head {
            prop_assert!(matches!(status, 400 | 405), "{} got {status}", e.method);
        }
        // A Location never leaves the site unless a _redirects rule spells out the URL.
        if let Some(loc) = common::header(&r, "location") {
            prop_assert!(
                loc.starts_with('/') && !loc.starts_with("//") && !loc.starts_with("/\\")
                    || loc.starts_with("https://github.com/"),
                "Location {loc:?} leaves the site"
            );
        }
        Ok(())
    });
}

#[test]
fn every_public_file_is_served_in_every_encoding_and_mode_and_nothing_else_leaks() {
    // Not random: the whole site once per encoding and mode, so the leak check's allow-list
    // (bytes of a public site file) is itself exercised on every variant.
    let mut served = 0;
    for enc in ["", "gzip", "br", "gzip, br"] {
        for multi in [false, true] {
            for p in KNOWN_PATHS {
                let headers: &[(&str, &str)] = &[("accept-encoding", enc)];
                let e = if multi {
                    common::event_multi("GET", p, headers)
                } else {
                    common::event("GET", p, headers)
                };
                let r = run_event(&e.to_string(), Some(multi), false)
                    .unwrap_or_else(|e| panic!("{p} ({enc:?}): {e}"));
                if r["statusCode"] == 200 && common::header(&r, "etag").is_some() {
                    served += 1;
                }
            }
        }
    }
    assert!(served >= 8 * 15, "only {served} file responses");
}

#[test]
fn the_leak_check_recognizes_protected_files() {
    // The guard must be able to fail: a response carrying .env or Cargo.toml is rejected.
    for name in ["site/.env", "site/_headers", "Cargo.toml", "build.rs"] {
        let bytes = std::fs::read(root().join(name)).unwrap();
        let r = json!({
            "statusCode": 200, "statusDescription": "200 OK",
            "headers": {"ETag": "\"x\""},
            "body": base64::engine::general_purpose::STANDARD.encode(&bytes),
            "isBase64Encoded": true,
        });
        assert!(check_no_leak(&r).is_err(), "{name} was not caught");
    }
    let ok = json!({
        "statusCode": 200, "statusDescription": "200 OK", "headers": {"ETag": "\"x\""},
        "body": String::from_utf8(common::site_file("/robots.txt")).unwrap(),
        "isBase64Encoded": false,
    });
    assert!(check_no_leak(&ok).is_ok());
}

#[test]
fn the_response_check_rejects_what_alb_would_turn_into_a_502() {
    let good = r#"{"statusCode":200,"statusDescription":"200 OK","headers":{"A":"b"},"body":"","isBase64Encoded":false}"#;
    assert!(check_response(good, Some(false), false).is_ok());
    let big = format!(
        r#"{{"statusCode":200,"statusDescription":"200 OK","headers":{{}},"body":"{}","isBase64Encoded":false}}"#,
        "a".repeat(1_000_000 - 94)
    );
    assert_eq!(big.len(), 1_000_000);
    let alb_502 = "ALB would answer 502";
    // Each bad response, the mode of its request, and why it must be refused: ALB's own 502
    // (local-alb's reply::parse), the project's shape, or this file's stricter checks.
    for (bad, multi, why) in [
        (
            good.replace(r#""body":"""#, r#""body":null"#),
            Some(false),
            alb_502,
        ),
        (
            good.replace(r#""A":"b""#, r#""A":"b\r\nX: y""#),
            Some(false),
            alb_502,
        ),
        (
            good.replace(r#""A":"b""#, r#""A\r\n":"b""#),
            Some(false),
            alb_502,
        ),
        (
            good.replace(r#""A":"b""#, r#""A b":"c""#),
            Some(false),
            alb_502,
        ),
        (
            good.replace(r#""A":"b""#, r#""A":"b\u0000""#),
            Some(false),
            alb_502,
        ),
        (
            good.replace(r#""A":"b""#, r#""A":["b"]"#),
            Some(false),
            alb_502,
        ),
        (
            good.replace(r#""statusCode":200"#, r#""statusCode":100"#)
                .replace("200 OK", "100 Continue"),
            None,
            alb_502,
        ),
        (
            good.replace(r#""body":"""#, r#""body":"%%%""#)
                .replace("false", "true"),
            None,
            alb_502,
        ),
        (big, None, alb_502),
        (
            good.to_string(),
            Some(true),
            "answered in single-value mode",
        ),
        (
            good.replace(r#""A":"b""#, r#""A":["b"]"#)
                .replace("headers", "multiValueHeaders"),
            Some(false),
            "answered in multi-value mode",
        ),
        (good.replace("headers", "multiValueHeaders"), None, alb_502),
        (
            good.replace(r#""A":"b""#, r#""A":[]"#)
                .replace("headers", "multiValueHeaders"),
            None,
            "has no value",
        ),
        (
            good.replace(
                r#""isBase64Encoded":false"#,
                r#""isBase64Encoded":true,"body2":"""#,
            ),
            None,
            "fields, not the five",
        ),
        (
            good.replace(r#","statusDescription":"200 OK""#, ""),
            None,
            "statusDescription",
        ),
        (good.replace("200 OK", "200 "), None, "statusDescription"),
        (
            good.replace(r#""A":"b""#, r#""A":" b""#),
            None,
            "whitespace",
        ),
    ] {
        let err = check_response(&bad, multi, false).expect_err(&bad);
        assert!(
            err.contains(why),
            "{bad}\nwas refused for {err:?}, not {why:?}"
        );
    }
}

// ---- a site at ALB's limits ------------------------------------------------------------------

/// A site planned in memory with files at the 1 MB line: a compressible script only its
/// compressed variants can carry, a binary file just under the line, a script with about 50 KB
/// of `_headers` (as JSON), and a rule that redirects with the request's query.
fn edge_site() -> &'static site_core::site::Site {
    static SITE: OnceLock<site_core::site::Site> = OnceLock::new();
    SITE.get_or_init(|| {
        let script: String = (0..40_000)
            .map(|i| format!("export const v{i} = {};\n", i * 7919 % 10007))
            .collect();
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let near: Vec<u8> = (0..735_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let mut rules = String::from("/heavy.js\n");
        for i in 0..24 {
            rules.push_str(&format!("  X-Quoted-{i}: {}\n", "\"".repeat(1000)));
        }
        site_core::plan::memory::from_files(
            &[
                ("index.html", b"<h1>edge</h1>"),
                ("edge.js", script.as_bytes()),
                ("heavy.js", script.as_bytes()),
                ("near.bin", &near),
                ("_headers", rules.as_bytes()),
                ("_redirects", b"/go/* /edge.js 301\n"),
            ],
            "",
        )
        .expect("the edge site plans")
    })
}

fn edge_request() -> impl Strategy<Value = AlbEvent> {
    (
        any::<bool>(),
        prop::sample::select(vec!["GET", "GET", "GET", "HEAD"]),
        prop::sample::select(vec![
            "/edge.js",
            "/heavy.js",
            "/near.bin",
            "/",
            "/go/x",
            "/edge",
        ]),
        prop::sample::select(vec![
            "",
            "gzip",
            "br",
            "gzip, br",
            "identity",
            "identity;q=0",
        ]),
        prop_oneof![
            3 => Just(String::new()),
            2 => (0u64..1_500_000).prop_map(|n| format!("bytes={n}-")),
            1 => (0u64..1_500_000).prop_map(|n| format!("bytes=-{n}")),
        ],
        query(),
    )
        .prop_map(|(multi_value, method, path, encoding, range, query)| {
            let mut e = AlbEvent::new(method, path).multi_value(multi_value);
            if !encoding.is_empty() {
                e = e.header("accept-encoding", encoding);
            }
            if !range.is_empty() {
                e = e.header("range", &range);
            }
            e.query = query;
            e
        })
}

#[test]
fn a_site_at_albs_limits_answers_every_request_within_them() {
    let site = edge_site();
    fuzz("a site at ALB's limits", 300, edge_request(), |e| {
        let event = e.to_string();
        let response = site_server::handler::handle_site(site, &event);
        let text = serde_json::to_string(&response)
            .map_err(|err| TestCaseError::fail(format!("does not serialize: {err}")))?;
        let r = common::check_response(&text).map_err(|err| {
            TestCaseError::fail(format!("{err}\nevent: {}", &event[..event.len().min(300)]))
        })?;
        prop_assert_eq!(r.get("multiValueHeaders").is_some(), e.multi_value);
        Ok(())
    });
}

/// A response in the shape `door` reads (the test kit's check), with header values free of
/// control characters and nothing leaked.
fn check_door_response(text: &str, door: Front) -> Result<Value, String> {
    let v = door.check(text)?;
    for field in ["headers", "multiValueHeaders"] {
        let Some(Value::Object(map)) = v.get(field) else {
            continue;
        };
        for (name, val) in map {
            let values: Vec<&Value> = match val {
                Value::Array(values) => values.iter().collect(),
                other => vec![other],
            };
            for x in values {
                check_header_value(name, x.as_str().ok_or("a header value is not a string")?)?;
            }
        }
    }
    check_no_leak(&v)?;
    Ok(v)
}

#[test]
fn well_formed_events_of_every_other_front_door_are_answered_safely_in_its_shape() {
    let doors = prop::sample::select(vec![Front::FunctionUrl, Front::RestApi, Front::VpcLattice]);
    fuzz(
        "every front door",
        6000,
        (doors, alb_event()),
        |(door, e)| {
            let json = door.event(&e).to_string();
            let text = serde_json::to_string(&site_server::handler::handle_site(
                site_server::site::embedded().expect("the embedded site"),
                &json,
            ))
            .unwrap();
            let r = check_door_response(&text, door).map_err(|why| {
                TestCaseError::fail(format!("{why}\nevent: {json}\nresponse: {text}"))
            })?;
            let status = r["statusCode"].as_u64().unwrap();
            if e.method != "GET" && e.method != "HEAD" {
                prop_assert!(matches!(status, 400 | 405), "{} got {status}", e.method);
            }
            Ok(())
        },
    );
}

#[test]
fn json_shaped_like_any_front_door_with_broken_fields_gets_a_valid_response() {
    // An ALB-shaped object given another door's markers: whatever its fields hold, the answer
    // is a response some door reads, never a panic.
    let marker = prop::sample::select(vec!["rest-api", "vpc-lattice", "function-url"]);
    fuzz(
        "broken events of every door",
        4000,
        (marker, alb_shaped()),
        |(door, mut event)| {
            if let Some(o) = event.as_object_mut() {
                match door {
                    "rest-api" => {
                        o.insert(
                            "requestContext".into(),
                            json!({"stage": "prod", "path": "/prod/x"}),
                        );
                    }
                    "vpc-lattice" => {
                        o.insert("version".into(), json!("2.0"));
                        o.insert(
                            "requestContext".into(),
                            json!({"serviceNetworkArn": "arn:x"}),
                        );
                    }
                    _ => {
                        o.insert("version".into(), json!("2.0"));
                    }
                }
            }
            let json = event.to_string();
            let text = serde_json::to_string(&site_server::handler::handle_site(
                site_server::site::embedded().expect("the embedded site"),
                &json,
            ))
            .unwrap();
            let shaped = Front::ALL
                .iter()
                .any(|d| check_door_response(&text, *d).is_ok());
            prop_assert!(
                shaped,
                "no front door reads this response\nevent: {json}\nresponse: {text}"
            );
            Ok(())
        },
    );
}
