//! `Range: bytes=` requests (RFC 9110 §14): one range is served as 206; several are answered
//! with the whole file (200), as RFC 9110 allows, since multipart bodies buy a static site little.

/// A Range header, read.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Requested {
    /// One range, not yet checked against the length.
    One(Spec),
    /// The header is absent, malformed, not in bytes, or asks for several ranges: send it all.
    Ignore,
}

/// One byte-range spec.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Spec {
    /// `start-end` (inclusive) or `start-` (end is None).
    From(u64, Option<u64>),
    /// `-n`: the last n bytes.
    Suffix(u64),
}

/// Parses a Range header.
pub fn parse(header: Option<&str>) -> Requested {
    let Some(h) = header else {
        return Requested::Ignore;
    };
    let Some(set) = h.trim().strip_prefix("bytes=") else {
        return Requested::Ignore;
    };
    if set.contains(',') {
        return Requested::Ignore;
    }
    let Some((a, b)) = set.trim().split_once('-') else {
        return Requested::Ignore;
    };
    let num = |s: &str| -> Option<u64> {
        if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
            None
        } else {
            s.parse().ok()
        }
    };
    match (a.trim(), b.trim()) {
        ("", n) => num(n).map_or(Requested::Ignore, |n| Requested::One(Spec::Suffix(n))),
        (s, "") => num(s).map_or(Requested::Ignore, |s| Requested::One(Spec::From(s, None))),
        (s, e) => match (num(s), num(e)) {
            (Some(s), Some(e)) if s <= e => Requested::One(Spec::From(s, Some(e))),
            _ => Requested::Ignore,
        },
    }
}

impl Spec {
    /// The inclusive byte range to send for a representation of `len` bytes, shortened to
    /// `max` bytes (the file's own cap, at most `site_core::limits::MAX_RANGE`), or None when it
    /// cannot be satisfied (416). A shortened range says in Content-Range what was sent, and
    /// clients (video players, download managers) ask for the rest.
    pub fn resolve(self, len: u64, max: u64) -> Option<(u64, u64)> {
        let (start, end) = match self {
            Spec::From(s, _) if s >= len => return None,
            Spec::From(s, e) => (s, e.map_or(len - 1, |e| e.min(len - 1))),
            Spec::Suffix(0) => return None,
            Spec::Suffix(n) if len == 0 => {
                let _ = n;
                return None;
            }
            Spec::Suffix(n) => (len.saturating_sub(n), len - 1),
        };
        Some((start, end.min(start + max.max(1) - 1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use site_core::limits::MAX_RANGE;

    #[test]
    fn closed_open_and_suffix_ranges_parse() {
        assert_eq!(
            parse(Some("bytes=0-99")),
            Requested::One(Spec::From(0, Some(99)))
        );
        assert_eq!(
            parse(Some("bytes=100-")),
            Requested::One(Spec::From(100, None))
        );
        assert_eq!(parse(Some("bytes=-50")), Requested::One(Spec::Suffix(50)));
    }

    #[test]
    fn multi_range_and_garbage_are_ignored() {
        for h in [
            "bytes=0-1,5-6",
            "bytes=abc",
            "items=0-1",
            "bytes=5-1",
            "bytes=-",
            "bytes=1-2-3",
        ] {
            assert_eq!(parse(Some(h)), Requested::Ignore, "{h}");
        }
    }

    #[test]
    fn ranges_resolve_against_the_length() {
        assert_eq!(
            Spec::From(0, Some(99)).resolve(1000, MAX_RANGE),
            Some((0, 99))
        );
        assert_eq!(
            Spec::From(900, Some(5000)).resolve(1000, MAX_RANGE),
            Some((900, 999))
        );
        assert_eq!(
            Spec::From(900, None).resolve(1000, MAX_RANGE),
            Some((900, 999))
        );
        assert_eq!(Spec::Suffix(100).resolve(1000, MAX_RANGE), Some((900, 999)));
        assert_eq!(Spec::Suffix(5000).resolve(1000, MAX_RANGE), Some((0, 999)));
    }

    #[test]
    fn unsatisfiable_ranges_resolve_to_none() {
        assert_eq!(Spec::From(1000, None).resolve(1000, MAX_RANGE), None);
        assert_eq!(Spec::Suffix(0).resolve(1000, MAX_RANGE), None);
        assert_eq!(Spec::From(0, None).resolve(0, MAX_RANGE), None);
    }

    #[test]
    fn long_ranges_are_shortened_to_fit_one_response() {
        assert_eq!(
            Spec::From(0, None).resolve(5_000_000, MAX_RANGE),
            Some((0, MAX_RANGE - 1))
        );
    }
}
