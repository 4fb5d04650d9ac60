//! Per-file facts derived from the name and bytes: content type, compressibility, cache policy.

use super::config::Config;

/// The `Content-Type` for a site path, with `; charset=utf-8` on text types.
pub fn content_type(path: &str) -> String {
    let ext = extension(path).to_ascii_lowercase();
    // mime_guess has no opinion on these, or an outdated one (application/javascript).
    let forced = match ext.as_str() {
        "js" | "mjs" | "cjs" => Some("text/javascript"),
        "webmanifest" => Some("application/manifest+json"),
        "wasm" => Some("application/wasm"),
        "map" => Some("application/json"),
        "avif" => Some("image/avif"),
        "woff2" => Some("font/woff2"),
        "woff" => Some("font/woff"),
        "md" => Some("text/markdown"),
        _ => None,
    };
    let essence = match forced {
        Some(t) => t.to_string(),
        None => mime_guess::from_path(path)
            .first_raw()
            .unwrap_or("application/octet-stream")
            .to_string(),
    };
    if is_text(&essence) {
        format!("{essence}; charset=utf-8")
    } else {
        essence
    }
}

/// The `Content-Type` for a file, its charset from its bytes: `utf-8` when they are UTF-8 (a BOM
/// allowed), `utf-16le` / `utf-16be` after a UTF-16 BOM, the one an HTML `<meta charset>`, an XML
/// declaration or a CSS `@charset` names, and none otherwise (a browser then sniffs, rather
/// than showing mojibake under a wrong label).
pub fn content_type_for(path: &str, bytes: &[u8]) -> String {
    let labelled = content_type(path);
    let Some(essence) = labelled.strip_suffix("; charset=utf-8") else {
        return labelled;
    };
    match charset(essence, bytes) {
        Some(cs) => format!("{essence}; charset={cs}"),
        None => essence.to_string(),
    }
}

fn charset(essence: &str, bytes: &[u8]) -> Option<String> {
    if bytes.starts_with(&[0xFF, 0xFE]) {
        return Some("utf-16le".into());
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return Some("utf-16be".into());
    }
    if std::str::from_utf8(bytes).is_ok() {
        return Some("utf-8".into());
    }
    // A declaration in the first kilobyte, read as ASCII.
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).to_ascii_lowercase();
    let declared = match essence {
        "text/html" => after(&head, "charset="),
        "text/css" => head
            .strip_prefix("@charset \"")
            .map(|rest| rest.split('"').next().unwrap_or("").to_string()),
        e if e.ends_with("xml") => after(&head, "encoding="),
        _ => None,
    }?;
    let token: String = declared
        .trim_start_matches(['"', '\''])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
        .collect();
    (!token.is_empty() && token != "utf-8" && token != "utf8").then_some(token)
}

fn after(head: &str, key: &str) -> Option<String> {
    head.find(key).map(|i| head[i + key.len()..].to_string())
}

/// Types whose bytes are text, so a UTF-8 body may travel as a plain JSON string.
pub fn is_text(essence: &str) -> bool {
    essence.starts_with("text/")
        || matches!(
            essence,
            "application/json"
                | "application/javascript"
                | "application/xml"
                | "application/manifest+json"
                | "application/ld+json"
                | "application/rss+xml"
                | "application/atom+xml"
                | "application/xhtml+xml"
                | "image/svg+xml"
        )
        || essence.ends_with("+json")
        || essence.ends_with("+xml")
}

/// Worth compressing: text and a few binary formats that are not compressed already.
pub fn is_compressible(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    is_text(essence)
        || matches!(
            essence,
            "application/wasm"
                | "font/ttf"
                | "font/otf"
                | "application/vnd.ms-fontobject"
                | "image/x-icon"
                | "image/vnd.microsoft.icon"
                | "image/bmp"
                | "application/x-font-ttf"
        )
}

/// The file's extension, or "" when it has none.
pub fn extension(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name.rfind('.') {
        Some(0) | None => "",
        Some(i) => &name[i + 1..],
    }
}

