//! The `_headers` and `_redirects` file formats (Netlify / Cloudflare Pages), parsed and validated
//! at build time (and by the dev tools). Patterns and their matching are in [`super::pattern`].

use std::borrow::Cow;

use super::pattern::{check_pattern, is_field_value, is_token, placeholders};
use crate::site::{Action, Status, Text};

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
    Set(Text, Text),
    /// `! Name`: detach a header set by the defaults or an earlier rule.
    Detach(Text),
}

/// A `_headers` rule: a URL pattern and what it does to the headers of matching paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderRule {
    /// The URL pattern (`/assets/*`, `/blog/:slug`).
    pub pattern: Text,
    /// The line the pattern is on, for messages.
    pub line: usize,
    /// The headers, in file order.
    pub ops: Cow<'static, [HeaderOp]>,
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

/// Parses a `_headers` file. Errors name the line and the reason.
pub fn parse_headers(text: &str) -> Result<Vec<HeaderRule>, RuleError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
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
            let looks_like_header = !trimmed.starts_with('/')
                && !trimmed.starts_with("https://")
                && trimmed
                    .split_once(':')
                    .is_some_and(|(name, _)| is_token(name.trim()));
            if looks_like_header || trimmed.starts_with('!') {
                return Err(err(format!(
                    "{trimmed:?}: header lines must be indented under their path pattern"
                )));
            }
            check_pattern(trimmed).map_err(err)?;
            rules.push(HeaderRule {
                pattern: Cow::Owned(trimmed.to_string()),
                line,
                ops: Cow::Owned(Vec::new()),
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
            rule.ops
                .to_mut()
                .push(HeaderOp::Detach(Cow::Owned(name.to_string())));
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
        if name.eq_ignore_ascii_case("strict-transport-security") {
            return Err(err(
                "set HSTS with security.hsts in the settings file (it is sent only over https)"
                    .into(),
            ));
        }
        if MANAGED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            return Err(err(format!(
                "{name} is computed by the server for each response and cannot be set in _headers"
            )));
        }
        rule.ops.to_mut().push(HeaderOp::Set(
            Cow::Owned(name.to_string()),
            Cow::Owned(value.to_string()),
        ));
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
    /// Written as the status: 301, 302, 303, 307, 308 redirect; 200 rewrites (serves `to` at
    /// this URL); 404 rewrites with status 404.
    pub action: Action,
    /// `!`: the rule applies even when a file answers the path (otherwise files shadow rules).
    pub force: bool,
    /// 1-based line, for messages.
    pub line: usize,
}

/// Parses a `_redirects` file. Errors name the line and the reason.
pub fn parse_redirects(text: &str) -> Result<Vec<RedirectRule>, RuleError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rules = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let err = |message: String| RuleError { line, message };
        if raw.contains('\r') {
            return Err(err("carriage return inside a line".into()));
        }
        // A comment starts at '#' after a space or a tab (a '#' inside a URL is a fragment).
        let content = raw
            .split(" #")
            .next()
            .and_then(|c| c.split("\t#").next())
            .unwrap_or("")
            .trim();
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
        let (action, force) = match status_field {
            None => (Action::Redirect(Status::MovedPermanently), false),
            Some(s) => {
                let (code, force) = match s.strip_suffix('!') {
                    Some(c) => (c, true),
                    None => (s, false),
                };
                let code: u16 = code
                    .parse()
                    .map_err(|_| err(format!("status {s:?} is not a number")))?;
                let action = match (code, Status::redirect(code)) {
                    (200, _) => Action::Rewrite,
                    (404, _) => Action::RewriteNotFound,
                    (_, Some(redirect)) => Action::Redirect(redirect),
                    (_, None) => {
                        return Err(err(format!(
                        "status {code} is not supported (use 301, 302, 303, 307, 308, 200 or 404)"
                    )))
                    }
                };
                (action, force)
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
        if absolute && !matches!(action, Action::Redirect(_)) {
            return Err(err(format!(
                "a {} rewrite must target a path of this site, not {to:?} (proxying is not supported)",
                action.status().code()
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
            action,
            force,
            line,
        });
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_line_at_the_left_margin_says_it_must_be_indented() {
        for text in ["/a\nX-Frame-Options: DENY\n", "/a\n! X-Frame-Options\n"] {
            let e = parse_headers(text).unwrap_err();
            assert_eq!(e.line, 2, "{text}");
            assert!(
                e.message
                    .contains("must be indented under their path pattern"),
                "{}",
                e.message
            );
        }
    }

    #[test]
    fn hsts_in_headers_is_refused_at_its_own_line() {
        let e =
            parse_headers("/a\n  X-A: 1\n  Strict-Transport-Security: max-age=1\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("security.hsts"));
    }

    #[test]
    fn a_byte_order_mark_at_the_start_of_a_rules_file_is_ignored() {
        assert_eq!(
            parse_headers("\u{feff}/a\n  X-A: 1\n").unwrap()[0].pattern,
            "/a"
        );
        assert_eq!(
            parse_redirects("\u{feff}/a /b 302\n").unwrap()[0].from,
            "/a"
        );
    }

    #[test]
    fn a_comment_after_a_tab_in_redirects_is_a_comment() {
        let rules = parse_redirects("/a\t/b\t302\t# moved in 2024\n").unwrap();
        assert_eq!(rules[0].to, "/b");
        assert_eq!(rules[0].action, Action::Redirect(Status::Found));
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
        assert_eq!(
            (r[0].action, r[0].force),
            (Action::Redirect(Status::MovedPermanently), false)
        );
        assert_eq!(
            (r[1].action, r[1].to.as_str()),
            (Action::Redirect(Status::Found), "/b/:splat")
        );
        assert_eq!(
            (r[2].action, r[2].force, r[2].line),
            (Action::Rewrite, true, 4)
        );
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
    fn relative_pattern_is_an_error() {
        assert!(parse_headers("assets/*\n  X-A: b\n").is_err());
    }
}
