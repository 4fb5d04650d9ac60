//! Attacks on the function, one named test each, through `handler::handle` and the sample site.
//! Every response is checked to be valid ALB JSON, to carry no protected bytes (site dotfiles
//! and config, the crate's own files) and to have no header that a request could split.

mod common;

use common::*;
use serde_json::{json, Value};

/// Files whose bytes must never reach a client.
const PROTECTED: &[&str] = &[
    "site/.env",
    "site/_headers",
    "site/_redirects",
    "Cargo.toml",
    "Cargo.lock",
    "build.rs",
    "src/main.rs",
    "src/resolve.rs",
    "site-core/src/path.rs",
    "/etc/passwd",
];

/// Every protected file's bytes; one that cannot be read fails the test rather than silently
/// checking less.
fn protected_bytes() -> Vec<(&'static str, Vec<u8>)> {
    PROTECTED
        .iter()
        .map(|p| {
            let path = if p.starts_with('/') {
                p.to_string()
            } else {
                format!("{}/{p}", env!("CARGO_MANIFEST_DIR"))
            };
            let bytes = std::fs::read(&path)
                .unwrap_or_else(|e| panic!("protected file {path} cannot be read: {e}"));
            (*p, bytes)
        })
        .collect()
}

/// No protected file (or the distinctive start of one) in the body the client gets, and no
/// response header a request could have split (CR, LF, NUL or another control character).
fn assert_safe(r: &Value, what: &str) {
    let body = decoded_body(r);
    for (name, bytes) in protected_bytes() {
        assert_ne!(body, bytes, "{what}: the body is {name}");
        let probe = &bytes[..bytes.len().min(48)];
        assert!(
            !body.windows(probe.len()).any(|w| w == probe),
            "{what}: the body contains the start of {name}"
        );
    }
    let headers = r
        .get("headers")
        .or_else(|| r.get("multiValueHeaders"))
        .and_then(Value::as_object)
        .unwrap();
    for (name, v) in headers {
        assert!(
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b)),
            "{what}: header name {name:?} is not a token"
        );
        let values: Vec<&str> = match v {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().map(|x| x.as_str().unwrap()).collect(),
            _ => panic!("{what}: header {name} is not a string"),
        };
        for v in values {
            assert!(
                !v.chars().any(|c| (c < ' ' && c != '\t') || c == '\u{7f}'),
                "{what}: header {name} has a control character: {v:?}"
            );
        }
    }
}

/// GET `path` in both header modes; asserts `status` and safety; returns the single-value one.
fn attack(path: &str, expected: u64) -> Value {
    let mut first = None;
    for e in [event("GET", path, &[]), event_multi("GET", path, &[])] {
        let r = call(&e);
        assert_eq!(status(&r), expected, "{path:?}: {r}");
        assert_safe(&r, path);
        first.get_or_insert(r);
    }
    first.unwrap()
}

fn attack_all(paths: &[&str], expected: u64) {
    for p in paths {
        attack(p, expected);
    }
}

// ---- directory traversal ---------------------------------------------------------------------

#[test]
fn raw_dot_dot_segments_are_refused() {
    attack_all(
        &[
            "/..",
            "/../",
            "/../Cargo.toml",
            "/../../../../etc/passwd",
            "/css/../../build.rs",
            "/css/..",
            "/./.env",
            "/.well-known/../.env",
            "/../site/.env",
        ],
        400,
    );
}

#[test]
fn percent_encoded_dot_dot_is_refused() {
    attack_all(
        &[
            "/%2e%2e/Cargo.toml",
            "/%2E%2E/Cargo.toml",
            "/%2e%2E/%2e%2e/etc/passwd",
            "/css/%2e%2e/%2e%2e/build.rs",
            "/%2e/.env",
            "/.well-known/%2e%2e/.env",
        ],
        400,
    );
}