/// Whether the file name carries a content hash, so its content never changes under that name
/// and it can be cached for a year (`immutable`).
///
/// A false positive pins a changing file in browsers and CDNs for a year, so only the shapes
/// bundlers write count, each a `.`- or `-`-separated part of the name:
/// - hex of 8 or more digits with at least one letter and one digit: webpack and Parcel
///   (`main.3f9a2c1b.js`, `123.8e0d62a0.chunk.js`), Hugo (`style.min.<sha256>.css`);
/// - exactly 8 characters of base64url or base32 (their default length) with at least one digit
///   and one capital letter: Vite and Rollup (`index-BfK3a9Xz.js`), esbuild (`app-5NZ2CQOX.js`);
/// - anything under Next.js's `/_next/static/`, which it names by content or build id.
///
/// Dates (`data-20240101.json`), camera names (`IMG_20231225_143000.jpg`), versions and words
/// with digits (`report-2024final.pdf`, `logo-v2design.png`, `font-Regular400.woff2`) are not.
pub fn is_fingerprinted(path: &str) -> bool {
    if path.starts_with("/_next/static/") {
        return true;
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = match name.rfind('.') {
        Some(i) if i > 0 => &name[..i],
        _ => return false,
    };
    stem.split(['.', '-']).skip(1).any(|part| {
        let has = |f: fn(&u8) -> bool| part.as_bytes().iter().any(f);
        let hex = part.len() >= 8
            && part.bytes().all(|b| b.is_ascii_hexdigit())
            && has(u8::is_ascii_digit)
            && has(u8::is_ascii_alphabetic);
        let base64 = part.len() == 8
            && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && has(u8::is_ascii_digit)
            && has(u8::is_ascii_uppercase);
        hex || base64
    })
}

/// Which of `[cache]`'s policies a file gets by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheClass {
    /// HTML: revalidated each time (`cache.html`).
    Html,
    /// A fingerprinted name (`app.3f9a2c1b.js`): kept for a year (`cache.immutable`).
    Immutable,
    /// Everything else: a short public lifetime (`cache.default`).
    Default,
}

impl CacheClass {
    pub fn of(path: &str, content_type: &str) -> CacheClass {
        if content_type.starts_with("text/html") {
            CacheClass::Html
        } else if is_fingerprinted(path) {
            CacheClass::Immutable
        } else {
            CacheClass::Default
        }
    }

    /// Its name in `[cache]`.
    pub fn name(self) -> &'static str {
        match self {
            CacheClass::Html => "html",
            CacheClass::Immutable => "immutable",
            CacheClass::Default => "default",
        }
    }
}

