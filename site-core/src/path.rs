//! Turns ALB's still-encoded `path` into the decoded path the route table is keyed by, or says
//! why it is not a path of this site. Decoding happens exactly once, so `%252e` stays `%2e`.

use std::borrow::Cow;

/// Longest path accepted; ALB itself limits the request line to 16 KB.
pub const MAX_PATH: usize = 8 * 1024;

/// Why a request path was refused.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum PathError {
    /// Longer than [`MAX_PATH`] (414).
    TooLong,
    /// Not a valid site path (400); the reason is for the client.
    Invalid(&'static str),
}

/// Percent-decodes `raw` once and checks it: it must start with '/', decode to UTF-8, and have
/// no NUL or control character, no backslash, no encoded '/', and no `.` or `..` segment.
pub fn decode(raw: &str) -> Result<Cow<'_, str>, PathError> {
    if raw.len() > MAX_PATH {
        return Err(PathError::TooLong);
    }
    if !raw.starts_with('/') {
        return Err(PathError::Invalid("the path must start with '/'"));
    }
    let bytes = raw.as_bytes();
    let decoded: Cow<'_, [u8]> = if bytes.contains(&b'%') {
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                let hex = |b: u8| (b as char).to_digit(16);
                match (
                    bytes.get(i + 1).and_then(|&b| hex(b)),
                    bytes.get(i + 2).and_then(|&b| hex(b)),
                ) {
                    (Some(h), Some(l)) => {
                        let b = (h * 16 + l) as u8;
                        if b == b'/' {
                            return Err(PathError::Invalid(
                                "an encoded '/' (%2F) is not allowed in a path",
                            ));
                        }
                        out.push(b);
                        i += 3;
                    }
                    _ => return Err(PathError::Invalid("malformed percent-encoding")),
                }
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        Cow::Owned(out)
    } else {
        Cow::Borrowed(bytes)
    };
    for &b in decoded.iter() {
        if b < 0x20 || b == 0x7f {
            return Err(PathError::Invalid(
                "control characters are not allowed in a path",
            ));
        }
        if b == b'\\' {
            return Err(PathError::Invalid("backslashes are not allowed in a path"));
        }
    }
    let text: Cow<'_, str> = match decoded {
        Cow::Borrowed(b) => Cow::Borrowed(
            std::str::from_utf8(b)
                .map_err(|_| PathError::Invalid("the path is not valid UTF-8"))?,
        ),
        Cow::Owned(v) => Cow::Owned(
            String::from_utf8(v)
                .map_err(|_| PathError::Invalid("the path is not valid UTF-8 once decoded"))?,
        ),
    };
    if text.split('/').any(|s| s == "." || s == "..") {
        return Err(PathError::Invalid(
            "'.' and '..' segments are not allowed in a path",
        ));
    }
    Ok(text)
}

/// The last segment has no extension (`/app/settings`, not `/app.js`): a route, not an asset.
pub fn is_extensionless(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or("");
    !last.contains('.')
}

/// The last segment has an extension other than `.html`/`.htm` (`/app.js`, `/logo.png`): a
/// missing one is an asset, not a page.
pub fn is_asset(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or("");
    match last.rfind('.') {
        Some(i) if i > 0 => {
            let ext = &last[i + 1..];
            !(ext.eq_ignore_ascii_case("html") || ext.eq_ignore_ascii_case("htm"))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_are_paths_with_a_non_html_extension() {
        assert!(is_asset("/app.3f9a2c1b.js"));
        assert!(is_asset("/img/logo.PNG"));
        assert!(!is_asset("/about"));
        assert!(!is_asset("/about.html"));
        assert!(!is_asset("/blog/"));
        assert!(!is_asset("/.well-known"));
    }

    #[test]
    fn plain_path_is_borrowed_unchanged() {
        assert!(matches!(
            decode("/a/b.html"),
            Ok(Cow::Borrowed("/a/b.html"))
        ));
    }

    #[test]
    fn percent_escapes_decode_once() {
        assert_eq!(decode("/a%20b/%E2%9C%93").unwrap(), "/a b/✓");
        assert_eq!(decode("/%252e%252e/x").unwrap(), "/%2e%2e/x");
    }

    #[test]
    fn dot_segments_are_refused_in_every_spelling() {
        for p in [
            "/../etc/passwd",
            "/a/../../b",
            "/%2e%2e/x",
            "/%2E%2e/x",
            "/a/./b",
            "/..",
        ] {
            assert!(matches!(decode(p), Err(PathError::Invalid(_))), "{p}");
        }
    }

    #[test]
    fn encoded_slash_and_backslash_are_refused() {
        for p in ["/a%2fb", "/a%2Fb", "/a\\b", "/a%5cb", "/..%5c..%5cwin.ini"] {
            assert!(matches!(decode(p), Err(PathError::Invalid(_))), "{p}");
        }
    }

    #[test]
    fn nul_and_control_characters_are_refused() {
        for p in ["/a%00.html", "/a%0d%0aSet-Cookie:x", "/a\u{1}", "/%7f"] {
            assert!(matches!(decode(p), Err(PathError::Invalid(_))), "{p}");
        }
    }

    #[test]
    fn overlong_utf8_and_invalid_utf8_are_refused() {
        for p in ["/%c0%ae%c0%ae/x", "/%ff", "/%e2%9c"] {
            assert!(matches!(decode(p), Err(PathError::Invalid(_))), "{p}");
        }
    }

    #[test]
    fn malformed_escapes_are_refused() {
        for p in ["/%", "/%g0", "/a%2"] {
            assert!(matches!(decode(p), Err(PathError::Invalid(_))), "{p}");
        }
    }

    #[test]
    fn relative_and_overlong_paths_are_refused() {
        assert!(matches!(decode("a.html"), Err(PathError::Invalid(_))));
        assert!(matches!(decode(""), Err(PathError::Invalid(_))));
        assert_eq!(
            decode(&format!("/{}", "a".repeat(MAX_PATH))),
            Err(PathError::TooLong)
        );
    }
}