#[test]
fn mixed_raw_and_encoded_dot_dot_is_refused() {
    attack_all(
        &[
            "/.%2e/Cargo.toml",
            "/%2e./Cargo.toml",
            "/css/.%2E/../build.rs",
            "/css/%2e./%2e%2e/Cargo.toml",
            "/%2e%2e/../.env",
        ],
        400,
    );
}

#[test]
fn double_encoded_dot_dot_is_decoded_once_and_not_found() {
    // %252e decodes once to the literal text "%2e": a file name, not a parent directory.
    for p in [
        "/%252e%252e/Cargo.toml",
        "/css/%252e%252e/%252e%252e/build.rs",
        "/%252e%252e%252fCargo.toml",
        "/%25252e%25252e/Cargo.toml",
    ] {
        let r = attack(p, 404);
        assert!(header(&r, "location").is_none(), "{p}");
    }
}

#[test]
fn overlong_utf8_dot_and_slash_are_refused() {
    // Overlong encodings of '.' (C0 AE, E0 80 AE, F0 80 80 AE) and '/' (C0 AF) are invalid UTF-8.
    attack_all(
        &[
            "/%c0%ae%c0%ae/Cargo.toml",
            "/%C0%AE%C0%AE/Cargo.toml",
            "/%e0%80%ae%e0%80%ae/Cargo.toml",
            "/%f0%80%80%ae%f0%80%80%ae/Cargo.toml",
            "/..%c0%afCargo.toml",
            "/%c0%ae./Cargo.toml",
        ],
        400,
    );
}

#[test]
fn backslash_traversal_is_refused() {
    attack_all(
        &[
            "/..\\Cargo.toml",
            "/css\\..\\..\\build.rs",
            "/..%5cCargo.toml",
            "/..%5C..%5Cetc%5Cpasswd",
            "/%2e%2e%5cCargo.toml",
            "/\\evil.example",
            "/css%5c..%5c.env",
        ],
        400,
    );
}

#[test]
fn nul_byte_is_refused_raw_and_encoded() {
    attack_all(
        &[
            "/index.html%00.png",
            "/.env%00",
            "/%00",
            "/index.html\u{0}.png",
            "/robots.txt\u{0}",
        ],
        400,
    );
}

#[test]
fn encoded_slash_is_refused() {
    attack_all(
        &[
            "/css%2fsite.css",
            "/css%2Fsite.css",
            "/..%2fCargo.toml",
            "/%2e%2e%2fCargo.toml",
            "/%2f%2fevil.example",
            "/news/%2f%2fevil.example",
        ],
        400,
    );
}

#[test]
fn very_long_paths_get_414_and_a_small_response() {
    let limit = site_server::path::MAX_PATH;
    // At the limit the path is still looked up (and not found); one byte over is a 414.
    attack(&format!("/{}", "a".repeat(limit - 1)), 404);
    attack(&format!("/{}", "a".repeat(limit)), 414);
    for p in [
        format!("/{}", "../".repeat(20_000)),
        format!("/{}", "%2e%2e/".repeat(20_000)),
        format!("/{}", "a/".repeat(500_000)),
    ] {
        let r = attack(&p, 414);
        assert!(r.to_string().len() < 4096, "the 414 does not echo the path");
    }
}

#[test]
fn control_characters_are_refused_raw_and_encoded() {
    for b in (0u8..0x20).chain([0x7f]) {
        attack(&format!("/index.html%{b:02x}"), 400);
        attack(&format!("/index.html%{b:02X}x"), 400);
        attack(&format!("/index{}html", b as char), 400);
    }
    attack("/a%0d%0aSet-Cookie:%20x=1", 400);
    attack("/a\r\nSet-Cookie: x=1", 400);
}

#[test]
fn invalid_utf8_after_decoding_is_refused() {
    attack_all(
        &[
            "/%ff",
            "/%fe%ff",
            "/%c3",
            "/%c3%28",
            "/%e2%9c",
            "/%ed%a0%80",
            "/%f4%90%80%80",
            "/%80",
            "/index.html%ff",
        ],
        400,
    );
}

