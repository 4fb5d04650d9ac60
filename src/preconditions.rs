//! Conditional requests, evaluated in RFC 9110 §13.2.2 order: If-Match, If-Unmodified-Since,
//! If-None-Match, If-Modified-Since (If-Range is asked separately by the range step).

/// The validators of the representation being served.
#[derive(Clone, Copy, Debug)]
pub struct Validators<'a> {
    /// Quoted strong ETag.
    pub etag: &'a str,
    /// Last-Modified in seconds since the epoch.
    pub modified: u64,
}

/// The request's conditional headers.
#[derive(Default, Clone, Copy, Debug)]
pub struct Conditions<'a> {
    pub if_match: Option<&'a str>,
    pub if_unmodified_since: Option<&'a str>,
    pub if_none_match: Option<&'a str>,
    pub if_modified_since: Option<&'a str>,
}

/// What the preconditions say.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Serve the representation.
    Proceed,
    /// 304: the client's copy is current.
    NotModified,
    /// 412: a precondition the client set is false.
    PreconditionFailed,
}

/// Evaluates the conditions for a GET or HEAD.
pub fn evaluate(c: &Conditions<'_>, v: Validators<'_>) -> Verdict {
    // Step 1-2: If-Match, else If-Unmodified-Since.
    if let Some(h) = c.if_match {
        if !list_matches(h, v.etag, Compare::Strong) {
            return Verdict::PreconditionFailed;
        }
    } else if let Some(date) = c.if_unmodified_since.and_then(parse_date) {
        if v.modified > date {
            return Verdict::PreconditionFailed;
        }
    }
    // Step 3-4: If-None-Match, else If-Modified-Since (ignored when If-None-Match is present).
    if let Some(h) = c.if_none_match {
        if list_matches(h, v.etag, Compare::Weak) {
            return Verdict::NotModified;
        }
    } else if let Some(date) = c.if_modified_since.and_then(parse_date) {
        if v.modified <= date {
            return Verdict::NotModified;
        }
    }
    Verdict::Proceed
}

/// If-Range: true when the range may be served (the validator still matches), false when the
/// whole representation must be sent instead. Only a strong ETag or an exact date matches.
pub fn if_range_matches(value: &str, v: Validators<'_>) -> bool {
    let value = value.trim();
    if value.starts_with('"') || value.starts_with("W/") {
        let (weak, tag) = split_weak(value);
        !weak && tag == v.etag
    } else {
        parse_date(value) == Some(v.modified)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Compare {
    Strong,
    Weak,
}

/// Does an entity-tag list (`*`, or `"a", W/"b"`) match `etag`? Commas inside quotes are part of
/// the tag, so the list is scanned tag by tag rather than split on commas.
fn list_matches(header: &str, etag: &str, how: Compare) -> bool {
    let h = header.trim();
    if h == "*" {
        return true;
    }
    let mut rest = h;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return false;
        }
        let weak = rest.starts_with("W/");
        let body = if weak { &rest[2..] } else { rest };
        if !body.starts_with('"') {
            return false; // malformed list: match nothing
        }
        let Some(end) = body[1..].find('"') else {
            return false;
        };
        let tag = &body[..end + 2];
        let ok = match how {
            Compare::Weak => tag == etag,
            Compare::Strong => !weak && tag == etag,
        };
        if ok {
            return true;
        }
        rest = &body[end + 2..];
    }
}

fn split_weak(tag: &str) -> (bool, &str) {
    match tag.strip_prefix("W/") {
        Some(t) => (true, t),
        None => (false, tag),
    }
}

