//! The `_headers` and `_redirects` file formats (Netlify / Cloudflare Pages) and their URL patterns.
//!
//! Compiled into build.rs (which parses and validates the file and resolves the rules per file)
//! and into the library (for the pattern matcher), so the format has one definition.

/// A parse error, reported as `file:line: message`.
#[derive(Debug, PartialEq, Eq)]
pub struct RuleError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// One header instruction under a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderOp {
    /// `Name: value`: add the header (repeated names join with ", "; Set-Cookie stays separate).
    Set(String, String),
    /// `! Name`: detach a header set by the defaults or an earlier rule.
    Detach(String),
}

/// A `_headers` rule: a URL pattern and what it does to the headers of matching paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderRule {
    /// The URL pattern (`/assets/*`, `/blog/:slug`).
    pub pattern: String,
    /// The line the pattern is on, for messages.
    pub line: usize,
    /// The headers, in file order.
    pub ops: Vec<HeaderOp>,
}

/// Headers the server computes per response; `_headers` cannot set them.
pub const MANAGED_HEADERS: &[&str] = &[
    "content-encoding",
    "content-length",
    "content-range",
    "accept-ranges",
    "etag",
    "last-modified",
    "vary",
    "location",
    "allow",
    "transfer-encoding",
    "connection",
];

/// Is `name` a valid HTTP field name (RFC 9110 token)?
pub fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                )
        })
}

/// Is `value` safe as a field value: visible characters, spaces and tabs only (no CR, LF, NUL)?
pub fn is_field_value(value: &str) -> bool {
    value
        .chars()
        .all(|c| c == '\t' || c == ' ' || !c.is_control())
}

/// Checks that a URL pattern is a path pattern this server can match.
pub fn check_pattern(pattern: &str) -> Result<(), String> {
    if !pattern.starts_with('/') {
        return Err(format!(
            "pattern {pattern:?} must be a path starting with '/' (host patterns are not supported)"
        ));
    }
    if pattern
        .chars()
        .any(|c| c.is_control() || c == ' ' || c == '\\')
    {
        return Err(format!(
            "pattern {pattern:?} contains a space, backslash or control character"
        ));
    }
    if pattern.matches('*').count() > 1 {
        return Err(format!("pattern {pattern:?} has more than one '*'"));
    }
    for segment in pattern.split('/') {
        if let Some(name) = segment.strip_prefix(':') {
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(format!(
                    "pattern {pattern:?} has a placeholder {segment:?} that is not ':name'"
                ));
            }
        }
    }
    Ok(())
}

/// Matches a URL path against a pattern and returns the captures: `:name` placeholders (one
/// segment each) and `splat` for `*` (any rest, slashes included).
///
/// Written by hand: the grammar is a few lines, and a regex crate would be the only user.
pub fn match_pattern<'p>(pattern: &'p str, path: &'p str) -> Option<Vec<(&'p str, &'p str)>> {
    let mut captures = Vec::new();
    if match_at(pattern, path, false, &mut captures) {
        Some(captures)
    } else {
        None
    }
}

/// `segment_start`: the previous pattern character was '/', so a ':' here opens a placeholder
/// (placeholders are whole segments, as in Netlify; `a:b` is literal).
fn match_at<'p>(
    pattern: &'p str,
    path: &'p str,
    segment_start: bool,
    captures: &mut Vec<(&'p str, &'p str)>,
) -> bool {
    let Some(c) = pattern.chars().next() else {
        return path.is_empty();
    };
    match c {
        '*' => {
            let rest = &pattern[1..];
            // Try the longest splat first, like Netlify: `/a/*` captures everything after `/a/`.
            let mut cut = path.len();
            loop {
                if path.is_char_boundary(cut) {
                    let mark = captures.len();
                    captures.push(("splat", &path[..cut]));
                    if match_at(rest, &path[cut..], false, captures) {
                        return true;
                    }
                    captures.truncate(mark);
                }
                if cut == 0 {
                    return false;
                }
                cut -= 1;
            }
        }
        ':' if segment_start => {
            let name_len = pattern[1..]
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
                .map_or(pattern.len() - 1, |n| n);
            let name = &pattern[1..1 + name_len];
            let rest = &pattern[1 + name_len..];
            let seg_len = path.find('/').unwrap_or(path.len());
            if seg_len == 0 {
                return false;
            }
            let mark = captures.len();
            captures.push((name, &path[..seg_len]));
            if match_at(rest, &path[seg_len..], false, captures) {
                return true;
            }
            captures.truncate(mark);
            false
        }
        _ => {
            let n = c.len_utf8();
            path.starts_with(c) && match_at(&pattern[n..], &path[n..], c == '/', captures)
        }
    }
}