#[test]
fn encoded_non_ascii_that_is_valid_utf8_is_looked_up_not_refused() {
    attack_all(
        &["/%c3%a9t%c3%a9", "/%e2%9c%93", "/\u{202e}lmth.xedni"],
        404,
    );
}

// ---- dotfiles and config files ---------------------------------------------------------------

#[test]
fn dotfiles_and_site_config_are_not_found_in_any_spelling() {
    attack_all(
        &[
            "/.env",
            "/.ENV",
            "/%2eenv",
            "/%2Eenv",
            "/.env/",
            "/.env.html",
            "/.env?x",
            "/_headers",
            "/%5fheaders",
            "/_redirects",
            "/_redirects/",
            "/.git/config",
            "/.well-known/.env",
            "/Cargo.toml",
            "/build.rs",
            "/src/main.rs",
            "/site/.env",
        ],
        404,
    );
}

#[test]
fn dotfiles_are_not_served_as_ranges_or_with_any_encoding() {
    for (k, v) in [
        ("range", "bytes=0-10"),
        ("accept-encoding", "gzip"),
        ("accept-encoding", "br"),
        ("accept-encoding", "identity;q=0, *;q=0"),
        ("if-none-match", "*"),
    ] {
        for p in ["/.env", "/_headers", "/_redirects"] {
            let r = call(&event("GET", p, &[(k, v)]));
            assert_eq!(status(&r), 404, "{p} {k}: {v}");
            assert_safe(&r, p);
        }
    }
}

#[test]
fn rewrites_and_redirect_rules_never_reach_a_dotfile() {
    for p in [
        "/news/.env",
        "/news/..%2f.env",
        "/posts/.env",
        "/posts/%2e%2e",
        "/old-home/../.env",
        "/home/.env",
    ] {
        let r = call(&event("GET", p, &[]));
        assert!(matches!(status(&r), 302 | 308 | 301 | 400 | 404), "{p}");
        assert_safe(&r, p);
        if let Some(loc) = header(&r, "location") {
            assert!(!loc.contains("/.."), "{p} -> {loc}");
        }
    }
}

// ---- redirects off the site -------------------------------------------------------------------

#[test]
fn protocol_relative_paths_never_redirect_off_site() {
    for p in [
        "//evil.example",
        "//evil.example/",
        "//evil.example/%2e%2e",
        "///evil.example",
        "//evil.example/blog",
        "/\\/evil.example",
        "/%5c%5cevil.example",
        "/news//evil.example",
        "/news/\\evil.example",
        "/posts//evil.example",
        "/home//evil.example",
        "//docs/guide",
        "//blog",
    ] {
        for e in [event("GET", p, &[]), event_multi("GET", p, &[])] {
            let r = call(&e);
            assert_safe(&r, p);
            if let Some(loc) = header(&r, "location") {
                assert!(
                    loc.starts_with('/') && !loc.starts_with("//") && !loc.starts_with("/\\"),
                    "{p} redirects to {loc}"
                );
            }
        }
    }
}

#[test]
fn query_string_cannot_turn_a_redirect_into_an_open_redirect() {
    let mut e = event("GET", "/docs/guide", &[]);
    e["queryStringParameters"] = json!({"next": "//evil.example", "@evil.example": ""});
    let r = call(&e);
    assert_eq!(status(&r), 308);
    let loc = header(&r, "location").unwrap();
    assert!(loc.starts_with("/docs/guide/?"), "{loc}");
}

// ---- header injection --------------------------------------------------------------------------

