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
mod tests;