/// Parses a `_headers` file. Errors name the line and the reason.
pub fn parse_headers(text: &str) -> Result<Vec<HeaderRule>, RuleError> {
    let mut rules: Vec<HeaderRule> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let err = |message: String| RuleError { line, message };
        // `lines()` already accepts CRLF endings; a CR left inside a line could split a header.
        if raw.contains('\r') {
            return Err(err("carriage return inside a line".into()));
        }
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indented = raw.starts_with(' ') || raw.starts_with('\t');
        if !indented {
            check_pattern(trimmed).map_err(err)?;
            rules.push(HeaderRule {
                pattern: trimmed.to_string(),
                line,
                ops: Vec::new(),
            });
            continue;
        }
        let Some(rule) = rules.last_mut() else {
            return Err(err(
                "a header line comes before any URL pattern (patterns start at the left margin)"
                    .into(),
            ));
        };
        if let Some(name) = trimmed.strip_prefix('!') {
            let name = name.trim();
            if !is_token(name) {
                return Err(err(format!("'! {name}': not a valid header name")));
            }
            rule.ops.push(HeaderOp::Detach(name.to_string()));
            continue;
        }
        let Some((name, value)) = trimmed.split_once(':') else {
            return Err(err(format!(
                "expected 'Name: value' or '! Name', found {trimmed:?}"
            )));
        };
        let (name, value) = (name.trim(), value.trim());
        if !is_token(name) {
            return Err(err(format!("{name:?} is not a valid header name")));
        }
        if !is_field_value(value) {
            return Err(err(format!(
                "the value of {name} contains a control character (CR, LF or NUL)"
            )));
        }
        if value.is_empty() {
            return Err(err(format!(
                "{name} has an empty value (use '! {name}' to remove a header)"
            )));
        }
        if MANAGED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            return Err(err(format!(
                "{name} is computed by the server for each response and cannot be set in _headers"
            )));
        }
        rule.ops
            .push(HeaderOp::Set(name.to_string(), value.to_string()));
    }
    Ok(rules)
}

/// A `_redirects` rule: `from to [status][!]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectRule {
    /// URL pattern matched against the decoded request path.
    pub from: String,
    /// Target path or absolute URL; may use `:splat` and the placeholders of `from`.
    pub to: String,
    /// 301, 302, 303, 307, 308 redirect; 200 rewrites (serves `to` at this URL); 404 rewrites
    /// with status 404.
    pub status: u16,
    /// `!`: the rule applies even when a file answers the path (otherwise files shadow rules).
    pub force: bool,
    /// 1-based line, for messages.
    pub line: usize,
}

