//! The `_headers` file format (Netlify / Cloudflare Pages) and its URL patterns.
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
    fn relative_pattern_is_an_error() {
        assert!(parse_headers("assets/*\n  X-A: b\n").is_err());
    }
}