/// Parses an HTTP-date (all three RFC 9110 formats) to seconds since the epoch.
fn parse_date(s: &str) -> Option<u64> {
    httpdate::parse_http_date(s.trim())
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    const V: Validators<'static> = Validators {
        etag: "\"abc\"",
        modified: 1_700_000_000,
    };
    // 1_700_000_000 = Tue, 14 Nov 2023 22:13:20 GMT
    const AT: &str = "Tue, 14 Nov 2023 22:13:20 GMT";
    const BEFORE: &str = "Tue, 14 Nov 2023 22:13:19 GMT";

    fn c<'a>() -> Conditions<'a> {
        Conditions::default()
    }

    #[test]
    fn if_none_match_with_current_tag_is_not_modified() {
        assert_eq!(
            evaluate(
                &Conditions {
                    if_none_match: Some("\"abc\""),
                    ..c()
                },
                V
            ),
            Verdict::NotModified
        );
    }

    #[test]
    fn if_none_match_compares_weakly() {
        assert_eq!(
            evaluate(
                &Conditions {
                    if_none_match: Some("W/\"abc\""),
                    ..c()
                },
                V
            ),
            Verdict::NotModified
        );
    }

    #[test]
    fn if_none_match_list_and_star() {
        assert_eq!(
            evaluate(
                &Conditions {
                    if_none_match: Some("\"x\", \"a,b\", \"abc\""),
                    ..c()
                },
                V
            ),
            Verdict::NotModified
        );
        assert_eq!(
            evaluate(
                &Conditions {
                    if_none_match: Some("*"),
                    ..c()
                },
                V
            ),
            Verdict::NotModified
        );
        assert_eq!(
            evaluate(
                &Conditions {
                    if_none_match: Some("\"x\", \"y\""),
                    ..c()
                },
                V
            ),
            Verdict::Proceed
        );
    }

    #[test]
    fn if_modified_since_is_ignored_when_if_none_match_is_present() {
        let cond = Conditions {
            if_none_match: Some("\"old\""),
            if_modified_since: Some(AT),
            ..c()
        };
        assert_eq!(evaluate(&cond, V), Verdict::Proceed);
    }

    #[test]
    fn if_modified_since_at_or_after_last_modified_is_not_modified() {
        assert_eq!(
            evaluate(
                &Conditions {
                    if_modified_since: Some(AT),
                    ..c()
                },
                V
            ),
            Verdict::NotModified
        );
        assert_eq!(
            evaluate(
                &Conditions {
                    if_modified_since: Some(BEFORE),
                    ..c()
                },
                V
            ),
            Verdict::Proceed
        );
    }

    #[test]
    fn invalid_date_is_ignored() {
        assert_eq!(
            evaluate(
                &Conditions {
                    if_modified_since: Some("yesterday"),
                    ..c()
                },
                V
            ),
            Verdict::Proceed
        );
    }

    #[test]
    fn if_match_uses_strong_comparison() {
        assert_eq!(
            evaluate(
                &Conditions {
                    if_match: Some("\"abc\""),
                    ..c()
                },
                V
            ),
            Verdict::Proceed
        );
        assert_eq!(
            evaluate(
                &Conditions {
                    if_match: Some("W/\"abc\""),
                    ..c()
                },
                V
            ),
            Verdict::PreconditionFailed
        );
        assert_eq!(
            evaluate(
                &Conditions {
                    if_match: Some("\"zzz\""),
                    ..c()
                },
                V
            ),
            Verdict::PreconditionFailed
        );
    }

    #[test]
    fn if_unmodified_since_before_last_modified_fails() {
        assert_eq!(
            evaluate(
                &Conditions {
                    if_unmodified_since: Some(BEFORE),
                    ..c()
                },
                V
            ),
            Verdict::PreconditionFailed
        );
        assert_eq!(
            evaluate(
                &Conditions {
                    if_unmodified_since: Some(AT),
                    ..c()
                },
                V
            ),
            Verdict::Proceed
        );
    }

    #[test]
    fn if_match_failure_wins_over_if_none_match() {
        let cond = Conditions {
            if_match: Some("\"zzz\""),
            if_none_match: Some("\"abc\""),
            ..c()
        };
        assert_eq!(evaluate(&cond, V), Verdict::PreconditionFailed);
    }

    #[test]
    fn if_range_needs_a_strong_tag_or_the_exact_date() {
        assert!(if_range_matches("\"abc\"", V));
        assert!(!if_range_matches("W/\"abc\"", V));
        assert!(if_range_matches(AT, V));
        assert!(!if_range_matches(BEFORE, V));
    }
}
