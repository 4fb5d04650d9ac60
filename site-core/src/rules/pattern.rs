//! URL patterns of `_headers` and `_redirects` (`/assets/*`, `/blog/:slug`) and what the server
//! does with a matched rule at run time: captures, substitution, safe `Location` values. The
//! files' grammar is in [`super::grammar`]; both share the token and value rules here.

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

/// The `:name` placeholders used in a redirect target.
pub(crate) fn placeholders(to: &str) -> impl Iterator<Item = &str> {
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
}