#[test]
fn query_string_cannot_inject_crlf_into_location() {
    // Paths that redirect (folder slash, .html clean URL, _redirects rules) carry the query
    // into Location. A CR, LF or NUL there splits the response or makes ALB answer 502.
    for path in ["/docs/guide", "/about.html", "/home", "/news/x", "/blog"] {
        for (k, v) in [
            ("a", "x\r\nSet-Cookie: pwned=1"),
            ("x\r\nSet-Cookie: pwned=1", ""),
            ("a", "b\nLocation: //evil.example"),
            ("a", "\u{0}"),
        ] {
            let mut e = event("GET", path, &[]);
            e["queryStringParameters"] = json!({ k: v });
            let r = call(&e);
            assert_safe(&r, &format!("{path} ?{k:?}={v:?}"));
            let mut e = event_multi("GET", path, &[]);
            e["multiValueQueryStringParameters"] = json!({ k: [v] });
            let r = call(&e);
            assert_safe(&r, &format!("{path} (multi) ?{k:?}={v:?}"));
        }
    }
}

#[test]
fn request_header_values_with_crlf_are_never_reflected() {
    let nasty = "x\r\nSet-Cookie: pwned=1\r\n\r\n<script>";
    for name in [
        "accept-encoding",
        "if-none-match",
        "if-match",
        "if-modified-since",
        "if-unmodified-since",
        "range",
        "if-range",
        "accept",
        "host",
        "x-forwarded-proto",
        "x-forwarded-host",
        "cookie",
    ] {
        for path in [
            "/",
            "/robots.txt",
            "/docs/guide",
            "/home",
            "/nope",
            "/health",
        ] {
            for e in [
                event("GET", path, &[(name, nasty)]),
                event_multi("GET", path, &[(name, nasty), (name, "\u{0}")]),
            ] {
                let r = call(&e);
                assert_safe(&r, &format!("{path} {name}"));
                assert!(!r.to_string().contains("pwned"), "{path} {name}: {r}");
            }
        }
    }
}

#[test]
fn cors_and_login_request_headers_with_crlf_are_never_reflected() {
    // On a path whose `_headers` allow CORS, as a request and as a preflight (which answers
    // with CORS headers of its own), and on a page.
    let nasty = "x\r\nSet-Cookie: pwned=1\r\n\r\n<script>";
    for name in [
        "origin",
        "access-control-request-method",
        "access-control-request-headers",
        "x-amzn-oidc-data",
        "x-amzn-oidc-identity",
        "x-amzn-oidc-accesstoken",
    ] {
        for path in ["/assets/app.3f9a2c1b.js", "/"] {
            for (method, also) in [
                ("GET", vec![]),
                (
                    "OPTIONS",
                    vec![
                        ("origin", "https://other.example"),
                        ("access-control-request-method", "GET"),
                    ],
                ),
            ] {
                let mut headers: Vec<(&str, &str)> =
                    also.into_iter().filter(|(n, _)| *n != name).collect();
                headers.push((name, nasty));
                for e in [
                    event(method, path, &headers),
                    event_multi(method, path, &headers),
                ] {
                    let r = call(&e);
                    assert_safe(&r, &format!("{method} {path} {name}"));
                    assert!(
                        !r.to_string().contains("pwned"),
                        "{method} {path} {name}: {r}"
                    );
                }
            }
        }
    }
}

#[test]
fn request_header_names_with_crlf_are_never_reflected() {
    for name in [
        "x\r\nSet-Cookie: pwned=1",
        "accept-encoding\r\nx",
        "\u{0}",
        "",
        "range\n",
    ] {
        for e in [
            event("GET", "/", &[(name, "gzip")]),
            event_multi("GET", "/docs/guide", &[(name, "bytes=0-1")]),
        ] {
            let r = call(&e);
            assert_safe(&r, name);
            assert!(!r.to_string().contains("pwned"));
        }
    }
}

#[test]
fn method_with_crlf_gets_405_and_is_not_reflected() {
    for m in ["GET\r\nX: y", "G\u{0}ET", "get", "TRACE", "CONNECT", ""] {
        let r = call(&event(m, "/", &[]));
        assert_eq!(status(&r), 405, "{m:?}");
        assert_eq!(header(&r, "allow"), Some("GET, HEAD"));
        assert_safe(&r, m);
    }
}