/// Parses a `_redirects` file. Errors name the line and the reason.
pub fn parse_redirects(text: &str) -> Result<Vec<RedirectRule>, RuleError> {
    let mut rules = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let err = |message: String| RuleError { line, message };
        if raw.contains('\r') {
            return Err(err("carriage return inside a line".into()));
        }
        let content = raw.split(" #").next().unwrap_or("").trim();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = content.split_whitespace().collect();
        let (from, to, status_field) = match fields.as_slice() {
            [from, to] => (*from, *to, None),
            [from, to, status] => (*from, *to, Some(*status)),
            _ => {
                return Err(err(format!(
                    "expected 'from to [status]', found {} fields (query and condition matching are not supported)",
                    fields.len()
                )))
            }
        };
        check_pattern(from).map_err(err)?;
        let (status, force) = match status_field {
            None => (301, false),
            Some(s) => {
                let (code, force) = match s.strip_suffix('!') {
                    Some(c) => (c, true),
                    None => (s, false),
                };
                let code: u16 = code
                    .parse()
                    .map_err(|_| err(format!("status {s:?} is not a number")))?;
                if ![200, 301, 302, 303, 307, 308, 404].contains(&code) {
                    return Err(err(format!(
                        "status {code} is not supported (use 301, 302, 303, 307, 308, 200 or 404)"
                    )));
                }
                (code, force)
            }
        };
        let absolute = to.starts_with("https://") || to.starts_with("http://");
        if !absolute && !to.starts_with('/') {
            return Err(err(format!(
                "target {to:?} must be a path starting with '/' or an http(s) URL"
            )));
        }
        if to.starts_with("//") {
            return Err(err(format!(
                "target {to:?} starts with '//', which browsers read as another host; write https://host/..."
            )));
        }
        if absolute && matches!(status, 200 | 404) {
            return Err(err(format!(
                "a {status} rewrite must target a path of this site, not {to:?} (proxying is not supported)"
            )));
        }
        if to.chars().any(|c| c.is_control() || c == '\\') {
            return Err(err(format!(
                "target {to:?} contains a control character or backslash"
            )));
        }
        for name in placeholders(to) {
            let defined = if name == "splat" {
                from.contains('*')
            } else {
                from.split('/')
                    .any(|seg| seg.strip_prefix(':') == Some(name))
            };
            if !defined {
                return Err(err(format!(
                    "target uses :{name}, which the pattern {from:?} does not capture"
                )));
            }
        }
        rules.push(RedirectRule {
            from: from.to_string(),
            to: to.to_string(),
            status,
            force,
            line,
        });
    }
    Ok(rules)
}

