//! The headers one file is served with: the defaults (content type, cache policy, security
//! headers, HSTS) with the `_headers` rules that match any of its URLs applied in file order,
//! and the size of the largest header block it can be sent with.

use std::path::Path;

use super::config::Config;
use super::error::PlanError;
use crate::rules::{apply, HeaderRule, HeaderSet, HstsInRule};

/// A file's headers after `_headers`.
pub type FileHeaders = HeaderSet;

/// Applies the `_headers` rules matching any of `urls` to the defaults ([`apply::apply`]).
/// `headers_file` names `_headers` in errors.
pub fn resolve(
    defaults: FileHeaders,
    urls: &[String],
    rules: &[HeaderRule],
    headers_file: &Path,
) -> Result<FileHeaders, PlanError> {
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    apply::apply(defaults, &urls, rules).map_err(|HstsInRule { line }| {
        PlanError::at_line(
            headers_file,
            line,
            "set HSTS with security.hsts in the settings file (it is sent only over https)",
        )
    })
}

/// The JSON size of the largest header block a full response of this file can carry.
pub fn max_block_len(h: &FileHeaders, config: &Config) -> u64 {
    apply::max_block_len(h, &config.security.hsts)
}

/// Headers a response adds to a file's own, at their longest, in `Name: value\r\n` bytes:
/// ETag, Vary, Content-Encoding, Accept-Ranges and Content-Range.
const ADDED_PER_RESPONSE: u64 = 40 + 21 + 26 + 21 + 50;

/// The size of the largest header block (`Name: value` lines, as ALB counts it) a response of
/// this file can carry.
pub fn max_http_block_len(h: &FileHeaders, config: &Config) -> u64 {
    let pair = |n: &str, v: &str| (n.len() + v.len() + 4) as u64;
    let own: u64 = h.headers.iter().map(|(n, v)| pair(n, v)).sum();
    own + pair("Content-Type", &h.content_type)
        + pair("Cache-Control", &h.cache_control)
        + pair("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT")
        + pair("Strict-Transport-Security", &config.security.hsts)
        + ADDED_PER_RESPONSE
}

/// Refuses a file whose headers ALB would refuse to send (a header block over 32 KB).
pub fn check_block(
    site_path: &str,
    h: &FileHeaders,
    config: &Config,
    headers_file: &Path,
) -> Result<(), PlanError> {
    let len = max_http_block_len(h, config);
    if len > crate::limits::ALB_HEADER_BLOCK_LIMIT {
        return Err(PlanError::at(
            headers_file,
            format!(
                "{site_path} would be sent with {len} bytes of headers; ALB refuses a header block over {} bytes (answering 502), so its _headers rules must set less",
                crate::limits::ALB_HEADER_BLOCK_LIMIT
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::parse_headers;

    fn defaults() -> FileHeaders {
        FileHeaders {
            content_type: "text/html; charset=utf-8".into(),
            cache_control: "no-cache".into(),
            headers: Config::default().security_headers(),
            hsts: true,
        }
    }

    fn apply(rules: &str, urls: &[&str]) -> Result<FileHeaders, PlanError> {
        let urls: Vec<String> = urls.iter().map(|u| u.to_string()).collect();
        resolve(
            defaults(),
            &urls,
            &parse_headers(rules).unwrap(),
            Path::new("_headers"),
        )
    }

    fn value<'a>(h: &'a FileHeaders, name: &str) -> Vec<&'a str> {
        h.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    #[test]
    fn a_rule_replaces_a_default_and_a_second_rule_joins_it() {
        let h = apply(
            "/*\n  X-Frame-Options: DENY\n  X-A: 1\n/about\n  X-A: 2\n",
            &["/about"],
        )
        .unwrap();
        assert_eq!(value(&h, "X-Frame-Options"), ["DENY"]);
        assert_eq!(value(&h, "X-A"), ["1, 2"]);
    }

    #[test]
    fn set_cookie_lines_stay_separate() {
        let h = apply("/*\n  Set-Cookie: a=1\n  Set-Cookie: b=2\n", &["/"]).unwrap();
        assert_eq!(value(&h, "Set-Cookie"), ["a=1", "b=2"]);
    }

    #[test]
    fn detach_removes_defaults_cache_control_and_hsts() {
        let h = apply(
            "/*\n  ! X-Frame-Options\n  ! Cache-Control\n  ! Strict-Transport-Security\n",
            &["/"],
        )
        .unwrap();
        assert!(value(&h, "X-Frame-Options").is_empty());
        assert_eq!(h.cache_control, "");
        assert!(!h.hsts);
    }

    #[test]
    fn a_rule_matching_any_url_of_the_file_applies() {
        let h = apply("/about.html\n  X-A: 1\n", &["/about", "/about.html"]).unwrap();
        assert_eq!(value(&h, "X-A"), ["1"]);
        let h = apply("/other\n  X-A: 1\n", &["/about", "/about.html"]).unwrap();
        assert!(value(&h, "X-A").is_empty());
    }

    #[test]
    fn content_type_and_cache_control_rules_replace_the_computed_ones() {
        let h = apply(
            "/*\n  Content-Type: text/plain\n  Cache-Control: max-age=5\n",
            &["/"],
        )
        .unwrap();
        assert_eq!(
            (h.content_type.as_str(), h.cache_control.as_str()),
            ("text/plain", "max-age=5")
        );
    }

    #[test]
    fn headers_over_alb_s_32_kb_are_refused_naming_the_file() {
        let big = format!("/*\n  X-Big: {}\n", "a".repeat(33_000));
        let h = apply(&big, &["/"]).unwrap();
        let e = check_block("/index.html", &h, &Config::default(), Path::new("_headers"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("_headers: /index.html would be sent with"),
            "{e}"
        );
        let fine = apply("/*\n  X-Small: b\n", &["/"]).unwrap();
        assert!(check_block(
            "/index.html",
            &fine,
            &Config::default(),
            Path::new("_headers")
        )
        .is_ok());
    }

    #[test]
    fn the_header_block_size_counts_every_header_as_json() {
        let h = FileHeaders {
            content_type: "a".into(),
            cache_control: "b".into(),
            headers: vec![("X".into(), "\"q\"".into())],
            hsts: false,
        };
        let config = Config::default();
        // "X":"\"q\"" -> 3 + 7 + 4 (quotes are escaped); the four fixed pairs as JSON.
        let fixed = (14 + 3 + 4) + (15 + 3 + 4) + (15 + 31 + 4) + (27 + 2 + 4);
        assert_eq!(max_block_len(&h, &config), 14 + fixed);
    }
}