/// The default `Cache-Control` for a file: HTML revalidates, fingerprinted files are immutable,
/// the rest gets a short public lifetime.
pub fn cache_control(path: &str, content_type: &str, config: &Config) -> String {
    let cdn = &config.cache.cdn;
    let (policy, shared, swr) = match CacheClass::of(path, content_type) {
        CacheClass::Html => (&config.cache.html, cdn.html, cdn.stale_while_revalidate),
        CacheClass::Immutable => (&config.cache.immutable, cdn.immutable, 0),
        CacheClass::Default => (&config.cache.default, cdn.default, 0),
    };
    // A CDN in front (CloudFront) keeps a response for `s-maxage` whatever the browser's
    // policy says, and may serve a stale page while it revalidates.
    let mut out = policy.clone();
    if shared > 0 {
        out.push_str(&format!(", s-maxage={shared}"));
        if swr > 0 {
            out.push_str(&format!(", stale-while-revalidate={swr}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdn_settings_add_s_maxage_per_class_and_stale_while_revalidate_to_pages() {
        let config = Config::parse(
            "[cache.cdn]\nhtml = 60\nstale_while_revalidate = 600\nimmutable = 31536000",
        )
        .unwrap();
        assert_eq!(
            cache_control("/a.html", "text/html; charset=utf-8", &config),
            "no-cache, s-maxage=60, stale-while-revalidate=600"
        );
        assert_eq!(
            cache_control("/app.3f9a2c1b.js", "text/javascript", &config),
            "public, max-age=31536000, immutable, s-maxage=31536000"
        );
        assert_eq!(
            cache_control("/a.png", "image/png", &config),
            "public, max-age=3600"
        );
        assert_eq!(
            cache_control("/a.html", "text/html", &Config::default()),
            "no-cache"
        );
    }

    #[test]
    fn bundler_hashes_are_fingerprints() {
        for name in [
            "/assets/app.3f9a2c1b.js",                 // webpack [contenthash:8]
            "/static/js/main.3f9a2c1b.chunk.js",       // create-react-app
            "/static/js/123.8e0d62a0.chunk.js",        // webpack chunk
            "/assets/index-BfK3a9Xz.js",               // Vite
            "/assets/vendor-C_9dK2pQ.js",              // Vite, '_' in the hash
            "/app-5NZ2CQOX.js",                        // esbuild
            "/index.a1b2c3d4.css",                     // Parcel
            "/css/chunk-5f2e9a11.css",                 // hex with a dash
            "/_next/static/chunks/pages/index-abc.js", // Next.js
            "/_next/static/css/9c4d2e0e1f3a5b7c.css",  // Next.js
            "/css/style.min.5d6a1f0a8e2c3b4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5.css", // Hugo
        ] {
            assert!(is_fingerprinted(name), "{name}");
        }
    }

    #[test]
    fn dates_versions_camera_names_and_words_are_not_fingerprints() {
        for name in [
            "/data-20240101.json",
            "/photo_2023june.jpg",
            "/report-2024final.pdf",
            "/IMG_20231225_143000.jpg",
            "/team_photo2019.jpg",
            "/logo-v2design.png",
            "/logo.png",
            "/app.js",
            "/jquery-3.7.1.min.js",
            "/bootstrap-5.3.3.min.css",
            "/index.html",
            "/.well-known/security.txt",
            "/deadbeef",
            "/styles.abcdefgh.css",
            "/release-20241130.tar.gz",
            "/backup-2024-01-01.zip",
            "/font-Regular400.woff2",
        ] {
            assert!(!is_fingerprinted(name), "{name}");
        }
    }

    #[test]
    fn html_revalidates_fingerprints_are_immutable_the_rest_is_short_lived() {
        let config = Config::default();
        let policy = |p: &str| cache_control(p, &content_type(p), &config);
        assert_eq!(policy("/index.html"), "no-cache");
        assert_eq!(
            policy("/a.3f9a2c1b.js"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(policy("/logo.png"), "public, max-age=3600");
    }

    #[test]
    fn text_types_carry_utf8_and_scripts_are_text_javascript() {
        assert_eq!(content_type("/a.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("/a.svg"), "image/svg+xml; charset=utf-8");
    }

    #[test]
    fn utf8_text_keeps_its_charset_and_other_text_is_not_labelled_utf8() {
        assert_eq!(
            content_type_for("/a.txt", "café".as_bytes()),
            "text/plain; charset=utf-8"
        );
        assert_eq!(
            content_type_for("/a.txt", b"\xEF\xBB\xBFbom"),
            "text/plain; charset=utf-8"
        );
        // Latin-1 / Windows-1252 bytes with nothing declared: no charset at all.
        assert_eq!(
            content_type_for("/a.txt", b"Caf\xe9 cr\xe8me"),
            "text/plain"
        );
        assert_eq!(
            content_type_for("/a.txt", b"\x93quoted\x94 \x80"),
            "text/plain"
        );
        assert_eq!(
            content_type_for("/a.txt", b"\xFF\xFEh\x00i\x00"),
            "text/plain; charset=utf-16le"
        );
        assert_eq!(
            content_type_for("/a.txt", b"\xFE\xFF\x00h\x00i"),
            "text/plain; charset=utf-16be"
        );
    }

    #[test]
    fn a_declared_charset_is_used_when_the_bytes_are_not_utf8() {
        assert_eq!(
            content_type_for(
                "/a.html",
                b"<html><head><meta charset=\"windows-1252\"></head>Caf\xe9"
            ),
            "text/html; charset=windows-1252"
        );
        assert_eq!(
            content_type_for(
                "/a.html",
                b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=ISO-8859-1\">\xe9"
            ),
            "text/html; charset=iso-8859-1"
        );
        assert_eq!(
            content_type_for("/a.css", b"@charset \"iso-8859-15\";\nb{content:'\xa4'}"),
            "text/css; charset=iso-8859-15"
        );
        // A page that claims UTF-8 but is not: no label rather than a wrong one.
        assert_eq!(
            content_type_for("/a.html", b"<meta charset=utf-8>\xe9"),
            "text/html"
        );
        assert_eq!(content_type_for("/a.png", b"\x89PNG\xff"), "image/png");
        assert_eq!(content_type("/a.woff2"), "font/woff2");
        assert_eq!(content_type("/LICENSE"), "application/octet-stream");
        assert!(is_compressible("application/wasm") && !is_compressible("image/png"));
    }
}
