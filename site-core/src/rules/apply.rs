//! `_headers` rules applied to a file's default headers. One function for both times it happens:
//! at build time, for the URLs a file is served at; at run time, for the URL a `_redirects`
//! rewrite or the single-page-app fallback serves it at (the rules follow the URL asked for,
//! as Cloudflare Pages matches them against the incoming request).

use super::grammar::{HeaderOp, HeaderRule};
use super::pattern::match_pattern;

/// A response's file headers: its type, cache policy, the others in order, and HSTS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderSet {
    pub content_type: String,
    /// Empty when `! Cache-Control` removed it.
    pub cache_control: String,
    /// Security defaults and `_headers` additions, in order.
    pub headers: Vec<(String, String)>,
    /// HSTS goes out over https (configured, and not detached).
    pub hsts: bool,
}

/// A rule set `Strict-Transport-Security`, which only `security.hsts` may (it is sent only
/// over https); the planner refuses it, so a site's rules never do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HstsInRule {
    /// The rule's line in `_headers`.
    pub line: usize,
}

/// Applies the rules matching any of `urls` to `defaults`, in file order. A rule replaces a
/// default header; two rules join their values (as Cloudflare does); Set-Cookie lines stay
/// separate; `! Name` detaches.
pub fn apply(
    defaults: HeaderSet,
    urls: &[&str],
    rules: &[HeaderRule],
) -> Result<HeaderSet, HstsInRule> {
    let HeaderSet {
        mut content_type,
        mut cache_control,
        mut headers,
        mut hsts,
    } = defaults;
    let mut from_rule = vec![false; headers.len()];
    for rule in rules {
        if !urls
            .iter()
            .any(|u| match_pattern(&rule.pattern, u).is_some())
        {
            continue;
        }
        for op in rule.ops.iter() {
            match op {
                HeaderOp::Set(name, value) => {
                    let lower = name.to_ascii_lowercase();
                    if lower == "content-type" {
                        content_type = value.to_string();
                    } else if lower == "cache-control" {
                        cache_control = value.to_string();
                    } else if lower == "strict-transport-security" {
                        return Err(HstsInRule { line: rule.line });
                    } else if lower == "set-cookie" {
                        headers.push((name.to_string(), value.to_string()));
                        from_rule.push(true);
                    } else if let Some(k) = headers
                        .iter()
                        .position(|(n, _)| n.eq_ignore_ascii_case(name))
                    {
                        if from_rule[k] {
                            headers[k].1 = format!("{}, {value}", headers[k].1);
                        } else {
                            headers[k] = (name.to_string(), value.to_string());
                            from_rule[k] = true;
                        }
                    } else {
                        headers.push((name.to_string(), value.to_string()));
                        from_rule.push(true);
                    }
                }
                HeaderOp::Detach(name) => {
                    let lower = name.to_ascii_lowercase();
                    if lower == "strict-transport-security" {
                        hsts = false;
                    } else if lower == "cache-control" {
                        cache_control.clear();
                    } else {
                        let mut k = 0;
                        while k < headers.len() {
                            if headers[k].0.eq_ignore_ascii_case(name) {
                                headers.remove(k);
                                from_rule.remove(k);
                            } else {
                                k += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(HeaderSet {
        content_type,
        cache_control,
        headers,
        hsts,
    })
}

/// The JSON size of the largest header block a full response with these headers can carry:
/// them plus what every full response adds (an HTTP-date is always 29 characters; `hsts` is
/// the configured HSTS value).
pub fn max_block_len(h: &HeaderSet, hsts: &str) -> u64 {
    let pair = |n: &str, v: &str| json_string_len(n) + json_string_len(v) + 4;
    let mut len: u64 = h.headers.iter().map(|(n, v)| pair(n, v)).sum();
    for (n, v) in [
        ("Content-Type", h.content_type.as_str()),
        ("Cache-Control", h.cache_control.as_str()),
        ("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT"),
        ("Strict-Transport-Security", hsts),
    ] {
        len += pair(n, v);
    }
    len
}

/// Length of `s` written as a JSON string by serde_json (quotes included), without building it.
pub fn json_string_len(s: &str) -> u64 {
    let mut n = 2u64;
    for b in s.bytes() {
        n += match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
            0..=0x1f => 6,
            _ => 1,
        };
    }
    n
}