/// The `:name` placeholders used in a redirect target.
fn placeholders(to: &str) -> impl Iterator<Item = &str> {
    to.split(['/', '?', '&', '=', '.', '#'])
        .filter_map(|seg| seg.strip_prefix(':'))
        .filter(|name| {
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
}

/// Fills a redirect target with the captures, percent-encoding each captured value (they come
/// from the decoded path) so they cannot add a query, a host or a line break to the target.
pub fn substitute(to: &str, captures: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(to.len() + 16);
    let mut rest = to;
    while let Some(i) = rest.find(':') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let name = &after[..len];
        match captures.iter().rev().find(|(n, _)| *n == name) {
            Some((_, value)) if len > 0 => out.push_str(&encode_path(value)),
            _ => {
                out.push(':');
                out.push_str(name);
            }
        }
        rest = &after[len..];
    }
    out.push_str(rest);
    out
}

/// Percent-encodes a decoded URL path for a `Location` header: everything but unreserved
/// characters, the sub-delims that are safe in paths, ':' '@' and '/'.
pub fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'/'
                    | b'!'
                    | b'$'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
            );
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Makes a local redirect target safe to send as `Location`: a path that begins with several
/// slashes or a backslash would send browsers to another host (`//evil.example`), so the
/// leading run collapses to one '/'. Absolute http(s) URLs written in `_redirects` pass as is.
pub fn safe_location(location: &str) -> std::borrow::Cow<'_, str> {
    if location.starts_with("https://") || location.starts_with("http://") {
        return location.into();
    }
    let trimmed = location.trim_start_matches(['/', '\\']);
    if trimmed.len() + 1 == location.len() && location.starts_with('/') {
        location.into()
    } else {
        format!("/{trimmed}").into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splat_matches_any_rest_including_slashes() {
        assert_eq!(
            match_pattern("/assets/*", "/assets/a/b.js"),
            Some(vec![("splat", "a/b.js")])
        );
        assert_eq!(match_pattern("/assets/*", "/other/a.js"), None);
    }

    #[test]
    fn placeholder_matches_exactly_one_segment() {
        assert_eq!(
            match_pattern("/blog/:slug", "/blog/hello"),
            Some(vec![("slug", "hello")])
        );
        assert_eq!(match_pattern("/blog/:slug", "/blog/a/b"), None);
        assert_eq!(match_pattern("/blog/:slug", "/blog/"), None);
    }

    #[test]
    fn colon_inside_a_segment_is_literal() {
        assert!(match_pattern("/a:b", "/a:b").is_some());
        assert!(match_pattern("/a:b", "/ax").is_none());
    }

    #[test]
    fn literal_pattern_matches_only_itself() {
        assert!(match_pattern("/", "/").is_some());
        assert!(match_pattern("/", "/x").is_none());
    }

    #[test]
    fn headers_file_parses_patterns_headers_and_detach() {
        let rules = parse_headers(
            "# comment\n/*\n  X-Test: a\n  ! X-Frame-Options\n\n/about\n\tSet-Cookie: a=1\n",
        )
        .unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(
            rules[0].ops,
            vec![
                HeaderOp::Set("X-Test".into(), "a".into()),
                HeaderOp::Detach("X-Frame-Options".into())
            ]
        );
        assert_eq!(rules[1].line, 6);
    }

    #[test]
    fn header_before_pattern_is_an_error_with_its_line() {
        let e = parse_headers("\n  X-A: b\n").unwrap_err();
        assert_eq!(e.line, 2);
    }

    #[test]
    fn managed_header_cannot_be_set() {
        let e = parse_headers("/*\n  ETag: \"x\"\n").unwrap_err();
        assert!(
            e.message.contains("computed by the server"),
            "{}",
            e.message
        );
    }

    #[test]
    fn control_character_in_value_is_an_error() {
        let e = parse_headers("/*\n  X-A: a\u{0}b\n").unwrap_err();
        assert_eq!(e.line, 2);
    }

    #[test]
    fn crlf_line_endings_are_accepted() {
        assert_eq!(parse_headers("/*\r\n  X-A: b\r\n").unwrap()[0].ops.len(), 1);
    }

    #[test]
    fn lone_carriage_return_is_an_error() {
        assert!(parse_headers("/*\n  X-A: a\rSet-Cookie: b\n").is_err());
    }

    #[test]
    fn redirects_file_parses_status_force_and_defaults() {
        let r = parse_redirects("# c\n/old /new\n/a/* /b/:splat 302\n/app/* /index.html 200!\n")
            .unwrap();
        assert_eq!((r[0].status, r[0].force), (301, false));
        assert_eq!((r[1].status, r[1].to.as_str()), (302, "/b/:splat"));
        assert_eq!((r[2].status, r[2].force, r[2].line), (200, true, 4));
    }

    #[test]
    fn redirect_with_unknown_status_is_an_error() {
        assert_eq!(parse_redirects("/a /b 418\n").unwrap_err().line, 1);
    }

    #[test]
    fn redirect_target_using_an_uncaptured_placeholder_is_an_error() {
        let e = parse_redirects("\n/a /b/:splat\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains(":splat"));
        assert!(parse_redirects("/blog/:year /news/:month\n").is_err());
    }

    #[test]
    fn rewrite_to_another_host_is_an_error() {
        assert!(parse_redirects("/api/* https://api.example.com/:splat 200\n").is_err());
        assert!(parse_redirects("/x //evil.example/ 301\n").is_err());
    }

    #[test]
    fn too_many_fields_is_an_error() {
        assert!(parse_redirects("/a /b 301 Country=us\n").is_err());
    }

    #[test]
    fn captures_are_substituted_and_encoded() {
        assert_eq!(substitute("/b/:splat", &[("splat", "x y/z")]), "/b/x%20y/z");
        assert_eq!(
            substitute("/n/:year/:slug", &[("year", "2024"), ("slug", "a?b")]),
            "/n/2024/a%3Fb"
        );
        assert_eq!(
            substitute("https://h.example/:splat", &[("splat", "p")]),
            "https://h.example/p"
        );
    }

    #[test]
    fn leading_slashes_cannot_leave_the_site() {
        assert_eq!(safe_location("//evil.example/x"), "/evil.example/x");
        assert_eq!(safe_location("/\\evil.example"), "/evil.example");
        assert_eq!(safe_location("/ok/path"), "/ok/path");
        assert_eq!(
            safe_location("https://other.example/"),
            "https://other.example/"
        );
    }

    #[test]
    fn relative_pattern_is_an_error() {
        assert!(parse_headers("assets/*\n  X-A: b\n").is_err());
    }
}
